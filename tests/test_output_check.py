"""The output check refuses a copy that is not its source plus exactly the plan, whether it
parses the source's sheets itself or takes the writer's scans of them."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import openpyxl
import pytest
from openpyxl.styles import PatternFill
from writeback_fixtures import assert_only_planned_changes, plan_of, read_values, sheet_parts

from qfill.errors import OutputCheckError
from qfill.files import FileContent
from qfill.filling import FillPlan
from qfill.questionnaire import FileFormat
from qfill.sheets.output import planned_writes
from qfill.sheets.package import Package, write_package
from qfill.sheets.sheet_check import SheetCheck
from qfill.sheets.writer import WriteTarget, check_copy, filled_copy

SHEET = "Security"
TARGET = WriteTarget(FileFormat.XLSX)
PLAN = plan_of(SHEET, {"C2": "Yes", "D2": "We use SSO.", "C5": "No"})


def make_workbook(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = SHEET
    ws.append(["ID", "Question", "Answer", "Notes"])
    for i in range(1, 9):
        ws.append([f"Q-{i}", f"Question {i}?", None, None])
    ws["C3"].fill = PatternFill("solid", fgColor="FFDDEEFF")
    other = wb.create_sheet("Other")
    other["A1"] = "Question 1?"  # the same shared string as Security!B2
    wb.save(path)
    return path


@pytest.fixture
def source(tmp_path: Path) -> FileContent:
    path = make_workbook(tmp_path / "customer.xlsx")
    return FileContent(path, path.read_bytes())


def _edit(data: bytes, part: str, change: Callable[[bytes], bytes]) -> bytes:
    """``data`` (a package) with one part rewritten, every other part raw-identical."""
    package = Package(Path("copy.xlsx"), data)
    new = change(package.read(part))
    assert new != package.read(part), "the edit must change the part"
    out = io.BytesIO()
    write_package(out, package, {part: new})
    return out.getvalue()


def _sheet(source: FileContent) -> str:
    return sheet_parts(source.path)[SHEET]


def refused(source: FileContent, copy: bytes, plan: FillPlan, *, highlight: bool = False,
            scanned_with: FillPlan | None = None) -> str:
    """The check's message for ``copy``, asserted the same whether the check parses the
    source itself or takes the writer's scans (made for ``scanned_with``, default ``plan``)."""
    messages = []
    scans = filled_copy(source, scanned_with or plan, TARGET, highlight=highlight).source_sheets
    for source_sheets in (None, scans):
        with pytest.raises(OutputCheckError) as caught:
            check_copy(source, FileContent(Path("copy.xlsx"), copy), plan, TARGET,
                       highlight=highlight, source_sheets=source_sheets)
        messages.append(str(caught.value))
    assert messages[0] == messages[1]
    return messages[0]


def test_a_right_copy_passes_both_ways(source: FileContent, tmp_path: Path) -> None:
    copy = filled_copy(source, PLAN, TARGET)
    assert copy.source_sheets  # the writer's scans of the written sheet
    written = FileContent(tmp_path / "out.xlsx", copy.data)
    check_copy(source, written, PLAN, TARGET, highlight=False)
    check_copy(source, written, PLAN, TARGET, highlight=False,
               source_sheets=copy.source_sheets)
    written.path.write_bytes(copy.data)
    assert_only_planned_changes(source.path, written.path, PLAN)
    assert read_values(written.path, SHEET, ["C2", "D2", "C5"]) == {
        "C2": ("Yes", "s"), "D2": ("We use SSO.", "s"), "C5": ("No", "s")}


def test_a_changed_cell_outside_the_plan_is_named(source: FileContent) -> None:
    copy = filled_copy(source, PLAN, TARGET).data
    tampered = _edit(copy, _sheet(source), lambda x: x.replace(b">Question 7?<",
                                                              b">Question 8?<"))
    assert "sheet 'Security' cell B8: changed but not planned" in refused(
        source, tampered, PLAN)


def test_a_changed_cell_beside_planned_cells_is_named(source: FileContent) -> None:
    copy = filled_copy(source, PLAN, TARGET).data
    tampered = _edit(copy, _sheet(source), lambda x: x.replace(b">Q-1<", b">Q-X<"))
    assert "cell A2: changed but not planned" in refused(source, tampered, PLAN)


def test_a_planned_cell_of_a_new_row_missing_from_the_copy_is_caught(
        source: FileContent) -> None:
    # The copy was written without row 20 (beyond the data), the plan asks for it.
    copy = filled_copy(source, PLAN, TARGET).data
    more = FillPlan(PLAN.writes + plan_of(SHEET, {"C20": "Yes"}).writes)
    assert "cell C20: the planned cell is missing" in refused(source, copy, more)


def test_a_new_row_holding_the_planned_text_passes(source: FileContent) -> None:
    more = FillPlan(PLAN.writes + plan_of(SHEET, {"C20": "Yes", "D12": "Later."}).writes)
    copy = filled_copy(source, more, TARGET)
    check_copy(source, FileContent(Path("copy.xlsx"), copy.data), more, TARGET,
               highlight=False, source_sheets=copy.source_sheets)
    wrong = _edit(copy.data, _sheet(source), lambda x: x.replace(b">Later.<", b">Never.<"))
    assert "cell D12: holds 'Never.', not the planned text" in refused(source, wrong, more)


def test_an_added_row_is_caught(source: FileContent) -> None:
    copy = filled_copy(source, PLAN, TARGET).data
    added = _edit(copy, _sheet(source), lambda x: x.replace(
        b"</sheetData>", b'<row r="30"><c r="A30" t="inlineStr"><is><t>x</t></is></c></row>'
        b"</sheetData>"))
    assert "content after the last row changed" in refused(source, added, PLAN)
    between = _edit(copy, _sheet(source), lambda x: x.replace(b'<row r="7"', b' <row r="7"'))
    assert "content between rows changed" in refused(source, between, PLAN)


def test_a_dropped_row_is_caught(source: FileContent) -> None:
    copy = filled_copy(source, PLAN, TARGET).data
    dropped = _edit(copy, _sheet(source), lambda x: re.sub(rb'<row r="7".*?</row>', b"", x))
    assert "row 7 is missing or moved" in refused(source, dropped, PLAN)


def test_the_xml_after_the_cells_is_compared(source: FileContent) -> None:
    copy = filled_copy(source, PLAN, TARGET).data
    changed = _edit(copy, _sheet(source), lambda x: x.replace(b'left="0.75"', b'left="0.5"'))
    assert "the XML after the cells changed" in refused(source, changed, PLAN)


def shared_strings_workbook(path: Path) -> Path:
    """A workbook as Excel writes it: text cells point into xl/sharedStrings.xml, and one
    string is used by two sheets."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    kind = rel + "/"
    package = "http://schemas.openxmlformats.org/package/2006"
    sheet = (f'<worksheet xmlns="{main}"><dimension ref="A1:B3"/><sheetData>'
             '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
             '<row r="2"><c r="A2" t="s"><v>2</v></c></row>'
             '<row r="3"><c r="A3" t="s"><v>3</v></c></row></sheetData></worksheet>')
    parts = {
        "[Content_Types].xml": (
            f'<Types xmlns="{package}/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxml'
            'formats-officedocument.spreadsheetml.sheet.main+xml"/></Types>'),
        "_rels/.rels": (f'<Relationships xmlns="{package}/relationships"><Relationship '
                        f'Id="rId1" Type="{kind}officeDocument" Target="xl/workbook.xml"/>'
                        "</Relationships>"),
        "xl/workbook.xml": (f'<workbook xmlns="{main}" xmlns:r="{rel}"><sheets>'
                            f'<sheet name="{SHEET}" sheetId="1" r:id="rId1"/>'
                            '<sheet name="Other" sheetId="2" r:id="rId2"/></sheets></workbook>'),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{package}/relationships">'
            f'<Relationship Id="rId1" Type="{kind}worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{kind}worksheet" Target="worksheets/sheet2.xml"/>'
            f'<Relationship Id="rId3" Type="{kind}sharedStrings" Target="sharedStrings.xml"/>'
            "</Relationships>"),
        "xl/worksheets/sheet1.xml": sheet,
        "xl/worksheets/sheet2.xml": (f'<worksheet xmlns="{main}"><sheetData><row r="1">'
                                     '<c r="A1" t="s"><v>2</v></c></row></sheetData>'
                                     "</worksheet>"),
        "xl/sharedStrings.xml": (f'<sst xmlns="{main}" count="5" uniqueCount="4">'
                                 "<si><t>ID</t></si><si><t>Question</t></si>"
                                 "<si><t>Do you encrypt data at rest?</t></si>"
                                 "<si><t>Do you log access?</t></si></sst>"),
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in parts.items():
            z.writestr(name, text)
    return path


def test_a_changed_shared_string_used_elsewhere_is_caught(tmp_path: Path) -> None:
    path = shared_strings_workbook(tmp_path / "shared.xlsx")
    source = FileContent(path, path.read_bytes())
    plan = plan_of(SHEET, {"B2": "Yes", "B3": "No"})
    copy = filled_copy(source, plan, TARGET).data
    check_copy(source, FileContent(path, copy), plan, TARGET, highlight=False)
    changed = _edit(copy, "xl/sharedStrings.xml", lambda x: x.replace(
        b"Do you encrypt data at rest?", b"Do you encrypt data in transit?"))
    assert "part xl/sharedStrings.xml differs from the input" in refused(source, changed, plan)
    # A written row may not point its cells at another string either.
    pointed = _edit(copy, "xl/worksheets/sheet1.xml",
                    lambda x: x.replace(b'<c r="A2" t="s"><v>2</v>', b'<c r="A2" t="s"><v>3</v>'))
    assert "cell A2: changed but not planned" in refused(source, pointed, plan)


def test_an_added_part_is_caught(source: FileContent) -> None:
    copy = filled_copy(source, PLAN, TARGET).data
    buffer = io.BytesIO(copy)
    with zipfile.ZipFile(buffer, "a") as z:
        z.writestr("xl/extra.xml", "<x/>")
    assert "part xl/extra.xml was added" in refused(source, buffer.getvalue(), PLAN)


def test_changed_styles_without_a_highlight_are_caught(source: FileContent) -> None:
    copy = filled_copy(source, PLAN, TARGET).data
    changed = _edit(copy, "xl/styles.xml", lambda x: x.replace(b"Calibri", b"Arial", 1))
    assert "part xl/styles.xml differs from the input, but nothing was to be highlighted" \
        in refused(source, changed, PLAN)


def test_styles_changed_beyond_the_highlight_are_caught(source: FileContent) -> None:
    plan = FillPlan(PLAN.writes, ((SHEET, "C7"), (SHEET, "C3")))
    copy = filled_copy(source, plan, TARGET, highlight=True).data
    check_copy(source, FileContent(Path("copy.xlsx"), copy), plan, TARGET, highlight=True)
    changed = _edit(copy, "xl/styles.xml", lambda x: x.replace(b"Calibri", b"Arial", 1))
    assert "<fonts> changed" in refused(source, changed, plan, highlight=True)


def test_a_highlighted_cell_must_take_a_highlighted_format(source: FileContent) -> None:
    plan = FillPlan(PLAN.writes, ((SHEET, "C7"),))
    copy = filled_copy(source, plan, TARGET, highlight=True).data
    unmarked = _edit(copy, _sheet(source), lambda x: re.sub(
        rb'(<c r="C7"[^>]*?) s="\d+"', rb"\1", x))
    assert "cell C7: unexpected style 0" in refused(source, unmarked, plan, highlight=True)


def test_a_row_holding_an_end_tag_in_cdata_is_checked(tmp_path: Path) -> None:
    """A row whose text holds "</row>" in a CDATA section (valid XML, never written by
    Excel) is still found whole: the check falls back to parsing where the row ends."""
    path = make_workbook(tmp_path / "cdata.xlsx")
    part = sheet_parts(path)[SHEET]
    data = _edit(path.read_bytes(), part, lambda x: re.sub(
        rb'<c r="B2"[^>]*>.*?</c>',
        b'<c r="B2" t="inlineStr"><is><t><![CDATA[Question </row> 1?]]></t></is></c>', x))
    path.write_bytes(data)
    source = FileContent(path, data)
    copy = filled_copy(source, PLAN, TARGET)
    check_copy(source, FileContent(path, copy.data), PLAN, TARGET, highlight=False,
               source_sheets=copy.source_sheets)
    check_copy(source, FileContent(path, copy.data), PLAN, TARGET, highlight=False)
    out = tmp_path / "out.xlsx"
    out.write_bytes(copy.data)
    assert read_values(out, SHEET, ["B2", "C2"]) == {"B2": ("Question </row> 1?", "s"),
                                                      "C2": ("Yes", "s")}
    tampered = _edit(copy.data, part, lambda x: x.replace(b"Question </row> 1?",
                                                          b"Question </row> 2?"))
    assert "cell B2: changed but not planned" in refused(source, tampered, PLAN)


def test_a_single_quoted_dimension_left_alone_passes(tmp_path: Path) -> None:
    path = make_workbook(tmp_path / "quoted.xlsx")
    part = sheet_parts(path)[SHEET]
    data = _edit(path.read_bytes(), part, lambda x: re.sub(
        rb'<dimension ref="([^"]*)"', rb"<dimension ref='\1'", x))
    source = FileContent(path, data)
    copy = filled_copy(source, PLAN, TARGET)
    check_copy(source, FileContent(path, copy.data), PLAN, TARGET, highlight=False)
    widened = FillPlan(PLAN.writes + plan_of(SHEET, {"F3": "x"}).writes)
    copy = filled_copy(source, widened, TARGET)
    check_copy(source, FileContent(path, copy.data), widened, TARGET, highlight=False)
    assert b'<dimension ref="A1:F9"/>' in Package(path, copy.data).read(part)


def test_every_changed_byte_of_a_written_sheet_is_refused(source: FileContent) -> None:
    """Change each byte of the written sheet in turn (to a letter, or a space): the sheet
    check refuses every one, whether it is outside the plan, in a planned cell's text, its
    attributes or its markup (an ``xml:space`` gone means a spreadsheet may trim the text)."""
    plan = FillPlan(PLAN.writes + plan_of(SHEET, {"C20": " padded "}).writes)
    copy = filled_copy(source, plan, TARGET)
    part = _sheet(source)
    xml = Package(source.path, copy.data).read(part)
    writes = planned_writes(plan)[SHEET]
    scan = copy.source_sheets[part]

    def fail(what: str) -> NoReturn:
        raise OutputCheckError(what)

    SheetCheck(fail, SHEET, scan, xml, writes, set(), None).run()  # the copy itself passes
    accepted = []
    for i in range(len(xml)):
        tampered = xml[:i] + (b" " if xml[i:i + 1].isalpha() else b"Z") + xml[i + 1:]
        try:
            SheetCheck(fail, SHEET, scan, tampered, writes, set(), None).run()
        except OutputCheckError:
            continue
        accepted.append((i, xml[max(i - 20, 0):i + 20]))
    assert accepted == []


def test_a_row_whose_spans_grow_is_compared_cell_by_cell(tmp_path: Path) -> None:
    """A cell written beyond a row's ``spans`` widens them: the row tag changes, so the row
    is parsed whole, and a change to its other cells is still named."""
    path = make_workbook(tmp_path / "spans.xlsx")
    part = sheet_parts(path)[SHEET]
    data = _edit(path.read_bytes(), part,
                 lambda x: x.replace(b'<row r="3">', b'<row r="3" spans="1:4">'))
    source = FileContent(path, data)
    plan = plan_of(SHEET, {"F3": "Yes"})
    copy = filled_copy(source, plan, TARGET)
    assert b'<row r="3" spans="1:6">' in Package(path, copy.data).read(part)
    check_copy(source, FileContent(path, copy.data), plan, TARGET, highlight=False,
               source_sheets=copy.source_sheets)
    tampered = _edit(copy.data, part, lambda x: x.replace(b">Question 2?<", b">Question 3?<"))
    assert "cell B3: changed but not planned" in refused(source, tampered, plan)
    respanned = _edit(copy.data, part, lambda x: x.replace(b'spans="1:6"', b'spans="1:9"'))
    assert "row 3 attributes changed" in refused(source, respanned, plan)


def test_scans_of_another_input_are_not_trusted(source: FileContent, tmp_path: Path) -> None:
    """The writer's scans spare the check a parse only if they are of this input's part:
    scans of another workbook's sheet are ignored and the input is read again."""
    other = make_workbook(tmp_path / "other.xlsx")
    other_data = _edit(other.read_bytes(), _sheet(source),
                       lambda x: x.replace(b">Question 7?<", b">Question 8?<"))
    foreign = filled_copy(FileContent(other, other_data), PLAN, TARGET).source_sheets
    copy = filled_copy(source, PLAN, TARGET).data
    check_copy(source, FileContent(Path("copy.xlsx"), copy), PLAN, TARGET, highlight=False,
               source_sheets=foreign)
    tampered = _edit(copy, _sheet(source), lambda x: x.replace(b">Question 7?<",
                                                              b">Question 8?<"))
    with pytest.raises(OutputCheckError, match="cell B8: changed but not planned"):
        check_copy(source, FileContent(Path("copy.xlsx"), tampered), PLAN, TARGET,
                   highlight=False, source_sheets=foreign)
