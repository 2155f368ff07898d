"""Applying a fill plan to the customer's file, and proving nothing else changed.

The customer's workbook is theirs: validations, formats, images, macros and hidden sheets
must come back exactly as they were sent. So :func:`write_filled` edits the file's package
in place (see :mod:`qfill.xlsxpackage`) instead of re-saving it through a workbook model,
and :func:`verify_filled` reopens the result and checks, part by part and cell by cell,
that only the planned cells differ. CSV questionnaires are rewritten record by record:
records without a planned cell keep their exact text.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal, NoReturn
from xml.etree.ElementTree import Element, tostring

from qfill.errors import InputError, OutputError, VerificationError
from qfill.files import atomic_output
from qfill.filling import FillPlan
from qfill.render.text import csv_safe
from qfill.xlsxpackage import (
    EXCEL_CELL_LIMIT,
    CellEdit,
    CellSpan,
    Package,
    RowSpan,
    SheetScan,
    WorkbookParts,
    add_highlight_styles,
    column_letters,
    encode_cell_text,
    excel_length,
    format_ref,
    formula_cells,
    parse_ref,
    scan_sheet,
    set_attributes,
    splice_sheet,
    widened_dimension,
    workbook_parts,
    write_package,
)

FileFormat = Literal["xlsx", "xlsm", "csv"]
Cell = tuple[int, int]  # (row, column), both 1-based
HeaderRow = int | Literal["auto"] | None  # CSV record that gets appended column names

# Spreadsheet apps run a CSV cell that starts with one of these as a formula (CSV/formula
# injection, OWASP); a leading apostrophe makes them show it as text.


# --------------------------------------------------------------------------- public API


def write_filled(source: Path, destination: Path, plan: FillPlan, *, file_format: str,
                 highlight: bool = False, csv_header_append: Sequence[str] = (),
                 csv_header_row: HeaderRow = "auto") -> None:
    """Write a copy of ``source`` to ``destination`` with the plan's cells filled.

    The copy differs from the source only in the planned cells (and, with ``highlight``, in
    the style of the plan's highlight cells plus the style entries they need). Values are
    written as text, never as formulas. The destination appears atomically or not at all;
    the source is never modified, and a destination that is the source is refused.

    For CSV, ``csv_header_append`` names the columns appended after the last column that
    holds text (:attr:`CsvTable.width`, the reader's rule); writes may target them. The
    names go into record ``csv_header_row``: ``"auto"`` is the first record holding text
    (where the reader finds the header), None means the file has no header record.
    Planned CSV values that a spreadsheet would run as a formula are written with a
    leading apostrophe.

    Raises OutputError (unwritable destination, value too long for a cell, unknown sheet),
    InputError (unreadable source) and ValueError for a plan that breaks its contract
    (a write into a formula cell, an invalid reference, one cell planned twice).
    """
    _refuse_same_file(source, destination)
    if file_format == "csv":
        _write_csv(source, destination, plan, tuple(csv_header_append), csv_header_row)
    elif file_format in ("xlsx", "xlsm"):
        _write_workbook(source, destination, plan, highlight=highlight)
    else:
        raise ValueError(f"unknown file format {file_format!r}")


def verify_filled(source: Path, written: Path, plan: FillPlan, *, file_format: str,
                  highlight: bool | None = None,
                  csv_header_append: Sequence[str] | None = None,
                  csv_header_row: HeaderRow = "auto") -> None:
    """Reopen ``written`` and prove it is ``source`` plus exactly the plan.

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
        _verify_csv(source, written, plan, header, csv_header_row)
    elif file_format in ("xlsx", "xlsm"):
        _verify_workbook(source, written, plan, highlight)
    else:
        raise ValueError(f"unknown file format {file_format!r}")


# --------------------------------------------------------------------------- the plan


def _refuse_same_file(source: Path, destination: Path) -> None:
    same = source.resolve() == destination.resolve()
    if not same and destination.exists():
        with contextlib.suppress(OSError):
            same = os.path.samefile(source, destination)
    if same:
        raise OutputError(f"{destination}: this is the questionnaire itself and it must not be "
                          "modified; choose another output path")


def _planned_writes(plan: FillPlan) -> dict[str, dict[Cell, str]]:
    """sheet -> {(row, col): value}, checked: valid refs, one value per cell, fits a cell."""
    writes: dict[str, dict[Cell, str]] = {}
    for write in plan.writes:
        cell = parse_ref(write.ref)
        if not isinstance(write.value, str) or not write.value:
            raise ValueError(f"{write.sheet}!{write.ref}: planned value must be non-empty text")
        length = excel_length(write.value)
        if length > EXCEL_CELL_LIMIT:
            raise OutputError(f"{write.sheet}!{write.ref}: the text is {length} characters, "
                              f"more than the {EXCEL_CELL_LIMIT:,} a spreadsheet cell holds; "
                              "shorten that answer in the library")
        sheet = writes.setdefault(write.sheet, {})
        if sheet.get(cell, write.value) != write.value:
            raise ValueError(f"{write.sheet}!{write.ref}: planned twice with different values")
        sheet[cell] = write.value
    return writes


def _planned_highlights(plan: FillPlan) -> dict[str, set[Cell]]:
    marks: dict[str, set[Cell]] = {}
    for sheet, ref in plan.highlights:
        marks.setdefault(sheet, set()).add(parse_ref(ref))
    return marks


def _save(destination: Path, write: Callable[[IO[bytes]], None]) -> None:
    try:
        with atomic_output(destination) as handle:
            write(handle)
    except OSError as e:
        raise OutputError(f"{destination}: cannot write ({e.strerror or e}); "
                          "check the disk and the folder") from None


# --------------------------------------------------------------------------- workbooks


def _sheet_part(parts: WorkbookParts, sheet: str, path: Path) -> str:
    found = parts.sheet(sheet)
    if found is None:
        names = ", ".join(repr(s.name) for s in parts.sheets)
        raise OutputError(f"{path}: no sheet named {sheet!r} (sheets: {names}); "
                          "check the sheet name")
    if found.kind != "worksheet":
        raise OutputError(f"{path}: sheet {sheet!r} is a {found.kind or 'broken sheet'}, not a "
                          "worksheet; qfill can only write into worksheets")
    if found.part is None:
        raise InputError(f"{path}: sheet {sheet!r} points to a missing part; "
                         "the file is damaged")
    return found.part


def _write_workbook(source: Path, destination: Path, plan: FillPlan, *,
                    highlight: bool) -> None:
    writes = _planned_writes(plan)
    marks = _planned_highlights(plan) if highlight else {}
    package = Package.open(source)
    parts = workbook_parts(package)
    order = {s.name: i for i, s in enumerate(parts.sheets)}
    scans: dict[str, tuple[str, SheetScan]] = {}
    for sheet in sorted(set(writes) | set(marks), key=lambda s: order.get(s, len(order))):
        part = _sheet_part(parts, sheet, source)
        rows = {r for r, _ in writes.get(sheet, {})} | {r for r, _ in marks.get(sheet, ())}
        scans[sheet] = (part, scan_sheet(f"{source}: sheet {sheet!r}", package.read(part), rows))
    _refuse_formula_cells(package, parts, writes, scans)

    replaced: dict[str, bytes] = {}
    new_style: dict[int, int] = {}
    if any(marks.values()):
        if parts.styles is None:
            raise OutputError(f"{source}: the workbook has no style sheet to highlight with; "
                              "run without highlighting")
        bases = {scans[s][1].style_at(r, c) for s, cells in marks.items() for r, c in cells}
        replaced[parts.styles], new_style = add_highlight_styles(
            f"{source}: {parts.styles}", package.read(parts.styles), bases)
    for sheet, (part, scan) in scans.items():
        sheet_writes, sheet_marks = writes.get(sheet, {}), marks.get(sheet, set())
        edits = [CellEdit(r, c, sheet_writes.get((r, c)),
                          new_style[scan.style_at(r, c)] if (r, c) in sheet_marks else None)
                 for r, c in sorted(set(sheet_writes) | sheet_marks)]
        replaced[part] = splice_sheet(scan, edits)
    _save(destination, lambda handle: write_package(handle, package, replaced))


def _refuse_formula_cells(package: Package, parts: WorkbookParts,
                          writes: Mapping[str, Mapping[Cell, str]],
                          scans: Mapping[str, tuple[str, SheetScan]]) -> None:
    """A plan writes only into cells without formulas; anything else is a bug upstream."""
    for sheet, cells in writes.items():
        scan = scans[sheet][1]
        for row, col in cells:
            cell = scan.cell(row, col)
            ref = format_ref(row, col)
            if cell is not None and cell.formula:
                raise ValueError(f"{sheet}!{ref} holds a formula; a plan must not write it")
            if any(r1 <= row <= r2 and c1 <= col <= c2
                   for r1, c1, r2, c2 in scan.array_ranges):
                raise ValueError(f"{sheet}!{ref} is inside an array formula; "
                                 "a plan must not write it")
    if parts.calc_chain is None or not any(writes.values()):
        return
    ids = {found.sheet_id: found.name for found in parts.sheets if found.name in writes}
    listed = formula_cells(f"{package.path}: {parts.calc_chain}",
                           package.read(parts.calc_chain), ids)
    for sheet_id, ref in sorted(listed):
        sheet = ids[sheet_id]
        try:
            position = parse_ref(ref)
        except ValueError:
            continue
        if position in writes[sheet]:
            raise ValueError(f"{sheet}!{ref} is in the calculation chain (a formula cell); "
                             "a plan must not write it")


# --------------------------------------------------------------------------- workbook check


def _verify_workbook(source: Path, written: Path, plan: FillPlan,
                     highlight: bool | None) -> None:
    writes = _planned_writes(plan)
    marks = _planned_highlights(plan)
    original = Package.open(source)
    try:
        output = Package.open(written)
    except InputError as e:
        raise VerificationError(f"{written}: the output cannot be reopened ({e}); "
                                "it is not a usable workbook") from None
    fail = _Failer(written)
    if output.names != original.names:
        missing = [n for n in original.names if n not in output]
        added = [n for n in output.names if n not in original]
        what = (f"part {missing[0]} is missing" if missing else
                f"part {added[0]} was added" if added else "the parts are in another order")
        fail(f"{what}")
    parts = workbook_parts(original)
    sheet_parts = {_sheet_part(parts, s, source): s
                   for s in set(writes) | {s for s, c in marks.items() if c}}

    highlighted: _HighlightStyles | None = None
    styles_changed = parts.styles is not None and \
        output.raw(parts.styles) != original.raw(parts.styles)
    if styles_changed:
        assert parts.styles is not None
        if highlight is False or not any(marks.values()):
            fail(f"part {parts.styles} differs from the input, but nothing was to be highlighted")
        highlighted = _check_styles(fail, parts.styles, original.read(parts.styles),
                                    output.read(parts.styles))
    elif highlight and any(marks.values()):
        fail("the cells to highlight were not highlighted")

    for member in original.members:
        name = member.name
        if name in sheet_parts or (styles_changed and name == parts.styles):
            if not _same_metadata(member.info, output.member(name).info, content=False):
                fail(f"part {name} has other zip metadata than the input")
            continue
        if output.raw(name) != original.raw(name) or \
                not _same_metadata(member.info, output.member(name).info, content=True):
            fail(f"part {name} differs from the input")
    for part, sheet in sheet_parts.items():
        _SheetCheck(fail, sheet, original.read(part), output.read(part),
                    writes.get(sheet, {}), marks.get(sheet, set()) if highlighted else set(),
                    highlighted).run()


class _Failer:
    def __init__(self, written: Path) -> None:
        self.written = written

    def __call__(self, what: str) -> NoReturn:
        raise VerificationError(f"{self.written}: {what}; the output does not match the plan "
                                "and must not be used (please report this as a qfill bug)")


def _same_metadata(a: object, b: object, *, content: bool) -> bool:
    keys = ["orig_filename", "date_time", "create_system", "create_version", "external_attr",
            "internal_attr", "comment", "flag_bits", "compress_type"]
    if content:
        keys += ["CRC", "compress_size", "file_size"]
    else:
        keys.remove("flag_bits")
    return all(getattr(a, k) == getattr(b, k) for k in keys)


@dataclass(frozen=True, slots=True)
class _HighlightStyles:
    """What the highlight added to styles.xml: one fill, and cell formats cloned from others."""

    fill_id: int
    base_xfs: tuple[Element, ...]
    new_xfs: Mapping[int, Element]

    def is_clone(self, new: int, base: int) -> bool:
        """Is cell format ``new`` the format ``base`` with only the highlight fill set?"""
        if new not in self.new_xfs or not 0 <= base < len(self.base_xfs):
            return False
        original, clone = self.base_xfs[base], self.new_xfs[new]
        expected = {**original.attrib, "fillId": str(self.fill_id), "applyFill": "1"}
        return (clone.attrib == expected and (clone.text or "").strip() ==
                (original.text or "").strip()
                and [_xml(c) for c in clone] == [_xml(c) for c in original])


def _xml(element: Element) -> bytes:
    tail, element.tail = element.tail, None
    try:
        return tostring(element)
    finally:
        element.tail = tail


def _check_styles(fail: Callable[[str], NoReturn], name: str, before: bytes, after: bytes
                  ) -> _HighlightStyles:
    """Check styles.xml gained one solid fill and highlighted copies of cell formats only."""
    from defusedxml.ElementTree import fromstring

    try:
        a, b = fromstring(before, forbid_dtd=True), fromstring(after, forbid_dtd=True)
    except Exception as e:  # ParseError, DTDForbidden, ...
        fail(f"part {name} cannot be read ({e})")
    if a.tag != b.tag or a.attrib != b.attrib or [x.tag for x in a] != [y.tag for y in b]:
        fail(f"part {name} changed beyond the highlight")
    fill_id: int | None = None
    base_xfs: list[Element] | None = None
    new_xfs: dict[int, Element] = {}
    for x, y in zip(a, b, strict=False):
        local = x.tag.rsplit("}", 1)[-1]
        if local not in ("fills", "cellXfs"):
            if _xml(x) != _xml(y):
                fail(f"part {name}: <{local}> changed")
            continue
        old, new = list(x), list(y)
        same_attrs = ({k: v for k, v in x.attrib.items() if k != "count"} ==
                      {k: v for k, v in y.attrib.items() if k != "count"})
        if not same_attrs or y.get("count") not in (None, str(len(new))) or \
                [_xml(e) for e in new[:len(old)]] != [_xml(e) for e in old]:
            fail(f"part {name}: existing <{local}> entries changed")
        if local == "fills":
            if fill_id is not None or len(new) != len(old) + 1:
                fail(f"part {name}: expected exactly one new fill")
            pattern = next(iter(new[-1]), None)
            if pattern is None or pattern.get("patternType") != "solid":
                fail(f"part {name}: the new fill is not a solid fill")
            fill_id = len(old)
        else:
            base_xfs = old
            new_xfs = {len(old) + i: e for i, e in enumerate(new[len(old):])}
    if fill_id is None or base_xfs is None:
        fail(f"part {name} changed beyond the highlight")
    result = _HighlightStyles(fill_id, tuple(base_xfs), new_xfs)
    for index in new_xfs:
        if not any(result.is_clone(index, base) for base in range(len(base_xfs))):
            fail(f"part {name}: new cell format {index} is not a highlighted copy of another")
    return result


class _SheetCheck:
    """Compare a worksheet before and after: bytes outside the plan, content inside it."""

    def __init__(self, fail: Callable[[str], NoReturn], sheet: str, before: bytes, after: bytes,
                 writes: Mapping[Cell, str], marks: set[Cell],
                 styles: _HighlightStyles | None) -> None:
        self.fail = fail
        self.sheet = sheet
        self.writes = writes
        self.marks = marks
        self.styles = styles
        self.planned = set(writes) | marks
        rows = {r for r, _ in self.planned}
        self.a = scan_sheet(f"input sheet {sheet!r}", before, rows)
        self.b = _scan_output(fail, sheet, after, rows)

    def where(self, cell: Cell | None = None) -> str:
        return f"sheet {self.sheet!r}" + (f" cell {format_ref(*cell)}" if cell else "")

    def run(self) -> None:
        self._outside_sheet_data()
        self._rows()

    def _outside_sheet_data(self) -> None:
        a, b = self.a, self.b
        assert a.sheet_data is not None and b.sheet_data is not None
        head_a, head_b = a.data[:a.sheet_data[0]], b.data[:b.sheet_data[0]]
        if a.dimension is not None and b.dimension is not None:
            tag_a = a.data[a.dimension[0]:a.dimension[1]]
            tag_b = b.data[b.dimension[0]:b.dimension[1]]
            allowed = {a.dimension_ref, widened_dimension(a.dimension_ref, self.planned)}
            if b.dimension_ref not in allowed or \
                    set_attributes(tag_a, {"ref": b.dimension_ref}) != tag_b:
                self.fail(f"{self.where()}: the dimension changed to {b.dimension_ref!r}")
            head_a = head_a[:a.dimension[0]] + head_a[a.dimension[1]:]
            head_b = head_b[:b.dimension[0]] + head_b[b.dimension[1]:]
        if head_a != head_b:
            self.fail(f"{self.where()}: the XML before the cells changed")
        if a.data[a.sheet_data[1]:] != b.data[b.sheet_data[1]:]:
            self.fail(f"{self.where()}: the XML after the cells changed")
        tag_a = a.data[a.sheet_data[0]:a.sheet_data_tag_end]
        tag_b = b.data[b.sheet_data[0]:b.sheet_data_tag_end]
        if tag_a != tag_b and not (a.sheet_data_empty and _opened(tag_a) == tag_b):
            self.fail(f"{self.where()}: the sheetData element changed")

    def _rows(self) -> None:
        a_rows = {r.number: r for r in self.a.rows}
        b_rows = {r.number: r for r in self.b.rows}
        numbers = [r.number for r in self.b.rows]
        if numbers != sorted(numbers) and [r.number for r in self.a.rows] == sorted(a_rows):
            self.fail(f"{self.where()}: rows are out of order")
        for number in sorted(set(a_rows) | set(b_rows)):
            ra, rb = a_rows.get(number), b_rows.get(number)
            if rb is None:
                self.fail(f"{self.where()}: row {number} is missing")
            assert rb is not None
            if not any(r == number for r, _ in self.planned):
                if ra is None or self.a.data[ra.start:ra.end] != self.b.data[rb.start:rb.end]:
                    self._name_the_cell(number)
                continue
            self._row(number, ra, rb)
        gaps_a = _outside_spans(self.a.data, self.a, [(r.start, r.end) for r in self.a.rows])
        gaps_b = _outside_spans(self.b.data, self.b, [(r.start, r.end) for r in self.b.rows])
        if gaps_a != gaps_b:
            self.fail(f"{self.where()}: content between rows changed")

    def _name_the_cell(self, number: int) -> NoReturn:
        """Fail naming the first differing cell of row ``number`` (rescanned in detail)."""
        ra = scan_sheet("input", self.a.data, {number}).row(number)
        rb = scan_sheet("output", self.b.data, {number}).row(number)
        if ra is not None and rb is not None:
            cells_a = {c.col: self.a.data[c.start:c.end] for c in ra.cells}
            cells_b = {c.col: self.b.data[c.start:c.end] for c in rb.cells}
            for col in sorted(set(cells_a) | set(cells_b)):
                if cells_a.get(col) != cells_b.get(col):
                    self.fail(f"{self.where((number, col))}: changed but not planned")
        self.fail(f"{self.where()}: row {number} changed but has no planned cell")

    def _row(self, number: int, ra: RowSpan | None, rb: RowSpan) -> None:
        a, b = self.a.data, self.b.data
        tag_b = b[rb.start:rb.tag_end]
        if ra is None:
            if set(rb.attrs) - {"r", "spans"}:
                self.fail(f"{self.where()}: new row {number} has unexpected attributes")
            cells_a: dict[int, CellSpan] = {}
        else:
            tag_a = set_attributes(a[ra.start:ra.tag_end], {"spans": rb.attrs.get("spans")})
            if tag_a != tag_b and _opened(tag_a) != tag_b:
                self.fail(f"{self.where()}: row {number} attributes changed")
            cells_a = {c.col: c for c in ra.cells}
            rest_a = _row_rest(a, ra)
            if rest_a != _row_rest(b, rb):
                self.fail(f"{self.where()}: row {number} content outside its cells changed")
        if ra is None and _row_rest(b, rb):
            self.fail(f"{self.where()}: new row {number} holds more than cells")
        cells_b = {c.col: c for c in rb.cells}
        cols = [c.col for c in rb.cells]
        if cols != sorted(set(cols)):
            self.fail(f"{self.where()}: cells of row {number} are out of order")
        planned = {c for r, c in self.planned if r == number}
        for col in sorted(set(cells_a) | set(cells_b) | planned):
            self._cell((number, col), cells_a.get(col), cells_b.get(col))

    def _cell(self, cell: Cell, ca: CellSpan | None, cb: CellSpan | None) -> None:
        a, b = self.a.data, self.b.data
        if cell not in self.planned:
            if ca is None or cb is None or a[ca.start:ca.end] != b[cb.start:cb.end]:
                self.fail(f"{self.where(cell)}: changed but not planned")
            return
        if cb is None:
            self.fail(f"{self.where(cell)}: the planned cell is missing")
        assert cb is not None
        base = ca.style if ca is not None else (self.a.inherited_style(*cell) or 0)
        expected_style_ok = cb.style == base
        if cell in self.marks:
            expected_style_ok = self.styles is not None and self.styles.is_clone(cb.style, base)
        if not expected_style_ok:
            self.fail(f"{self.where(cell)}: unexpected style {cb.style}")
        if cell not in self.writes:  # highlight only: everything but the style is kept
            if ca is None:
                if set(cb.attrs) - {"r", "s"} or not cb.empty:
                    self.fail(f"{self.where(cell)}: the highlighted cell got content")
            elif set_attributes(tag := ca.start_tag(a), {"s": cb.attrs.get("s")}) + \
                    a[ca.start + len(tag):ca.end] != b[cb.start:cb.end]:
                self.fail(f"{self.where(cell)}: the highlighted cell changed beyond its style")
            return
        value = self.writes[cell]
        if cb.attrs.get("t") != "inlineStr" or cb.formula or cb.children != ["is", "t"]:
            self.fail(f"{self.where(cell)}: is not a plain text cell")
        if cb.text != encode_cell_text(value):
            self.fail(f"{self.where(cell)}: holds {cb.text[:40]!r}, not the planned text")
        kept = {k: v for k, v in (ca.attrs if ca else {}).items()
                if k not in ("t", "s", "vm", "cm")}
        now = {k: v for k, v in cb.attrs.items() if k not in ("t", "s")}
        if ca is None:
            kept = {"r": format_ref(*cell)}
        if kept != now and not (ca is not None and "r" not in ca.attrs and
                                now == {**kept, "r": format_ref(*cell)}):
            self.fail(f"{self.where(cell)}: attributes changed")


def _scan_output(fail: Callable[[str], NoReturn], sheet: str, data: bytes, rows: set[int]
                 ) -> SheetScan:
    try:
        return scan_sheet(f"output sheet {sheet!r}", data, rows)
    except (InputError, OutputError) as e:
        fail(f"sheet {sheet!r} is not a readable worksheet ({e})")


def _opened(tag: bytes) -> bytes:
    return tag[:-2].rstrip() + b">" if tag.endswith(b"/>") else tag


def _row_rest(data: bytes, row: RowSpan) -> bytes:
    """A row's content outside its cells, whitespace removed (extLst, comments)."""
    if row.empty:
        return b""
    pieces: list[bytes] = []
    pos = row.tag_end
    for cell in row.cells:
        pieces.append(data[pos:cell.start])
        pos = cell.end
    pieces.append(data[pos:row.close_start])
    return b"".join(b"".join(pieces).split())


def _outside_spans(data: bytes, scan: SheetScan, spans: list[tuple[int, int]]) -> bytes:
    """sheetData content outside the rows, whitespace removed."""
    if scan.sheet_data_empty:
        return b""
    pieces: list[bytes] = []
    pos = scan.sheet_data_tag_end
    for start, end in spans:
        pieces.append(data[pos:start])
        pos = end
    pieces.append(data[pos:scan.sheet_data_close])
    return b"".join(b"".join(pieces).split())


# --------------------------------------------------------------------------- CSV


@dataclass(frozen=True, slots=True)
class CsvTable:
    """A CSV file as records, with what is needed to write it back the way it was.

    ``raw[i]`` is the exact text of record ``i`` (line ending included), so a record that
    is not written comes back byte-for-byte. Record ``i`` is row ``i + 1`` in A1 references.
    """

    encoding: str
    bom: bytes
    delimiter: str
    quotechar: str
    doublequote: bool
    escapechar: str | None
    records: tuple[tuple[str, ...], ...]
    raw: tuple[str, ...]

    @property
    def width(self) -> int:
        """The last column holding non-blank text in any record.

        Appended columns start right after it, as :mod:`qfill.csvquestionnaire` assumes;
        blank trailing fields there are simply filled.
        """
        return max((i + 1 for r in self.records for i, v in enumerate(r) if v.strip()),
                   default=0)

    def appended_columns(self, count: int) -> tuple[str, ...]:
        """Column letters that ``count`` appended header names get."""
        return tuple(column_letters(self.width + 1 + i) for i in range(count))


_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))


def _decode(path: Path, data: bytes) -> tuple[str, bytes, str]:
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        raise InputError(f"{path}: UTF-32 text is not supported; save the CSV as UTF-8")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(encoding), bom, encoding
            except UnicodeDecodeError:
                raise InputError(f"{path}: the file says {encoding} but is not; "
                                 "save the CSV as UTF-8") from None
    for encoding in ("utf-8", "cp1252", "latin-1"):
        try:
            return data.decode(encoding), b"", encoding
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes any bytes")


def read_csv_table(path: Path) -> CsvTable:
    """Read a CSV questionnaire: encoding (BOM, UTF-8, else cp1252), dialect, records."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise InputError(f"{path}: cannot read ({e.strerror}); check the path") from None
    text, bom, encoding = _decode(path, data)
    return _parse_csv(path, text, bom, encoding, _detect_delimiter(text), '"', True, None)


CSV_DELIMITERS = ",;\t|"


def _detect_delimiter(text: str) -> str:
    """The delimiter, chosen exactly as :mod:`qfill.csvquestionnaire` chooses it.

    Cell references in the plan come from that reader, so the writer must split records
    the same way. Only the delimiter is taken from csv.Sniffer: its quoting guess is
    unreliable on small files, and spreadsheet apps always write ``"`` quotes, doubled.
    """
    try:
        return csv.Sniffer().sniff(text[:65536], CSV_DELIMITERS).delimiter
    except csv.Error:
        return ","


def _parse_csv(path: Path, text: str, bom: bytes, encoding: str, delimiter: str,
               quotechar: str, doublequote: bool, escapechar: str | None) -> CsvTable:
    consumed: list[str] = []

    def lines() -> Iterator[str]:
        for line in io.StringIO(text, newline=""):
            consumed.append(line)
            yield line

    records: list[tuple[str, ...]] = []
    raw: list[str] = []
    reader = csv.reader(lines(), delimiter=delimiter, quotechar=quotechar,
                        doublequote=doublequote, escapechar=escapechar, strict=False)
    try:
        for fields in reader:
            records.append(tuple(fields))
            raw.append("".join(consumed))
            consumed.clear()
    except csv.Error as e:
        raise InputError(f"{path}: CSV record {len(records) + 1} cannot be read ({e}); "
                         "check the file") from None
    if consumed:  # an unterminated quoted field at the end: keep its text as it was
        raw[-1:] = ["".join(raw[-1:] + consumed)] if raw else ["".join(consumed)]
    return CsvTable(encoding, bom, delimiter, quotechar, doublequote, escapechar,
                    tuple(records), tuple(raw))


# A CSV cell that spreadsheets show as text, not run as a formula: the same rule as the
# CSV reports follow.
neutralise_csv_value = csv_safe


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
    writes = _planned_writes(plan)
    cells: dict[Cell, str] = {}
    for sheet in writes.values():
        for cell, value in sheet.items():
            if cell in cells and cells[cell] != value:
                raise ValueError(f"{source}: cell {format_ref(*cell)} planned twice")
            cells[cell] = value
    for cell, value in cells.items():
        if excel_length(neutralise_csv_value(value)) > EXCEL_CELL_LIMIT:
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
            fields[table.width + i] = neutralise_csv_value(name)
        changed[row_of_names - 1] = fields
    for (row, col), value in sorted(cells.items()):
        if row > len(table.records):
            raise OutputError(f"{source}: cell {format_ref(row, col)} is below the last record "
                              f"({len(table.records)}); check the plan")
        fields = changed.setdefault(row - 1, list(table.records[row - 1]))
        fields += [""] * (col - len(fields))
        fields[col - 1] = neutralise_csv_value(value)
    return changed


def _write_csv(source: Path, destination: Path, plan: FillPlan, header: Sequence[str],
               header_row: HeaderRow) -> None:
    cells = _csv_cells(plan, source)
    table = read_csv_table(source)
    changed = _filled_records(table, cells, header, header_row, source)
    text = "".join(_format_record(table, changed[i], table.records[i], raw)
                   if i in changed else raw for i, raw in enumerate(table.raw))
    try:
        payload = table.bom + text.encode(table.encoding)
    except UnicodeEncodeError as e:
        bad = text[e.start:e.end]
        raise OutputError(f"{source}: the answer text has {bad!r}, which the file's encoding "
                          f"({table.encoding}) cannot hold; save the CSV as UTF-8") from None
    def write(handle: IO[bytes]) -> None:
        handle.write(payload)

    _save(destination, write)


def _verify_csv(source: Path, written: Path, plan: FillPlan,
                header: Sequence[str] | None, header_row: HeaderRow) -> None:
    fail = _Failer(written)
    cells = _csv_cells(plan, source)
    table = read_csv_table(source)
    try:
        data = written.read_bytes()
    except OSError as e:
        raise VerificationError(f"{written}: the output cannot be reopened ({e.strerror}); "
                                "it is not a usable file") from None
    if not data.startswith(table.bom):
        fail("the byte order mark changed")
    try:
        text = data[len(table.bom):].decode(table.encoding)
    except UnicodeDecodeError:
        fail(f"the output is no longer {table.encoding} text")
    out = _parse_csv(written, text, table.bom, table.encoding, table.delimiter,
                     table.quotechar, table.doublequote, table.escapechar)
    if len(out.records) != len(table.records):
        fail(f"it has {len(out.records)} records, the input {len(table.records)}")
    names: dict[Cell, str] = {}
    row_of_names = _header_record(table, header_row) if header else None
    if header and row_of_names is not None:
        names = {(row_of_names, table.width + 1 + i): neutralise_csv_value(name)
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
                expected = neutralise_csv_value(cells[(row, col)])
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
