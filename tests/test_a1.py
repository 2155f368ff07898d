"""A1 references: the one parser the reader and the writer share."""

from __future__ import annotations

import pytest

from qfill.sheets.a1 import (
    MAX_COLUMN,
    MAX_ROW,
    cell_ref,
    column_index,
    column_letters,
    format_ref,
    parse_range,
    parse_ref,
)


@pytest.mark.parametrize(("ref", "expected"), [
    ("A1", (1, 1)), ("C12", (12, 3)), ("$C$12", (12, 3)), ("c12", (12, 3)), ("C$12", (12, 3)),
    (" AB7 ", (7, 28)), ("XFD1048576", (MAX_ROW, MAX_COLUMN)), ("A007", (7, 1)),
])
def test_a_cell_reference_is_read_in_every_form_excel_writes(
        ref: str, expected: tuple[int, int]) -> None:
    assert cell_ref(ref) == expected
    assert parse_ref(ref) == expected


@pytest.mark.parametrize("ref", [
    "", "A", "12", "A0", "XFE1", "A1048577", "AAAA1", "A1$", "1A", "A-1", "A 1", "À1", "A\u0661",
    "A1:B2", "C:C",
])
def test_anything_but_one_cell_inside_the_sheet_is_not_a_cell(ref: str) -> None:
    assert cell_ref(ref) is None
    with pytest.raises(ValueError, match="not a cell reference"):
        parse_ref(ref)


@pytest.mark.parametrize(("ref", "expected"), [
    ("A1:K263", (1, 1, 263, 11)), ("K263:A1", (1, 1, 263, 11)), ("$B$2:$C$9", (2, 2, 9, 3)),
    ("C5", (5, 3, 5, 3)), ("C:C", (1, 3, MAX_ROW, 3)), ("$E:$C", (1, 3, MAX_ROW, 5)),
    ("3:3", (3, 1, 3, MAX_COLUMN)), ("$9:$4", (4, 1, 9, MAX_COLUMN)),
])
def test_ranges_include_whole_columns_and_rows(ref: str, expected: tuple[int, ...]) -> None:
    assert parse_range(ref) == expected


@pytest.mark.parametrize("ref", [
    "", ":", "A1:B2:C3", "A1:", "XFE:XFE", "AAAA:AAAA", "0:3", "1048577:1", "A:1", "²:²",
    "é:é", "A1:C", "INDIRECT(A1)",
])
def test_unreadable_ranges_are_none(ref: str) -> None:
    assert parse_range(ref) is None


def test_column_letters_and_numbers_round_trip() -> None:
    for index in (1, 26, 27, 52, 702, 703, MAX_COLUMN):
        assert column_index(column_letters(index)) == index
    assert format_ref(12, 28) == "AB12"
