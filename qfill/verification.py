"""Verification before writing: a matched answer must still be fit to send.

Matching decides which entry answers a row; this step checks the entry itself. A stale
answer, one citing evidence that has expired or is not in the library, a ``short`` value
that says the opposite of the answer text, or a short value the row's dropdown cannot
take: each sends the row to review with its reason instead of into the customer's file.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import date

from qfill.filling import short_is_writable
from qfill.library import Answer, Library, resolve_evidence
from qfill.matching import Match
from qfill.questionnaire import QuestionRow

_OPENING = re.compile(r"^\W*(yes|no|not applicable|n/?a)\b", re.IGNORECASE)
_OPENING_SHORT = {"yes": "Yes", "no": "No", "not applicable": "N/A", "n/a": "N/A",
                  "na": "N/A"}


def answer_problems(answer: Answer, library: Library, *, today: date,
                    row: QuestionRow | None = None) -> tuple[str, ...]:
    """Why ``answer`` must not be written as it is, as ``"<code>: <detail>"`` reasons."""
    reasons: list[str] = []
    if answer.is_stale(today):
        reasons.append(f"stale-answer: '{answer.id}' was due for review on "
                       f"{answer.stale_since()} (reviewed {answer.reviewed}, every "
                       f"{answer.review_every} days)")
    for item in answer.evidence:
        if item.expired(today):
            reasons.append(f"evidence-expired: '{answer.id}' cites "
                           f"{item.path or item.url}, valid until {item.valid_until}")
        if item.path is not None:
            found = resolve_evidence(library.root, item.path)
            if found is None or not found.is_file():
                reasons.append(f"evidence-missing: '{answer.id}' cites {item.path}, which "
                               "is not a file under evidence/")
    said = opening_short(answer.answer)
    if answer.short is not None and said is not None and said != answer.short:
        reasons.append(f"short-contradicts-answer: '{answer.id}' has short "
                       f"\"{answer.short}\" but its answer opens with \"{said}\"")
    if row is not None and not short_is_writable(row, answer):
        cell = row.target("short")
        choices = ", ".join(cell.choices) if cell is not None else ""
        reasons.append(f"dropdown-mismatch: the dropdown in {cell.ref if cell else '?'} "
                       f"offers {choices}, not \"{answer.short}\"")
    return tuple(reasons)


def opening_short(text: str) -> str | None:
    """The yes/no an answer text opens with ("Yes. We ...", "No, ..."), if any."""
    found = _OPENING.match(text)
    if found is None:
        return None
    return _OPENING_SHORT.get(found.group(1).lower().replace(" /", "/"))


def verify_matches(matches: Sequence[Match], library: Library, *, today: date
                   ) -> list[Match]:
    """Send each filled row whose answer fails a check to review, with the reasons.

    Review rows keep their status and gain the reasons of their best suggestion, so a
    person deciding the row sees them too. Unanswered rows are unchanged.
    """
    answers = library.by_id()
    result: list[Match] = []
    for match in matches:
        best = match.best
        answer = answers.get(best.answer_id) if best is not None else None
        if match.status == "unanswered" or answer is None:
            result.append(match)
            continue
        problems = answer_problems(answer, library, today=today, row=match.row)
        if not problems:
            result.append(match)
        elif match.status == "filled":
            result.append(replace(match, status="review", reasons=(*match.reasons, *problems)))
        else:
            extra = tuple(p for p in problems if p not in match.reasons)
            result.append(replace(match, reasons=(*match.reasons, *extra)))
    return result
