"""Helpers for the write-back tests: an independent oracle for "only the planned cells changed".

The oracle deliberately does not use qfill's own scanner: it reads the zips with zipfile
and the sheets with ElementTree, and compares every ``<c>`` element outside the plan.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path
from xml.etree import ElementTree as ET

from qfill.filling import CellWrite, FillPlan
from qfill.sheets.package import Package, workbook_parts, write_package

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def plan_of(sheet: str, cells: dict[str, str], highlights: Iterable[str] = ()) -> FillPlan:
    writes = tuple(CellWrite(sheet, ref, value, "answer", int(re.sub(r"\D", "", ref)))
                   for ref, value in cells.items())
    return FillPlan(writes, tuple((sheet, ref) for ref in highlights))


def sheet_parts(path: Path) -> dict[str, str]:
    """Sheet name -> zip member, following the workbook relationships."""
    return {s.name: s.part for s in workbook_parts(Package.open(path)).sheets if s.part}


def _cells(xml: bytes) -> tuple[dict[str, bytes], list[bytes], dict[int, dict[str, str]]]:
    root = ET.fromstring(xml)
    cells: dict[str, bytes] = {}
    rows: dict[int, dict[str, str]] = {}
    outside: list[bytes] = []
    for child in root:
        if child.tag == MAIN + "sheetData":
            for row in child:
                rows[int(row.get("r", "0"))] = {k: v for k, v in row.attrib.items()
                                                if k != "spans"}
                for cell in row:
                    cell.tail = None
                    cells[cell.get("r", "")] = ET.tostring(cell)
        elif child.tag != MAIN + "dimension":
            child.tail = None
            outside.append(ET.tostring(child))
    return cells, outside, rows


def assert_only_planned_changes(source: Path, output: Path, plan: FillPlan,
                                extra_parts: Iterable[str] = ()) -> None:
    """Every part but the written sheets is identical (raw bytes too); in those sheets every
    cell outside the plan is identical, and rows keep their attributes."""
    written = {ref for w in plan.writes for ref in [(w.sheet, w.ref)]} | set(plan.highlights)
    parts = sheet_parts(source)
    changed_parts = {parts[s] for s, _ in written} | set(extra_parts)
    with zipfile.ZipFile(source) as a, zipfile.ZipFile(output) as b:
        assert [i.filename for i in a.infolist()] == [i.filename for i in b.infolist()]
        src_pkg, out_pkg = Package.open(source), Package.open(output)
        for info in a.infolist():
            if info.filename in changed_parts:
                continue
            assert a.read(info.filename) == b.read(info.filename), info.filename
            assert src_pkg.raw(info.filename) == out_pkg.raw(info.filename), info.filename
            other = b.getinfo(info.filename)
            assert (info.date_time, info.external_attr, info.compress_type, info.CRC) == \
                (other.date_time, other.external_attr, other.compress_type, other.CRC)
        for sheet in {s for s, _ in written}:
            before, outside_a, rows_a = _cells(a.read(parts[sheet]))
            after, outside_b, rows_b = _cells(b.read(parts[sheet]))
            assert outside_a == outside_b, f"{sheet}: XML outside the cells changed"
            planned = {ref for s, ref in written if s == sheet}
            for ref in set(before) | set(after):
                if ref not in planned:
                    assert before.get(ref) == after.get(ref), f"{sheet}!{ref} changed"
            for number, attrs in rows_a.items():
                assert rows_b[number] == attrs, f"{sheet} row {number} attributes changed"


def read_values(path: Path, sheet: str, refs: Iterable[str]) -> dict[str, tuple[object, str]]:
    """ref -> (value, data_type) as openpyxl reads the file."""
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        ws = wb[sheet]
        wanted = set(refs)
        found: dict[str, tuple[object, str]] = {}
        rows = sorted(int(re.sub(r"\D", "", r)) for r in wanted)
        for row in ws.iter_rows(min_row=rows[0], max_row=rows[-1]):
            for cell in row:
                ref = getattr(cell, "coordinate", None)
                if ref in wanted:
                    found[ref] = (cell.value, cell.data_type)
        return found
    finally:
        wb.close()


def tamper(path: Path, part: str, change: Callable[[bytes], bytes]) -> None:
    """Rewrite one part of ``path`` in place, every other part raw-identical."""
    package = Package.open(path)
    new = change(package.read(part))
    buffer = io.BytesIO()
    write_package(buffer, package, {part: new})
    path.write_bytes(buffer.getvalue())
