"""`qfill lint` and `qfill schema` on the command line: exit codes, streams, formats."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from lint_fixtures import TODAY, build

from qfill.lint import RULES

CLEAN = "answers:\n  - id: x\n    question: Do you encrypt backups?\n    answer: Yes.\n"
WARN = CLEAN + "    reviewed: 2020-01-01\n    review_every: 30\n"
BROKEN = CLEAN + "    short: Maybe\n"


def _lint(run_cli, root: Path, *args: str):
    return run_cli("lint", "--library", root, "--today", TODAY.isoformat(), *args)


def test_clean_library_exits_0_with_a_summary_only(run_cli, tmp_path: Path) -> None:
    root = build(tmp_path, {"answers/a.yaml": CLEAN})
    result = _lint(run_cli, root)
    assert (result.exit_code, result.stdout, result.stderr) == (
        0, "", "0 errors, 0 warnings in 1 file\n")


def test_warnings_exit_0_unless_strict(run_cli, tmp_path: Path) -> None:
    root = build(tmp_path, {"answers/a.yaml": WARN})
    result = _lint(run_cli, root)
    assert (result.exit_code, result.stderr) == (0, "0 errors, 1 warning in 1 file\n")
    assert result.stdout.startswith("answers/a.yaml:2:5: warning [stale-answer] ")
    strict = _lint(run_cli, root, "--strict")
    assert (strict.exit_code, strict.stderr) == (1, "1 error, 0 warnings in 1 file\n")
    assert strict.stdout.startswith("answers/a.yaml:2:5: error [stale-answer] ")


def test_errors_exit_1(run_cli, tmp_path: Path) -> None:
    root = build(tmp_path, {"answers/a.yaml": BROKEN})
    result = _lint(run_cli, root)
    assert (result.exit_code, result.stdout) == (
        1, "answers/a.yaml:5:12: error [invalid-short] short must be \"Yes\", \"No\" or "
           "\"N/A\", not 'Maybe'\n")


def test_library_as_positional_argument(run_cli, tmp_path: Path) -> None:
    root = build(tmp_path, {"answers/a.yaml": BROKEN})
    result = run_cli("lint", root, "--today", TODAY.isoformat())
    assert result.exit_code == 1 and "[invalid-short]" in result.stdout
    both = run_cli("lint", root, "--library", tmp_path / "other")
    assert both.exit_code == 2 and "library given twice" in both.stderr


@pytest.mark.parametrize(("files", "message"), [
    ({"qfill.yaml": "lint:\n  rules:\n    stale-answers: off\n"},
     "qfill: error: qfill.yaml: lint.rules names 'stale-answers', which is not a qfill rule; "
     "did you mean 'stale-answer'?\n"),
    ({"qfill.yaml": "lint:\n  rules:\n    stale-answer: loud\n"},
     "qfill: error: qfill.yaml:3:19: lint.rules.stale-answer must be off, warning or error\n"),
])
def test_bad_settings_exit_2_with_one_line(run_cli, tmp_path: Path, files: dict[str, str],
                                           message: str) -> None:
    root = build(tmp_path, {"answers/a.yaml": CLEAN, **files})
    result = _lint(run_cli, root)
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", message)


def test_missing_library_exits_2(run_cli, tmp_path: Path) -> None:
    missing = tmp_path / "no [such] library folder with a long name to catch line wrapping"
    result = run_cli("lint", "--library", missing)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (f"qfill: error: {missing}: library folder not found; "
                             "pass --library DIR\n")


def test_bad_today_exits_2(run_cli, tmp_path: Path) -> None:
    root = build(tmp_path, {"answers/a.yaml": CLEAN})
    result = run_cli("lint", "--library", root, "--today", "29/11/2026")
    assert (result.exit_code, result.stderr) == (
        2, "qfill: error: --today 29/11/2026: not a date; write it as YYYY-MM-DD\n")


def test_json_contract(run_cli, tmp_path: Path) -> None:
    root = build(tmp_path, {"answers/a.yaml": BROKEN})
    result = _lint(run_cli, root, "--format", "json")
    document = json.loads(result.stdout)
    assert list(document) == ["version", "status", "summary", "findings"]
    assert document["version"] == 1 and document["status"] == "fail"
    assert document["summary"] == {"errors": 1, "warnings": 0, "files": 1, "silenced": 0}
    assert document["findings"] == [{
        "path": "answers/a.yaml", "line": 5, "column": 12, "rule": "invalid-short",
        "severity": "error", "message": "short must be \"Yes\", \"No\" or \"N/A\", not 'Maybe'"}]


def test_auto_format_is_github_inside_actions(run_cli, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    root = build(tmp_path, {"answers/a.yaml": BROKEN})
    assert _lint(run_cli, root).stdout.startswith("answers/a.yaml:5:12: error")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    lines = _lint(run_cli, root).stdout.splitlines()
    assert lines[0].startswith("::group::") and lines[-1] == "::endgroup::"
    assert lines[1].startswith("::error file=") and ",title=invalid-short::" in lines[1]


def test_github_paths_are_relative_to_the_repository(run_cli, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    root = build(repo / "security" / "library", {"answers/a.yaml": BROKEN})
    subprocess.run(["git", "init", "-q", str(repo)], check=True, capture_output=True)
    result = _lint(run_cli, root, "--format", "github")
    assert "::error file=security/library/answers/a.yaml,line=5,col=12," in result.stdout
    sarif = json.loads(_lint(run_cli, root, "--format", "sarif").stdout)
    location = sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "security/library/answers/a.yaml"


def test_list_rules_names_every_rule(run_cli) -> None:
    result = run_cli("lint", "--list-rules")
    assert result.exit_code == 0
    assert [line.split()[0] for line in result.stdout.splitlines()] == list(RULES)
    assert "stale-answer" in result.stdout and "warning" in result.stdout


def test_schema_command_prints_json_schema(run_cli, tmp_path: Path) -> None:
    result = run_cli("schema")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["$schema"] == "http://json-schema.org/draft-07/schema#"
    target = tmp_path / "answer-file.schema.json"
    written = run_cli("schema", "--output", target)
    assert (written.exit_code, written.stdout, written.stderr) == (0, f"wrote {target}\n", "")
    assert target.read_text(encoding="utf-8") == result.stdout


def test_lint_runs_without_importing_spreadsheet_libraries(tmp_path: Path) -> None:
    root = build(tmp_path, {"answers/a.yaml": CLEAN})
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "qfill", "lint",
                           "--library", str(root)], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert "openpyxl" not in done.stderr


def test_pre_commit_hook_runs_lint_on_library_changes() -> None:
    import re

    import yaml

    hooks = yaml.safe_load((Path(__file__).resolve().parent.parent / ".pre-commit-hooks.yaml")
                           .read_text(encoding="utf-8"))
    [hook] = hooks
    assert (hook["id"], hook["entry"], hook["language"], hook["pass_filenames"]) == (
        "qfill-lint", "qfill lint", "python", False)
    pattern = re.compile(hook["files"])
    assert all(pattern.search(p) for p in ("answers/iam.yaml", "answers/a/b.yml", "qfill.yaml",
                                           "evidence/policies/x.pdf"))
    assert not any(pattern.search(p) for p in ("README.md", "src/answers.py"))
