"""An .xlsx/.xlsm file as a zip package held in memory, and where its parts live.

Every zip member keeps its raw compressed bytes, so :func:`write_package` can copy the
members it does not replace byte for byte; :func:`workbook_parts` follows the package's
relationships to the workbook, its sheets, styles, calc chain and shared strings.
"""

from __future__ import annotations

import io
import posixpath
import struct
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from xml.etree.ElementTree import Element

from defusedxml.ElementTree import fromstring as defused_fromstring

from qfill.errors import InputError, OutputError

MAX_PART_SIZE = 512 * 1024 * 1024  # a decompressed part larger than this is a zip bomb

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
