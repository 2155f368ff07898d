"""Reading a customer's questionnaire, whichever its format: .xlsx, .xlsm or .csv."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from qfill.errors import InputError
from qfill.files import FileContent
from qfill.questionnaire import ColumnMapping, FileFormat, Questionnaire
from qfill.sheets.csv_reader import MAX_CSV_BYTES, read_csv_questionnaire
from qfill.sheets.workbook import read_input_file
from qfill.sheets.xlsx_reader import read_workbook

# The file names each format is written under. A questionnaire is read by its content, so
# a workbook named .xls or .csv is read as the workbook it is, and its filled copy takes
# the suffix of what it is (a macro-enabled package named .xlsx would not open in Excel).
SUFFIXES: dict[FileFormat, tuple[str, ...]] = {
    FileFormat.XLSX: (".xlsx", ".xltx"), FileFormat.XLSM: (".xlsm", ".xltm"),
    FileFormat.CSV: (".csv", ".tsv")}


_ON_THIS_SHEET = re.compile(r" on this sheet( \([^)]*\))?")


def output_suffix(path: Path, file_format: FileFormat) -> str:
    """The suffix for a copy of ``path`` whose content is ``file_format``."""
    suffix = path.suffix.lower()
    return suffix if suffix in SUFFIXES[file_format] else f".{file_format.value}"


def read_questionnaire(path: Path | FileContent, *, include_hidden: bool = False,
                       sheets: Sequence[str] | None = None,
                       mapping: ColumnMapping | None = None,
                       allow_empty: bool = False) -> Questionnaire:
    """Read a customer's .xlsx, .xlsm or .csv questionnaire: layouts and question rows.

    ``path`` may be a file already read (:func:`read_input_file`): a command that writes
    a filled copy reads the file once and fills the copy from the bytes it matched.

    Raises :class:`~qfill.errors.InputError` for a file that cannot be used (missing,
    empty, legacy .xls, encrypted, damaged, hostile) and, unless ``allow_empty`` (as
    ``qfill inspect`` does), for a file in which no sheet holds question rows.
    :class:`~qfill.errors.UsageError` for a ``--sheet`` that names no sheet.
    """
    source = path if isinstance(path, FileContent) else read_input_file(
        Path(path), **_limit(Path(path)))
    suffix = source.path.suffix.lower()
    if suffix in (".csv", ".tsv") and not source.data.startswith(b"PK"):
        questionnaire = read_csv_questionnaire(source, mapping=mapping)
    else:
        if not source.data.startswith(b"PK") and \
                suffix not in (".xlsx", ".xlsm", ".xltx", ".xltm"):
            raise InputError(f"{source.path}: unsupported file type "
                             f"'{source.path.suffix or source.path.name}'; "
                             "give an .xlsx, .xlsm or .csv questionnaire")
        questionnaire = read_workbook(source, include_hidden=include_hidden, sheets=sheets,
                                      mapping=mapping)
    if not questionnaire.rows and not allow_empty:
        raise InputError(f"{source.path}: {why_no_rows(questionnaire)}")
    return questionnaire


def why_no_rows(questionnaire: Questionnaire) -> str:
    """Why no sheet gave question rows: a --map mistake by name, else what to try."""
    mistakes = [(sheet.sheet, sheet.reason) for sheet in questionnaire.sheets
                if sheet.reason and sheet.reason.startswith("--map")]
    if mistakes:
        # The same mistake on every sheet is said once, for the workbook.
        general = {_ON_THIS_SHEET.sub(" on any sheet", reason) for _, reason in mistakes}
        if len(general) == 1 and len(mistakes) > 1:
            return f"no question rows found; {general.pop()}"
        name, reason = mistakes[0]
        return f"no question rows found; sheet '{name}': {reason}"
    return "no question rows found in any sheet; use `qfill inspect` and --map"


def read_questionnaire_file(path: Path) -> FileContent:
    """The questionnaire's bytes, read once, with the size limit of its kind."""
    return read_input_file(path, **_limit(path))


def _limit(path: Path) -> dict[str, Any]:
    if path.suffix.lower() in (".csv", ".tsv"):
        return {"limit": MAX_CSV_BYTES, "what": "CSV questionnaire"}
    return {}
