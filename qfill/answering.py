"""The `answer` job as one pure pipeline: questionnaire + library -> matches -> plan.

Reading files and writing the output are at the edges (the CLI); everything that decides
which row gets which answer happens here, testable without a terminal.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from qfill.filling import FillPlan, plan_fills
from qfill.library import Answer, Library, evidence_lookups
from qfill.long_lived import long_lived_result
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
                         progress: Callable[[int], None] | None = None,
                         index_cache: Path | None = None) -> AnswerRun:
    """Match every question row, verify, and plan the writes for the rows to fill.

    A row the customer (or an earlier run) already answered is ``prefilled``: never
    written, and not counted as review; its best match is kept for comparison. Every
    other row the matcher would fill passes the gate (:func:`qfill.verification.gate_row`)
    first, so "filled" always means every cell the row asks for was written.
    ``index_cache`` keeps the library's index between runs (:mod:`qfill.library_index`).
    """
    # The library's index is only read once loaded: out of the collector's walks.
    with long_lived_result(lambda: Matcher(library, settings, index_cache=index_cache)) \
            as matcher:
        matches = matcher.match(questionnaire.rows, progress=progress,
                                template=questionnaire.template)
        return verify_and_plan(questionnaire, matches, library, settings, today=today,
                               highlight_review=highlight_review)


def verify_and_plan(questionnaire: Questionnaire, matches: Sequence[Match], library: Library,
                    settings: Settings, *, today: date,
                    highlight_review: bool = False) -> AnswerRun:
    """What follows matching: each row's match checked (prefilled, the gate, formula
    cells, unreviewed entries) and the writes planned for the rows to fill."""
    local_note = settings.filling.local_evidence
    with evidence_lookups():  # every row citing a document asks the same of it
        matched = [prefilled(m) if m.row.already_answered else m for m in matches]
        decided = verify_matches(matched, library, today=today, local_note=local_note)
        decided = [held_for_formula(m) if m.row.formula_cell else m for m in decided]
        if settings.filling.unreviewed == "review":
            answers = library.by_id()
            decided = [held_unreviewed(m, answers[m.best.answer_id])
                       if m.status == "filled" and m.best is not None
                       and answers[m.best.answer_id].reviewed is None else m
                       for m in decided]
        plan = plan_fills(decided, library, highlight_review=highlight_review,
                          local_note=local_note)
    return AnswerRun(questionnaire, tuple(decided), plan)


def prefilled(match: Match) -> Match:
    """The row already holds an answer: nothing is written, the match kept to compare."""
    best = match.best.answer_id if match.best is not None and \
        match.status != "unanswered" else None
    found = already_answered(match.row, best)
    return replace(match, status="prefilled", reasons=(found,) if found else ())


@reason_code("already-answered", stage="write")
def already_answered(row: QuestionRow, answer_id: str | None) -> Reason | None:
    """The row's answer cells already hold an answer (the customer's, or an earlier run's),
    and qfill never overwrites a cell: the row's status is `prefilled`, not review.

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
    compare = f"; compare it with '{answer_id}'" if answer_id else ""
    return reason("already-answered", f"{row.sheet}!{taken} already holds an answer{compare}")


def held_for_formula(match: Match) -> Match:
    """A row with a formula where its question or answer goes: review, suggestions kept."""
    found = formula_cell(match.row)
    return replace(match, status="review", reasons=(found,) if found else match.reasons)


@reason_code("formula-cell", stage="write")
def formula_cell(row: QuestionRow) -> Reason | None:
    """The row's answer cell holds a formula (its answer is computed from elsewhere in the
    workbook), or its question cell is a formula with no saved value: qfill never
    overwrites a formula and cannot read such a question, so the row is told, not written.

    Reviewer: open the cell; if the formula copies an answer from another row or sheet,
    answer that one; if it is not meant to be there (a question starting with "=" that the
    spreadsheet took for a formula), answer the row by hand, as text.

    PASS: a row whose answer cell is empty and whose question is text is not held.

    FAIL: a row whose answer cell holds `=Summary!C4`, or whose question cell holds
    `=cmd|' /C calc'!A0` with no saved value, is held for review.
    """
    if row.formula_cell is None:
        return None
    if row.question.startswith("=") and row.question_ref == row.formula_cell:
        what = (f"the question cell {row.sheet}!{row.formula_cell} is a formula with no "
                "saved value; it is not read as a question or run")
    else:
        what = (f"the answer cell {row.sheet}!{row.formula_cell} holds a formula; qfill "
                "never overwrites one")
    return reason("formula-cell", what)


def held_unreviewed(match: Match, answer: Answer) -> Match:
    """A sure match on an entry nobody has approved: a person decides (when so set)."""
    return replace(match, status="review", reasons=(unreviewed_entry(answer),))


@reason_code("unreviewed-entry", stage="verify")
def unreviewed_entry(answer: Answer) -> Reason:
    """The entry has no `reviewed` date: a draft (harvested from an answered
    questionnaire, or added without approval) that no one has confirmed. Held only when
    the library's `qfill.yaml` sets `filling.unreviewed: review`; by default such a fill
    is written and marked `unreviewed` in the report.

    Reviewer: check the entry's answer; if it is right, add `reviewed: <today>` to it in
    the library and accept the suggestion.

    PASS: with `filling.unreviewed: review`, a row matched to an entry with
    `reviewed: 2026-06-01` is filled.

    FAIL: with `filling.unreviewed: review`, a row matched to an entry with no `reviewed`
    date goes to review with this code.
    """
    return reason("unreviewed-entry", f"'{answer.id}' has no `reviewed` date: no one has "
                  "approved it yet")


def rows_in_order(matches: Sequence[Match], sheet_order: Sequence[str]) -> list[Match]:
    """Matches sorted by the workbook's sheet order, then row."""
    position = {name: i for i, name in enumerate(sheet_order)}
    return sorted(matches, key=lambda m: (position.get(m.row.sheet, len(position)), m.row.row))
