"""Values over rectangles of one sheet (merged ranges, validation ranges), found by cell.

Both merges and dropdowns ask "what covers this cell?" for every cell detection looks at,
so the rectangles are indexed once per column as sorted, non-overlapping row segments and
a lookup is one bisect. Where rectangles overlap, the one added first wins. Columns are
clipped by the caller's ``last_col``, so ``A1:XFD1048576`` costs one span per used column;
more than :data:`~qfill.sheets.workbook.MAX_INDEX_ENTRIES` spans is not a questionnaire.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
from typing import Generic, TypeVar

from qfill.sheets.workbook import MAX_INDEX_ENTRIES, SheetTooLarge

T = TypeVar("T")


class ColumnIntervals(Generic[T]):
    """Rectangles with a value each, by column; see the module docstring."""

    def __init__(self, sheet: str, last_col: int) -> None:
        self._sheet = sheet
        self._last_col = last_col
        self._spans: dict[int, list[tuple[int, int, int, T]]] = {}  # (start, end, order, value)
        self._count = 0
        self._entries = 0
        self._index: dict[int, tuple[list[int], list[int], list[T]]] | None = None

    def add(self, first_row: int, first_col: int, last_row: int, last_col: int,
            value: T) -> None:
        columns = range(first_col, min(last_col, self._last_col) + 1)
        self._entries += len(columns)
        if self._entries > MAX_INDEX_ENTRIES:
            raise SheetTooLarge(self._sheet)
        for col in columns:
            self._spans.setdefault(col, []).append((first_row, last_row, self._count, value))
        self._count += 1
        self._index = None

    def at(self, row: int, col: int) -> T | None:
        """The value of the first-added rectangle covering the cell, if any."""
        if self._index is None:
            self._index = {col: _segments(spans) for col, spans in self._spans.items()}
        found = self._index.get(col)
        if found is None:
            return None
        starts, ends, values = found
        i = bisect.bisect_right(starts, row) - 1
        return values[i] if i >= 0 and row <= ends[i] else None


def _segments(spans: list[tuple[int, int, int, T]]) -> tuple[list[int], list[int], list[T]]:
    """Row segments (starts, ends, values) that partition what ``spans`` cover, each with
    the value of the earliest-added span over it: a sweep with a heap, O(k log k)."""
    ordered = sorted(spans, key=lambda s: (s[0], s[2]))
    points = sorted({s[0] for s in ordered} | {s[1] + 1 for s in ordered})
    starts: list[int] = []
    ends: list[int] = []
    values: list[T] = []
    orders: list[int] = []
    open_spans: list[tuple[int, int, T]] = []  # a heap of (order, end, value)
    taken = 0
    for point, following in itertools.pairwise(points):
        while taken < len(ordered) and ordered[taken][0] <= point:
            _start, end, order, value = ordered[taken]
            heapq.heappush(open_spans, (order, end, value))
            taken += 1
        while open_spans and open_spans[0][1] < point:
            heapq.heappop(open_spans)
        if not open_spans:
            continue
        order, _end, value = open_spans[0]
        if orders and orders[-1] == order and ends[-1] == point - 1:
            ends[-1] = following - 1  # the same rectangle goes on
            continue
        starts.append(point)
        ends.append(following - 1)
        values.append(value)
        orders.append(order)
    return starts, ends, values
