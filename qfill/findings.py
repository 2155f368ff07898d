"""A located problem in the answer library: the record that lint reports and the loader raises."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True, order=True)
class Finding:
    """One problem at one place. Ordered by (path, line, column, rule) for stable output.

    ``path`` is relative to the library root with forward slashes; ``line`` and
    ``column`` are 1-based and point at the offending key or value.
    """

    path: str
    line: int
    column: int
    rule: str
    severity: Severity
    message: str
    answer_id: str | None = None

    def location(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"

    def to_dict(self) -> dict[str, object]:
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "rule": self.rule,
            "severity": self.severity.value,
            "message": self.message,
        }
