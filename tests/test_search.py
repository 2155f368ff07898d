"""`qfill search`: the candidates a person deciding a review row needs to see."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

LIBRARY = {
    "answers/crypto.yaml": """
        answers:
          - id: encryption-at-rest
            question: Is customer data encrypted at rest?
            answer: Yes. AES-256 everywhere.
            short: "Yes"
            reviewed: 2024-01-01
            review_every: 365
          - id: encryption-in-transit
            question: Is customer data encrypted in transit?
            answer: Yes. TLS 1.2 or higher.
            short: "Yes"
          - id: odd-brackets
            question: "Do you publish [bold]status[/bold] pages?"
            answer: Yes.
    """,
}


def test_table_lists_candidates_with_confidence_and_reasons(
        write_library: Callable[..., Path], run_cli: Callable[..., object]) -> None:
    root = write_library(LIBRARY)
    result = run_cli("search", "Is stored customer data encrypted at rest?", "-l", root,
                     "--today", "2026-11-29")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert out.index("encryption-at-rest") < out.index("encryption-in-transit")
    assert "stale-answer" in out  # the reviewer sees the answer is overdue
    assert "qualifier-mismatch" in out  # and why the runner-up is a different control


def test_json_output_is_stable_and_complete(write_library: Callable[..., Path],
                                            run_cli: Callable[..., object]) -> None:
    root = write_library(LIBRARY)
    result = run_cli("search", "Is customer data encrypted in transit?", "-l", root,
                     "--json", "-k", "2", "--today", "2026-11-29")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["query"] == "Is customer data encrypted in transit?"
    assert [c["answer_id"] for c in data["candidates"]] == ["encryption-in-transit",
                                                            "encryption-at-rest"]
    first = data["candidates"][0]
    assert set(first) == {"rank", "answer_id", "confidence", "question", "short", "answer",
                          "source", "reasons", "reason_codes"}
    assert first["rank"] == 1 and 0 < first["confidence"] <= 1
    assert first["source"] == "answers/crypto.yaml:8"
    assert data["candidates"][1]["reasons"][0] == "qualifier-mismatch: the question says " \
        "'in transit', 'encryption-at-rest' says 'at rest' (data state)"
    assert data["candidates"][1]["reason_codes"][0] == "qualifier-mismatch"


def test_library_text_is_printed_literally_not_as_markup(
        write_library: Callable[..., Path], run_cli: Callable[..., object]) -> None:
    root = write_library(LIBRARY)
    result = run_cli("search", "Do you publish status pages?", "-l", root)
    assert result.exit_code == 0
    assert "[bold]status[/bold]" in result.stdout


def test_no_candidate_says_so(write_library: Callable[..., Path],
                              run_cli: Callable[..., object]) -> None:
    root = write_library(LIBRARY)
    result = run_cli("search", "zebra giraffe", "-l", root)
    assert result.exit_code == 0
    assert "no answer in the library" in result.stderr
    data = json.loads(run_cli("search", "zebra giraffe", "-l", root, "--json").stdout)
    assert data["candidates"] == []


def test_a_bad_library_exits_2_with_one_line(tmp_path: Path,
                                             run_cli: Callable[..., object]) -> None:
    result = run_cli("search", "anything", "-l", tmp_path / "missing")
    assert result.exit_code == 2
    assert result.stderr.startswith("qfill: error: ")
    assert len(result.stderr.strip().splitlines()) == 1


REPO = Path(__file__).resolve().parent.parent


def test_an_entry_about_the_acronym_ranks_above_one_that_mentions_it_in_an_alias() -> None:
    # customer-audit-logs has the alias "Can we export the audit trail to our own SIEM?";
    # siem's own question is about a SIEM.
    from qfill.library import load_library
    from qfill.matching import Matcher

    matcher = Matcher(load_library(REPO))
    found = matcher.search("Do you have a SIEM?", 3)
    assert [c.answer_id for c in found[:2]] == ["siem", "customer-audit-logs"]
    # Ranking only: a one-word question is not filled by the bonus.
    assert found[0].confidence < matcher.settings.matching.fill_threshold


def test_a_word_only_an_answer_uses_brings_its_entry_into_the_suggestions(
        run_cli: Callable[..., Any]) -> None:
    # "hotline" is in no question or alias, only in security-contact-phone's answer.
    result = run_cli("search", "Security hotline number and its hours?", "-l", REPO,
                     "--json")
    assert result.exit_code == 0, result.output
    ids = [c["answer_id"] for c in json.loads(result.stdout)["candidates"]]
    assert "security-contact-phone" in ids
