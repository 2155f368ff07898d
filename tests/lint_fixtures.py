"""Helpers for the lint tests: build a library from text, run lint, read rule examples."""

from __future__ import annotations

import dataclasses
import re
import textwrap
from collections.abc import Mapping
from datetime import date
from pathlib import Path

from qfill.lint import RULES, LintResult, lint_library
from qfill.lint.registry import RankerFactory
from qfill.settings import Settings, load_settings

TODAY = date(2026, 11, 29)
CASES = Path(__file__).resolve().parent / "cases" / "lint"
GOLDEN = Path(__file__).resolve().parent / "golden" / "lint"
DEFAULT_FILE = "answers/example.yaml"
# Files every documented example may cite.
EVIDENCE = {
    "evidence/policies/access-control-policy.md": "# Access control policy\n",
    "evidence/reports/soc2-2026.pdf": "%PDF-1.7 placeholder\n",
}


def build(root: Path, files: Mapping[str, str]) -> Path:
    for name, content in {**EVIDENCE, **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
    (root / "answers").mkdir(parents=True, exist_ok=True)
    return root


def run_lint(root: Path, *, strict: bool = False, today: date = TODAY,
             settings: Settings | None = None, ranker: RankerFactory | None = None,
             **levels: str) -> LintResult:
    settings = settings or load_settings(root)
    if levels:
        rules = {**settings.lint.rules, **{k.replace("_", "-"): v for k, v in levels.items()}}
        settings = dataclasses.replace(settings, lint=dataclasses.replace(settings.lint,
                                                                           rules=rules))
    return lint_library(root, settings=settings, today=today, strict=strict, ranker=ranker)


def found(result: LintResult) -> list[tuple[str, str, int, int]]:
    return [(f.rule, f.path, f.line, f.column) for f in result.findings]


_BLOCK = re.compile(r"^(PASS|FAIL)::\n\n((?:(?:    .*)?\n)+)", re.MULTILINE)
_PROSE = re.compile(r"^(PASS|FAIL): \S", re.MULTILINE)


def examples(rule_id: str) -> dict[str, list[dict[str, str]]]:
    """The rule docstring's runnable examples: {"PASS": [files...], "FAIL": [files...]}.

    A block is YAML indented under ``PASS::``/``FAIL::``; ``# file: NAME`` lines inside it
    start another file (the first is ``answers/example.yaml`` unless named).
    """
    doc = RULES[rule_id].doc + "\n"
    result: dict[str, list[dict[str, str]]] = {"PASS": [], "FAIL": []}
    for kind, body in _BLOCK.findall(doc):
        files: dict[str, list[str]] = {}
        current = DEFAULT_FILE
        for line in textwrap.dedent(body).splitlines():
            marker = re.fullmatch(r"# file: (\S+)", line.strip())
            if marker:
                current = marker.group(1)
                continue
            files.setdefault(current, []).append(line)
        result[kind].append({name: "\n".join(lines).strip("\n") + "\n"
                             for name, lines in files.items()})
    return result


def prose_examples(rule_id: str) -> set[str]:
    return set(_PROSE.findall(RULES[rule_id].doc))
