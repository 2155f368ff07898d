"""The one zip container: the reader and the writer open a workbook the same way, so they
agree on where each sheet lives and on what is refused."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from questionnaire_fixtures import build_simple, rewrite_part
from writeback_fixtures import plan_of

from qfill.errors import InputError
from qfill.questionnaire import FileFormat
from qfill.sheets.package import MAX_PART_BYTES, Package, resolve_target, workbook_parts
from qfill.sheets.reader import read_questionnaire
from qfill.sheets.writer import check_filled, write_filled


@pytest.mark.parametrize(("source", "target", "expected"), [
    ("xl/workbook.xml", "worksheets/sheet1.xml", "xl/worksheets/sheet1.xml"),
    ("xl/workbook.xml", "/xl/worksheets/sheet1.xml", "xl/worksheets/sheet1.xml"),
    ("xl/workbook.xml", "./worksheets/../worksheets/sheet1.xml", "xl/worksheets/sheet1.xml"),
    ("", "xl/workbook.xml", "xl/workbook.xml"),
    ("xl/worksheets/sheet1.xml", "../drawings/drawing1.xml", "xl/drawings/drawing1.xml"),
])
def test_relationship_targets_resolve_from_the_part_folder(source: str, target: str,
                                                           expected: str) -> None:
    assert resolve_target(source, target) == expected


@pytest.mark.parametrize("target", ["/XL/Worksheets/Sheet1.XML",
                                    "worksheets/../worksheets/sheet1.xml"])
def test_reader_and_writer_find_the_same_sheet_part(tmp_path: Path, target: str) -> None:
    """Part names are case-insensitive and targets may be absolute or wind about; the rows
    the reader finds are written into the part it read them from."""
    path = build_simple(tmp_path / "q.xlsx")
    rewrite_part(path, "xl/_rels/workbook.xml.rels",
                 lambda xml: xml.replace('Target="/xl/worksheets/sheet1.xml"',
                                         f'Target="{target}"'))
    questionnaire = read_questionnaire(path)
    assert [r.question_id for r in questionnaire.rows] == ["S-1", "S-2", "S-3"]
    with Package.open(path) as package:
        assert workbook_parts(package).sheet("Security").part == "xl/worksheets/sheet1.xml"
    row = questionnaire.rows[1]
    ref = next(t.ref for t in row.targets if t.role == "short")
    out = tmp_path / "out.xlsx"
    plan = plan_of(row.sheet, {ref: "Yes"})
    write_filled(path, out, plan, file_format=FileFormat.XLSX)
    check_filled(path, out, plan, file_format=FileFormat.XLSX)
    again = read_questionnaire(out).rows[1]
    assert [(t.ref, t.current) for t in again.targets if t.role == "short"] == [(ref, "Yes")]


def test_one_part_limit_for_reading_and_writing(tmp_path: Path, zip_bomb: Path) -> None:
    bomb = zip_bomb
    expected = (f"{bomb}: refused: part xl/worksheets/sheet1.xml would expand to "
                f"{MAX_PART_BYTES // 2**20 + 1} MB (limit 200 MB), which looks like a zip bomb")
    with pytest.raises(InputError) as reading:
        read_questionnaire(bomb)
    with pytest.raises(InputError) as writing:
        write_filled(bomb, tmp_path / "out.xlsx", plan_of("Security", {"C2": "Yes"}),
                     file_format=FileFormat.XLSX)
    assert str(reading.value).startswith(expected)
    assert str(writing.value).startswith(expected)
    assert not (tmp_path / "out.xlsx").exists()


def test_a_name_held_twice_is_refused_by_the_reader_too(tmp_path: Path) -> None:
    path = build_simple(tmp_path / "q.xlsx")
    with zipfile.ZipFile(path, "a") as z, pytest.warns(UserWarning, match="Duplicate name"):
        z.writestr("xl/worksheets/sheet1.xml", b"<worksheet/>")
    with pytest.raises(InputError, match=r"holds 'xl/worksheets/sheet1\.xml' twice"):
        read_questionnaire(path)
