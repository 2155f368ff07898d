"""Rules about one entry's content: required keys, review dates, short against answer,
length."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import timedelta

from qfill.findings import Severity
from qfill.library import FILE_SCHEMA, shorts_agree
from qfill.lint.registry import LintContext, Problem, rule
from qfill.sheets.cell_text import EXCEL_CELL_LIMIT, excel_length

# The Answer field each entry key is read into (the key names are the format's).
_FIELD = {"id": "id", "question": "question", "aliases": "aliases", "answer": "answer",
          "short": "short", "evidence": "evidence", "refs": "refs", "tags": "tags",
          "owner": "owner", "reviewed": "reviewed", "review_every": "review_every",
          "products": "products", "source": "harvested_from", "value": "value"}

# How an answer opens: "Yes, ...", "No.", "N/A", "Not applicable: ...". Checked in this
# order so "N/A" is not read as "No"; "None"/"Not" do not count as "No" (\b).
_OPENING = re.compile(r"^[\W_]*(?:(?P<yes>yes)|(?P<na>n/?a|not applicable)|(?P<no>no))\b",
                      re.IGNORECASE)
_OPENING_VALUE = {"yes": "Yes", "no": "No", "na": "N/A"}


def answer_opening(text: str) -> str | None:
    """The short value an answer's first word states ("Yes", "No", "N/A"), if any."""
    found = _OPENING.match(text)
    if found is None or found.lastgroup is None:
        return None
    return _OPENING_VALUE[found.lastgroup]


@rule("missing-required-key")
def missing_required_key(ctx: LintContext) -> Iterable[Problem]:
    """An entry without a key that this library requires (``lint.required`` in
    ``qfill.yaml``).

    Libraries often require an ``owner`` (who approves the answer) or a ``reviewed``
    date on every entry. A file-level ``owner``, ``tags`` or ``review_every`` counts for
    the entries in that file. ``evidence.title`` requires a ``title`` on every evidence
    item: a customer's evidence cell shows the title (a document without one is named by
    its first heading or file name). Off unless ``lint.required`` lists keys.

    PASS::

        # file: qfill.yaml
        lint:
          required: [owner]
        # file: answers/example.yaml
        owner: security@example.com
        answers:
          - id: mfa-workforce
            question: Is MFA required for all staff?
            answer: Yes, for every account.

    FAIL::

        # file: qfill.yaml
        lint:
          required: [owner]
        # file: answers/example.yaml
        answers:
          - id: mfa-workforce
            question: Is MFA required for all staff?
            answer: Yes, for every account.
    """
    required = ctx.settings.lint.required
    if not required:
        return
    source = ctx.settings.source or "qfill.yaml"
    for answer in ctx.library.answers:
        for key in required:
            if key == "evidence.title":
                for item in answer.evidence:
                    if not item.title:
                        yield Problem(answer.source, item.line or answer.line,
                                      item.column or answer.column,
                                      f"evidence {item.path or item.url} of '{answer.id}' "
                                      f"has no title, which {source} lint.required asks "
                                      "for; write it as a mapping with path (or url) and "
                                      "title", answer.id)
                continue
            value = getattr(answer, _FIELD[key])
            if value is None or (not isinstance(value, int) and not value):
                where = " or as a file-level default" if key in FILE_SCHEMA else ""
                yield Problem.at(answer, f"entry '{answer.id}' has no '{key}', which "
                                 f"{source} lint.required asks for; add it to the entry{where}")


@rule("stale-answer", default=Severity.WARNING)
def stale_answer(ctx: LintContext) -> Iterable[Problem]:
    """An answer whose last review (``reviewed``) is older than its review period.

    The period is the entry's ``review_every``, else its file's, else ``lint.review_every``
    in ``qfill.yaml``; an entry with no ``reviewed`` date or no period is never stale.
    Approved answers drift from reality (a tool replaced, a certification lapsed); have
    the owner re-read the answer, then update ``reviewed``.

    PASS::

        answers:
          - id: backups
            question: Are backups tested?
            answer: Yes, restored quarterly.
            reviewed: 2026-06-01
            review_every: 365

    FAIL::

        answers:
          - id: backups
            question: Are backups tested?
            answer: Yes, restored quarterly.
            reviewed: 2024-06-01
            review_every: 365
    """
    default = ctx.settings.lint.review_every
    for answer in ctx.library.answers:
        period = answer.review_every or default
        if answer.reviewed is None or period is None:
            continue
        due = answer.reviewed + timedelta(days=period)
        if due < ctx.today:
            yield Problem.at(answer, f"answer '{answer.id}' was last reviewed on "
                             f"{answer.reviewed.isoformat()} and was due again on "
                             f"{due.isoformat()} (every {period} days); have its owner "
                             "review it, then update 'reviewed'")


@rule("short-contradicts-answer")
def short_contradicts_answer(ctx: LintContext) -> Iterable[Problem]:
    """A ``short`` that says the opposite of how the answer text opens.

    ``short: "No"`` with an answer opening "Yes, ..." puts "No" in the customer's yes/no
    column and "Yes" in the comment beside it. One of them is wrong; fix it. Only an
    opening Yes / No / N/A / Not applicable is read; other openings are not judged.
    "No" and "N/A" agree: ``short: "No"`` beside "Not applicable -- we run no data centre"
    gives the reason for the No.

    PASS::

        answers:
          - id: pen-test
            question: Do you run annual penetration tests?
            answer: Yes, by an external firm every year.
            short: "Yes"

    PASS::

        answers:
          - id: visitor-escort
            question: Are data centre visitors escorted?
            answer: Not applicable -- we run no data centre of our own.
            short: "No"

    FAIL::

        answers:
          - id: pen-test
            question: Do you run annual penetration tests?
            answer: Yes, by an external firm every year.
            short: "No"
    """
    for answer in ctx.library.answers:
        if answer.short is None:
            continue
        opening = answer_opening(answer.answer)
        if opening is not None and not shorts_agree(answer.short, opening):
            yield Problem.at(answer, f"short is \"{answer.short}\" but the answer opens with "
                             f"\"{opening}\"; change one so they agree")


@rule("answer-too-long")
def answer_too_long(ctx: LintContext) -> Iterable[Problem]:
    """An answer or value longer than the 32,767 characters one spreadsheet cell holds.

    Excel counts UTF-16 code units, so a character outside the Basic Multilingual Plane
    (an emoji) counts twice. Such an answer can never be written into a customer's cell:
    every row it matches goes to review. Shorten it, or move the detail into an evidence
    document and cite it.

    PASS: an answer of a few paragraphs (or exactly 32,767 characters).

    FAIL: an answer pasted from a 40-page policy, 32,768 characters or more.
    """
    for answer in ctx.library.answers:
        for key, text in (("answer", answer.answer), *(("value", v) for v in answer.value)):
            length = excel_length(text)
            if length > EXCEL_CELL_LIMIT:
                yield Problem.at(answer, f"{key} of '{answer.id}' is {length:,} characters, "
                                 f"more than the {EXCEL_CELL_LIMIT:,} a spreadsheet cell "
                                 "holds; shorten it or cite the detail as evidence")
