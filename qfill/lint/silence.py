"""Inline silencing: ``# qfill: disable=rule-id[,rule-id...]`` in an answer file.

A comment on an entry's first line, or alone on the line above it, silences those rules
for that entry; on any other line (or alone just above it) it silences them for findings
on that line. Comments are read from the raw text, since YAML parsers drop them.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from qfill.findings import Finding, Severity
from qfill.library import read_answer_file
from qfill.lint.registry import RULES, LintContext, Problem, Silence, rule
from qfill.yamlsource import split_lines

MARKER = "qfill:"
# A YAML comment starts at a `#` that opens the line or follows white space.
_DISABLE = re.compile(r"(?:^|\s)#\s*qfill:\s*disable\s*=\s*([A-Za-z0-9_,\s-]*)")


def read_silences(root: Path, paths: Iterable[str]) -> dict[str, dict[int, Silence]]:
    """The disable comments of each answer file, by 1-based line."""
    result: dict[str, dict[int, Silence]] = {}
    for name in paths:
        data = read_answer_file(root / name, name)
        if isinstance(data, Finding):
            continue  # reported by the loader
        text = data.decode("utf-8", "replace").removeprefix("\ufeff")
        if MARKER not in text:
            continue
        for number, line in enumerate(split_lines(text), start=1):
            if MARKER not in line:
                continue
            found = _DISABLE.search(line)
            if found is None:
                continue
            names = tuple(n for n in re.split(r"[,\s]+", found.group(1)) if n)
            column = line.index("#", found.start()) + 1
            result.setdefault(name, {})[number] = Silence(
                number, column, names, alone=not line[: column - 1].strip())
    return result


def is_silenced(finding: Finding, silences: Mapping[int, Silence],
                entry_lines: Sequence[int]) -> bool:
    """Whether a comment on the finding's line or its entry's first line (or alone on
    the line above either) names the finding's rule."""
    for line in (finding.line, *entry_lines):
        here = silences.get(line)
        if here is not None and finding.rule in here.rules:
            return True
        above = silences.get(line - 1)
        if above is not None and above.alone and finding.rule in above.rules:
            return True
    return False


@rule("unknown-rule", default=Severity.WARNING)
def unknown_rule(ctx: LintContext) -> Iterable[Problem]:
    """A ``# qfill: disable=`` comment that names a rule qfill does not have.

    A misspelt rule id silences nothing, so the finding it was meant for would come back
    (or was never there). The message suggests the nearest rule id.

    PASS::

        answers:
          - id: legacy-vpn  # qfill: disable=stale-answer
            question: Do you offer a VPN?
            answer: Yes, for administrators only.
            reviewed: 2020-01-01
            review_every: 365

    FAIL::

        answers:
          - id: legacy-vpn  # qfill: disable=stale-answnser
            question: Do you offer a VPN?
            answer: Yes, for administrators only.
    """
    for path, lines in sorted(ctx.silences.items()):
        for silence in sorted(lines.values(), key=lambda s: s.line):
            for name in silence.rules:
                if name in RULES:
                    continue
                hint = difflib.get_close_matches(name, list(RULES), n=1, cutoff=0.6)
                tip = f"did you mean '{hint[0]}'?" if hint else "see `qfill lint --list-rules`"
                yield Problem(path, silence.line, silence.column,
                              f"'{name}' in this disable comment is not a qfill rule; {tip}")
