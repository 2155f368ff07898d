"""`qfill inspect`: the JSON document (golden files), the table, exit codes and one-line errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from questionnaire_fixtures import EXPECTED, build_bespoke, build_sig, build_x14

GOLDEN = Path(__file__).parent / "golden" / "inspect"
Run = Callable[..., Any]


def check_golden(name: str, text: str, update: bool) -> None:
    path = GOLDEN / name
    if update:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


@pytest.mark.parametrize(("name", "builder", "args"), [
    ("bespoke.json", build_bespoke, ()),
    ("bespoke-hidden.json", build_bespoke, ("--include-hidden",)),
    ("sig.json", build_sig, ()),
    ("x14-rows.json", build_x14, ("--rows",)),
])
def test_json_document(tmp_path: Path, run_cli: Run, update_golden: bool, name: str,
                       builder: Callable[[Path], Path], args: tuple[str, ...]) -> None:
    path = builder(tmp_path / f"{name.split('.')[0].split('-')[0]}.xlsx")
    result = run_cli("inspect", path, "--json", *args)
    assert (result.exit_code, result.stderr) == (0, ""), result.output
    check_golden(name, result.stdout, update_golden)


def test_json_document_of_a_csv_with_rows(tmp_path: Path, run_cli: Run,
                                          update_golden: bool) -> None:
    path = tmp_path / "vendor.csv"
    path.write_text("id,question,section\nV-1,Do you encrypt data at rest?,Crypto\n"
                    "V-2,Do you rotate keys?,Crypto\n", encoding="utf-8")
    result = run_cli("inspect", path, "--json", "--rows")
    assert result.exit_code == 0, result.output
    check_golden("csv-rows.json", result.stdout, update_golden)


def test_table_names_every_sheet_with_status_columns_and_reason(tmp_path: Path,
                                                                 run_cli: Run) -> None:
    result = run_cli("inspect", build_sig(tmp_path / "sig.xlsx"))
    assert (result.exit_code, result.stderr) == (0, ""), result.output
    out = result.stdout
    assert "sig.xlsx (xlsx, template SIG): 7 question rows on 2 of 5 sheets" in out
    lines = out.splitlines()
    dashboard = next(i for i, line in enumerate(lines) if "Dashboard" in line)
    assert "skipped" in lines[dashboard] and "scoring or" in lines[dashboard]
    risk = next(line for line in lines if "A. Risk Management" in line)
    assert risk.split()[3:7] == ["questions", "4", "4", "id=A"]


def test_table_with_rows_shows_targets_and_their_dropdowns(tmp_path: Path,
                                                           run_cli: Run) -> None:
    result = run_cli("inspect", build_x14(tmp_path / "x14.xlsx"), "--rows")
    assert result.exit_code == 0, result.output
    assert "short=C2[Y/N/Not Applicable]" in result.stdout
    assert "Do you encrypt backups?" in result.stdout


def test_markup_in_sheet_text_is_printed_as_is(tmp_path: Path, run_cli: Run) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "(bold) Main"
    ws.append(["Question", "Answer"])
    ws.append(["Do you use [red]TLS[/] [/x] everywhere?", None])
    wb.save(tmp_path / "q.xlsx")
    result = run_cli("inspect", tmp_path / "q.xlsx", "--rows")
    assert result.exit_code == 0, result.output
    assert "[red]TLS[/] [/x]" in result.stdout


def test_sheet_map_and_hidden_options(tmp_path: Path, run_cli: Run) -> None:
    path = build_bespoke(tmp_path / "review.xlsx")
    result = run_cli("inspect", path, "--json", "--sheet", "Vendor Review",
                     "--map", "question=B,answer=D,id=A,header=5")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    sheets = {s["sheet"]: s for s in document["sheets"]}
    assert sheets["Internal"]["reason"] == "not selected by --sheet"
    assert sheets["Vendor Review"]["columns"] == {"id": "A", "question": "B", "answer": "D"}
    assert sheets["Vendor Review"]["reason"] == "columns from --map"
    hidden = run_cli("inspect", path, "--json", "--include-hidden")
    assert json.loads(hidden.stdout)["question_rows"] == 9  # with the computed row 12


def test_no_question_rows_exits_1_and_says_what_to_try(tmp_path: Path, run_cli: Run) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.title = "Notes"
    wb.active["A1"] = "Nothing to answer here."
    wb.save(tmp_path / "notes.xlsx")
    result = run_cli("inspect", tmp_path / "notes.xlsx", "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["sheets"][0]["status"] == "skipped"
    assert result.stderr == (f"qfill: {tmp_path / 'notes.xlsx'}: no question rows found in any "
                             "sheet; try --sheet and --map question=<column>,answer=<column>\n")


def _bad_files(tmp: Path) -> dict[str, tuple[Path, str]]:
    empty = tmp / "empty.xlsx"
    empty.write_bytes(b"")
    text = tmp / "text.xlsx"
    text.write_text("hello", encoding="utf-8")
    legacy = tmp / "old.xls"
    legacy.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    folder = tmp / "folder.xlsx"
    folder.mkdir()
    long_name = tmp / ("[customer] " + "very long questionnaire name " * 4 + "[final].xlsx")
    return {
        "missing": (long_name, f"{long_name}: no such file; check the path"),
        "empty": (empty, f"{empty}: the file is empty; export or download the questionnaire "
                         "again"),
        "not-zip": (text, f"{text}: not an .xlsx workbook (the file is not a zip package); "
                          "save it as .xlsx"),
        "legacy": (legacy, f"{legacy}: legacy Excel 97-2003 (.xls) workbook; open it in Excel "
                           "and save it as .xlsx"),
        "folder": (folder, f"{folder}: is a folder, not a questionnaire; give the path of an "
                           ".xlsx, .xlsm or .csv file"),
    }


@pytest.mark.parametrize("case", ["missing", "empty", "not-zip", "legacy", "folder"])
def test_unusable_input_exits_2_with_one_line(tmp_path: Path, run_cli: Run, case: str) -> None:
    path, message = _bad_files(tmp_path)[case]
    result = run_cli("inspect", path)
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"qfill: error: {message}\n")


def test_bad_map_exits_2(tmp_path: Path, run_cli: Run) -> None:
    result = run_cli("inspect", build_x14(tmp_path / "q.xlsx"), "--map", "qestion=B")
    assert result.exit_code == 2
    assert result.stderr.startswith("qfill: error: --map 'qestion=B': unknown key 'qestion' "
                                    "(did you mean 'question'?)")
    assert result.stderr.count("\n") == 1


def test_unknown_sheet_exits_2(tmp_path: Path, run_cli: Run) -> None:
    path = build_x14(tmp_path / "q.xlsx")
    result = run_cli("inspect", path, "--sheet", "Nope")
    assert (result.exit_code, result.stderr) == (
        2, f"qfill: error: {path}: no sheet named 'Nope'; the sheets are: Questions, "
           "Drop Lists\n")


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_real_workbooks_json_counts_sheets_and_columns(shared_questionnaires: Path,
                                                       run_cli: Run, case: str) -> None:
    expected = EXPECTED[case]
    result = run_cli("inspect", shared_questionnaires / expected.path, "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert (document["version"], document["format"], document["template"]) == (
        1, "xlsx", expected.template)
    assert abs(document["question_rows"] - expected.readme_count) <= \
        0.02 * expected.readme_count
    found = {s["sheet"]: s["question_rows"] for s in document["sheets"]
             if s["status"] == "questions"}
    assert found == expected.sheets
    first = next(s for s in document["sheets"] if s["status"] == "questions")
    assert first["columns"] == expected.columns
    assert list(first) == ["sheet", "status", "reason", "hidden", "template", "header_row",
                           "columns", "question_rows"]
