"""``qfill lint``: check an answer library and report every problem with its place.

Rules are registered in :mod:`qfill.lint.registry` by the modules imported here, in the
order they are documented: what the loader finds while reading (YAML, keys, types, ids),
then entry content, evidence, ambiguity between entries, and silencing comments.
"""

from __future__ import annotations

from qfill.lint import ambiguity, entries, evidence, silence, structure
from qfill.lint.linter import LintResult, lint_library, rule_severities, rule_timings
from qfill.lint.registry import RULES, LintContext, Problem, Rule

_DOCUMENTED_ORDER = tuple(m.__name__ for m in (structure, entries, evidence, ambiguity, silence))
_ordered = sorted(RULES.values(), key=lambda r: _DOCUMENTED_ORDER.index(r.module))
RULES.clear()
RULES.update((r.id, r) for r in _ordered)

__all__ = ["RULES", "LintContext", "LintResult", "Problem", "Rule", "lint_library",
           "rule_severities", "rule_timings"]
