"""Reading a customer's questionnaire, whichever its format: .xlsx, .xlsm or .csv."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from qfill.errors import InputError
from qfill.questionnaire import ColumnMapping, Questionnaire
from qfill.sheets.csv_reader import read_csv_questionnaire
from qfill.sheets.workbook import check_input_file
from qfill.sheets.xlsx_reader import read_workbook


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
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv"):
        questionnaire = read_csv_questionnaire(path, mapping=mapping)
    else:
        head = check_input_file(path)
        if not head.startswith(b"PK") and suffix not in (".xlsx", ".xlsm", ".xltx", ".xltm"):
            raise InputError(f"{path}: unsupported file type '{path.suffix or path.name}'; "
                             "give an .xlsx, .xlsm or .csv questionnaire")
        questionnaire = read_workbook(path, include_hidden=include_hidden, sheets=sheets,
                                      mapping=mapping)
    if not questionnaire.rows and not allow_empty:
        raise InputError(f"{path}: no question rows found in any sheet; use `qfill inspect` "
                         "and --map")
    return questionnaire
