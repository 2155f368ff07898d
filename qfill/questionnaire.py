"""A questionnaire as qfill sees it: sheets, their detected layout, and question rows.

The records here are what every later step works from. Reading a workbook and detecting
its layout is :func:`read_questionnaire`; nothing downstream looks at openpyxl objects.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

TargetRole = Literal["short", "answer", "evidence", "mark"]
FileFormat = Literal["xlsx", "xlsm", "csv"]


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
    written might be rejected, so the cell is never written.
    """

    role: TargetRole
    ref: str
    current: str | None = None
    formula: bool = False
    choices: tuple[str, ...] = ()
    mark: str | None = None
    restricted: bool = False

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


# --------------------------------------------------------------------------- reading

MAPPING_KEYS: dict[str, str] = {
    "question": "question", "id": "id", "section": "section", "short": "short",
    "answer": "answer", "evidence": "evidence", "response": "response", "details": "details",
    "yes": "mark:Yes", "no": "mark:No", "na": "mark:N/A",
}
# Roles of the columns qfill writes; a --map naming any of them replaces all detected ones.
MAPPED_TARGET_ROLES = ("short", "answer", "evidence", "response", "details",
                       "mark:Yes", "mark:No", "mark:N/A")
_COLUMN = re.compile(r"^[A-Za-z]{1,3}$")


def read_questionnaire(path: Path, *, include_hidden: bool = False,
                       sheets: Sequence[str] | None = None,
                       mapping: ColumnMapping | None = None,
                       allow_empty: bool = False) -> Questionnaire:
    """Read a customer's .xlsx, .xlsm or .csv questionnaire: layouts and question rows.

    Raises :class:`~qfill.errors.InputError` for a file that cannot be used (missing,
    empty, legacy .xls, encrypted, damaged, hostile) and, unless ``allow_empty`` (as
    ``qfill inspect`` does), for a file in which no sheet holds question rows.
    :class:`~qfill.errors.UsageError` for a ``--sheet`` that names no sheet.
    """
    from qfill.errors import InputError
    from qfill.workbookfile import check_input_file

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv"):
        from qfill.csvquestionnaire import read_csv_questionnaire

        questionnaire = read_csv_questionnaire(path, mapping=mapping)
    else:
        head = check_input_file(path)
        if not head.startswith(b"PK") and suffix not in (".xlsx", ".xlsm", ".xltx", ".xltm"):
            raise InputError(f"{path}: unsupported file type '{path.suffix or path.name}'; "
                             "give an .xlsx, .xlsm or .csv questionnaire")
        from qfill.reading import read_workbook

        questionnaire = read_workbook(path, include_hidden=include_hidden, sheets=sheets,
                                      mapping=mapping)
    if not questionnaire.rows and not allow_empty:
        raise InputError(f"{path}: no question rows found in any sheet; use `qfill inspect` "
                         "and --map")
    return questionnaire


def parse_column_mapping(spec: str) -> ColumnMapping:
    """``question=C,answer=E,short=D,id=A,evidence=F,header=4``, or a YAML file of those keys.

    Keys: question, id, section, short, answer, evidence, response, details, yes, no, na
    (mark columns) and header (the header row). Raises UsageError on anything else.
    """
    from qfill.errors import UsageError
    from qfill.xlsxpackage import column_index

    text = spec.strip()
    where = f"--map {spec!r}"
    pairs: list[tuple[str, object]]
    candidate = Path(text)
    if text and (candidate.suffix.lower() in (".yaml", ".yml") or candidate.is_file()):
        pairs, where = _mapping_file(candidate), str(candidate)
    else:
        pairs = []
        for item in filter(None, (part.strip() for part in text.split(","))):
            key, sep, value = item.partition("=")
            if not sep:
                raise UsageError(f"{where}: '{item}' is not key=value; write e.g. "
                                 "question=C,answer=E,short=D")
            pairs.append((key.strip(), value.strip()))
    if not pairs:
        raise UsageError(f"{where}: empty column mapping; write e.g. question=C,answer=E")
    columns: dict[str, str] = {}
    header: int | None = None
    seen: set[str] = set()
    for key, raw in pairs:
        name = key.strip().lower()
        value = str(raw).strip()
        if name in seen:
            raise UsageError(f"{where}: '{name}' is given twice; give each key once")
        seen.add(name)
        if name == "header":
            header = _header_row(where, value)
            continue
        if name not in MAPPING_KEYS:
            hint = difflib.get_close_matches(name, [*MAPPING_KEYS, "header"], n=1, cutoff=0.6)
            did_you_mean = f" (did you mean '{hint[0]}'?)" if hint else ""
            raise UsageError(f"{where}: unknown key '{name}'{did_you_mean}; use "
                             f"{', '.join([*MAPPING_KEYS, 'header'])}")
        letter = value.upper()
        if not _COLUMN.match(letter) or column_index(letter) > 16384:
            raise UsageError(f"{where}: '{name}={value}' is not a column letter; write e.g. "
                             f"{name}=C")
        columns[MAPPING_KEYS[name]] = letter
    written = [(role, columns[role]) for role in MAPPED_TARGET_ROLES if role in columns]
    letters = [letter for _role, letter in written]
    for letter in letters:
        if letters.count(letter) > 1 or letter in (columns.get("question"), columns.get("id")):
            raise UsageError(f"{where}: column {letter} is given two roles; an answer column "
                             "must be its own column")
    return ColumnMapping(columns, header)


def _mapping_file(path: Path) -> list[tuple[str, object]]:
    import yaml

    from qfill.errors import UsageError

    try:
        text = path.read_text(encoding="utf-8")
        if len(text) > 64 * 1024:
            raise UsageError(f"{path}: too large for a column mapping; keep it to a few keys")
        data = yaml.safe_load(text)
    except FileNotFoundError:
        raise UsageError(f"{path}: no such mapping file; check the path given to --map") from None
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"{path}: cannot read the mapping file ({e})") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise UsageError(f"{where}: not valid YAML; write keys like 'question: C'") from None
    if not isinstance(data, dict):
        raise UsageError(f"{path}: a column mapping must be a YAML mapping like 'question: C'")
    # YAML 1.1 reads the keys yes/no as booleans.
    return [({True: "yes", False: "no"}.get(key, str(key)) if isinstance(key, bool)
             else str(key), value) for key, value in data.items()]


def _header_row(where: str, value: object) -> int:
    from qfill.errors import UsageError

    try:
        row = int(str(value).strip())
    except ValueError:
        row = 0
    if not 1 <= row <= 1_048_576:
        raise UsageError(f"{where}: header={value} is not a row number; write e.g. header=4")
    return row
