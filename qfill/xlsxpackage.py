"""An .xlsx/.xlsm file as a zip of XML parts that can be edited in place.

Writing answers must not disturb anything else in a customer's workbook: validations,
conditional formats, images, macros, comments, pivot caches. Round-tripping through a
workbook model (openpyxl) drops what the model does not know, so qfill edits the package
itself: every zip member is copied as raw compressed bytes, and in the worksheets that get
answers only the spans of the touched ``<row>``/``<c>`` elements are rewritten. Positions
come from expat (``CurrentByteIndex``), so the rest of each part stays byte-for-byte.

Untrusted XML is parsed with DTDs and entity declarations refused, the same guards
defusedxml installs (small parts go through defusedxml itself).
"""

from __future__ import annotations

import io
import posixpath
import re
import struct
import xml.parsers.expat
import zipfile
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, NoReturn
from xml.etree.ElementTree import Element

from defusedxml.ElementTree import fromstring as defused_fromstring

from qfill.errors import InputError, OutputError

MAX_PART_SIZE = 512 * 1024 * 1024  # a decompressed part larger than this is a zip bomb
EXCEL_CELL_LIMIT = 32_767  # characters (UTF-16 code units) one Excel cell can hold

_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")
_CENTRAL_HEADER = struct.Struct("<4s4B4HL2L5H2L")
_END_RECORD = struct.Struct("<4s4H2LH")
_LOCAL_SIG = b"PK\x03\x04"
_CENTRAL_SIG = b"PK\x01\x02"
_END_SIG = b"PK\x05\x06"
_DESCRIPTOR_SIG = b"PK\x07\x08"
_ZIP64_EXTRA = 0x0001
_U32_MAX = 0xFFFFFFFF


# --------------------------------------------------------------------------- zip container


@dataclass(frozen=True, slots=True)
class Member:
    """One zip member and where its raw bytes (local header, data, descriptor) lie."""

    info: zipfile.ZipInfo
    start: int  # local header offset
    data_start: int
    end: int  # after the data and any data descriptor

    @property
    def name(self) -> str:
        return self.info.filename


class Package:
    """A zip package held in memory; members keep their original order and raw bytes."""

    def __init__(self, path: Path, data: bytes) -> None:
        self.path = path
        self.data = data
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data))
        except Exception as e:  # BadZipFile, LargeZipFile, struct.error, ... on hostile input
            raise InputError(f"{path}: not a readable .xlsx (zip) file ({e}); "
                             "open and re-save it in Excel") from None
        self.comment = self._zip.comment
        members: list[Member] = []
        seen: set[str] = set()
        for info in self._zip.infolist():
            if info.filename in seen:
                raise InputError(f"{path}: the zip holds {info.filename!r} twice; "
                                 "the file is damaged or hostile")
            seen.add(info.filename)
            if info.flag_bits & 0x1:
                raise InputError(f"{path}: the workbook is encrypted; "
                                 "remove the password in Excel and try again")
            members.append(self._locate(info))
        self.members: tuple[Member, ...] = tuple(members)
        self._by_name = {m.name: m for m in members}

    @classmethod
    def open(cls, path: Path) -> Package:
        try:
            data = path.read_bytes()
        except OSError as e:
            raise InputError(f"{path}: cannot read ({e.strerror}); check the path") from None
        return cls(path, data)

    def _locate(self, info: zipfile.ZipInfo) -> Member:
        start = info.header_offset
        header = self.data[start:start + _LOCAL_HEADER.size]
        if len(header) < _LOCAL_HEADER.size or header[:4] != _LOCAL_SIG:
            raise InputError(f"{self.path}: zip member {info.filename!r} has no local header; "
                             "the file is damaged")
        fields = _LOCAL_HEADER.unpack(header)
        name_len, extra_len = fields[10], fields[11]
        data_start = start + _LOCAL_HEADER.size + name_len + extra_len
        end = data_start + info.compress_size
        if info.flag_bits & 0x8:
            end += self._descriptor_length(end, info)
        if end > len(self.data):
            raise InputError(f"{self.path}: zip member {info.filename!r} is truncated; "
                             "the file is damaged")
        return Member(info, start, data_start, end)

    def _descriptor_length(self, pos: int, info: zipfile.ZipInfo) -> int:
        """Length of the data descriptor at ``pos``: optional signature, 32- or 64-bit sizes."""
        signed = 4 if self.data[pos:pos + 4] == _DESCRIPTOR_SIG else 0
        body = self.data[pos + signed:pos + signed + 20]
        if len(body) >= 12 and struct.unpack("<3L", body[:12]) == (
                info.CRC, info.compress_size & _U32_MAX, info.file_size & _U32_MAX) \
                and info.compress_size < _U32_MAX:
            return signed + 12
        return signed + 20

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(m.name for m in self.members)

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def member(self, name: str) -> Member:
        return self._by_name[name]

    def raw(self, name: str) -> bytes:
        """The member's bytes exactly as stored: local header, compressed data, descriptor."""
        m = self._by_name[name]
        return self.data[m.start:m.end]

    def read(self, name: str) -> bytes:
        """The decompressed content (CRC-checked)."""
        info = self._by_name[name].info
        if info.file_size > MAX_PART_SIZE:
            raise InputError(f"{self.path}: part {name} would expand to {info.file_size} bytes; "
                             "refusing a possible zip bomb")
        try:
            return self._zip.read(info)
        except (zipfile.BadZipFile, zlib.error, NotImplementedError, EOFError) as e:
            raise InputError(f"{self.path}: part {name} cannot be read ({e}); "
                             "the file is damaged") from None

    def find(self, name: str) -> str | None:
        """The member name matching ``name``; OPC part names are case-insensitive."""
        if name in self._by_name:
            return name
        folded = name.lower()
        return next((n for n in self._by_name if n.lower() == folded), None)


def write_package(handle: IO[bytes], package: Package, replaced: Mapping[str, bytes]) -> None:
    """Write ``package`` to ``handle`` with the members in ``replaced`` given new content.

    Every other member is copied as its raw stored bytes (local header, compressed data,
    data descriptor), so it is byte-identical inside the new zip; order, names, times and
    attributes are kept for all members. Replaced members keep their name, time, flags and
    compression method, recompressed at the level their flags record.
    """
    unknown = set(replaced) - set(package.names)
    if unknown:
        raise ValueError(f"not in the package: {sorted(unknown)}")
    offset = 0
    central: list[bytes] = []
    for member in package.members:
        info = member.info
        if member.name in replaced:
            local, crc, csize, usize, flags, method = _new_entry(package, member,
                                                                 replaced[member.name])
        else:
            local = package.data[member.start:member.end]
            crc, csize, usize = info.CRC, info.compress_size, info.file_size
            flags, method = info.flag_bits, info.compress_type
        if offset > _U32_MAX - 1 or csize > _U32_MAX - 1 or usize > _U32_MAX - 1:
            raise OutputError(f"{package.path}: the workbook is too large for a plain zip "
                              "(ZIP64 is not supported when writing)")
        handle.write(local)
        central.append(_central_record(info, offset, crc, csize, usize, flags, method))
        offset += len(local)
    directory = b"".join(central)
    count = len(central)
    if count > 0xFFFF:
        raise OutputError(f"{package.path}: too many parts for a plain zip")
    handle.write(directory)
    handle.write(_END_RECORD.pack(_END_SIG, 0, 0, count, count, len(directory), offset,
                                  len(package.comment)))
    handle.write(package.comment)


def _new_entry(package: Package, member: Member, content: bytes
               ) -> tuple[bytes, int, int, int, int, int]:
    info = member.info
    header = package.data[member.start:member.start + _LOCAL_HEADER.size]
    (_, version, system, old_flags, _method, mtime, mdate, _crc, _cs, _us,
     name_len, extra_len) = _LOCAL_HEADER.unpack(header)
    name_start = member.start + _LOCAL_HEADER.size
    name = package.data[name_start:name_start + name_len]
    extra = _without_zip64(package.data[name_start + name_len:
                                        name_start + name_len + extra_len])
    method = info.compress_type
    if method not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        method = zipfile.ZIP_DEFLATED
    if method == zipfile.ZIP_DEFLATED:
        # Bits 1-2 of the flags record the deflate level the writer used.
        level = {0: 6, 1: 9, 2: 1, 3: 1}[(old_flags >> 1) & 0x3]
        compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
        payload = compressor.compress(content) + compressor.flush()
        version = max(version, 20)
    else:
        payload = content
    flags = old_flags & ~0x8  # sizes go in the header: no data descriptor
    crc = zlib.crc32(content)
    local = _LOCAL_HEADER.pack(_LOCAL_SIG, version, system, flags, method, mtime, mdate,
                               crc, len(payload), len(content), len(name), len(extra))
    return local + name + extra + payload, crc, len(payload), len(content), flags, method


def _central_record(info: zipfile.ZipInfo, offset: int, crc: int, csize: int, usize: int,
                    flags: int, method: int) -> bytes:
    name = info.orig_filename.encode("utf-8" if info.flag_bits & 0x800 else "cp437")
    extra = _without_zip64(info.extra)
    year, month, day, hour, minute, second = info.date_time
    dosdate = (year - 1980) << 9 | month << 5 | day
    dostime = hour << 11 | minute << 5 | second // 2
    extract_version = max(info.extract_version, 20 if method == zipfile.ZIP_DEFLATED else 10)
    return _CENTRAL_HEADER.pack(
        _CENTRAL_SIG, info.create_version, info.create_system, extract_version, info.reserved,
        flags, method, dostime, dosdate, crc, csize, usize, len(name), len(extra),
        len(info.comment), 0, info.internal_attr, info.external_attr, offset,
    ) + name + extra + info.comment


def _without_zip64(extra: bytes) -> bytes:
    """``extra`` minus any ZIP64 field; sizes are written in the 32-bit fields instead."""
    out = bytearray()
    pos = 0
    while pos + 4 <= len(extra):
        kind, size = struct.unpack("<2H", extra[pos:pos + 4])
        if pos + 4 + size > len(extra):
            return extra  # malformed: leave it as it was
        if kind != _ZIP64_EXTRA:
            out += extra[pos:pos + 4 + size]
        pos += 4 + size
    return bytes(out) + extra[pos:]


# --------------------------------------------------------------------------- part map


@dataclass(frozen=True, slots=True)
class SheetPart:
    name: str
    sheet_id: str
    part: str | None  # zip member name, None if the relationship is broken
    kind: str  # "worksheet", "chartsheet", ...


@dataclass(frozen=True, slots=True)
class WorkbookParts:
    """Where things live in the package, as the relationships say (not by guessing)."""

    workbook: str
    sheets: tuple[SheetPart, ...]
    styles: str | None
    calc_chain: str | None
    shared_strings: str | None

    def sheet(self, name: str) -> SheetPart | None:
        return next((s for s in self.sheets if s.name == name), None)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _parse_small(package: Package, name: str) -> Element:
    try:
        root: Element = defused_fromstring(package.read(name), forbid_dtd=True)
    except InputError:
        raise
    except Exception as e:  # ParseError, DTDForbidden, EntitiesForbidden, ...
        raise InputError(f"{package.path}: part {name} is not valid XML ({e}); "
                         "the file is damaged or hostile") from None
    return root


def _relationships(package: Package, part: str) -> list[tuple[str, str, str]]:
    """(id, type, target part) for the relationships of ``part``; external ones skipped."""
    folder, base = posixpath.split(part)
    rels_name = package.find(posixpath.join(folder, "_rels", base + ".rels").lstrip("/"))
    if rels_name is None:
        return []
    out: list[tuple[str, str, str]] = []
    for rel in _parse_small(package, rels_name):
        if _local(rel.tag) != "Relationship" or rel.get("TargetMode") == "External":
            continue
        target = rel.get("Target", "")
        resolved = posixpath.normpath(target.lstrip("/") if target.startswith("/")
                                      else posixpath.join(folder, target))
        out.append((rel.get("Id", ""), rel.get("Type", ""), resolved.lstrip("/")))
    return out


def workbook_parts(package: Package) -> WorkbookParts:
    """Follow ``_rels/.rels`` to the workbook, then its relationships to sheets and styles."""
    office = [t for _i, kind, t in _relationships(package, "") if kind.endswith("/officeDocument")]
    workbook = package.find(office[0]) if office else package.find("xl/workbook.xml")
    if workbook is None:
        raise InputError(f"{package.path}: no workbook part; this is not an Excel workbook")
    rels = {rid: (kind.rsplit("/", 1)[-1], target)
            for rid, kind, target in _relationships(package, workbook)}
    sheets: list[SheetPart] = []
    for element in _parse_small(package, workbook).iter():
        if _local(element.tag) != "sheet":
            continue
        rid = next((v for k, v in element.attrib.items() if _local(k) == "id" and "}" in k), "")
        kind, target = rels.get(rid, ("", ""))
        sheets.append(SheetPart(element.get("name", ""), element.get("sheetId", ""),
                                package.find(target) if target else None, kind))

    def one(kind: str) -> str | None:
        return next((package.find(t) for k, t in rels.values() if k == kind), None)

    return WorkbookParts(workbook, tuple(sheets), one("styles"), one("calcChain"),
                         one("sharedStrings"))


# --------------------------------------------------------------------------- safe expat


def _refuse(*_args: object) -> NoReturn:
    raise _Hostile


class _Hostile(Exception):
    """A DTD or entity declaration in a part: refused like defusedxml does."""


def expat_parser() -> Any:
    """A namespace-aware expat parser that refuses DTDs and entities (defusedxml's guards)."""
    parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")
    parser.StartDoctypeDeclHandler = _refuse
    parser.EntityDeclHandler = _refuse
    parser.UnparsedEntityDeclHandler = _refuse
    parser.ExternalEntityRefHandler = _refuse
    parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)
    return parser


_DECLARED_ENCODING = re.compile(rb'^\s*<\?xml[^>]*encoding\s*=\s*["\']([A-Za-z0-9._-]+)["\']')


def _parse(where: str, data: bytes, parser: Any) -> None:
    if data.startswith((b"\xfe\xff", b"\xff\xfe")):
        raise OutputError(f"{where}: the part is UTF-16 XML; save the workbook again in Excel")
    declared = _DECLARED_ENCODING.match(data.removeprefix(b"\xef\xbb\xbf"))
    if declared and declared.group(1).lower() not in (b"utf-8", b"utf8"):
        raise OutputError(f"{where}: the part is {declared.group(1).decode()} XML, "
                          "not UTF-8; save the workbook again in Excel")
    try:
        parser.Parse(data, True)
    except _Hostile:
        raise InputError(f"{where}: the XML declares a DTD or entities; "
                         "refusing a possibly hostile file") from None
    except xml.parsers.expat.ExpatError as e:
        raise InputError(f"{where}: not well-formed XML ({e}); the file is damaged") from None


_TAG = re.compile(rb'<[^\s/>]+(?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|\'[^\']*\'))*\s*/?>')
_ATTR = re.compile(rb'(\s+)([^\s=/>]+)(\s*=\s*)("[^"]*"|\'[^\']*\')')


def _tag_end(data: bytes, pos: int) -> int:
    match = _TAG.match(data, pos)
    if match is None:  # expat accepted the tag, so this cannot happen on real input
        raise ValueError(f"no start tag at byte {pos}")
    return match.end()


def _end_tag_end(data: bytes, pos: int) -> int:
    return data.index(b">", pos) + 1


def set_attributes(tag: bytes, updates: Mapping[str, str | None]) -> bytes:
    """``tag`` (a raw start tag) with attributes set (value) or removed (None).

    Other attributes keep their order, quoting and spacing; new ones are appended.
    """
    done: set[str] = set()

    def replace(match: re.Match[bytes]) -> bytes:
        name = match.group(2).decode()
        if name not in updates:
            return match.group(0)
        done.add(name)
        value = updates[name]
        if value is None:
            return b""
        return match.group(1) + match.group(2) + b'="' + _attr_escape(value) + b'"'

    close = b"/>" if tag.endswith(b"/>") else b">"
    body = _ATTR.sub(replace, tag[:-len(close)])
    stripped = body.rstrip()
    trailing = body[len(stripped):]
    for name, value in updates.items():
        if name not in done and value is not None:
            stripped += b" " + name.encode() + b'="' + _attr_escape(value) + b'"'
    return stripped + trailing + close


def _attr_escape(value: str) -> bytes:
    return (value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").encode("utf-8"))


_QNAME = re.compile(rb"<([^\s/>]+)")


def qualified_prefix(data: bytes, start: int) -> bytes:
    """``b"x:"`` for ``<x:row ...>`` at ``start``, ``b""`` for an unprefixed element."""
    match = _QNAME.match(data, start)
    qname = match.group(1) if match else b""
    return qname[:qname.index(b":") + 1] if b":" in qname else b""


# --------------------------------------------------------------------------- references

_REF = re.compile(r"^([A-Z]{1,3})([1-9][0-9]{0,6})$")
MAX_ROW = 1_048_576
MAX_COLUMN = 16_384


class _ColumnTable(dict[str, int]):
    """Column letters -> index, filled on demand; 0 for anything that is not a column."""

    def __missing__(self, letters: str) -> int:
        valid = 1 <= len(letters) <= 3 and letters.isascii() and letters.isalpha() \
            and letters.isupper()
        index = column_index(letters) if valid else 0
        index = index if index <= MAX_COLUMN else 0
        if len(self) < 20_000:
            self[letters] = index
        return index


def column_index(letters: str) -> int:
    index = 0
    for ch in letters:
        index = index * 26 + ord(ch) - 64
    return index


def column_letters(index: int) -> str:
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


_COLUMNS = _ColumnTable()


def parse_ref(ref: str) -> tuple[int, int]:
    """``"E12"`` -> (row 12, column 5); ValueError for anything that is not one cell."""
    match = _REF.match(ref.upper().replace("$", ""))
    if match is None:
        raise ValueError(f"not a cell reference: {ref!r}")
    row, col = int(match.group(2)), column_index(match.group(1))
    if row > MAX_ROW or col > MAX_COLUMN:
        raise ValueError(f"cell reference outside the sheet: {ref!r}")
    return row, col


def format_ref(row: int, col: int) -> str:
    return f"{column_letters(col)}{row}"


def parse_range(ref: str) -> tuple[int, int, int, int] | None:
    """``"A1:K263"`` -> (first row, first col, last row, last col); None if unreadable."""
    try:
        parts = [parse_ref(p) for p in ref.split(":")]
    except ValueError:
        return None
    if len(parts) == 1:
        parts.append(parts[0])
    if len(parts) != 2:
        return None
    (r1, c1), (r2, c2) = parts
    return min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)


# --------------------------------------------------------------------------- cell text

_ILLEGAL_XML = "\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff"
_ILLEGAL_CHAR = re.compile(f"[{_ILLEGAL_XML}]")
# A literal "_xHHHH" that would read as an escape once followed by "_" (itself or the
# start of an encoded character) gets its "_" written as "_x005F_", as Excel does.
_LITERAL_ESCAPE = re.compile(f"_(?=x[0-9A-Fa-f]{{4}}(?:_|[{_ILLEGAL_XML}]))")
_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def encode_cell_text(value: str) -> str:
    """The string a cell's ``<t>`` element must hold so Excel shows exactly ``value``.

    Characters XML 1.0 cannot carry (control characters other than tab, LF and CR) are
    written as Excel writes them, ``_xHHHH_`` (ECMA-376 ST_Xstring); a literal ``_xHHHH_``
    in the text is protected by writing its underscore as ``_x005F_``. Excel and LibreOffice
    decode these; openpyxl does not, so it reads this encoded form back (see
    :func:`decode_cell_text`). For ordinary text the result is ``value`` itself.
    """
    if "_" in value:
        value = _LITERAL_ESCAPE.sub("_x005F_", value)
    return _ILLEGAL_CHAR.sub(lambda m: f"_x{ord(m.group(0)):04X}_", value)


def decode_cell_text(text: str) -> str:
    """The inverse of :func:`encode_cell_text`: what Excel shows for a stored string."""
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text) if "_x" in text else text


def xml_text(text: str) -> bytes:
    """XML character data for ``text`` (already passed through :func:`encode_cell_text`).

    CR becomes ``&#13;`` because an XML parser turns a raw CR (and CRLF) into LF.
    """
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("\r", "&#13;").encode("utf-8"))


def excel_length(value: str) -> int:
    """Length as Excel counts it (UTF-16 code units)."""
    return len(value) + sum(1 for ch in value if ord(ch) > 0xFFFF)


# --------------------------------------------------------------------------- sheet scan


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

    @property
    def style(self) -> int:
        return int(self.attrs.get("s") or 0)

    def start_tag(self, data: bytes) -> bytes:
        """The raw ``<c ...>`` start tag (the whole element when it is empty)."""
        return data[self.start:_tag_end(data, self.start)]


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

    def row(self, number: int) -> RowSpan | None:
        return next((r for r in self.rows if r.number == number), None)

    def column_style(self, col: int) -> int | None:
        return next((s for lo, hi, s in self.cols if lo <= col <= hi), None)

    def cell(self, row: int, col: int) -> CellSpan | None:
        span = self.row(row)
        return None if span is None else next((c for c in span.cells if c.col == col), None)

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

    def __init__(self, scan: SheetScan, wanted: Iterable[int] | None) -> None:
        self.scan = scan
        self.data = scan.data
        self.wanted = None if wanted is None else frozenset(wanted)
        self.depth = 0
        self.ns = ""
        self.in_sheet_data = False
        self.in_cols = False
        self.row: RowSpan | None = None
        self.detail = False
        self.cell: CellSpan | None = None
        self.next_row = 1
        self.next_col = 1
        self.capture_text = False
        self.parser = expat_parser()
        self.parser.StartElementHandler = self.start
        self.parser.EndElementHandler = self.end

    def run(self) -> SheetScan:
        _parse(self.scan.where, self.data, self.parser)
        return self.scan

    def start(self, name: str, attrs: dict[str, str]) -> None:
        self.depth += 1
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
                tag_end = _tag_end(self.data, index)
                self.scan.sheet_data = (index, -1)
                self.scan.sheet_data_tag_end = tag_end
                self.scan.sheet_data_empty = self.data[tag_end - 2:tag_end] == b"/>"
                self.in_sheet_data = True
            elif name == self.ns + "dimension":
                self.scan.dimension = (index, _tag_end(self.data, index))
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
        tag_end = _tag_end(self.data, index)
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
            col = _COLUMNS[ref.rstrip("0123456789")]
            if not col:
                raise InputError(f"{self.scan.where}: cell reference {ref!r} is not valid; "
                                 "the file is damaged")
        self.next_col = col + 1
        cell = CellSpan(col, index, attrs=attrs)
        self.cell = cell
        row.cells.append(cell)
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
                    cell.end = _end_tag_end(data, index)
                self.cell = None
                self.parser.CharacterDataHandler = None
            return
        if depth == 3:
            row = self.row
            if self.in_sheet_data and row is not None:
                if not row.empty:
                    row.close_start = self.parser.CurrentByteIndex
                    row.end = _end_tag_end(self.data, row.close_start)
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
                self.scan.sheet_data = (start, _end_tag_end(self.data, close))


def scan_sheet(where: str, data: bytes, rows: Iterable[int] | None = None) -> SheetScan:
    """Scan a worksheet part: spans of all rows, and cells (with content) of ``rows``.

    ``rows=None`` gives detail for every row. Raises InputError for XML that is not
    well-formed or declares a DTD, OutputError for a part that is not a worksheet.
    """
    scan = _SheetScanner(SheetScan(where, data), rows).run()
    if scan.sheet_data is None:
        raise InputError(f"{where}: the worksheet has no sheetData; the file is damaged")
    seen: set[int] = set()
    for row in scan.rows:
        if row.number in seen:
            raise InputError(f"{where}: row {row.number} appears twice; the file is damaged")
        seen.add(row.number)
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
    row_starts = [(r.number, r.start) for r in scan.rows]
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
            position = next((start for n, start in row_starts if n > number), None)
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
    return _apply(data, patches)


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
        widened = _widen_spans(spans, new_cols)
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


def _widen_spans(spans: str, cols: Sequence[int]) -> str:
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


def _apply(data: bytes, patches: list[tuple[int, int, int, bytes]]) -> bytes:
    out: list[bytes] = []
    pos = 0
    for start, end, _order, replacement in sorted(patches, key=lambda p: (p[0], p[2], p[1])):
        if start < pos:
            raise ValueError(f"overlapping edits at byte {start}")
        out.append(data[pos:start])
        out.append(replacement)
        pos = end
    out.append(data[pos:])
    return b"".join(out)


# --------------------------------------------------------------------------- styles

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
        index = self.parser.CurrentByteIndex
        if self.depth == 1:
            namespace, _, local = name.rpartition(" ")
            if local != "styleSheet":
                raise InputError(f"{self.where}: not a style sheet; the file is damaged")
            self.ns = namespace + " " if namespace else ""
        elif self.depth == 2 and name in (self.ns + "fills", self.ns + "cellXfs"):
            tag_end = _tag_end(self.data, index)
            self.current = _Collection(index, tag_end,
                                       empty=self.data[tag_end - 2:tag_end] == b"/>")
            self.found[name.rpartition(" ")[2]] = self.current
        elif self.depth == 3 and self.current is not None:
            self.child_start = index
            tag_end = _tag_end(self.data, index)
            self.child_empty = self.data[tag_end - 2:tag_end] == b"/>"
            if self.child_empty:
                self.current.children.append((index, tag_end))

    def end(self, _name: str) -> None:
        index = self.parser.CurrentByteIndex
        if self.depth == 3 and self.current is not None and not self.child_empty:
            self.current.children.append((self.child_start, _end_tag_end(self.data, index)))
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
    _parse(where, styles, scanner.parser)
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
        tag_end = _tag_end(styles, start)
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
    return _apply(styles, patches), mapping


# --------------------------------------------------------------------------- calc chain


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
    _parse(where, calc_chain, parser)
    return found

