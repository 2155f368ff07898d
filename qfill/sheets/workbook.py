"""A customer workbook opened for reading: file checks, zip limits, and its parsed sheets.

Customer files are untrusted. Before anything is parsed this module refuses what is not a
usable .xlsx/.xlsm (missing, empty, legacy .xls, encrypted, damaged) and what is hostile:
zip members that would expand past :data:`MAX_MEMBER_BYTES` or at a suspicious ratio, and
XML with a DOCTYPE or entity declarations (every XML part is checked, so the later
openpyxl load is covered too). All XML goes through defusedxml. A sheet is read as a
sparse grid of its real cells, so a dimension that claims a million rows costs nothing.
"""

from __future__ import annotations

import contextlib
import io
import os
import posixpath
import stat
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from qfill.errors import InputError
from qfill.files import FileContent
from qfill.sheets.a1 import COLUMNS, MAX_ROW, cell_ref, parse_range
from qfill.sheets.cell_text import decode_cell_text

MAX_MEMBER_BYTES = 200 * 1024 * 1024  # one decompressed part
MAX_TOTAL_BYTES = 1024 * 1024 * 1024  # all parts together
MAX_RATIO = 200  # compression ratio refused for parts above RATIO_FLOOR_BYTES
RATIO_FLOOR_BYTES = 5 * 1024 * 1024
MAX_MEMBERS = 20_000
MAX_SHEET_CELLS = 2_000_000  # filled cells kept for one sheet
MAX_INDEX_ENTRIES = 1_000_000  # column spans of merges or validations indexed for one sheet
USED_COLUMN_MARGIN = 64  # merges and validations are indexed up to this far past the last cell

OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTION_STREAMS = ("EncryptionInfo".encode("utf-16-le"),
                       "EncryptedPackage".encode("utf-16-le"))
_PROLOG_BYTES = 4096  # a DOCTYPE must come before the root element
_MACRO_TYPES = ("sheet.macroEnabled.main", "template.macroEnabled.main")


class SheetTooLarge(Exception):
    """A sheet holds more cells, merges or validations than a questionnaire plausibly can."""


# --------------------------------------------------------------------------- records


@dataclass(frozen=True, slots=True)
class SheetEntry:
    """A sheet as listed in the workbook: its title, package part and visibility."""

    name: str
    part: str | None  # None for chart sheets and sheets whose part is missing
    state: str = "visible"  # "visible" | "hidden" | "veryHidden"

    @property
    def hidden(self) -> bool:
        return self.state != "visible"


@dataclass(frozen=True, slots=True)
class RawValidation:
    """A data validation as stored: ``kind`` is "list", "whole", ... ; ``x14`` for extensions."""

    kind: str
    sqref: str
    formula: str | None
    x14: bool = False


@dataclass(slots=True)
class SheetGrid:
    """The filled cells of one sheet, with its merged ranges and data validations.

    ``cells[row][col] = (text, is_formula)``; ``text`` is the cell's value as text (for a
    formula its cached value), None when empty. Empty styled cells are not kept.
    """

    name: str
    cells: dict[int, dict[int, tuple[str | None, bool]]] = field(default_factory=dict)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)
    validations: list[RawValidation] = field(default_factory=list)
    max_row: int = 0
    max_col: int = 0

    def value(self, row: int, col: int) -> str | None:
        cell = self.cells.get(row, {}).get(col)
        return cell[0] if cell else None

    def is_formula(self, row: int, col: int) -> bool:
        cell = self.cells.get(row, {}).get(col)
        return bool(cell and cell[1])

    def rows(self) -> list[int]:
        return sorted(self.cells)


# --------------------------------------------------------------------------- file checks


MAX_INPUT_BYTES = 512 * 1024 * 1024  # a questionnaire file on disk, read once into memory


def read_input_file(path: Path, *, limit: int = MAX_INPUT_BYTES,
                    what: str = "questionnaire") -> FileContent:
    """The questionnaire's bytes, read once, after refusing what cannot be one at all.

    The size is checked on the open handle before anything is read, so a file over
    ``limit`` (or a huge sparse one) costs nothing; a folder, a pipe or a device is
    refused by kind, and a legacy or encrypted Office file by its signature.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file; check the path") from None
    except IsADirectoryError:
        raise _folder(path) from None
    except PermissionError:
        raise InputError(f"{path}: permission denied; check the file's permissions") from None
    except OSError as e:
        raise InputError(f"{path}: cannot read ({e.strerror}); check the path") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise _folder(path)
        if not stat.S_ISREG(info.st_mode):
            raise InputError(f"{path}: not a regular file (a pipe, socket or device); give "
                             "the path of an .xlsx, .xlsm or .csv file")
        if info.st_size > limit:
            raise InputError(f"{path}: refused: {info.st_size // (1024 * 1024)} MB is too large "
                             f"for a {what} (limit {limit // (1024 * 1024)} MB)")
        with os.fdopen(os.dup(fd), "rb") as handle:
            data = handle.read(limit + 1)
    except IsADirectoryError:
        raise _folder(path) from None
    except OSError as e:
        raise InputError(f"{path}: cannot read ({e.strerror}); check the path") from None
    finally:
        os.close(fd)
    if len(data) > limit:
        raise InputError(f"{path}: refused: the file grew past the {what} limit "
                         f"({limit // (1024 * 1024)} MB) while being read")
    if not data:
        raise InputError(f"{path}: the file is empty; export or download the questionnaire "
                         "again")
    if data.startswith(OLE2_SIGNATURE):
        raise _ole2_error(path, data)
    return FileContent(path, data)


def _folder(path: Path) -> InputError:
    return InputError(f"{path}: is a folder, not a questionnaire; give the path of an "
                      ".xlsx, .xlsm or .csv file")


def _ole2_error(path: Path, data: bytes) -> InputError:
    # OLE2 compound files are both legacy .xls workbooks and the container Office uses for
    # password-encrypted .xlsx; the directory names its streams in UTF-16.
    if any(name in data for name in _ENCRYPTION_STREAMS):
        return InputError(f"{path}: the workbook is encrypted (password-protected); open it "
                          "in Excel and save an unprotected copy as .xlsx")
    return InputError(f"{path}: legacy Excel 97-2003 (.xls) workbook; open it in Excel and "
                      "save it as .xlsx")


# --------------------------------------------------------------------------- package


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


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


class WorkbookFile:
    """An opened .xlsx/.xlsm package: checked members, sheet list, strings and names.

    Use as a context manager. Grids are parsed on demand and kept, because validation
    lists point into other (often hidden) sheets.
    """

    def __init__(self, source: FileContent) -> None:
        path = self.path = source.path
        if not source.data.startswith(b"PK"):
            raise InputError(f"{path}: not an .xlsx workbook (the file is not a zip package); "
                             "save it as .xlsx")
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(source.data))
        except zipfile.BadZipFile:
            raise InputError(f"{path}: damaged or truncated .xlsx (the zip package is "
                             "incomplete); download or export it again") from None
        except OSError as e:
            raise InputError(f"{path}: cannot read ({e.strerror}); check the file") from None
        try:
            self._members = {info.filename: info for info in self._zip.infolist()}
            self._check_members()
            self._check_prologs()
            self.workbook_part = self._find_workbook()
            self.macro_enabled = self._is_macro_enabled()
            self.sheets, self.defined_names = self._read_workbook()
            self._strings_part = self._related(self.workbook_part, "/sharedStrings")
            self._strings: list[str] | None = None
            self._grids: dict[str, SheetGrid | None] = {}
        except BaseException:
            self._zip.close()
            raise

    def __enter__(self) -> WorkbookFile:
        return self

    def __exit__(self, *_exc: object) -> None:
        self._zip.close()

    # ----------------------------------------------------------------- member safety

    def _check_members(self) -> None:
        if len(self._members) > MAX_MEMBERS:
            raise InputError(f"{self.path}: refused: the package holds {len(self._members)} "
                             "parts, far more than a workbook; re-save it in Excel")
        total = 0
        for info in self._members.values():
            size = info.file_size
            total += size
            if size > MAX_MEMBER_BYTES:
                raise InputError(
                    f"{self.path}: refused: part {info.filename} would expand to "
                    f"{size // (1024 * 1024)} MB (limit {MAX_MEMBER_BYTES // (1024 * 1024)} MB), "
                    "which looks like a zip bomb; re-save the workbook in Excel")
            if size > RATIO_FLOOR_BYTES and size > MAX_RATIO * max(info.compress_size, 1):
                raise InputError(
                    f"{self.path}: refused: part {info.filename} is compressed "
                    f"{size // max(info.compress_size, 1)}:1 (limit {MAX_RATIO}:1), which looks "
                    "like a zip bomb; re-save the workbook in Excel")
        if total > MAX_TOTAL_BYTES:
            raise InputError(f"{self.path}: refused: the package would expand to "
                             f"{total // (1024 * 1024)} MB; re-save the workbook in Excel")

    def _bomb(self, name: str) -> InputError:
        return InputError(f"{self.path}: refused: part {name} expands beyond its declared size "
                          "(a zip bomb); re-save the workbook in Excel")

    def _damaged(self, name: str, why: str) -> InputError:
        return InputError(f"{self.path}: damaged workbook ({name}: {why}); open it in Excel, "
                          "save it again and retry")

    @contextlib.contextmanager
    def _open(self, name: str) -> Iterator[IO[bytes]]:
        info = self._members[name]
        limit = min(info.file_size, MAX_MEMBER_BYTES)
        try:
            with self._zip.open(info) as raw:
                yield io.BufferedReader(_CountingReader(raw, limit, self._bomb(name)),
                                        buffer_size=256 * 1024)
        except (zipfile.BadZipFile, zlib.error, EOFError) as e:
            raise self._damaged(name, str(e) or "truncated data") from None
        except NotImplementedError:
            raise InputError(f"{self.path}: part {name} uses an unsupported compression; "
                             "re-save the workbook in Excel") from None

    def read(self, name: str) -> bytes:
        with self._open(name) as stream:
            return stream.read()

    def _check_prologs(self) -> None:
        # Refuse DTDs in every XML part, including those only openpyxl will read later.
        for name in self._members:
            if not name.endswith((".xml", ".rels", ".vml")):
                continue
            with self._open(name) as stream:
                prolog = stream.read(_PROLOG_BYTES)
            if b"<!DOCTYPE" in prolog.upper() or b"<!ENTITY" in prolog.upper():
                raise self._unsafe(name)
            if prolog.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 XML: check decoded
                text = prolog.decode("utf-16", errors="ignore").upper()
                if "<!DOCTYPE" in text or "<!ENTITY" in text:
                    raise self._unsafe(name)

    def _unsafe(self, name: str) -> InputError:
        return InputError(f"{self.path}: refused: {name} declares a DOCTYPE or entities "
                          "(unsafe XML); re-save the workbook in Excel")

    def iterparse(self, name: str, events: tuple[str, ...] = ("end",)
                  ) -> Iterator[tuple[str, Element]]:
        """defusedxml iterparse over one member, with damage and hostility as InputError."""
        with self._open(name) as stream:
            try:
                yield from iterparse(stream, events=events, forbid_dtd=True)
            except DefusedXmlException:
                raise self._unsafe(name) from None
            except ParseError as e:
                raise self._damaged(name, f"not valid XML, {e}") from None

    def _parse_small(self, name: str) -> Element:
        root: Element | None = None
        for _event, elem in self.iterparse(name):
            root = elem
        if root is None:
            raise self._damaged(name, "empty part")
        return root

    # ----------------------------------------------------------------- structure

    def _rels(self, part: str) -> list[tuple[str, str, str]]:
        folder, base = posixpath.split(part)
        rels = posixpath.join(folder, "_rels", base + ".rels")
        if rels not in self._members:
            return []
        out: list[tuple[str, str, str]] = []
        for rel in self._parse_small(rels):
            if _local(rel.tag) != "Relationship" or rel.get("TargetMode") == "External":
                continue
            target = rel.get("Target", "")
            resolved = (target.lstrip("/") if target.startswith("/")
                        else posixpath.normpath(posixpath.join(folder, target)))
            out.append((rel.get("Id", ""), rel.get("Type", ""), resolved))
        return out

    def _related(self, part: str, kind: str) -> str | None:
        return next((t for _i, typ, t in self._rels(part)
                     if typ.endswith(kind) and t in self._members), None)

    def _find_workbook(self) -> str:
        part = self._related("", "/officeDocument")
        if part is None and "xl/workbook.xml" in self._members:
            part = "xl/workbook.xml"
        if part is None:
            if "xl/workbook.bin" in self._members:
                raise InputError(f"{self.path}: binary .xlsb workbook; open it in Excel and "
                                 "save it as .xlsx")
            raise InputError(f"{self.path}: a zip file but not an Excel workbook (no "
                             "workbook part); save the questionnaire as .xlsx")
        if part.endswith(".bin"):
            raise InputError(f"{self.path}: binary .xlsb workbook; open it in Excel and save it "
                             "as .xlsx")
        return part

    def _is_macro_enabled(self) -> bool:
        if "[Content_Types].xml" not in self._members:
            return False
        for node in self._parse_small("[Content_Types].xml"):
            name = node.get("PartName", "").lstrip("/")
            if name == self.workbook_part:
                return any(t in node.get("ContentType", "") for t in _MACRO_TYPES)
        return False

    def _read_workbook(self) -> tuple[list[SheetEntry], list[tuple[str, int | None, str]]]:
        targets = {rid: (typ, target) for rid, typ, target in self._rels(self.workbook_part)}
        sheets: list[SheetEntry] = []
        names: list[tuple[str, int | None, str]] = []
        for node in self._parse_small(self.workbook_part).iter():
            tag = _local(node.tag)
            if tag == "sheet":
                rid = next((v for k, v in node.attrib.items() if _local(k) == "id"), "")
                typ, target = targets.get(rid, ("", ""))
                part = target if typ.endswith("/worksheet") and target in self._members else None
                sheets.append(SheetEntry(node.get("name", ""), part,
                                         node.get("state", "visible")))
            elif tag == "definedName" and node.text:
                local_id = node.get("localSheetId")
                names.append((node.get("name", "").lower(),
                              int(local_id) if local_id and local_id.isdigit() else None,
                              node.text.strip()))
        return sheets, names

    def shared_strings(self) -> list[str]:
        if self._strings is None:
            strings: list[str] = []
            if self._strings_part:
                for _event, elem in self.iterparse(self._strings_part):
                    if _local(elem.tag) == "si":
                        strings.append(decode_cell_text(_inline_text(elem)))
                        elem.clear()
            self._strings = strings
        return self._strings

    def sheet_entry(self, name: str) -> SheetEntry | None:
        return next((s for s in self.sheets if s.name == name), None)

    def grid(self, name: str) -> SheetGrid | None:
        """The parsed sheet, or None for a chart sheet or one too large to be a questionnaire."""
        if name not in self._grids:
            entry = self.sheet_entry(name)
            grid = None
            if entry is not None and entry.part is not None:
                try:
                    grid = self._parse_sheet(entry)
                except SheetTooLarge:
                    grid = None
            self._grids[name] = grid
        return self._grids[name]

    def resolve_name(self, name: str, sheet_index: int | None) -> str | None:
        """The formula a defined name stands for; a sheet-local definition wins."""
        wanted = name.lower()
        found = [(local, text) for n, local, text in self.defined_names if n == wanted]
        for local, text in found:
            if local is not None and local == sheet_index:
                return text
        return next((text for local, text in found if local is None), None)

    # ----------------------------------------------------------------- sheet parsing

    def _parse_sheet(self, entry: SheetEntry) -> SheetGrid:
        assert entry.part is not None
        strings = self.shared_strings()
        grid = SheetGrid(entry.name)
        cells = grid.cells
        count = 0
        row_number = 0
        col_number = 0
        sheet_data: Element | None = None
        for event, elem in self.iterparse(entry.part, events=("start", "end")):
            tag = _local(elem.tag)
            if event == "start":
                if tag == "row":
                    r = elem.get("r")
                    row_number = int(r) if r and r.isdigit() else row_number + 1
                    col_number = 0
                elif tag == "sheetData":
                    sheet_data = elem
                continue
            if tag == "c":
                position = _fast_ref(elem.get("r"))
                if position is not None:
                    row_number, col_number = position
                else:
                    col_number += 1
                value, is_formula = _cell_value(elem, strings)
                if value is not None or is_formula:
                    cells.setdefault(row_number, {})[col_number] = (value, is_formula)
                    count += 1
                    if count > MAX_SHEET_CELLS:
                        raise SheetTooLarge(entry.name)
                    grid.max_row = max(grid.max_row, row_number)
                    grid.max_col = max(grid.max_col, col_number)
                elem.clear()
            elif tag == "row":
                if sheet_data is not None:
                    sheet_data.clear()  # keep memory flat however many rows there are
            elif tag == "mergeCell":
                bounds = parse_range(elem.get("ref", ""))
                if bounds is not None:
                    grid.merges.append(bounds)
            elif tag == "dataValidation":
                grid.validations.append(_validation(elem))
                elem.clear()
        return grid


def _fast_ref(ref: str | None) -> tuple[int, int] | None:
    """:func:`cell_ref` for the plain "AB12" form cells use, with column letters cached."""
    if not ref:
        return None
    letters = ref.rstrip("0123456789")
    digits = ref[len(letters):]
    col = COLUMNS[letters]
    if not col or not digits or not 1 <= (row := int(digits)) <= MAX_ROW:
        return cell_ref(ref)
    return row, col


def _inline_text(elem: Element) -> str:
    """Text of an <si> or <is>: its <t>, or its rich-text runs, never phonetic hints."""
    parts: list[str] = []
    for child in elem:
        tag = _local(child.tag)
        if tag == "t":
            parts.append(child.text or "")
        elif tag == "r":
            parts.extend(g.text or "" for g in child if _local(g.tag) == "t")
    return "".join(parts)


def _cell_value(elem: Element, strings: list[str]) -> tuple[str | None, bool]:
    kind = elem.get("t", "n")
    is_formula = False
    raw: str | None = None
    inline: str | None = None
    for child in elem:
        tag = _local(child.tag)
        if tag == "f":
            is_formula = True
        elif tag == "v":
            raw = child.text
        elif tag == "is":
            inline = _inline_text(child)
    if kind == "inlineStr":
        text = inline
    elif raw is None:
        text = None
    elif kind == "s":
        try:
            text = strings[int(raw)]
        except (ValueError, IndexError):
            text = None
    elif kind == "b":
        text = "TRUE" if raw.strip() == "1" else "FALSE"
    elif kind == "e":  # #REF!, #N/A ...: no value to read
        text = None
    elif kind in ("str", "d"):
        text = raw
    else:
        text = _number_text(raw)
    if text is not None:
        text = decode_cell_text(text)
        if not text.strip():
            text = None
    return text, is_formula


def _number_text(raw: str) -> str:
    try:
        number = float(raw)
    except ValueError:
        return raw
    if number.is_integer() and abs(number) < 1e15:
        return str(int(number))
    return raw


def _validation(elem: Element) -> RawValidation:
    x14 = "2009/9/main" in elem.tag
    formula: str | None = None
    sqref = elem.get("sqref", "")
    for child in elem.iter():
        tag = _local(child.tag)
        if tag == "formula1":
            inner = next((g for g in child if _local(g.tag) == "f"), None)
            formula = (inner.text if inner is not None else child.text) or None
        elif tag == "sqref" and child is not elem:
            sqref = child.text or sqref
    return RawValidation(elem.get("type", "none"), sqref, formula.strip() if formula else None,
                         x14)
