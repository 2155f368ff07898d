"""Write-back on the real published questionnaires (read from ../shared, never copied)."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest
from writeback_fixtures import assert_only_planned_changes, read_values, sheet_parts

from qfill.filling import CellWrite, FillPlan
from qfill.questionnaire import FileFormat
from qfill.sheets.writer import check_filled, write_filled

QUESTION_ID = re.compile(r"^[A-Z]{4}-\d{2}$")


@dataclass(frozen=True)
class Case:
    path: str
    sheet: str
    columns: tuple[str, ...]
    rows: tuple[int, int]
    id_column: str | None = None  # only rows whose id matches QUESTION_ID


CASES = {
    "caiq4-blank": Case("csa-caiq/CAIQv4.0.3_STAR-Security-Questionnaire_Generated-at_2024-06-03"
                        ".xlsx", "CAIQv4.0.3", ("C", "E"), (3, 263)),
    "caiq4-whitepact": Case("csa-caiq/CAIQv4.0.3_WhitePact_completed.xlsx", "CAIQv4.0.3",
                            ("C", "E", "F"), (3, 263)),
    "caiq3": Case("csa-caiq/csa-caiq-v3.0.1-09-01-2017.xlsx", "CSA CAIQ v3.0.1", ("F", "I"),
                  (5, 299)),
    "hecvat4": Case("hecvat/HECVAT414.xlsx", "Organization", ("C", "D"), (12, 200), "A"),
    "hecvat3": Case("hecvat/HECVAT3_OpenDSA_20220830.xlsx", "HECVAT - Full", ("C", "D"),
                    (3, 285), "A"),
}

VALUES = ["Yes", "No", "=1+1", "- see policy", "@team", "A & B <c> \"d\"", "Über ✓ 😀",
          "line one\nline two", "We encrypt data at rest with AES-256."]


def empty_answer_cells(path: Path, case: Case, limit: int = 60) -> list[str]:
    """Empty, non-formula cells in the answer columns of question rows (per openpyxl)."""
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        ws = wb[case.sheet]
        found: list[str] = []
        columns = {openpyxl.utils.column_index_from_string(c) for c in case.columns}
        id_col = openpyxl.utils.column_index_from_string(case.id_column) \
            if case.id_column else None
        for number, row in enumerate(ws.iter_rows(min_row=case.rows[0], max_row=case.rows[1],
                                                  max_col=max(columns)), start=case.rows[0]):
            if id_col is not None:
                qid = row[id_col - 1].value if len(row) >= id_col else None
                if not isinstance(qid, str) or not QUESTION_ID.match(qid.strip()):
                    continue
            for col in sorted(columns):
                cell = row[col - 1] if len(row) >= col else None
                if cell is None or (cell.value is None and cell.data_type != "f"):
                    found.append(f"{openpyxl.utils.get_column_letter(col)}{number}")
        return found[::max(len(found) // limit, 1)][:limit]  # spread over the sheet
    finally:
        wb.close()


def x14_validations(path: Path, sheet: str) -> int:
    return zipfile.ZipFile(path).read(sheet_parts(path)[sheet]).count(b"<x14:dataValidation ")


@pytest.mark.parametrize("name", sorted(CASES))
def test_only_planned_cells_change_in_real_questionnaires(
        shared_questionnaires: Path, tmp_path: Path, name: str) -> None:
    case = CASES[name]
    source = shared_questionnaires / case.path
    cells = empty_answer_cells(source, case)
    assert len(cells) >= 10, cells
    writes = tuple(CellWrite(case.sheet, ref, VALUES[i % len(VALUES)], "answer",
                             int(ref.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")))
                   for i, ref in enumerate(cells[:-4]))
    plan = FillPlan(writes, tuple((case.sheet, ref) for ref in cells[-4:] + cells[:2]))
    out = tmp_path / f"{name}.filled.xlsx"
    write_filled(source, out, plan, file_format=FileFormat.XLSX, highlight=True)
    check_filled(source, out, plan, file_format=FileFormat.XLSX, highlight=True)
    assert_only_planned_changes(source, out, plan, extra_parts=["xl/styles.xml"])
    got = read_values(out, case.sheet, [w.ref for w in writes])
    assert got == {w.ref: (w.value, "s") for w in writes}
    assert x14_validations(out, case.sheet) == x14_validations(source, case.sheet)


def test_written_values_without_highlight_leave_styles_alone(
        shared_questionnaires: Path, tmp_path: Path) -> None:
    case = CASES["hecvat4"]
    source = shared_questionnaires / case.path
    cells = empty_answer_cells(source, case, limit=20)
    plan = FillPlan(tuple(CellWrite(case.sheet, ref, "Yes", "short", 0) for ref in cells))
    out = tmp_path / "out.xlsx"
    write_filled(source, out, plan, file_format=FileFormat.XLSX)
    check_filled(source, out, plan, file_format=FileFormat.XLSX)
    assert_only_planned_changes(source, out, plan)
    assert x14_validations(out, case.sheet) > 0


def _office() -> str | None:
    return shutil.which("libreoffice") or shutil.which("soffice")


@pytest.mark.skipif(_office() is None or shutil.which("pdftotext") is None,
                    reason="LibreOffice (libreoffice/soffice) and pdftotext are not installed")
def test_libreoffice_opens_the_output_and_shows_the_answers(
        shared_questionnaires: Path, tmp_path: Path) -> None:
    case = CASES["caiq4-blank"]
    source = shared_questionnaires / case.path
    plan = FillPlan((
        CellWrite(case.sheet, "C3", "Yes", "short", 3),
        CellWrite(case.sheet, "E3", "Qfillcheck answer: keys rotate yearly", "answer", 3),
        CellWrite(case.sheet, "E4", "=Qfillformula(1)", "answer", 4),
    ))
    out = tmp_path / "filled.xlsx"
    write_filled(source, out, plan, file_format=FileFormat.XLSX)
    check_filled(source, out, plan, file_format=FileFormat.XLSX)
    office = _office()
    assert office is not None
    profile = (tmp_path / "profile").as_uri()  # own profile: no clash with a running office
    run = subprocess.run(
        [office, "--headless", "--norestore", f"-env:UserInstallation={profile}",
         "--convert-to", "pdf", "--outdir", str(tmp_path / "pdf"), str(out)],
        capture_output=True, text=True, timeout=180, check=False)
    pdf = tmp_path / "pdf" / "filled.pdf"
    assert run.returncode == 0 and pdf.exists(), run.stdout + run.stderr
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          timeout=60, check=True).stdout
    assert "Qfillcheck answer: keys rotate yearly" in " ".join(text.split())
    assert "=Qfillformula(1)" in text  # shown as text, not evaluated
