"""A password-protected sheet: its locked cells are never written, by `answer` or `apply`;
the cells its sender unlocked for the answers are filled as usual."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
from openpyxl import Workbook
from openpyxl.styles import Protection
from openpyxl.worksheet.datavalidation import DataValidation
from test_apply_gate import LIBRARY, review_file


def build(path: Path, *, unlock_answers: bool, protect: bool = True) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "Sec"
    ws.append(["ID", "Question", "Response", "Comments"])
    ws.append(["Q-1", "Is multi-factor authentication required for all workforce access?"])
    ws.append(["Q-2", "Do you store, process or transmit cardholder data?"])
    dv = DataValidation(type="list", formula1='"Yes,No,N/A"')
    ws.add_data_validation(dv)
    dv.add("C2:C3")
    if unlock_answers:
        for ref in ("C2", "D2", "C3", "D3"):
            ws[ref].protection = Protection(locked=False)
    ws.protection.sheet = protect
    wb.save(path)
    return path


def _answer(run_cli, library: Path, q: Path) -> tuple[list[dict[str, object]], Path]:
    out, report = q.with_name("out.xlsx"), q.with_name("r.json")
    result = run_cli("answer", q, "-l", library, "-o", out, "-r", report, "--today",
                     "2026-11-29")
    assert result.exit_code == 0, result.output
    return json.loads(report.read_text(encoding="utf-8"))["rows"], out


def test_locked_cells_of_a_protected_sheet_go_to_review_unwritten(
        tmp_path: Path, run_cli, write_library) -> None:
    library = write_library({"answers/a.yaml": LIBRARY})
    rows, out = _answer(run_cli, library, build(tmp_path / "q.xlsx", unlock_answers=False))
    assert [r["status"] for r in rows] == ["review", "review"]
    assert rows[0]["reasons"] == [
        "protected-cell: Sec!C2 is locked and the sheet is protected; Excel refuses an "
        "edit there",
        "protected-cell: Sec!D2 is locked and the sheet is protected; Excel refuses an "
        "edit there"]
    ws = openpyxl.load_workbook(out)["Sec"]
    assert [ws[ref].value for ref in ("C2", "D2", "C3", "D3")] == [None] * 4
    assert ws.protection.sheet  # the sender's protection is kept


def test_unlocked_answer_cells_of_a_protected_sheet_are_filled(
        tmp_path: Path, run_cli, write_library) -> None:
    library = write_library({"answers/a.yaml": LIBRARY})
    rows, out = _answer(run_cli, library, build(tmp_path / "q.xlsx", unlock_answers=True))
    assert [r["status"] for r in rows] == ["filled", "filled"]
    assert not any(r["reasons"] for r in rows)
    ws = openpyxl.load_workbook(out)["Sec"]
    assert ws["C2"].value == "Yes" and ws["D2"].value.startswith("Yes. Every employee")
    assert ws["C3"].value == "N/A" and ws["D3"].value.startswith("Not applicable.")


def test_locked_cells_of_an_unprotected_sheet_are_filled(tmp_path: Path, run_cli,
                                                         write_library) -> None:
    library = write_library({"answers/a.yaml": LIBRARY})
    q = build(tmp_path / "q.xlsx", unlock_answers=False, protect=False)
    rows, _out = _answer(run_cli, library, q)
    assert [r["status"] for r in rows] == ["filled", "filled"]


def test_apply_does_not_write_a_decision_into_a_locked_cell(tmp_path: Path, run_cli,
                                                            write_library) -> None:
    library = write_library({"answers/a.yaml": LIBRARY})
    q = build(tmp_path / "q.xlsx", unlock_answers=False)
    # An answer id goes through the gate; a typed-in "N/A" is written as text.
    filled, review = review_file(run_cli, library, q, {2: "mfa-workforce", 3: "N/A"})
    result = run_cli("apply", filled, review, "-l", library, "--today", "2026-11-29")
    ws = openpyxl.load_workbook(tmp_path / "q.reviewed.xlsx")["Sec"]
    assert [ws[ref].value for ref in ("C2", "D2", "C3", "D3")] == [None] * 4
    assert "applied 0 decision(s), 0 cell(s)" in result.stdout
    assert ("refused Sec!2: Sec!2: protected-cell: Sec!C2 is locked and the sheet is "
            "protected; Excel refuses an edit there; protected-cell: Sec!D2 is locked") in \
        result.stdout
    assert "refused Sec!3: Sec!3: protected-cell: Sec!C3 is locked" in result.stdout
    assert result.exit_code == 1, result.output


def test_an_answer_column_unlocked_by_its_column_style_is_filled(
        tmp_path: Path, run_cli, write_library) -> None:
    """Excel's "unlock column C": the empty cells take the column's style; a header cell
    with its own (default, locked) style stays locked."""
    library = write_library({"answers/a.yaml": LIBRARY})
    wb = Workbook()
    ws = wb.active
    ws.title = "Sec"
    ws.append(["ID", "Question", "Answer"])
    ws.append(["Q-1", "Is multi-factor authentication required for all workforce access?"])
    ws.append(["Q-2", "Do you store, process or transmit cardholder data?"])
    ws.column_dimensions["C"].protection = Protection(locked=False)
    # One answer cell locked again by its own style (hidden too, or openpyxl would drop an
    # empty cell of the default style).
    ws["C3"].protection = Protection(locked=True, hidden=True)
    ws.protection.sheet = True
    q = tmp_path / "q.xlsx"
    wb.save(q)
    rows, out = _answer(run_cli, library, q)
    assert [r["status"] for r in rows] == ["filled", "review"]
    assert rows[1]["reasons"] == ["protected-cell: Sec!C3 is locked and the sheet is "
                                  "protected; Excel refuses an edit there"]
    ws = openpyxl.load_workbook(out)["Sec"]
    assert ws["C2"].value.startswith("Yes. Every employee") and ws["C3"].value is None
