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
from qfill.questionnaire import Questionnaire, QuestionRow, SheetLayout, TargetCell
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
        _row("Privacy", 4, "=HYPERLINK(\"http://x\") what is your hotline?", "PR-1"),
    ]
    matches = (
        Match(rows[0], "filled", (Candidate("mfa-workforce", 0.97),
                                  Candidate("mfa-customers", 0.61))),
        Match(rows[1], "review", (Candidate("mfa-customers", 0.74),
                                  Candidate("mfa-workforce", 0.7)),
              (reason("close-runner-up", "'mfa-workforce' scores 0.70"),)),
        Match(rows[2], "unanswered", (Candidate("mfa-workforce", 0.2),),
              (reason("low-score", "no answer fits"),)),
        Match(rows[3], "filled", (Candidate("formula-like", 0.93),)),
    )
    questionnaire = Questionnaire(Path("customer.xlsx"), "xlsx", tuple(rows), sheets=(
        SheetLayout("Cover", "skipped", reason="no question header found"),
        SheetLayout("Security", "questions", header_row=6, question_rows=3),
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
    assert data["summary"] == {"rows": 4, "filled": 2, "review": 1, "unanswered": 1}
    assert [(r["sheet"], r["row"]) for r in data["rows"]] == [
        ("Security", 7), ("Security", 8), ("Security", 9), ("Privacy", 4)]
    first = data["rows"][0]
    assert list(first) == ["sheet", "row", "question_id", "question", "status", "answer_id",
                           "confidence", "cells", "candidates", "reasons", "reason_codes",
                           "passages", "draft"]
    assert (first["passages"], first["draft"]) == ([], None)
    assert first["cells"] == {"short": "C7", "answer": "D7"}
    assert first["candidates"] == [{"answer_id": "mfa-customers", "confidence": 0.61}]
    review = data["rows"][1]
    assert (review["status"], review["answer_id"], review["cells"]) == (
        "review", "mfa-customers", {})
    assert review["reasons"] == ["close-runner-up: 'mfa-workforce' scores 0.70"]
    assert review["reason_codes"] == ["close-runner-up"]
    assert data["rows"][2]["answer_id"] is None
    assert data["skipped_sheets"] == [{"sheet": "Cover", "reason": "no question header found"}]


def test_markdown_and_html_keep_untrusted_text_inert() -> None:
    markdown = render_markdown(_report())
    assert "<script>" not in markdown and "&lt;script&gt;" in markdown
    assert "[dedicated](javascript" not in markdown and "\\[dedicated\\]" in markdown
    html = render_html(_report())
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_csv_neutralises_formula_triggers() -> None:
    rows = list(csv.reader(io.StringIO(render_csv(_report()))))
    privacy = next(r for r in rows if r[0] == "Privacy")
    assert privacy[3].startswith("'=HYPERLINK")


def test_unknown_report_suffix_is_an_output_error() -> None:
    assert set(REPORT_BY_SUFFIX) >= {".json", ".md", ".csv", ".html"}
    with pytest.raises(OutputError, match=r"report.txt: unknown report format '.txt'; use one "
                                          r"of \.csv, \.htm, \.html, \.json, \.markdown, \.md"):
        renderer_for(Path("report.txt"))
