"""Writing a plan into a workbook changes only the planned cells, as text, atomically."""

from __future__ import annotations

import hashlib
import io
import os
import struct
import tempfile
import zipfile
import zlib
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.styles import PatternFill
from writeback_fixtures import (
    assert_only_planned_changes,
    plan_of,
    read_values,
    sheet_parts,
    tamper,
)

from qfill.errors import InputError, OutputCheckError, OutputError
from qfill.filling import FillPlan
from qfill.questionnaire import FileFormat
from qfill.sheets import xlsx_writer
from qfill.sheets.cell_text import decode_cell_text
from qfill.sheets.package import Package
from qfill.sheets.writer import check_filled, write_filled

SHEET = "Security"


def make_workbook(path: Path, *, formula: bool = True) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = SHEET
    ws.append(["ID", "Question", "Answer", "Notes"])
    for i in range(1, 9):
        ws.append([f"Q-{i}", f"Question {i}?", None, None])
    if formula:
        ws["E2"] = "=A2&B2"
    ws["C3"].fill = PatternFill("solid", fgColor="FFDDEEFF")
    ws.column_dimensions["D"].width = 40
    other = wb.create_sheet("Other")
    other["A1"] = "untouched"
    wb.save(path)
    return path


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    return make_workbook(tmp_path / "customer.xlsx")


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


TRICKY = [
    "Yes",
    "=SUM(A1:A3)",
    "+44 20 7946 0000",
    "-1",
    "@user",
    "\tindented",
    "\rcarriage",
    "line one\nline two\r\nline three",
    "a < b > c & \"d\" 'e'",
    "Zugriff über SSO — 認証 ✓ 😀",
    "  padded  ",
    "]]> <![CDATA[ x ]]>",
    "<f>1+1</f>",
    "x" * 32_767,
]


@pytest.mark.parametrize("value", TRICKY, ids=range(len(TRICKY)))
def test_values_come_back_as_text_exactly(workbook: Path, tmp_path: Path, value: str) -> None:
    out = tmp_path / "out.xlsx"
    plan = plan_of(SHEET, {"C2": value, "D9": value})
    write_filled(workbook, out, plan, file_format=FileFormat.XLSX)
    check_filled(workbook, out, plan, file_format=FileFormat.XLSX)
    got = read_values(out, SHEET, ["C2", "D9"])
    assert got == {"C2": (value, "s"), "D9": (value, "s")}
    assert_only_planned_changes(workbook, out, plan)


def test_control_characters_are_encoded_as_excel_does(workbook: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.xlsx"
    value = "bell\x07 vt\x0b nul\x00 literal _x0041_ end"
    plan = plan_of(SHEET, {"C2": value})
    write_filled(workbook, out, plan, file_format=FileFormat.XLSX)
    check_filled(workbook, out, plan, file_format=FileFormat.XLSX)
    (text, kind), = read_values(out, SHEET, ["C2"]).values()
    # openpyxl does not decode Excel's _xHHHH_ escapes; Excel and LibreOffice do.
    assert text == "bell_x0007_ vt_x000B_ nul_x0000_ literal _x005F_x0041_ end"
    assert kind == "s"
    assert decode_cell_text(str(text)) == value


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.text(min_size=1, max_size=200))
def test_any_text_round_trips_and_is_never_a_formula(workbook: Path, value: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "out.xlsx"
        plan = plan_of(SHEET, {"C4": value})
        write_filled(workbook, out, plan, file_format=FileFormat.XLSX)
        check_filled(workbook, out, plan, file_format=FileFormat.XLSX)
        (text, kind), = read_values(out, SHEET, ["C4"]).values()
        assert kind == "s"
        assert decode_cell_text(str(text)) == value


def test_text_longer_than_a_cell_is_refused_naming_the_cell(workbook: Path,
                                                            tmp_path: Path) -> None:
    out = tmp_path / "out.xlsx"
    with pytest.raises(OutputError, match=r"Security!C5: the text is 32768 characters"):
        write_filled(workbook, out, plan_of(SHEET, {"C5": "x" * 32_768}),
                     file_format=FileFormat.XLSX)
    # Excel counts UTF-16 units: 16,384 emoji are 32,768 of them.
    with pytest.raises(OutputError, match="32768 characters"):
        write_filled(workbook, out, plan_of(SHEET, {"C5": "😀" * 16_384}),
                     file_format=FileFormat.XLSX)
    assert not out.exists()


def test_new_cells_and_rows_are_created_in_order(workbook: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.xlsx"
    plan = plan_of(SHEET, {"F1": "right of the header", "B12": "new row", "A11": "before",
                           "Z3": "far right", "C7": "middle"})
    write_filled(workbook, out, plan, file_format=FileFormat.XLSX)
    check_filled(workbook, out, plan, file_format=FileFormat.XLSX)
    assert_only_planned_changes(workbook, out, plan)
    wb = openpyxl.load_workbook(out)
    ws = wb[SHEET]
    assert [ws[r].value for r in ("F1", "B12", "A11", "Z3", "C7")] == \
        ["right of the header", "new row", "before", "far right", "middle"]
    assert ws["A1"].value == "ID" and ws["E2"].value == "=A2&B2"
    assert ws.dimensions == "A1:Z12"
    xml = zipfile.ZipFile(out).read(sheet_parts(out)[SHEET]).decode()
    assert xml.index('r="A11"') < xml.index('r="B12"')
    assert xml.index('r="C3"') < xml.index('r="Z3"')


def test_existing_cell_keeps_its_style(workbook: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.xlsx"
    plan = plan_of(SHEET, {"C3": "Yes"})
    write_filled(workbook, out, plan, file_format=FileFormat.XLSX)
    before = openpyxl.load_workbook(workbook)[SHEET]["C3"]
    after = openpyxl.load_workbook(out)[SHEET]["C3"]
    assert after.value == "Yes"
    assert after.fill.fgColor.rgb == before.fill.fgColor.rgb == "FFDDEEFF"


def test_new_cell_takes_the_column_style(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"] = "Question"
    ws.column_dimensions["B"].fill = PatternFill("solid", fgColor="FF00FF00")
    wb.save(source := tmp_path / "cols.xlsx")
    out = tmp_path / "out.xlsx"
    plan = plan_of("Sheet", {"B1": "Yes"})
    write_filled(source, out, plan, file_format=FileFormat.XLSX)
    check_filled(source, out, plan, file_format=FileFormat.XLSX)
    cell = openpyxl.load_workbook(out)["Sheet"]["B1"]
    assert cell.value == "Yes"
    assert cell.fill.fgColor.rgb == "FF00FF00"


def test_highlight_adds_one_fill_and_restyles_only_those_cells(workbook: Path,
                                                               tmp_path: Path) -> None:
    out = tmp_path / "out.xlsx"
    plan = plan_of(SHEET, {"C2": "Yes"}, highlights=["C3", "C4", "C5", "D9"])
    write_filled(workbook, out, plan, file_format=FileFormat.XLSX, highlight=True)
    check_filled(workbook, out, plan, file_format=FileFormat.XLSX, highlight=True)
    with pytest.raises(OutputCheckError, match="nothing was to be highlighted"):
        check_filled(workbook, out, plan, file_format=FileFormat.XLSX, highlight=False)
    assert_only_planned_changes(workbook, out, plan, extra_parts=["xl/styles.xml"])
    ws = openpyxl.load_workbook(out)[SHEET]
    assert {ws[r].fill.fgColor.rgb for r in ("C3", "C4", "C5", "D9")} == {"FFFFFF00"}
    assert ws["C2"].fill.fill_type is None and ws["C2"].value == "Yes"
    assert ws["C3"].value is None
    before_styles = zipfile.ZipFile(workbook).read("xl/styles.xml").decode()
    after_styles = zipfile.ZipFile(out).read("xl/styles.xml").decode()
    assert after_styles.count("<fill>") == before_styles.count("<fill>") + 1
    # C3 had its own style, C4/C5/D9 had none: two new formats, one per base style.
    assert after_styles.count("<xf ") == before_styles.count("<xf ") + 2


def test_without_highlight_flag_highlights_are_ignored(workbook: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.xlsx"
    plan = plan_of(SHEET, {"C2": "Yes"}, highlights=["C3"])
    write_filled(workbook, out, plan, file_format=FileFormat.XLSX)
    check_filled(workbook, out, plan, file_format=FileFormat.XLSX)
    with pytest.raises(OutputCheckError, match="not highlighted"):
        check_filled(workbook, out, plan, file_format=FileFormat.XLSX, highlight=True)
    assert zipfile.ZipFile(out).read("xl/styles.xml") == \
        zipfile.ZipFile(workbook).read("xl/styles.xml")


def test_a_formula_cell_in_the_plan_is_a_bug(workbook: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"Security!E2 holds a formula"):
        write_filled(workbook, tmp_path / "out.xlsx", plan_of(SHEET, {"E2": "Yes"}),
                     file_format=FileFormat.XLSX)
    assert not (tmp_path / "out.xlsx").exists()


def test_a_cell_listed_in_the_calc_chain_is_refused(tmp_path: Path) -> None:
    source = make_workbook(tmp_path / "in.xlsx", formula=False)
    chain = (b'<?xml version="1.0" encoding="UTF-8"?>\n<calcChain xmlns="http://schemas.'
             b'openxmlformats.org/spreadsheetml/2006/main"><c r="D4" i="1"/></calcChain>')
    with zipfile.ZipFile(source, "a") as z:
        z.writestr("xl/calcChain.xml", chain)
    rels = "xl/_rels/workbook.xml.rels"
    tamper(source, rels, lambda x: x.replace(
        b"</Relationships>", b'<Relationship Id="rIdCalc" Type="http://schemas.openxmlformats.'
        b'org/officeDocument/2006/relationships/calcChain" Target="calcChain.xml"/>'
        b"</Relationships>"))
    with pytest.raises(ValueError, match="Security!D4 is in the calculation chain"):
        write_filled(source, tmp_path / "out.xlsx", plan_of(SHEET, {"D4": "x"}),
                     file_format=FileFormat.XLSX)
    write_filled(source, tmp_path / "out.xlsx", plan_of(SHEET, {"D5": "x"}),
                 file_format=FileFormat.XLSX)


def test_unknown_sheet_is_an_output_error(workbook: Path, tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="no sheet named 'Nope'"):
        write_filled(workbook, tmp_path / "out.xlsx", plan_of("Nope", {"A1": "x"}),
                     file_format=FileFormat.XLSX)


def test_destination_equal_to_source_is_refused(workbook: Path, tmp_path: Path) -> None:
    plan = plan_of(SHEET, {"C2": "Yes"})
    before = sha(workbook)
    link = tmp_path / "link.xlsx"
    link.symlink_to(workbook)
    hard = tmp_path / "hard.xlsx"
    os.link(workbook, hard)
    relative = Path(os.path.relpath(workbook, Path.cwd()))
    for destination in (workbook, link, hard, relative, tmp_path / "." / workbook.name):
        with pytest.raises(OutputError, match="questionnaire itself"):
            write_filled(workbook, destination, plan, file_format=FileFormat.XLSX)
    assert sha(workbook) == before


@pytest.mark.parametrize("interrupt", [RuntimeError("disk on fire"), KeyboardInterrupt()])
def test_failure_midway_leaves_nothing_behind(workbook: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch,
                                              interrupt: BaseException) -> None:
    before = sha(workbook)
    listing = sorted(p.name for p in tmp_path.iterdir())
    real = xlsx_writer.write_package

    def half_then_fail(handle, package, replaced):  # type: ignore[no-untyped-def]
        buffer = io.BytesIO()
        real(buffer, package, replaced)
        handle.write(buffer.getvalue()[:1000])
        raise interrupt

    monkeypatch.setattr(xlsx_writer, "write_package", half_then_fail)
    with pytest.raises(type(interrupt)):
        write_filled(workbook, tmp_path / "out.xlsx", plan_of(SHEET, {"C2": "Yes"}),
                     file_format=FileFormat.XLSX)
    assert sorted(p.name for p in tmp_path.iterdir()) == listing
    assert sha(workbook) == before


def test_existing_destination_is_replaced_only_on_success(workbook: Path,
                                                          tmp_path: Path) -> None:
    out = tmp_path / "out.xlsx"
    out.write_bytes(b"old")
    with pytest.raises(ValueError):
        write_filled(workbook, out, plan_of(SHEET, {"E2": "x"}), file_format=FileFormat.XLSX)
    assert out.read_bytes() == b"old"
    write_filled(workbook, out, plan_of(SHEET, {"C2": "x"}), file_format=FileFormat.XLSX)
    assert read_values(out, SHEET, ["C2"]) == {"C2": ("x", "s")}


def tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00\x00\xff\x00" * 2)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels)
            + chunk(b"IEND", b""))


DRAWING = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           b'<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/'
           b'spreadsheetDrawing" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"'
           b' xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
           b'<xdr:oneCellAnchor><xdr:from><xdr:col>6</xdr:col><xdr:colOff>0</xdr:colOff>'
           b"<xdr:row>1</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:from>"
           b'<xdr:ext cx="190500" cy="190500"/><xdr:pic><xdr:nvPicPr><xdr:cNvPr id="1" '
           b'name="Logo"/><xdr:cNvPicPr/></xdr:nvPicPr><xdr:blipFill><a:blip r:embed="rId1"/>'
           b"<a:stretch><a:fillRect/></a:stretch></xdr:blipFill><xdr:spPr><a:prstGeom "
           b'prst="rect"><a:avLst/></a:prstGeom></xdr:spPr></xdr:pic><xdr:clientData/>'
           b"</xdr:oneCellAnchor></xdr:wsDr>")
RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="'
        'http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/{kind}" '
        'Target="{target}"/></Relationships>')


def add_image(source: Path, target: Path) -> None:
    """Put a PNG on the sheet the way Excel stores it: media, drawing, relationships."""
    part = sheet_parts(source)[SHEET]
    folder, name = part.rsplit("/", 1)
    with zipfile.ZipFile(source) as z, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as t:
        for info in z.infolist():
            data = z.read(info)
            if info.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", b'<Default Extension="png" ContentType="image/'
                                    b'png"/><Override PartName="/xl/drawings/drawing1.xml" '
                                    b'ContentType="application/vnd.openxmlformats-officedocument'
                                    b'.drawing+xml"/></Types>')
            elif info.filename == part:
                data = data.replace(b"</worksheet>", b'<drawing xmlns:r="http://schemas.'
                                    b"openxmlformats.org/officeDocument/2006/relationships\" "
                                    b'r:id="rId1"/></worksheet>')
            t.writestr(info, data)
        t.writestr("xl/media/image1.png", tiny_png(), compress_type=zipfile.ZIP_STORED)
        t.writestr("xl/drawings/drawing1.xml", DRAWING)
        t.writestr("xl/drawings/_rels/drawing1.xml.rels",
                   RELS.format(kind="image", target="../media/image1.png"))
        t.writestr(f"{folder}/_rels/{name}.rels",
                   RELS.format(kind="drawing", target="../drawings/drawing1.xml"))


def test_images_and_drawings_survive_byte_for_byte(tmp_path: Path) -> None:
    source = tmp_path / "in.xlsx"
    add_image(make_workbook(tmp_path / "plain.xlsx"), source)
    out = tmp_path / "out.xlsx"
    plan = plan_of(SHEET, {"C2": "Yes", "C20": "below"})
    write_filled(source, out, plan, file_format=FileFormat.XLSX)
    check_filled(source, out, plan, file_format=FileFormat.XLSX)
    assert_only_planned_changes(source, out, plan)
    a, b = Package.open(source), Package.open(out)
    kept = [n for n in a.names if n.startswith(("xl/media/", "xl/drawings/"))
            or "worksheets/_rels" in n]
    assert len(kept) == 4
    for name in kept:
        assert b.raw(name) == a.raw(name)
    assert b'r:id="rId1"/></worksheet>' in zipfile.ZipFile(out).read(sheet_parts(out)[SHEET])
    assert read_values(out, SHEET, ["C20"]) == {"C20": ("below", "s")}


def test_xlsm_macros_stay_byte_identical(tmp_path: Path) -> None:
    source = make_workbook(tmp_path / "in.xlsx")
    macro = tmp_path / "in.xlsm"
    vba = os.urandom(3000)
    with zipfile.ZipFile(source) as z, zipfile.ZipFile(macro, "w") as m:
        for info in z.infolist():
            data = z.read(info)
            if info.filename == "[Content_Types].xml":
                data = data.replace(
                    b"</Types>", b'<Default Extension="bin" ContentType="application/'
                    b'vnd.ms-office.vbaProject"/></Types>')
            m.writestr(info, data)
        m.writestr("xl/vbaProject.bin", vba, compress_type=zipfile.ZIP_STORED)
    out = tmp_path / "out.xlsm"
    plan = plan_of(SHEET, {"C2": "Yes"})
    write_filled(macro, out, plan, file_format=FileFormat.XLSM)
    check_filled(macro, out, plan, file_format=FileFormat.XLSM)
    assert_only_planned_changes(macro, out, plan)
    assert Package.open(out).raw("xl/vbaProject.bin") == Package.open(macro).raw(
        "xl/vbaProject.bin")
    assert zipfile.ZipFile(out).read("xl/vbaProject.bin") == vba


class _Unseekable(io.RawIOBase):
    """A write-only stream: zipfile then writes data descriptors after each member."""

    def __init__(self) -> None:
        self.buffer = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:  # type: ignore[no-untyped-def]
        self.buffer += data
        return len(data)


def test_members_with_data_descriptors_are_copied_raw(workbook: Path, tmp_path: Path) -> None:
    stream = _Unseekable()
    with zipfile.ZipFile(workbook) as z, zipfile.ZipFile(stream, "w") as s:
        for info in z.infolist():
            with s.open(zipfile.ZipInfo(info.filename, info.date_time), "w") as target:
                target.write(z.read(info))
    source = tmp_path / "streamed.xlsx"
    source.write_bytes(bytes(stream.buffer))
    assert all(i.flag_bits & 0x8 for i in zipfile.ZipFile(source).infolist())
    out = tmp_path / "out.xlsx"
    plan = plan_of(SHEET, {"C2": "Yes"})
    write_filled(source, out, plan, file_format=FileFormat.XLSX)
    check_filled(source, out, plan, file_format=FileFormat.XLSX)
    assert_only_planned_changes(source, out, plan)
    assert zipfile.ZipFile(out).testzip() is None


def handmade(tmp_path: Path, sheet_xml: bytes, name: str = "hand.xlsx") -> Path:
    """A minimal workbook whose sheet XML is exactly ``sheet_xml``."""
    base = make_workbook(tmp_path / "base.xlsx", formula=False)
    path = tmp_path / name
    path.write_bytes(base.read_bytes())
    tamper(path, sheet_parts(path)[SHEET], lambda _old: sheet_xml)
    return path


def test_prefixed_namespace_and_implicit_references(tmp_path: Path) -> None:
    xml = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
           b'<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
           b'<x:dimension ref="A1:B2"/><x:sheetData>'
           b'<x:row><x:c t="inlineStr"><x:is><x:t>Q1</x:t></x:is></x:c><x:c/></x:row>\n'
           b'<x:row spans="1:2"><x:c t="inlineStr"><x:is><x:t>Q2</x:t></x:is></x:c></x:row>'
           b"</x:sheetData></x:worksheet>")
    source = handmade(tmp_path, xml)
    out = tmp_path / "out.xlsx"
    plan = plan_of(SHEET, {"B1": "Yes", "D2": "far", "A4": "new row"})
    write_filled(source, out, plan, file_format=FileFormat.XLSX)
    check_filled(source, out, plan, file_format=FileFormat.XLSX)
    ws = openpyxl.load_workbook(out)[SHEET]
    assert [[c.value for c in row] for row in ws.iter_rows(max_col=4)] == [
        ["Q1", "Yes", None, None], ["Q2", None, None, "far"], [None] * 4,
        ["new row", None, None, None]]
    text = zipfile.ZipFile(out).read(sheet_parts(out)[SHEET])
    assert b'<x:row spans="1:4">' in text
    assert b'<x:dimension ref="A1:D4"/>' in text
    assert b"<c " not in text and b"<row" not in text


def test_empty_sheet_data_is_opened(tmp_path: Path) -> None:
    xml = (b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
           b"<sheetData/></worksheet>")
    source = handmade(tmp_path, xml)
    out = tmp_path / "out.xlsx"
    plan = plan_of(SHEET, {"B2": "Yes"})
    write_filled(source, out, plan, file_format=FileFormat.XLSX)
    check_filled(source, out, plan, file_format=FileFormat.XLSX)
    assert read_values(out, SHEET, ["B2"]) == {"B2": ("Yes", "s")}


def test_a_cell_inside_an_array_formula_is_refused(tmp_path: Path) -> None:
    xml = (b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
           b'<sheetData><row r="1"><c r="A1"><f t="array" ref="A1:A3">ROW(A1:A3)</f><v>1</v>'
           b'</c></row><row r="2"><c r="A2"><v>2</v></c></row></sheetData></worksheet>')
    source = handmade(tmp_path, xml)
    with pytest.raises(ValueError, match="Security!A2 is inside an array formula"):
        write_filled(source, tmp_path / "out.xlsx", plan_of(SHEET, {"A2": "x"}),
                     file_format=FileFormat.XLSX)
    write_filled(source, tmp_path / "out.xlsx", plan_of(SHEET, {"B2": "x"}),
                 file_format=FileFormat.XLSX)


def test_a_sheet_with_a_dtd_is_refused(tmp_path: Path) -> None:
    xml = (b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaaaaaa">]>'
           b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
           b"<sheetData><row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>&a;</t></is></c></row>"
           b"</sheetData></worksheet>")
    source = handmade(tmp_path, xml)
    with pytest.raises(InputError, match=r"declares a DOCTYPE or entities \(unsafe XML\)"):
        write_filled(source, tmp_path / "out.xlsx", plan_of(SHEET, {"B1": "x"}),
                     file_format=FileFormat.XLSX)


def test_not_a_zip_is_an_input_error(tmp_path: Path) -> None:
    source = tmp_path / "fake.xlsx"
    source.write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(InputError, match=r"damaged or truncated \.xlsx"):
        write_filled(source, tmp_path / "out.xlsx", plan_of(SHEET, {"B1": "x"}),
                     file_format=FileFormat.XLSX)


# ----------------------------------------------------------------- check_filled catches


@pytest.fixture
def filled(workbook: Path, tmp_path: Path) -> tuple[Path, FillPlan]:
    out = tmp_path / "out.xlsx"
    plan = plan_of(SHEET, {"C2": "Yes", "D2": "We use SSO."})
    write_filled(workbook, out, plan, file_format=FileFormat.XLSX)
    check_filled(workbook, out, plan, file_format=FileFormat.XLSX)
    return out, plan


def test_verify_catches_a_missing_planned_value(workbook: Path,
                                                filled: tuple[Path, FillPlan]) -> None:
    out, plan = filled
    more = FillPlan(plan.writes + plan_of(SHEET, {"C5": "No"}).writes)
    with pytest.raises(OutputCheckError, match=r"sheet 'Security' cell C5: the planned cell "
                       "is missing"):
        check_filled(workbook, out, more, file_format=FileFormat.XLSX)


def test_verify_catches_a_different_value(workbook: Path, filled: tuple[Path, FillPlan]) -> None:
    out, _plan = filled
    other = plan_of(SHEET, {"C2": "No", "D2": "We use SSO."})
    with pytest.raises(OutputCheckError, match="cell C2: holds 'Yes', not the planned text"):
        check_filled(workbook, out, other, file_format=FileFormat.XLSX)


def test_verify_catches_an_unplanned_cell_change(workbook: Path,
                                                 filled: tuple[Path, FillPlan]) -> None:
    out, plan = filled
    tamper(out, sheet_parts(out)[SHEET], lambda x: x.replace(b"Question 7?", b"Question 8?"))
    with pytest.raises(OutputCheckError,
                       match=r"sheet 'Security' cell B8: changed but not planned"):
        check_filled(workbook, out, plan, file_format=FileFormat.XLSX)


def test_verify_catches_an_unplanned_change_in_a_written_row(
        workbook: Path, filled: tuple[Path, FillPlan]) -> None:
    out, plan = filled
    tamper(out, sheet_parts(out)[SHEET], lambda x: x.replace(b"Question 1?", b"Question 9?"))
    with pytest.raises(OutputCheckError, match=r"sheet 'Security' cell B2: changed but not "
                       "planned"):
        check_filled(workbook, out, plan, file_format=FileFormat.XLSX)


def test_verify_catches_a_formula_in_a_planned_cell(workbook: Path,
                                                    filled: tuple[Path, FillPlan]) -> None:
    out, plan = filled
    tamper(out, sheet_parts(out)[SHEET], lambda x: x.replace(
        b'<is><t xml:space="preserve">Yes</t></is>', b"<f>1+1</f><v>2</v>"))
    with pytest.raises(OutputCheckError, match="cell C2: is not a plain text cell"):
        check_filled(workbook, out, plan, file_format=FileFormat.XLSX)


def test_verify_catches_a_changed_non_sheet_part(workbook: Path,
                                                 filled: tuple[Path, FillPlan]) -> None:
    out, plan = filled
    tamper(out, "docProps/core.xml", lambda x: x.replace(b"openpyxl", b"someone"))
    with pytest.raises(OutputCheckError, match=r"part docProps/core\.xml differs"):
        check_filled(workbook, out, plan, file_format=FileFormat.XLSX)


def test_verify_catches_a_recompressed_part(workbook: Path, filled: tuple[Path, FillPlan]) -> None:
    out, plan = filled
    with zipfile.ZipFile(out) as z:
        parts = [(i, z.read(i)) for i in z.infolist()]
    with zipfile.ZipFile(out, "w") as z:
        for info, data in parts:
            z.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=1)
    with pytest.raises(OutputCheckError, match="differs from the input"):
        check_filled(workbook, out, plan, file_format=FileFormat.XLSX)


def test_verify_catches_a_dropped_part(workbook: Path, filled: tuple[Path, FillPlan]) -> None:
    out, plan = filled
    with zipfile.ZipFile(out) as z:
        parts = [(i, z.read(i)) for i in z.infolist() if i.filename != "docProps/app.xml"]
    with zipfile.ZipFile(out, "w") as z:
        for info, data in parts:
            z.writestr(info, data)
    with pytest.raises(OutputCheckError, match=r"part docProps/app\.xml is missing"):
        check_filled(workbook, out, plan, file_format=FileFormat.XLSX)


def test_verify_catches_a_changed_dimension(workbook: Path,
                                            filled: tuple[Path, FillPlan]) -> None:
    out, plan = filled
    tamper(out, sheet_parts(out)[SHEET], lambda x: x.replace(b'ref="A1:E9"', b'ref="A1:Q99"'))
    with pytest.raises(OutputCheckError, match="dimension"):
        check_filled(workbook, out, plan, file_format=FileFormat.XLSX)


def test_verify_catches_an_unreadable_output(workbook: Path,
                                             filled: tuple[Path, FillPlan]) -> None:
    out, plan = filled
    out.write_bytes(out.read_bytes()[:500])
    with pytest.raises(OutputCheckError, match="cannot be reopened"):
        check_filled(workbook, out, plan, file_format=FileFormat.XLSX)
