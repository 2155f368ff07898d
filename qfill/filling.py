"""Deciding what to write: a plan of cell writes from the matches.

Matching decides *which* answer; this module decides *which cells get which text*, in the
spelling each cell accepts. Applying the plan to a file is :mod:`qfill.sheets.writer`'s job, so
nothing here depends on how a workbook is edited.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from qfill.library import Answer, Library
from qfill.matching import Match
from qfill.questionform import QuestionForm, classify_question, fits_field, opens_with_verdict
from qfill.questionnaire import QuestionRow, TargetCell
from qfill.reasons import Reason, reason, reason_code
from qfill.sheets.cell_text import EXCEL_CELL_LIMIT, excel_length

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
    _by_row: dict[tuple[str, int], dict[str, str]] = field(
        init=False, repr=False, compare=False, default_factory=dict)

    def __post_init__(self) -> None:
        for w in self.writes:  # indexed once: the report asks for every row
            self._by_row.setdefault((w.sheet, w.row), {})[w.role] = w.ref

    def cells_for(self, sheet: str, row: int) -> dict[str, str]:
        """Role -> cell reference written for one question row (for the report)."""
        return dict(self._by_row.get((sheet, row), {}))


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


def evidence_text(answer: Answer, root: Path, local_note: str = "") -> str:
    """The evidence cell's text: each document's title (and URL), never a library path."""
    return "; ".join(e.customer_text(root, local_note) for e in answer.evidence)


@dataclass(frozen=True, slots=True)
class RowFill:
    """What putting one answer on one row would write, and what it could not.

    ``problems`` are ``"<code>: <detail>"`` reasons naming the cell and what it lacks
    (``incomplete``, ``form-mismatch``, ``dropdown-mismatch``, ``no-answer-cell``): a
    row is filled only when there are none, so every cell it asks for gets a value the
    cell accepts, in the form the question asks for.
    """

    writes: tuple[CellWrite, ...]
    problems: tuple[Reason, ...] = ()


def is_yes_no_cell(cell: TargetCell) -> bool:
    """A yes/no cell: free text under a yes/no header, or a list that spells Yes or No."""
    if cell.role == "mark" or not cell.choices:
        return True
    return spell_short("Yes", cell.choices) is not None or \
        spell_short("No", cell.choices) is not None


def pick_choice(values: Sequence[str], choices: Sequence[str]) -> str | None:
    """The list's own spelling of the first of ``values`` it offers ("aws" -> "AWS",
    "Amazon Web Services" -> "Amazon Web Services (AWS)"), or None."""
    folded = {_fold_choice(c): c for c in choices}
    for value in values:
        key = _fold_choice(value)
        if key in folded:
            return folded[key]
    for value in values:
        key = _fold_choice(value)
        starts = [c for f, c in folded.items()
                  if key and (f.startswith(key + " ") or f.startswith(key + "("))]
        if len(starts) == 1:
            return starts[0]
    return None


def fill_row(row: QuestionRow, answer: Answer, *, root: Path, local_note: str = "",
             form: QuestionForm | None = None, decided: bool = False) -> RowFill:
    """The writes that put ``answer`` on ``row``, and every cell left without a value.

    Only empty, non-formula cells are written. The yes/no goes into the yes/no cell
    (spelled as its list spells it) or as an X into the matching mark column; a list of
    other choices gets the entry's ``value`` in the list's spelling; the answer cell gets
    the narrative (or, for a short field, a ``value`` that fits it); the evidence cell
    the documents' titles. A row with no answer cell but a comments or evidence column
    gets the narrative there, followed by the evidence.

    ``decided``: a person chose this answer for this row (``qfill apply``), so a misfit
    of form is still written where the cells take it; the problems still name it.
    """
    form = form or classify_question(row.question)
    where = f"{row.sheet}!"
    writes: list[CellWrite] = []
    problems: list[Reason] = []

    def put(target: TargetCell | None, value: str | None) -> None:
        if target is not None and target.writable and value:
            if target.locked:
                problems.append(protected_cell(row.sheet, target.ref))
                return
            if excel_length(value) > EXCEL_CELL_LIMIT:
                problems.append(too_long_for_cell(where + target.ref, excel_length(value)))
                return
            writes.append(CellWrite(row.sheet, target.ref, value, target.role, row.row))

    if form.about_questionnaire:
        return RowFill((), (form_mismatch(f"the row asks for {form.label} about this "
                                          "questionnaire itself, which the library does not "
                                          "answer"),))
    short_cell = row.target("short")
    answer_cell = row.target("answer")
    evidence_cell = row.target("evidence")
    marks = [m for m in row.marks() if m.writable]
    asked: list[TargetCell] = [short_cell] if short_cell is not None and \
        short_cell.writable and is_yes_no_cell(short_cell) else []
    asked += marks
    if asked:
        refs = ", ".join(where + c.ref for c in asked)
        misfit = form.kind not in ("yes-no", "label")
        if misfit:
            problems.append(form_mismatch(f"{refs} takes Yes/No, but the question asks for "
                                          f"{form.label}"))
        if answer.short is None:
            if not misfit:
                problems.append(incomplete(f"{refs} needs Yes/No, and '{answer.id}' has no "
                                           "short"))
        elif decided or not misfit:
            if short_cell is not None and short_cell in asked:
                spelled = spell_short(answer.short, short_cell.choices)
                if spelled is None:
                    problems.append(dropdown_mismatch(
                        f"the list in {where}{short_cell.ref} offers "
                        f"{', '.join(short_cell.choices)}, not \"{answer.short}\""))
                put(short_cell, spelled)
            chosen = [m for m in marks if m.mark == answer.short]
            if marks and not chosen:
                problems.append(dropdown_mismatch(f"no mark column for \"{answer.short}\" "
                                                  f"among {refs}"))
            for mark in chosen:
                put(mark, _mark_value(mark.choices))
    elif short_cell is not None and short_cell.writable and short_cell.choices:
        picked = pick_choice(answer.value, short_cell.choices)
        if picked is None:
            offered = ", ".join(short_cell.choices[:8])
            more = ", ..." if len(short_cell.choices) > 8 else ""
            problems.append(incomplete(f"{where}{short_cell.ref} needs one of {offered}{more}; "
                                       f"'{answer.id}' states none (give it a `value`)"))
        put(short_cell, picked)
    narrative: str | None = answer.answer
    if form.kind == "field" and form.field is not None:
        narrative = next((v for v in (*answer.value, answer.answer)
                          if fits_field(form.field, v)), None)
        if narrative is None:
            problems.append(form_mismatch(f"the row asks for {form.label}, and "
                                          f"'{answer.id}' gives none that fits (give it a "
                                          "`value`)"))
            narrative = answer.answer if decided else None
    elif form.kind != "yes-no" and not (form.kind == "label" and asked) and \
            opens_with_verdict(answer.answer):
        problems.append(form_mismatch(f"the row asks for {form.label}, and '{answer.id}' "
                                      "answers yes or no first"))
        narrative = answer.answer if decided else None
    evidence = evidence_text(answer, root, local_note) if form.kind != "field" else ""
    if answer_cell is not None:
        put(answer_cell, narrative)
        put(evidence_cell, evidence)
    elif evidence_cell is not None and narrative:
        # No free-text answer column: the comments or evidence column takes the narrative.
        put(evidence_cell, f"{narrative}\n\nEvidence: {evidence}" if evidence else narrative)
    if not writes and not problems:
        problems.append(no_answer_cell())
    return RowFill(tuple(writes), tuple(problems))


@reason_code("incomplete", stage="write")
def incomplete(detail: str) -> Reason:
    """A cell the row asks for would stay empty: a yes/no cell and an entry without a
    `short`, or a list of other choices (a hosting option, a tier) and an entry without a
    `value` that the list offers. A row is filled only when every cell it asks for is.

    Reviewer: give the entry the `short` or `value` the cell needs (then accept), or fill
    the cell by hand.

    PASS::

        question: Is customer data encrypted at rest?
        entry: Is customer data encrypted at rest?
        short: "Yes"

    FAIL::

        question: Is customer data encrypted at rest?
        entry: Is customer data encrypted at rest?
    """
    return reason("incomplete", detail)


@reason_code("form-mismatch", stage="write")
def form_mismatch(detail: str) -> Reason:
    """The answer is not in the form the question asks for: a Yes/No for a question that
    is not a yes/no question, an answer opening "Yes." for a description or for one of two
    alternatives, a sentence for a short field (a name, an email, a link, a country), or
    any answer for a field about the questionnaire itself (the date it is completed).

    Reviewer: write the answer in the form asked (or give the entry a `value` that fits
    the field), then accept.

    PASS::

        question: Is customer data encrypted at rest?
        entry: Is customer data encrypted at rest?
        short: "Yes"

    FAIL::

        question: Describe how customer data is encrypted at rest.
        entry: Is customer data encrypted at rest?
        short: "Yes"
    """
    return reason("form-mismatch", detail)


@reason_code("dropdown-mismatch", stage="verify")
def dropdown_mismatch(detail: str) -> Reason:
    """The row's yes/no cell has a dropdown whose list has no spelling of the entry's
    `short` (an "N/A" for a list of Yes and No), so writing it would break the sheet.

    Reviewer: pick the list value that is true, or leave the cell and explain in the
    answer text.

    PASS::

        question: Do you use a SIEM to collect security logs?
        entry: Do you use a SIEM to collect security logs?
        short: "Yes"
        row: {short: [Y, N]}

    FAIL::

        question: Do you use a SIEM to collect security logs?
        entry: Do you use a SIEM to collect security logs?
        short: N/A
        row: {short: ["Yes", "No"]}
    """
    return reason("dropdown-mismatch", detail)


@reason_code("too-long-for-cell", stage="write")
def too_long_for_cell(where: str, length: int) -> Reason:
    """The text for a cell is longer than the 32,767 characters a spreadsheet cell holds,
    so it cannot be written whole (and a cut answer is not the approved one).

    Reviewer: shorten the answer in the library (or cite a document instead of quoting
    it), or write a shorter answer by hand.

    PASS: an answer of a few paragraphs.

    FAIL: an answer pasted with a whole policy, 40,000 characters long.
    """
    return reason("too-long-for-cell", f"{where}: the text is {length:,} characters, more "
                  f"than the {EXCEL_CELL_LIMIT:,} a spreadsheet cell holds")


@reason_code("protected-cell", stage="write")
def protected_cell(sheet: str, ref: str) -> Reason:
    """A cell the answer goes in is locked on a password-protected sheet: Excel refuses
    to edit it, so qfill does not write it either (the sender locked it on purpose, or
    forgot to unlock the answer cells).

    Reviewer: ask the sender to unlock the answer cells (or for an editable copy), or
    answer in the way they ask; do not remove another company's protection.

    PASS: a protected sheet whose answer cells are unlocked (Format Cells > Protection,
    "Locked" cleared), as real questionnaires send them.

    FAIL: a protected sheet (Review > Protect Sheet) whose answer cells are still locked.
    """
    return reason("protected-cell", f"{sheet}!{ref} is locked and the sheet is protected; "
                  "Excel refuses an edit there")


@reason_code("no-answer-cell", stage="write")
def no_answer_cell() -> Reason:
    """No empty cell on the row can take the answer: the questionnaire's layout was not
    recognised on this row, or its answer cells are formulas or locked dropdowns.

    Reviewer: check the layout with `qfill inspect` (and `--map` the columns if detection
    is wrong), or write the answer by hand.

    PASS::

        question: Is customer data encrypted at rest?
        entry: Is customer data encrypted at rest?
        short: "Yes"

    FAIL::

        question: Is customer data encrypted at rest?
        entry: Is customer data encrypted at rest?
        row: {cells: none}
    """
    return reason("no-answer-cell", "no empty answer cell was found on this row; see "
                  "`qfill inspect`")


def row_writes(row: QuestionRow, answer: Answer, *, root: Path,
               local_note: str = "") -> list[CellWrite]:
    """The writes :func:`fill_row` plans for a row that passed the gate."""
    return list(fill_row(row, answer, root=root, local_note=local_note).writes)


def plan_fills(matches: Iterable[Match], library: Library, *,
               highlight_review: bool = False, local_note: str = "") -> FillPlan:
    """The plan for every filled match; review rows are only highlighted, if asked."""
    answers = library.by_id()
    writes: list[CellWrite] = []
    highlights: list[tuple[str, str]] = []
    for match in matches:
        row = match.row
        if match.status == "filled" and match.best is not None:
            writes.extend(row_writes(row, answers[match.best.answer_id], root=library.root,
                                     local_note=local_note))
        elif match.status == "review" and highlight_review:
            cell = row.target("answer") or row.target("short") or (row.marks() or (None,))[0]
            if cell is not None and not cell.formula:
                highlights.append((row.sheet, cell.ref))
    return FillPlan(tuple(writes), tuple(highlights))
