"""The real published questionnaires in ../shared/questionnaires (read there, never copied).

Counts are the README's: CAIQ v4 261, CAIQ v3 295, HECVAT 4 331 questions on its response
sheets (332 ids, AILM-07 only on the hidden Questions sheet), HECVAT 3 253 "ID rows".
HECVAT 3 reads 257: its four Incident Handling questions (IH-01..IH-04) have two-letter
ids that the README's count leaves out; DATE-01 (the completion date, an input with an
id) is counted, as the README does.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from questionnaire_fixtures import (
    CAIQ3,
    CAIQ4,
    EXPECTED,
    HECVAT3,
    HECVAT4,
    WHITEPACT,
    Answered,
)

from qfill.questionnaire import Questionnaire
from qfill.sheets.reader import read_questionnaire

_cache: dict[str, Questionnaire] = {}


def read(shared: Path, relative: str, **options: object) -> Questionnaire:
    key = relative + repr(sorted(options.items()))
    if key not in _cache:
        _cache[key] = read_questionnaire(shared / relative, **options)  # type: ignore[arg-type]
    return _cache[key]


def derived(shared: Path, name: str) -> dict[str, dict[str, str]]:
    with (shared / name).open(newline="", encoding="utf-8") as handle:
        return {row["id"]: row for row in csv.DictReader(handle)}


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_counts_sheets_and_columns_match_the_readme(shared_questionnaires: Path,
                                                    case: str) -> None:
    expected = EXPECTED[case]
    q = read(shared_questionnaires, expected.path)
    assert q.template == expected.template
    assert abs(len(q.rows) - expected.readme_count) <= 0.02 * expected.readme_count
    found = {s.sheet: s.question_rows for s in q.sheets if s.status == "questions"}
    assert found == expected.sheets
    first = next(s for s in q.sheets if s.status == "questions")
    assert (first.template, dict(first.columns)) == (expected.template, expected.columns)
    assert Counter(r.sheet for r in q.rows) == Counter(expected.sheets)


def test_caiq4_questions_ids_and_domains_match_the_published_data(
        shared_questionnaires: Path) -> None:
    q = read(shared_questionnaires, CAIQ4)
    data = derived(shared_questionnaires, "csa-caiq/caiq_v4.0.3_questions.csv")
    assert [r.question_id for r in q.rows] == list(data)
    for row in q.rows:
        published = data[row.question_id or ""]
        assert (row.question, row.section, row.row, row.question_ref) == (
            published["question"], published["section"], int(published["xlsx_row"]),
            f"B{published['xlsx_row']}")
        assert [(t.role, t.ref, t.choices, t.writable) for t in row.targets] == [
            ("short", f"C{row.row}", ("Yes", "No", "NA"), True),
            ("answer", f"E{row.row}", (), True)]


def test_caiq4_skips_its_introduction(shared_questionnaires: Path) -> None:
    q = read(shared_questionnaires, CAIQ4)
    assert next((s.sheet, s.status, s.reason) for s in q.sheets) == (
        "Introduction", "skipped", "cover or instructions sheet: no question table")


def test_whitepact_completed_caiq_has_no_writable_target(shared_questionnaires: Path) -> None:
    q = read(shared_questionnaires, WHITEPACT)
    assert len(q.rows) == 261
    assert all(r.already_answered for r in q.rows)
    assert not [t.ref for r in q.rows for t in r.targets if t.writable]
    shorts = Counter(r.target("short").current for r in q.rows)  # type: ignore[union-attr]
    assert shorts == {"Yes": 107, "No": 122, "NA": 32}


def test_caiq3_answers_by_marking_one_of_three_columns(shared_questionnaires: Path) -> None:
    q = read(shared_questionnaires, CAIQ3)
    data = derived(shared_questionnaires, "csa-caiq/caiq_v3.0.1_questions.csv")
    assert [r.question_id for r in q.rows] == list(data)
    assert "AIS- 02.2" in {r.question_id for r in q.rows}  # kept verbatim
    for row in q.rows:
        published = data[row.question_id or ""]
        assert (row.question, row.section, row.row) == (
            published["question"], published["section"], int(published["xlsx_row"]))
        assert [(t.role, t.ref, t.mark, t.writable) for t in row.targets] == [
            ("answer", f"I{row.row}", None, True), ("mark", f"F{row.row}", "Yes", True),
            ("mark", f"G{row.row}", "No", True), ("mark", f"H{row.row}", "N/A", True)]


def test_hecvat4_lists_each_question_once_with_its_own_answer_cell(
        shared_questionnaires: Path) -> None:
    q = read(shared_questionnaires, HECVAT4)
    data = derived(shared_questionnaires, "hecvat/hecvat_v4.1.4_questions.csv")
    ids = [r.question_id for r in q.rows]
    assert len(ids) == len(set(ids)) == 331
    assert set(data) - set(ids) == {"AILM-07"}  # only on the hidden Questions sheet
    for row in q.rows:
        published = data[row.question_id or ""]
        main = row.target("short") or row.target("answer")
        assert main is not None
        assert f"'{row.sheet}'!{main.ref}" == published["answer_cells"]
        assert (row.question, row.section) == (published["question"], published["section"])
    # The START HERE general rows are repeated on every response sheet as formulas.
    assert {r.sheet for r in q.rows if (r.question_id or "").startswith("GNRL")} == {
        "START HERE"}


def test_hecvat4_dropdowns_come_from_x14_validations(shared_questionnaires: Path) -> None:
    q = read(shared_questionnaires, HECVAT4)
    rows = {r.question_id: r for r in q.rows}
    docu = rows["DOCU-01"]  # 'Auto Responses'!$J$3:$J$4
    assert [(t.role, t.ref, t.choices) for t in docu.targets] == [
        ("short", "C22", ("Yes", "No")), ("answer", "D22", ())]
    thrd = rows["THRD-01"]  # 'Auto Responses'!$J$3:$J$5
    assert [(t.role, t.ref, t.choices) for t in thrd.targets] == [
        ("short", "C30", ("Yes", "No", "N/A")), ("answer", "D30", ())]
    choices = Counter(r.target("short").choices for r in q.rows  # type: ignore[union-attr]
                      if r.target("short"))
    assert choices[("Yes", "No")] == 254 and choices[("Yes", "No", "N/A")] == 48
    # A free-text row: the narrative goes into C, the evidence beside it.
    comp = rows["COMP-02"]
    assert [(t.role, t.ref) for t in comp.targets] == [("answer", "C24"), ("evidence", "D24")]
    chng = rows["CHNG-01"]
    assert next((t.role, t.ref) for t in chng.targets) == ("short", "C36")


def test_hecvat4_skips_evaluation_and_hidden_sheets_with_reasons(
        shared_questionnaires: Path) -> None:
    q = read(shared_questionnaires, HECVAT4)
    skipped = {s.sheet: s.reason for s in q.sheets if s.status == "skipped"}
    assert skipped == {
        "Institution Evaluation": "every answer cell is a formula (it copies answers from "
                                  "elsewhere); nothing to answer here",
        "High-Risk Evaluation": "scoring or report sheet: no question table",
        "Privacy Analyst Evaluation": "every answer cell is a formula (it copies answers from "
                                      "elsewhere); nothing to answer here",
        "Analyst Reference": "scoring or report sheet: no question table",
        "Questions": "hidden sheet; use --include-hidden to read it",
        "Auto Responses": "hidden sheet; use --include-hidden to read it",
        "(backend scoring)": "hidden sheet; use --include-hidden to read it",
    }


def test_hecvat4_with_hidden_sheets_still_lists_each_question_once(
        shared_questionnaires: Path) -> None:
    q = read(shared_questionnaires, HECVAT4, include_hidden=True)
    assert len(q.rows) == 331
    hidden = [(s.sheet, s.status, s.hidden) for s in q.sheets if s.hidden]
    assert hidden == [("Questions", "skipped", True), ("Auto Responses", "skipped", True),
                      ("(backend scoring)", "skipped", True)]


def test_hecvat3_answer_cells_answers_and_dropdowns(shared_questionnaires: Path) -> None:
    q = read(shared_questionnaires, HECVAT3)
    data = derived(shared_questionnaires, "hecvat/hecvat_v3.00_full_opendsa_answers.csv")
    rows = {r.question_id: r for r in q.rows}
    assert set(rows) - set(data) == {"IH-01", "IH-02", "IH-03", "IH-04"}
    assert set(data) <= set(rows)
    for qid, published in data.items():
        row = rows[qid]
        main = row.target("short") or row.target("answer")
        assert main is not None
        assert f"'{row.sheet}'!{main.ref}" == published["answer_cell"]
        assert row.question == published["question"]
        assert (main.current is not None) == bool(published["answer"])
    mains = [r.target("short") or r.target("answer") for r in q.rows]
    assert sum(1 for t in mains if t is not None and t.current) == 180  # 176 + 4 IH rows
    # Ordinary validations through named ranges, and x14 ones with lists on a hidden sheet.
    assert rows["QUAL-01"].targets[0].choices == ("Yes", "No")  # named range "yes"
    assert rows["DCTR-13"].targets[0].choices == ("Tier I", "Tier II", "Tier III", "Tier IV",
                                                  "N/A")  # named range "uptime"
    assert rows["QUAL-07"].targets[0].choices[0] == "1) Self owned and managed"  # x14
    assert rows["DCTR-07"].targets[0].choices == (  # x14, Values!$A$15:$A$19
        "Exclusive VLAN", "Shared VLAN", "Physically Separate", "Flat Shared Network", "Other")


# --------------------------------------------------------------------------- never writable


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_formula_header_id_and_question_cells_are_never_writable_targets(
        shared_questionnaires: Path, case: str) -> None:
    expected = EXPECTED[case]
    q = read(shared_questionnaires, expected.path)
    filled = _filled_cells(shared_questionnaires / expected.path, set(expected.sheets))
    for row in q.rows:
        layout = next(s for s in q.sheets if s.sheet == row.sheet)
        protected = {layout.columns.get("id"), layout.columns.get("question"),
                     layout.columns.get("section")}
        for target in row.targets:
            column = target.ref.rstrip("0123456789")
            assert column not in protected, (row.sheet, target.ref)
            if target.writable:
                # Empty per openpyxl too: not a formula, a header label or an id.
                assert (row.sheet, target.ref) not in filled, (row.sheet, target.ref)
            if filled.get((row.sheet, target.ref)):
                assert target.formula and not target.writable
        assert row.row != layout.header_row


def _filled_cells(path: Path, sheets: set[str]) -> dict[tuple[str, str], bool]:
    """(sheet, ref) -> is_formula, for every non-empty cell of the question sheets."""
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        found: dict[tuple[str, str], bool] = {}
        for name in sheets:
            sheet = wb[name]
            sheet.reset_dimensions()  # read-only mode trusts <dimension>, which may be short
            for row in sheet.iter_rows():
                for cell in row:
                    value = getattr(cell, "value", None)
                    if value is None or (isinstance(value, str) and not value.strip()):
                        continue
                    found[(name, cell.coordinate)] = isinstance(value, str) and \
                        value.startswith("=")
        return found
    finally:
        wb.close()


# --------------------------------------------------------------------------- CSV


CSVS = ["csa-caiq/caiq_v4.0.3_questions.csv", "csa-caiq/caiq_v3.0.1_questions.csv",
        "csa-caiq/aicm-caiq_v1.1.0_questions.csv", "hecvat/hecvat_v4.1.4_questions.csv",
        "google-vsaq/infrastructure_questions.csv",
        "google-vsaq/physical_and_datacenter_questions.csv",
        "google-vsaq/security_privacy_programs_questions.csv",
        "google-vsaq/webapp_questions.csv", "mvsp/mvsp_v3.0_controls.csv"]


@pytest.mark.parametrize("name", CSVS)
def test_csv_questionnaires_find_every_question_and_append_answer_columns(
        shared_questionnaires: Path, name: str) -> None:
    q = read(shared_questionnaires, name)
    data = derived(shared_questionnaires, name)
    with_text = [qid for qid, row in data.items() if row["question"].strip()]
    assert [r.question_id for r in q.rows] == with_text
    assert q.append_columns == ("Answer", "Short")
    layout = q.sheets[0]
    width = len(next(iter(data.values())))
    answer, short = openpyxl.utils.get_column_letter(width + 1), \
        openpyxl.utils.get_column_letter(width + 2)
    assert dict(layout.columns) == {"id": "A", "question": "B", "section": "C", "short": short,
                                    "answer": answer}
    first = q.rows[0]
    assert [(t.role, t.ref, t.writable) for t in first.targets] == [
        ("short", f"{short}{first.row}", True), ("answer", f"{answer}{first.row}", True)]


def test_csv_with_answers_reads_them_as_current_values(shared_questionnaires: Path) -> None:
    q = read(shared_questionnaires, "hecvat/hecvat_v3.00_full_opendsa_answers.csv")
    assert q.append_columns == ()
    assert dict(q.sheets[0].columns) == {"id": "A", "question": "B", "section": "C",
                                         "answer": "D", "evidence": "E"}
    assert len(q.rows) == 253
    assert sum(1 for r in q.rows if r.already_answered) == 176


# --------------------------------------------------------------------------- qfill answer


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_answer_writes_only_writable_targets_and_dropdown_values(
        shared_questionnaires: Path, case: str, answered_real: Callable[[str], Answered]
) -> None:
    expected = EXPECTED[case]
    source = shared_questionnaires / expected.path
    q = read(shared_questionnaires, expected.path)
    run = answered_real(case)
    assert run.exit_code == 0, run.output
    out = run.filled
    targets = {(r.sheet, t.ref): t for r in q.rows for t in r.targets}
    before = _values(source, set(expected.sheets))
    after = _values(out, set(expected.sheets))
    changed = {key: value for key, value in after.items() if before.get(key) != value}
    assert changed or case == "whitepact"
    for key, value in changed.items():
        target = targets.get(key)
        assert target is not None and target.writable, (key, value)
        if target.choices:
            assert value in target.choices, (key, value, target.choices)
    assert not [key for key in before if key not in after]  # nothing was cleared


def _values(path: Path, sheets: set[str]) -> dict[tuple[str, str], object]:
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        for name in sheets:
            wb[name].reset_dimensions()  # read-only mode trusts <dimension>, which may be short
        return {(name, cell.coordinate): cell.value for name in sheets
                for row in wb[name].iter_rows() for cell in row
                if getattr(cell, "value", None) is not None}
    finally:
        wb.close()


def test_map_of_answer_columns_keeps_the_detected_question_and_id(
        shared_questionnaires: Path) -> None:
    # A --map turns templates off: the question, id and section columns come from generic
    # detection, which reads CAIQ v3's three-row header as the template does.
    from qfill.sheets.mapping import parse_column_mapping

    q = read(shared_questionnaires, CAIQ3,
             mapping=parse_column_mapping("answer=I,yes=F,no=G,na=H"))
    layout = q.sheets[0]
    assert (layout.template, layout.header_row, layout.reason) == (None, 2, "columns from --map")
    assert dict(layout.columns) == {"id": "C", "question": "E", "section": "A", "answer": "I",
                                    "mark:Yes": "F", "mark:No": "G", "mark:N/A": "H"}
    assert len(q.rows) == 295
