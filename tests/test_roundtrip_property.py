"""Property: whatever text a customer's cells and a library's answers hold, answer -> write
-> reread finds every written value intact, every other cell unchanged, and no formula."""

from __future__ import annotations

import json
from datetime import date

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from qfill.answering import answer_questionnaire
from qfill.library import load_library
from qfill.settings import Settings
from qfill.sheets.cell_text import decode_cell_text
from qfill.sheets.reader import read_questionnaire
from qfill.sheets.writer import check_filled, write_filled

# Text as people paste it: any printable Unicode, plus formula triggers, markup, control
# characters and Excel's own _xHHHH_ escape syntax.
_pieces = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=20) \
    | st.sampled_from(["=", "+", "-", "@", "\t", "\r", "\n", "\x0b", "\x1b", "<b>", "&amp;",
                       "_x0041_", '"', "=SUM(A1:A9)", "  "])
cell_text = st.lists(_pieces, min_size=1, max_size=12).map("".join).filter(
    lambda t: t.strip() != "")
# openpyxl cannot put control characters into a customer's workbook; qfill's writer can.
customer_text = cell_text.filter(lambda t: not ILLEGAL_CHARACTERS_RE.search(t))


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(answer_text=cell_text, other_texts=st.lists(customer_text, min_size=1, max_size=4))
def test_written_values_round_trip_as_text(tmp_path_factory, answer_text: str,
                                           other_texts: list[str]) -> None:
    root = tmp_path_factory.mktemp("case")
    library = root / "library"
    (library / "answers").mkdir(parents=True)
    (library / "answers" / "a.yaml").write_text(
        "answers:\n  - id: the-answer\n    question: Is customer data encrypted at rest?\n"
        f"    answer: {json.dumps(answer_text, ensure_ascii=False)}\n"
        "    refs: {custom: [Q-1]}\n", encoding="utf-8")
    source = root / "q.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.title = "Sec"
    ws.append(["ID", "Question", "Answer", "Notes"])
    ws.append(["Q-1", "Is customer data encrypted at rest?", None, None])
    for i, text in enumerate(other_texts):
        ws.append([f"Q-{i + 2}", f"Do you run unrelated control {i}?", None, None])
        ws.cell(i + 3, 4).value = text
        ws.cell(i + 3, 4).data_type = "s"  # the customer's text, even if it starts with "="
    wb.save(source)
    before = source.read_bytes()

    questionnaire = read_questionnaire(source)
    run = answer_questionnaire(questionnaire, load_library(library), Settings(),
                               today=date(2026, 11, 29))
    target = root / "q.filled.xlsx"
    write_filled(source, target, run.plan, file_format=questionnaire.format)
    check_filled(source, target, run.plan, file_format=questionnaire.format)

    assert source.read_bytes() == before
    written = {w.ref: w.value for w in run.plan.writes}
    assert written.get("C2") == answer_text
    out = openpyxl.load_workbook(target)["Sec"]
    for row in out.iter_rows():
        for cell in row:
            assert cell.data_type != "f", (cell.coordinate, cell.value)
    assert decode_cell_text(out["C2"].value) == answer_text
    original = openpyxl.load_workbook(source)["Sec"]
    for i in range(len(other_texts)):  # as openpyxl stored them (it turns \r into \n)
        assert out[f"D{i + 3}"].value == original[f"D{i + 3}"].value
