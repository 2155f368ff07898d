"""Every real published questionnaire answered with the sample library: every written cell
is right, complete and in the form the row asks for (read from ../shared)."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from questionnaire_fixtures import EXPECTED, Answered

from qfill.filling import is_yes_no_cell
from qfill.questionform import classify_question
from qfill.questionnaire import QuestionRow
from qfill.sheets.reader import read_questionnaire

LIBRARY_PATH = re.compile(r"(?:^|[\s(;])evidence/\S+")


def _rows(run: Answered) -> dict[tuple[str, int], QuestionRow]:
    return _rows_of(run.source)


@functools.cache  # each questionnaire read once for the tests of this module
def _rows_of(source: Path) -> dict[tuple[str, int], QuestionRow]:
    return {(r.sheet, r.row): r for r in read_questionnaire(source).rows}


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_a_filled_row_leaves_no_cell_it_asks_for_empty(
        answered_real: Callable[[str], Answered], case: str) -> None:
    run = answered_real(case)
    assert run.exit_code == 0, run.output
    rows = _rows(run)
    for reported in run.report["rows"]:
        if reported["status"] != "filled":
            continue
        row = rows[(reported["sheet"], reported["row"])]
        written = set(reported["written"])
        short = row.target("short")
        if short is not None and short.writable:
            # A yes/no cell, or a list of other choices: either way it is asked for.
            assert short.ref in written, (case, reported["question_id"], short.ref)
        marks = [m for m in row.marks() if m.writable]
        if marks:
            assert written & {m.ref for m in marks}, (case, reported["question_id"])
        assert written, (case, reported["question_id"])


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_no_written_cell_holds_a_library_path(answered_real: Callable[[str], Answered],
                                              case: str) -> None:
    run = answered_real(case)
    for reported in run.report["rows"]:
        for ref, value in reported["written"].items():
            assert not LIBRARY_PATH.search(value), (case, reported["question_id"], ref, value)


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_a_yes_no_cell_is_written_only_for_a_yes_no_question(
        answered_real: Callable[[str], Answered], case: str) -> None:
    run = answered_real(case)
    rows = _rows(run)
    for reported in run.report["rows"]:
        row = rows[(reported["sheet"], reported["row"])]
        yes_no = {t.ref for t in row.targets if t.role in ("short", "mark")
                  and is_yes_no_cell(t)}
        if yes_no & set(reported["written"]):
            form = classify_question(row.question)
            assert form.kind in ("yes-no", "label"), (case, reported["question_id"],
                                                      row.question, form)
