"""Applying a fill plan to the customer's file, and proving nothing else changed.

(In qfill "verify" is what happens to an answer before it is written; what happens to the
written file is the output *check*.)

The customer's workbook is theirs: validations, formats, images, macros and hidden sheets
must come back exactly as they were sent. So :func:`write_filled` edits the file's package
in place (see :mod:`qfill.sheets.xlsx_writer`) instead of re-saving it through a workbook
model, and :func:`check_filled` reopens the result and checks, part by part and cell by
cell, that only the planned cells differ. CSV questionnaires are rewritten record by
record (:mod:`qfill.sheets.csv_writer`): records without a planned cell keep their exact
text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from qfill.errors import InputError, OutputCheckError, QfillError
from qfill.files import FileContent, OutputSet, atomic_write
from qfill.filling import FillPlan
from qfill.questionnaire import FileFormat, Questionnaire
from qfill.sheets.csv_writer import HeaderRow, check_csv, write_csv
from qfill.sheets.output import FilledCopy, refuse_same_file
from qfill.sheets.sheet_edit import SheetScan
from qfill.sheets.xlsx_writer import check_workbook, write_workbook


@dataclass(frozen=True, slots=True)
class WriteTarget:
    """How a plan goes into a questionnaire's file, as the reader found that file.

    ``file_format`` is the questionnaire's. For CSV, ``append_columns`` are the header
    names written after the last column holding text (the file had no answer column,
    :attr:`CsvTable.width` is the reader's rule, and writes may target them) and
    ``header_row`` the record that gets them: ``"auto"`` is the first record holding text,
    None a file without a header record.
    """

    file_format: FileFormat
    append_columns: tuple[str, ...] = ()
    header_row: HeaderRow = "auto"

    @classmethod
    def of(cls, questionnaire: Questionnaire) -> WriteTarget:
        """The target the reader found: for a CSV the header row it detected, so the
        writer and the check put the appended names where the reader named the cells."""
        header_row: HeaderRow = "auto"
        if questionnaire.format == FileFormat.CSV and questionnaire.sheets \
                and questionnaire.sheets[0].header_row:
            header_row = questionnaire.sheets[0].header_row
        return cls(questionnaire.format, questionnaire.append_columns, header_row)


def stage_filled_copy(outputs: OutputSet, destination: Path, source: FileContent,
                      plan: FillPlan, target: WriteTarget, *, replace: bool,
                      highlight: bool = False, check: bool = True) -> Path:
    """Fill a copy of ``source``, stage it for ``destination`` and prove it: the one way a
    filled file is written (``qfill answer`` and ``qfill apply`` both come here).

    The copy is made from ``source.data``, the bytes that were read and matched
    (:func:`fill_copy`), staged in ``outputs`` (it appears at ``destination`` when they are
    committed; ``replace`` allows an existing file there), and, with ``check``, read back
    from disk and checked to be the source plus exactly the plan (:func:`check_copy`).
    Returns the staged file.
    """
    copy = filled_copy(source, plan, target, highlight=highlight)
    temp = outputs.stage(destination, copy.data, replace=replace)
    if check:
        check_copy(source, FileContent(destination, temp.read_bytes()), plan, target,
                   highlight=highlight, source_sheets=copy.source_sheets)
    return temp


def filled_copy(source: FileContent, plan: FillPlan, target: WriteTarget, *,
                highlight: bool = False) -> FilledCopy:
    """:func:`fill_copy`, with the writer's scans of the source kept for the check."""
    if target.file_format == FileFormat.CSV:
        return FilledCopy(write_csv(source, plan, target.append_columns, target.header_row))
    if target.file_format in (FileFormat.XLSX, FileFormat.XLSM):
        return write_workbook(source, plan, highlight=highlight)
    raise ValueError(f"unknown file format {target.file_format!r}")


def fill_copy(source: FileContent, plan: FillPlan, target: WriteTarget, *,
              highlight: bool = False) -> bytes:
    """The bytes of a copy of ``source`` with the plan's cells filled.

    The copy differs from the source only in the planned cells (and, with ``highlight``, in
    the style of the plan's highlight cells plus the style entries they need). Values are
    written as text, never as formulas. It is made from ``source.data``, the bytes the
    questionnaire was read (and matched) from, never from the file on disk again. Planned
    CSV values that a spreadsheet would run as a formula get a leading apostrophe.

    Raises OutputError (value too long for a cell, unknown sheet), InputError (a damaged
    source) and ValueError for a plan that breaks its contract (a write into a formula
    cell, an invalid reference, one cell planned twice).
    """
    return filled_copy(source, plan, target, highlight=highlight).data


def check_copy(source: FileContent, written: FileContent, plan: FillPlan,
               target: WriteTarget, *, highlight: bool,
               source_sheets: Mapping[str, SheetScan] | None = None) -> None:
    """Prove ``written`` is ``source`` plus exactly the plan.

    Workbooks: every zip member other than the written worksheets (and ``styles.xml`` when
    highlighting) is byte-identical, raw compressed bytes and zip metadata included,
    compared without decompressing it; in the written sheets every byte outside the
    planned rows is identical (compared as bytes, in one pass), and in the planned rows,
    parsed one at a time, every cell outside the plan is byte-identical and each planned
    cell is an inline string holding exactly the planned text. ``source_sheets``
    (:attr:`FilledCopy.source_sheets`) spares parsing the source's sheets again. CSV: the
    same records and fields, except the planned cells and the appended header names.

    Raises OutputCheckError naming the first difference (its exit code is 1).
    """
    _check(source, written, plan, target.file_format, highlight, target.append_columns,
           target.header_row, source_sheets)


def _check(source: FileContent, written: FileContent, plan: FillPlan, file_format: FileFormat,
            highlight: bool, csv_header_append: Sequence[str] | None,
            csv_header_row: HeaderRow,
            source_sheets: Mapping[str, SheetScan] | None = None) -> None:
    if file_format == FileFormat.CSV:
        header = None if csv_header_append is None else tuple(csv_header_append)
        check_csv(source, written, plan, header, csv_header_row)
    elif file_format in (FileFormat.XLSX, FileFormat.XLSM):
        check_workbook(source, written, plan, highlight, source_sheets)
    else:
        raise ValueError(f"unknown file format {file_format!r}")


def write_filled(source: Path, destination: Path, plan: FillPlan, *, file_format: FileFormat,
                 highlight: bool = False, csv_header_append: Sequence[str] = (),
                 csv_header_row: HeaderRow = "auto") -> None:
    """Write :func:`fill_copy` of the file at ``source`` to ``destination`` atomically.

    A destination that is the source is refused; the source is never modified.
    """
    refuse_same_file(source, destination)
    target = WriteTarget(file_format, tuple(csv_header_append), csv_header_row)
    atomic_write(destination, fill_copy(_read(source, InputError), plan, target,
                                        highlight=highlight))


def check_filled(source: Path, written: Path, plan: FillPlan, *, file_format: FileFormat,
                 highlight: bool = False,
                 csv_header_append: Sequence[str] | None = None,
                 csv_header_row: HeaderRow = "auto") -> None:
    """Reopen ``written`` and prove it is ``source`` plus exactly the plan (see
    :func:`check_copy`). ``csv_header_append=None`` (not known)
    accepts names appended to one record in blank columns after the last filled one."""
    _check(_read(source, InputError), _read(written, OutputCheckError), plan,
           file_format, highlight, csv_header_append, csv_header_row)


def _read(path: Path, error: type[QfillError]) -> FileContent:
    try:
        return FileContent(path, path.read_bytes())
    except OSError as e:
        raise error(f"{path}: cannot be read ({e.strerror}); it is not a usable file") from None
