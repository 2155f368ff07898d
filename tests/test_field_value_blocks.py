"""A "Field | Value" block (company details) above or beside a question table is read.

Every label in such a block is a row of the report: filled when the library holds a
short value that fits the field and the gate lets it through, otherwise review or
unanswered; nothing in the block is ignored silently. Built workbooks, answered end to
end, asserting the written cells and the report rows.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
from answer_fixtures import answer_built, rows_by_place
from openpyxl import Workbook
from openpyxl.worksheet.datavalidation import DataValidation

LIBRARY = """
owner: security@example.com
answers:
  - id: company-legal-name
    question: What is your company's legal name?
    answer: Example Cloud Ltd is the company's registered legal name.
    value: Example Cloud Ltd
  - id: headquarters-country
    question: In which country is your company headquartered?
    answer: Our headquarters are in London, in the United Kingdom.
    value: United Kingdom
  - id: privacy-notice-url
    question: Where is your privacy notice published?
    answer: Yes. Our privacy notice is published at https://example.com/privacy.
  - id: security-contact-email
    question: What is your security contact email address?
    answer: Write to security@example.com; the security team reads it every day.
    value: security@example.com
  - id: hosting
    question: Which cloud provider hosts the service?
    answer: The service runs on Amazon Web Services in eu-west-1.
    value: [AWS, Amazon Web Services]
  - id: cyber-insurance
    question: Do you have cyber liability insurance?
    answer: Yes. We hold a cyber liability policy of 5 million USD.
    short: "Yes"
"""
INSURANCE = "Yes. We hold a cyber liability policy of 5 million USD."
FIELDS = ["Company legal name", "Headquarters country", "Privacy notice URL",
          "Security contact email", "Security contact phone number"]


def answer(run_cli: Callable[..., Any], write_library: Callable[..., Path], path: Path
           ) -> tuple[dict[tuple[str, int], dict[str, Any]], openpyxl.Workbook]:
    report, out = answer_built(run_cli, write_library, path, LIBRARY)
    return rows_by_place(report), out


def test_a_field_value_block_above_a_question_table(tmp_path: Path, run_cli,
                                                     write_library) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "Due Diligence"
    ws.append(["Section A: General information"])
    ws.append(["Field", "Value"])
    for field in FIELDS:
        ws.append([field, None])
    ws.append([])
    ws.append(["Section B: Security controls"])
    ws.append(["ID", "Question", "Yes/No", "Details", "Evidence"])
    ws.append(["B1", "Do you have cyber liability insurance?"])
    wb.save(tmp_path / "q.xlsx")
    rows, out = answer(run_cli, write_library, tmp_path / "q.xlsx")
    sheet = out["Due Diligence"]
    assert {key[1]: (r["question"], r["status"]) for key, r in rows.items()} == {
        3: ("Company legal name", "filled"),
        4: ("Headquarters country", "filled"),
        5: ("Privacy notice URL", "review"),  # its only text opens "Yes.": no link alone
        6: ("Security contact email", "filled"),
        7: ("Security contact phone number", "review"),  # the email is no phone
        11: ("Do you have cyber liability insurance?", "filled"),
    }
    assert rows[("Due Diligence", 3)]["section"] == "Section A: General information"
    assert rows[("Due Diligence", 11)]["section"] == "Section B: Security controls"
    assert "form-mismatch" in rows[("Due Diligence", 5)]["reason_codes"]
    assert "qualifier-mismatch" in rows[("Due Diligence", 7)]["reason_codes"]
    assert [sheet[f"B{r}"].value for r in range(3, 8)] == [
        "Example Cloud Ltd", "United Kingdom", None, "security@example.com", None]
    assert sheet["A9"].value == "Section B: Security controls" and sheet["B9"].value is None
    assert [sheet[f"{c}11"].value for c in "CD"] == ["Yes", INSURANCE]


def test_labels_with_colons_and_a_dropdown_value_cell(tmp_path: Path, run_cli,
                                                      write_library) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "Vendor profile"
    ws.append(["Information requested", "Your response", "Notes for the buyer"])
    ws.append(["Company legal name:", None, None])
    ws.append(["Hosting provider:", None, None])
    ws.append(["Security contact email:", "sec@vendor.example", None])
    choices = DataValidation(type="list", formula1='"AWS,Azure,Google Cloud,On premises"')
    ws.add_data_validation(choices)
    choices.add("B3")
    wb.save(tmp_path / "q.xlsx")
    rows, out = answer(run_cli, write_library, tmp_path / "q.xlsx")
    sheet = out["Vendor profile"]
    assert {key[1]: (r["question"], r["status"]) for key, r in rows.items()} == {
        2: ("Company legal name:", "filled"),
        3: ("Hosting provider:", "filled"),
        4: ("Security contact email:", "prefilled"),
    }
    assert [sheet[f"B{r}"].value for r in (2, 3, 4)] == [
        "Example Cloud Ltd", "AWS", "sec@vendor.example"]
    assert [sheet[f"C{r}"].value for r in (2, 3, 4)] == [None, None, None]


def test_a_label_value_block_with_blank_value_cells_beside_a_table(
        tmp_path: Path, run_cli, write_library) -> None:
    # "Attribute | Value", the values a dropdown of countries; no phone in the library.
    wb = Workbook()
    ws = wb.active
    ws.title = "Profile"
    ws.append(["Attribute", "Value"])
    ws.append(["Headquarters country", None])
    ws.append(["Security contact phone number", None])
    countries = DataValidation(type="list", formula1='"United Kingdom,Germany,France"')
    ws.add_data_validation(countries)
    countries.add("B2")
    wb.save(tmp_path / "q.xlsx")
    rows, out = answer(run_cli, write_library, tmp_path / "q.xlsx")
    assert {key[1]: r["status"] for key, r in rows.items()} == {2: "filled", 3: "review"}
    assert rows[("Profile", 3)]["reason_codes"] == ["qualifier-mismatch", "form-mismatch"]
    assert [out["Profile"][f"B{r}"].value for r in (2, 3)] == ["United Kingdom", None]


def test_colon_labels_with_no_header_above_a_table(tmp_path: Path, run_cli,
                                                   write_library) -> None:
    # No "Field | Value" header: labels end with ":", the label cells merged across A:B,
    # a blank row inside the run, and one lone "Note:" line that is not a block.
    wb = Workbook()
    ws = wb.active
    ws.title = "Supplier"
    ws["A1"] = "Supplier details"
    for row, label in ((2, "Company legal name:"), (3, "Headquarters country:"),
                       (5, "Security contact email:")):
        ws.cell(row, 1, label)
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=2)
    ws["A7"] = "Note:"
    ws["A8"] = "Questions"
    ws.append(["Ref", "Question", "Response (Y/N)", "Comments"])
    ws.append(["S1", "Do you have cyber liability insurance?"])
    wb.save(tmp_path / "q.xlsx")
    rows, out = answer(run_cli, write_library, tmp_path / "q.xlsx")
    sheet = out["Supplier"]
    assert {key[1]: (r["question"], r["status"], r["section"]) for key, r in rows.items()} == {
        2: ("Company legal name:", "filled", "Supplier details"),
        3: ("Headquarters country:", "filled", "Supplier details"),
        5: ("Security contact email:", "filled", "Supplier details"),
        10: ("Do you have cyber liability insurance?", "filled", "Questions"),
    }
    assert [sheet[f"C{r}"].value for r in (2, 3, 5)] == [
        "Example Cloud Ltd", "United Kingdom", "security@example.com"]
    assert sheet["B7"].value is None
    assert [sheet[f"{c}10"].value for c in "CD"] == ["Yes", INSURANCE]


def test_labels_without_colons_or_lists_are_not_a_block(tmp_path: Path, run_cli,
                                                        write_library) -> None:
    # A cover's title lines ("Supplier name", "Date completed") ask nothing by shape.
    wb = Workbook()
    cover = wb.active
    cover.title = "Cover"
    cover["A1"] = "Supplier Security Questionnaire 2026"
    cover["A3"] = "Supplier name"
    cover["A4"] = "Date completed"
    ws = wb.create_sheet("Questions")
    ws.append(["Question", "Yes/No"])
    ws.append(["Do you have cyber liability insurance?"])
    wb.save(tmp_path / "q.xlsx")
    rows, out = answer(run_cli, write_library, tmp_path / "q.xlsx")
    assert set(rows) == {("Questions", 2)}
    assert out["Cover"]["B3"].value is None and out["Cover"]["B4"].value is None
