"""Drift between the code, the README and the command contract (shared/spec/cli.md)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from qfill.settings import MatchSettings

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")

CONTRACT = REPO.parent / "shared" / "spec" / "cli.md"
_SPAN = re.compile(r"`([^`\n]+)`")
_OPTION = re.compile(r"(?<![\w-])(--?[a-z][a-z-]*)")
_SENTENCE_END = re.compile(r"(?<=[.;])\s+(?=[`A-Z(])|\n(?=\s*[-*] )")  # or a list item


def command_options() -> dict[str, set[str]]:
    """Every option each command declares, read from the commands themselves."""
    import typer.main

    from qfill.cli import app

    group = typer.main.get_command(app)
    assert hasattr(group, "commands")
    return {name: {o for p in command.params for o in (*p.opts, *p.secondary_opts)
                   if o.startswith("-")}
            for name, command in group.commands.items()}


def documented_options(text: str, commands: set[str]) -> dict[str, set[str]]:
    """The options a text gives each command: in a code span that runs it (`qfill lint
    --format json`), in code spans after one that names it in the same sentence
    (`qfill answer` options: `--out/-o PATH`), or for all of them after "Common options"."""
    found: dict[str, set[str]] = {name: set() for name in commands}
    for paragraph in re.split(r"\n\s*\n", text):
        everyone = paragraph.lstrip().startswith("Common options")
        for sentence in _SENTENCE_END.split(paragraph):
            owner: str | None = None
            for line in sentence.splitlines():
                run = re.match(r"^\s*(?:\$\s+)?qfill ([a-z]+)\b(.*)", line)
                if run and run.group(1) in found:  # a command line in a code block
                    found[run.group(1)] |= set(_OPTION.findall(run.group(2).split("#")[0]))
            for span in _SPAN.findall(sentence):
                named = re.match(r"qfill ([a-z]+)\b(.*)", span)
                if named and named.group(1) in found:
                    owner = named.group(1)
                    found[owner] |= set(_OPTION.findall(named.group(2)))
                elif span in found:
                    owner = span
                elif everyone:
                    for name in found:
                        found[name] |= set(_OPTION.findall(span))
                elif owner is not None and span.startswith("-"):
                    found[owner] |= set(_OPTION.findall(span))
    return found


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


def test_every_option_the_contract_names_exists() -> None:
    """The options `shared/spec/cli.md` gives each command, against the commands' own."""
    if not CONTRACT.is_file():
        pytest.skip(f"{CONTRACT} not present (the contract lives beside the repo)")
    text = CONTRACT.read_text(encoding="utf-8")
    contract = documented_options(text, set(re.findall(r"`qfill ([a-z]+)", text)))
    assert {"--library", "-l", "--out", "-o", "--report", "-r", "--review-file",
            "--fail-on-review"} <= contract["answer"]  # the reading of the contract works
    assert {"--out", "--learn", "--library"} <= contract["apply"]
    declared = command_options()
    missing = {name: sorted(options - declared[name]) for name, options in contract.items()
               if name in declared and options - declared[name]}
    assert missing == {}
    not_yet = sorted(set(contract) - set(declared))
    assert not_yet in ([], ["harvest"]), not_yet  # harvest is being built


def test_every_option_the_readme_shows_exists() -> None:
    declared = command_options()
    shown = documented_options(README, set(declared))
    assert {"--review-file", "--learn"} <= shown["answer"] | shown["apply"]
    stale = {name: sorted(options - declared[name]) for name, options in shown.items()
             if options - declared[name]}
    assert stale == {}


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


def test_the_readme_first_command_prints_the_summary_it_shows(tmp_path: Path, run_cli) -> None:
    """The counts the README shows for the example questionnaire are what it gives."""
    import json

    shown = re.search(r"┃ rows ┃ filled ┃ review ┃ unanswered ┃ prefilled ┃\n.*\n"
                      r"│((?:\s+\d+\s+│){5})", README)
    assert shown is not None, "the README's example summary table"
    result = run_cli("answer", REPO / "examples" / "vendor-security-questionnaire.xlsx",
                     "--library", REPO, "--out", tmp_path / "q.filled.xlsx",
                     "--report", tmp_path / "q.report.md", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)["summary"]
    assert [int(n) for n in shown.group(1).split("│") if n.strip()] == [
        summary[k] for k in ("rows", "filled", "review", "unanswered", "prefilled")]


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


def test_slow_tests_are_marked_and_still_run_by_default_and_in_ci(
        request: pytest.FixtureRequest) -> None:
    """`-m "not slow"` is for a quick loop while working; a plain run, and CI, run all."""
    assert any(line.startswith("slow:") for line in request.config.getini("markers"))
    assert not any("slow" in option for option in request.config.getini("addopts"))
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    test_command = next(line for line in ci.splitlines() if "pytest" in line)
    pytest_args = test_command.rsplit("-m pytest", 1)[1].split()
    assert "-m" not in pytest_args and "slow" not in test_command, test_command
    slow = [item.nodeid for item in request.session.items
            if item.get_closest_marker("slow") is not None]
    if request.config.getoption("markexpr") == "" and len(request.session.items) > 100:
        assert slow  # the whole suite is running: the slow tests are in it


def test_the_architecture_page_names_every_package_and_module() -> None:
    """docs/architecture.md is the map a newcomer reads first: it names every package and
    every module (``draft_*`` stands for its family), and nothing that is not there."""
    import fnmatch

    page = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`([\w*]+)`", page))
    package = REPO / "qfill"
    folders = {p.name for p in package.iterdir()
               if p.is_dir() and (p / "__init__.py").is_file()}
    assert {f"`qfill/{name}/`" for name in folders} <= set(re.findall(r"`qfill/\w+/`", page))
    for folder, names in (("qfill", named), ("qfill/sheets", named)):
        modules = {p.stem for p in (REPO / folder).glob("*.py")} - {"__init__", "__main__"}
        missing = sorted(m for m in modules if not any(fnmatch.fnmatch(m, n) for n in names))
        assert missing == [], f"{folder}: {missing}"
    sheets = {p.stem for p in (package / "sheets").glob("*.py")}
    listed = re.search(r"Inside `qfill/sheets/`(.*?)\n\n", page, re.S)
    assert listed is not None
    assert set(re.findall(r"`([a-z_0-9]+)`", listed.group(1))) <= sheets


def test_the_readme_names_the_commands_that_take_a_library() -> None:
    """Scripts pass `--library` to the commands the README says take one, and only those
    accept it: a command that reads no library has no option that would do nothing."""
    sentence = re.search(r"Every command that reads the library \(([^)]*)\) takes "
                         r"`--library/-l DIR`[^;]*; ([^.]*) read no library", README)
    assert sentence, "the README's sentence on --library is gone"
    said_with = set(re.findall(r"`([a-z]+)`", sentence.group(1)))
    said_without = set(re.findall(r"`([a-z]+)`", sentence.group(2)))
    declared = command_options()
    assert said_with == {name for name, options in declared.items() if "--library" in options}
    assert said_without == set(declared) - said_with
    assert all("-l" in declared[name] for name in said_with)
