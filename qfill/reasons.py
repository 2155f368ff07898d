"""Reason codes: every check that can keep a row from being filled, as one documented unit.

A row that qfill does not fill carries reasons, and each reason is a :class:`Reason`: a
stable ``code`` (``negation``, ``stale-answer``, ...) and a one-line ``message`` quoting the
question's and the entry's words as written. Its text, ``"<code>: <message>"``, is what
every report shows; scripts read the code.

Each code is registered once, by the function that checks it, with :func:`reason_code`;
that function's docstring is the code's manual, the way lint rules are documented:

* the first paragraph is the one-line **meaning** (what it means that the code fired);
* a paragraph starting ``Reviewer:`` says **what a person deciding the row should do**;
* ``PASS::`` and ``FAIL::`` blocks are **examples that run as tests**: YAML with the row's
  ``question`` (and ``section``) and the library (``entry:`` for a one-entry library given
  by its question, with ``answer:`` and ``short:`` beside it, or ``entries:`` as in an
  answer file; ``missing:`` lists cited evidence files left out), optionally the row's
  cells (``row:`` with ``short: [dropdown values]``, ``answered: text`` already in the
  answer cell, or ``cells: none``). A FAIL example must raise the code, a PASS example
  must not. An example that cannot be one row
  and a small library is written as prose instead (``PASS: ...`` / ``FAIL: ...``).

The API, for code that adds a check::

    from qfill.reasons import Reason, reason_code

    @reason_code("stale-answer", stage="verify")
    def stale_answer(answer: Answer, today: date) -> Reason | None:
        \"\"\"An answer whose review date has passed. ...\"\"\"
        ...
        return REASONS["stale-answer"].reason(f"'{answer.id}' was due for review on ...")

and for code that reads reasons: ``reason.code``, ``reason.message``, ``str(reason)``;
:data:`REASONS` (code -> :class:`ReasonCode`, after :func:`all_codes`) for the manual.
Codes are stable: they appear in reports, review files and users' scripts, so never
rename one; add a new code for a new kind of check.
"""

from __future__ import annotations

import inspect
import re
import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import import_module
from typing import Any, Literal, TypeVar

import yaml

Stage = Literal["match", "verify", "write"]
STAGES: tuple[Stage, ...] = ("match", "verify", "write")
# The modules whose import registers every code (kept here so the registry can be listed
# without importing the whole program at start-up).
_MODULES = ("qfill.guards", "qfill.matching", "qfill.filling", "qfill.verification",
            "qfill.answering")

_CODE = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
_BLOCK = re.compile(r"^(PASS|FAIL)::\n\n((?:(?:    .*)?\n)+)", re.MULTILINE)
_PROSE = re.compile(r"^(PASS|FAIL): (\S.*(?:\n(?!\n).+)*)", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Reason:
    """Why one row (or one suggestion) is not filled: a registered code and one line."""

    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


@dataclass(frozen=True, slots=True)
class Example:
    """One documented case of a code: ``kind`` PASS (must not fire) or FAIL (must fire);
    ``case`` is the example's YAML, read (``question``, ``entry``/``entries``, ``row``)."""

    kind: Literal["PASS", "FAIL"]
    case: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class ReasonCode:
    """A registered code: the check that raises it and its manual (the check's docstring).

    ``stage`` says when it is checked: ``match`` (the wording of a question against an
    entry), ``verify`` (the entry itself, before it is written), ``write`` (the row's
    cells in the customer's file).
    """

    code: str
    stage: Stage
    doc: str
    check: Callable[..., Any]

    @property
    def meaning(self) -> str:
        """The docstring's first paragraph on one line."""
        return _paragraph(self.doc.split("\n\n", 1)[0])

    @property
    def action(self) -> str:
        """What a reviewer should do: the docstring's ``Reviewer:`` paragraph."""
        for paragraph in self.doc.split("\n\n"):
            if paragraph.startswith("Reviewer:"):
                text = _paragraph(paragraph[len("Reviewer:"):])
                return text[:1].upper() + text[1:]
        return ""

    @property
    def examples(self) -> tuple[Example, ...]:
        """The runnable PASS/FAIL examples, in the order written."""
        found = []
        for kind, body in _BLOCK.findall(self.doc + "\n"):
            case = yaml.safe_load(textwrap.dedent(body))
            if not isinstance(case, dict):
                raise ValueError(f"reason {self.code!r}: a {kind} example is not a mapping")
            found.append(Example(kind, case))
        return tuple(found)

    @property
    def prose_examples(self) -> tuple[tuple[str, str], ...]:
        """Examples written as sentences (``PASS: ...``), for cases a test builds itself."""
        return tuple((kind, _paragraph(text)) for kind, text in _PROSE.findall(self.doc))

    def reason(self, message: str) -> Reason:
        """A reason with this code; ``message`` is one line, the words as written."""
        return Reason(self.code, " ".join(message.split()))


REASONS: dict[str, ReasonCode] = {}

F = TypeVar("F", bound=Callable[..., Any])


def reason_code(code: str, *, stage: Stage) -> Callable[[F], F]:
    """Register the decorated function as the check of ``code``; its docstring is the
    code's manual (meaning, ``Reviewer:`` paragraph, PASS/FAIL examples)."""
    if not _CODE.fullmatch(code):
        raise ValueError(f"reason code {code!r} is not kebab-case")

    def register(check: F) -> F:
        if code in REASONS:
            raise ValueError(f"reason code {code!r} registered twice")
        REASONS[code] = ReasonCode(code, stage, inspect.cleandoc(check.__doc__ or ""), check)
        return check

    return register


def reason(code: str, message: str) -> Reason:
    """A reason with a registered ``code`` (a ``KeyError`` names an unregistered one)."""
    return REASONS[code].reason(message)


def all_codes() -> dict[str, ReasonCode]:
    """Every registered code, by stage and then in the order its module defines them."""
    for module in _MODULES:
        import_module(module)
    order = {stage: n for n, stage in enumerate(STAGES)}
    return dict(sorted(REASONS.items(), key=lambda item: order[item[1].stage]))


def codes_of(reasons: tuple[Reason, ...] | list[Reason]) -> list[str]:
    """The codes of ``reasons``, in order (for tests and scripts that branch on codes)."""
    return [r.code for r in reasons]


def _paragraph(text: str) -> str:
    return " ".join(text.split()).replace("``", "`")
