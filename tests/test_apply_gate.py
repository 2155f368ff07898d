"""`qfill apply`: a person's decision passes the same gate as a fill, and never lands on a
row that moved; learning from it stays narrow."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl import Workbook
from openpyxl.worksheet.datavalidation import DataValidation

LIBRARY = """
owner: security@example.com
answers:
  - id: mfa-workforce
    question: Is multi-factor authentication required for all workforce access?
    answer: Yes. Every employee signs in through Okta with a phishing-resistant factor.
    short: "Yes"
  - id: law-enforcement-requests
    question: Is customer data ever given to law enforcement without a valid legal order?
    answer: No. We disclose customer data only when compelled by a valid legal order.
    short: "No"
  - id: card-data
    question: Do you store, process or transmit cardholder data?
    answer: Not applicable. Payments go through Stripe; we never see card numbers.
    short: "N/A"
  - id: security-contact-phone
    question: What is the phone number for contacting your security team?
    answer: +44 20 7946 0000 is our 24x7 security hotline; it reaches the on-call engineer.
    value: +44 20 7946 0000
  - id: accessibility-contact-phone
    question: What is the phone number of your accessibility team?
    answer: +44 20 7946 0100 reaches our accessibility team on working days.
    value: +44 20 7946 0100
"""


def build(path: Path, questions: list[str], lists: str | None = '"Yes,No"') -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "Sec"
    ws.append(["ID", "Question", "Response", "Comments"])
    for n, question in enumerate(questions, start=1):
        ws.append([f"Q-{n}", question])
    if lists:
        dv = DataValidation(type="list", formula1=lists)
        ws.add_data_validation(dv)
        dv.add(f"C2:C{len(questions) + 1}")
    wb.save(path)
    return path


def review_file(run_cli: Callable[..., Any], library: Path, questionnaire: Path,
                decisions: dict[int, str]) -> tuple[Path, Path]:
    """Answer, then fill the review file's decision column: row -> decision."""
    filled = questionnaire.with_name("q.filled.xlsx")
    review = questionnaire.with_name("review.csv")
    result = run_cli("answer", questionnaire, "-l", library, "-o", filled, "-r",
                     questionnaire.with_name("r.json"), "--review-file", review, "--force",
                     "--today", "2026-11-29")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(review.read_text(encoding="utf-8"))))
    for row in rows:
        row["decision"] = decisions.get(int(row["row"]), "")
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    review.write_text(buffer.getvalue(), encoding="utf-8")
    return filled, review


def test_a_decision_that_fails_a_check_is_written_listed_and_not_learned(
        tmp_path: Path, run_cli, write_library) -> None:
    library = write_library({"answers/a.yaml": LIBRARY})
    q = build(tmp_path / "q.xlsx", [
        "Do you have a documented policy for sharing information with law enforcement?"])
    filled, review = review_file(run_cli, library, q, {2: "law-enforcement-requests"})
    before = (library / "answers/a.yaml").read_bytes()
    result = run_cli("apply", filled, review, "-l", library, "--learn", "--today",
                     "2026-11-29")
    assert result.exit_code == 0, result.output
    ws = openpyxl.load_workbook(tmp_path / "q.reviewed.xlsx")["Sec"]
    assert ws["C2"].value == "No"  # written where the person chose it ...
    assert "written as decided, check Sec!2: negation:" in result.stdout  # ... never silently
    assert "not learned: 1 decision(s)" in result.stderr
    assert (library / "answers/a.yaml").read_bytes() == before

    strict = run_cli("apply", filled, review, "-l", library, "--strict", "--force",
                     "--today", "2026-11-29")
    assert strict.exit_code == 1, strict.output
    assert "refused Sec!2: Sec!2: --strict refuses a decision that fails a check" in \
        strict.stdout
    ws = openpyxl.load_workbook(tmp_path / "q.reviewed.xlsx")["Sec"]
    assert ws["C2"].value is None and ws["D2"].value is None


def test_an_n_a_decision_on_a_yes_no_list_is_written_without_dropping_the_yes_no_silently(
        tmp_path: Path, run_cli, write_library) -> None:
    library = write_library({"answers/a.yaml": LIBRARY})
    q = build(tmp_path / "q.xlsx", ["Do you store, process or transmit cardholder data?"])
    filled, review = review_file(run_cli, library, q, {2: "card-data"})
    result = run_cli("apply", filled, review, "-l", library, "--today", "2026-11-29")
    assert result.exit_code == 0, result.output
    ws = openpyxl.load_workbook(tmp_path / "q.reviewed.xlsx")["Sec"]
    assert ws["C2"].value is None  # the list has no N/A
    assert ws["D2"].value.startswith("Not applicable. Payments go through Stripe")
    assert ("check Sec!2: dropdown-mismatch: the list in Sec!C2 offers Yes, No, not "
            "\"N/A\"") in result.stdout


def test_a_row_that_moved_is_refused_and_never_learned(tmp_path: Path, run_cli,
                                                       write_library) -> None:
    library = write_library({"answers/a.yaml": LIBRARY})
    question = "Do you enforce MFA on every workforce login, including contractors?"
    review = tmp_path / "review.csv"
    review.write_text("sheet,row,question_id,question,status,suggestion,decision\n"
                      f"Sec,2,Q-1,{question},review,mfa-workforce,accept\n", encoding="utf-8")
    # The customer inserted a row above: row 2 now asks something else.
    moved = build(tmp_path / "moved.filled.xlsx", [
        "Do you let staff forward work email to personal accounts?", question])
    before = (library / "answers/a.yaml").read_bytes()
    result = run_cli("apply", moved, review, "-l", library, "--learn", "--today",
                     "2026-11-29")
    assert result.exit_code == 1, result.output
    assert "refused Sec!2: Sec!2 now reads 'Do you let staff forward work email" in \
        result.stdout
    ws = openpyxl.load_workbook(tmp_path / "moved.reviewed.xlsx")["Sec"]
    assert all(ws[f"{c}{n}"].value is None for c in "CD" for n in (2, 3))
    assert (library / "answers/a.yaml").read_bytes() == before  # nothing learned


def test_learning_a_phone_number_does_not_fill_the_name_title_or_email_rows(
        tmp_path: Path, run_cli, write_library) -> None:
    library = write_library({"answers/a.yaml": LIBRARY})
    fields = ["Solution Provider Accessibility Contact Name",
              "Solution Provider Accessibility Contact Title",
              "Solution Provider Accessibility Contact Email",
              "Solution Provider Accessibility Contact Phone Number"]
    q = build(tmp_path / "q.xlsx", fields, lists=None)
    filled, review = review_file(run_cli, library, q, {5: "accessibility-contact-phone"})
    result = run_cli("apply", filled, review, "-l", library, "--learn", "--today",
                     "2026-11-29")
    assert result.exit_code == 0, result.output
    assert "learned 1 new phrasing(s)" in result.stdout
    # The next questionnaire asks the same four fields.
    again = build(tmp_path / "next.xlsx", fields, lists=None)
    result = run_cli("answer", again, "-l", library, "-o", tmp_path / "next.filled.xlsx",
                     "-r", tmp_path / "next.json", "--today", "2026-11-29")
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "next.json").read_text(encoding="utf-8"))
    status = {r["question"]: r["status"] for r in report["rows"]}
    for field in fields[:3]:
        assert status[field] != "filled", field
    assert status[fields[3]] == "filled"  # the phone row itself, as learned
    ws = openpyxl.load_workbook(tmp_path / "next.filled.xlsx")["Sec"]
    assert [ws[f"C{n}"].value for n in (2, 3, 4, 5)] == [None, None, None,
                                                          "+44 20 7946 0100"]


def test_a_policy_entry_chosen_for_a_training_question_is_not_learned(
        tmp_path: Path, run_cli, write_library) -> None:
    library = write_library({"answers/a.yaml": LIBRARY + """
  - id: infosec-policy
    question: Do you have a documented information security policy?
    answer: Yes. Our information security policy is approved by the CEO every year.
    short: "Yes"
"""})
    q = build(tmp_path / "q.xlsx", ["Do you provide information security training to staff?"])
    filled, review = review_file(run_cli, library, q, {2: "infosec-policy"})
    before = (library / "answers/a.yaml").read_bytes()
    result = run_cli("apply", filled, review, "-l", library, "--learn", "--today",
                     "2026-11-29")
    assert result.exit_code == 0, result.output
    assert "check Sec!2: qualifier-mismatch:" in result.stdout
    assert (library / "answers/a.yaml").read_bytes() == before  # policy is not training
