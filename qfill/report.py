"""The report of one `qfill answer` run: the JSON contract as records.

Every question row appears exactly once, in sheet and row order. The shape of the JSON is
produced by ``to_dict`` here and nowhere else, so renaming an internal field can never
change the public contract (``shared/spec/cli.md``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from qfill.answering import AnswerRun, rows_in_order
from qfill.grounding import Grounding, draft_to_dict, passage_to_dict
from qfill.library import Library
from qfill.questionnaire import SheetLayout
from qfill.reasons import Reason

REPORT_VERSION = 1


@dataclass(frozen=True, slots=True)
class ReportCandidate:
    answer_id: str
    confidence: float
    question: str  # the library's wording, so a reviewer sees what was proposed
    answer: str = ""
    reasons: tuple[Reason, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"answer_id": self.answer_id, "confidence": round(self.confidence, 2)}


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
    # What the evidence says: passages for rows a person decides, a draft for unanswered.
    evidence: Grounding | None = None

    @property
    def reason_texts(self) -> tuple[str, ...]:
        """Each reason as reports print it: ``"<code>: <message>"``."""
        return tuple(map(str, self.reasons))

    def to_dict(self) -> dict[str, Any]:
        return {
            "sheet": self.sheet,
            "row": self.row,
            "question_id": self.question_id,
            "question": self.question,
            "status": self.status,
            "answer_id": self.answer_id,
            "confidence": round(self.confidence, 2),
            "cells": dict(self.cells),
            "candidates": [c.to_dict() for c in self.candidates],
            "reasons": list(self.reason_texts),
            "reason_codes": [r.code for r in self.reasons],
            "passages": [passage_to_dict(p) for p in self.evidence.passages]
            if self.evidence else [],
            "draft": draft_to_dict(self.evidence.draft)
            if self.evidence and self.evidence.draft else None,
        }


@dataclass(frozen=True, slots=True)
class Summary:
    rows: int
    filled: int
    review: int
    unanswered: int

    def to_dict(self) -> dict[str, int]:
        return {"rows": self.rows, "filled": self.filled, "review": self.review,
                "unanswered": self.unanswered}


@dataclass(frozen=True, slots=True)
class Report:
    questionnaire: str
    output: str | None
    library: str
    summary: Summary
    rows: tuple[ReportRow, ...]
    template: str | None = None
    sheets: tuple[SheetLayout, ...] = ()
    suggestions_written: bool = False
    notes: tuple[str, ...] = field(default=())

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
        }


def build_report(run: AnswerRun, library: Library, *, questionnaire_name: str,
                 output_name: str | None, library_name: str,
                 evidence: Mapping[tuple[str, int], Grounding] | None = None) -> Report:
    """Turn a run into the report. Names are given as the user wrote them, never absolute.

    ``evidence`` holds, by (sheet, row), what the evidence says for rows a person decides.
    """
    answers = library.by_id()
    sheet_order = [s.sheet for s in run.questionnaire.sheets] or list(
        dict.fromkeys(m.row.sheet for m in run.matches))
    rows: list[ReportRow] = []
    for match in rows_in_order(run.matches, sheet_order):
        row = match.row
        candidates = tuple(
            ReportCandidate(c.answer_id, c.confidence, answers[c.answer_id].question,
                            answers[c.answer_id].answer, c.reasons)
            for c in match.candidates if c.answer_id in answers)
        best = match.best
        rows.append(ReportRow(
            sheet=row.sheet, row=row.row, question_id=row.question_id, question=row.question,
            status=match.status,
            answer_id=best.answer_id if best is not None and match.status != "unanswered"
            else None,
            confidence=match.confidence,
            cells=run.plan.cells_for(row.sheet, row.row) if match.status == "filled" else {},
            candidates=candidates if match.status != "filled" else candidates[1:],
            reasons=match.reasons if match.status != "filled" else (),
            section=row.section,
            evidence=(evidence or {}).get((row.sheet, row.row))
            if match.status != "filled" else None,
        ))
    summary = Summary(len(rows), run.count("filled"), run.count("review"),
                      run.count("unanswered"))
    return Report(questionnaire_name, output_name, library_name, summary, tuple(rows),
                  template=run.questionnaire.template, sheets=run.questionnaire.sheets)
