"""The one index of rectangles by cell, behind merged ranges and dropdowns."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qfill.sheets.intervals import ColumnIntervals
from qfill.sheets.workbook import MAX_INDEX_ENTRIES, SheetTooLarge


def test_a_cell_gets_the_first_added_rectangle_over_it() -> None:
    index: ColumnIntervals[str] = ColumnIntervals("Sheet", last_col=10)
    index.add(2, 1, 9, 3, "first")
    index.add(5, 2, 20, 2, "second")
    assert [index.at(row, 2) for row in (1, 2, 9, 10, 20, 21)] == [
        None, "first", "first", "second", "second", None]
    assert index.at(5, 3) == "first" and index.at(5, 4) is None


def test_columns_past_the_used_area_are_not_indexed() -> None:
    index: ColumnIntervals[str] = ColumnIntervals("Sheet", last_col=3)
    index.add(1, 1, 1_048_576, 16_384, "everywhere")
    assert index.at(1_048_576, 3) == "everywhere"
    assert index.at(1, 4) is None


def test_too_many_spans_is_not_a_questionnaire() -> None:
    index: ColumnIntervals[int] = ColumnIntervals("Big", last_col=16_384)
    per_row = 16_384
    with pytest.raises(SheetTooLarge):
        for row in range(1, MAX_INDEX_ENTRIES // per_row + 2):
            index.add(row, 1, row, per_row, row)


rectangles = st.lists(st.tuples(st.integers(1, 30), st.integers(1, 6), st.integers(1, 30),
                                st.integers(1, 6)), max_size=12)


@settings(max_examples=200, deadline=None)
@given(rectangles)
def test_lookups_match_a_scan_of_every_rectangle(rects: list[tuple[int, int, int, int]]) -> None:
    index: ColumnIntervals[int] = ColumnIntervals("Sheet", last_col=5)
    for number, (r0, c0, r1, c1) in enumerate(rects):
        index.add(r0, c0, r1, c1, number)
    for row in range(0, 32):
        for col in range(1, 8):
            expected = next((n for n, (r0, c0, r1, c1) in enumerate(rects)
                             if r0 <= row <= r1 and c0 <= col <= min(c1, 5)), None)
            assert index.at(row, col) == expected, (row, col)
