"""Dropdowns: which values a cell's data validation accepts, in their exact spelling.

Both kinds of validation count: the ordinary ``<dataValidation>`` and the Excel 2010
extension ``<x14:dataValidation>`` in the sheet's ``<extLst>``, which openpyxl neither
reports nor keeps (HECVAT's Yes/No dropdowns are such, with lists on a hidden sheet). A
list source may be a literal (``"Yes,No,NA"``), a range (``'Auto Responses'!$J$3:$J$5``)
or a defined name (``yes``). A list qfill cannot read (``INDIRECT(...)``, a broken name)
makes the cell *restricted*: it is never written, because any value might be rejected.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from qfill.sheets.a1 import MAX_COLUMN, parse_range
from qfill.sheets.intervals import ColumnIntervals
from qfill.sheets.workbook import (
    USED_COLUMN_MARGIN,
    RawValidation,
    SheetGrid,
)

MAX_CHOICES = 500
_SHEET_RANGE = re.compile(
    r"^(?:(?:'(?P<quoted>(?:[^']|'')+)'|(?P<plain>[^'!:\s]+))!)?(?P<range>[$A-Za-z0-9:]+)$")
_NAME = re.compile(r"^[A-Za-z_\\][\w.\\]*$")


@dataclass(frozen=True, slots=True)
class Dropdown:
    """What a cell's list validation allows: ``choices``, or nothing if ``restricted``."""

    choices: tuple[str, ...] = ()
    restricted: bool = False


GridLoader = Callable[[str], "SheetGrid | None"]
NameResolver = Callable[[str, str], "str | None"]  # (name, sheet) -> formula


class ListResolver:
    """Turns a validation's list formula into its values, reading other sheets on demand."""

    def __init__(self, load_grid: GridLoader, resolve_name: NameResolver) -> None:
        self._load_grid = load_grid
        self._resolve_name = resolve_name
        self._cache: dict[tuple[str, str], tuple[str, ...] | None] = {}

    def choices(self, formula: str | None, sheet: str) -> tuple[str, ...] | None:
        """The list's values in order, without blanks or repeats; None when unreadable."""
        if not formula:
            return None
        key = (formula, sheet)
        if key not in self._cache:
            self._cache[key] = self._resolve(formula.strip().lstrip("="), sheet, depth=0)
        return self._cache[key]

    def _resolve(self, formula: str, sheet: str, depth: int) -> tuple[str, ...] | None:
        if depth > 3:
            return None
        if len(formula) >= 2 and formula[0] == formula[-1] == '"':
            items = formula[1:-1].replace('""', '"').split(",")
            return _unique(item for item in items if item.strip())
        match = _SHEET_RANGE.match(formula)
        if match and (bounds := parse_range(match.group("range"))) is not None:
            quoted = match.group("quoted")
            target = quoted.replace("''", "'") if quoted else (match.group("plain") or sheet)
            return self._range_values(target, bounds)
        if _NAME.match(formula):
            text = self._resolve_name(formula, sheet)
            return self._resolve(text.lstrip("="), sheet, depth + 1) if text else None
        return None

    def _range_values(self, sheet: str, bounds: tuple[int, int, int, int]
                      ) -> tuple[str, ...] | None:
        grid = self._load_grid(sheet)
        if grid is None:
            return None
        r0, c0, r1, c1 = bounds
        values: list[str] = []
        for row in sorted(r for r in grid.cells if r0 <= r <= r1):
            cells = grid.cells[row]
            for col in sorted(c for c in cells if c0 <= c <= c1):
                text = cells[col][0]
                if text is not None:
                    values.append(text)
            if len(values) > MAX_CHOICES:
                break
        return _unique(values[:MAX_CHOICES])


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


class SheetDropdowns:
    """The dropdown, if any, of each cell of one sheet (ordinary validations win over x14)."""

    def __init__(self, grid: SheetGrid, resolver: ListResolver) -> None:
        self._grid = grid
        self._resolver = resolver
        # Ranges are clipped near the used area so "A1:XFD1048576" costs one interval per
        # used column (an empty answer column just past the last filled one keeps its
        # dropdown); ordinary validations are added first, so they win over x14 ones.
        self._lists: ColumnIntervals[RawValidation] = ColumnIntervals(
            grid.name, min(grid.max_col + USED_COLUMN_MARGIN, MAX_COLUMN))
        for validation in sorted(grid.validations, key=lambda v: v.x14):
            if validation.kind != "list":
                continue
            for part in validation.sqref.split():
                bounds = parse_range(part)
                if bounds is not None:
                    self._lists.add(*bounds, validation)

    def at(self, row: int, col: int) -> Dropdown | None:
        """The cell's dropdown, or None when the cell is free text."""
        validation = self._lists.at(row, col)
        if validation is None:
            return None
        choices = self._resolver.choices(validation.formula, self._grid.name)
        if not choices:  # unreadable, or a list with nothing in it
            return Dropdown(restricted=True)
        return Dropdown(choices)
