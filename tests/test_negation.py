"""Negation said in other words than "not": lack, avoid, fail to, skip, missing, free of.

A question that asks the opposite of an entry ("Do you lack cyber insurance?" against "Do
you carry cyber insurance?") reads almost the same to every scorer; only the negation
guard stands between it and a wrong Yes. These tests hold the thesaurus's ``negation:``
lexicon to the words a customer actually uses, in each inflection, and the workbook test
holds the whole run to what a customer receives: the yes/no cell left empty and the row
sent to a person with the reason ``negation``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.worksheet.datavalidation import DataValidation

from qfill.guards import check
from qfill.terms import shared_analyzer

REPO = Path(__file__).resolve().parent.parent
analyze = shared_analyzer()


def negation_reasons(question: str, entry: str) -> list[str]:
    found = check(analyze(question), analyze(entry), "entry", main=analyze(entry))
    return [r.message for r in found if r.code == "negation"]


@pytest.mark.parametrize(("text", "said"), [
    ("Do you lack cyber liability insurance?", ("lack",)),
    ("Does the company lack a documented business continuity plan?", ("lack",)),
    ("Is the vendor lacking a documented incident response plan?", ("lacking",)),
    ("Do you avoid encrypting customer data at rest?", ("avoid",)),
    ("Have you avoided penetration testing this year?", ("avoided",)),
    ("Do you fail to perform background checks on employees?", ("fail to",)),
    ("Has the vendor failed to notify customers of a breach?", ("failed to",)),
    ("Do you forgo background checks on employees before they join?", ("forgo",)),
    ("Do you skip security awareness training for employees?", ("skip",)),
    ("Are code reviews skipped for urgent changes?", ("skipped",)),
    ("Do you omit contractors from access reviews?", ("omit",)),
    ("Are vulnerability scans neglected on legacy systems?", ("neglected",)),
    ("Do you decline to sign customer NDAs?", ("decline to",)),
    ("Do you refrain from selling personal data to third parties?", ("refrain from",)),
    ("Do staff abstain from using personal email for work?", ("abstain from",)),
    ("Is multi-factor authentication missing for workforce access?", ("missing",)),
    ("Is multi-factor authentication absent for workforce access?", ("absent",)),
    ("Is MFA missing?", ("missing",)),
    ("Have you been free of data breaches for the past three years?", ("free of",)),
    ("Is the product free from known critical vulnerabilities?", ("free from",)),
    ("Are any production systems exempt from patching?", ("exempt from",)),
    ("Are users unable to reset their own passwords?", ("unable to",)),
    ("Is customer data not encrypted at rest?", ("not",)),
    ("Is nothing logged for administrator actions?", ("nothing",)),
])
def test_negating_words_are_found_in_every_inflection(text: str, said: tuple[str, ...]) -> None:
    analysis = analyze(text)
    assert analysis.negation == said
    assert analysis.negators == len(said)
    # Polarity, not topic: the negating word is not a term to match on.
    assert said[0].split()[0] not in analysis.text.split()


@pytest.mark.parametrize("text", [
    "Are missing security patches tracked until they are applied?",  # describes a noun
    "How do you handle missing or incomplete records?",
    "Has your company ever failed a PCI audit?",  # "failed" without "to"
    "Are failed sign-in attempts shown to tenant administrators?",
    "Is risk avoidance part of your risk treatment plan?",  # a noun, not the verb
    "Is failover to the secondary region tested?",
    "Is the service free to use for students?",  # "free" is negating only as "free of"
    "For customers lacking SSO, does your application support MFA?",  # scope clause
    "Where MFA is missing, is access restricted by IP address?",
    "Include all systems, including but not limited to servers.",
])
def test_words_that_only_look_negative_do_not_negate(text: str) -> None:
    assert analyze(text).negation == ()


def test_a_statement_opening_with_no_is_still_one_negation() -> None:
    # Answers and drafts say "No production data is used ..."; that stays a negation.
    analysis = analyze("No production data is used in development or test environments.")
    assert analysis.negation == ("no",)
    assert analysis.terms[:2] == ("product", "data")


@pytest.mark.parametrize(("question", "entry", "message"), [
    ("Do you lack cyber liability insurance?", "Do you carry cyber liability insurance?",
     "the question says 'lack'; 'entry' is not negated"),
    ("Do you carry cyber liability insurance?", "Do you lack cyber liability insurance?",
     "'entry' says 'lack'; the question is not negated"),
    ("Have you been free of data breaches for the past three years?",
     "Have you had a data breach in the past three years?",
     "the question says 'free of'; 'entry' is not negated"),
    ("Is administrative access never granted without MFA?",
     "Is administrative access granted without MFA?",
     "the question says 'never', 'without', 'entry' says 'without'"),
])
def test_either_side_negated_alone_is_opposite(question: str, entry: str,
                                               message: str) -> None:
    assert negation_reasons(question, entry) == [message]


@pytest.mark.parametrize(("question", "entry"), [
    ("Do you lack a documented business continuity plan?",
     "Do you operate without a documented business continuity plan?"),
    ("Do you refrain from selling personal data to third parties?",
     "Is personal data never sold to third parties?"),
    ("Is MFA missing for any administrator account?",
     "Are there administrator accounts without MFA?"),
    ("For customers not using SSO, is MFA available?", "Is MFA available to customers?"),
    ("For customers lacking SSO, is MFA available?", "Is MFA available to customers?"),
])
def test_both_negated_or_negated_only_in_scope_agree(question: str, entry: str) -> None:
    assert negation_reasons(question, entry) == []


def test_prohibiting_is_the_forbid_family_not_a_second_negation() -> None:
    assert negation_reasons("Do you prohibit shared administrator accounts?",
                            "Do you use shared administrator accounts?") == [
        "only the question says 'prohibit'"]
    assert negation_reasons("Do you refuse law enforcement requests without a court order?",
                            "Is customer data given to law enforcement without a court "
                            "order?") == ["only the question says 'refuse'"]


NEGATED = [
    "Do you lack cyber liability insurance?",
    "Do you avoid encrypting customer data at rest?",
    "Do you fail to perform background checks on employees before they join?",
    "Do you skip security awareness training for employees?",
    "Do you refrain from selling personal data to third parties?",
    "Is multi-factor authentication missing for workforce access?",
    "Do you forgo background checks on employees before they join?",
    "Do you lack a documented business continuity plan?",
    "Is multi-factor authentication absent for workforce access?",
    "Have you been free of data breaches for the past three years?",
]
PLAIN = {  # the same library, asked the plain way: filled with the entry's own Yes/No
    "Do you carry cyber liability insurance?": "Yes",
    "Is production customer data used in development or test environments?": "No",
}


def test_negated_questions_leave_the_yes_no_cell_empty_and_go_to_review(
        run_cli: Callable[..., Any], tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Security"
    sheet.append(["Question", "Yes/No", "Comments"])
    for question in [*NEGATED, *PLAIN]:
        sheet.append([question, None, None])
    choices = DataValidation(type="list", formula1='"Yes,No"')
    sheet.add_data_validation(choices)
    choices.add("B2:B20")
    book.save(tmp_path / "q.xlsx")

    result = run_cli("answer", tmp_path / "q.xlsx", "--library", REPO, "--out",
                     tmp_path / "out.xlsx", "--report", tmp_path / "r.json",
                     "--today", "2026-11-29")
    assert result.exit_code == 0, result.output
    rows = {row["question"]: row for row in
            json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["rows"]}
    written = openpyxl.load_workbook(tmp_path / "out.xlsx")["Security"]
    for number, question in enumerate(NEGATED, start=2):
        row = rows[question]
        assert (row["status"], row["reason_codes"][:1]) == ("review", ["negation"]), row
        assert row["reasons"][0].startswith("negation: the question says '"), row
        assert written[f"B{number}"].value is None and written[f"C{number}"].value is None
    for number, (question, short) in enumerate(PLAIN.items(), start=2 + len(NEGATED)):
        assert rows[question]["status"] == "filled", rows[question]
        assert written[f"B{number}"].value == short
        assert written[f"C{number}"].value.startswith(f"{short}.")
