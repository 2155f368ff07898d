"""Terminal tables that never cut what a person must copy.

Rich shrinks a table that is wider than the terminal by cropping cells, so an answer id
became ``encryption-in-tra...`` at 80 columns, and a piped run (80 columns) could not be
pasted into a review file. Here the widths are decided before Rich sees the table:
columns marked ``keep`` (ids, cell references, numbers) get their full width; the other
columns share what is left, each at least as wide as its longest word, so wrapping never
breaks a word either. When even that does not fit, each row is printed as a block of
``heading: value`` lines instead, wrapped at spaces only.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from qfill.escaping import terminal_text

# Each column is padded by one space on either side and separated by one more.
_PER_COLUMN = 3
_INDENT = "   "


@dataclass(frozen=True, slots=True)
class Column:
    heading: str
    keep: bool = False  # never wrapped or cut: ids, references, numbers
    justify: Literal["left", "right"] = "left"


def _lines(value: str) -> list[str]:
    return value.splitlines() or [""]


def _longest_line(values: Sequence[str]) -> int:
    return max((len(line) for v in values for line in _lines(v)), default=0)


def _longest_word(values: Sequence[str]) -> int:
    return max((len(word) for v in values for word in v.split()), default=0)


def column_widths(columns: Sequence[Column], rows: Sequence[Sequence[str]],
                  width: int) -> list[int] | None:
    """Widths that fit ``width`` without cutting a kept value or any word; None if none do.

    Kept columns take their longest line; the others start at their longest word and
    share the remaining space in proportion to how much more they would use.
    """
    cells = [[row[i] for row in rows] for i in range(len(columns))]
    minimum: list[int] = []
    desired: list[int] = []
    for column, values in zip(columns, cells, strict=True):
        full = max(_longest_line(values), len(column.heading))
        if column.keep:
            minimum.append(full)
        else:
            minimum.append(max(_longest_word(values), _longest_word([column.heading]), 1))
        desired.append(full)
    available = width - _PER_COLUMN * len(columns) + 1
    if sum(minimum) > available:
        return None
    widths = list(minimum)
    spare = available - sum(widths)
    wants = [d - m for d, m in zip(desired, minimum, strict=True)]
    total = sum(wants)
    if total <= spare:
        return desired
    for i, want in enumerate(wants):
        widths[i] += want * spare // total if total else 0
    return widths


def print_table(console: Console, columns: Sequence[Column], rows: Sequence[Sequence[str]],
                *, title: str | None = None) -> None:
    """Print ``rows`` as a table fitted to the console, or as blocks when it cannot fit.

    Every cell is customer or library text: it is printed as plain text, never as markup.
    """
    rows = [tuple(terminal_text(cell) for cell in row) for row in rows]
    if title:
        console.print(terminal_text(title), markup=False, highlight=False, soft_wrap=True)
    widths = column_widths(columns, rows, console.width)
    if widths is None:
        print_blocks(console, columns, rows)
        return
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, header_style="bold", pad_edge=False)
    for column, size in zip(columns, widths, strict=True):
        table.add_column(column.heading, justify=column.justify, width=size,
                         no_wrap=column.keep, overflow="fold")
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))
    console.print(table)


def print_blocks(console: Console, columns: Sequence[Column],
                 rows: Sequence[Sequence[str]]) -> None:
    """One block per row: the kept values on the first line, then each other column as an
    indented ``heading: value``, wrapped at spaces and never inside a word."""
    width = max(console.width, 20)
    for row in rows:
        head = "  ".join(cell for column, cell in zip(columns, row, strict=True)
                         if column.keep and cell)
        console.print(head, markup=False, highlight=False, soft_wrap=True)
        for column, cell in zip(columns, row, strict=True):
            if column.keep or not cell:
                continue
            label = f"{column.heading}: "
            for n, line in enumerate(_lines(cell)):
                first = _INDENT + (label if n == 0 else " " * len(label))
                text = textwrap.fill(line, width=width, initial_indent=first,
                                     subsequent_indent=" " * len(first),
                                     break_long_words=False, break_on_hyphens=False)
                console.print(text, markup=False, highlight=False, soft_wrap=True)
        console.print()
