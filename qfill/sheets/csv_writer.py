"""Writing answers into a CSV questionnaire, and checking the written copy.

Records without a planned cell keep their exact text; changed ones are quoted as they
were. Planned values that a spreadsheet would run as a formula get a leading apostrophe.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal

from qfill.errors import OutputError
from qfill.escaping import csv_safe
from qfill.files import FileContent
from qfill.filling import FillPlan
from qfill.sheets.a1 import format_ref
from qfill.sheets.cell_text import EXCEL_CELL_LIMIT, excel_length
from qfill.sheets.csv_table import CsvTable, parse_csv, parse_csv_table
from qfill.sheets.output import Cell, Failer, planned_writes

HeaderRow = int | Literal["auto"] | None  # CSV record that gets appended column names


def _line_ending(raw: str) -> str:
    for ending in ("\r\n", "\n", "\r"):
        if raw.endswith(ending):
            return ending
    return ""


def _format_record(table: CsvTable, fields: Sequence[str], original: Sequence[str],
                   like: str) -> str:
    """``fields`` as one CSV record, quoted like ``original`` (raw text ``like``) was."""
    ending = _line_ending(like)

    def render(quoting: Literal[0, 1], row: Sequence[str]) -> str:
        # The writer quotes a field holding any character of its line terminator, so give
        # it CRLF: then a lone CR or LF inside a value is always quoted.
        out = io.StringIO()
        csv.writer(out, delimiter=table.delimiter, quotechar=table.quotechar,
                   doublequote=table.doublequote, escapechar=table.escapechar,
                   quoting=quoting, lineterminator="\r\n").writerow(row)
        return out.getvalue()[:-2] + ending

    quoting: Literal[0, 1] = 0  # csv.QUOTE_MINIMAL
    if original and render(0, original) != like and render(1, original) == like:
        quoting = 1  # csv.QUOTE_ALL: the record had every field quoted
    return render(quoting, fields)


def _csv_cells(plan: FillPlan, source: Path) -> dict[Cell, str]:
    writes = planned_writes(plan)
    cells: dict[Cell, str] = {}
    for sheet in writes.values():
        for cell, value in sheet.items():
            if cell in cells and cells[cell] != value:
                raise ValueError(f"{source}: cell {format_ref(*cell)} planned twice")
            cells[cell] = value
    for cell, value in cells.items():
        if excel_length(csv_safe(value)) > EXCEL_CELL_LIMIT:
            raise OutputError(f"{source}: cell {format_ref(*cell)}: the text is longer than "
                              f"the {EXCEL_CELL_LIMIT:,} characters a spreadsheet cell holds; "
                              "shorten that answer in the library")
    return cells


def _header_record(table: CsvTable, header_row: HeaderRow) -> int | None:
    """The record (1-based) that gets the appended names; None: no header record."""
    if header_row == "auto":
        return next((i + 1 for i, r in enumerate(table.records) if any(v.strip() for v in r)),
                    None)
    return header_row


def _filled_records(table: CsvTable, cells: Mapping[Cell, str], header: Sequence[str],
                    header_row: HeaderRow, source: Path) -> dict[int, list[str]]:
    """Record index -> new fields, for the records that change."""
    changed: dict[int, list[str]] = {}
    row_of_names = _header_record(table, header_row) if header else None
    if header and row_of_names is not None:
        if not 1 <= row_of_names <= len(table.records):
            raise ValueError(f"{source}: header row {row_of_names} is not in the file")
        fields = list(table.records[row_of_names - 1])
        fields += [""] * (table.width + len(header) - len(fields))
        for i, name in enumerate(header):
            fields[table.width + i] = csv_safe(name)
        changed[row_of_names - 1] = fields
    for (row, col), value in sorted(cells.items()):
        if row > len(table.records):
            raise OutputError(f"{source}: cell {format_ref(row, col)} is below the last record "
                              f"({len(table.records)}); check the plan")
        fields = changed.setdefault(row - 1, list(table.records[row - 1]))
        fields += [""] * (col - len(fields))
        fields[col - 1] = csv_safe(value)
    return changed


def write_csv(input_file: FileContent, plan: FillPlan, header: Sequence[str],
              header_row: HeaderRow) -> bytes:
    """The bytes of the CSV ``input_file`` with the plan applied (see :func:`fill_copy`)."""
    source = input_file.path
    cells = _csv_cells(plan, source)
    table = parse_csv_table(input_file)
    changed = _filled_records(table, cells, header, header_row, source)
    text = "".join(_format_record(table, changed[i], table.records[i], raw)
                   if i in changed else raw for i, raw in enumerate(table.raw))
    try:
        payload = table.bom + text.encode(table.encoding)
    except UnicodeEncodeError as e:
        bad = text[e.start:e.end]
        raise OutputError(f"{source}: the answer text has {bad!r}, which the file's encoding "
                          f"({table.encoding}) cannot hold; save the CSV as UTF-8") from None
    return payload


def check_csv(input_file: FileContent, output_file: FileContent, plan: FillPlan,
              header: Sequence[str] | None, header_row: HeaderRow) -> None:
    source, written, data = input_file.path, output_file.path, output_file.data
    fail = Failer(written)
    cells = _csv_cells(plan, source)
    table = parse_csv_table(input_file)
    if not data.startswith(table.bom):
        fail("the byte order mark changed")
    try:
        text = data[len(table.bom):].decode(table.encoding)
    except UnicodeDecodeError:
        fail(f"the output is no longer {table.encoding} text")
    out = parse_csv(written, text, bom=table.bom, encoding=table.encoding,
                    delimiter=table.delimiter, quotechar=table.quotechar,
                    doublequote=table.doublequote, escapechar=table.escapechar)
    if len(out.records) != len(table.records):
        fail(f"it has {len(out.records)} records, the input {len(table.records)}")
    names: dict[Cell, str] = {}
    row_of_names = _header_record(table, header_row) if header else None
    if header and row_of_names is not None:
        names = {(row_of_names, table.width + 1 + i): csv_safe(name)
                 for i, name in enumerate(header)}
    planned_rows = {r for r, _ in cells} | {r for r, _ in names}
    inferred = 0
    for index, (before, after) in enumerate(zip(table.records, out.records, strict=False)):
        row = index + 1
        if _line_ending(table.raw[index]) != _line_ending(out.raw[index]):
            fail(f"record {row} has another line ending")
        if row not in planned_rows:
            if table.raw[index] == out.raw[index]:
                continue
            if header is None and inferred == 0 and _only_names_appended(table, before, after):
                inferred += 1  # names appended by a caller that did not tell us which
                continue
            fail(f"record {row} changed but has no planned cell")
        for col in range(1, max(len(before), len(after)) + 1):
            got = after[col - 1] if col <= len(after) else ""
            if (row, col) in cells:
                expected = csv_safe(cells[(row, col)])
            elif (row, col) in names:
                expected = names[(row, col)]
            else:
                expected = before[col - 1] if col <= len(before) else ""
            if got != expected:
                fail(f"cell {format_ref(row, col)} holds {got[:40]!r}, "
                     f"expected {expected[:40]!r}")


def _only_names_appended(table: CsvTable, before: Sequence[str], after: Sequence[str]) -> bool:
    """``after`` is ``before`` plus text in consecutive blank columns after the last one."""
    width = table.width
    if list(after[:width]) != list(before[:width]) + [""] * (width - len(before)):
        return False
    added = list(after[width:])
    blank_before = all(not v.strip() for v in before[width:])
    while added and added[-1] == "":
        added.pop()
    return blank_before and bool(added) and all(v.strip() for v in added) and \
        len(after) >= len(before)
