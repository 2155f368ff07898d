"""`qfill reasons`: every reason code, its meaning and what a reviewer should do."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from qfill.reasons import all_codes

Run = Callable[..., Any]


def test_the_table_lists_every_code_with_its_stage(run_cli: Run) -> None:
    result = run_cli("reasons")
    assert (result.exit_code, result.stderr) == (0, ""), result.output
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["code", "stage", "meaning"]
    starts = [line.split()[:2] for line in lines[2:] if line and not line.startswith(" ")]
    assert starts == [[code, entry.stage] for code, entry in all_codes().items()]


def test_json_has_meaning_and_action_for_every_code(run_cli: Run) -> None:
    result = run_cli("reasons", "--format", "json")
    assert result.exit_code == 0
    listed = json.loads(result.stdout)["reasons"]
    assert [r["code"] for r in listed] == list(all_codes())
    for item in listed:
        entry = all_codes()[item["code"]]
        assert (item["stage"], item["meaning"], item["action"]) == (
            entry.stage, entry.meaning, entry.action)
        assert item["meaning"] and item["action"]


def test_one_code_in_full_with_its_examples(run_cli: Run) -> None:
    result = run_cli("reasons", "negation")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "negation (match)"
    assert lines[2] == all_codes()["negation"].meaning
    assert lines[4] == f"Reviewer: {all_codes()['negation'].action}"
    assert any(line.startswith("FAIL: ") for line in lines)
    assert any(line.startswith("PASS: ") for line in lines)


def test_an_unknown_code_is_one_line_with_a_hint(run_cli: Run) -> None:
    result = run_cli("reasons", "negaton")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == ("qfill: error: no reason code 'negaton' (did you mean "
                             "'negation'?); run `qfill reasons` for the list\n")
