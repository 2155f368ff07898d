"""Writing answers into a workbook's package in place, and checking the written copy.

Round-tripping through a workbook model (openpyxl) drops what the model does not know, so
the written sheets are spliced (:mod:`qfill.sheets.sheet_edit`) and every other zip member
is copied as raw bytes. The check reopens the copy and compares it with the input part by
part and, in the written sheets, row by row and cell by cell.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn
from xml.etree.ElementTree import Element, tostring

from qfill.errors import InputError, OutputCheckError, OutputError
from qfill.files import FileContent
from qfill.filling import FillPlan
from qfill.sheets.a1 import format_ref, parse_ref
from qfill.sheets.cell_text import encode_cell_text
from qfill.sheets.output import Cell, Failer, planned_highlights, planned_writes
from qfill.sheets.package import Package, WorkbookParts, workbook_parts, write_package
from qfill.sheets.safe_xml import expat_parser, parse_tree, safe_parse
from qfill.sheets.sheet_edit import (
    CellEdit,
    CellSpan,
    RowSpan,
    SheetScan,
    holds_value,
    scan_sheet,
    splice_sheet,
    widened_dimension,
)
from qfill.sheets.styles import add_highlight_styles
from qfill.sheets.xml_edit import set_attributes


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


def write_workbook(input_file: FileContent, plan: FillPlan, *, highlight: bool) -> bytes:
    """The bytes of ``input_file`` with the plan applied (see :func:`fill_copy`)."""
    source = input_file.path
    writes = planned_writes(plan)
    marks = planned_highlights(plan) if highlight else {}
    package = Package(source, input_file.data)
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
    out = io.BytesIO()
    write_package(out, package, replaced)
    return out.getvalue()


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
    _refuse_calc_chain_cells(package, parts, writes)
    for sheet, cells in writes.items():
        scan = scans[sheet][1]
        for row, col in cells:
            cell = scan.cell(row, col)
            if cell is not None and holds_value(cell):
                raise ValueError(f"{sheet}!{format_ref(row, col)} holds a value; a plan writes "
                                 "only empty cells")


def _refuse_calc_chain_cells(package: Package, parts: WorkbookParts,
                             writes: Mapping[str, Mapping[Cell, str]]) -> None:
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


def check_workbook(input_file: FileContent, output_file: FileContent, plan: FillPlan,
                   highlight: bool) -> None:
    source, written = input_file.path, output_file.path
    writes = planned_writes(plan)
    marks = planned_highlights(plan)
    original = Package(source, input_file.data)
    try:
        output = Package(written, output_file.data)
    except InputError as e:
        raise OutputCheckError(f"{written}: the output cannot be reopened ({e}); "
                                "it is not a usable workbook") from None
    fail = Failer(written)
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
        if not highlight or not any(marks.values()):
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
    try:
        a = parse_tree(Path("input"), name, io.BytesIO(before))
        b = parse_tree(Path("output"), name, io.BytesIO(after))
    except InputError as e:
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
        # Planned columns by row: each row is checked in time independent of the plan's size.
        self.planned_cols: dict[int, set[int]] = {}
        for r, c in self.planned:
            self.planned_cols.setdefault(r, set()).add(c)
        rows = set(self.planned_cols)
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
            if number not in self.planned_cols:
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
        planned = self.planned_cols.get(number, set())
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
        if ca is not None and holds_value(ca):
            self.fail(f"{self.where(cell)}: the planned cell was not empty in the input")
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


def formula_cells(where: str, calc_chain: bytes, sheet_ids: Iterable[str]
                  ) -> set[tuple[str, str]]:
    """(sheet id, ref) of the formula cells ``calcChain.xml`` lists for ``sheet_ids``.

    In the calc chain a ``<c>`` without ``i`` belongs to the sheet of the one before it.
    """
    wanted = frozenset(sheet_ids)
    found: set[tuple[str, str]] = set()
    current = [""]

    def start(name: str, attrs: dict[str, str]) -> None:
        if name.endswith(" c") or name == "c":
            sheet = attrs.get("i") or current[0]
            current[0] = sheet
            if sheet in wanted and "r" in attrs:
                found.add((sheet, attrs["r"].upper()))

    parser = expat_parser()
    parser.StartElementHandler = start
    safe_parse(where, calc_chain, parser)
    return found
