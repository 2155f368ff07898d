"""Writing answers into a workbook's package in place, and checking the written copy.

Round-tripping through a workbook model (openpyxl) drops what the model does not know, so
the written sheets are spliced (:mod:`qfill.sheets.sheet_edit`) and every other zip member
is copied as raw bytes. The check reopens the copy and compares it with the input: every
member the writer did not replace by its raw bytes and zip metadata (CRC, sizes), never
decompressed; the written sheets in one pass over what changed
(:mod:`qfill.sheets.sheet_check`); ``styles.xml``, when highlighting, entry by entry.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn
from xml.etree.ElementTree import Element, tostring

from qfill.errors import InputError, OutputCheckError, OutputError
from qfill.files import FileContent
from qfill.filling import FillPlan
from qfill.sheets.a1 import format_ref, parse_ref
from qfill.sheets.output import Cell, Failer, FilledCopy, planned_highlights, planned_writes
from qfill.sheets.package import Package, WorkbookParts, workbook_parts, write_package
from qfill.sheets.safe_xml import expat_parser, parse_tree, safe_parse
from qfill.sheets.sheet_check import SheetCheck
from qfill.sheets.sheet_edit import CellEdit, SheetScan, holds_value, scan_sheet, splice_sheet
from qfill.sheets.styles import add_highlight_styles


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


def write_workbook(input_file: FileContent, plan: FillPlan, *, highlight: bool
                   ) -> FilledCopy:
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
    return FilledCopy(out.getvalue(), dict(scans.values()))


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
                   highlight: bool, source_sheets: Mapping[str, SheetScan] | None = None
                   ) -> None:
    """Prove ``output_file`` is ``input_file`` plus exactly the plan (see :func:`check_copy`).

    ``source_sheets`` are the writer's scans of the input's written sheets
    (:class:`FilledCopy`); a sheet without one, without detail for a planned row, or
    whose scanned bytes are not the input's part (size and CRC-32), is scanned here.
    """
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
        copied = output.member(name)
        if name in sheet_parts or (styles_changed and name == parts.styles):
            if not _same_metadata(member.info, copied.info, content=False):
                fail(f"part {name} has other zip metadata than the input")
            continue
        # Raw bytes (local header, compressed data, descriptor) compared in place.
        if member.end - member.start != copied.end - copied.start or \
                not output.data.startswith(
                    memoryview(original.data)[member.start:member.end], copied.start) or \
                not _same_metadata(member.info, copied.info, content=True):
            fail(f"part {name} differs from the input")
    for part, sheet in sheet_parts.items():
        sheet_writes = writes.get(sheet, {})
        sheet_marks = marks.get(sheet, set()) if highlighted else set()
        rows = {r for r, _ in sheet_writes} | {r for r, _ in sheet_marks}
        scan = (source_sheets or {}).get(part)
        info = original.member(part).info
        if scan is None or not scan.has_detail(rows) or len(scan.data) != info.file_size \
                or zlib.crc32(scan.data) != info.CRC:  # a scan of other bytes is not used
            scan = scan_sheet(f"{source}: sheet {sheet!r}", original.read(part), rows)
        try:
            after = output.read(part)
        except InputError as e:
            fail(f"sheet {sheet!r} cannot be read ({e})")
        SheetCheck(fail, sheet, scan, after, sheet_writes, sheet_marks, highlighted).run()




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
