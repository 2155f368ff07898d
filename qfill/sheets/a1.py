"""A1 cell references: column letters, cells and ranges, within Excel's sheet limits."""

from __future__ import annotations

import re

_REF = re.compile(r"^([A-Z]{1,3})([1-9][0-9]{0,6})$")
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


def parse_ref(ref: str) -> tuple[int, int]:
    """``"E12"`` -> (row 12, column 5); ValueError for anything that is not one cell."""
    match = _REF.match(ref.upper().replace("$", ""))
    if match is None:
        raise ValueError(f"not a cell reference: {ref!r}")
    row, col = int(match.group(2)), column_index(match.group(1))
    if row > MAX_ROW or col > MAX_COLUMN:
        raise ValueError(f"cell reference outside the sheet: {ref!r}")
    return row, col


def format_ref(row: int, col: int) -> str:
    return f"{column_letters(col)}{row}"


def parse_range(ref: str) -> tuple[int, int, int, int] | None:
    """``"A1:K263"`` -> (first row, first col, last row, last col); None if unreadable."""
    try:
        parts = [parse_ref(p) for p in ref.split(":")]
    except ValueError:
        return None
    if len(parts) == 1:
        parts.append(parts[0])
    if len(parts) != 2:
        return None
    (r1, c1), (r2, c2) = parts
    return min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)
