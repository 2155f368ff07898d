"""The reason-code registry: every code documented, and its PASS/FAIL examples run.

An example is one questionnaire row and a small library (see :mod:`qfill.reasons`); it is
put through the whole decision (matching, verification, the row's cells) and the codes
raised for the row, or for its best suggestion, are compared with the example's verdict.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from qfill.answering import answer_questionnaire
from qfill.library import load_library
from qfill.questionnaire import FileFormat, Questionnaire, QuestionRow, TargetCell
from qfill.reasons import REASONS, Example, Reason, all_codes, reason, reason_code
from qfill.settings import load_settings

TODAY = date(2026, 11, 29)
REASON_CODES_PAGE = Path(__file__).resolve().parent.parent / "docs" / "reason-codes.md"
CODES = all_codes()


def _entries(case: dict[str, Any]) -> list[dict[str, Any]]:
    if "entries" in case:
        return list(case["entries"])
    entry = {"id": "entry", "question": case["entry"], "answer": case.get("answer", "Yes.")}
    if case.get("short") is not None:
        entry["short"] = case["short"]
    return [entry]


def _row(case: dict[str, Any]) -> QuestionRow:
    spec = case.get("row") or {}
    if spec.get("cells") == "none":
        targets: tuple[TargetCell, ...] = ()
    else:
        targets = (TargetCell("short", "C2", choices=tuple(map(str, spec.get("short", ())))),
                   TargetCell("answer", "D2", current=spec.get("answered")))
    return QuestionRow("Questions", 2, case["question"], None, case.get("section"), "B2",
                       targets)


def codes_for(example: Example, tmp_path: Path) -> set[str]:
    """The codes raised for the example's row: the row's and its best suggestion's."""
    case = dict(example.case)
    entries = _entries(case)
    missing = set(case.get("missing") or ())
    for entry in entries:
        for item in entry.get("evidence") or ():
            path = item if isinstance(item, str) else item["path"]
            if path not in missing:
                (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
                (tmp_path / path).write_text("evidence\n", encoding="utf-8")
    (tmp_path / "answers").mkdir(parents=True, exist_ok=True)
    (tmp_path / "answers" / "example.yaml").write_text(
        yaml.safe_dump({"answers": entries}, sort_keys=False), encoding="utf-8")
    library = load_library(tmp_path)
    questionnaire = Questionnaire(tmp_path / "q.xlsx", FileFormat.XLSX, (_row(case),))
    run = answer_questionnaire(questionnaire, library, load_settings(tmp_path), today=TODAY)
    [match] = run.matches
    raised = {r.code for r in match.reasons}
    if match.best is not None:
        raised |= {r.code for r in match.best.reasons}
    return raised


def test_every_stage_of_the_decision_registers_its_codes() -> None:
    assert set(CODES) == {
        "negation", "qualifier-mismatch", "uncovered-term", "close-runner-up", "low-score",
        "id-match", "stale-answer", "evidence-expired", "evidence-missing",
        "short-contradicts-answer", "dropdown-mismatch", "already-answered",
        "no-answer-cell", "id-unsupported", "incomplete", "form-mismatch", "too-long-for-cell",
        "unreviewed-entry", "protected-cell", "formula-cell"}
    assert [c.stage for c in CODES.values()] == sorted(
        (c.stage for c in CODES.values()), key=("match", "verify", "write").index)


@pytest.mark.parametrize("code", list(CODES))
def test_every_code_has_a_meaning_an_action_and_examples(code: str) -> None:
    entry = CODES[code]
    assert entry.meaning.endswith("."), code
    assert entry.action and entry.action.endswith("."), code
    kinds = [e.kind for e in entry.examples] + [k for k, _ in entry.prose_examples]
    assert "PASS" in kinds and "FAIL" in kinds, code


@pytest.mark.parametrize("code", [c for c in CODES if CODES[c].examples])
def test_documented_examples_raise_the_code_exactly_when_they_say(code: str,
                                                                  tmp_path: Path) -> None:
    for n, example in enumerate(CODES[code].examples):
        raised = codes_for(example, tmp_path / f"{example.kind}{n}")
        assert (code in raised) == (example.kind == "FAIL"), (example.case, raised)


def test_a_reason_prints_as_code_and_message_on_one_line() -> None:
    found = reason("negation", "the question says 'allowed',\n   'x' says 'prohibited'")
    assert found == Reason("negation", "the question says 'allowed', 'x' says 'prohibited'")
    assert str(found) == "negation: the question says 'allowed', 'x' says 'prohibited'"
    with pytest.raises(KeyError):
        reason("no-such-code", "anything")


def test_a_code_is_registered_once_and_in_kebab_case() -> None:
    with pytest.raises(ValueError, match="registered twice"):
        reason_code("negation", stage="match")(lambda: None)
    with pytest.raises(ValueError, match="kebab-case"):
        reason_code("Not_Kebab", stage="match")
    assert "Not_Kebab" not in REASONS


def test_the_reason_codes_page_lists_every_code_with_its_meaning() -> None:
    text = REASON_CODES_PAGE.read_text(encoding="utf-8")
    listed = dict(re.findall(r"^\| `([a-z-]+)` \| (match|verify|write) \|", text, re.M))
    assert listed == {code: entry.stage for code, entry in CODES.items()}
    for code, entry in CODES.items():
        assert f"| `{code}` | {entry.stage} | {entry.meaning} | {entry.action} |" in text, code
