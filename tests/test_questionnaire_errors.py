"""Unusable and hostile questionnaires: each refused in one line naming the file and the fix."""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from openpyxl import Workbook
from questionnaire_fixtures import (
    build_simple,
    rewrite_part,
    sheet_part,
    zip_with_big_sheet,
)

from qfill.errors import InputError
from qfill.sheets.reader import read_questionnaire

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def refused(path: Path) -> str:
    with pytest.raises(InputError) as caught:
        read_questionnaire(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: ")
    return message


def test_missing_file(tmp_path: Path) -> None:
    assert refused(tmp_path / "nope.xlsx") == f"{tmp_path / 'nope.xlsx'}: no such file; " \
        "check the path"


def test_directory(tmp_path: Path) -> None:
    folder = tmp_path / "folder.xlsx"
    folder.mkdir()
    assert "is a folder, not a questionnaire" in refused(folder)


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.xlsx"
    path.write_bytes(b"")
    assert "the file is empty" in refused(path)


def test_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "text.xlsx"
    path.write_text("name,question\n", encoding="utf-8")
    assert "not an .xlsx workbook (the file is not a zip package); save it as .xlsx" in \
        refused(path)


def test_unsupported_extension(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello", encoding="utf-8")
    assert "unsupported file type '.txt'" in refused(path)


def test_truncated_zip(tmp_path: Path) -> None:
    whole = build_simple(tmp_path / "whole.xlsx").read_bytes()
    path = tmp_path / "truncated.xlsx"
    path.write_bytes(whole[: len(whole) // 2])
    assert "damaged or truncated .xlsx" in refused(path)


def test_corrupt_member_data(tmp_path: Path) -> None:
    path = build_simple(tmp_path / "q.xlsx")
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo(sheet_part(path, "Security"))
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data[start + 10: start + 40] = b"\x00" * 30  # garble the deflate stream
    path.write_bytes(bytes(data))
    assert "damaged workbook" in refused(path)


@pytest.mark.parametrize("name", ["legacy.xls", "renamed.xlsx"])
def test_legacy_xls_by_signature_whatever_the_extension(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(OLE2 + b"\x00" * 504 + "Workbook".encode("utf-16-le") + b"\x00" * 512)
    assert refused(path) == (f"{path}: legacy Excel 97-2003 (.xls) workbook; open it in Excel "
                             "and save it as .xlsx")


def test_encrypted_workbook(tmp_path: Path) -> None:
    path = tmp_path / "secret.xlsx"
    path.write_bytes(OLE2 + b"\x00" * 504 + "EncryptionInfo".encode("utf-16-le")
                     + b"\x00" * 64 + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 512)
    assert refused(path) == (f"{path}: the workbook is encrypted (password-protected); open it "
                             "in Excel and save an unprotected copy as .xlsx")


def test_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "archive.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("readme.txt", "hello")
    assert "a zip file but not an Excel workbook" in refused(path)


def test_workbook_without_question_rows(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "Cover"
    ws["A1"] = "Thank you for completing our questionnaire."
    ws["A3"] = "Please return it by Friday."
    wb.save(tmp_path / "cover.xlsx")
    assert refused(tmp_path / "cover.xlsx").endswith(
        "no question rows found in any sheet; use `qfill inspect` and --map")
    q = read_questionnaire(tmp_path / "cover.xlsx", allow_empty=True)
    assert [(s.sheet, s.status, s.reason) for s in q.sheets] == [
        ("Cover", "skipped", "cover or instructions sheet: no question table")]


# --------------------------------------------------------------------------- hostile files


def test_zip_bomb_member_larger_than_the_limit(zip_bomb: Path) -> None:
    assert zip_bomb.stat().st_size < 2 * 1024 * 1024  # small on disk
    message = refused(zip_bomb)
    assert "would expand to 201 MB (limit 200 MB), which looks like a zip bomb" in message


def test_zip_bomb_by_compression_ratio(tmp_path: Path) -> None:
    path = zip_with_big_sheet(tmp_path / "ratio.xlsx", 20 * 1024 * 1024)
    assert "(limit 200:1), which looks like a zip bomb" in refused(path)


def test_zip_member_larger_than_it_declares(tmp_path: Path) -> None:
    # Deflate data that expands past the size the headers declare: refused while reading.
    path = build_simple(tmp_path / "q.xlsx")
    part = sheet_part(path, "Security")
    with zipfile.ZipFile(path) as z:
        xml = z.read(part)
    padded = xml.replace(b"</worksheet>", b" " * 3_000_000 + b"</worksheet>")
    raw = zlib.compressobj(9, zlib.DEFLATED, -15)
    stream = raw.compress(padded) + raw.flush()
    buffer = io.BytesIO()
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(buffer, "w") as target:
        for info in source.infolist():
            if info.filename == part:
                fake = zipfile.ZipInfo(part)
                fake.compress_type = zipfile.ZIP_STORED
                target.writestr(fake, stream)  # placeholder, patched to deflate below
            else:
                target.writestr(info, source.read(info.filename))
    data = bytearray(buffer.getvalue())
    # Patch local and central headers: method deflate, declared size = the small original.
    name = part.encode()
    for signature, method_at, size_at in ((b"PK\x03\x04", 8, 22), (b"PK\x01\x02", 10, 24)):
        pos = data.find(signature + b"")
        while pos != -1:
            name_at = pos + (30 if signature == b"PK\x03\x04" else 46)
            if data[name_at:name_at + len(name)] == name:
                data[pos + method_at:pos + method_at + 2] = (8).to_bytes(2, "little")
                data[pos + size_at:pos + size_at + 4] = len(xml).to_bytes(4, "little")
            pos = data.find(signature, pos + 4)
    bad = tmp_path / "liar.xlsx"
    bad.write_bytes(bytes(data))
    message = refused(bad)
    assert "zip bomb" in message or "damaged workbook" in message


HOSTILE_DOCTYPES = {
    "external-entity": '<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
    "billion-laughs": '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>',
}


@pytest.mark.parametrize("kind", sorted(HOSTILE_DOCTYPES))
@pytest.mark.parametrize("part", ["sheet", "xl/styles.xml", "xl/workbook.xml"])
def test_xml_with_doctype_or_entities_is_refused(tmp_path: Path, kind: str, part: str) -> None:
    path = build_simple(tmp_path / "q.xlsx")
    target = sheet_part(path, "Security") if part == "sheet" else part
    doctype = HOSTILE_DOCTYPES[kind]

    def inject(xml: str) -> str:
        declaration_end = xml.index("?>") + 2 if xml.startswith("<?xml") else 0
        return xml[:declaration_end] + doctype + xml[declaration_end:]

    rewrite_part(path, target, inject)
    assert f"refused: {target} declares a DOCTYPE or entities (unsafe XML)" in refused(path)


def test_doctype_after_a_long_comment_is_refused_by_the_parser(tmp_path: Path) -> None:
    path = build_simple(tmp_path / "q.xlsx")
    padding = "<!--" + "x" * 8192 + "-->"
    rewrite_part(path, sheet_part(path, "Security"),
                 lambda xml: padding + HOSTILE_DOCTYPES["external-entity"] + xml)
    assert "declares a DOCTYPE or entities (unsafe XML)" in refused(path)


def test_openpyxl_parses_with_defusedxml() -> None:
    # The writer loads the same file with openpyxl, which guards its XML only with defusedxml.
    assert openpyxl.DEFUSEDXML is True


def test_a_dimension_claiming_a_million_rows_reads_only_the_real_cells(tmp_path: Path) -> None:
    path = build_simple(tmp_path / "q.xlsx")

    def claim(xml: str) -> str:
        import re

        xml, claims = re.subn(r'<dimension ref="[^"]*"\s*/>',
                              '<dimension ref="A1:XFD1048576"/>', xml)
        assert claims == 1
        xml = xml.replace('sqref="C2:C4"', 'sqref="C1:C1048576 D:D"')
        xml = xml.replace("</sheetData>",
                          '<row r="1048576" spans="1:16384"><c r="XFD1048576" s="0"/></row>'
                          "</sheetData>")
        return xml.replace("</worksheet>", '<mergeCells count="1"><mergeCell '
                           'ref="F1:XFD1048576"/></mergeCells></worksheet>') \
            if "<mergeCells" not in xml else xml

    rewrite_part(path, sheet_part(path, "Security"), claim)
    q = read_questionnaire(path)
    assert [r.question_id for r in q.rows] == ["S-1", "S-2", "S-3"]
    assert [(t.role, t.ref, t.choices, t.writable) for t in q.rows[0].targets] == [
        ("short", "C2", ("Yes", "No", "N/A"), True),
        ("answer", "D2", ("Yes", "No", "N/A"), False)]  # free text would be rejected


@pytest.mark.parametrize("builder", [lambda p: p.write_bytes(b"\x00\x01PK binary")],
                         ids=["binary"])
def test_binary_csv(tmp_path: Path, builder: Callable[[Path], object]) -> None:
    path = tmp_path / "q.csv"
    builder(path)
    assert "not a text CSV file" in refused(path)


def test_a_sheet_with_absurdly_many_wide_merges_is_skipped_not_expanded(
        tmp_path: Path) -> None:
    wide = build_simple(tmp_path / "wide.xlsx")
    merges = "".join(f'<mergeCell ref="A{n}:XFD{n}"/>' for n in range(10, 110))
    rewrite_part(wide, sheet_part(wide, "Security"), lambda xml: xml.replace(
        "</sheetData>", '<row r="9"><c r="XFD9" t="inlineStr"><is><t>far</t></is></c></row>'
        "</sheetData>").replace(
        "</worksheet>", f'<mergeCells count="100">{merges}</mergeCells></worksheet>'))
    q = read_questionnaire(wide, allow_empty=True)
    assert [(s.sheet, s.status, s.reason) for s in q.sheets] == [(
        "Security", "skipped", "too large for a questionnaire (over 2,000,000 filled cells, or "
        "1,000,000 merged or validated columns)")]
