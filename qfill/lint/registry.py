"""The lint rule registry: every rule is a small function whose docstring is its manual.

A rule gets a :class:`LintContext` (the library as read, the loader's structural findings,
settings and today's date) and yields :class:`Problem` records; the runner adds the rule
id and the configured severity. Ids are stable kebab-case names that appear in every
output format, ``qfill.yaml`` and inline ``# qfill: disable=`` comments, so never rename one.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Protocol

from qfill.findings import Finding, Severity
from qfill.library import Answer, Library
from qfill.settings import Settings


@dataclass(frozen=True, slots=True)
class Problem:
    """Where a rule found something, and what to do about it (one line)."""

    path: str
    line: int
    column: int
    message: str
    answer_id: str | None = None

    @classmethod
    def at(cls, answer: Answer, message: str) -> Problem:
        """A problem of a whole entry: at the entry's first line."""
        return cls(answer.source, answer.line, answer.column, message, answer.id)


@dataclass(frozen=True, slots=True)
class Silence:
    """A ``# qfill: disable=rule,...`` comment. ``alone`` when the comment is the whole
    line (it then also covers the line below)."""

    line: int
    column: int
    rules: tuple[str, ...]
    alone: bool


class RankedCandidate(Protocol):
    """What ``ambiguous-entries`` reads of :class:`qfill.matching.Candidate`."""

    @property
    def answer_id(self) -> str: ...

    @property
    def confidence(self) -> float: ...


class Ranker(Protocol):
    """The slice of :class:`qfill.matching.Matcher` that ``ambiguous-entries`` relies on."""

    def rank_among(self, questions: Sequence[str], among: Sequence[Sequence[str]], *,
                   owners: Sequence[Collection[str]] | None = None, within: float = 1.0,
                   at_least: float = 0.0) -> Sequence[Sequence[RankedCandidate]]: ...


RankerFactory = Callable[[Library, Settings], Ranker]


@dataclass(slots=True)
class LintContext:
    """Everything a rule may look at; built once per run."""

    root: Path
    library: Library
    settings: Settings
    today: date
    loaded: Mapping[str, Sequence[Finding]] = field(default_factory=dict)
    ranker: RankerFactory | None = None
    silences: Mapping[str, Mapping[int, Silence]] = field(default_factory=dict)
    # A folder where what lint works out of unchanged answer files is kept between runs
    # (qfill.answer_file_cache), or None.
    cache_dir: Path | None = None
    cache: dict[str, object] = field(default_factory=dict)  # shared by related rules

    def from_loader(self, rule_id: str) -> Iterable[Problem]:
        """The loader's findings of one rule, as problems."""
        for f in self.loaded.get(rule_id, ()):
            yield Problem(f.path, f.line, f.column, f.message, f.answer_id)


Check = Callable[[LintContext], Iterable[Problem]]


@dataclass(frozen=True, slots=True)
class Rule:
    """A registered rule. ``default`` is its severity when ``qfill.yaml`` says nothing;
    None means off until a library turns it on."""

    id: str
    default: Severity | None
    check: Check
    doc: str

    @property
    def summary(self) -> str:
        """The docstring's first paragraph on one line: the description in every listing."""
        first = self.doc.strip().split("\n\n", 1)[0]
        return " ".join(first.split()).replace("``", "`") or self.id

    @property
    def module(self) -> str:
        return self.check.__module__

    @property
    def default_name(self) -> str:
        return self.default.value if self.default else "off"


RULES: dict[str, Rule] = {}


def rule(rule_id: str, default: Severity | None = Severity.ERROR) -> Callable[[Check], Check]:
    """Register a rule function under ``rule_id``; its docstring documents it."""

    def register(check: Check) -> Check:
        if rule_id in RULES:
            raise ValueError(f"lint rule {rule_id!r} registered twice")
        RULES[rule_id] = Rule(rule_id, default, check, inspect.cleandoc(check.__doc__ or ""))
        return check

    return register
