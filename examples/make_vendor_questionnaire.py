"""Build examples/vendor-security-questionnaire.xlsx, a customer's own security questionnaire.

The workbook imitates what a customer ("Contoso Health Systems") sends to its vendors: an
instructions sheet, then three question sheets, each with a title block, a header row,
section title rows and a Yes/No/N/A dropdown in the Response column. Some rows were
already answered by the customer, and some questions are not covered by the sample
answer library on purpose.

Run from anywhere; the output is written next to this script and is byte-for-byte the
same on every run:

    python examples/make_vendor_questionnaire.py
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

OUTPUT = Path(__file__).resolve().parent / "vendor-security-questionnaire.xlsx"
FIXED_TIME = datetime(2026, 9, 1, 9, 0, 0)
ZIP_TIME = (2026, 9, 1, 9, 0, 0)

CUSTOMER = "Contoso Health Systems"
TITLE = "Third-Party Vendor Security Questionnaire 2026"
HEADER_ROW = 6
HEADERS = ("Ref", "Question", "Response", "Comments / Explanation", "Evidence / Attachment")
WIDTHS = {"A": 15, "B": 70, "C": 13, "D": 60, "E": 34}
RESPONSES = ("Yes", "No", "N/A")
PREFILLED_NOTE = "Pre-filled by Contoso from your 2025 assessment; correct it if it has changed."

# Each sheet: (sheet title, ref prefix, [(section title, [question, ...]), ...]).
# A question is its text, or (text, pre-filled response) when Contoso already answered it.
SHEETS: list[tuple[str, str, list[tuple[str, list[str | tuple[str, str]]]]]] = [
    ("Security Controls", "SC", [
        ("Governance and Assurance", [
            "Does your organisation maintain a written information security policy that "
            "senior management has signed off?",
            "Is a named executive (for example a CISO) accountable for your security "
            "programme?",
            "Provide a telephone number, staffed around the clock, for reporting security "
            "incidents to your organisation.",
            ("Is your organisation certified against ISO/IEC 27001?", "Yes"),
            "Can you share an independent SOC 2 Type 2 audit report covering the past "
            "12 months?",
            "Do you hold HITRUST CSF certification?",
        ]),
        ("People", [
            ("Must all staff complete information security awareness training every "
             "year?", "Yes"),
            "Are employees subject to pre-employment drug screening?",
        ]),
        ("Access Control", [
            "Do your employees need a second authentication factor to access internal "
            "systems and production infrastructure?",
            "Can Contoso staff log in to your application through our Microsoft Entra ID "
            "tenant (SAML single sign-on)?",
            "For Contoso users who do not log in via SSO, can our administrators make "
            "two-factor authentication mandatory?",
            "Do you support automatic user provisioning and deprovisioning through "
            "SCIM 2.0?",
            "When an employee leaves your company, how quickly are their accounts "
            "disabled?",
        ]),
        ("Encryption", [
            "Is Contoso data encrypted while stored in your databases and file storage?",
            "Is all traffic between our users and your service protected with TLS 1.2 or "
            "higher?",
            "Can Contoso supply and control its own encryption keys for its data?",
        ]),
        ("Vulnerability Management", [
            "Does an independent firm perform a penetration test of your application at "
            "least annually?",
            "May Contoso conduct its own penetration test of your platform if we give you "
            "advance notice?",
            "What is your target timeframe for fixing critical security vulnerabilities?",
        ]),
        ("Monitoring and Endpoints", [
            "Are security logs collected centrally and reviewed by a security operations "
            "function around the clock?",
            "Is EDR software deployed on all laptops and servers?",
            "Do you have a dedicated on-site security guard at your headquarters?",
        ]),
    ]),
    ("Privacy & Data", "PD", [
        ("Data Handling", [
            "Will you enter into Contoso's data processing agreement, including standard "
            "contractual clauses where needed?",
            "Can Contoso's data be kept exclusively in data centres located in the United "
            "States?",
            "Do any subcontractors (sub-processors) handle Contoso data, and is a current "
            "list available?",
            "At termination, will you return Contoso's data and then permanently delete "
            "it?",
            "Will your service store or process credit card numbers on Contoso's behalf?",
            "Will you sign a HIPAA Business Associate Agreement (BAA) with Contoso?",
        ]),
        ("Privacy Programme", [
            "Has your company designated a data protection officer?",
            "How soon will Contoso be informed if a breach affects our data?",
            "Have you suffered a data breach that had to be reported to regulators or "
            "individuals in the last three years?",
            "Is your privacy management system certified to ISO/IEC 27701?",
            ("Do you sell personal information that you collect?", "No"),
        ]),
        ("Artificial Intelligence", [
            "Will Contoso data be used to train your machine learning or generative AI "
            "models?",
            "Can Contoso disable generative AI features for all of its users?",
        ]),
    ]),
    ("Business Continuity", "BC", [
        ("Continuity Planning", [
            "Does your company maintain a business continuity plan that is reviewed at "
            "least annually?",
            "Is there a documented disaster recovery plan for the hosted service?",
            "When did you last test your disaster recovery plan, and what was the result?",
            "Do you maintain an alternate office site that staff can relocate to if your "
            "headquarters becomes unavailable?",
        ]),
        ("Backups", [
            "How frequently is Contoso data backed up?",
            "Do you perform periodic test restores from backup?",
            "Are backup tapes or other removable media rotated to an off-site storage "
            "facility?",
        ]),
        ("Recovery and Availability", [
            "State your RTO and RPO for the service.",
            "What monthly uptime percentage does your SLA guarantee?",
            "Is the service hosted across more than one data centre or availability zone?",
            "Does your headquarters building have a backup generator?",
        ]),
    ]),
]

INSTRUCTIONS = [
    ("About this questionnaire", True),
    ("Contoso Health Systems assesses every vendor that stores, processes or has access to "
     "Contoso data. Your answers help our Third-Party Risk Management team decide whether "
     "additional safeguards or contract terms are needed before the service is approved.",
     False),
    ("How to complete it", True),
    ("Answer every row on the sheets Security Controls, Privacy & Data and Business "
     "Continuity. Choose Yes, No or N/A from the drop-down list in the Response column. "
     "Where a question asks for details, or where you answer No or N/A, explain in the "
     "Comments / Explanation column.", False),
    ("Name any supporting document (policy, certificate, audit report) in the Evidence / "
     "Attachment column and send the documents with the completed workbook. Do not add, "
     "remove or reorder rows or columns.", False),
    ("Some responses were pre-filled by Contoso from your previous assessment. Leave them "
     "unchanged when they are still accurate; otherwise correct them and explain the "
     "change in the comments.", False),
    ("Returning the questionnaire", True),
    ("Enter your company name in the Vendor name cell at the top of each sheet and return "
     "the workbook within 15 business days to vendor-risk@contoso-health.example. Contact "
     "the same address with any queries about this form.", False),
    ("Confidentiality", True),
    ("Contoso treats your responses and attachments as confidential information and uses "
     "them only to assess the security of the services you provide to Contoso.", False),
]

BOLD = Font(bold=True)
TITLE_FONT = Font(bold=True, size=14, color="1F3864")
SUBTITLE_FONT = Font(bold=True, size=12)
HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
SECTION_FILL = PatternFill("solid", fgColor="D9E1F2")
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
PREFILL_FONT = Font(italic=True, color="595959")
THIN = Side(style="thin", color="A6A6A6")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP_TOP = Alignment(wrap_text=True, vertical="top")
CENTRE_TOP = Alignment(horizontal="center", vertical="top")


def build() -> Workbook:
    wb = Workbook()
    wb.properties.creator = "Contoso Health Systems - Third-Party Risk Management"
    wb.properties.title = TITLE
    wb.properties.created = FIXED_TIME
    instructions = wb.active
    assert instructions is not None
    instructions.title = "Instructions"
    write_instructions(instructions)
    for title, prefix, sections in SHEETS:
        write_question_sheet(wb.create_sheet(title), title, prefix, sections)
    return wb


def write_instructions(ws: Worksheet) -> None:
    ws.column_dimensions["A"].width = 80
    ws["A1"] = f"{CUSTOMER}: {TITLE}"
    ws["A1"].font = TITLE_FONT
    ws["A2"] = "Instructions for vendors"
    ws["A2"].font = SUBTITLE_FONT
    row = 4
    for text, heading in INSTRUCTIONS:
        cell = ws.cell(row=row, column=1, value=text)
        if heading:
            cell.font = BOLD
        else:
            cell.alignment = WRAP_TOP
            ws.row_dimensions[row].height = 15 * text_lines(text, 80)
        row += 1 if heading else 2
    fit_to_page_width(ws, landscape=False)


def write_question_sheet(ws: Worksheet, title: str, prefix: str,
                         sections: list[tuple[str, list[str | tuple[str, str]]]]) -> None:
    for column, width in WIDTHS.items():
        ws.column_dimensions[column].width = width
    ws["A1"] = CUSTOMER
    ws["A1"].font = TITLE_FONT
    ws["A2"] = f"{TITLE} - {title}"
    ws["A2"].font = SUBTITLE_FONT
    ws["A3"] = "Vendor name:"
    ws["A4"] = "Completed by:"
    for row in (3, 4):
        ws.cell(row=row, column=1).font = BOLD
        ws.cell(row=row, column=2).fill = INPUT_FILL
        ws.cell(row=row, column=2).border = BOX

    for column, header in enumerate(HEADERS, start=1):
        cell = ws.cell(row=HEADER_ROW, column=column, value=header)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.border = BOX
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    ws.row_dimensions[HEADER_ROW].height = 30
    ws.freeze_panes = f"A{HEADER_ROW + 1}"

    validation = DataValidation(type="list", formula1='"' + ",".join(RESPONSES) + '"',
                                allow_blank=True, showDropDown=False)
    validation.error = "Choose Yes, No or N/A from the list."
    validation.errorTitle = "Response"
    validation.prompt = "Choose Yes, No or N/A; explain in the comments where needed."
    validation.promptTitle = "Response"
    ws.add_data_validation(validation)

    row = HEADER_ROW + 1
    number = 0
    for section, questions in sections:
        cell = ws.cell(row=row, column=1, value=section)
        cell.font = BOLD
        cell.fill = SECTION_FILL
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=len(HEADERS))
        row += 1
        for question in questions:
            number += 1
            text, prefilled = (question, None) if isinstance(question, str) else question
            ws.cell(row=row, column=1, value=f"{prefix}-{number:02d}").alignment = CENTRE_TOP
            ws.cell(row=row, column=2, value=text).alignment = WRAP_TOP
            response = ws.cell(row=row, column=3)
            response.alignment = CENTRE_TOP
            ws.cell(row=row, column=4).alignment = WRAP_TOP
            ws.cell(row=row, column=5).alignment = WRAP_TOP
            if prefilled is not None:
                response.value = prefilled
                comment = ws.cell(row=row, column=4, value=PREFILLED_NOTE)
                comment.font = PREFILL_FONT
            for column in range(1, len(HEADERS) + 1):
                ws.cell(row=row, column=column).border = BOX
            lines = max(text_lines(text, WIDTHS["B"]),
                        text_lines(PREFILLED_NOTE, WIDTHS["D"]) if prefilled else 1)
            ws.row_dimensions[row].height = 15 * lines
            validation.add(response.coordinate)
            row += 1

    fit_to_page_width(ws, landscape=True)
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"


def text_lines(text: str, width: float) -> int:
    """Lines a wrapped cell needs, so rows are tall enough without Excel's autofit."""
    per_line = int(width * 1.05)
    return max(1, -(-len(text) // per_line))


def fit_to_page_width(ws: Worksheet, landscape: bool) -> None:
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def deterministic_bytes(wb: Workbook) -> bytes:
    """Save, then pin the timestamps that openpyxl and zipfile take from the clock."""
    raw = io.BytesIO()
    wb.save(raw)
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ")
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, \
            zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                              rb"\g<1>" + stamp.encode() + rb"\g<2>", data)
            fixed = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            dst.writestr(fixed, data)
    return out.getvalue()


def main() -> None:
    OUTPUT.write_bytes(deterministic_bytes(build()))
    print(f"wrote {OUTPUT}")


if __name__ == "__main__":
    main()
