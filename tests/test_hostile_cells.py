"""Empty means empty: only a cell with no value of any kind is written.

Reproduced against the previous release: an error value (#N/A), Excel's picture in a cell
(t="e" vm="1", whose vm was dropped too), an inline string holding a <v>, a phonetic-only
string and a whitespace-only cell were all treated as empty and overwritten, and a cell
written out of row order (<c r="D9"> inside row 2) put the answer at D9; the check of
the written copy passed every time. Lower-case references were read but refused when
writing.
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pytest
from hostile_fixtures import ENCRYPTION_LIBRARY
from questionnaire_fixtures import build_simple, rewrite_part, sheet_part

LIBRARY = ENCRYPTION_LIBRARY
HELD = {
    "error-value": '<c r="D2" t="e"><v>#N/A</v></c>',
    "picture-in-cell": '<c r="D2" t="e" vm="1"><v>#VALUE!</v></c>',
    "inline-with-v": '<c r="D2" t="inlineStr"><v>kept</v></c>',
    "phonetic-only": '<c r="D2" t="inlineStr"><is><t></t><rPh sb="0" eb="0"><t>カナ</t></rPh>'
                     '</is></c>',
    "whitespace-only": '<c r="D2" t="inlineStr"><is><t xml:space="preserve">   </t></is></c>',
    "empty-string": '<c r="D2" t="str"><v></v></c>',
}


def _with_row2_cell(path: Path, cell: str) -> Path:
    build_simple(path)
    rewrite_part(path, sheet_part(path, "Security"),
                 lambda xml: xml.replace("</c></row><row r=\"3\">",
                                         f"</c>{cell}</row><row r=\"3\">", 1))
    return path


def _cell_xml(path: Path, ref: str) -> str:
    with zipfile.ZipFile(path) as z:
        xml = z.read(sheet_part(path, "Security")).decode()
    found = re.search(rf'<c r="{ref}"[^>]*?(/>|>.*?</c>)', xml)
    assert found is not None, ref
    return found.group(0)


@pytest.mark.parametrize("case", sorted(HELD))
def test_a_cell_holding_any_value_is_never_written(case: str, tmp_path: Path, run_cli,
                                                   write_library) -> None:
    library = write_library(LIBRARY)
    questionnaire = _with_row2_cell(tmp_path / "q.xlsx", HELD[case])
    assert _cell_xml(questionnaire, "D2") == HELD[case]
    result = run_cli("answer", questionnaire, "--library", library, "--report",
                     tmp_path / "r.json")
    assert result.exit_code == 0, result.output
    assert _cell_xml(tmp_path / "q.filled.xlsx", "D2") == HELD[case]  # byte for byte
    row = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["rows"][0]
    assert "D2" not in (row.get("written") or {}), row


def test_a_cell_out_of_its_row_is_refused_as_damaged(tmp_path: Path, run_cli,
                                                     write_library) -> None:
    library = write_library(LIBRARY)
    questionnaire = _with_row2_cell(tmp_path / "q.xlsx",
                                    '<c r="D9" t="inlineStr"><is><t>x</t></is></c>')
    result = run_cli("answer", questionnaire, "--library", library)
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1
    assert "cell D9 is inside row 2" in result.stderr and "damaged" in result.stderr
    assert not (tmp_path / "q.filled.xlsx").exists()


def test_lower_case_references_are_written_like_upper_case(tmp_path: Path, run_cli,
                                                           write_library) -> None:
    library = write_library(LIBRARY)
    questionnaire = build_simple(tmp_path / "q.xlsx")
    rewrite_part(questionnaire, sheet_part(questionnaire, "Security"),
                 lambda xml: re.sub(r'r="([A-D])2"', lambda m: f'r="{m.group(1).lower()}2"',
                                    xml))
    result = run_cli("answer", questionnaire, "--library", library)
    assert result.exit_code == 0, result.output
    import openpyxl

    filled = openpyxl.load_workbook(tmp_path / "q.filled.xlsx")["Security"]
    assert filled["D2"].value == "Yes. AES-256 through AWS KMS on every data store."
