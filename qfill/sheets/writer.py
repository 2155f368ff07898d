"""Applying a fill plan to the customer's file, and proving nothing else changed.

The customer's workbook is theirs: validations, formats, images, macros and hidden sheets
must come back exactly as they were sent. So :func:`write_filled` edits the file's package
in place (see :mod:`qfill.sheets.xlsx_writer`) instead of re-saving it through a workbook
model, and :func:`verify_filled` reopens the result and checks, part by part and cell by
cell, that only the planned cells differ. CSV questionnaires are rewritten record by
record (:mod:`qfill.sheets.csv_writer`): records without a planned cell keep their exact
text.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from qfill.errors import InputError, QfillError, VerificationError
from qfill.files import FileContent, atomic_write
from qfill.filling import FillPlan
from qfill.sheets.csv_writer import HeaderRow, verify_csv, write_csv
from qfill.sheets.output import refuse_same_file
from qfill.sheets.xlsx_writer import verify_workbook, write_workbook


def fill_copy(source: FileContent, plan: FillPlan, *, file_format: str,
              highlight: bool = False, csv_header_append: Sequence[str] = (),
              csv_header_row: HeaderRow = "auto") -> bytes:
    """The bytes of a copy of ``source`` with the plan's cells filled.

    The copy differs from the source only in the planned cells (and, with ``highlight``, in
    the style of the plan's highlight cells plus the style entries they need). Values are
    written as text, never as formulas. It is made from ``source.data``, the bytes the
    questionnaire was read (and matched) from, never from the file on disk again.

    For CSV, ``csv_header_append`` names the columns appended after the last column that
    holds text (:attr:`CsvTable.width`, the reader's rule); writes may target them. The
    names go into record ``csv_header_row``: ``"auto"`` is the first record holding text
    (where the reader finds the header), None means the file has no header record.
    Planned CSV values that a spreadsheet would run as a formula are written with a
    leading apostrophe.

    Raises OutputError (value too long for a cell, unknown sheet), InputError (a damaged
    source) and ValueError for a plan that breaks its contract (a write into a formula
    cell, an invalid reference, one cell planned twice).
    """
    if file_format == "csv":
        return write_csv(source, plan, tuple(csv_header_append), csv_header_row)
    if file_format in ("xlsx", "xlsm"):
        return write_workbook(source, plan, highlight=highlight)
    raise ValueError(f"unknown file format {file_format!r}")


def verify_copy(source: FileContent, written: FileContent, plan: FillPlan, *,
                file_format: str, highlight: bool | None = None,
                csv_header_append: Sequence[str] | None = None,
                csv_header_row: HeaderRow = "auto") -> None:
    """Prove ``written`` is ``source`` plus exactly the plan.

    Workbooks: every zip member other than the written worksheets (and ``styles.xml`` when
    highlighting) is byte-identical, raw compressed bytes included; in the written sheets
    every row and cell outside the plan is byte-identical, and each planned cell is an
    inline string holding exactly the planned text. ``highlight=None`` accepts the output
    with or without the highlight, as long as it is all or nothing. CSV: the same records
    and fields, except the planned cells and the appended header names; when
    ``csv_header_append`` is None (not known), names appended to one record in blank
    columns after the last filled one are accepted.

    Raises VerificationError naming the first difference (its exit code is 1).
    """
    if file_format == "csv":
        header = None if csv_header_append is None else tuple(csv_header_append)
        verify_csv(source, written, plan, header, csv_header_row)
    elif file_format in ("xlsx", "xlsm"):
        verify_workbook(source, written, plan, highlight)
    else:
        raise ValueError(f"unknown file format {file_format!r}")


def write_filled(source: Path, destination: Path, plan: FillPlan, *, file_format: str,
                 highlight: bool = False, csv_header_append: Sequence[str] = (),
                 csv_header_row: HeaderRow = "auto") -> None:
    """Write :func:`fill_copy` of the file at ``source`` to ``destination`` atomically.

    A destination that is the source is refused; the source is never modified.
    """
    refuse_same_file(source, destination)
    data = fill_copy(_read(source, InputError), plan, file_format=file_format,
                     highlight=highlight, csv_header_append=csv_header_append,
                     csv_header_row=csv_header_row)
    atomic_write(destination, data)


def verify_filled(source: Path, written: Path, plan: FillPlan, *, file_format: str,
                  highlight: bool | None = None,
                  csv_header_append: Sequence[str] | None = None,
                  csv_header_row: HeaderRow = "auto") -> None:
    """Reopen ``written`` and prove it is ``source`` plus exactly the plan (see
    :func:`verify_copy`)."""
    verify_copy(_read(source, InputError), _read(written, VerificationError), plan,
                file_format=file_format, highlight=highlight,
                csv_header_append=csv_header_append, csv_header_row=csv_header_row)


def _read(path: Path, error: type[QfillError]) -> FileContent:
    try:
        return FileContent(path, path.read_bytes())
    except OSError as e:
        raise error(f"{path}: cannot be read ({e.strerror}); it is not a usable file") from None
