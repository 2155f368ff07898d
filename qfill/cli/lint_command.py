"""`qfill lint`: check the answer library, for people, CI and pre-commit."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.text import Text

from qfill.choices import LintFormat
from qfill.cli import LibraryOption, TodayOption, app, console, exit_on_error, parse_today, say
from qfill.errors import ExitCode, QfillError, UsageError

if TYPE_CHECKING:
    from qfill.lint import LintResult


@app.command("lint")
def lint(
    library_argument: Annotated[Path | None, typer.Argument(
        metavar="LIBRARY",
        help="Library root (same as --library).", show_default=False)
    ] = None,
    library: LibraryOption = Path("."),
    fmt: Annotated[LintFormat, typer.Option(
        "--format", "-f", help="text: file:line:col lines; json: for scripts; github: "
        "annotations on the pull request; sarif: for code-scanning upload; auto: github "
        "inside GitHub Actions, else text.")] = LintFormat.AUTO,
    strict: Annotated[bool, typer.Option(
        "--strict", help="Report warnings as errors (and exit 1 on them).")] = False,
    list_rules: Annotated[bool, typer.Option(
        "--list-rules", help="List every rule with its default severity and exit.")
    ] = False,
    today: TodayOption = None,
) -> None:
    """Check the answer library: YAML, keys, ids, evidence, review dates, ambiguity.

    Exit 0 when there is no error (warnings are allowed unless --strict), 1 when there
    are errors, 2 when the library or qfill.yaml cannot be used. Configure rules in
    qfill.yaml (lint: rules, required, review_every); silence one finding with a
    "# qfill: disable=RULE" comment on the entry's first line or the line above it.
    """
    with exit_on_error():
        from qfill.disk_cache import cache_folder
        from qfill.lint import RULES, lint_library
        from qfill.render.findings import render_findings, render_summary, resolve_format
        from qfill.settings import load_settings

        if list_rules:
            width = max(len(rule_id) for rule_id in RULES)
            sys.stdout.write("".join(f"{r.id:<{width}}  {r.default_name:<7}  {r.summary}\n"
                                     for r in RULES.values()))
            raise typer.Exit(int(ExitCode.OK))
        root = _library_root(library_argument, library)
        settings = load_settings(root)
        result = lint_library(root, settings=settings, today=parse_today(today), strict=strict,
                              cache=cache_folder())
        concrete = resolve_format(fmt, github_actions=os.environ.get("GITHUB_ACTIONS") == "true")
        if concrete is LintFormat.TEXT and fmt is LintFormat.AUTO and sys.stdout.isatty():
            _print_grouped(result)
        else:
            prefix = _repository_prefix(root) if concrete in (
                LintFormat.GITHUB, LintFormat.SARIF) else ""
            sys.stdout.write(render_findings(result, concrete, prefix))
            sys.stdout.flush()
        say(render_summary(result).rstrip("\n"))
    raise typer.Exit(int(ExitCode.PROBLEMS if result.failed else ExitCode.OK))


def _library_root(argument: Path | None, option: Path) -> Path:
    if argument is None:
        return option
    if option != Path(".") and option.resolve() != argument.resolve():
        raise UsageError(f"{argument}: library given twice (also --library {option}); "
                         "give one")
    return argument


def _repository_prefix(root: Path) -> str:
    """The library's folder relative to the repository root (``""`` or ``"sub/dir/"``),
    so annotation paths land on the right file of a pull request."""
    from qfill.gitrev import Git

    try:
        top = Git(root, os.environ).text("rev-parse", "--show-toplevel")
    except QfillError:
        top = None
    base = Path(top) if top else Path.cwd()
    try:
        relative = root.resolve().relative_to(base.resolve())
    except ValueError:
        return ""
    text = relative.as_posix()
    return "" if text == "." else text + "/"


_STYLE = {"error": "bold red", "warning": "yellow"}


def _print_grouped(result: LintResult) -> None:
    """The terminal view: findings grouped per file, coloured; untrusted text stays text."""
    current = None
    for f in result.findings:
        if f.path != current:
            if current is not None:
                console.print()
            console.print(Text(f.path, style="bold underline"), soft_wrap=True)
            current = f.path
        line = Text(f"  {f.line}:{f.column}".ljust(10))
        line.append(f"{f.severity.value:<8}", style=_STYLE.get(f.severity.value, ""))
        line.append(f.message)
        line.append(f"  [{f.rule}]", style="dim")
        console.print(line, soft_wrap=True)
    if result.findings:
        console.print()
