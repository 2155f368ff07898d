"""Rows a sheet holds are never dropped silently, and a guide is not a questionnaire.

Built workbooks, answered end to end: a row whose answer cell is a formula and a row
whose question cell is a formula with no saved value are reported for review with the
``formula-cell`` reason and never written; an instructions sheet with an example line is
skipped with its reason, and read when the user names it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
from answer_fixtures import answer_built, rows_by_place
from openpyxl import Workbook

LIBRARY = """
owner: security@example.com
answers:
  - id: encryption-at-rest
    question: Is customer data encrypted at rest?
    answer: Yes. AES-256 through AWS KMS on every data store.
    short: "Yes"
  - id: cyber-insurance
    question: Do you have cyber liability insurance?
    answer: Yes. We hold a cyber liability policy of 5 million USD.
    short: "Yes"
"""
ENC = "Yes. AES-256 through AWS KMS on every data store."


def answer(run_cli: Callable[..., Any], write_library: Callable[..., Path], path: Path,
           *extra: str) -> tuple[dict[str, Any], openpyxl.Workbook]:
    return answer_built(run_cli, write_library, path, LIBRARY, *extra)


by_row = rows_by_place


def test_formula_rows_are_reported_for_review_and_never_written(
        tmp_path: Path, run_cli, write_library) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "Security"
    ws.append(["ID", "Question", "Yes/No", "Comments"])
    ws.append(["Q1", "Is customer data encrypted at rest?"])
    ws.append(["Q2", "=cmd|' /C calc'!A0"])  # stored as a formula, no saved value
    ws.append(["Q3", "Do you have cyber liability insurance?", "=Summary!B2"])
    ws.append(["Q4", "Is customer data encrypted at rest?", None, "=Notes!A1"])
    wb.save(tmp_path / "q.xlsx")
    report, out = answer(run_cli, write_library, tmp_path / "q.xlsx")
    rows = by_row(report)
    assert set(rows) == {("Security", n) for n in (2, 3, 4, 5)}
    assert rows[("Security", 2)]["status"] == "filled"
    question = rows[("Security", 3)]
    assert (question["status"], question["question_id"], question["question"]) == (
        "review", "Q2", "=cmd|' /C calc'!A0")
    assert question["reason_codes"] == ["formula-cell"]
    assert "Security!B3 is a formula with no saved value" in question["reasons"][0]
    computed = rows[("Security", 4)]
    assert (computed["status"], computed["reason_codes"]) == ("review", ["formula-cell"])
    assert "Security!C4 holds a formula" in computed["reasons"][0]
    assert computed["candidates"][0]["answer_id"] == "cyber-insurance"
    # The yes/no cell is the row's own answer cell; a formula in Comments alone does not
    # hold the row, and that formula is kept.
    assert rows[("Security", 5)]["status"] == "filled"
    assert report["summary"]["review"] == 2
    sheet = out["Security"]
    assert [sheet[f"{c}2"].value for c in "CD"] == ["Yes", ENC]
    assert [sheet[f"{c}3"].value for c in "BCD"] == ["=cmd|' /C calc'!A0", None, None]
    assert [sheet[f"{c}4"].value for c in "CD"] == ["=Summary!B2", None]
    assert [sheet[f"{c}5"].value for c in "CD"] == ["Yes", "=Notes!A1"]


def test_formula_rows_show_in_the_markdown_report(tmp_path: Path, run_cli,
                                                 write_library) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["Question", "Answer"])
    ws.append(["Do you have cyber liability insurance?", "=Other!B2"])
    ws.append(["Is customer data encrypted at rest?"])
    wb.save(tmp_path / "q.xlsx")
    library = write_library({"answers/a.yaml": LIBRARY})
    report = tmp_path / "report.md"
    result = run_cli("answer", tmp_path / "q.xlsx", "-l", library, "-o", tmp_path / "o.xlsx",
                     "-r", report, "--today", "2026-11-29")
    assert result.exit_code == 0, result.output
    text = report.read_text(encoding="utf-8")
    assert "Do you have cyber liability insurance?" in text
    assert "(`formula-cell`)" in text


def test_a_sheet_of_only_computed_rows_is_skipped_with_its_reason(
        tmp_path: Path, run_cli, write_library) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "Security"
    ws.append(["Question", "Answer"])
    ws.append(["Is customer data encrypted at rest?"])
    summary = wb.create_sheet("Copy")
    summary.append(["Question", "Answer"])
    summary.append(["Is customer data encrypted at rest?", "=Security!B2"])
    wb.save(tmp_path / "q.xlsx")
    report, _out = answer(run_cli, write_library, tmp_path / "q.xlsx")
    assert set(by_row(report)) == {("Security", 2)}
    skipped = {s["sheet"]: s["reason"] for s in report["skipped_sheets"]}
    assert "every answer cell is a formula" in skipped["Copy"]


def instructions_workbook(path: Path, sheet_name: str = "Instructions") -> None:
    wb = Workbook()
    howto = wb.active
    howto.title = sheet_name
    howto["A1"] = "How to complete this questionnaire"
    howto["A2"] = ("Answer every question on the Security sheet. Choose Yes or No from the "
                   "list, and explain your answer in the Comments column.")
    howto["A3"] = ("Attach evidence where asked, and return the completed workbook to your "
                   "procurement contact before the due date.")
    howto["A5"] = "Example:"
    howto.append(["Question", "Yes/No", "Comments"])
    howto.append(["Do you have cyber liability insurance?"])
    ws = wb.create_sheet("Security")
    ws.append(["ID", "Question", "Yes/No", "Comments"])
    ws.append(["S1", "Is customer data encrypted at rest?"])
    wb.save(path)


def test_an_instructions_sheet_with_an_example_line_is_skipped_with_its_reason(
        tmp_path: Path, run_cli, write_library) -> None:
    instructions_workbook(tmp_path / "q.xlsx", "Read me first")
    report, out = answer(run_cli, write_library, tmp_path / "q.xlsx")
    assert {key: r["status"] for key, r in by_row(report).items()} == {
        ("Security", 2): "filled"}
    assert report["summary"]["unanswered"] == 0
    skipped = {s["sheet"]: s["reason"] for s in report["skipped_sheets"]}
    assert skipped["Read me first"].startswith(
        "instructions sheet: prose with an example at row 7")
    assert [out["Read me first"][f"{c}7"].value for c in "BC"] == [None, None]
    assert out["Security"]["C2"].value == "Yes"


def test_an_instructions_sheet_named_with_sheet_is_read(tmp_path: Path, run_cli,
                                                       write_library) -> None:
    instructions_workbook(tmp_path / "q.xlsx")
    report, out = answer(run_cli, write_library, tmp_path / "q.xlsx", "--sheet",
                         "Instructions")
    assert {key: r["status"] for key, r in by_row(report).items()} == {
        ("Instructions", 7): "filled"}
    assert out["Instructions"]["B7"].value == "Yes"


def test_a_sheet_named_like_a_guide_with_many_questions_is_read(
        tmp_path: Path, run_cli, write_library) -> None:
    # A general-information sheet named "Start here / Guidance" asks real questions.
    wb = Workbook()
    ws = wb.active
    ws.title = "Guidance and general"
    ws["A1"] = ("Answer each question below; these general questions come before the "
                "security sections of the questionnaire.")
    ws.append(["Question", "Yes/No", "Comments"])
    for _ in range(4):
        ws.append(["Is customer data encrypted at rest?"])
    wb.save(tmp_path / "q.xlsx")
    report, _out = answer(run_cli, write_library, tmp_path / "q.xlsx")
    assert report["summary"]["filled"] == 4
    assert report["skipped_sheets"] == []
