"""A customer workbook opened for reading: file checks, and its parsed sheets.

Customer files are untrusted. Before anything is parsed this module refuses what is not a
usable .xlsx/.xlsm at all (missing, empty, legacy .xls, encrypted); the package itself
(:class:`~qfill.sheets.package.Package`) refuses what is hostile or damaged inside the zip.
A sheet is read as a sparse grid of its real cells, so a dimension that claims a million
rows costs nothing.
"""

from __future__ import annotations

import functools
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree.ElementTree import Element

from qfill.errors import InputError
from qfill.files import FileContent
from qfill.sheets.a1 import COLUMNS, MAX_COLUMN, MAX_ROW, cell_ref, parse_range
from qfill.sheets.cell_text import decode_cell_text
from qfill.sheets.package import Package, part_tree, workbook_parts
from qfill.sheets.safe_xml import Event, iterparse

MAX_SHEET_CELLS = 2_000_000  # filled cells kept for one sheet
MAX_WORKBOOK_CELLS = 4_000_000  # filled cells read in all sheets together
MAX_SHARED_STRINGS = 2_000_000  # no questionnaire needs more distinct texts than cells
MAX_DEFINED_NAMES = 100_000
MAX_CELL_STYLES = 100_000  # Excel itself allows 64,000
MAX_INDEX_ENTRIES = 1_000_000  # column spans of merges or validations indexed for one sheet
USED_COLUMN_MARGIN = 64  # merges and validations are indexed up to this far past the last cell

OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTION_STREAMS = ("EncryptionInfo".encode("utf-16-le"),
                       "EncryptedPackage".encode("utf-16-le"))
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
    # Cells that hold a value that is not text to read (an error value, a picture in the
    # cell, blank or phonetic-only text, an empty string): never questions, never written.
    held: dict[tuple[int, int], str] = field(default_factory=dict)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)
    validations: list[RawValidation] = field(default_factory=list)
    max_row: int = 0
    max_col: int = 0
    # (row, col) -> "=<formula>" for formula cells with no saved value (nothing else shows
    # what such a cell holds; the report quotes it).
    unsaved_formulas: dict[tuple[int, int], str] = field(default_factory=dict)
    # The sheet is protected (``<sheetProtection sheet="1">``): its locked cells refuse
    # edits in Excel, so qfill does not write them either.
    protected: bool = False
    # Whether a cell's style locks it, where that is not what its row's or column's style
    # (else the default style) says; ``row_locks``/``col_locks`` hold those.
    cell_locks: dict[tuple[int, int], bool] = field(default_factory=dict)
    row_locks: dict[int, bool] = field(default_factory=dict)
    col_locks: dict[int, bool] = field(default_factory=dict)
    default_locked: bool = True

    def locked(self, row: int, col: int) -> bool:
        """Whether Excel refuses an edit of the cell: a protected sheet and a locked style."""
        if not self.protected:
            return False
        found = self.cell_locks.get((row, col))
        return found if found is not None else self._fallback_lock(row, col)

    def _fallback_lock(self, row: int, col: int) -> bool:
        """The lock an unstyled cell takes: its row's style, else its column's."""
        if row in self.row_locks:
            return self.row_locks[row]
        return self.col_locks.get(col, self.default_locked)

    def content(self, row: int, col: int) -> str | None:
        """What the cell holds, text or not; None only for a cell with no value at all."""
        return self.value(row, col) or self.held.get((row, col))

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


@functools.lru_cache(maxsize=1024)  # a part has a few dozen distinct tags, read per element
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
        self.package = Package(path, source.data)
        try:
            parts = workbook_parts(self.package)
            self.workbook_part = parts.workbook
            self.macro_enabled = self._is_macro_enabled()
            self.sheets = [SheetEntry(s.name, s.part if s.kind == "worksheet" else None,
                                      s.state) for s in parts.sheets]
            self.defined_names = list(parts.defined_names)
            if len(self.defined_names) > MAX_DEFINED_NAMES:
                raise InputError(f"{path}: refused: the workbook defines "
                                 f"{len(self.defined_names):,} names (limit "
                                 f"{MAX_DEFINED_NAMES:,}); not a questionnaire")
            # Names by their lower-case text, so resolving one costs the same however many.
            self._names: dict[str, list[tuple[int | None, str]]] = {}
            for n, local, text in self.defined_names:
                self._names.setdefault(n, []).append((local, text))
            self._cells_read = 0
            self._strings_part = parts.shared_strings
            self._strings: list[str] | None = None
            self._grids: dict[str, SheetGrid | None] = {}
            self._styles_part = parts.styles
            self._locked_styles: list[bool] | None = None
        except BaseException:
            self.package.close()
            raise

    def __enter__(self) -> WorkbookFile:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.package.close()

    def iterparse(self, name: str, events: tuple[Event, ...] = ("end",)
                  ) -> Iterator[tuple[str, Element]]:
        """Safe iterparse over one member, with damage and hostility as InputError."""
        with self.package.open_part(name) as stream:
            yield from iterparse(self.path, name, stream, events)

    # ----------------------------------------------------------------- structure

    def _is_macro_enabled(self) -> bool:
        types = self.package.find("[Content_Types].xml")
        if types is None:
            return False
        for node in part_tree(self.package, types):
            name = node.get("PartName", "").lstrip("/")
            if name.lower() == self.workbook_part.lower():
                return any(t in node.get("ContentType", "") for t in _MACRO_TYPES)
        return False

    def shared_strings(self) -> list[str]:
        if self._strings is None:
            strings: list[str] = []
            if self._strings_part:
                for _event, elem in self.iterparse(self._strings_part):
                    if _local(elem.tag) == "si":
                        strings.append(decode_cell_text(_inline_text(elem)))
                        elem.clear()
                        if len(strings) > MAX_SHARED_STRINGS:
                            raise InputError(f"{self.path}: refused: more than "
                                             f"{MAX_SHARED_STRINGS:,} shared strings; not a "
                                             "questionnaire")
            self._strings = strings
        return self._strings

    def locked_styles(self) -> list[bool]:
        """For each cell style (``cellXfs``), whether it locks a cell: Excel's default, unless
        its ``<protection locked="0"/>`` unlocks it."""
        if self._locked_styles is None:
            locks: list[bool] = []
            if self._styles_part:
                depth = 0
                for event, elem in self.iterparse(self._styles_part, ("start", "end")):
                    tag = _local(elem.tag)
                    if tag == "cellXfs":
                        depth += 1 if event == "start" else -1
                    elif depth and event == "end" and tag == "xf":
                        protection = next((c for c in elem if _local(c.tag) == "protection"),
                                          None)
                        value = protection.get("locked") if protection is not None else None
                        locks.append(value not in ("0", "false"))
                        elem.clear()
                        if len(locks) > MAX_CELL_STYLES:
                            break
            self._locked_styles = locks
        return self._locked_styles

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
        found = self._names.get(name.lower(), [])
        for local, text in found:
            if local is not None and local == sheet_index:
                return text
        return next((text for local, text in found if local is None), None)

    # ----------------------------------------------------------------- sheet parsing

    def _parse_sheet(self, entry: SheetEntry) -> SheetGrid:
        assert entry.part is not None
        strings = self.shared_strings()
        styles = self.locked_styles()

        def style_locked(index: str | None) -> bool:
            n = int(index) if index and index.isdigit() else 0
            return styles[n] if n < len(styles) else True

        grid = SheetGrid(entry.name, default_locked=style_locked("0"))
        cells = grid.cells
        count = 0
        row_number = 0
        col_number = 0
        sheet_data: Element | None = None
        col_work = 0  # columns given a style by <col> ranges, bounded against hostile files
        for event, elem in self.iterparse(entry.part, events=("start", "end")):
            tag = _local(elem.tag)
            if event == "start":
                if tag == "row":
                    r = elem.get("r")
                    row_number = int(r) if r and r.isdigit() else row_number + 1
                    col_number = 0
                    if elem.get("customFormat") in ("1", "true") and \
                            len(grid.row_locks) < MAX_SHEET_CELLS:
                        grid.row_locks[row_number] = style_locked(elem.get("s"))
                elif tag == "sheetData":
                    sheet_data = elem
                continue
            if tag == "c":
                ref = elem.get("r")
                position = _fast_ref(ref)
                if position is not None:
                    if position[0] != row_number:
                        raise InputError(f"{self.path}: damaged workbook ({entry.part}: cell "
                                         f"{ref} is inside row {row_number}); open it in "
                                         "Excel, save it again and retry")
                    row_number, col_number = position
                else:
                    col_number += 1
                lock = style_locked(elem.get("s"))
                if lock != grid._fallback_lock(row_number, col_number) and \
                        len(grid.cell_locks) < MAX_SHEET_CELLS:
                    grid.cell_locks[(row_number, col_number)] = lock
                value, is_formula, held = _cell_value(elem, strings)
                if held is not None and len(grid.held) < MAX_SHEET_CELLS:
                    grid.held[(row_number, col_number)] = held
                if value is not None or is_formula:
                    cells.setdefault(row_number, {})[col_number] = (value, is_formula)
                    if is_formula and value is None and (text := _unsaved_formula(elem)):
                        grid.unsaved_formulas[(row_number, col_number)] = text
                    count += 1
                    if count > MAX_SHEET_CELLS:
                        raise SheetTooLarge(entry.name)
                    self._cells_read += 1
                    if self._cells_read > MAX_WORKBOOK_CELLS:
                        raise InputError(f"{self.path}: refused: the sheets hold more than "
                                         f"{MAX_WORKBOOK_CELLS:,} filled cells together; not "
                                         "a questionnaire (use --sheet for the one to read)")
                    grid.max_row = max(grid.max_row, row_number)
                    grid.max_col = max(grid.max_col, col_number)
                elem.clear()
            elif tag == "row":
                if sheet_data is not None:
                    sheet_data.clear()  # keep memory flat however many rows there are
            elif tag == "col" and col_work < MAX_INDEX_ENTRIES:
                first, last = elem.get("min", ""), elem.get("max", "")
                if first.isdigit() and last.isdigit():
                    span = range(int(first), min(int(last), MAX_COLUMN) + 1)
                    col_work += len(span) + 1
                    lock = style_locked(elem.get("style"))
                    grid.col_locks.update(dict.fromkeys(span, lock))
            elif tag == "sheetProtection":
                grid.protected = elem.get("sheet") in ("1", "true")
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


def _cell_value(elem: Element, strings: list[str]) -> tuple[str | None, bool, str | None]:
    """The cell's text (None when it has none to read), whether it is a formula, and what
    it holds when that is not text: any ``<v>`` or ``<is>``, an error type or value
    metadata (Excel's picture in a cell) is a value, so the cell is not empty."""
    kind = elem.get("t", "n")
    is_formula = False
    raw: str | None = None
    inline: str | None = None
    has_value = kind == "e" or elem.get("vm") is not None
    for child in elem:
        tag = _local(child.tag)
        if tag == "f":
            is_formula = True
        elif tag == "v":
            raw = child.text
            has_value = True
        elif tag == "is":
            inline = _inline_text(child)
            has_value = True
    if kind == "inlineStr":
        text = inline if inline is not None else raw
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
    held: str | None = None
    if text is None and has_value:
        held = ("a picture or rich value" if elem.get("vm") is not None
                else f"the error value {raw}" if kind == "e" and raw
                else "blank or phonetic-only text")
    return text, is_formula, held


def _unsaved_formula(elem: Element) -> str | None:
    """A formula cell's formula as typed ("=SUM(A1:A3)", cut short) when no value was
    saved with it; None when one was (an error value such as #REF! is one)."""
    if any(_local(child.tag) == "v" and child.text for child in elem):
        return None
    text = next((child.text or "" for child in elem if _local(child.tag) == "f"), "")
    return "=" + decode_cell_text(text)[:MAX_FORMULA_TEXT]


MAX_FORMULA_TEXT = 500


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
