"""Running the rules over a library: severities from qfill.yaml, silences, one sorted result."""

from __future__ import annotations

import dataclasses
import difflib
import time
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from qfill.errors import SettingsError
from qfill.findings import Finding, Severity
from qfill.library import ENTRY_SCHEMA, Library, bulk_allocation, read_library
from qfill.lint.registry import RULES, LintContext, RankerFactory, Rule
from qfill.lint.silence import is_silenced, read_silences
from qfill.settings import Settings

_LEVELS = {"error": Severity.ERROR, "warning": Severity.WARNING, "off": None}


@dataclass(frozen=True, slots=True)
class LintResult:
    """Every finding of one run, sorted by (path, line, column, rule), with counts.

    ``files`` counts the answer files read; ``silenced`` the findings dropped by inline
    ``# qfill: disable=`` comments.
    """

    findings: tuple[Finding, ...]
    files: int
    errors: int
    warnings: int
    silenced: int = 0

    @property
    def failed(self) -> bool:
        return self.errors > 0

    @property
    def status(self) -> str:
        """``"fail"`` when any finding is an error, else ``"ok"`` (the JSON contract)."""
        return "fail" if self.failed else "ok"


def rule_severities(settings: Settings) -> dict[str, Severity | None]:
    """Each rule's effective severity (None: off); raise on a rule id qfill lacks.

    Also checks ``lint.required``, so that a misspelt key fails loudly rather than
    requiring nothing.
    """
    source = settings.source or "qfill.yaml"
    levels: dict[str, Severity | None] = {r.id: r.default for r in RULES.values()}
    for rule_id, level in settings.lint.rules.items():
        if rule_id not in RULES:
            hint = difflib.get_close_matches(rule_id, list(RULES), n=1, cutoff=0.6)
            tip = f"did you mean '{hint[0]}'?" if hint else "run `qfill lint --list-rules`"
            raise SettingsError(f"{source}: lint.rules names '{rule_id}', which is not a "
                                f"qfill rule; {tip}")
        levels[rule_id] = _LEVELS[level]
    allowed = [*ENTRY_SCHEMA, "evidence.title"]
    for key in settings.lint.required:
        if key not in allowed:
            hint = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
            tip = f"did you mean '{hint[0]}'?" if hint else f"allowed: {', '.join(allowed)}"
            raise SettingsError(f"{source}: lint.required names '{key}', which is not an "
                                f"entry key; {tip}")
    return levels


def _context(root: Path, settings: Settings, today: date, ranker: RankerFactory | None,
             cache: Path | None = None) -> tuple[LintContext, Library]:
    library, loaded = read_library(root, cache=cache)
    by_rule: dict[str, list[Finding]] = defaultdict(list)
    for finding in loaded:
        by_rule[finding.rule].append(finding)
    context = LintContext(root=root, library=library, settings=settings, today=today,
                          loaded=by_rule, ranker=ranker,
                          silences=read_silences(root, library.files), cache_dir=cache)
    return context, library


def lint_library(root: Path, *, settings: Settings, today: date, strict: bool = False,
                 ranker: RankerFactory | None = None, cache: Path | None = None
                 ) -> LintResult:
    """Check the library at ``root`` against every enabled rule.

    ``today`` decides expiry and staleness (the CLI passes the real date; tests pass a
    fixed one). ``strict`` reports warnings as errors. ``ranker`` replaces the matcher
    behind ``ambiguous-entries`` (tests). ``cache`` is a folder that keeps each answer
    file as checked, and the analyses of the library's texts, between runs
    (:mod:`qfill.answer_file_cache`); the findings are the same without it. Problems in
    the library are findings, never
    exceptions; a missing library folder or a bad ``qfill.yaml`` raises a
    :class:`~qfill.errors.QfillError` (exit 2).
    """
    levels = rule_severities(settings)
    found: list[Finding] = []
    with bulk_allocation():  # the ambiguity join analyses every phrasing: same pattern
        context, library = _context(root, settings, today, ranker, cache)
        for rule in RULES.values():
            severity = levels[rule.id]
            if severity is None:
                continue
            found.extend(_run(rule, context, Severity.ERROR if strict else severity))
    # A finding of a rule the loader knows and this registry does not: keep it.
    for rule_id, findings in context.loaded.items():
        if rule_id not in RULES:
            found.extend(dataclasses.replace(f, severity=Severity.ERROR) if strict else f
                         for f in findings)
    entry_lines: dict[tuple[str, str], list[int]] = defaultdict(list)
    for answer in library.answers:
        entry_lines[(answer.source, answer.id)].append(answer.line)
    kept: list[Finding] = []
    silenced = 0
    for finding in found:
        silences = context.silences.get(finding.path)
        lines = entry_lines.get((finding.path, finding.answer_id or ""), [])
        if silences and is_silenced(finding, silences, lines):
            silenced += 1
        else:
            kept.append(finding)
    kept.sort()
    errors = sum(1 for f in kept if f.severity is Severity.ERROR)
    return LintResult(tuple(kept), len(library.files), errors, len(kept) - errors, silenced)


def _run(rule: Rule, context: LintContext, severity: Severity) -> list[Finding]:
    return [Finding(p.path, p.line, p.column, rule.id, severity, " ".join(p.message.split()),
                    p.answer_id)
            for p in rule.check(context)]


def rule_timings(root: Path, *, settings: Settings, today: date) -> Mapping[str, float]:
    """Seconds spent reading the library and in each rule (for ``benchmarks/lint.py``)."""
    start = time.perf_counter()
    context, _ = _context(root, settings, today, None)
    timings = {"(read library)": time.perf_counter() - start}
    for rule in RULES.values():
        start = time.perf_counter()
        _run(rule, context, Severity.ERROR)
        timings[rule.id] = time.perf_counter() - start
    return timings

