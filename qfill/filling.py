"""Deciding what to write: a plan of cell writes from the matches.

Matching decides *which* answer; this module decides *which cells get which text*, in the
spelling each cell accepts. Applying the plan to a file is :mod:`qfill.sheets.writer`'s job, so
nothing here depends on how a workbook is edited.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from qfill.library import Answer, Library
from qfill.matching import Match
from qfill.questionnaire import QuestionRow, TargetCell

# Spellings a dropdown may use for each short value, most specific first.
SHORT_SPELLINGS: dict[str, tuple[str, ...]] = {
    "Yes": ("yes", "y", "true", "compliant", "yes - compliant", "implemented"),
    "No": ("no", "n", "false", "non-compliant", "not compliant", "not implemented"),
    "N/A": ("n/a", "na", "not applicable", "n.a.", "not-applicable", "n / a", "none"),
}
DEFAULT_SHORT = {"Yes": "Yes", "No": "No", "N/A": "N/A"}
MARK = "X"


@dataclass(frozen=True, slots=True)
class CellWrite:
    """Write ``value`` as text into ``sheet!ref``. ``row`` ties it to its question row."""

    sheet: str
    ref: str
    value: str
    role: str
    row: int


@dataclass(frozen=True, slots=True)
class FillPlan:
    writes: tuple[CellWrite, ...] = ()
    highlights: tuple[tuple[str, str], ...] = ()  # (sheet, ref) of review rows' answer cells

    def cells_for(self, sheet: str, row: int) -> dict[str, str]:
        """Role -> cell reference written for one question row (for the report)."""
        return {w.role: w.ref for w in self.writes if w.sheet == sheet and w.row == row}


def spell_short(short: str, choices: Sequence[str]) -> str | None:
    """The dropdown's own spelling of ``short``, or None if the dropdown has no such value.

    With no dropdown (empty ``choices``) the canonical Yes/No/N/A is used.
    """
    if not choices:
        return DEFAULT_SHORT.get(short)
    by_folded = {_fold_choice(c): c for c in choices}
    for spelling in SHORT_SPELLINGS.get(short, ()):
        if spelling in by_folded:
            return by_folded[spelling]
    # "Yes - see comments", "No (explain)": a choice that starts with the value.
    first = SHORT_SPELLINGS.get(short, ("",))[0]
    for folded, choice in by_folded.items():
        words = folded.replace("-", " ").replace("(", " ").split()
        if words and words[0] == first:
            return choice
    return None


_ENUMERATOR = re.compile(r"^\s*(?:\d+|[a-z])\s*[).:-]\s*", re.IGNORECASE)


def _fold_choice(choice: str) -> str:
    """Lower-cased, spaces folded, a leading "1) " / "a. " enumerator dropped."""
    return " ".join(_ENUMERATOR.sub("", choice, count=1).lower().split())


def _mark_value(choices: Sequence[str]) -> str | None:
    """An X, or the mark column's own dropdown value for "chosen"; None if it has none."""
    if not choices:
        return MARK
    return next((c for c in choices if c.strip().lower() in ("x", "yes", "y", "\u2713")), None)


def evidence_text(answer: Answer) -> str:
    return "; ".join(e.reference for e in answer.evidence)


def row_writes(row: QuestionRow, answer: Answer) -> list[CellWrite]:
    """The writes that put ``answer`` on ``row``; only into empty, non-formula cells.

    The yes/no value goes into the short cell (spelled as its dropdown spells it) or as an
    X into the matching mark column; the narrative answer into the answer cell; evidence
    references into the evidence cell. A row with no short cell gets the full answer text
    in its answer cell, which already opens with the yes/no.
    """
    writes: list[CellWrite] = []

    def put(target: TargetCell | None, value: str | None) -> None:
        if target is not None and target.writable and value:
            writes.append(CellWrite(row.sheet, target.ref, value, target.role, row.row))

    short_cell = row.target("short")
    if answer.short is not None:
        if short_cell is not None:
            put(short_cell, spell_short(answer.short, short_cell.choices))
        for mark in row.marks():
            if mark.mark == answer.short:
                put(mark, _mark_value(mark.choices))
    answer_cell = row.target("answer")
    put(answer_cell, answer.answer)
    if answer_cell is None and short_cell is None and not row.marks():
        return []
    put(row.target("evidence"), evidence_text(answer))
    return writes


def short_is_writable(row: QuestionRow, answer: Answer) -> bool:
    """False when the row's dropdown cannot take this answer's short value."""
    cell = row.target("short")
    if cell is None or answer.short is None or not cell.choices:
        return True
    return spell_short(answer.short, cell.choices) is not None


def plan_fills(matches: Iterable[Match], library: Library, *,
               highlight_review: bool = False) -> FillPlan:
    """The plan for every filled match; review rows are only highlighted, if asked."""
    answers = library.by_id()
    writes: list[CellWrite] = []
    highlights: list[tuple[str, str]] = []
    for match in matches:
        row = match.row
        if match.status == "filled" and match.best is not None:
            writes.extend(row_writes(row, answers[match.best.answer_id]))
        elif match.status == "review" and highlight_review:
            cell = row.target("answer") or row.target("short") or (row.marks() or (None,))[0]
            if cell is not None and not cell.formula:
                highlights.append((row.sheet, cell.ref))
    return FillPlan(tuple(writes), tuple(highlights))
