"""An .xlsx/.xlsm file as a zip package held in memory, and where its parts live.

The one container both the reader and the writer open. Customer files are untrusted, so
opening one refuses what is hostile before anything is parsed: more members than a
workbook has, a member that would expand past :data:`MAX_PART_BYTES` or at a suspicious
ratio, a package that would expand past :data:`MAX_TOTAL_BYTES`, a name held twice, an
encrypted member, and XML that declares a DOCTYPE or entities (every XML part is checked,
so a later openpyxl load is covered too). Reading a member stops at its declared size, so
a member that lies about it cannot inflate further.

Every member keeps its raw compressed bytes, so :func:`write_package` can copy the
members it does not replace byte for byte. :func:`relationships` is the one resolver of
relationship targets; :func:`workbook_parts` follows it to the workbook, its sheets,
styles, calc chain and shared strings.
"""

from __future__ import annotations

import contextlib
import io
import posixpath
import struct
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from xml.etree.ElementTree import Element

from qfill.errors import InputError, OutputError
from qfill.sheets.safe_xml import damaged, parse_tree, unsafe_xml

MAX_PART_BYTES = 200 * 1024 * 1024  # one decompressed part; larger is a zip bomb
MAX_TOTAL_BYTES = 1024 * 1024 * 1024  # all parts together
MAX_RATIO = 200  # compression ratio refused for parts above RATIO_FLOOR_BYTES
RATIO_FLOOR_BYTES = 5 * 1024 * 1024
MAX_MEMBERS = 20_000
_PROLOG_BYTES = 4096  # a DOCTYPE must come before the root element
_XML_PARTS = (".xml", ".rels", ".vml")

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
        except zipfile.BadZipFile:
            raise InputError(f"{path}: damaged or truncated .xlsx (the zip package is "
                             "incomplete); download or export it again") from None
        except Exception as e:  # LargeZipFile, struct.error, ... on hostile input
            raise InputError(f"{path}: not a readable .xlsx (zip) file ({e}); "
                             "open and re-save it in Excel") from None
        self.comment = self._zip.comment
        infos = self._zip.infolist()
        self._check_sizes(infos)
        members: list[Member] = []
        seen: set[str] = set()
        for info in infos:
            if info.filename in seen:
                raise InputError(f"{path}: the zip holds {info.filename!r} twice; "
                                 "the file is damaged or hostile")
            seen.add(info.filename)
            if info.flag_bits & 0x1:
                raise InputError(f"{path}: the workbook is encrypted; "
                                 "remove the password in Excel and try again")
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                # Excel writes and reads only these two; a copy could not keep any other.
                raise InputError(f"{path}: part {info.filename} uses a compression Excel "
                                 f"does not (method {info.compress_type}); open the file in "
                                 "Excel and save it again")
            members.append(self._locate(info))
        self.members: tuple[Member, ...] = tuple(members)
        self._by_name = {m.name: m for m in members}
        self._folded = {m.name.lower(): m.name for m in reversed(members)}
        self._check_prologs()

    def close(self) -> None:
        self._zip.close()

    def __enter__(self) -> Package:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _check_sizes(self, infos: list[zipfile.ZipInfo]) -> None:
        if len(infos) > MAX_MEMBERS:
            raise InputError(f"{self.path}: refused: the package holds {len(infos)} "
                             "parts, far more than a workbook; re-save it in Excel")
        total = 0
        for info in infos:
            size = info.file_size
            total += size
            if size > MAX_PART_BYTES:
                raise InputError(
                    f"{self.path}: refused: part {info.filename} would expand to "
                    f"{size // (1024 * 1024)} MB (limit {MAX_PART_BYTES // (1024 * 1024)} MB), "
                    "which looks like a zip bomb; re-save the workbook in Excel")
            if size > RATIO_FLOOR_BYTES and size > MAX_RATIO * max(info.compress_size, 1):
                raise InputError(
                    f"{self.path}: refused: part {info.filename} is compressed "
                    f"{size // max(info.compress_size, 1)}:1 (limit {MAX_RATIO}:1), which looks "
                    "like a zip bomb; re-save the workbook in Excel")
        if total > MAX_TOTAL_BYTES:
            raise InputError(f"{self.path}: refused: the package would expand to "
                             f"{total // (1024 * 1024)} MB; re-save the workbook in Excel")

    def _check_prologs(self) -> None:
        # Refuse DTDs in every XML part, including those only openpyxl would read later.
        # A DOCTYPE may follow any number of comments and processing instructions, so the
        # whole prolog is read, up to the root element, however long it is.
        for name in self._by_name:
            if not name.lower().endswith(_XML_PARTS):
                continue
            with self.open_part(name) as stream:
                head = stream.read(_PROLOG_BYTES)
                if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16: check decoded
                    text = head.decode("utf-16", errors="ignore").upper()
                    if "<!DOCTYPE" in text or "<!ENTITY" in text:
                        raise unsafe_xml(self.path, name)
                    continue
                if _declares_dtd(head, stream):
                    raise unsafe_xml(self.path, name)

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

    @contextlib.contextmanager
    def open_part(self, name: str) -> Iterator[IO[bytes]]:
        """The member's content as a stream that stops at its declared (checked) size."""
        info = self._by_name[name].info
        limit = min(info.file_size, MAX_PART_BYTES)
        try:
            with self._zip.open(info) as raw:
                yield io.BufferedReader(_CountingReader(raw, limit, self._bomb(name)),
                                        buffer_size=256 * 1024)
        except (zipfile.BadZipFile, zlib.error, EOFError) as e:
            raise damaged(self.path, name, str(e) or "truncated data") from None
        except NotImplementedError:
            raise InputError(f"{self.path}: part {name} uses an unsupported compression; "
                             "re-save the workbook in Excel") from None

    def read(self, name: str) -> bytes:
        """The decompressed content (CRC-checked)."""
        with self.open_part(name) as stream:
            return stream.read()

    def _bomb(self, name: str) -> InputError:
        return InputError(f"{self.path}: refused: part {name} expands beyond its declared size "
                          "(a zip bomb); re-save the workbook in Excel")

    def find(self, name: str) -> str | None:
        """The member name matching ``name``; OPC part names are case-insensitive."""
        if name in self._by_name:
            return name
        return self._folded.get(name.lower())


class _CountingReader(io.RawIOBase):
    """A member stream that refuses to yield more than ``limit`` bytes."""

    def __init__(self, stream: IO[bytes], limit: int, on_exceed: InputError) -> None:
        self._stream = stream
        self._left = limit
        self._error = on_exceed

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._stream.read(len(buffer))
        self._left -= len(data)
        if self._left < 0:
            raise self._error
        buffer[: len(data)] = data
        return len(data)


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
    state: str = "visible"  # "hidden", "veryHidden"


@dataclass(frozen=True, slots=True)
class WorkbookParts:
    """Where things live in the package, as the relationships say (not by guessing)."""

    workbook: str
    sheets: tuple[SheetPart, ...]
    styles: str | None
    calc_chain: str | None
    shared_strings: str | None
    # (lower-cased name, local sheet index or None, formula) of the workbook's defined names
    defined_names: tuple[tuple[str, int | None, str], ...] = ()

    def sheet(self, name: str) -> SheetPart | None:
        return next((s for s in self.sheets if s.name == name), None)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def part_tree(package: Package, name: str) -> Element:
    with package.open_part(name) as stream:
        return parse_tree(package.path, name, stream)


def resolve_target(source: str, target: str) -> str:
    """The part a relationship of part ``source`` points at: an absolute target from the
    package root, a relative one from ``source``'s folder, normalised (``..`` resolved)."""
    folder = posixpath.dirname(source)
    joined = target if target.startswith("/") else posixpath.join(folder, target)
    return posixpath.normpath(joined.lstrip("/")).lstrip("/")


def relationships(package: Package, part: str) -> list[tuple[str, str, str | None]]:
    """(id, type, member) for the internal relationships of ``part`` (``""``: the package);
    member is the zip member the target names (part names are case-insensitive), or None."""
    folder, base = posixpath.split(part)
    rels_name = package.find(posixpath.join(folder, "_rels", base + ".rels").lstrip("/"))
    if rels_name is None:
        return []
    out: list[tuple[str, str, str | None]] = []
    for rel in part_tree(package, rels_name):
        if _local(rel.tag) != "Relationship" or rel.get("TargetMode") == "External":
            continue
        target = rel.get("Target", "")
        member = package.find(resolve_target(part, target)) if target else None
        out.append((rel.get("Id", ""), rel.get("Type", ""), member))
    return out


def _find_workbook(package: Package) -> str:
    office = next((m for _i, kind, m in relationships(package, "")
                   if kind.endswith("/officeDocument") and m is not None), None)
    part = office or package.find("xl/workbook.xml")
    if part is None:
        if package.find("xl/workbook.bin") is not None:
            raise InputError(f"{package.path}: binary .xlsb workbook; open it in Excel and "
                             "save it as .xlsx")
        raise InputError(f"{package.path}: a zip file but not an Excel workbook (no "
                         "workbook part); save the questionnaire as .xlsx")
    if part.lower().endswith(".bin"):
        raise InputError(f"{package.path}: binary .xlsb workbook; open it in Excel and save "
                         "it as .xlsx")
    return part


def _declares_dtd(head: bytes, stream: IO[bytes]) -> bool:
    """Whether the prolog (everything before the root element) holds a DOCTYPE or ENTITY.

    Comments, processing instructions and white space are skipped wherever they end;
    ``head`` is the start of the part and ``stream`` the rest.
    """
    data, pos = head, 0
    while True:
        while pos < len(data) and data[pos:pos + 1] in b" \t\r\n\xef\xbb\xbf":
            pos += 1
        if pos >= len(data) - 16:
            more = stream.read(_PROLOG_BYTES)
            if not more:
                return b"<!DOCTYPE" in data[pos:].upper() or b"<!ENTITY" in data[pos:].upper()
            data, pos = data[pos:] + more, 0
            continue
        ahead = data[pos:pos + 9].upper()
        if ahead.startswith((b"<!DOCTYPE", b"<!ENTITY")):
            return True
        end = {b"<?": b"?>", b"<!--": b"-->"}
        opener = next((o for o in end if data.startswith(o, pos)), None)
        if opener is None:
            return False  # the root element (or text): the prolog is over
        close = data.find(end[opener], pos + len(opener))
        while close < 0:
            more = stream.read(1 << 16)
            if not more:
                return False
            data, pos = data[pos:] + more, 0
            close = data.find(end[opener], pos + len(opener))
        pos = close + len(end[opener])


def workbook_parts(package: Package) -> WorkbookParts:
    """Follow ``_rels/.rels`` to the workbook, then its relationships to sheets and styles."""
    workbook = _find_workbook(package)
    rels = {rid: (kind.rsplit("/", 1)[-1], member)
            for rid, kind, member in relationships(package, workbook)}
    sheets: list[SheetPart] = []
    seen: set[str] = set()
    names: list[tuple[str, int | None, str]] = []
    for element in part_tree(package, workbook).iter():
        tag = _local(element.tag)
        if tag == "sheet":
            rid = next((v for k, v in element.attrib.items()
                        if _local(k) == "id" and "}" in k), "")
            kind, member = rels.get(rid, ("", None))
            name = element.get("name", "")
            if name.casefold() in seen:
                # Excel refuses two sheets of one name (case aside); a sheet reached by its
                # name would be the first, and the second never read.
                raise InputError(f"{package.path}: two sheets are named {name!r}; the file is "
                                 "damaged (open it in Excel, save it again and retry)")
            seen.add(name.casefold())
            sheets.append(SheetPart(name, element.get("sheetId", ""), member, kind,
                                    element.get("state", "visible")))
        elif tag == "definedName" and element.text:
            local_id = element.get("localSheetId")
            names.append((element.get("name", "").lower(),
                          int(local_id) if local_id and local_id.isdigit() else None,
                          element.text.strip()))

    def one(kind: str) -> str | None:
        return next((m for k, m in rels.values() if k == kind and m is not None), None)

    return WorkbookParts(workbook, tuple(sheets), one("styles"), one("calcChain"),
                         one("sharedStrings"), tuple(names))
