"""The gate before writing: a matched answer must still be fit to send, on this row.

Matching decides which entry answers a row; this step checks the entry and what it would
write. A stale answer, one citing evidence that has expired or is not in the library, a
``short`` value that says the opposite of the answer text; a cell the row asks for left
without a value it accepts (``incomplete``, ``dropdown-mismatch``), or an answer in a form
the question does not ask for (``form-mismatch``): each sends the row to review with its
reason instead of into the customer's file. ``qfill answer`` and ``qfill apply`` both go
through :func:`gate_row`, whatever route chose the entry.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import date

from qfill.filling import RowFill, fill_row
from qfill.library import Answer, Library, evidence_lookups, resolve_evidence, shorts_agree
from qfill.matching import Match
from qfill.questionnaire import QuestionRow
from qfill.reasons import Reason, reason, reason_code

_OPENING = re.compile(r"^\W*(yes|no|not applicable|n/?a)\b", re.IGNORECASE)
_OPENING_SHORT = {"yes": "Yes", "no": "No", "not applicable": "N/A", "n/a": "N/A",
                  "na": "N/A"}


def answer_problems(answer: Answer, library: Library, *, today: date) -> tuple[Reason, ...]:
    """Why ``answer`` must not be written anywhere as it is: the entry's own checks."""
    return (*stale_answer(answer, today), *evidence_expired(answer, today),
            *evidence_missing(answer, library), *short_contradicts_answer(answer))


def gate_row(row: QuestionRow, answer: Answer, library: Library, *, today: date,
             local_note: str = "", decided: bool = False) -> tuple[RowFill, tuple[Reason, ...]]:
    """What ``answer`` would write on ``row``, and every reason it must not be written
    silently: the entry's own problems, then each cell left incomplete or misfitting.
    ``decided``: a person chose this answer, so it is written where it fits the cells
    even when a check fails (the reasons still say why)."""
    fill = fill_row(row, answer, root=library.root, local_note=local_note, decided=decided)
    return fill, (*answer_problems(answer, library, today=today), *fill.problems)


@reason_code("stale-answer", stage="verify")
def stale_answer(answer: Answer, today: date) -> tuple[Reason, ...]:
    """The answer is past its review date (`reviewed` plus `review_every` days), so it
    may no longer be true.

    Reviewer: confirm the answer is still true, then update `reviewed` in the library
    (or correct the answer) and accept the suggestion.

    PASS::

        question: Do you use a SIEM to collect security logs?
        entries:
          - id: siem
            question: Do you use a SIEM to collect security logs?
            answer: Yes. Every security log goes to our SIEM.
            reviewed: 2026-06-01
            review_every: 365

    FAIL::

        question: Do you use a SIEM to collect security logs?
        entries:
          - id: siem
            question: Do you use a SIEM to collect security logs?
            answer: Yes. Every security log goes to our SIEM.
            reviewed: 2025-01-10
            review_every: 365
    """
    if not answer.is_stale(today):
        return ()
    return (reason("stale-answer", f"'{answer.id}' was due for review on "
                   f"{answer.stale_since()} (reviewed {answer.reviewed}, every "
                   f"{answer.review_every} days)"),)


@reason_code("evidence-expired", stage="verify")
def evidence_expired(answer: Answer, today: date) -> tuple[Reason, ...]:
    """The answer cites evidence whose `valid_until` date has passed (an expired SOC 2
    report or certificate).

    Reviewer: attach the current document (update the evidence and its `valid_until`),
    then accept; or answer without citing it.

    PASS::

        question: Do you hold a SOC 2 Type II report?
        entries:
          - id: soc2
            question: Do you hold a SOC 2 Type II report?
            answer: Yes.
            evidence:
              - path: evidence/soc2.pdf
                valid_until: 2027-09-30

    FAIL::

        question: Do you hold a SOC 2 Type II report?
        entries:
          - id: soc2
            question: Do you hold a SOC 2 Type II report?
            answer: Yes.
            evidence:
              - path: evidence/soc2.pdf
                valid_until: 2026-09-30
    """
    return tuple(reason("evidence-expired", f"'{answer.id}' cites {item.path or item.url}, "
                        f"valid until {item.valid_until}")
                 for item in answer.evidence if item.expired(today))


@reason_code("evidence-missing", stage="verify")
def evidence_missing(answer: Answer, library: Library) -> tuple[Reason, ...]:
    """The answer cites a local evidence file that is not in the library's `evidence/`
    folder (moved, renamed or never added).

    Reviewer: add the file or fix the path in the library (`qfill lint` reports it too),
    then accept.

    PASS::

        question: Do you hold a SOC 2 Type II report?
        entries:
          - id: soc2
            question: Do you hold a SOC 2 Type II report?
            answer: Yes.
            evidence: [evidence/soc2.pdf]

    FAIL::

        question: Do you hold a SOC 2 Type II report?
        entries:
          - id: soc2
            question: Do you hold a SOC 2 Type II report?
            answer: Yes.
            evidence: [evidence/gone.pdf]
        missing: [evidence/gone.pdf]
    """
    found: list[Reason] = []
    for item in answer.evidence:
        if item.path is None:
            continue
        path = resolve_evidence(library.root, item.path)
        if path is None or not path.is_file():
            found.append(reason("evidence-missing", f"'{answer.id}' cites {item.path}, which "
                                "is not a file under evidence/"))
    return tuple(found)


@reason_code("short-contradicts-answer", stage="verify")
def short_contradicts_answer(answer: Answer) -> tuple[Reason, ...]:
    """The entry's `short` (Yes / No / N/A) says the opposite of how its answer text
    opens, so the yes/no cell and the text would disagree: "Yes" against "No" or "N/A"
    (either way round). "No" beside "Not applicable: ..." is not a contradiction: the
    text gives the reason for the No.

    Reviewer: fix the entry in the library (`qfill lint` reports it as an error), then
    accept.

    PASS::

        question: Are personal devices allowed to access company data?
        entries:
          - id: byod
            question: Are personal devices allowed to access company data?
            answer: No. Only managed laptops can reach company systems.
            short: "No"

    PASS::

        question: Are visitors to the data centre escorted at all times?
        entries:
          - id: visitor-escort
            question: Are visitors to the data centre escorted at all times?
            answer: >-
              Not applicable -- we run no data centre of our own; our cloud provider's
              controls are in its SOC 2 report.
            short: "No"

    FAIL::

        question: Are personal devices allowed to access company data?
        entries:
          - id: byod
            question: Are personal devices allowed to access company data?
            answer: No. Only managed laptops can reach company systems.
            short: "Yes"

    FAIL::

        question: Are visitors to the data centre escorted at all times?
        entries:
          - id: visitor-escort
            question: Are visitors to the data centre escorted at all times?
            answer: N/A. We run no data centre of our own.
            short: "Yes"
    """
    said = opening_short(answer.answer)
    if answer.short is None or said is None or shorts_agree(answer.short, said):
        return ()
    return (reason("short-contradicts-answer", f"'{answer.id}' has short "
                   f"\"{answer.short}\" but its answer opens with \"{said}\""),)


def opening_short(text: str) -> str | None:
    """The yes/no an answer text opens with ("Yes. We ...", "No, ..."), if any."""
    found = _OPENING.match(text)
    if found is None:
        return None
    return _OPENING_SHORT.get(found.group(1).lower().replace(" /", "/"))


def verify_matches(matches: Sequence[Match], library: Library, *, today: date,
                   local_note: str = "") -> list[Match]:
    """Send each filled row whose answer fails a check to review, with the reasons.

    Review rows keep their status and gain the reasons of their best suggestion, so a
    person deciding the row sees them too. Unanswered rows are unchanged.
    """
    answers = library.by_id()
    result: list[Match] = []
    with evidence_lookups():
        for match in matches:
            result.append(_verified(match, answers, library, today, local_note))
    return result


def _verified(match: Match, answers: dict[str, Answer], library: Library, today: date,
              local_note: str) -> Match:
    best = match.best
    answer = answers.get(best.answer_id) if best is not None else None
    if match.status in ("unanswered", "prefilled") or answer is None:
        return match
    _fill, problems = gate_row(match.row, answer, library, today=today, local_note=local_note)
    if not problems:
        return match
    if match.status == "filled":
        return replace(match, status="review", reasons=(*match.reasons, *problems))
    extra = tuple(p for p in problems if p not in match.reasons)
    return replace(match, reasons=(*match.reasons, *extra))
