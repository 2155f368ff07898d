"""The report of one `qfill answer` run: the JSON contract as records.

Every question row appears exactly once, in sheet and row order. The shape of the JSON is
produced by ``to_dict`` here and nowhere else, so renaming an internal field can never
change the public contract (``docs/report.md``). Fields are only ever added: what a
reviewer needs to act on a row without opening the library (the values written, how the
row was matched, the runner-up, each suggestion's Yes/No and answer text, the reasons in
words) is carried by the records, and every renderer shows the same facts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from qfill.answering import AnswerRun, rows_in_order
from qfill.confidence import shown_confidence
from qfill.grounding import Grounding, draft_to_dict, passage_to_dict
from qfill.library import Answer, Library
from qfill.matching import Candidate, Match
from qfill.questionnaire import QuestionRow, SheetLayout
from qfill.reasons import Reason

REPORT_VERSION = 1

Route = Literal["id", "wording", "meaning"]
# What the reviewer must do with a row, by status; the report groups rows by it.
ACTIONS: dict[str, str] = {
    "review": "decide",        # not written: pick a suggestion, or write the answer
    "unanswered": "write",     # nothing in the library fits: write an answer
    "prefilled": "compare",    # the customer's sheet already held an answer: compare
    "filled": "check",         # written: check the value against the question
}
STATUSES: tuple[str, ...] = ("filled", "review", "unanswered", "prefilled")
_ROUTES: dict[str, Route] = {"id": "id", "text": "wording", "meaning": "meaning"}


@dataclass(frozen=True, slots=True)
class ReportCandidate:
    answer_id: str
    confidence: float
    question: str  # the library's wording, so a reviewer sees what was proposed
    answer: str = ""
    reasons: tuple[Reason, ...] = ()
    short: str | None = None
    route: Route = "wording"

    def to_dict(self) -> dict[str, Any]:
        return {"answer_id": self.answer_id, "confidence": shown_confidence(self.confidence),
                "route": self.route, "question": self.question, "short": self.short,
                "answer": self.answer, "reasons": [str(r) for r in self.reasons]}


@dataclass(frozen=True, slots=True)
class ReportRow:
    sheet: str
    row: int
    question_id: str | None
    question: str
    status: str
    answer_id: str | None
    confidence: float
    cells: dict[str, str]
    candidates: tuple[ReportCandidate, ...]
    reasons: tuple[Reason, ...]
    section: str | None = None
    route: Route | None = None
    # Filled rows: each cell written and the value written there, in write order.
    written: dict[str, str] = field(default_factory=dict)
    # The entry written (filled) or the best suggestion (review), with its text.
    entry: ReportCandidate | None = None
    # What the customer's sheet already held in this row's answer cells.
    existing: dict[str, str] = field(default_factory=dict)
    # What the evidence says: passages for rows a person decides, a draft for unanswered.
    evidence: Grounding | None = None
    # Filled from an entry with no `reviewed` date (a draft nobody has approved yet).
    unreviewed: bool = False

    @property
    def action(self) -> str:
        return ACTIONS.get(self.status, "decide")

    @property
    def runner_up(self) -> ReportCandidate | None:
        """The next-best entry after the one written or suggested."""
        if self.status == "filled":
            return self.candidates[0] if self.candidates else None
        return self.candidates[1] if len(self.candidates) > 1 else None

    @property
    def suggestions(self) -> tuple[ReportCandidate, ...]:
        """What a person deciding the row chooses from (none for a filled row)."""
        return () if self.status == "filled" else self.candidates

    @property
    def reason_texts(self) -> tuple[str, ...]:
        """Each reason as reports print it: ``"<code>: <message>"``."""
        return tuple(map(str, self.reasons))

    def to_dict(self) -> dict[str, Any]:
        runner = self.runner_up
        return {
            "sheet": self.sheet,
            "row": self.row,
            "question_id": self.question_id,
            "question": self.question,
            "status": self.status,
            "answer_id": self.answer_id,
            "confidence": shown_confidence(self.confidence),
            "cells": dict(self.cells),
            "candidates": [c.to_dict() for c in self.candidates],
            "reasons": list(self.reason_texts),
            "reason_codes": [r.code for r in self.reasons],
            "passages": [passage_to_dict(p) for p in self.evidence.passages]
            if self.evidence else [],
            "draft": draft_to_dict(self.evidence.draft)
            if self.evidence and self.evidence.draft else None,
            "route": self.route,
            "written": dict(self.written),
            "action": self.action,
            "section": self.section,
            "entry": self.entry.to_dict() if self.entry is not None else None,
            "runner_up": None if runner is None else {
                "answer_id": runner.answer_id,
                "confidence": shown_confidence(runner.confidence)},
            "existing": dict(self.existing),
            "unreviewed": self.unreviewed,
        }


# How every report format marks a fill from an entry no one has approved.
UNREVIEWED_NOTE = "entry not yet reviewed (no `reviewed` date)"


@dataclass(frozen=True, slots=True)
class Summary:
    rows: int
    filled: int
    review: int
    unanswered: int
    prefilled: int = 0

    def to_dict(self) -> dict[str, int]:
        return {"rows": self.rows, "filled": self.filled, "review": self.review,
                "unanswered": self.unanswered, "prefilled": self.prefilled}

    @classmethod
    def of(cls, rows: tuple[ReportRow, ...] | list[ReportRow]) -> Summary:
        count = {status: sum(1 for r in rows if r.status == status) for status in STATUSES}
        return cls(len(rows), count["filled"], count["review"], count["unanswered"],
                   count["prefilled"])


@dataclass(frozen=True, slots=True)
class Report:
    questionnaire: str
    output: str | None
    library: str
    summary: Summary
    rows: tuple[ReportRow, ...]
    template: str | None = None
    sheets: tuple[SheetLayout, ...] = ()

    def sheet_summaries(self) -> list[tuple[str, Summary]]:
        """Counts per sheet with question rows, in workbook order."""
        order = list(dict.fromkeys([*(s.sheet for s in self.sheets if s.status == "questions"),
                                    *(r.sheet for r in self.rows)]))
        return [(name, Summary.of([r for r in self.rows if r.sheet == name]))
                for name in order if any(r.sheet == name for r in self.rows)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": REPORT_VERSION,
            "questionnaire": self.questionnaire,
            "output": self.output,
            "library": self.library,
            "template": self.template,
            "summary": self.summary.to_dict(),
            "skipped_sheets": [{"sheet": s.sheet, "reason": s.reason}
                               for s in self.sheets if s.status == "skipped"],
            "rows": [r.to_dict() for r in self.rows],
            "sheets": [{"sheet": name, **summary.to_dict()}
                       for name, summary in self.sheet_summaries()],
        }


def _candidate(candidate: Candidate, answer: Answer) -> ReportCandidate:
    return ReportCandidate(candidate.answer_id, candidate.confidence, answer.question,
                           answer.answer, candidate.reasons, answer.short,
                           _ROUTES.get(candidate.via, "wording"))


def _existing(row: QuestionRow) -> dict[str, str]:
    return {t.ref: t.current for t in row.targets
            if t.current is not None and not t.formula}


def report_row(match: Match, answers: dict[str, Answer], written: dict[str, str],
               cells: dict[str, str], evidence: Grounding | None = None) -> ReportRow:
    """One row of the report from its decision and the writes planned for it."""
    row = match.row
    candidates = tuple(_candidate(c, answers[c.answer_id])
                       for c in match.candidates if c.answer_id in answers)
    best = candidates[0] if candidates and match.status != "unanswered" else None
    filled = match.status == "filled"
    return ReportRow(
        sheet=row.sheet, row=row.row, question_id=row.question_id, question=row.question,
        status=match.status,
        answer_id=best.answer_id if best is not None else None,
        confidence=match.confidence,
        cells=cells if filled else {},
        candidates=candidates[1:] if filled else candidates,
        reasons=() if filled else match.reasons,
        section=row.section,
        route=best.route if best is not None else None,
        written=written if filled else {},
        entry=best,
        existing=_existing(row),
        evidence=None if filled else evidence,
        unreviewed=filled and best is not None and answers[best.answer_id].reviewed is None,
    )


def build_report(run: AnswerRun, library: Library, *, questionnaire_name: str,
                 output_name: str | None, library_name: str,
                 evidence: Mapping[tuple[str, int], Grounding] | None = None) -> Report:
    """Turn a run into the report. Names are given as the user wrote them, never absolute.

    ``evidence`` holds, by (sheet, row), what the evidence says for rows a person decides.
    """
    answers = library.by_id()
    sheet_order = [s.sheet for s in run.questionnaire.sheets] or list(
        dict.fromkeys(m.row.sheet for m in run.matches))
    writes: dict[tuple[str, int], list[tuple[str, str, str]]] = {}
    for w in run.plan.writes:
        writes.setdefault((w.sheet, w.row), []).append((w.role, w.ref, w.value))
    rows: list[ReportRow] = []
    for match in rows_in_order(run.matches, sheet_order):
        planned = writes.get((match.row.sheet, match.row.row), [])
        rows.append(report_row(match, answers,
                               written={ref: value for _, ref, value in planned},
                               cells={role: ref for role, ref, _ in planned},
                               evidence=(evidence or {}).get((match.row.sheet,
                                                              match.row.row))))
    return Report(questionnaire_name, output_name, library_name, Summary.of(rows), tuple(rows),
                  template=run.questionnaire.template, sheets=run.questionnaire.sheets)
