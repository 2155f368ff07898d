"""Bespoke layouts no template names, answered end to end: every row right and complete.

Each workbook is built the way customers send them (a Y/N column beside one comments
column, two header rows under a merged group, ids inside the question text, two tables
on one sheet, X-mark columns, a cover and an instructions sheet, a hidden list sheet, a
`Compliant?` column known by its list, the buyer's own column). Each test asserts every
answer cell of the written copy and every row of the report.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl import Workbook
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

LIBRARY = """
owner: security@example.com
answers:
  - id: mfa-workforce
    question: Is multi-factor authentication required for all workforce access?
    answer: Yes. Every employee signs in through Okta with a phishing-resistant factor.
    short: "Yes"
    evidence:
      - evidence/access-control-policy.md
    refs: {custom: [A.1.2]}
  - id: encryption-at-rest
    question: Is customer data encrypted at rest?
    answer: Yes. AES-256 through AWS KMS on every data store.
    short: "Yes"
    evidence:
      - url: https://trust.example.com/encryption
        title: Encryption overview
  - id: byod
    question: Are personal devices allowed to access company data?
    answer: No. Only managed laptops can reach company systems.
    short: "No"
    refs: {custom: [A.1.3]}
  - id: pen-test
    question: Do you run annual penetration tests by an independent firm?
    answer: Yes. An independent firm tests the platform every year.
    short: "Yes"
"""
EVIDENCE = {"evidence/access-control-policy.md": "# Access Control Policy\n\nBody.\n"}
MFA = "Yes. Every employee signs in through Okta with a phishing-resistant factor."
ENC = "Yes. AES-256 through AWS KMS on every data store."
BYOD = "No. Only managed laptops can reach company systems."
PEN = "Yes. An independent firm tests the platform every year."
ACP = "Access Control Policy (available on request)"
ENC_DOC = "Encryption overview (https://trust.example.com/encryption)"


def dropdown(ws: Worksheet, formula: str, cells: str) -> None:
    dv = DataValidation(type="list", formula1=formula)
    ws.add_data_validation(dv)
    dv.add(cells)


def answer(run_cli: Callable[..., Any], write_library: Callable[..., Path], path: Path,
           *extra: str) -> tuple[dict[tuple[str, int], dict[str, Any]], openpyxl.Workbook]:
    library = write_library({"answers/a.yaml": LIBRARY, **EVIDENCE})
    out, report = path.with_name("out.xlsx"), path.with_name("report.json")
    result = run_cli("answer", path, "-l", library, "-o", out, "-r", report, "--today",
                     "2026-11-29", *extra)
    assert result.exit_code == 0, result.output
    data = json.loads(report.read_text(encoding="utf-8"))
    return {(r["sheet"], r["row"]): r for r in data["rows"]}, openpyxl.load_workbook(out)


def statuses(rows: dict[tuple[str, int], dict[str, Any]]) -> dict[tuple[str, int], str]:
    return {key: row["status"] for key, row in rows.items()}


def test_a_yes_no_column_beside_one_comments_column(tmp_path: Path, run_cli,
                                                    write_library) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "Security"
    ws.append(["#", "Question", "Response (Y/N)", "Comments / Evidence"])
    ws.append([1, "Do you require multi-factor authentication for all workforce access?"])
    ws.append([2, "Is all customer data encrypted at rest?"])
    ws.append([3, "Are personal devices allowed to access company data?"])
    dropdown(ws, '"Y,N"', "C2:C4")
    wb.save(tmp_path / "q.xlsx")
    rows, out = answer(run_cli, write_library, tmp_path / "q.xlsx")
    sheet = out["Security"]
    assert statuses(rows) == {("Security", 2): "filled", ("Security", 3): "filled",
                              ("Security", 4): "filled"}
    assert [sheet[f"C{n}"].value for n in (2, 3, 4)] == ["Y", "Y", "N"]
    # No free-text answer column: the comments column takes the answer, then the evidence.
    assert sheet["D2"].value == f"{MFA}\n\nEvidence: {ACP}"
    assert sheet["D3"].value == f"{ENC}\n\nEvidence: {ENC_DOC}"
    assert sheet["D4"].value == BYOD


def test_an_evidence_ref_column_gets_the_evidence_not_the_row_id(tmp_path: Path, run_cli,
                                                                  write_library) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "Controls"
    ws.append(["#", "Control Question", "Supplier Answer (Y/N/NA)", "Explanation",
               "Evidence Ref", "Reviewer Notes"])
    ws.append(["1.1", "Is MFA required for all workforce access?"])
    ws.append(["1.2", "Is customer data encrypted at rest?"])
    dropdown(ws, '"Y,N,NA"', "C2:C3")
    wb.save(tmp_path / "q.xlsx")
    rows, out = answer(run_cli, write_library, tmp_path / "q.xlsx")
    sheet = out["Controls"]
    assert statuses(rows) == {("Controls", 2): "filled", ("Controls", 3): "filled"}
    assert rows[("Controls", 2)]["question_id"] == "1.1"
    assert [sheet[f"{c}2"].value for c in "CDEF"] == ["Y", MFA, ACP, None]
    assert [sheet[f"{c}3"].value for c in "CDEF"] == ["Y", ENC, ENC_DOC, None]


def test_two_header_rows_under_a_merged_group_title(tmp_path: Path, run_cli,
                                                    write_library) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "Vendor"
    ws["A1"] = "Acme Corp supplier assessment"
    ws.append([])
    ws.append(["ID", "Question", "Supplier response", None, "Reviewer notes"])
    ws.merge_cells("C3:D3")
    ws.append([None, None, "Yes/No", "Explanation", None])
    ws.append(["V-1", "Is customer data encrypted at rest?"])
    ws.append(["V-2", "Do you run annual penetration tests by an independent firm?"])
    dropdown(ws, '"Yes,No,N/A"', "C5:C6")
    wb.save(tmp_path / "q.xlsx")
    rows, out = answer(run_cli, write_library, tmp_path / "q.xlsx")
    sheet = out["Vendor"]
    assert statuses(rows) == {("Vendor", 5): "filled", ("Vendor", 6): "filled"}
    assert (sheet["C5"].value, sheet["D5"].value) == ("Yes", ENC)
    assert (sheet["C6"].value, sheet["D6"].value) == ("Yes", PEN)
    assert sheet["E5"].value is None and sheet["E6"].value is None  # the reviewer's column


def test_ids_inside_the_question_text_still_need_agreeing_words(
        tmp_path: Path, run_cli, write_library) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "Controls"
    ws.append(["Question", "Answer (Y/N)", "Details"])
    ws.append(["A.1.2 Is MFA required for all workforce access to systems?"])
    ws.append(["A.1.3 Are personal devices allowed to access company data?"])
    ws.append(["A.1.4 Do you accept unlimited liability for any breach?"])
    ws.append(["A.1.5 Is customer data encrypted at rest?"])
    wb.save(tmp_path / "q.xlsx")
    rows, out = answer(run_cli, write_library, tmp_path / "q.xlsx")
    sheet = out["Controls"]
    assert [rows[("Controls", n)]["question_id"] for n in (2, 3, 4, 5)] == [
        "A.1.2", "A.1.3", "A.1.4", "A.1.5"]
    assert statuses(rows) == {("Controls", 2): "filled", ("Controls", 3): "filled",
                              ("Controls", 4): "unanswered", ("Controls", 5): "filled"}
    assert (sheet["B2"].value, sheet["C2"].value) == ("Yes", MFA)
    assert (sheet["B3"].value, sheet["C3"].value) == ("No", BYOD)
    assert (sheet["B4"].value, sheet["C4"].value) == (None, None)
    assert (sheet["B5"].value, sheet["C5"].value) == ("Yes", ENC)


def test_two_tables_on_one_sheet_with_different_columns(tmp_path: Path, run_cli,
                                                        write_library) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "Assessment"
    ws.append(["Ref", "Question", "Yes/No", "Comments"])
    ws.append(["1.1", "Is customer data encrypted at rest?"])
    ws.append(["1.2", "Are personal devices allowed to access company data?"])
    ws.append([])
    ws.append(["Ref", "Requirement", "Response", "Evidence"])
    ws.append(["2.1", "Describe how multi-factor authentication is enforced for workforce "
               "access."])
    ws.append(["2.2", "Do you run annual penetration tests by an independent firm?"])
    dropdown(ws, '"Yes,No"', "C2:C3")
    wb.save(tmp_path / "q.xlsx")
    rows, out = answer(run_cli, write_library, tmp_path / "q.xlsx")
    sheet = out["Assessment"]
    assert (sheet["C2"].value, sheet["D2"].value) == ("Yes", ENC)
    assert (sheet["C3"].value, sheet["D3"].value) == ("No", BYOD)
    # The second table has no yes/no column: the narrative goes to its response column.
    assert (sheet["C7"].value, sheet["D7"].value) == (PEN, None)
    described = rows[("Assessment", 6)]
    assert described["status"] == "review"  # a description, and the entry says "Yes." first
    assert "form-mismatch" in described["reason_codes"]
    assert sheet["C6"].value is None and sheet["D6"].value is None
    assert statuses(rows)[("Assessment", 7)] == "filled"


def test_x_mark_columns(tmp_path: Path, run_cli, write_library) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "Checklist"
    ws.append(["ID", "Question", "Yes", "No", "N/A", "Notes"])
    ws.append(["C-1", "Is customer data encrypted at rest?"])
    ws.append(["C-2", "Are personal devices allowed to access company data?"])
    wb.save(tmp_path / "q.xlsx")
    rows, out = answer(run_cli, write_library, tmp_path / "q.xlsx")
    sheet = out["Checklist"]
    assert statuses(rows) == {("Checklist", 2): "filled", ("Checklist", 3): "filled"}
    assert [sheet[f"{c}2"].value for c in "CDE"] == ["X", None, None]
    assert [sheet[f"{c}3"].value for c in "CDE"] == [None, "X", None]
    assert (sheet["F2"].value, sheet["F3"].value) == (ENC, BYOD)


def test_cover_instructions_hidden_lists_a_compliance_column_and_the_buyers_column(
        tmp_path: Path, run_cli, write_library) -> None:
    wb = Workbook()
    cover = wb.active
    cover.title = "Cover"
    cover["A1"] = "Supplier Security Questionnaire 2026"
    cover["A3"] = "Supplier name"
    cover["A4"] = "Date completed"
    howto = wb.create_sheet("Instructions")
    howto["A1"] = "Instructions"
    howto["A2"] = "Answer every question in the Supplier Response column."
    ws = wb.create_sheet("Questions")
    ws.append(["No.", "Question", "Compliant?", "Supplier Response", "Supporting Documentation",
               "Buyer Notes", "Score"])
    ws.append(["Q1", "Is multi-factor authentication required for all workforce access?"])
    ws.append(["Q2", "Are personal devices allowed to access company data?"])
    ws.append(["Q3", "Do you run annual penetration tests by an independent firm?", None,
               "Yes, see attached", None, "Checked last year", 5])
    lists = wb.create_sheet("Lists")
    for n, value in enumerate(["Yes", "No", "Partial", "N/A"], start=1):
        lists[f"A{n}"] = value
    lists.sheet_state = "hidden"
    dropdown(ws, "Lists!$A$1:$A$4", "C2:C4")
    wb.save(tmp_path / "q.xlsx")
    rows, out = answer(run_cli, write_library, tmp_path / "q.xlsx")
    sheet = out["Questions"]
    assert set(rows) == {("Questions", 2), ("Questions", 3), ("Questions", 4)}
    assert statuses(rows) == {("Questions", 2): "filled", ("Questions", 3): "filled",
                              ("Questions", 4): "prefilled"}
    assert [sheet[f"{c}2"].value for c in "CDEFG"] == ["Yes", MFA, ACP, None, None]
    assert [sheet[f"{c}3"].value for c in "CDEFG"] == ["No", BYOD, None, None, None]
    assert [sheet[f"{c}4"].value for c in "CDEFG"] == [
        None, "Yes, see attached", None, "Checked last year", 5]
    assert out["Cover"]["B3"].value is None and out["Cover"]["B4"].value is None


def test_the_buyers_notes_column_is_never_written(tmp_path: Path, run_cli,
                                                  write_library) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "RFP"
    ws.append(["Ref", "Question", "Supplier Response", "Supporting Documentation",
               "Buyer Notes"])
    ws.append(["S1", "Is multi-factor authentication required for all workforce access?"])
    ws.append(["S2", "Is customer data encrypted at rest?"])
    dropdown(ws, '"Yes,No,N/A"', "C2:C3")
    wb.save(tmp_path / "q.xlsx")
    rows, out = answer(run_cli, write_library, tmp_path / "q.xlsx")
    sheet = out["RFP"]
    assert statuses(rows) == {("RFP", 2): "filled", ("RFP", 3): "filled"}
    assert [sheet[f"{c}2"].value for c in "CDE"] == ["Yes", f"{MFA}\n\nEvidence: {ACP}", None]
    assert [sheet[f"{c}3"].value for c in "CDE"] == ["Yes", f"{ENC}\n\nEvidence: {ENC_DOC}",
                                                     None]
