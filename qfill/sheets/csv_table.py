"""A CSV file as records, read the one way both the CSV reader and the CSV writer need."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from qfill.errors import InputError
from qfill.files import FileContent
from qfill.sheets.a1 import column_letters


@dataclass(frozen=True, slots=True)
class CsvTable:
    """A CSV file as records, with what is needed to write it back the way it was.

    ``raw[i]`` is the exact text of record ``i`` (line ending included), so a record that
    is not written comes back byte-for-byte. Record ``i`` is row ``i + 1`` in A1 references.
    """

    encoding: str
    bom: bytes
    delimiter: str
    quotechar: str
    doublequote: bool
    escapechar: str | None
    records: tuple[tuple[str, ...], ...]
    raw: tuple[str, ...]

    @property
    def width(self) -> int:
        """The last column holding non-blank text in any record.

        Appended columns start right after it, as :mod:`qfill.sheets.csv_reader` assumes;
        blank trailing fields there are simply filled.
        """
        return max((i + 1 for r in self.records for i, v in enumerate(r) if v.strip()),
                   default=0)

    def appended_columns(self, count: int) -> tuple[str, ...]:
        """Column letters that ``count`` appended header names get."""
        return tuple(column_letters(self.width + 1 + i) for i in range(count))


_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))


def _decode(path: Path, data: bytes) -> tuple[str, bytes, str]:
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        raise InputError(f"{path}: UTF-32 text is not supported; save the CSV as UTF-8")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(encoding), bom, encoding
            except UnicodeDecodeError:
                raise InputError(f"{path}: the file says {encoding} but is not; "
                                 "save the CSV as UTF-8") from None
    for encoding in ("utf-8", "cp1252", "latin-1"):
        try:
            return data.decode(encoding), b"", encoding
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes any bytes")


def read_csv_table(path: Path) -> CsvTable:
    """Read a CSV questionnaire: encoding (BOM, UTF-8, else cp1252), dialect, records."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise InputError(f"{path}: cannot read ({e.strerror}); check the path") from None
    return parse_csv_table(FileContent(path, data))


def parse_csv_table(source: FileContent) -> CsvTable:
    """A CSV already read, as records (see :func:`read_csv_table`)."""
    text, bom, encoding = _decode(source.path, source.data)
    return parse_csv(source.path, text, bom=bom, encoding=encoding,
                     delimiter=_detect_delimiter(text))


CSV_DELIMITERS = ",;\t|"


def _detect_delimiter(text: str) -> str:
    """The delimiter, chosen exactly as :mod:`qfill.sheets.csv_reader` chooses it.

    Cell references in the plan come from that reader, so the writer must split records
    the same way. Only the delimiter is taken from csv.Sniffer: its quoting guess is
    unreliable on small files, and spreadsheet apps always write ``"`` quotes, doubled.
    """
    try:
        return csv.Sniffer().sniff(text[:65536], CSV_DELIMITERS).delimiter
    except csv.Error:
        return ","


def parse_csv(path: Path, text: str, *, bom: bytes, encoding: str, delimiter: str,
              quotechar: str = '"', doublequote: bool = True,
              escapechar: str | None = None) -> CsvTable:
    """``text`` as records in the given dialect; the defaults are what spreadsheet apps
    write (``"`` quotes, doubled inside a field)."""
    consumed: list[str] = []

    def lines() -> Iterator[str]:
        for line in io.StringIO(text, newline=""):
            consumed.append(line)
            yield line

    records: list[tuple[str, ...]] = []
    raw: list[str] = []
    reader = csv.reader(lines(), delimiter=delimiter, quotechar=quotechar,
                        doublequote=doublequote, escapechar=escapechar, strict=False)
    try:
        for fields in reader:
            records.append(tuple(fields))
            raw.append("".join(consumed))
            consumed.clear()
    except csv.Error as e:
        raise InputError(f"{path}: CSV record {len(records) + 1} cannot be read ({e}); "
                         "check the file") from None
    if consumed:  # an unterminated quoted field at the end: keep its text as it was
        raw[-1:] = ["".join(raw[-1:] + consumed)] if raw else ["".join(consumed)]
    return CsvTable(encoding, bom, delimiter, quotechar, doublequote, escapechar,
                    tuple(records), tuple(raw))
