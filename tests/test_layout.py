"""Header and column-role detection on layouts qfill has no template for."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook
from questionnaire_fixtures import list_validation

from qfill.sheets.layout import classify_label
from qfill.sheets.reader import read_questionnaire


@pytest.mark.parametrize(("label", "role"), [
    ("Question", "question"),
    ("Question/Request", "question"),
    ("Consensus Assessment Questions", "question"),
    ("Control question", "question"),
    ("Requirement", "question"),
    ("Questionnaire", None),
    ("Question ID", "id"),
    ("Ques Num", "id"),
    ("Ref #", "id"),
    ("#", "id"),
    ("CCM Control ID", "id"),
    ("Yes/No", "short"),
    ("Response (Y/N)", "short"),
    ("Compliant (Yes / No / N/A)", "ignore"),
    ("Answer", "answer"),
    ("Vendor Answers", "answer"),
    ("Response", "answer"),
    ("Additional Information", "answer"),
    ("Comments / Explanation", "answer"),
    ("CSP Implementation Description (Optional/Recommended)", "answer"),
    ("Evidence / Attachment", "evidence"),
    ("Supporting documentation reference", "evidence"),
    ("Evidence Ref", "evidence"),
    ("Evidence ID", "evidence"),
    ("Document Ref #", "evidence"),
    ("Control Ref", "id"),
    ("Yes", "mark:Yes"),
    ("Not Applicable", "mark:N/A"),
    ("Guidance", "ignore"),
    ("Analyst Notes", "ignore"),
    ("SSRM Control Ownership", "ignore"),
    ("Reviewer comments", "ignore"),
    ("Score", "ignore"),
    ("Control Domain", "section"),
    ("Category", "section"),
    ("Do you have an answer?", None),
])
def test_classify_label(label: str, role: str | None) -> None:
    assert classify_label(label) == role


def save(wb: Workbook, path: Path) -> Path:
    wb.save(path)
    return path


def test_group_title_above_the_header_names_the_columns_it_spans(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws["A1"] = "Supplier questionnaire"
    ws["C3"] = "Vendor response"
    ws.merge_cells("C3:D3")
    for col, label in zip("ABCDE", ["No.", "Question", "Y/N", "Comments", "Reviewer"],
                          strict=True):
        ws[f"{col}4"] = label
    ws.append(["1", "Do you encrypt laptops?", None, None, None])
    q = read_questionnaire(save(wb, tmp_path / "q.xlsx"))
    assert (q.sheets[0].header_row, dict(q.sheets[0].columns)) == (
        4, {"id": "A", "question": "B", "short": "C", "answer": "D"})


def test_yes_no_na_mark_columns_under_a_merged_header(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["ID", "Question", "Answer", None, None, "Notes"])
    ws.merge_cells("C1:E1")
    ws.append([None, None, "Yes", "No", "N/A", None])
    ws.append(["Q1", "Do you patch monthly?", None, None, None, None])
    ws.append(["Q2", "Do you scan weekly?", "X", None, None, None])
    q = read_questionnaire(save(wb, tmp_path / "q.xlsx"))
    assert dict(q.sheets[0].columns) == {"id": "A", "question": "B", "answer": "F",
                                         "mark:Yes": "C", "mark:No": "D", "mark:N/A": "E"}
    assert [[(t.role, t.ref, t.mark, t.writable) for t in r.targets] for r in q.rows] == [
        [("answer", "F3", None, True), ("mark", "C3", "Yes", True), ("mark", "D3", "No", True),
         ("mark", "E3", "N/A", True)],
        [("answer", "F4", None, True), ("mark", "C4", "Yes", False), ("mark", "D4", "No", True),
         ("mark", "E4", "N/A", True)]]
    assert q.rows[1].already_answered


def test_section_headers_with_an_unlabelled_question_column(tmp_path: Path) -> None:
    # HECVAT-like, but unknown: each section's header row names only the answer columns.
    wb = Workbook()
    ws = wb.active
    ws.title = "Responses"
    ws["A1"] = "Our Vendor Assessment"
    rows = [
        ["Documentation", None, "Answer", "Additional Information", "Guidance"],
        ["DOC-01", "Do you have a documented security program?", None, None, "Describe it."],
        ["DOC-02", "Is the program reviewed yearly?", None, None, None],
        ["Access", None, "Answer", "Additional Information", "Guidance"],
        ["ACC-01", "Do you enforce MFA for administrators?", None, None, None],
        ["ACC-02", "Describe how you remove leavers' access.", None, None, None],
    ]
    for i, values in enumerate(rows, start=3):
        for col, value in zip("ABCDE", values, strict=True):
            ws[f"{col}{i}"] = value
    list_validation(ws, '"Yes,No"', "C4:C5 C7")
    q = read_questionnaire(save(wb, tmp_path / "q.xlsx"))
    assert dict(q.sheets[0].columns) == {"id": "A", "question": "B", "response": "C",
                                         "details": "D"}
    assert [(r.question_id, r.section, [(t.role, t.ref) for t in r.targets]) for r in q.rows] == [
        ("DOC-01", "Documentation", [("short", "C4"), ("answer", "D4")]),
        ("DOC-02", "Documentation", [("short", "C5"), ("answer", "D5")]),
        ("ACC-01", "Access", [("short", "C7"), ("answer", "D7")]),
        ("ACC-02", "Access", [("answer", "C8"), ("evidence", "D8")]),
    ]


def test_rows_without_ids_among_id_rows_are_section_titles(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["Ref", "Question", "Answer"])
    ws.append([None, "Network security", None])
    ws.append(["N1", "Do you segment production networks?", None])
    ws.append(["N2", "Do you run an IDS?", None])
    ws.append(["N3", "Do you filter egress traffic?", None])
    ws.append([None, "Physical security", None])
    ws.append(["P1", "Are data centres badge-controlled?", None])
    q = read_questionnaire(save(wb, tmp_path / "q.xlsx"))
    assert [(r.question_id, r.section) for r in q.rows] == [
        ("N1", "Network security"), ("N2", "Network security"), ("N3", "Network security"),
        ("P1", "Physical security")]


def test_footer_and_figures_are_not_questions(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["Question", "Answer"])
    ws.append(["Do you back up daily?", None])
    ws.append(["12", None])
    ws.append(["© 2026 Example Corp. All rights reserved.", None])
    q = read_questionnaire(save(wb, tmp_path / "q.xlsx"))
    assert [r.question for r in q.rows] == ["Do you back up daily?"]


def test_a_question_table_without_answer_column_says_so(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "Controls"
    ws.append(["ID", "Question", "Owner"])
    ws.append(["C-1", "Do you log admin actions?", "IT"])
    q = read_questionnaire(save(wb, tmp_path / "q.xlsx"), allow_empty=True)
    assert q.sheets[0].reason == ("a question column (B) but no answer column; use --map "
                                  "answer=<column>")


def test_a_bullet_is_a_sub_item_only_under_a_lead_in(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["Question", "Answer"])
    ws.append(["Do you encrypt backups?", None])
    ws.append(["- Do you test restores?", None])
    ws.append(["Which of these do you run:", None])
    ws.append(["- a web application firewall", None])
    q = read_questionnaire(save(wb, tmp_path / "q.xlsx"))
    assert [(r.row, r.question) for r in q.rows] == [
        (2, "Do you encrypt backups?"),
        (3, "- Do you test restores?"),
        (5, "Which of these do you run: a web application firewall")]


def test_two_row_header_with_single_level_labels_merged_down(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws["A1"], ws["B1"], ws["C1"], ws["E1"] = "ID", "Question", "Vendor response", "Evidence"
    ws.merge_cells("A1:A2")
    ws.merge_cells("B1:B2")
    ws.merge_cells("C1:D1")
    ws.merge_cells("E1:E2")
    ws["C2"], ws["D2"] = "Yes/No", "Explanation"
    ws.append(["V-1", "Do you run background checks?", None, None, None])
    q = read_questionnaire(save(wb, tmp_path / "q.xlsx"))
    assert (q.sheets[0].header_row, dict(q.sheets[0].columns)) == (
        1, {"id": "A", "question": "B", "short": "C", "answer": "D", "evidence": "E"})
    assert [(r.row, r.question_id) for r in q.rows] == [(3, "V-1")]


def test_error_values_are_not_questions(tmp_path: Path) -> None:
    from questionnaire_fixtures import rewrite_part, sheet_part

    wb = Workbook()
    ws = wb.active
    ws.title = "Q"
    ws.append(["Question", "Answer"])
    ws.append(["Do you encrypt data?", None])
    ws.append(["placeholder", None])
    path = save(wb, tmp_path / "q.xlsx")
    rewrite_part(path, sheet_part(path, "Q"), lambda xml: xml.replace(
        '<c r="A3" t="inlineStr"><is><t>placeholder</t></is></c>',
        '<c r="A3" t="e"><f>VLOOKUP(A9,Z:Z,2,0)</f><v>#REF!</v></c>'))
    q = read_questionnaire(path)
    assert [r.question for r in q.rows] == ["Do you encrypt data?"]


def test_a_header_may_name_standards_with_numbers(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["Ref", "Question", "Answer", "SOC 2", "ISO 27001"])
    ws.append(["R1", "Do you review firewall rules?", None, "CC6.6", "A.13.1"])
    q = read_questionnaire(save(wb, tmp_path / "q.xlsx"))
    assert (q.sheets[0].header_row, dict(q.sheets[0].columns)) == (
        1, {"id": "A", "question": "B", "answer": "C"})
