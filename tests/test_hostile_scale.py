"""Work linear in the input, limits checked before work.

Reproduced against the previous release: 200,000 question rows took 210 s and 1.2 GB,
because looking up a row in the writer and in the check of the written copy scanned every
row (and the report scanned the whole plan for each row); a file far over a limit was read
whole before the limit applied. The full-size measurement is ``benchmarks/large_workbook.py``;
these tests keep to sizes the suite can afford and compare growth, not absolute times.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from openpyxl import Workbook

from qfill.files import FileContent
from qfill.filling import CellWrite, FillPlan
from qfill.sheets.reader import read_questionnaire, read_questionnaire_file
from qfill.sheets.writer import WriteTarget, check_copy, fill_copy


@pytest.fixture
def one_entry_library(write_library) -> Path:
    """A library of one entry: these tests are about the questionnaire, never matched."""
    return write_library({"answers/a.yaml": "answers:\n  - {id: a, question: q, "
                                            "answer: a}\n"})


def _workbook(path: Path, rows: int) -> Path:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Security")
    ws.append(["ID", "Question", "Response", "Comments"])
    for n in range(rows):
        ws.append([f"Q-{n + 1}", f"Do you run security control number {n + 1}?", None, None])
    wb.save(path)
    return path


def _cpu_seconds(path: Path, rows: int) -> float:
    """CPU time to read, plan a write on every row, make the copy, check it, and ask the
    plan for each row's cells (as the report does)."""
    start = time.process_time()
    source = read_questionnaire_file(path)
    questionnaire = read_questionnaire(source)
    plan = FillPlan(tuple(CellWrite("Security", f"C{r}", "Yes", "answer", r)
                          for r in range(2, rows + 2)))
    target = WriteTarget.of(questionnaire)
    copy = fill_copy(source, plan, target)
    check_copy(source, FileContent(path, copy), plan, target, highlight=False)
    assert all(plan.cells_for("Security", r.row) == {"answer": f"C{r.row}"}
               for r in questionnaire.rows)
    return time.process_time() - start


def test_reading_writing_and_checking_grow_linearly_with_rows(tmp_path: Path) -> None:
    small, large = 1_500, 6_000
    _cpu_seconds(_workbook(tmp_path / "warm.xlsx", 300), 300)  # imports, caches
    t_small = min(_cpu_seconds(_workbook(tmp_path / "s.xlsx", small), small) for _ in range(2))
    t_large = _cpu_seconds(_workbook(tmp_path / "l.xlsx", large), large)
    # Four times the rows: linear work takes about 4x; the quadratic scans took over 16x.
    assert t_large < 8 * t_small, (t_small, t_large)


def test_a_huge_sparse_questionnaire_is_refused_before_it_is_read(tmp_path: Path,
                                                                 run_cli, one_entry_library
                                                                 ) -> None:
    for name in ("q.xlsx", "q.csv"):
        path = tmp_path / name
        with path.open("wb") as handle:
            handle.write(b"PK\x03\x04" if name.endswith("xlsx") else b"id,question\n")
            handle.truncate(4 * 1024 ** 3)
        started = time.monotonic()
        result = run_cli("answer", path, "--library", one_entry_library)
        assert result.exit_code == 2, result.output
        assert result.stderr.count("\n") == 1 and "is too large for a" in result.stderr
        assert time.monotonic() - started < 5


# Limits on what a workbook may hold, checked as it is read (set low here to stay fast;
# reproduced at full size: 7 sheets of 1.9 M cells read for 317 s and 2.3 GB, 3.6 M
# defined names 48 s, 8 M shared strings 102 s).

def _two_sheets(path: Path) -> Path:
    wb = Workbook()
    for title in ("One", "Two"):
        ws = wb.create_sheet(title)
        ws.append(["ID", "Question", "Answer"])
        ws.append(["Q-1", "Do you encrypt data at rest?", None])
    del wb["Sheet"]
    wb.save(path)
    return path


def test_cells_of_all_sheets_together_are_limited(tmp_path: Path, run_cli, one_entry_library,
                                                  monkeypatch) -> None:
    monkeypatch.setattr("qfill.sheets.workbook.MAX_WORKBOOK_CELLS", 8)
    result = run_cli("answer", _two_sheets(tmp_path / "q.xlsx"), "--library", one_entry_library)
    assert result.exit_code == 2, result.output
    assert "more than 8 filled cells together" in result.stderr
    assert result.stderr.count("\n") == 1


def test_defined_names_are_limited(tmp_path: Path, run_cli, one_entry_library,
                                   monkeypatch) -> None:
    from openpyxl.workbook.defined_name import DefinedName

    monkeypatch.setattr("qfill.sheets.workbook.MAX_DEFINED_NAMES", 2)
    path = _two_sheets(tmp_path / "q.xlsx")
    import openpyxl

    wb = openpyxl.load_workbook(path)
    for n in range(3):
        wb.defined_names[f"name{n}"] = DefinedName(f"name{n}", attr_text="One!$A$1")
    wb.save(path)
    result = run_cli("answer", path, "--library", one_entry_library)
    assert result.exit_code == 2, result.output
    assert "defines 3 names (limit 2)" in result.stderr


def test_shared_strings_are_limited(tmp_path: Path, run_cli, one_entry_library,
                                    monkeypatch) -> None:
    from questionnaire_fixtures import add_part, rewrite_part

    monkeypatch.setattr("qfill.sheets.workbook.MAX_SHARED_STRINGS", 2)
    path = _two_sheets(tmp_path / "q.xlsx")
    add_part(path, "xl/sharedStrings.xml",
             b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             + b"<si><t>x</t></si>" * 3 + b"</sst>")
    rewrite_part(path, "xl/_rels/workbook.xml.rels", lambda xml: xml.replace(
        "</Relationships>", '<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
        "</Relationships>"))
    result = run_cli("answer", path, "--library", one_entry_library)
    assert result.exit_code == 2, result.output
    assert "more than 2 shared strings" in result.stderr
