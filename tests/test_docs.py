"""Drift between the code, the README and the command contract (shared/spec/cli.md)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from qfill.settings import MatchSettings

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")

CONTRACT_OPTIONS = {
    "answer": ["--library", "-l", "--out", "-o", "--report", "-r", "--review-file",
               "--fail-on-review"],
    "apply": ["--library", "-l", "--out", "--learn"],
    "lint": ["--library", "-l", "--format"],
    "diff": ["--library", "-l", "--format", "--fail-on"],
}


def _commands() -> list[str]:
    from qfill.cli import app

    return sorted(c.name for c in app.registered_commands if c.name)


def test_every_command_is_in_the_readme_table_and_has_help(run_cli) -> None:
    commands = _commands()
    assert {"answer", "apply", "diff", "inspect", "lint", "schema", "search"} <= set(commands)
    for name in commands:
        assert f"| `qfill {name}" in README, name
        result = run_cli(name, "--help")
        assert result.exit_code == 0 and "Usage:" in result.stdout, name


@pytest.mark.parametrize("command", sorted(CONTRACT_OPTIONS))
def test_contract_options_exist(run_cli, command: str) -> None:
    text = run_cli(command, "--help").stdout
    for option in CONTRACT_OPTIONS[command]:
        assert re.search(rf"(^|[\s,]){re.escape(option)}([\s,/=]|$)", text, re.M), \
            (command, option)


def test_readme_thresholds_are_the_defaults() -> None:
    defaults = MatchSettings()
    assert f"fill_threshold: {defaults.fill_threshold:.2f}" in README
    assert f"review_threshold: {defaults.review_threshold:.2f}" in README
    sample = (REPO / "qfill.yaml").read_text(encoding="utf-8")
    assert f"fill_threshold: {defaults.fill_threshold:.2f}" in sample


def test_the_two_setup_commands_are_the_ones_ci_runs() -> None:
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    test_command = next(line for line in ci.splitlines() if "pytest" in line)
    assert test_command in README
    assert "qfill answer examples/vendor-security-questionnaire.xlsx" in README


def test_the_readme_python_example_fills_like_qfill_answer(tmp_path: Path, monkeypatch,
                                                          run_cli) -> None:
    """The README's Python snippet runs as printed and writes what `qfill answer` writes."""
    import contextlib
    import io
    import shutil

    block = README.split("### From Python", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    for name in ("answers", "evidence", "examples"):
        shutil.copytree(REPO / name, tmp_path / name)
    shutil.copy(REPO / "qfill.yaml", tmp_path / "qfill.yaml")
    monkeypatch.chdir(tmp_path)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(block, "README.md", "exec"), {})  # the README's own code, as printed
    filled, _, review = printed.getvalue().strip().partition(" filled, ")
    assert int(filled) > 0 and review.endswith(" to review")
    result = run_cli("answer", "examples/vendor-security-questionnaire.xlsx",
                     "--out", "cli.xlsx", "--report", "cli.md")
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "filled.xlsx").read_bytes() == (tmp_path / "cli.xlsx").read_bytes()
