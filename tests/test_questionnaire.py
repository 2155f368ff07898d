"""Reading questionnaires built in the test: SIG-style, bespoke layouts, x14, CSV, .xlsm, --map."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook
from questionnaire_fixtures import (
    build_bespoke,
    build_sig,
    build_simple,
    build_x14,
    list_validation,
    make_xlsm,
)

from qfill.errors import InputError, UsageError
from qfill.questionnaire import ColumnMapping, FileFormat, Questionnaire, QuestionRow
from qfill.sheets.mapping import parse_column_mapping
from qfill.sheets.reader import output_suffix, read_questionnaire


def targets(row: QuestionRow) -> list[tuple[str, str, tuple[str, ...], bool]]:
    return [(t.role, t.ref, t.choices, t.writable) for t in row.targets]


def by_sheet(q: Questionnaire) -> dict[str, tuple[str, str | None]]:
    return {s.sheet: (s.status, s.reason) for s in q.sheets}


# --------------------------------------------------------------------------- SIG-style


def test_sig_style_workbook_reads_domain_sheets_and_skips_dashboard_glossary_lists(
        tmp_path: Path) -> None:
    q = read_questionnaire(build_sig(tmp_path / "sig.xlsx"))
    assert q.template == "SIG"
    assert by_sheet(q) == {
        "Dashboard": ("skipped", "scoring or report sheet: no question table"),
        "Glossary": ("skipped", "lookup or reference sheet: no question table"),
        "A. Risk Management": ("questions", None),
        "B. Security Policy": ("questions", None),
        "Lists": ("skipped", "hidden sheet; use --include-hidden to read it"),
    }
    layout = q.sheets[2]
    assert (layout.template, layout.header_row, dict(layout.columns), layout.question_rows) == (
        "SIG", 4, {"id": "A", "question": "B", "response": "C", "details": "D"}, 4)
    assert [(r.sheet, r.row, r.question_id, r.section) for r in q.rows] == [
        ("A. Risk Management", 5, "A.1", "A. Risk Management"),
        ("A. Risk Management", 7, "A.2(a)", "A. Risk Management"),
        ("A. Risk Management", 8, "A.2(b)", "A. Risk Management"),
        ("A. Risk Management", 9, "A.3", "A. Risk Management"),
        ("B. Security Policy", 5, "B.1", "B. Security Policy"),
        ("B. Security Policy", 6, "B.2", "B. Security Policy"),
        ("B. Security Policy", 7, "B.3", "B. Security Policy"),
    ]


def test_sig_response_dropdown_comes_from_a_named_range_on_a_hidden_sheet(
        tmp_path: Path) -> None:
    q = read_questionnaire(build_sig(tmp_path / "sig.xlsx"))
    first = q.rows[0]
    assert targets(first) == [("short", "C5", ("Yes", "No", "N/A"), True),
                              ("answer", "D5", (), True)]
    # The free-text question has no dropdown: the Response cell takes the answer and the
    # Additional Information cell the evidence.
    last = q.rows[-1]
    assert last.question == "Provide the date of the last policy review."
    assert targets(last) == [("answer", "C7", (), True), ("evidence", "D7", (), True)]


def test_sub_items_join_their_parent_and_the_lead_in_is_not_a_question(tmp_path: Path) -> None:
    q = read_questionnaire(build_sig(tmp_path / "sig.xlsx"))
    questions = {r.question_id: r.question for r in q.rows}
    assert "A.2" not in questions
    assert questions["A.2(a)"] == ("Does the risk assessment program include: Identification "
                                   "of threats and vulnerabilities?")
    assert questions["A.2(b)"] == ("Does the risk assessment program include: A risk rating "
                                   "for each identified risk?")


# --------------------------------------------------------------------------- bespoke


def test_bespoke_two_row_header_and_merged_section_titles(tmp_path: Path) -> None:
    q = read_questionnaire(build_bespoke(tmp_path / "review.xlsx"))
    assert q.template is None
    layout = q.sheets[0]
    assert (layout.sheet, layout.status, layout.header_row) == ("Vendor Review", "questions", 4)
    # "Supplier response" spans C:E over "Yes/No/N/A | Details | Evidence";
    # "Reviewer notes" is not the vendor's to fill.
    assert dict(layout.columns) == {"id": "A", "question": "B", "short": "C", "answer": "D",
                                    "evidence": "E"}
    rows = [(r.row, r.question_id, r.question, r.section) for r in q.rows]
    assert rows[:4] == [
        (7, "AC-1", "Is multi-factor authentication enforced for all staff?",
         "Section 1 - Access control"),
        (8, "AC-2", "Are access rights reviewed every quarter?", "Section 1 - Access control"),
        (9, "AC-3", "Is single sign-on supported?", "Section 1 - Access control"),
        (11, "DP-1", "Is customer data encrypted at rest?", "Section 2 - Data protection"),
    ]
    assert rows[4][:2] == (12, "DP-2")  # its answer is a formula: held for review
    assert rows[5] == (
        13, "DP-3", "Do you delete customer data within 30 days of contract end?",
        "Section 2 - Data protection")
    assert targets(q.rows[0]) == [
        ("short", "C7", ("Yes", "No", "Not Applicable"), True),
        ("answer", "D7", (), True), ("evidence", "E7", (), True)]


def test_bespoke_answered_cells_are_kept_but_not_writable(tmp_path: Path) -> None:
    q = read_questionnaire(build_bespoke(tmp_path / "review.xlsx"))
    sso = next(r for r in q.rows if r.question_id == "AC-3")
    short = sso.target("short")
    assert short is not None and (short.current, short.writable) == ("Yes", False)
    assert sso.already_answered


def test_a_row_whose_answer_cell_is_a_formula_is_held_never_writable(tmp_path: Path) -> None:
    q = read_questionnaire(build_bespoke(tmp_path / "review.xlsx"))
    [computed] = [r for r in q.rows if r.row == 12]
    assert (computed.question_id, computed.formula_cell) == ("DP-2", "C12")
    short = computed.target("short")
    assert short is not None and short.formula and not short.writable
    assert all(r.formula_cell is None for r in q.rows if r.row != 12)


def test_second_question_block_on_the_same_sheet(tmp_path: Path) -> None:
    q = read_questionnaire(build_bespoke(tmp_path / "review.xlsx"))
    lower = [r for r in q.rows if r.row > 15]
    assert [(r.row, r.question_id, r.question) for r in lower] == [
        (17, "1", "Describe your incident response process."),
        (18, "2", "How quickly do you notify customers of a breach?")]
    assert targets(lower[0]) == [("answer", "C17", (), True), ("evidence", "D17", (), True)]


def test_no_header_id_or_question_cell_is_ever_a_target(tmp_path: Path) -> None:
    q = read_questionnaire(build_bespoke(tmp_path / "review.xlsx"))
    for row in q.rows:
        for target in row.targets:
            assert target.ref[0] not in ("A", "B", "F")
            assert int(target.ref[1:]) not in (1, 2, 4, 5, 6, 10, 16)


def test_hidden_sheets_are_skipped_unless_included(tmp_path: Path) -> None:
    path = build_bespoke(tmp_path / "review.xlsx")
    default = read_questionnaire(path)
    assert by_sheet(default)["Internal"] == (
        "skipped", "hidden sheet; use --include-hidden to read it")
    assert "Internal" not in {r.sheet for r in default.rows}
    included = read_questionnaire(path, include_hidden=True)
    internal = next(s for s in included.sheets if s.sheet == "Internal")
    assert (internal.status, internal.hidden, internal.question_rows) == ("questions", True, 1)
    assert [r.question_id for r in included.rows if r.sheet == "Internal"] == ["X-1"]


def test_sheet_selection_reads_only_the_named_sheets(tmp_path: Path) -> None:
    path = build_sig(tmp_path / "sig.xlsx")
    q = read_questionnaire(path, sheets=["b. security policy"])
    assert {r.sheet for r in q.rows} == {"B. Security Policy"}
    assert by_sheet(q)["A. Risk Management"] == ("skipped", "not selected by --sheet")
    with pytest.raises(UsageError, match=r"no sheet named 'C\. Nothing'; the sheets are: "
                                         r"Dashboard, Glossary"):
        read_questionnaire(path, sheets=["C. Nothing"])


def test_a_selected_hidden_sheet_is_read(tmp_path: Path) -> None:
    q = read_questionnaire(build_bespoke(tmp_path / "review.xlsx"), sheets=["Internal"])
    assert [r.question_id for r in q.rows] == ["X-1"]


# --------------------------------------------------------------------------- ids and dropdowns


@pytest.mark.parametrize(("text", "question_id", "question"), [
    ("A.1.2 Do you have a policy?", "A.1.2", "Do you have a policy?"),
    ("IAM-14.1 Is MFA enforced?", "IAM-14.1", "Is MFA enforced?"),
    ("3) Are backups encrypted?", "3", "Are backups encrypted?"),
    ("1.4. Describe your SDLC.", "1.4", "Describe your SDLC."),
    ("2FA is required for admins?", None, "2FA is required for admins?"),
    ("AES-256 encryption is used at rest?", None, "AES-256 encryption is used at rest?"),
    ("24 hour support available?", None, "24 hour support available?"),
])
def test_question_id_at_the_start_of_the_question_text(
        tmp_path: Path, text: str, question_id: str | None, question: str) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["Question", "Answer"])
    ws.append([text, None])
    wb.save(tmp_path / "q.xlsx")
    row = read_questionnaire(tmp_path / "q.xlsx").rows[0]
    assert (row.question_id, row.question, row.question_ref) == (question_id, question, "A2")


def test_x14_dropdown_with_its_list_on_another_sheet(tmp_path: Path) -> None:
    q = read_questionnaire(build_x14(tmp_path / "x14.xlsx"))
    assert [targets(r) for r in q.rows] == [
        [("short", "C2", ("Y", "N", "Not Applicable"), True), ("answer", "D2", (), True)],
        [("short", "C3", ("Y", "N", "Not Applicable"), True), ("answer", "D3", (), True)],
        [("answer", "C4", (), True), ("evidence", "D4", (), True)],
    ]


def test_a_dropdown_whose_list_cannot_be_read_is_never_writable(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["Question", "Yes/No"])
    ws.append(["Do you encrypt data?", None])
    list_validation(ws, 'INDIRECT("choices")', "B2")
    wb.save(tmp_path / "q.xlsx")
    target = read_questionnaire(tmp_path / "q.xlsx").rows[0].targets[0]
    assert (target.role, target.restricted, target.writable) == ("short", True, False)


def test_merged_cells_are_not_targets(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["ID", "Question", "Answer", "Comments"])
    ws.append(["Q1", "Describe your SDLC.", None, None])
    ws.merge_cells("C2:D2")
    ws.append(["Q2", "Describe your patching.", None, None])
    wb.save(tmp_path / "q.xlsx")
    q = read_questionnaire(tmp_path / "q.xlsx")
    assert [targets(r) for r in q.rows] == [
        [("answer", "C2", (), True)],
        [("answer", "C3", (), True), ("evidence", "D3", (), True)]]


# --------------------------------------------------------------------------- formats


def test_xlsm_is_read_and_reported_as_macro_enabled(tmp_path: Path) -> None:
    q = read_questionnaire(make_xlsm(tmp_path / "q.xlsm"))
    assert (q.format, len(q.rows)) == (FileFormat.XLSM, 3)


def test_format_comes_from_the_content_and_names_the_copy_by_its_value(tmp_path: Path) -> None:
    renamed = tmp_path / "q.csv"  # a macro-enabled workbook sent under a CSV name
    renamed.write_bytes(make_xlsm(tmp_path / "q.xlsm").read_bytes())
    q = read_questionnaire(renamed)
    assert q.format is FileFormat.XLSM
    assert (str(q.format), f"{q.format}") == ("xlsm", "xlsm")
    assert output_suffix(renamed, q.format) == ".xlsm"
    # a name that already says what the content is keeps its own spelling
    assert output_suffix(tmp_path / "Q.XLTM", FileFormat.XLSM) == ".xltm"
    assert output_suffix(tmp_path / "q.tsv", FileFormat.CSV) == ".tsv"
    assert output_suffix(tmp_path / "q.xlsm", FileFormat.XLSX) == ".xlsx"


def test_csv_without_answer_column_gets_appended_answer_and_short(tmp_path: Path) -> None:
    path = tmp_path / "q.csv"
    path.write_text("id,question,section\nQ-1,Do you encrypt data at rest?,Crypto\n"
                    "Q-2,\"Describe your key management, briefly.\",Crypto\n", encoding="utf-8")
    q = read_questionnaire(path)
    assert (q.format, q.append_columns) == (FileFormat.CSV, ("Answer", "Short"))
    assert q.sheets[0].columns == {"id": "A", "question": "B", "section": "C", "short": "E",
                                   "answer": "D"}
    assert [(r.sheet, r.row, r.question_id, r.section, targets(r)) for r in q.rows] == [
        ("q", 2, "Q-1", "Crypto", [("short", "E2", (), True), ("answer", "D2", (), True)]),
        ("q", 3, "Q-2", "Crypto", [("short", "E3", (), True), ("answer", "D3", (), True)])]


def test_csv_with_answer_column_uses_it(tmp_path: Path) -> None:
    path = tmp_path / "q.csv"
    path.write_bytes("Ref;Question;Answer;Comments\r\n1;Do you log access?;Yes;\r\n"
                     "2;Do you review logs?;;\r\n".encode("cp1252"))
    q = read_questionnaire(path)
    assert q.append_columns == ()
    assert [(r.question_id, targets(r)) for r in q.rows] == [
        ("1", [("answer", "C2", (), False), ("evidence", "D2", (), True)]),
        ("2", [("answer", "C3", (), True), ("evidence", "D3", (), True)])]


def test_csv_with_only_a_header_has_no_question_rows(tmp_path: Path) -> None:
    path = tmp_path / "q.csv"
    path.write_text("id,question\n", encoding="utf-8")
    with pytest.raises(InputError, match="no question rows found in any sheet; use `qfill "
                                         "inspect` and --map"):
        read_questionnaire(path)


# --------------------------------------------------------------------------- --map


def test_map_overrides_detected_columns(tmp_path: Path) -> None:
    path = build_simple(tmp_path / "q.xlsx")
    mapping = parse_column_mapping("question=B,answer=D,id=A")
    q = read_questionnaire(path, mapping=mapping)
    assert q.sheets[0].columns == {"id": "A", "question": "B", "answer": "D"}
    assert q.sheets[0].reason == "columns from --map"
    assert targets(q.rows[0]) == [("answer", "D2", (), True)]


def test_map_finds_questions_detection_missed(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["Topic", "Text", "Reply"])  # no label qfill recognises
    ws.append(["Crypto", "Keys are rotated yearly", None])
    ws.append(["Access", "Admins use hardware keys", None])
    wb.save(tmp_path / "q.xlsx")
    with pytest.raises(InputError, match="no question rows"):
        read_questionnaire(tmp_path / "q.xlsx")
    q = read_questionnaire(tmp_path / "q.xlsx", mapping=ColumnMapping(
        {"question": "B", "answer": "C", "section": "A"}, header_row=1))
    assert [(r.row, r.question, r.section, targets(r)) for r in q.rows] == [
        (2, "Keys are rotated yearly", "Crypto", [("answer", "C2", (), True)]),
        (3, "Admins use hardware keys", "Access", [("answer", "C3", (), True)])]


def test_map_yes_no_na_marks(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["Q", "Question", "Y", "N", "NA"])
    ws.append(["1", "Do you scan for vulnerabilities?", None, None, None])
    wb.save(tmp_path / "q.xlsx")
    q = read_questionnaire(tmp_path / "q.xlsx", mapping=parse_column_mapping(
        "question=B,yes=C,no=D,na=E,header=1"))
    assert [(t.role, t.ref, t.mark) for t in q.rows[0].targets] == [
        ("mark", "C2", "Yes"), ("mark", "D2", "No"), ("mark", "E2", "N/A")]


@pytest.mark.parametrize(("spec", "expected"), [
    ("question=C,answer=E,short=D,id=A,evidence=F,header=4",
     ({"question": "C", "answer": "E", "short": "D", "id": "A", "evidence": "F"}, 4)),
    (" Question = c , answer=e ", ({"question": "C", "answer": "E"}, None)),
    ("yes=F,no=G,na=H,answer=I", ({"mark:Yes": "F", "mark:No": "G", "mark:N/A": "H",
                                   "answer": "I"}, None)),
])
def test_parse_column_mapping(spec: str, expected: tuple[dict[str, str], int | None]) -> None:
    mapping = parse_column_mapping(spec)
    assert (dict(mapping.columns), mapping.header_row) == expected


def test_parse_column_mapping_from_yaml_file(tmp_path: Path) -> None:
    path = tmp_path / "map.yaml"
    path.write_text("question: C\nanswer: E\nyes: F\nno: G\nheader: 4\n", encoding="utf-8")
    mapping = parse_column_mapping(str(path))
    assert (dict(mapping.columns), mapping.header_row) == (
        {"question": "C", "answer": "E", "mark:Yes": "F", "mark:No": "G"}, 4)


@pytest.mark.parametrize(("spec", "message"), [
    ("qestion=C", "--map 'qestion=C': unknown key 'qestion' (did you mean 'question'?)"),
    ("question=C,answer", "--map 'question=C,answer': 'answer' is not key=value"),
    ("question=3", "'question=3' is not a column letter"),
    ("question=C,question=D", "'question' is given twice"),
    ("question=C,answer=C", "column C is given two roles"),
    ("answer=E,short=E", "column E is given two roles"),
    ("header=zero,question=B", "header=zero is not a row number"),
    ("", "empty column mapping"),
])
def test_parse_column_mapping_rejects_bad_specs(spec: str, message: str) -> None:
    with pytest.raises(UsageError, match=message.replace("(", r"\(").replace(")", r"\)")
                       .replace("?", r"\?")):
        parse_column_mapping(spec)


def test_parse_column_mapping_rejects_a_bad_yaml_file(tmp_path: Path) -> None:
    path = tmp_path / "map.yml"
    path.write_text("- question\n- C\n", encoding="utf-8")
    with pytest.raises(UsageError, match="must be a YAML mapping"):
        parse_column_mapping(str(path))
    with pytest.raises(UsageError, match="no such mapping file"):
        parse_column_mapping(str(tmp_path / "missing.yaml"))


def test_an_empty_yes_no_column_after_the_last_filled_one_keeps_its_dropdown(
        tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["Question"])  # the answer columns have no header and no values at all
    ws.append(["Do you encrypt data at rest?"])
    list_validation(ws, '"Y,N"', "B2:B50")
    wb.save(tmp_path / "q.xlsx")
    q = read_questionnaire(tmp_path / "q.xlsx", mapping=parse_column_mapping("question=A,short=B"))
    assert targets(q.rows[0]) == [("short", "B2", ("Y", "N"), True)]


def test_csv_in_utf16_with_a_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "q.csv"
    path.write_bytes("\ufeffquestion\tanswer\r\nDo you encrypt data at rest?\t\r\n"
                     .encode("utf-16-le"))
    q = read_questionnaire(path)
    assert [(r.question, targets(r)) for r in q.rows] == [
        ("Do you encrypt data at rest?", [("answer", "B2", (), True)])]
