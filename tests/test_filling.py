"""The plan of cell writes: which text goes into which cell, spelled as the cell accepts."""

from __future__ import annotations

from pathlib import Path

import pytest

from qfill.filling import fill_row, plan_fills, row_writes, spell_short
from qfill.library import Answer, Evidence, Library
from qfill.matching import Candidate, Match
from qfill.questionnaire import QuestionRow, TargetCell

ROOT = Path("library-root")
ANSWER = Answer(id="mfa", question="Is MFA required?", answer="=Yes, always.", short="Yes",
                evidence=(Evidence(path="evidence/p.md", title="Access policy"),
                          Evidence(url="https://trust.example/mfa")))


@pytest.mark.parametrize(("short", "choices", "expected"), [
    ("Yes", (), "Yes"),
    ("N/A", (), "N/A"),
    ("Yes", ("Y", "N"), "Y"),
    ("N/A", ("Yes", "No", "NA"), "NA"),
    ("N/A", ("Yes", "No", "Not Applicable"), "Not Applicable"),
    ("No", ("yes", "no"), "no"),
    ("Yes", ("Yes - see comments", "No - see comments"), "Yes - see comments"),
    ("No", ("1) Yes", "2) No", "3) N/A"), "2) No"),  # HECVAT 3 style enumerated lists
    ("N/A", ("Yes", "No"), None),  # the dropdown would reject it: never written
])
def test_spell_short_uses_the_dropdowns_own_spelling(short, choices, expected) -> None:
    assert spell_short(short, choices) == expected


def test_row_writes_fill_short_answer_and_evidence_cells_only_when_empty() -> None:
    row = QuestionRow("Sec", 7, "Is MFA required?", targets=(
        TargetCell("short", "C7", choices=("Y", "N")), TargetCell("answer", "D7"),
        TargetCell("evidence", "E7", current="customer note")))
    writes = row_writes(row, ANSWER, root=ROOT)
    assert [(w.ref, w.value, w.role) for w in writes] == [("C7", "Y", "short"),
                                                          ("D7", "=Yes, always.", "answer")]


def test_row_writes_marks_the_column_of_the_short_value() -> None:
    row = QuestionRow("CAIQ", 5, "Is MFA required?", targets=(
        TargetCell("mark", "F5", mark="Yes"), TargetCell("mark", "G5", mark="No"),
        TargetCell("mark", "H5", mark="N/A"), TargetCell("answer", "I5")))
    assert [(w.ref, w.value) for w in row_writes(row, ANSWER, root=ROOT)] == [
        ("F5", "X"), ("I5", "=Yes, always.")]


def test_evidence_cells_get_titles_and_links_never_library_paths() -> None:
    row = QuestionRow("S", 2, "Is MFA required?", targets=(TargetCell("answer", "B2"),
                                                           TargetCell("evidence", "C2")))
    assert row_writes(row, ANSWER, root=ROOT)[1].value == (
        "Access policy; https://trust.example/mfa")
    noted = row_writes(row, ANSWER, root=ROOT, local_note="available on request")
    assert noted[1].value == "Access policy (available on request); https://trust.example/mfa"


def test_formula_cells_and_dropdown_mismatch() -> None:
    row = QuestionRow("S", 2, "Is it?", targets=(
        TargetCell("short", "B2", choices=("Yes", "No")),
        TargetCell("answer", "C2", formula=True)))
    fill = fill_row(row, Answer("x", "q", "n/a here", short="N/A"), root=ROOT)
    assert fill.writes == ()
    assert str(fill.problems[0]).startswith("dropdown-mismatch: the list in S!B2 offers Yes, No")
    assert [w.ref for w in row_writes(row, ANSWER, root=ROOT)] == ["B2"]


def test_plan_writes_only_filled_rows_and_highlights_review_rows() -> None:
    library = Library(root=None, answers=(ANSWER,))  # type: ignore[arg-type]
    filled = QuestionRow("S", 2, "Is it?", targets=(TargetCell("answer", "C2"),))
    review = QuestionRow("S", 3, "q", targets=(TargetCell("answer", "C3"),))
    matches = [Match(filled, "filled", (Candidate("mfa", 0.97),)),
               Match(review, "review", (Candidate("mfa", 0.6),), ("low-score: x",))]
    plan = plan_fills(matches, library, highlight_review=True)
    assert [(w.sheet, w.ref) for w in plan.writes] == [("S", "C2")]
    assert plan.highlights == (("S", "C3"),)
    assert plan.cells_for("S", 2) == {"answer": "C2"}


def test_mark_cells_with_a_dropdown_take_its_own_value_or_nothing() -> None:
    row = QuestionRow("S", 5, "Is it?", targets=(
        TargetCell("mark", "F5", mark="Yes", choices=("x",)),))
    assert [(w.ref, w.value) for w in row_writes(row, ANSWER, root=ROOT)] == [("F5", "x")]
    row = QuestionRow("S", 5, "Is it?", targets=(TargetCell("mark", "F5", mark="Yes",
                                                            choices=("Done", "Open")),))
    assert row_writes(row, ANSWER, root=ROOT) == []
