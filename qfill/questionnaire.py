"""A questionnaire as qfill sees it: sheets, their detected layout, and question rows.

The records here are what every later step works from. Reading a workbook and detecting
its layout is :func:`read_questionnaire`; nothing downstream looks at openpyxl objects.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Literal

TargetRole = Literal["short", "answer", "evidence", "mark"]


class FileFormat(str, Enum):
    """What a questionnaire file is by its content (not its name): the reader that read it
    and the writer that fills its copy. The value is the name used in reports and in the
    suffix of a filled copy whose name does not say what it is."""

    XLSX = "xlsx"
    XLSM = "xlsm"  # a macro-enabled workbook: its copy keeps the macros and the .xlsm name
    CSV = "csv"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class TargetCell:
    """A cell qfill may write for one question row.

    ``current`` is what the cell holds now (its text, or a formula's cached value), None
    when empty; a cell with content or a formula is never written. ``choices`` are the
    values of the cell's own dropdown in their exact spelling (empty: free text). A
    ``mark`` cell stands for one short value (``mark`` = "Yes", "No" or "N/A"), as in
    CAIQ v3 where the answer is an X in one of three columns. ``restricted`` marks a
    dropdown whose list could not be read (``INDIRECT(...)``, a broken name), and a
    dropdown on a cell meant for free text (an answer or evidence cell): the value
    written might be rejected, so the cell is never written. ``locked``: the cell is
    locked on a protected sheet, so Excel refuses an edit and qfill does not write it.
    """

    role: TargetRole
    ref: str
    current: str | None = None
    formula: bool = False
    choices: tuple[str, ...] = ()
    mark: str | None = None
    restricted: bool = False
    locked: bool = False

    @property
    def writable(self) -> bool:
        return self.current is None and not self.formula and not self.restricted


@dataclass(frozen=True, slots=True)
class QuestionRow:
    """One question to answer: where it is, what it asks, and the cells for its answer."""

    sheet: str
    row: int  # 1-based
    question: str
    question_id: str | None = None
    section: str | None = None
    question_ref: str | None = None  # the cell holding the question text, e.g. "B12"
    targets: tuple[TargetCell, ...] = ()
    # The formula cell ("C7") that keeps the row from being answered: its answer cell is
    # computed from elsewhere, or its question cell is a formula with no saved value. Such
    # a row is reported for review (code ``formula-cell``), never written.
    formula_cell: str | None = None

    def target(self, role: TargetRole) -> TargetCell | None:
        return next((t for t in self.targets if t.role == role), None)

    def marks(self) -> tuple[TargetCell, ...]:
        return tuple(t for t in self.targets if t.role == "mark")

    @property
    def already_answered(self) -> bool:
        """The customer (or an earlier run) already put an answer on this row."""
        return any(t.current is not None for t in self.targets
                   if t.role in ("short", "answer", "mark") and not t.formula)


@dataclass(frozen=True, slots=True)
class SheetLayout:
    """What detection found on one sheet, for ``qfill inspect`` and the report.

    ``columns`` maps a role ("question", "id", "section", "short", "answer", "evidence",
    "mark:Yes", "mark:No", "mark:N/A", "response", "details") to a column letter. A
    ``response`` column is yes/no (role short) on rows where it has a dropdown and the
    answer elsewhere; its ``details`` column then takes the answer on dropdown rows and the
    evidence elsewhere (HECVAT's Answer / Additional Information). A skipped sheet has
    ``status == "skipped"`` and a reason; a read one may carry a note ("columns from --map").
    """

    sheet: str
    status: Literal["questions", "skipped"]
    reason: str | None = None
    hidden: bool = False
    template: str | None = None
    header_row: int | None = None
    columns: Mapping[str, str] = field(default_factory=dict)
    question_rows: int = 0


@dataclass(frozen=True, slots=True)
class Questionnaire:
    path: Path
    format: FileFormat
    rows: tuple[QuestionRow, ...]
    sheets: tuple[SheetLayout, ...] = ()
    template: str | None = None  # a known template recognised by its layout, e.g. "CAIQ v4"
    # CSV only: header names the writer appends (e.g. "Answer") when the file has no
    # answer column; targets on those rows point at the appended column letters.
    append_columns: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ColumnMapping:
    """A user's override when detection is wrong: role -> column letter, optional header row."""

    columns: Mapping[str, str]
    header_row: int | None = None
