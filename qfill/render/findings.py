"""Lint results as text: parsable lines, JSON, GitHub workflow commands, SARIF 2.1.0.

Every renderer takes the same :class:`~qfill.lint.LintResult` and returns ``str``; the
CLI writes it to stdout untouched (never through rich, which would wrap lines and eat
``[rule-id]`` as markup). Paths in ``text`` and ``json`` are relative to the library root
(the contract); ``github`` and ``sarif`` take a ``prefix`` that makes them relative to the
repository root, which is what GitHub needs to place an annotation on a pull request.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from itertools import groupby
from typing import Any

from qfill import __version__
from qfill.choices import LintFormat
from qfill.findings import Finding, Severity
from qfill.lint import RULES, LintResult

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def resolve_format(fmt: LintFormat, *, github_actions: bool) -> LintFormat:
    """``auto`` is ``github`` inside GitHub Actions, else ``text``."""
    if fmt is LintFormat.AUTO:
        return LintFormat.GITHUB if github_actions else LintFormat.TEXT
    return fmt


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def render_summary(result: LintResult) -> str:
    """``2 errors, 1 warning in 14 files`` (plus silenced findings when there are any)."""
    line = (f"{_plural(result.errors, 'error')}, {_plural(result.warnings, 'warning')} "
            f"in {_plural(result.files, 'file')}")
    if result.silenced:
        line += f" ({result.silenced} silenced)"
    return line + "\n"


def render_text(result: LintResult, prefix: str = "") -> str:
    """yamllint's ``parsable`` lines: ``path:line:col: severity [rule] message``."""
    return "".join(f"{prefix}{f.location()}: {f.severity.value} [{f.rule}] "
                   f"{_one_line(f.message)}\n" for f in result.findings)


def render_json(result: LintResult, prefix: str = "") -> str:
    """The JSON contract of ``qfill lint --format json`` (shared/spec/cli.md)."""
    document = {
        "version": 1,
        "status": result.status,
        "summary": {"errors": result.errors, "warnings": result.warnings,
                    "files": result.files, "silenced": result.silenced},
        "findings": [{**f.to_dict(), "path": prefix + f.path} for f in result.findings],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


# ----------------------------------------------------------------- GitHub workflow commands


def escape_data(value: str) -> str:
    """Escape a workflow command's message (actions/toolkit ``escapeData``)."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    """Escape a workflow command property value (actions/toolkit ``escapeProperty``)."""
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def render_github(result: LintResult, prefix: str = "") -> str:
    """One ``::error``/``::warning`` command per finding, grouped per file.

    ``file`` must be relative to the repository root with forward slashes, which is
    what ``prefix`` (the library's folder in the repository, ``""`` at the top) gives.
    """
    out: list[str] = []
    for path, findings in groupby(result.findings, key=lambda f: f.path):
        out.append(f"::group::{escape_data(prefix + path)}\n")
        for f in findings:
            properties = ",".join(f"{name}={escape_property(value)}" for name, value in (
                ("file", prefix + f.path), ("line", str(f.line)), ("col", str(f.column)),
                ("title", f.rule)))
            out.append(f"::{f.severity.value} {properties}::{escape_data(f.message)}\n")
        out.append("::endgroup::\n")
    return "".join(out)


# ----------------------------------------------------------------- SARIF


def _fingerprint(f: Finding) -> str:
    # Stable across unrelated edits: the rule, the file and the entry, not the line.
    anchor = f.answer_id if f.answer_id else f"line {f.line}"
    key = "\0".join((f.rule, f.path, anchor, f.message if not f.answer_id else ""))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def _rule_descriptor(rule_id: str) -> dict[str, Any]:
    rule = RULES.get(rule_id)
    summary = rule.summary if rule else rule_id
    level = "error" if rule is None or rule.default is None \
        or rule.default is Severity.ERROR else "warning"
    return {
        "id": rule_id,
        "name": "".join(part.capitalize() for part in rule_id.split("-")),
        "shortDescription": {"text": summary},
        "fullDescription": {"text": rule.doc if rule else summary},
        "help": {"text": rule.doc if rule else summary},
        "defaultConfiguration": {"level": level},
    }


def render_sarif(result: LintResult, prefix: str = "") -> str:
    """A SARIF 2.1.0 log for code-scanning upload, every rule described from its docstring.

    Code scanning needs GitHub Advanced Security on private repositories; the ``github``
    format shows the same findings on any pull request.
    """
    rule_ids = list(RULES)
    extra = sorted({f.rule for f in result.findings} - set(rule_ids))
    rule_ids += extra
    index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
    results = [{
        "ruleId": f.rule,
        "ruleIndex": index[f.rule],
        "level": f.severity.value,
        "message": {"text": _one_line(f.message)},
        "locations": [{"physicalLocation": {
            "artifactLocation": {"uri": prefix + f.path, "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": f.line, "startColumn": f.column},
        }}],
        "partialFingerprints": {"qfillFinding/v1": _fingerprint(f)},
    } for f in result.findings]
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "qfill",
                "version": __version__,
                "semanticVersion": __version__,
                "rules": [_rule_descriptor(rule_id) for rule_id in rule_ids],
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


Renderer = Callable[[LintResult, str], str]

RENDERERS: Mapping[LintFormat, Renderer] = {
    LintFormat.TEXT: render_text,
    LintFormat.JSON: render_json,
    LintFormat.GITHUB: render_github,
    LintFormat.SARIF: render_sarif,
}


def render_findings(result: LintResult, fmt: LintFormat, prefix: str = "") -> str:
    """The result in one concrete format (``auto`` must be resolved first)."""
    if fmt is LintFormat.AUTO:
        raise ValueError("resolve LintFormat.AUTO with resolve_format() first")
    return RENDERERS[fmt](result, prefix)

