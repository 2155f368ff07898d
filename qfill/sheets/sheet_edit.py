"""A worksheet part scanned for the rows and cells to edit, and spliced with new cells.

In the worksheets that get answers only the spans of the touched ``<row>``/``<c>``
elements are rewritten. Positions come from expat (``CurrentByteIndex``), so the rest of
each part stays byte-for-byte.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from qfill.errors import InputError, OutputError
from qfill.sheets.a1 import cell_ref, format_ref, parse_range
from qfill.sheets.cell_text import encode_cell_text, xml_text
from qfill.sheets.safe_xml import MAX_XML_DEPTH, expat_parser, safe_parse, too_deep
from qfill.sheets.xml_edit import (
    apply_patches,
    end_tag_end,
    qualified_prefix,
    set_attributes,
    start_tag_end,
)


@dataclass(slots=True)
class CellSpan:
    """One ``<c>`` element of a scanned row: where it is and what it holds."""

    col: int
    start: int
    end: int = -1
    empty: bool = False
    attrs: dict[str, str] = field(default_factory=dict)
    formula: bool = False
    children: list[str] = field(default_factory=list)  # local names of descendants, in order
    text: str = ""  # character data of <t> descendants
    text_attrs: dict[str, str] = field(default_factory=dict)  # of the last <t>

    @property
    def style(self) -> int:
        return int(self.attrs.get("s") or 0)

    def start_tag(self, data: bytes) -> bytes:
        """The raw ``<c ...>`` start tag (the whole element when it is empty)."""
        return data[self.start:start_tag_end(data, self.start)]


def holds_value(cell: CellSpan) -> bool:
    """Whether a scanned cell holds a value of any kind: a ``<v>``, an ``<is>`` (even blank
    or phonetic-only text), a formula, an error type or value metadata (a picture in the
    cell). Only a cell holding none is empty, and only an empty cell is ever written."""
    return bool(cell.children) or cell.formula or cell.attrs.get("t") == "e" \
        or "vm" in cell.attrs


@dataclass(slots=True)
class RowSpan:
    number: int
    start: int
    tag_end: int = -1
    end: int = -1
    empty: bool = False
    attrs: dict[str, str] = field(default_factory=dict)
    cells: list[CellSpan] = field(default_factory=list)  # detailed rows only
    first_other: int | None = None  # start of the first non-<c> child (extLst)
    close_start: int = -1  # position of </row>
    by_col: dict[int, CellSpan] = field(default_factory=dict, repr=False)  # first cell per col

    def cell(self, col: int) -> CellSpan | None:
        return self.by_col.get(col)

    @property
    def style(self) -> int | None:
        """The row's own style, which Excel applies to new cells in a custom-format row."""
        if self.attrs.get("customFormat") in ("1", "true") and self.attrs.get("s"):
            return int(self.attrs["s"])
        return None


@dataclass(slots=True)
class SheetScan:
    """Byte positions of a worksheet's structure, for splicing and for comparing."""

    where: str
    data: bytes
    root_start: int = -1
    dimension: tuple[int, int] | None = None  # span of the <dimension/> element
    dimension_ref: str | None = None
    sheet_data: tuple[int, int] | None = None  # span of the whole <sheetData> element
    sheet_data_tag_end: int = -1
    sheet_data_empty: bool = False
    sheet_data_close: int = -1  # position of </sheetData>
    cols: list[tuple[int, int, int]] = field(default_factory=list)  # (min, max, style)
    rows: list[RowSpan] = field(default_factory=list)
    array_ranges: list[tuple[int, int, int, int]] = field(default_factory=list)
    # Rows by number, so looking one up costs the same in a sheet of 20 rows or 200,000.
    by_number: dict[int, RowSpan] = field(default_factory=dict, repr=False)
    numbers: list[int] | None = field(default=None, repr=False)  # ascending, if rows are
    detailed: frozenset[int] | None = None  # rows scanned with their cells; None: all

    def has_detail(self, rows: Iterable[int]) -> bool:
        """Whether the cells of every one of ``rows`` were scanned."""
        return self.detailed is None or self.detailed.issuperset(rows)

    def row(self, number: int) -> RowSpan | None:
        return self.by_number.get(number)

    def next_row_start(self, number: int) -> int | None:
        """Where the first row numbered above ``number`` starts (a new row goes there)."""
        if self.numbers is None:  # rows out of order: the first in file order above it
            return next((r.start for r in self.rows if r.number > number), None)
        at = bisect.bisect_right(self.numbers, number)
        return self.rows[at].start if at < len(self.rows) else None

    def column_style(self, col: int) -> int | None:
        return next((s for lo, hi, s in self.cols if lo <= col <= hi), None)

    def cell(self, row: int, col: int) -> CellSpan | None:
        span = self.by_number.get(row)
        return None if span is None else span.by_col.get(col)

    def inherited_style(self, row: int, col: int) -> int | None:
        """The style Excel gives a cell typed into an empty spot: the row's, else the column's."""
        span = self.row(row)
        own = span.style if span is not None else None
        return own if own is not None else self.column_style(col)

    def style_at(self, row: int, col: int) -> int:
        cell = self.cell(row, col)
        if cell is not None:
            return cell.style
        return self.inherited_style(row, col) or 0


class _SheetScanner:
    """Expat handlers that record spans; detail (cells, text) only for the wanted rows."""

    def __init__(self, scan: SheetScan, wanted: Iterable[int] | None, first_row: int) -> None:
        self.scan = scan
        self.data = scan.data
        self.wanted = None if wanted is None else frozenset(wanted)
        scan.detailed = self.wanted
        self.depth = 0
        self.ns = ""
        self.in_sheet_data = False
        self.in_cols = False
        self.row: RowSpan | None = None
        self.detail = False
        self.cell: CellSpan | None = None
        self.next_row = first_row
        self.next_col = 1
        self.capture_text = False
        self.parser = expat_parser()
        self.parser.StartElementHandler = self.start
        self.parser.EndElementHandler = self.end

    def run(self) -> SheetScan:
        safe_parse(self.scan.where, self.data, self.parser)
        return self.scan

    def start(self, name: str, attrs: dict[str, str]) -> None:
        self.depth += 1
        if self.depth > MAX_XML_DEPTH:
            raise too_deep(self.scan.where, self.depth)
        depth = self.depth
        if depth == 4:
            if self.detail and self.row is not None:
                self._cell_start(name, attrs)
            return
        if depth >= 5:
            if self.in_sheet_data:
                local = name.rpartition(" ")[2]
                if depth == 5 and local == "f":
                    if self.cell is not None:
                        self.cell.formula = True
                    if attrs.get("t") in ("array", "dataTable") and attrs.get("ref"):
                        rng = parse_range(attrs["ref"])
                        if rng is not None:
                            self.scan.array_ranges.append(rng)
                if self.cell is not None:
                    self.cell.children.append(local)
                    self.capture_text = local == "t"
                    if local == "t":
                        self.cell.text_attrs = attrs
            return
        index = self.parser.CurrentByteIndex
        if depth == 3:
            if self.in_sheet_data:
                self._row_start(name, attrs, index)
            elif self.in_cols and name == self.ns + "col":
                try:
                    style = int(attrs.get("style") or 0)
                    self.scan.cols.append((int(attrs["min"]), int(attrs["max"]), style))
                except (KeyError, ValueError):
                    pass
            return
        if depth == 2:
            if name == self.ns + "sheetData":
                tag_end = start_tag_end(self.data, index)
                self.scan.sheet_data = (index, -1)
                self.scan.sheet_data_tag_end = tag_end
                self.scan.sheet_data_empty = self.data[tag_end - 2:tag_end] == b"/>"
                self.in_sheet_data = True
            elif name == self.ns + "dimension":
                self.scan.dimension = (index, start_tag_end(self.data, index))
                self.scan.dimension_ref = attrs.get("ref")
            elif name == self.ns + "cols":
                self.in_cols = True
            return
        # depth 1: the root
        namespace, _, local = name.rpartition(" ")
        if local != "worksheet":
            raise OutputError(f"{self.scan.where}: the part is a {local}, not a worksheet; "
                              "qfill can only write worksheets")
        self.ns = namespace + " " if namespace else ""
        self.scan.root_start = index

    def _row_start(self, name: str, attrs: dict[str, str], index: int) -> None:
        if name != self.ns + "row":
            return
        number = self.next_row
        if attrs.get("r"):
            try:
                number = int(attrs["r"])
            except ValueError:
                raise InputError(f"{self.scan.where}: row number {attrs['r']!r} is not a "
                                 "number; the file is damaged") from None
        self.next_row = number + 1
        self.next_col = 1
        tag_end = start_tag_end(self.data, index)
        row = RowSpan(number, index, tag_end, empty=self.data[tag_end - 2:tag_end] == b"/>")
        if row.empty:
            row.end = tag_end
        self.detail = self.wanted is None or number in self.wanted
        if self.detail:
            row.attrs = dict(attrs)
        self.row = row
        self.scan.rows.append(row)

    def _cell_start(self, name: str, attrs: dict[str, str]) -> None:
        row = self.row
        assert row is not None
        index = self.parser.CurrentByteIndex
        if name != self.ns + "c":
            if row.first_other is None:
                row.first_other = index
            return
        col = self.next_col
        ref = attrs.get("r")
        if ref:
            # The reader's parser (lower-case and $ accepted); a cell must name its own row.
            position = cell_ref(ref)
            if position is None:
                raise InputError(f"{self.scan.where}: cell reference {ref!r} is not valid; "
                                 "the file is damaged")
            if position[0] != row.number:
                raise InputError(f"{self.scan.where}: cell {ref} is inside row {row.number}; "
                                 "the file is damaged")
            col = position[1]
        self.next_col = col + 1
        cell = CellSpan(col, index, attrs=attrs)
        self.cell = cell
        row.cells.append(cell)
        row.by_col.setdefault(col, cell)
        self.parser.CharacterDataHandler = self.text

    def text(self, data: str) -> None:
        if self.capture_text and self.cell is not None:
            self.cell.text += data

    def end(self, name: str) -> None:
        depth = self.depth
        self.depth -= 1
        if depth >= 5:
            self.capture_text = False
            return
        if depth == 4:
            cell = self.cell
            if cell is not None:
                index = self.parser.CurrentByteIndex
                data = self.data
                # For an empty element expat reports the end right after its "/>"; for
                # any other element, at its "</c>".
                if not cell.children and data[index - 2:index] == b"/>" and \
                        data.rfind(b"<", cell.start + 1, index) == -1:
                    cell.empty = True
                    cell.end = index
                else:
                    cell.end = end_tag_end(data, index)
                self.cell = None
                self.parser.CharacterDataHandler = None
            return
        if depth == 3:
            row = self.row
            if self.in_sheet_data and row is not None:
                if not row.empty:
                    row.close_start = self.parser.CurrentByteIndex
                    row.end = end_tag_end(self.data, row.close_start)
                self.row = None
                self.detail = False
            return
        if depth == 2:
            self.in_cols = False
        if depth == 2 and self.in_sheet_data:
            self.in_sheet_data = False
            assert self.scan.sheet_data is not None
            start = self.scan.sheet_data[0]
            if self.scan.sheet_data_empty:
                self.scan.sheet_data = (start, self.scan.sheet_data_tag_end)
            else:
                close = self.parser.CurrentByteIndex
                self.scan.sheet_data_close = close
                self.scan.sheet_data = (start, end_tag_end(self.data, close))


def scan_sheet(where: str, data: bytes, rows: Iterable[int] | None = None, *,
               first_row: int = 1) -> SheetScan:
    """Scan a worksheet part: spans of all rows, and cells (with content) of ``rows``.

    ``rows=None`` gives detail for every row. ``first_row`` numbers a first row that
    does not say its number (a row of a sheet scanned on its own). Raises InputError for
    XML that is not well-formed or declares a DTD, OutputError for a part that is not a
    worksheet.
    """
    scan = _SheetScanner(SheetScan(where, data), rows, first_row).run()
    if scan.sheet_data is None:
        raise InputError(f"{where}: the worksheet has no sheetData; the file is damaged")
    for row in scan.rows:
        if scan.by_number.setdefault(row.number, row) is not row:
            raise InputError(f"{where}: row {row.number} appears twice; the file is damaged")
    numbers = [row.number for row in scan.rows]
    if all(a < b for a, b in itertools.pairwise(numbers)):
        scan.numbers = numbers
    return scan


# --------------------------------------------------------------------------- sheet edit


@dataclass(frozen=True, slots=True)
class CellEdit:
    """What to do to one cell: write ``text`` as an inline string, and/or set its style."""

    row: int
    col: int
    text: str | None = None  # raw value; encoded here
    style: int | None = None  # new style index (highlight); None keeps the cell's own


def _inline_cell(prefix: bytes, start_tag: bytes, text: str) -> bytes:
    return (start_tag + b"<" + prefix + b"is><" + prefix + b't xml:space="preserve">'
            + xml_text(encode_cell_text(text)) + b"</" + prefix + b"t></" + prefix + b"is></"
            + prefix + b"c>")


def _rewrite_cell(data: bytes, cell: CellSpan, edit: CellEdit) -> bytes:
    tag = cell.start_tag(data)
    prefix = qualified_prefix(data, cell.start)
    updates: dict[str, str | None] = {}
    if edit.style is not None:
        updates["s"] = str(edit.style)
    if edit.text is None:
        return set_attributes(tag, updates) + data[cell.start + len(tag):cell.end]
    # The value changes, so value metadata (rich value, dynamic array) no longer applies.
    updates.update({"t": "inlineStr", "vm": None, "cm": None})
    tag = set_attributes(tag, updates)
    if tag.endswith(b"/>"):
        tag = tag[:-2].rstrip() + b">"
    return _inline_cell(prefix, tag, edit.text)


def _new_cell(prefix: bytes, row: int, edit: CellEdit, style: int | None) -> bytes:
    tag = b"<" + prefix + b'c r="' + format_ref(row, edit.col).encode() + b'"'
    if style:
        tag += b' s="' + str(style).encode() + b'"'
    if edit.text is None:
        return tag + b"/>"
    return _inline_cell(prefix, tag + b' t="inlineStr">', edit.text)


def splice_sheet(scan: SheetScan, edits: Sequence[CellEdit]) -> bytes:
    """The worksheet with ``edits`` applied and every other byte as it was.

    Existing ``<c>`` elements are rewritten in place (keeping ``r``, ``s`` and any other
    attribute); missing cells and rows are created in column and row order, taking the
    style Excel would give them (row, then column style). The row's ``spans`` hint and the
    sheet's ``<dimension>`` are widened when a new cell lies outside them.
    """
    data = scan.data
    assert scan.sheet_data is not None
    by_row: dict[int, list[CellEdit]] = {}
    for edit in sorted(edits, key=lambda e: (e.row, e.col)):
        by_row.setdefault(edit.row, []).append(edit)
    patches: list[tuple[int, int, int, bytes]] = []  # (start, end, order, bytes)
    new_rows: dict[int, list[bytes]] = {}  # insertion position -> new row elements
    data_prefix = qualified_prefix(data, scan.sheet_data[0])
    for number, row_edits in by_row.items():
        row = scan.row(number)
        if row is None:
            cells = b"".join(_new_cell(data_prefix, number, e,
                                       e.style if e.style is not None
                                       else scan.inherited_style(number, e.col))
                             for e in row_edits)
            element = (b"<" + data_prefix + b'row r="' + str(number).encode() + b'">' + cells
                       + b"</" + data_prefix + b"row>")
            position = scan.next_row_start(number)
            if position is None:
                position = scan.sheet_data_close if not scan.sheet_data_empty else -1
            new_rows.setdefault(position, []).append(element)
            continue
        patches.extend(_row_patches(scan, row, row_edits))
    for position, elements in new_rows.items():
        body = b"".join(elements)
        if position == -1:  # <sheetData/>: open it up
            start, end = scan.sheet_data
            tag = data[start:end]
            opened = tag[:-2].rstrip() + b">"
            patches.append((start, end, 0, opened + body + b"</" + data_prefix + b"sheetData>"))
        else:
            patches.append((position, position, -2, body))
    patches.extend(_dimension_patch(scan, edits))
    return apply_patches(data, patches)


def _row_patches(scan: SheetScan, row: RowSpan, edits: list[CellEdit]
                 ) -> list[tuple[int, int, int, bytes]]:
    data = scan.data
    prefix = qualified_prefix(data, row.start)
    patches: list[tuple[int, int, int, bytes]] = []
    existing = {c.col: c for c in row.cells}
    inserts: dict[int, list[bytes]] = {}
    append_at = row.first_other if row.first_other is not None else row.close_start
    for order, edit in enumerate(edits):
        cell = existing.get(edit.col)
        if cell is not None:
            patches.append((cell.start, cell.end, order, _rewrite_cell(data, cell, edit)))
            continue
        style = edit.style if edit.style is not None else scan.inherited_style(row.number,
                                                                                edit.col)
        element = _new_cell(prefix, row.number, edit, style)
        position = next((c.start for c in row.cells if c.col > edit.col), append_at)
        inserts.setdefault(position, []).append(element)
    tag = data[row.start:row.tag_end]
    new_tag = tag
    new_cols = [e.col for e in edits if e.col not in existing]
    spans = row.attrs.get("spans")
    if spans and new_cols:
        widened = widened_spans(spans, new_cols)
        if widened != spans:
            new_tag = set_attributes(new_tag, {"spans": widened})
    if row.empty:
        opened = new_tag[:-2].rstrip() + b">"
        body = b"".join(b"".join(v) for _, v in sorted(inserts.items()))
        patches.append((row.start, row.end, 0, opened + body + b"</" + prefix + b"row>"))
        return patches
    if new_tag != tag:
        patches.append((row.start, row.tag_end, -1, new_tag))
    for position, elements in inserts.items():
        patches.append((position, position, -1, b"".join(elements)))
    return patches


def widened_spans(spans: str, cols: Sequence[int]) -> str:
    """``spans`` ("1:12", or a list "1:3 5:9") widened to cover ``cols``."""
    try:
        ranges = [(int(a), int(b)) for a, b in (part.split(":") for part in spans.split())]
    except ValueError:
        return spans
    if all(any(a <= c <= b for a, b in ranges) for c in cols):
        return spans
    lo = min([a for a, _ in ranges] + list(cols))
    hi = max([b for _, b in ranges] + list(cols))
    return f"{lo}:{hi}"


def widened_dimension(ref: str | None, cells: Iterable[tuple[int, int]]) -> str | None:
    """The dimension ref grown to hold ``cells``; None if unreadable or nothing to hold."""
    box = parse_range(ref) if ref else None
    if box is None:
        return None
    r1, c1, r2, c2 = box
    for row, col in cells:
        r1, c1, r2, c2 = min(r1, row), min(c1, col), max(r2, row), max(c2, col)
    first, last = format_ref(r1, c1), format_ref(r2, c2)
    return first if first == last else f"{first}:{last}"


def _dimension_patch(scan: SheetScan, edits: Sequence[CellEdit]
                     ) -> list[tuple[int, int, int, bytes]]:
    if scan.dimension is None or scan.dimension_ref is None:
        return []
    new_ref = widened_dimension(scan.dimension_ref, ((e.row, e.col) for e in edits))
    if new_ref is None or parse_range(new_ref) == parse_range(scan.dimension_ref):
        return []
    start, end = scan.dimension
    return [(start, end, 0, set_attributes(scan.data[start:end], {"ref": new_ref}))]
