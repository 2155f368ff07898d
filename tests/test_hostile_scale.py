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

from openpyxl import Workbook

from qfill.files import FileContent
from qfill.filling import CellWrite, FillPlan
from qfill.sheets.reader import read_questionnaire, read_questionnaire_file
from qfill.sheets.writer import WriteTarget, check_copy, fill_copy


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
                                                                 run_cli, write_library
                                                                 ) -> None:
    library = write_library({"answers/a.yaml": "answers:\n  - {id: a, question: q, "
                                               "answer: a}\n"})
    for name in ("q.xlsx", "q.csv"):
        path = tmp_path / name
        with path.open("wb") as handle:
            handle.write(b"PK\x03\x04" if name.endswith("xlsx") else b"id,question\n")
            handle.truncate(4 * 1024 ** 3)
        started = time.monotonic()
        result = run_cli("answer", path, "--library", library)
        assert result.exit_code == 2, result.output
        assert result.stderr.count("\n") == 1 and "is too large for a" in result.stderr
        assert time.monotonic() - started < 5
