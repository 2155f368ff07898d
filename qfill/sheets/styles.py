"""The highlight: one solid fill and highlighted copies of cell formats in ``styles.xml``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from qfill.errors import InputError, OutputError
from qfill.sheets.safe_xml import MAX_XML_DEPTH, expat_parser, safe_parse, too_deep
from qfill.sheets.xml_edit import (
    apply_patches,
    end_tag_end,
    qualified_prefix,
    set_attributes,
    start_tag_end,
)

HIGHLIGHT_RGB = "FFFFFF00"


@dataclass(slots=True)
class _Collection:
    start: int = -1
    tag_end: int = -1
    close: int = -1
    empty: bool = False
    children: list[tuple[int, int]] = field(default_factory=list)  # spans of direct children


class _StylesScanner:
    def __init__(self, where: str, data: bytes) -> None:
        self.where = where
        self.data = data
        self.depth = 0
        self.ns = ""
        self.current: _Collection | None = None
        self.child_start = -1
        self.child_empty = False
        self.found: dict[str, _Collection] = {}
        self.parser = expat_parser()
        self.parser.StartElementHandler = self.start
        self.parser.EndElementHandler = self.end

    def start(self, name: str, _attrs: dict[str, str]) -> None:
        self.depth += 1
        if self.depth > MAX_XML_DEPTH:
            raise too_deep(self.where, self.depth)
        index = self.parser.CurrentByteIndex
        if self.depth == 1:
            namespace, _, local = name.rpartition(" ")
            if local != "styleSheet":
                raise InputError(f"{self.where}: not a style sheet; the file is damaged")
            self.ns = namespace + " " if namespace else ""
        elif self.depth == 2 and name in (self.ns + "fills", self.ns + "cellXfs"):
            tag_end = start_tag_end(self.data, index)
            self.current = _Collection(index, tag_end,
                                       empty=self.data[tag_end - 2:tag_end] == b"/>")
            self.found[name.rpartition(" ")[2]] = self.current
        elif self.depth == 3 and self.current is not None:
            self.child_start = index
            tag_end = start_tag_end(self.data, index)
            self.child_empty = self.data[tag_end - 2:tag_end] == b"/>"
            if self.child_empty:
                self.current.children.append((index, tag_end))

    def end(self, _name: str) -> None:
        index = self.parser.CurrentByteIndex
        if self.depth == 3 and self.current is not None and not self.child_empty:
            self.current.children.append((self.child_start, end_tag_end(self.data, index)))
        elif self.depth == 2 and self.current is not None:
            if not self.current.empty:
                self.current.close = index
            self.current = None
        self.child_empty = False
        self.depth -= 1


def add_highlight_styles(where: str, styles: bytes, base_styles: Iterable[int],
                         rgb: str = HIGHLIGHT_RGB) -> tuple[bytes, dict[int, int]]:
    """``styles.xml`` with one solid fill added and one cell format per base style.

    Each new ``<xf>`` in ``cellXfs`` is a byte copy of the base one with ``fillId`` pointing
    at the new fill, so font, border, number format and protection stay as they were.
    Returns the new part and base style index -> new style index. Nothing else changes.
    """
    scanner = _StylesScanner(where, styles)
    safe_parse(where, styles, scanner.parser)
    fills, xfs = scanner.found.get("fills"), scanner.found.get("cellXfs")
    if fills is None or xfs is None or fills.empty or xfs.empty:
        raise OutputError(f"{where}: the style sheet has no fills or cell formats; "
                          "run without highlighting")
    fill_prefix = qualified_prefix(styles, fills.start)
    fill_id = len(fills.children)
    fill = (b"<{p}fill><{p}patternFill patternType=\"solid\"><{p}fgColor rgb=\"" + rgb.encode()
            + b"\"/><{p}bgColor indexed=\"64\"/></{p}patternFill></{p}fill>"
            ).replace(b"{p}", fill_prefix)
    mapping: dict[int, int] = {}
    clones: list[bytes] = []
    for base in sorted(set(base_styles)):
        if not 0 <= base < len(xfs.children):
            raise OutputError(f"{where}: a cell uses style {base}, which the style sheet "
                              "does not define; the file is damaged")
        start, end = xfs.children[base]
        tag_end = start_tag_end(styles, start)
        tag = set_attributes(styles[start:tag_end], {"fillId": str(fill_id), "applyFill": "1"})
        clones.append(tag + styles[tag_end:end])
        mapping[base] = len(xfs.children) + len(clones) - 1
    patches = [
        (fills.start, fills.tag_end, 0, set_attributes(
            styles[fills.start:fills.tag_end], {"count": str(fill_id + 1)})),
        (fills.close, fills.close, 0, fill),
        (xfs.start, xfs.tag_end, 0, set_attributes(
            styles[xfs.start:xfs.tag_end], {"count": str(len(xfs.children) + len(clones))})),
        (xfs.close, xfs.close, 0, b"".join(clones)),
    ]
    return apply_patches(styles, patches), mapping
