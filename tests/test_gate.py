"""The one gate before writing: every written cell right, complete and in the form asked.

Each test builds a workbook the way a customer's sheet looks, answers it with
`qfill answer`, and asserts on the written cells and on the JSON report.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl import Workbook
from openpyxl.worksheet.datavalidation import DataValidation

TODAY = "2026-11-29"

LIBRARY = """
owner: security@example.com
answers:
  - id: backup-frequency
    question: How often are backups of customer data taken?
    aliases: [Is cloud data periodically backed up?]
    answer: Backups of every production database are taken hourly and kept for 35 days.
    refs: {caiq: [BCR-08.1, BCR-08.2]}
  - id: high-availability
    question: Is the service deployed across several availability zones?
    answer: Yes. Every tier runs in three availability zones with automatic failover.
    short: "Yes"
    refs: {caiq: [BCR-11.1]}
  - id: mfa-workforce
    question: Is multi-factor authentication required for all workforce access?
    answer: Yes. Every employee signs in through Okta with a phishing-resistant factor.
    short: "Yes"
    evidence:
      - evidence/policies/access-control-policy.md
      - path: evidence/reports/soc2.md
        title: SOC 2 Type II report
      - url: https://trust.example.com/mfa
        title: Trust centre
    refs: {caiq: [IAM-14.1]}
  - id: law-enforcement-requests
    question: Is customer data ever given to law enforcement without a valid legal order?
    answer: No. We disclose customer data only when compelled by a valid legal order.
    short: "No"
    refs: {caiq: [DSP-18.1]}
  - id: cloud-hosting-provider
    question: Which cloud provider hosts the service?
    answer: The service is hosted on Amazon Web Services (AWS) in two EU regions.
    value: [AWS, Amazon Web Services]
  - id: privacy-notice
    question: Do you publish a privacy notice?
    answer: Yes. Our privacy notice is published at https://northwind.example/privacy.
    short: "Yes"
    value: https://northwind.example/privacy
  - id: company-headquarters
    question: Where is the company headquartered?
    answer: Northwind Ledger is a company registered in Ireland, with its head office in
      Dublin and engineering teams in Lisbon and Toronto, all working remotely.
  - id: security-monitoring
    question: Is security monitoring performed around the clock?
    answer: Yes. Our own security team and a managed detection provider watch alerts 24x7.
    short: "Yes"
"""
EVIDENCE = {
    "evidence/policies/access-control-policy.md": "# Access Control Policy\n\nText.\n",
    "evidence/reports/soc2.md": "# SOC 2 report body\n",
}


def build(path: Path, rows: Sequence[tuple[Any, ...]], header: Sequence[str],
          lists: dict[str, str] | None = None) -> Path:
    """One sheet: a header row, then ``rows``; ``lists`` puts a list on a column."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Vendor"
    ws.append(list(header))
    for row in rows:
        ws.append(list(row))
    for column, formula in (lists or {}).items():
        dv = DataValidation(type="list", formula1=formula)
        ws.add_data_validation(dv)
        dv.add(f"{column}2:{column}{len(rows) + 1}")
    wb.save(path)
    return path


def answer(run_cli: Callable[..., Any], library: Path, questionnaire: Path,
           *extra: str) -> tuple[dict[tuple[str, int], dict[str, Any]], Any]:
    out = questionnaire.with_name("out.xlsx")
    report = questionnaire.with_name("report.json")
    result = run_cli("answer", questionnaire, "-l", library, "-o", out, "-r", report,
                     "--today", TODAY, "--force", *extra)
    assert result.exit_code == 0, result.output
    data = json.loads(report.read_text(encoding="utf-8"))
    rows = {(r["sheet"], r["row"]): r for r in data["rows"]}
    return rows, openpyxl.load_workbook(out)["Vendor"]


def library(write_library: Callable[..., Path]) -> Path:
    return write_library({"answers/a.yaml": LIBRARY, **EVIDENCE})


def codes(row: dict[str, Any]) -> list[str]:
    return list(row["reason_codes"])


# --------------------------------------------------------------------------- completeness


def test_a_yes_no_cell_needs_a_short_else_the_row_is_incomplete(
        tmp_path: Path, run_cli, write_library) -> None:
    q = build(tmp_path / "q.xlsx", [
        ("BCR-08.1", "Is cloud data periodically backed up?", None, None),
        ("IAM-14.1", "Is multi-factor authentication required for all workforce access?",
         None, None)],
        ["Question ID", "Question", "Answer", "Comments"], {"C": '"Yes,No,NA"'})
    rows, ws = answer(run_cli, library(write_library), q)
    backup = rows[("Vendor", 2)]
    assert (backup["status"], backup["answer_id"]) == ("review", "backup-frequency")
    assert backup["reasons"] == ["incomplete: Vendor!C2 needs Yes/No, and 'backup-frequency' "
                                 "has no short"]
    assert ws["C2"].value is None and ws["D2"].value is None  # nothing half-written
    mfa = rows[("Vendor", 3)]
    assert (mfa["status"], mfa["cells"]) == ("filled", {"short": "C3", "answer": "D3"})
    assert ws["C3"].value == "Yes"


def test_a_list_of_other_choices_takes_the_entrys_value_in_the_lists_spelling(
        tmp_path: Path, run_cli, write_library) -> None:
    lib = library(write_library)
    q = build(tmp_path / "q.xlsx", [
        ("DCTR-01", "Select your hosting option.", None, None)],
        ["ID", "Question", "Answer", "Additional Information"],
        {"C": '"Amazon Web Services (AWS),Microsoft Azure,Google Cloud,On premises"'})
    rows, ws = answer(run_cli, lib, q, "--fill-threshold", "0.3")
    hosting = rows[("Vendor", 2)]
    assert ws["C2"].value == "Amazon Web Services (AWS)"
    assert hosting["status"] == "filled" and hosting["cells"]["short"] == "C2"
    assert ws["D2"].value.startswith("The service is hosted on Amazon Web Services")

    bare = write_library({"answers/a.yaml": LIBRARY.replace(
        "    value: [AWS, Amazon Web Services]\n", ""), **EVIDENCE}, root=tmp_path / "bare")
    rows, ws = answer(run_cli, bare, q, "--fill-threshold", "0.3")
    assert rows[("Vendor", 2)]["status"] == "review"
    assert rows[("Vendor", 2)]["reasons"] == [
        "incomplete: Vendor!C2 needs one of Amazon Web Services (AWS), Microsoft Azure, "
        "Google Cloud, On premises; 'cloud-hosting-provider' states none (give it a `value`)"]
    assert ws["C2"].value is None and ws["D2"].value is None


# --------------------------------------------------------------------------- every route


def test_an_id_alone_never_fills_a_row_that_asks_something_else(
        tmp_path: Path, run_cli, write_library) -> None:
    honest = [("IAM-14.1", "Is multi-factor authentication required for all workforce "
               "access?", None, None)]
    hostile = [
        ("BCR-08.2", "Do you agree to accept unlimited liability and waive all "
         "indemnification caps?", None, None),
        ("BCR-11.1", "Has your company suffered a data breach in the last year that was not "
         "disclosed to customers?", None, None),
        ("DSP-18.1", "Does the CSP have a documented procedure to respond to law "
         "enforcement requests?", None, None)]
    q = build(tmp_path / "q.xlsx", honest + hostile,
              ["Question ID", "Question", "Answer", "Comments"], {"C": '"Yes,No,NA"'})
    rows, ws = answer(run_cli, library(write_library), q)
    assert rows[("Vendor", 2)]["status"] == "filled" and ws["C2"].value == "Yes"
    # Liability, not backups (and the backup entry has no Yes/No anyway).
    assert codes(rows[("Vendor", 3)]) == ["id-unsupported", "incomplete"]
    assert codes(rows[("Vendor", 4)]) == ["id-unsupported"]  # a breach, not availability
    assert "negation" in codes(rows[("Vendor", 5)])  # "without an order" vs "a procedure"
    for n in (3, 4, 5):
        assert rows[("Vendor", n)]["status"] == "review"
        assert ws[f"C{n}"].value is None and ws[f"D{n}"].value is None


# --------------------------------------------------------------------------- form


def test_each_row_gets_only_an_answer_in_the_form_it_asks_for(
        tmp_path: Path, run_cli, write_library) -> None:
    q = build(tmp_path / "q.xlsx", [
        ("GNRL-08", "Country of Company Headquarters", None),
        ("PRGN-05", "Web Link to Product/Service Privacy Notice", None),
        ("FIDP-10", "Is security monitoring performed internally or by a third party?", None),
        ("START-1", "Date Completed", None),
        ("SEC-2", "Is multi-factor authentication required for all workforce access?", None)],
        ["ID", "Question", "Response"])
    rows, ws = answer(run_cli, library(write_library), q, "--fill-threshold", "0.3")
    # A link for a link: the entry's value, not its yes/no sentence.
    assert ws["C3"].value == "https://northwind.example/privacy"
    assert rows[("Vendor", 3)]["status"] == "filled"
    # A 30-word paragraph is not a country.
    country = rows[("Vendor", 2)]
    if country["answer_id"] == "company-headquarters":
        assert country["status"] == "review" and codes(country) == ["form-mismatch"]
    assert ws["C2"].value is None
    # "Yes. ..." does not say which of the two.
    either = rows[("Vendor", 4)]
    assert either["status"] == "review" and "form-mismatch" in codes(either)
    assert ws["C4"].value is None
    # The questionnaire's own date is never filled from the library.
    assert rows[("Vendor", 5)]["status"] != "filled" and ws["C5"].value is None
    assert ws["C6"].value.startswith("Yes. Every employee")


def test_a_yes_no_column_is_left_alone_for_a_question_that_is_not_yes_no(
        tmp_path: Path, run_cli, write_library) -> None:
    q = build(tmp_path / "q.xlsx", [
        ("A-1", "Describe how multi-factor authentication is required for workforce access.",
         None, None)],
        ["ID", "Question", "Response (Y/N)", "Comments"])
    rows, ws = answer(run_cli, library(write_library), q, "--fill-threshold", "0.3")
    row = rows[("Vendor", 2)]
    assert row["status"] == "review"
    assert row["reasons"][0] == ("form-mismatch: Vendor!C2 takes Yes/No, but the question "
                                 "asks for a description")
    assert ws["C2"].value is None and ws["D2"].value is None


# --------------------------------------------------------------------------- evidence


def test_evidence_cells_hold_titles_and_links_never_library_paths(
        tmp_path: Path, run_cli, write_library) -> None:
    q = build(tmp_path / "q.xlsx", [
        ("IAM-14.1", "Is multi-factor authentication required for all workforce access?",
         None, None, None)],
        ["ID", "Question", "Answer", "Comments", "Evidence"], {"C": '"Yes,No"'})
    lib = library(write_library)
    _rows, ws = answer(run_cli, lib, q)
    assert ws["E2"].value == ("Access Control Policy (available on request); SOC 2 Type II "
                              "report (available on request); Trust centre "
                              "(https://trust.example.com/mfa)")
    (lib / "qfill.yaml").write_text('filling: {local_evidence: ""}\n', encoding="utf-8")
    _rows, ws = answer(run_cli, lib, q)
    assert ws["E2"].value == ("Access Control Policy; SOC 2 Type II report; Trust centre "
                              "(https://trust.example.com/mfa)")
    assert "evidence/" not in ws["E2"].value


def test_an_untitled_document_without_a_heading_is_named_by_its_file(
        tmp_path: Path, run_cli, write_library) -> None:
    lib = write_library({"answers/a.yaml": LIBRARY.replace(
        "      - evidence/policies/access-control-policy.md\n",
        "      - evidence/policies/logging-monitoring_standard.pdf\n"),
        "evidence/policies/logging-monitoring_standard.pdf": b"%PDF-1.4",
        "evidence/reports/soc2.md": "# SOC 2 report body\n"})
    q = build(tmp_path / "q.xlsx", [
        ("IAM-14.1", "Is multi-factor authentication required for all workforce access?",
         None, None)], ["ID", "Question", "Response (Y/N)", "Evidence"])
    rows, ws = answer(run_cli, lib, q)
    # No free-text answer column: the comments/evidence column takes the narrative too.
    assert ws["D2"].value.startswith("Yes. Every employee signs in through Okta")
    assert ws["D2"].value.endswith("\n\nEvidence: Logging monitoring standard (available on "
                                   "request); SOC 2 Type II report (available on request); "
                                   "Trust centre (https://trust.example.com/mfa)")
    assert rows[("Vendor", 2)]["cells"] == {"short": "C2", "evidence": "D2"}


# --------------------------------------------------------------------------- short vs text


def test_a_no_beside_its_not_applicable_reason_is_filled_a_yes_beside_one_is_held(
        tmp_path: Path, run_cli, write_library) -> None:
    # How vendors fill CAIQ: "No" in the answer column, the reason it does not apply in
    # the text. Both cells say the control is not in place; only a "Yes" contradicts it.
    reason = ("Not applicable -- we run no data centre of our own; our cloud provider's "
              "controls are in its SOC 2 report.")
    entries = """
answers:
  - id: visitor-escort
    question: Are visitors to the data centre escorted at all times?
    answer: "{reason}"
    short: "{short}"
"""
    q = build(tmp_path / "q.xlsx", [
        ("DCS-09.1", "Are visitors to the data centre escorted at all times?", None, None)],
        ["Question ID", "Question", "Answer", "Comments"], {"C": '"Yes,No,NA"'})
    lib = write_library({"answers/a.yaml": entries.format(reason=reason, short="No")})
    rows, ws = answer(run_cli, lib, q)
    row = rows[("Vendor", 2)]
    assert (row["status"], row["answer_id"], row["reasons"]) == (
        "filled", "visitor-escort", [])
    assert (ws["C2"].value, ws["D2"].value) == ("No", reason)

    lib = write_library({"answers/a.yaml": entries.format(reason=reason, short="Yes")},
                        root=tmp_path / "yes")
    rows, ws = answer(run_cli, lib, q)
    row = rows[("Vendor", 2)]
    assert (row["status"], codes(row)) == ("review", ["short-contradicts-answer"])
    assert ws["C2"].value is None and ws["D2"].value is None
