"""`qfill answer` end to end: the command and report contract on workbooks built here."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.datavalidation import DataValidation

from qfill import __version__

REPO = Path(__file__).resolve().parent.parent

LIBRARY = {
    "answers/security.yaml": """
        owner: security@example.com
        review_every: 365
        answers:
          - id: encryption-at-rest
            question: Is customer data encrypted at rest?
            aliases: [Do you encrypt stored customer data?]
            answer: =Yes. AES-256 via AWS KMS on every data store.
            short: "Yes"
            evidence:
              - path: evidence/crypto-policy.md
                title: Cryptography policy
            reviewed: 2026-06-01
          - id: mfa-workforce
            question: Is multi-factor authentication required for all workforce access?
            answer: Yes. Okta with WebAuthn for every employee and contractor.
            short: "Yes"
            reviewed: 2026-06-01
          - id: cardholder-data
            question: Do you store, process or transmit cardholder data?
            answer: No. Payments go through Stripe; we never see card numbers.
            short: "No"
            refs: {vendor: [PAY-01]}
            reviewed: 2026-06-01
        """,
    "evidence/crypto-policy.md": "# Cryptography policy\n",
}


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build_questionnaire(path: Path) -> Path:
    """Two sheets, a title block above the header, a section row, a pre-filled row."""
    wb = Workbook()
    cover = wb.active
    cover.title = "Cover"
    cover["A1"] = "Acme Corp vendor review"
    for title, rows in (("Security", [
            ("SEC-1", "Is all customer data encrypted at rest?", None, None),
            ("SEC-2", "Do you require multi-factor authentication for all workforce access?",
             "Yes", "Answered by Acme last year"),
            ("SEC-3", "How many parking spaces does your office have?", None, None)]),
            ("Payments", [("PAY-01", "Cardholder data stored, processed or transmitted", None,
                           None),
                          ("PAY-02", "Describe how customer data is encrypted at rest.", None,
                           None)])):
        ws = wb.create_sheet(title)
        ws["A1"] = "Acme Corp"
        ws["A1"].font = Font(bold=True)
        ws["A2"] = "Security questionnaire 2026"
        ws.append([])
        ws.append(["Ref", "Question", "Response", "Comments", "Evidence"])
        ws.append(["Access and data protection"])
        dv = DataValidation(type="list", formula1='"Yes,No,N/A"')
        ws.add_data_validation(dv)
        for ref, question, response, comment in rows:
            ws.append([ref, question, response, comment, None])
            dv.add(f"C{ws.max_row}")
    wb.save(path)
    return path


@pytest.fixture
def setup(tmp_path: Path, write_library):
    return write_library(LIBRARY), build_questionnaire(tmp_path / "acme.xlsx")


def test_fills_close_rows_leaves_others_and_reports_every_row_once(setup, run_cli,
                                                                   tmp_path: Path) -> None:
    library, questionnaire = setup
    before = sha(questionnaire)
    result = run_cli("answer", questionnaire, "--library", library, "--out",
                     tmp_path / "o.xlsx", "--report", tmp_path / "r.json", "--today",
                     "2026-11-29")
    assert result.exit_code == 0, result.output
    assert sha(questionnaire) == before

    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert list(report)[:5] == ["version", "questionnaire", "output", "library", "template"]
    rows = {(r["sheet"], r["row"]): r for r in report["rows"]}
    assert list(rows) == [("Security", 6), ("Security", 7), ("Security", 8), ("Payments", 6),
                          ("Payments", 7)]
    assert report["summary"] == {"rows": 5, "filled": 2, "review": 1, "unanswered": 1,
                                 "prefilled": 1}
    enc = rows[("Security", 6)]
    assert (enc["status"], enc["answer_id"], enc["question_id"]) == (
        "filled", "encryption-at-rest", "SEC-1")
    assert enc["cells"] == {"short": "C6", "answer": "D6", "evidence": "E6"}
    prefilled = rows[("Security", 7)]  # the customer already answered it
    assert (prefilled["status"], prefilled["answer_id"], prefilled["cells"]) == (
        "prefilled", "mfa-workforce", {})
    assert prefilled["reasons"] == ["already-answered: Security!C7, D7 already holds an "
                                    "answer; compare it with 'mfa-workforce'"]
    assert prefilled["reason_codes"] == ["already-answered"]
    assert rows[("Security", 8)]["status"] == "unanswered"
    assert rows[("Security", 8)]["answer_id"] is None
    assert rows[("Payments", 6)]["answer_id"] == "cardholder-data"  # matched by id via refs
    for row in report["rows"]:
        assert list(row)[:13] == ["sheet", "row", "question_id", "question", "status",
                                  "answer_id", "confidence", "cells", "candidates", "reasons",
                                  "reason_codes", "passages", "draft"]
        assert 0 <= row["confidence"] <= 1

    ws = openpyxl.load_workbook(tmp_path / "o.xlsx")["Security"]
    assert (ws["C6"].value, ws["C6"].data_type) == ("Yes", "s")
    assert (ws["D6"].value, ws["D6"].data_type) == (
        "=Yes. AES-256 via AWS KMS on every data store.", "s")  # text, never a formula
    assert ws["E6"].value == "Cryptography policy (available on request)"  # never a path
    assert (ws["C7"].value, ws["D7"].value) == ("Yes", "Answered by Acme last year")
    assert ws["C8"].value is None and ws["D8"].value is None
    assert ws["A1"].value == "Acme Corp" and ws["A1"].font.bold
    payments = openpyxl.load_workbook(tmp_path / "o.xlsx")["Payments"]
    assert payments["C6"].value == "No"
    # A description asked for: the verdict-first answer is not written, and says why.
    assert payments["C7"].value is None and payments["D7"].value is None
    assert rows[("Payments", 7)]["reasons"] == [
        "form-mismatch: Payments!C7 takes Yes/No, but the question asks for a description",
        "form-mismatch: the row asks for a description, and 'encryption-at-rest' answers "
        "yes or no first"]


def test_default_outputs_beside_the_input_summary_on_stdout_tip_on_stderr(setup,
                                                                         run_cli) -> None:
    library, questionnaire = setup
    result = run_cli("answer", questionnaire, "-l", library)
    assert result.exit_code == 0, result.output
    filled = questionnaire.with_name("acme.filled.xlsx")
    report = questionnaire.with_name("acme.report.md")
    assert result.stdout.splitlines() == [
        "┏━━━━━━┳━━━━━━━━┳━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━━┓",
        "┃ rows ┃ filled ┃ review ┃ unanswered ┃ prefilled ┃",
        "┡━━━━━━╇━━━━━━━━╇━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━┩",
        "│    5 │      2 │      1 │          1 │         1 │",
        "└──────┴────────┴────────┴────────────┴───────────┘",
        f"wrote {filled}",
        f"wrote {report}",
    ]
    assert result.stderr == (
        f"tip: 2 row(s) need a person (see {report}); to decide them in a spreadsheet, "
        "rerun with --review-file review.csv, then run `qfill apply`\n")
    text = report.read_text(encoding="utf-8")
    assert text.startswith("# qfill report: ") and "## Decide (1)" in text


def test_summary_as_json_for_scripts(setup, run_cli, tmp_path: Path) -> None:
    library, questionnaire = setup
    review = tmp_path / "review.csv"
    result = run_cli("answer", questionnaire, "-l", library, "--dry-run", "--format", "json",
                     "--review-file", review)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "version": 1, "summary": {"rows": 5, "filled": 2, "review": 1, "unanswered": 1,
                                      "prefilled": 1},
        "written": {"report": str(questionnaire.with_name("acme.report.md")),
                    "review file": str(review)}}
    assert result.stderr.startswith("tip: 2 row(s) need a person")


def test_redirecting_stdout_captures_the_summary(setup, tmp_path: Path) -> None:
    """`qfill answer q.xlsx > out.txt`, as a shell runs it: the summary is in the file."""
    library, questionnaire = setup
    out, err = tmp_path / "out.txt", tmp_path / "err.txt"
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    env["PYTHONPATH"] = str(REPO)
    with out.open("wb") as stdout, err.open("wb") as stderr:
        code = subprocess.run([sys.executable, "-m", "qfill", "answer", questionnaire.name,
                               "-l", str(library)], cwd=questionnaire.parent, env=env,
                              stdout=stdout, stderr=stderr, check=False).returncode
    assert code == 0, err.read_text(encoding="utf-8")
    captured = out.read_text(encoding="utf-8")
    assert "│    5 │      2 │      1 │          1 │         1 │" in captured
    assert captured.splitlines()[-2:] == ["wrote acme.filled.xlsx", "wrote acme.report.md"]
    assert err.read_text(encoding="utf-8").startswith("tip: ")


@pytest.mark.parametrize("suffix", [".md", ".json", ".csv", ".html"])
def test_report_format_follows_the_extension(setup, run_cli, tmp_path: Path,
                                             suffix: str) -> None:
    library, questionnaire = setup
    report = tmp_path / f"report{suffix}"
    assert run_cli("answer", questionnaire, "-l", library, "--dry-run", "-r",
                   report).exit_code == 0
    text = report.read_text(encoding="utf-8")
    first = {".md": "# qfill report", ".json": "{", ".csv": "sheet,row,question_id",
             ".html": "<!doctype html>"}[suffix]
    assert text.startswith(first)
    assert not questionnaire.with_name("acme.filled.xlsx").exists()


def test_fail_on_review_exits_1_and_review_file_lists_rows_to_decide(setup, run_cli,
                                                                     tmp_path: Path) -> None:
    library, questionnaire = setup
    review = tmp_path / "review.csv"
    result = run_cli("answer", questionnaire, "-l", library, "--fail-on-review",
                     "--review-file", review)
    assert result.exit_code == 1
    header, *rows = review.read_text(encoding="utf-8").splitlines()
    assert header.startswith("sheet,row,question_id,question,status,suggestion,confidence,"
                             "decision")
    # Not the prefilled row: the customer answered it.
    assert [r.split(",")[:2] for r in rows] == [["Security", "8"], ["Payments", "7"]]


def test_review_then_apply_with_learning(setup, run_cli, tmp_path: Path) -> None:
    library, questionnaire = setup
    review = tmp_path / "review.csv"
    assert run_cli("answer", questionnaire, "-l", library, "--review-file",
                   review).exit_code == 0
    text = review.read_text(encoding="utf-8").replace(
        "How many parking spaces does your office have?,unanswered,,,",
        "How many parking spaces does your office have?,unanswered,,,We have 12 spaces.")
    review.write_text(text, encoding="utf-8")
    filled = questionnaire.with_name("acme.filled.xlsx")
    result = run_cli("apply", filled, review, "-l", library)
    assert result.exit_code == 0, result.output
    ws = openpyxl.load_workbook(questionnaire.with_name("acme.reviewed.xlsx"))["Security"]
    assert ws["D8"].value == "We have 12 spaces."
    assert ws["D6"].value.startswith("=Yes. AES-256")  # the earlier fill is kept


def test_version_and_module_entry_point() -> None:
    result = subprocess.run([sys.executable, "-m", "qfill", "--version"], capture_output=True,
                            text=True, check=False)
    assert (result.returncode, result.stdout) == (0, f"qfill {__version__}\n")


@pytest.mark.parametrize("args", [["--help"], ["answer", "--help"], ["apply", "--help"]])
def test_help(run_cli, args: list[str]) -> None:
    result = run_cli(*args)
    assert result.exit_code == 0 and "Usage:" in result.stdout


def test_long_bracketed_path_stays_one_line(run_cli, tmp_path: Path, write_library) -> None:
    library = write_library(LIBRARY)
    missing = tmp_path / ("[bold]customer questionnaire with a very long name " * 3 + ".xlsx")
    result = run_cli("answer", missing, "-l", library)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"qfill: error: {missing}: no such file; check the path\n"


def test_the_readme_example_fills_the_sample_questionnaire(run_cli, tmp_path: Path) -> None:
    example = tmp_path / "vendor.xlsx"
    example.write_bytes((REPO / "examples" / "vendor-security-questionnaire.xlsx").read_bytes())
    result = run_cli("answer", example, "-l", REPO, "-r", tmp_path / "r.json")
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert report["summary"]["rows"] == 52
    # The "Vendor name:" / "Completed by:" cells atop each of the three sheets are asked.
    labels = [(r["sheet"], r["row"], r["status"]) for r in report["rows"]
              if r["question"] in ("Vendor name:", "Completed by:")]
    assert [(row, status != "filled") for _sheet, row, status in labels] == [
        (3, True), (4, True)] * 3
    assert report["summary"]["filled"] >= 5
    by_id = {r["question_id"]: r for r in report["rows"]}
    for prefilled in ("SC-04", "SC-07", "PD-11"):
        assert by_id[prefilled]["status"] != "filled"
    for unanswerable in ("SC-06", "SC-08", "SC-12", "SC-22", "PD-10", "BC-04", "BC-11"):
        assert by_id[unanswerable]["status"] != "filled", by_id[unanswerable]


def test_progress_bar_on_a_terminal_for_a_large_questionnaire(run_cli, tmp_path: Path,
                                                              write_library,
                                                              monkeypatch) -> None:
    import io

    from rich.console import Console

    import qfill.cli.answer_command as command

    library = write_library(LIBRARY)
    wb = Workbook()
    ws = wb.active
    ws.append(["ID", "Question", "Answer"])
    for i in range(260):
        ws.append([f"Q-{i}", f"Do you operate control number {i} every quarter?", None])
    wb.save(tmp_path / "big.xlsx")
    screen = io.StringIO()
    monkeypatch.setenv("TERM", "xterm")  # rich draws no live display on a dumb terminal
    monkeypatch.setattr(command, "err_console",
                        Console(file=screen, force_terminal=True, width=100))
    result = run_cli("answer", tmp_path / "big.xlsx", "-l", library, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "matching" in screen.getvalue() and "260/260" in screen.getvalue()


@pytest.mark.parametrize(("name", "written"), [
    ("renamed.xls", "renamed.filled.xlsx"), ("renamed.csv", "renamed.filled.xlsx"),
    ("renamed.XLSX", "renamed.filled.xlsx")])
def test_a_workbook_is_read_by_its_content_and_its_copy_named_by_it(
        setup, run_cli, tmp_path: Path, name: str, written: str) -> None:
    library, questionnaire = setup
    renamed = tmp_path / name
    renamed.write_bytes(questionnaire.read_bytes())
    result = run_cli("answer", renamed, "-l", library)
    assert result.exit_code == 0, result.output
    assert f"wrote {tmp_path / written}" in result.stdout.splitlines()
    assert openpyxl.load_workbook(tmp_path / written)["Security"]["C6"].value == "Yes"
    if renamed.suffix != ".XLSX":
        assert f"note: {renamed} is an .xlsx file by its content; the filled copy is " \
               f"{tmp_path / written}" in result.stderr


def test_a_macro_workbook_named_xlsx_gets_an_xlsm_copy(run_cli, tmp_path: Path,
                                                       write_library) -> None:
    from questionnaire_fixtures import make_xlsm

    library = write_library(LIBRARY)
    source = make_xlsm(tmp_path / "macro.xlsm")
    disguised = tmp_path / "macro.xlsx"
    source.rename(disguised)
    result = run_cli("answer", disguised, "-l", library)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "macro.filled.xlsm").is_file()
    assert not (tmp_path / "macro.filled.xlsx").exists()


def test_text_named_xlsx_is_refused_in_one_line(run_cli, tmp_path: Path, write_library) -> None:
    library = write_library(LIBRARY)
    text = tmp_path / "text.xlsx"
    text.write_text("Question,Answer\nDo you encrypt data at rest?,\n", encoding="utf-8")
    result = run_cli("answer", text, "-l", library)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (f"qfill: error: {text}: not an .xlsx workbook (the file is not "
                             "a zip package); save it as .xlsx\n")


def test_a_map_column_without_text_is_named(setup, run_cli) -> None:
    library, questionnaire = setup
    result = run_cli("answer", questionnaire, "-l", library, "--map", "question=ZZ,answer=E")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        f"qfill: error: {questionnaire}: no question rows found; --map question=ZZ: column "
        "ZZ holds no text on any sheet; name the column that holds the questions\n")
    one = run_cli("answer", questionnaire, "-l", library, "--map", "question=ZZ,answer=E",
                  "--sheet", "Security")
    assert one.stderr == (
        f"qfill: error: {questionnaire}: no question rows found; sheet 'Security': --map "
        "question=ZZ: column ZZ holds no text on this sheet (text is in columns A to E); "
        "name the column that holds the questions\n")
