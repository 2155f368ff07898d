"""Verification before writing: an answer that is not fit to send goes to review."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from qfill.library import Library, load_library, read_library
from qfill.matching import Match, Matcher
from qfill.questionnaire import QuestionRow, TargetCell
from qfill.reasons import Reason
from qfill.verification import opening_short, verify_matches

TODAY = date(2026, 11, 29)


def texts(reasons: tuple[Reason, ...]) -> tuple[str, ...]:
    return tuple(map(str, reasons))


def library_with(write_library: Callable[..., Path], entry: str,
                 files: dict[str, str] | None = None) -> Library:
    root = write_library({"answers/a.yaml": "answers:\n" + entry, **(files or {})})
    return load_library(root)


def verified(library: Library, question: str, row: QuestionRow | None = None) -> Match:
    row = row or QuestionRow("Sheet", 2, question, targets=(TargetCell("answer", "C2"),))
    [match] = Matcher(library).match([row])
    assert match.status == "filled", match.reasons  # the question is the entry's own
    [result] = verify_matches([match], library, today=TODAY)
    return result


ENTRY = """
  - id: siem
    question: Do you use a SIEM to collect and analyse security logs?
    answer: Yes. All security logs go to our SIEM and are analysed around the clock.
    short: "Yes"
"""


def test_a_sound_answer_stays_filled(write_library: Callable[..., Path]) -> None:
    library = library_with(write_library, ENTRY + "    reviewed: 2026-06-01\n"
                           "    review_every: 365\n")
    match = verified(library, "Do you use a SIEM to collect and analyse security logs?")
    assert (match.status, match.reasons) == ("filled", ())


def test_a_stale_answer_goes_to_review(write_library: Callable[..., Path]) -> None:
    library = library_with(write_library, ENTRY + "    reviewed: 2025-01-10\n"
                           "    review_every: 365\n")
    match = verified(library, "Do you use a SIEM to collect and analyse security logs?")
    assert match.status == "review"
    assert texts(match.reasons) == ("stale-answer: 'siem' was due for review on 2026-01-10 "
                             "(reviewed 2025-01-10, every 365 days)",)
    assert match.best is not None and match.best.answer_id == "siem"  # still suggested


def test_expired_evidence_goes_to_review(write_library: Callable[..., Path]) -> None:
    library = library_with(
        write_library, ENTRY + "    evidence:\n      - path: evidence/soc2.pdf\n"
        "        valid_until: 2026-09-30\n", {"evidence/soc2.pdf": "report"})
    match = verified(library, "Do you use a SIEM to collect and analyse security logs?")
    assert match.status == "review"
    assert texts(match.reasons) == ("evidence-expired: 'siem' cites evidence/soc2.pdf, valid until "
                             "2026-09-30",)


def test_missing_evidence_goes_to_review(write_library: Callable[..., Path]) -> None:
    library = library_with(write_library, ENTRY + "    evidence: [evidence/gone.md]\n")
    match = verified(library, "Do you use a SIEM to collect and analyse security logs?")
    assert match.status == "review"
    assert texts(match.reasons) == ("evidence-missing: 'siem' cites evidence/gone.md, which is not "
                             "a file under evidence/",)


def test_present_evidence_and_urls_pass(write_library: Callable[..., Path]) -> None:
    library = library_with(
        write_library, ENTRY + "    evidence:\n      - evidence/logging.md\n"
        "      - https://trust.example.com/siem\n", {"evidence/logging.md": "# Logging"})
    match = verified(library, "Do you use a SIEM to collect and analyse security logs?")
    assert match.status == "filled"


def test_evidence_outside_the_evidence_folder_counts_as_missing(
        write_library: Callable[..., Path]) -> None:
    # load_library refuses such a library; verification must not trust one built otherwise.
    root = write_library({"answers/a.yaml": "answers:\n" + ENTRY
                          + "    evidence: [answers/a.yaml]\n"})
    library, _ = read_library(root)
    match = verified(library, "Do you use a SIEM to collect and analyse security logs?")
    assert match.status == "review"
    assert str(match.reasons[0]).startswith("evidence-missing: ")


def test_a_short_value_contradicting_the_answer_goes_to_review(
        write_library: Callable[..., Path]) -> None:
    library = library_with(write_library, """
  - id: byod
    question: Are personal devices allowed to access company data?
    answer: No. Only company-managed laptops can reach company systems.
    short: "Yes"
""")
    match = verified(library, "Are personal devices allowed to access company data?")
    assert match.status == "review"
    assert texts(match.reasons) == ("short-contradicts-answer: 'byod' has short \"Yes\" but its "
                             "answer opens with \"No\"",)


def test_opening_short_reads_the_first_word_only() -> None:
    assert opening_short("Yes. We do.") == "Yes"
    assert opening_short("No, never.") == "No"
    assert opening_short("Not applicable: we hold no card data.") == "N/A"
    assert opening_short("N/A - no such feature") == "N/A"
    assert opening_short("Nobody has access.") is None
    assert opening_short("Our policy says yes.") is None


def test_a_dropdown_that_cannot_take_the_answer_goes_to_review(
        write_library: Callable[..., Path]) -> None:
    library = library_with(write_library, """
  - id: card-data
    question: Do you store, process or transmit cardholder data?
    answer: Not applicable. We never handle card data.
    short: "N/A"
""")
    row = QuestionRow("Sheet", 5, "Do you store, process or transmit cardholder data?",
                      targets=(TargetCell("short", "C5", choices=("Yes", "No")),))
    match = verified(library, row.question, row)
    assert match.status == "review"
    assert texts(match.reasons) == ("dropdown-mismatch: the list in Sheet!C5 offers Yes, No, not "
                             "\"N/A\"",)


def test_review_rows_gain_the_reasons_and_unanswered_rows_are_untouched(
        write_library: Callable[..., Path]) -> None:
    library = library_with(write_library, ENTRY + "    reviewed: 2025-01-10\n"
                           "    review_every: 30\n")
    matches = Matcher(library).match([
        QuestionRow("S", 2, "Do you use a SIEM?",  # review: too short to be sure
                    targets=(TargetCell("answer", "C2"),)),
        QuestionRow("S", 3, "What is the maximum upload size?",
                    targets=(TargetCell("answer", "C3"),)),
    ])
    assert [m.status for m in matches] == ["review", "unanswered"]
    review, unanswered = verify_matches(matches, library, today=TODAY)
    assert review.status == "review"
    assert str(review.reasons[-1]).startswith("stale-answer: 'siem'")
    assert unanswered == matches[1]


def test_verify_and_plan_after_matching_decides_as_the_whole_pipeline(
        write_library: Callable[..., Path]) -> None:
    from qfill.answering import answer_questionnaire, verify_and_plan
    from qfill.questionnaire import FileFormat, Questionnaire
    from qfill.settings import Settings

    library = library_with(write_library, ENTRY)
    rows = (QuestionRow("Sheet", 2, "Do you use a SIEM to collect and analyse security logs?",
                        targets=(TargetCell("answer", "C2"),)),
            QuestionRow("Sheet", 3, "Do you use a SIEM to collect security logs?",
                        targets=(TargetCell("answer", "C3", current="Yes, Splunk."),)),
            QuestionRow("Sheet", 4, "Is there a fax machine policy?",
                        targets=(TargetCell("answer", "C4"),)))
    questionnaire = Questionnaire(Path("q.xlsx"), FileFormat.XLSX, rows)
    whole = answer_questionnaire(questionnaire, library, Settings(), today=TODAY)
    matches = Matcher(library).match(rows)
    after = verify_and_plan(questionnaire, matches, library, Settings(), today=TODAY)
    assert after == whole
    assert [m.status for m in after.matches] == ["filled", "prefilled", "unanswered"]
    assert [(w.ref, w.value) for w in after.plan.writes] == [
        ("C2", "Yes. All security logs go to our SIEM and are analysed around the clock.")]
