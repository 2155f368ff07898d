"""The closed sets of values commands accept for their output and exit policy.

They are typer's choices, needed when the command line is built, so they live apart from
the code that renders or decides: ``qfill --help`` must not import the linter, the
library reader or YAML to list ``--format text|json|...``.
"""

from __future__ import annotations

from enum import Enum


class LintFormat(str, Enum):
    """How ``qfill lint`` writes its findings."""

    AUTO = "auto"
    TEXT = "text"
    JSON = "json"
    GITHUB = "github"
    SARIF = "sarif"

    def __str__(self) -> str:
        return self.value


class DiffFormat(str, Enum):
    """How ``qfill diff`` writes a library change."""

    AUTO = "auto"
    TEXT = "text"
    MARKDOWN = "markdown"
    JSON = "json"


class FailOn(str, Enum):
    """When ``qfill diff`` exits 1: never, when a risk is present, on any change."""

    NEVER = "never"
    RISKY = "risky"
    ANY = "any"
