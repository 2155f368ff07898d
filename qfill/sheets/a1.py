"""A1 cell references: column letters, cells and ranges, within Excel's sheet limits.

One parser for the whole program, so the reader and the writer agree on every reference:
``$`` markers and lower-case letters are accepted, a whole column (``C:C``) or row
(``3:3``) is a range, and anything outside the sheet's 1,048,576 rows and 16,384
columns is not a reference at all.
"""

from __future__ import annotations

import re

_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?([0-9]{1,7})$")
MAX_ROW = 1_048_576
MAX_COLUMN = 16_384


class _ColumnTable(dict[str, int]):
    """Column letters -> index, filled on demand; 0 for anything that is not a column."""

    def __missing__(self, letters: str) -> int:
        valid = 1 <= len(letters) <= 3 and letters.isascii() and letters.isalpha() \
            and letters.isupper()
        index = column_index(letters) if valid else 0
        index = index if index <= MAX_COLUMN else 0
        if len(self) < 20_000:
            self[letters] = index
        return index


def column_index(letters: str) -> int:
    index = 0
    for ch in letters:
        index = index * 26 + ord(ch) - 64
    return index


def column_letters(index: int) -> str:
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


COLUMNS = _ColumnTable()


def cell_ref(ref: str) -> tuple[int, int] | None:
    """``"C12"``, ``"$C$12"`` or ``"c12"`` -> (row 12, column 3); None when ``ref`` is not
    one cell inside the sheet."""
    match = _REF.match(ref.strip())
    if not match:
        return None
    row, col = int(match.group(2)), column_index(match.group(1).upper())
    if not (1 <= row <= MAX_ROW and 1 <= col <= MAX_COLUMN):
        return None
    return row, col


def parse_ref(ref: str) -> tuple[int, int]:
    """:func:`cell_ref` for references that must be valid; ValueError for anything else."""
    found = cell_ref(ref)
    if found is None:
        raise ValueError(f"not a cell reference inside the sheet: {ref!r}")
    return found


def format_ref(row: int, col: int) -> str:
    return f"{column_letters(col)}{row}"


def parse_range(ref: str) -> tuple[int, int, int, int] | None:
    """``"A1:K263"`` -> (first row, first col, last row, last col); also one cell
    (``"C5"``), whole columns (``"C:E"``) and whole rows (``"3:3"``). None if unreadable."""
    text = ref.replace("$", "").strip()
    if not text.isascii():
        return None
    first, colon, last = text.partition(":")
    last = last if colon else first
    if first.isalpha() and last.isalpha():  # whole columns
        if len(first) > 3 or len(last) > 3:
            return None
        c0, c1 = column_index(first.upper()), column_index(last.upper())
        return (1, min(c0, c1), MAX_ROW, max(c0, c1)) if c0 <= MAX_COLUMN >= c1 else None
    if first.isdigit() and last.isdigit():  # whole rows
        r0, r1 = int(first), int(last)
        return (min(r0, r1), 1, max(r0, r1), MAX_COLUMN) if 1 <= r0 <= MAX_ROW >= r1 >= 1 else None
    a, b = cell_ref(first), cell_ref(last)
    if a is None or b is None:
        return None
    return min(a[0], b[0]), min(a[1], b[1]), max(a[0], b[0]), max(a[1], b[1])
