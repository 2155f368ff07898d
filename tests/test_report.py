"""The report is the product a person reads: golden files for every format, and escaping."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from qfill.answering import AnswerRun
from qfill.errors import OutputError
from qfill.filling import plan_fills
from qfill.library import Answer, Library
from qfill.matching import Candidate, Match
from qfill.questionnaire import FileFormat, Questionnaire, QuestionRow, SheetLayout, TargetCell
from qfill.reasons import reason
from qfill.render.report import (
    REPORT_BY_SUFFIX,
    render_csv,
    render_html,
    render_json,
    render_markdown,
    render_review_file,
    renderer_for,
)
from qfill.report import build_report

GOLDEN = Path(__file__).parent / "golden" / "report"

LIBRARY = Library(Path("library"), (
    Answer("mfa-workforce", "Is MFA required for all workforce access?", "Yes. Okta with "
           "WebAuthn.", short="Yes"),
    Answer("mfa-customers", "Can customers enforce MFA for their users?", "Yes. Tenant "
           "admins can require it.", short="Yes"),
    Answer("formula-like", "What is your security hotline?", "+44 20 7946 0000, 24x7.",
           short=None),
))


def _row(sheet: str, row: int, question: str, qid: str | None = None) -> QuestionRow:
    return QuestionRow(sheet, row, question, qid, targets=(
        TargetCell("short", f"C{row}", choices=("Yes", "No", "N/A")),
        TargetCell("answer", f"D{row}")))


def _run() -> AnswerRun:
    rows = [
        _row("Security", 7, "Do you require multi-factor authentication for staff?", "SC-01"),
        _row("Security", 8, "Can our admins force MFA on <script>alert(1)</script> users?",
             "SC-02"),
        _row("Security", 9, "Do you keep a [dedicated](javascript:alert(1)) guard | on site?"),
        QuestionRow("Security", 10, "Is MFA enforced for A&A-01.2 access?", "A&A-01.2",
                    targets=(TargetCell("short", "C10", current="No",
                                        choices=("Yes", "No", "N/A")),
                             TargetCell("answer", "D10", current="Only for admins"))),
        _row("Privacy", 4, "=HYPERLINK(\"http://x\") what is your hotline?", "PR-1"),
    ]
    matches = (
        Match(rows[0], "filled", (Candidate("mfa-workforce", 0.97),
                                  Candidate("mfa-customers", 0.61))),
        Match(rows[1], "review", (Candidate("mfa-customers", 0.74),
                                  Candidate("mfa-workforce", 0.7, "meaning", (
                                      reason("qualifier-mismatch", "'our admins' vs "
                                             "'workforce' (population)"),))),
              (reason("close-runner-up", "'mfa-workforce' scores 0.70 against 0.74 for "
                      "'mfa-customers'"),)),
        Match(rows[2], "unanswered", (Candidate("mfa-workforce", 0.19),),
              (reason("low-score", "the best match, 'mfa-workforce', scores 0.19, below "
                      "0.20"),)),
        Match(rows[3], "prefilled", (Candidate("mfa-workforce", 1.0, "id"),)),  # type: ignore[arg-type]
        Match(rows[4], "filled", (Candidate("formula-like", 0.93),)),
    )
    questionnaire = Questionnaire(Path("customer.xlsx"), FileFormat.XLSX, tuple(rows), sheets=(
        SheetLayout("Cover", "skipped", reason="no question header found"),
        SheetLayout("Security", "questions", header_row=6, question_rows=4),
        SheetLayout("Privacy", "questions", header_row=3, question_rows=1)))
    return AnswerRun(questionnaire, matches, plan_fills(matches, LIBRARY))


def _report():
    return build_report(_run(), LIBRARY, questionnaire_name="customer.xlsx",
                        output_name="customer.filled.xlsx", library_name=".")


@pytest.mark.parametrize(("name", "render"), [
    ("report.json", render_json), ("report.md", render_markdown), ("report.csv", render_csv),
    ("report.html", render_html), ("review.csv", render_review_file)])
def test_golden(name, render, update_golden: bool) -> None:
    text = render(_report())
    path = GOLDEN / name
    if update_golden:
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def test_json_follows_the_contract() -> None:
    data = json.loads(render_json(_report()))
    assert data["summary"] == {"rows": 5, "filled": 2, "review": 1, "unanswered": 1,
                               "prefilled": 1}
    assert [(r["sheet"], r["row"]) for r in data["rows"]] == [
        ("Security", 7), ("Security", 8), ("Security", 9), ("Security", 10), ("Privacy", 4)]
    first = data["rows"][0]
    # The contract's keys first, in its order; added keys after them.
    assert list(first)[:11] == ["sheet", "row", "question_id", "question", "status",
                                "answer_id", "confidence", "cells", "candidates", "reasons",
                                "reason_codes"]
    assert first["cells"] == {"short": "C7", "answer": "D7"}
    assert first["written"] == {"C7": "Yes", "D7": "Yes. Okta with WebAuthn."}
    assert (first["route"], first["action"]) == ("wording", "check")
    assert first["candidates"][0]["answer_id"] == "mfa-customers"  # the runner-up
    assert first["runner_up"] == {"answer_id": "mfa-customers", "confidence": 0.61}
    assert first["entry"]["question"] == "Is MFA required for all workforce access?"
    review = data["rows"][1]
    assert (review["status"], review["answer_id"], review["cells"], review["written"]) == (
        "review", "mfa-customers", {}, {})
    assert review["candidates"][0] == {
        "answer_id": "mfa-customers", "confidence": 0.74, "route": "wording",
        "question": "Can customers enforce MFA for their users?", "short": "Yes",
        "answer": "Yes. Tenant admins can require it.", "reasons": []}
    assert review["candidates"][1]["route"] == "meaning"
    assert review["candidates"][1]["reasons"] == [
        "qualifier-mismatch: 'our admins' vs 'workforce' (population)"]
    assert review["reasons"] == [
        "close-runner-up: 'mfa-workforce' scores 0.70 against 0.74 for 'mfa-customers'"]
    assert review["reason_codes"] == ["close-runner-up"]
    assert data["rows"][2]["answer_id"] is None
    prefilled = data["rows"][3]
    assert (prefilled["action"], prefilled["existing"]) == (
        "compare", {"C10": "No", "D10": "Only for admins"})
    assert data["skipped_sheets"] == [{"sheet": "Cover", "reason": "no question header found"}]
    assert data["sheets"] == [
        {"sheet": "Security", "rows": 4, "filled": 1, "review": 1, "unanswered": 1,
         "prefilled": 1},
        {"sheet": "Privacy", "rows": 1, "filled": 1, "review": 0, "unanswered": 0,
         "prefilled": 0}]


def test_confidence_is_shown_rounded_down_so_thresholds_read_true() -> None:
    from qfill.confidence import confidence_text, shown_confidence

    assert [confidence_text(v) for v in (0.899999, 0.896, 0.9, 0.29, 1.0, 0.0)] == [
        "0.89", "0.89", "0.90", "0.29", "1.00", "0.00"]
    assert shown_confidence(0.896) < 0.90 <= shown_confidence(0.90)


def test_markdown_and_html_keep_untrusted_text_inert() -> None:
    from markdown_it import MarkdownIt

    markdown = render_markdown(_report())
    assert "<script>" not in markdown and "\\<script\\>" in markdown
    assert "[dedicated](javascript" not in markdown and "\\[dedicated\\]" in markdown
    # The raw Markdown reads as the text itself: no entities for a reader to decode.
    assert "A&A-01.2" in markdown and "&amp;" not in markdown
    rendered = MarkdownIt("commonmark").enable("table").render(markdown)
    assert "<script>" not in rendered and "&lt;script&gt;alert(1)" in rendered
    assert 'href="javascript' not in rendered and "A&amp;A-01.2" in rendered
    html = render_html(_report())
    assert "<script>alert" not in html and "&lt;script&gt;" in html


def test_csv_neutralises_formula_triggers() -> None:
    rows = list(csv.reader(io.StringIO(render_csv(_report()))))
    privacy = next(r for r in rows if r[0] == "Privacy")
    assert privacy[3].startswith("'=HYPERLINK")


def test_unknown_report_suffix_is_an_output_error() -> None:
    assert set(REPORT_BY_SUFFIX) >= {".json", ".md", ".csv", ".html"}
    with pytest.raises(OutputError, match=r"report.txt: unknown report format '.txt'; use one "
                                          r"of \.csv, \.htm, \.html, \.json, \.markdown, \.md"):
        renderer_for(Path("report.txt"))


def test_a_threshold_message_reads_true_as_printed() -> None:
    from qfill.matching import close_runner_up, low_score

    weak = low_score(Candidate("edr", 0.8996), 0.90)
    assert weak is not None and str(weak) == (
        "low-score: the best match, 'edr', scores 0.89, below 0.90")
    tied = close_runner_up(Candidate("a", 0.9299), Candidate("b", 0.8751), 0.06, None)
    assert tied is not None and str(tied) == (
        "close-runner-up: 'b' scores 0.87 against 0.92 for 'a'")
