"""Checking a written worksheet against its source, in time proportional to what changed.

The writer splices only the planned rows of a sheet (:mod:`qfill.sheets.sheet_edit`): a
right copy is the source with those rows rewritten, new rows inserted where they belong
and the ``<dimension>`` widened, every other byte as it was. So the check walks the two
parts in step. Between the edit sites the bytes are compared as bytes (``memcmp``, no
copy, no parse). In a rewritten row the bytes between its planned cells are compared the
same way and only the planned cells are parsed; a new row, or a row that does not read as
the source's with its planned cells changed, is parsed whole and compared cell by cell.
Every cell outside the plan must be byte-identical to the source's, and each planned cell
an inline string holding exactly the planned text. A changed byte anywhere else is a
mismatch in a compared run, which is then located and named (row, cell). Time: the part's
length at memory speed plus the planned rows at parser speed; memory beyond the two parts:
one row.

The source side comes from a :class:`SheetScan` of the source part with detail for the
planned rows: the one the writer made (no second parse) or a fresh one.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal, NoReturn, Protocol

from qfill.errors import InputError, OutputError
from qfill.sheets.a1 import format_ref
from qfill.sheets.cell_text import encode_cell_text
from qfill.sheets.output import Cell
from qfill.sheets.safe_xml import MAX_XML_DEPTH, expat_parser
from qfill.sheets.sheet_edit import (
    CellSpan,
    RowSpan,
    SheetScan,
    holds_value,
    scan_sheet,
    widened_dimension,
    widened_spans,
)
from qfill.sheets.xml_edit import qualified_name, set_attributes, start_tag_end

_REF = re.compile(rb"""\sref\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_PRESERVED = {"http://www.w3.org/XML/1998/namespace space": "preserve"}  # xml:space
_CHUNK = 64 * 1024  # bytes fed to the parser at a time when finding where a row ends


class CloneCheck(Protocol):
    """What the check needs to know about the highlight added to ``styles.xml``."""

    def is_clone(self, new: int, base: int) -> bool: ...


@dataclass(frozen=True, slots=True)
class _Site:
    """A place in the source where the copy may differ: ``[start, end)`` of the source is
    replaced in the copy by what the site allows."""

    start: int
    end: int
    order: int  # at one position: the dimension, then new rows, then a rewritten row
    kind: Literal["dimension", "new rows", "row", "sheetData"]
    rows: tuple[int, ...] = ()


class _TooDeep(Exception):
    """Raised by the parser's handler for a row nested deeper than any workbook's."""


class _Ended(Exception):
    """Raised by the parser's handler when the element being measured closes."""


@dataclass(frozen=True, slots=True)
class _Copied:
    """A row of the copy, parsed on its own: positions are in ``data`` (the row inside
    the sheet's root and sheetData start tags), ``end`` is where it ends in the copy."""

    row: RowSpan
    data: bytes
    end: int


def _opened(tag: bytes) -> bytes:
    return tag[:-2].rstrip() + b">" if tag.endswith(b"/>") else tag


class SheetCheck:
    """Prove a written worksheet is its source plus exactly the planned cells."""

    def __init__(self, fail: Callable[[str], NoReturn], sheet: str, source: SheetScan,
                 after: bytes, writes: Mapping[Cell, str], marks: set[Cell],
                 styles: CloneCheck | None) -> None:
        """``source`` must hold detail for every planned row (``scan_sheet(..., rows)``)."""
        self.fail = fail
        self.sheet = sheet
        self.a = source
        self.before = source.data
        self.after = after
        self.writes = writes
        self.marks = marks
        self.styles = styles
        self.planned = set(writes) | marks
        self.planned_cols: dict[int, set[int]] = {}
        for r, c in self.planned:
            self.planned_cols.setdefault(r, set()).add(c)
        a = source
        assert a.sheet_data is not None and a.root_start >= 0
        root_tag = self.before[a.root_start:start_tag_end(self.before, a.root_start)]
        data_tag = self.before[a.sheet_data[0]:a.sheet_data_tag_end]
        self.data_name = qualified_name(self.before, a.sheet_data[0])
        # Rows of the copy are parsed on their own inside the source's root and sheetData
        # start tags (byte-identical in a right copy), so their namespaces resolve as in
        # the sheet; every row is a row of the sheetData's namespace prefix.
        self.wrapper = root_tag + _opened(data_tag)
        self.closer = (b"</" + self.data_name + b"></" + qualified_name(self.before, a.root_start)
                       + b">")
        prefix = self.data_name.rpartition(b":")[0]
        self.row_name = (prefix + b":" if prefix else b"") + b"row"
        self.row_starts = [r.start for r in a.rows]  # file order, so ascending

    def where(self, cell: Cell | None = None) -> str:
        return f"sheet {self.sheet!r}" + (f" cell {format_ref(*cell)}" if cell else "")

    # ------------------------------------------------------------------ the walk

    def run(self) -> None:
        before, after = self.before, self.after
        pos_a = pos_b = 0
        for site in self._sites():
            self._same_run(pos_a, pos_b, site.start)
            pos_b += site.start - pos_a
            pos_b = self._site(site, pos_b)
            pos_a = site.end
        self._same_run(pos_a, pos_b, len(before))
        if len(after) - pos_b != len(before) - pos_a:
            self._differs_at(len(before), pos_b + len(before) - pos_a)

    def _sites(self) -> list[_Site]:
        a = self.a
        assert a.sheet_data is not None
        sites: list[_Site] = []
        if a.dimension is not None:
            sites.append(_Site(a.dimension[0], a.dimension[1], 0, "dimension"))
        new_rows: dict[int, list[int]] = {}
        for number in sorted(self.planned_cols):
            row = a.row(number)
            if row is not None:
                sites.append(_Site(row.start, row.end, 2, "row", (number,)))
                continue
            position = a.next_row_start(number)
            if position is None:
                position = a.sheet_data_close if not a.sheet_data_empty else -1
            new_rows.setdefault(position, []).append(number)
        for position, numbers in new_rows.items():
            if position == -1:  # <sheetData/>, opened for the new rows
                sites.append(_Site(a.sheet_data[0], a.sheet_data[1], 1, "sheetData",
                                   tuple(numbers)))
            else:
                sites.append(_Site(position, position, 1, "new rows", tuple(numbers)))
        return sorted(sites, key=lambda s: (s.start, s.order))

    def _same_run(self, pos_a: int, pos_b: int, end_a: int) -> None:
        """The copy from ``pos_b`` holds the source's bytes ``[pos_a, end_a)``."""
        if end_a > pos_a and not self.after.startswith(
                memoryview(self.before)[pos_a:end_a], pos_b):
            self._differs_at(pos_a, pos_b)

    def _site(self, site: _Site, pos: int) -> int:
        """Check the copy at ``pos`` against the site; the copy's position after it."""
        if site.kind == "dimension":
            return self._dimension(pos)
        if site.kind == "row":
            number = site.rows[0]
            row = self.a.row(number)
            assert row is not None
            end = self._planned_cells_only(row, pos)
            if end is not None:
                return end
            copied = self._copied_row(pos, number, qualified_name(self.before, row.start))
            if copied is None:
                self.fail(f"{self.where()}: row {number} is missing")
            self._row(number, row, copied)
            return copied.end
        if site.kind == "sheetData":
            assert self.a.sheet_data is not None
            tag = _opened(self.before[self.a.sheet_data[0]:self.a.sheet_data_tag_end])
            if not self.after.startswith(tag, pos):
                self.fail(f"{self.where()}: the sheetData element changed")
            pos = self._new_rows(site.rows, pos + len(tag))
            close = b"</" + self.data_name + b">"
            if not self.after.startswith(close, pos):
                self.fail(f"{self.where()}: content after the new rows")
            return pos + len(close)
        return self._new_rows(site.rows, pos)

    def _dimension(self, pos: int) -> int:
        a = self.a
        assert a.dimension is not None
        tag = self.before[a.dimension[0]:a.dimension[1]]
        allowed = [tag]
        widened = widened_dimension(a.dimension_ref, self.planned)
        if widened is not None:
            allowed.append(set_attributes(tag, {"ref": widened}))
        for candidate in allowed:
            if self.after.startswith(candidate, pos):
                return pos + len(candidate)
        found = _REF.search(self.after, pos, pos + len(tag) + 64)
        raw: bytes = (found.group(1) or found.group(2) or b"") if found else b"?"
        ref = raw.decode(errors="replace")
        self.fail(f"{self.where()}: the dimension changed to {ref!r}")

    def _new_rows(self, numbers: tuple[int, ...], pos: int) -> int:
        for number in numbers:
            copied = self._copied_row(pos, number)
            if copied is None:
                first = min(self.planned_cols[number])
                self.fail(f"{self.where((number, first))}: the planned cell is missing")
            self._row(number, None, copied)
            pos = copied.end
        return pos

    # ------------------------------------------------------------------ rows of the copy

    def _planned_cells_only(self, ra: RowSpan, pos: int) -> int | None:
        """The end of the copy's row ``ra.number`` at ``pos`` if it is the source's row
        with only its planned cells changed: the row tag and the bytes between the planned
        cells compared as bytes, the planned cells alone parsed and checked. None when the
        row does not read that way (its tag changed, cells in an order the writer does not
        keep): the whole row is then parsed and compared, which also names what differs."""
        before, after, number = self.before, self.after, ra.number
        if ra.empty or len(ra.by_col) != len(ra.cells) or \
                any("r" not in c.attrs for c in ra.cells):
            return None
        tag = before[ra.start:ra.tag_end]
        if not after.startswith(tag, pos):
            return None
        # Where each planned cell goes, as the writer puts it: over the cell, or before
        # the first cell of a higher column (else after the last cell).
        append_at = ra.first_other if ra.first_other is not None else ra.close_start
        sites: list[tuple[int, int, int]] = []
        for col in sorted(self.planned_cols[number]):
            cell = ra.cell(col)
            if cell is not None:
                sites.append((cell.start, cell.end, col))
            else:
                at = next((c.start for c in ra.cells if c.col > col), append_at)
                sites.append((at, at, col))
        sites.sort(key=lambda site: (site[0], site[1] > site[0], site[2]))
        view = memoryview(before)
        cell_name = qualified_name(before, ra.start)[:-3] + b"c"
        pieces: list[bytes] = []
        pos_a, pos_b = ra.tag_end, pos + len(tag)
        for start, end, _col in sites:
            if not after.startswith(view[pos_a:start], pos_b):
                return None
            pos_b += start - pos_a
            if not after.startswith(b"<" + cell_name, pos_b):
                return None
            try:
                tag_end = start_tag_end(after, pos_b)
            except ValueError:
                return None
            cell_end = _closed_at(after, tag_end, cell_name)
            if cell_end < 0:
                return None
            pieces.append(after[pos_b:cell_end])
            pos_a, pos_b = end, cell_end
        if not after.startswith(view[pos_a:ra.end], pos_b):
            return None
        body = tag + b"".join(pieces) + b"</" + qualified_name(before, ra.start) + b">"
        try:
            scan = scan_sheet(f"output sheet {self.sheet!r}", self.wrapper + body + self.closer,
                              None, first_row=number)
        except (InputError, OutputError):
            return None
        if len(scan.rows) != 1 or scan.rows[0].number != number:
            return None
        cells = scan.rows[0].cells
        if len(cells) != len(pieces):
            return None
        offset = len(self.wrapper) + len(tag)
        for (_start, _end, col), piece, cell in zip(sites, pieces, cells, strict=True):
            # Each piece is exactly one cell, of the planned column.
            if cell.col != col or cell.start != offset or cell.end != offset + len(piece):
                return None
            offset += len(piece)
        for (_start, _end, col), cell in zip(sites, cells, strict=True):
            self._cell((number, col), ra.cell(col), cell, scan.data)
        return pos_b + ra.end - pos_a

    def _copied_row(self, pos: int, number: int, name: bytes | None = None
                    ) -> _Copied | None:
        """The copy's row ``number`` starting at ``pos``, parsed on its own; None if no
        row element numbered so starts there. ``name``: the row's qualified name, if not
        the sheetData's prefix and ``row`` (a new row)."""
        after = self.after
        name = name or self.row_name
        if not self._row_starts(pos, name):
            return None
        # The row ends at its start tag's "/>", else at the first "</row>": unless a CDATA
        # section or a comment holds that text (valid, but no spreadsheet writes it), in
        # which case the piece is not one well-formed row and the parser finds the end.
        try:
            tag_end = start_tag_end(after, pos)
        except ValueError:
            self.fail(f"{self.where()}: the output is not a readable worksheet near byte {pos}")
        end = _closed_at(after, tag_end, name)
        scan: SheetScan | None = None
        if end > 0:
            try:
                scan = scan_sheet(f"output sheet {self.sheet!r}",
                                  self.wrapper + after[pos:end] + self.closer, None,
                                  first_row=number)
            except (InputError, OutputError):
                scan = None
            if scan is not None and len(scan.rows) != 1:
                scan = None
        if scan is None:
            end = self._element_end(pos)
            scan = self._fragment(after, pos, end, number, "output")
        if len(scan.rows) != 1 or scan.rows[0].number != number:
            return None
        return _Copied(scan.rows[0], scan.data, end)

    def _row_starts(self, pos: int, name: bytes) -> bool:
        """Whether a start tag named ``name`` begins at ``pos`` in the copy."""
        return self.after.startswith(b"<" + name, pos) and \
            self.after[pos + len(name) + 1:pos + len(name) + 2] in (b" ", b"\t", b"\r",
                                                                   b"\n", b">", b"/")

    def _element_end(self, at: int) -> int:
        """Where the element starting at ``at`` in the copy ends, read only that far."""
        after = self.after
        try:
            tag_end = start_tag_end(after, at)
        except ValueError:
            self.fail(f"{self.where()}: the output is not a readable worksheet near byte {at}")
        if after[tag_end - 2:tag_end] == b"/>":
            return tag_end
        parser = expat_parser()
        base = len(self.wrapper)
        depth = 0
        closed = -1

        def start(_name: str, _attrs: object) -> None:
            nonlocal depth
            depth += 1
            if depth > MAX_XML_DEPTH:
                raise _TooDeep

        def end(_name: str) -> None:
            nonlocal depth, closed
            depth -= 1
            if depth == 2:  # the element below the wrapper's worksheet and sheetData
                closed = parser.CurrentByteIndex - base + at
                raise _Ended

        parser.StartElementHandler = start
        parser.EndElementHandler = end
        pos = at
        try:
            parser.Parse(self.wrapper, False)
            size = _CHUNK
            while pos < len(after):
                parser.Parse(after[pos:pos + size], False)
                pos += size
                size = min(size * 2, 16 * _CHUNK)
        except _Ended:
            pass
        except Exception:  # not well-formed, too deep, or a DTD the guards refuse
            closed = -1
        if closed < 0 or not after.startswith(b"</", closed):
            self.fail(f"{self.where()}: the output is not a readable worksheet near byte {at}")
        return after.index(b">", closed) + 1

    def _fragment(self, data: bytes, start: int, end: int, number: int,
                  side: str) -> SheetScan:
        """Rows ``[start, end)`` of ``data`` scanned in detail, the first numbered
        ``number`` unless it says otherwise."""
        try:
            return scan_sheet(f"{side} sheet {self.sheet!r}",
                              self.wrapper + data[start:end] + self.closer, None,
                              first_row=number)
        except (InputError, OutputError) as e:
            self.fail(f"sheet {self.sheet!r} is not a readable worksheet ({e})")

    # ------------------------------------------------------------------ a difference

    def _differs_at(self, pos_a: int, pos_b: int) -> NoReturn:
        """Name what differs in the run that starts at ``pos_a`` / ``pos_b``."""
        before, after = self.before, self.after
        offset = _first_difference(before, pos_a, after, pos_b)
        x = pos_a + offset
        a = self.a
        assert a.sheet_data is not None
        if x < a.sheet_data[0]:
            self.fail(f"{self.where()}: the XML before the cells changed")
        if x < a.sheet_data_tag_end:
            self.fail(f"{self.where()}: the sheetData element changed")
        if a.sheet_data_empty or x >= a.sheet_data[1]:
            self.fail(f"{self.where()}: the XML after the cells changed")
        if x >= a.sheet_data_close:
            self.fail(f"{self.where()}: content after the last row changed")
        at = bisect.bisect_right(self.row_starts, x) - 1
        if at >= 0 and x < a.rows[at].end:
            self._name_the_cell(a.rows[at], pos_b - pos_a)
        self.fail(f"{self.where()}: content between rows changed")

    def _name_the_cell(self, row: RowSpan, shift: int) -> NoReturn:
        """Fail naming the first differing cell of an unplanned ``row`` (the copy's row
        starts ``shift`` bytes later than the source's: every byte before it matched)."""
        number = row.number
        name = qualified_name(self.before, row.start)
        if not self._row_starts(row.start + shift, name):
            self.fail(f"{self.where()}: content between rows changed")
        copied = self._copied_row(row.start + shift, number, name)
        if copied is None:
            self.fail(f"{self.where()}: row {number} is missing or moved")
        source = self._fragment(self.before, row.start, row.end, number, "input")
        if len(source.rows) == 1:
            a_cells = {c.col: source.data[c.start:c.end] for c in source.rows[0].cells}
            b_cells = {c.col: copied.data[c.start:c.end] for c in copied.row.cells}
            for col in sorted(set(a_cells) | set(b_cells)):
                if a_cells.get(col) != b_cells.get(col):
                    self.fail(f"{self.where((number, col))}: changed but not planned")
        self.fail(f"{self.where()}: row {number} changed but has no planned cell")

    # ------------------------------------------------------------------ one planned row

    def _row(self, number: int, ra: RowSpan | None, copied: _Copied) -> None:
        """Row ``number`` of the source (``ra``, positions in the source; None for a new
        row) against the copy's."""
        a, b, rb = self.before, copied.data, copied.row
        tag_b = b[rb.start:rb.tag_end]
        cells_a: dict[int, CellSpan] = {}
        if ra is None:
            if set(rb.attrs) != {"r"}:  # the writer gives a new row its number alone
                self.fail(f"{self.where()}: new row {number} has unexpected attributes")
            if _row_rest(b, rb):
                self.fail(f"{self.where()}: new row {number} holds more than cells")
        else:
            cells_a = {c.col: c for c in ra.cells}
            tag_a = a[ra.start:ra.tag_end]
            allowed = [tag_a]
            spans = ra.attrs.get("spans")
            new_cols = [c for c in self.planned_cols[number] if c not in cells_a]
            if spans and new_cols and widened_spans(spans, new_cols) != spans:
                allowed.append(set_attributes(tag_a, {"spans": widened_spans(spans, new_cols)}))
            if tag_b not in allowed and tag_b not in [_opened(t) for t in allowed]:
                self.fail(f"{self.where()}: row {number} attributes changed")
            if _row_rest(a, ra) != _row_rest(b, rb):
                self.fail(f"{self.where()}: row {number} content outside its cells changed")
        cells_b = {c.col: c for c in rb.cells}
        cols = [c.col for c in rb.cells]
        if cols != sorted(set(cols)):
            self.fail(f"{self.where()}: cells of row {number} are out of order")
        planned = self.planned_cols.get(number, set())
        for col in sorted(set(cells_a) | set(cells_b) | planned):
            self._cell((number, col), cells_a.get(col), cells_b.get(col), b)

    def _cell(self, cell: Cell, ca: CellSpan | None, cb: CellSpan | None, b: bytes) -> None:
        """One cell: ``ca`` positions in the source, ``cb`` in the copied row's ``b``."""
        a = self.before
        if cell not in self.planned:
            if ca is None or cb is None or a[ca.start:ca.end] != b[cb.start:cb.end]:
                self.fail(f"{self.where(cell)}: changed but not planned")
            return
        if cb is None:
            self.fail(f"{self.where(cell)}: the planned cell is missing")
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
        if ca is not None and holds_value(ca):
            self.fail(f"{self.where(cell)}: the planned cell was not empty in the input")
        if cb.attrs.get("t") != "inlineStr" or cb.formula or cb.children != ["is", "t"]:
            self.fail(f"{self.where(cell)}: is not a plain text cell")
        if cb.text != encode_cell_text(value):
            self.fail(f"{self.where(cell)}: holds {cb.text[:40]!r}, not the planned text")
        if cb.text_attrs != _PRESERVED:  # else a spreadsheet may trim the text's spaces
            self.fail(f"{self.where(cell)}: the text does not keep its spaces")
        kept = {k: v for k, v in (ca.attrs if ca else {}).items()
                if k not in ("t", "s", "vm", "cm")}
        now = {k: v for k, v in cb.attrs.items() if k not in ("t", "s")}
        if ca is None:
            kept = {"r": format_ref(*cell)}
        if kept != now and not (ca is not None and "r" not in ca.attrs and
                                now == {**kept, "r": format_ref(*cell)}):
            self.fail(f"{self.where(cell)}: attributes changed")


def _closed_at(data: bytes, tag_end: int, name: bytes) -> int:
    """Where the element named ``name`` whose start tag ends at ``tag_end`` ends: there, if
    the tag closes itself, else after the first ``</name>`` (-1: none follows)."""
    if data[tag_end - 2:tag_end] == b"/>":
        return tag_end
    close = data.find(b"</" + name + b">", tag_end)
    return close + len(name) + 3 if close >= 0 else -1


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


def _first_difference(a: bytes, pos_a: int, b: bytes, pos_b: int) -> int:
    """How many bytes from ``pos_a`` of ``a`` and ``pos_b`` of ``b`` agree (block by
    block at memory speed, then byte by byte in the first block that differs)."""
    view = memoryview(a)
    offset = 0
    block = 4096
    while pos_a + offset < len(a):
        piece = view[pos_a + offset:pos_a + offset + block]
        if not b.startswith(piece, pos_b + offset):
            break
        offset += len(piece)
    else:
        return offset
    limit = min(len(a) - pos_a, len(b) - pos_b)
    while offset < limit and a[pos_a + offset] == b[pos_b + offset]:
        offset += 1
    return offset

