"""What both writers share: the plan's cells checked, a mismatch between the written file
and the plan reported."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

from qfill.errors import OutputCheckError, OutputError
from qfill.filling import FillPlan
from qfill.sheets.a1 import parse_ref
from qfill.sheets.cell_text import EXCEL_CELL_LIMIT, excel_length
from qfill.sheets.sheet_edit import SheetScan

Cell = tuple[int, int]  # (row, column), both 1-based


@dataclass(frozen=True, slots=True)
class FilledCopy:
    """The bytes of a filled copy, and what the writer learned reading the source: a
    workbook's written sheets as scanned (part name -> scan, with detail for the planned
    rows), so that the output check compares the copy with them instead of parsing the
    source again. A CSV copy has none."""

    data: bytes
    source_sheets: Mapping[str, SheetScan] = field(default_factory=dict)


def refuse_same_file(source: Path, destination: Path) -> None:
    same = source.resolve() == destination.resolve()
    if not same and destination.exists():
        with contextlib.suppress(OSError):
            same = os.path.samefile(source, destination)
    if same:
        raise OutputError(f"{destination}: this is the questionnaire itself and it must not be "
                          "modified; choose another output path")


def planned_writes(plan: FillPlan) -> dict[str, dict[Cell, str]]:
    """sheet -> {(row, col): value}, checked: valid refs, one value per cell, fits a cell."""
    writes: dict[str, dict[Cell, str]] = {}
    for write in plan.writes:
        cell = parse_ref(write.ref)
        if not isinstance(write.value, str) or not write.value:
            raise ValueError(f"{write.sheet}!{write.ref}: planned value must be non-empty text")
        length = excel_length(write.value)
        if length > EXCEL_CELL_LIMIT:
            raise OutputError(f"{write.sheet}!{write.ref}: the text is {length} characters, "
                              f"more than the {EXCEL_CELL_LIMIT:,} a spreadsheet cell holds; "
                              "shorten that answer in the library")
        sheet = writes.setdefault(write.sheet, {})
        if sheet.get(cell, write.value) != write.value:
            raise ValueError(f"{write.sheet}!{write.ref}: planned twice with different values")
        sheet[cell] = write.value
    return writes


def planned_highlights(plan: FillPlan) -> dict[str, set[Cell]]:
    marks: dict[str, set[Cell]] = {}
    for sheet, ref in plan.highlights:
        marks.setdefault(sheet, set()).add(parse_ref(ref))
    return marks


class Failer:
    def __init__(self, written: Path) -> None:
        self.written = written

    def __call__(self, what: str) -> NoReturn:
        raise OutputCheckError(f"{self.written}: {what}; the output does not match the plan "
                                "and must not be used (please report this as a qfill bug)")
