"""Workbooks for the questionnaire reader's tests, built with openpyxl (and, where openpyxl
cannot write a feature, by editing the saved package's XML)."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation

YES_NO_NA = '"Yes,No,N/A"'

# --------------------------------------------------------------------------- real workbooks

CAIQ4 = "csa-caiq/CAIQv4.0.3_STAR-Security-Questionnaire_Generated-at_2024-06-03.xlsx"
WHITEPACT = "csa-caiq/CAIQv4.0.3_WhitePact_completed.xlsx"
CAIQ3 = "csa-caiq/csa-caiq-v3.0.1-09-01-2017.xlsx"
HECVAT4 = "hecvat/HECVAT414.xlsx"
HECVAT3 = "hecvat/HECVAT3_OpenDSA_20220830.xlsx"


@dataclass(frozen=True)
class Expected:
    path: str
    template: str
    readme_count: int
    sheets: dict[str, int]  # question sheet -> rows
    columns: dict[str, str]  # of the first question sheet


EXPECTED = {
    "caiq4": Expected(CAIQ4, "CAIQ v4", 261, {"CAIQv4.0.3": 261},
                      {"id": "A", "question": "B", "section": "L", "short": "C", "answer": "E"}),
    "whitepact": Expected(WHITEPACT, "CAIQ v4", 261, {"CAIQv4.0.3": 261},
                          {"id": "A", "question": "B", "section": "L", "short": "C",
                           "answer": "E"}),
    "caiq3": Expected(CAIQ3, "CAIQ v3", 295, {"CSA CAIQ v3.0.1": 295},
                      {"id": "C", "question": "E", "section": "A", "answer": "I",
                       "mark:Yes": "F", "mark:No": "G", "mark:N/A": "H"}),
    "hecvat4": Expected(HECVAT4, "HECVAT 4", 331, {
        "START HERE": 22, "Organization": 43, "Product": 41, "Infrastructure": 51,
        "IT Accessibility": 18, "Case-Specific": 60, "AI": 31, "Privacy": 65},
        {"id": "A", "question": "B", "response": "C", "details": "D"}),
    "hecvat3": Expected(HECVAT3, "HECVAT 3", 253, {"HECVAT - Full": 257},
                        {"id": "A", "question": "B", "response": "C", "details": "D"}),
}


def rewrite_part(path: Path, part: str, edit: Callable[[str], str]) -> None:
    """Rewrite one XML part of a saved package in place."""
    with zipfile.ZipFile(path) as source:
        items = [(info, source.read(info.filename)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in items:
            if info.filename == part:
                data = edit(data.decode("utf-8")).encode("utf-8")
            target.writestr(info.filename, data)


def add_part(path: Path, name: str, data: bytes) -> None:
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as target:
        target.writestr(name, data)


def sheet_part(path: Path, title: str) -> str:
    """The package part of a sheet, by its title (openpyxl numbers them in order)."""
    with zipfile.ZipFile(path) as z:
        workbook = z.read("xl/workbook.xml").decode()
    names = re.findall(r'<sheet [^>]*name="([^"]+)"', workbook)
    return f"xl/worksheets/sheet{names.index(title) + 1}.xml"


def list_validation(ws: object, formula: str, ref: str) -> None:
    dv = DataValidation(type="list", formula1=formula, allow_blank=True)
    ws.add_data_validation(dv)  # type: ignore[attr-defined]
    for part in ref.split():
        dv.add(part)


# --------------------------------------------------------------------------- SIG-style


SIG_DOMAINS = {
    "A. Risk Management": [
        ("A.1", "Is there a risk assessment program that has been approved by management?"),
        ("A.2", "Does the risk assessment program include:"),
        (None, "a) Identification of threats and vulnerabilities?"),
        (None, "b) A risk rating for each identified risk?"),
        ("A.3", "Are risk assessments performed at least annually?"),
    ],
    "B. Security Policy": [
        ("B.1", "Is there an information security policy approved by management?"),
        ("B.2", "Is the policy reviewed at least annually?"),
        ("B.3", "Provide the date of the last policy review."),
    ],
}


def build_sig(path: Path) -> Path:
    """A SIG-style workbook: dashboard, glossary, one sheet per domain, lists on a hidden sheet.

    Domain sheets: a title, an instruction line, the header "Ques Num | Question/Request |
    Response | Additional Information | Scoping" on row 4. Response is a dropdown (named
    range ``YesNoNA`` on the hidden "Lists" sheet) except on the free-text date question.
    """
    wb = Workbook()
    dash = wb.active
    dash.title = "Dashboard"
    dash.append(["SIG Lite 2026 - Completion Dashboard"])
    dash.append([])
    dash.append(["Domain", "Questions", "Answered", "% Complete"])
    for i, domain in enumerate(SIG_DOMAINS, start=4):
        quoted = domain.replace("'", "''")
        dash.append([domain, f"=COUNTA('{quoted}'!A5:A50)", f"=COUNTA('{quoted}'!C5:C50)",
                     f"=IF(B{i}=0,0,C{i}/B{i})"])
    glossary = wb.create_sheet("Glossary")
    glossary.append(["Term", "Definition"])
    glossary.append(["Response", "Select Yes, No or N/A from the drop-down list."])
    glossary.append(["Additional Information", "Explain your answer or cite evidence."])
    for domain, questions in SIG_DOMAINS.items():
        ws = wb.create_sheet(domain)
        ws.append([domain])
        ws.append(["Answer every question; use Additional Information to explain."])
        ws.append([])
        ws.append(["Ques Num", "Question/Request", "Response", "Additional Information",
                   "Scoping"])
        for qid, question in questions:
            ws.append([qid, question, None, None, "Included"])
        last = ws.max_row
        list_validation(ws, "YesNoNA", f"C5:C{last}")
        if domain.startswith("B."):
            ws.data_validations.dataValidation[0].sqref = f"C5:C{last - 1}"  # date: free text
    lists = wb.create_sheet("Lists")
    for value in ("Yes", "No", "N/A"):
        lists.append([value])
    lists.sheet_state = "hidden"
    wb.defined_names["YesNoNA"] = DefinedName("YesNoNA", attr_text="Lists!$A$1:$A$3")
    wb.save(path)
    return path


# --------------------------------------------------------------------------- bespoke


def build_bespoke(path: Path) -> Path:
    """An unknown layout: title block, a two-row header under a merged group title, merged
    section titles, a computed row, an id at the start of the question text, a second
    question block lower on the same sheet, and a hidden sheet with questions."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Vendor Review"
    ws["A1"] = "Acme Corp - Supplier Security Review 2026"
    ws.merge_cells("A1:F1")
    ws["A2"] = "Complete every row. Choose a value from the list in column C."
    ws["A4"], ws["B4"], ws["C4"], ws["F4"] = "Ref", "Control question", "Supplier response", \
        "Reviewer notes"
    ws.merge_cells("C4:E4")
    ws["C5"], ws["D5"], ws["E5"] = "Yes/No/N/A", "Details", "Evidence"
    ws["A6"] = "Section 1 - Access control"
    ws.merge_cells("A6:F6")
    ws["A7"], ws["B7"] = "AC-1", "Is multi-factor authentication enforced for all staff?"
    ws["A8"], ws["B8"] = "AC-2", "Are access rights reviewed every quarter?"
    ws["A9"], ws["B9"], ws["C9"] = "AC-3", "Is single sign-on supported?", "Yes"
    ws["A10"] = "Section 2 - Data protection"
    ws.merge_cells("A10:F10")
    ws["A11"], ws["B11"] = "DP-1", "Is customer data encrypted at rest?"
    ws["A12"], ws["B12"] = "DP-2", "Overall data protection score"
    ws["C12"] = '=COUNTIF(C11,"Yes")'
    ws["B13"] = "DP-3 Do you delete customer data within 30 days of contract end?"
    list_validation(ws, '"Yes,No,Not Applicable"', "C7:C13")
    ws["A16"], ws["B16"], ws["C16"], ws["D16"] = "#", "Question", "Answer", "Comments"
    ws["A17"], ws["B17"] = "1", "Describe your incident response process."
    ws["A18"], ws["B18"] = "2", "How quickly do you notify customers of a breach?"
    hidden = wb.create_sheet("Internal")
    hidden.append(["Ref", "Question", "Answer"])
    hidden.append(["X-1", "Is this an internal-only question?", None])
    hidden.sheet_state = "hidden"
    wb.save(path)
    return path


# --------------------------------------------------------------------------- x14 and xlsm


X14_EXT = (
    '<extLst><ext uri="{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}" '
    'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
    '<x14:dataValidations count="1" '
    'xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main">'
    '<x14:dataValidation type="list" allowBlank="1" showErrorMessage="1">'
    "<x14:formula1><xm:f>'Drop Lists'!$B$2:$B$4</xm:f></x14:formula1>"
    "<xm:sqref>C2:C3</xm:sqref></x14:dataValidation></x14:dataValidations></ext></extLst>"
)


def build_x14(path: Path) -> Path:
    """Answer dropdowns stored only as an x14 extension, with the list on a hidden sheet."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Questions"
    ws.append(["ID", "Question", "Answer", "Comments"])
    ws.append(["Q-1", "Do you encrypt backups?", None, None])
    ws.append(["Q-2", "Do you test restores?", None, None])
    ws.append(["Q-3", "Describe your backup schedule.", None, None])
    lists = wb.create_sheet("Drop Lists")
    lists["B1"] = "Answers"
    lists["B2"], lists["B3"], lists["B4"] = "Y", "N", "Not Applicable"
    lists.sheet_state = "hidden"
    wb.save(path)
    rewrite_part(path, sheet_part(path, "Questions"),
                 lambda xml: xml.replace("</worksheet>", X14_EXT + "</worksheet>"))
    return path


def build_simple(path: Path, rows: int = 3) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "Security"
    ws.append(["ID", "Question", "Response", "Comments"])
    for i in range(1, rows + 1):
        ws.append([f"S-{i}", f"Do you run security control number {i}?", None, None])
    list_validation(ws, YES_NO_NA, f"C2:C{rows + 1}")
    wb.save(path)
    return path


def make_xlsm(path: Path) -> Path:
    """A macro-enabled workbook: the workbook part's content type and a VBA project part."""
    build_simple(path)
    rewrite_part(path, "[Content_Types].xml", lambda xml: xml.replace(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        "application/vnd.ms-excel.sheet.macroEnabled.main+xml"))
    add_part(path, "xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 not a real VBA project")
    return path


def zip_with_big_sheet(path: Path, size: int) -> Path:
    """A valid workbook whose sheet part expands to ``size`` bytes of spaces, streamed."""
    template = build_simple(path.with_name("template.xlsx"))
    part = sheet_part(template, "Security")
    with zipfile.ZipFile(template) as source, zipfile.ZipFile(
            path, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename != part:
                target.writestr(info, source.read(info.filename))
                continue
            xml = source.read(part)
            head, tail = xml[:-len(b"</worksheet>")], b"</worksheet>"
            with target.open(part, "w", force_zip64=True) as out:
                out.write(head)
                chunk = b" " * (1 << 22)
                left = size - len(head) - len(tail)
                while left > 0:
                    out.write(chunk[:left])
                    left -= len(chunk)
                out.write(tail)
    return path


@dataclass(frozen=True)
class Answered:
    """One `qfill answer` run on a real questionnaire; tests read it, never change it."""

    source: Path
    source_before: bytes  # the questionnaire's bytes before the run
    filled: Path
    report: dict[str, Any]  # the JSON report
    exit_code: int
    output: str
