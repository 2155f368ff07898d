"""The `answer` job as one pure pipeline: questionnaire + library -> matches -> plan.

Reading files and writing the output are at the edges (the CLI); everything that decides
which row gets which answer happens here, testable without a terminal.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

from qfill.filling import FillPlan, plan_fills, row_writes
from qfill.library import Answer, Library
from qfill.matching import Match, Matcher
from qfill.questionnaire import Questionnaire, QuestionRow
from qfill.reasons import Reason, reason, reason_code
from qfill.settings import Settings
from qfill.verification import verify_matches


@dataclass(frozen=True, slots=True)
class AnswerRun:
    """Everything one `qfill answer` decided, in sheet and row order."""

    questionnaire: Questionnaire
    matches: tuple[Match, ...]
    plan: FillPlan

    def count(self, status: str) -> int:
        return sum(1 for m in self.matches if m.status == status)


def answer_questionnaire(questionnaire: Questionnaire, library: Library, settings: Settings, *,
                         today: date, highlight_review: bool = False,
                         progress: Callable[[int], None] | None = None) -> AnswerRun:
    """Match every question row, verify, and plan the writes for the rows to fill.

    A row that would be filled but has nowhere to write (the customer already answered
    it, or no answer cell was found) goes to review, so "filled" always means written.
    """
    matcher = Matcher(library, settings)
    matches = matcher.match(questionnaire.rows, progress=progress,
                            template=questionnaire.template)
    matches = verify_matches(matches, library, today=today)
    answers = library.by_id()
    decided: list[Match] = []
    for match in matches:
        if match.status == "filled" and match.best is not None:
            held = _hold_back_reason(match, answers)
            if held:
                match = replace(match, status="review", reasons=(*match.reasons, held))
        decided.append(match)
    plan = plan_fills(decided, library, highlight_review=highlight_review)
    return AnswerRun(questionnaire, tuple(decided), plan)


def _hold_back_reason(match: Match, answers: Mapping[str, Answer]) -> Reason | None:
    assert match.best is not None
    return already_answered(match.row, match.best.answer_id) or no_answer_cell(
        match.row, answers[match.best.answer_id])


@reason_code("already-answered", stage="write")
def already_answered(row: QuestionRow, answer_id: str) -> Reason | None:
    """The row's answer cells already hold an answer (the customer's, or an earlier run's),
    and qfill never overwrites a cell.

    Reviewer: compare what the cell says with the suggested entry; change the cell by hand
    if the library's answer should replace it.

    PASS::

        question: Is customer data encrypted at rest?
        entry: Is customer data encrypted at rest?

    FAIL::

        question: Is customer data encrypted at rest?
        entry: Is customer data encrypted at rest?
        row: {answered: "Yes, AES-256."}
    """
    if not row.already_answered:
        return None
    taken = ", ".join(t.ref for t in row.targets
                      if t.current is not None and t.role in ("short", "answer", "mark"))
    return reason("already-answered", f"{row.sheet}!{taken} already holds an answer; compare "
                  f"it with '{answer_id}'")


@reason_code("no-answer-cell", stage="write")
def no_answer_cell(row: QuestionRow, answer: Answer) -> Reason | None:
    """No empty cell on the row can take the answer: the questionnaire's layout was not
    recognised on this row, or its answer cells are formulas or locked dropdowns.

    Reviewer: check the layout with `qfill inspect` (and `--map` the columns if detection
    is wrong), or write the answer by hand.

    PASS::

        question: Is customer data encrypted at rest?
        entry: Is customer data encrypted at rest?

    FAIL::

        question: Is customer data encrypted at rest?
        entry: Is customer data encrypted at rest?
        row: {cells: none}
    """
    if row_writes(row, answer):
        return None
    return reason("no-answer-cell", "no empty answer cell was found on this row; see "
                  "`qfill inspect`")


def rows_in_order(matches: Sequence[Match], sheet_order: Sequence[str]) -> list[Match]:
    """Matches sorted by the workbook's sheet order, then row."""
    position = {name: i for i, name in enumerate(sheet_order)}
    return sorted(matches, key=lambda m: (position.get(m.row.sheet, len(position)), m.row.row))
