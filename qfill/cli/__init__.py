"""The command line: parse options, call the core, render, map errors to exit codes.

This package is the only place that imports typer and rich. Each command lives in its
own module and registers itself on :data:`app`; the core never prints or exits.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console

from qfill import __version__
from qfill.errors import ExitCode, QfillError, UsageError
from qfill.escaping import terminal_text

if TYPE_CHECKING:
    from qfill.library import Library
    from qfill.settings import Settings

app = typer.Typer(
    name="qfill",
    help="Fill security questionnaires from a git-versioned answer library.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)

LibraryOption = Annotated[
    Path,
    typer.Option("--library", "-l", help="Library root: the folder holding answers/ "
                 "and evidence/.", show_default="current folder"),
]


# How to read a questionnaire: the same flags for `answer` and `inspect` (and `apply`).
QuestionnaireArgument = Annotated[Path, typer.Argument(
    metavar="QUESTIONNAIRE", help="The questionnaire: .xlsx, .xlsm or .csv.",
    show_default=False)]
SheetOption = Annotated[list[str] | None, typer.Option(
    "--sheet", metavar="NAME", help="Read only this sheet (repeatable).")]
MapOption = Annotated[str | None, typer.Option(
    "--map", metavar="SPEC",
    help="Column roles when detection is wrong: question=C,answer=E,short=D "
    "(also id, section, evidence, header=ROW; or a YAML file).")]
IncludeHiddenOption = Annotated[bool, typer.Option(
    "--include-hidden", help="Also read hidden sheets.")]

# Ranking by meaning: `answer` and `search`.
SemanticOption = Annotated[bool | None, typer.Option(
    "--semantic/--no-semantic",
    help="Rank by meaning as well as wording (needs the semantic extra; default: "
    "matching.semantic in qfill.yaml).", show_default=False)]


# Which product's answers: `answer` and `search`.
ProductOption = Annotated[str | None, typer.Option(
    "--product", help="Answer for this product: its entries and the shared ones (default: "
    "product in qfill.yaml; without one, shared entries only).")]


def for_product(library: Library, product: str | None) -> Library:
    """The entries that answer for ``product``; refuses a product no entry names."""
    known = library.products()
    if product is not None and product not in known:
        names = ", ".join(known) if known else "none (no entry names a product)"
        raise UsageError(f"--product {product}: no entry in {library.root} holds for it; "
                         f"the products named are: {names}")
    chosen = library.for_product(product)
    if product is None and known:
        say(f"note: {len(library.answers) - len(chosen.answers)} entries bound to products "
            f"({', '.join(known)}) are not used; pass --product to answer for one")
    return chosen


def with_semantic(settings: Settings, semantic: bool | None) -> Settings:
    """``settings`` with ``--semantic`` / ``--no-semantic`` applied over qfill.yaml."""
    return settings if semantic is None else settings.with_matching(semantic=semantic)


class TableFormat(str, Enum):
    """How a command prints its result: a table for people, or JSON for scripts."""

    TABLE = "table"
    JSON = "json"


TableFormatOption = Annotated[TableFormat, typer.Option(
    "--format", "-f", help="table: for people (fitted to the terminal, ids never cut); "
    "json: for scripts, stable keys.")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Same as --format json.")]


def wants_json(fmt: TableFormat, as_json: bool) -> bool:
    return as_json or fmt is TableFormat.JSON


TodayOption = Annotated[
    str | None,
    typer.Option("--today", hidden=True,
                 help="Check expiry and staleness as of this date (YYYY-MM-DD)."),
]


def parse_today(text: str | None) -> date:
    """The date given with --today (for reproducing a run), else today's."""
    if text is None:
        return date.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--today {text}: not a date; write it as YYYY-MM-DD") from None


def say(message: str, *, style: str | None = None) -> None:
    """One line to stderr, never wrapped, never read as markup (it holds user text), its
    control characters shown rather than sent to the terminal."""
    err_console.print(terminal_text(message), style=style, markup=False, highlight=False,
                      soft_wrap=True)


def tell(message: str) -> None:
    """One line of a command's result to stdout, never wrapped, never read as markup, its
    control characters shown rather than sent to the terminal."""
    console.print(terminal_text(message), markup=False, highlight=False, soft_wrap=True)


def fail(error: QfillError) -> NoReturn:
    say(f"qfill: error: {error}")
    raise typer.Exit(int(error.exit_code))


@contextmanager
def exit_on_error() -> Iterator[None]:
    """The one boundary that turns exceptions into qfill's one-line errors and exit codes."""
    try:
        yield
    except (typer.Exit, typer.Abort):  # both subclass RuntimeError: let them through
        raise
    except QfillError as e:
        fail(e)
    except KeyboardInterrupt as e:
        say("qfill: interrupted; no output was written")
        raise typer.Exit(_interrupted_code(e)) from None
    except MemoryError:
        say("qfill: error: ran out of memory; the input is too large to process")
        raise typer.Exit(int(ExitCode.UNUSABLE)) from None
    except RecursionError:
        say("qfill: error: the input is nested too deeply to process; save it again in the "
            "application that made it")
        raise typer.Exit(int(ExitCode.UNUSABLE)) from None
    except Exception as e:
        if os.environ.get("QFILL_DEBUG"):
            raise
        say(f"qfill: internal error: {type(e).__name__}: {e} "
            "(set QFILL_DEBUG=1 for the traceback)")
        raise typer.Exit(int(ExitCode.INTERNAL)) from None


def _version(value: bool) -> None:
    if value:
        typer.echo(f"qfill {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Show the version and exit.")] = False,
) -> None:
    """Fill security questionnaires from a git-versioned answer library."""


def _register() -> None:
    # Each command module adds itself to `app`. The heavy imports (openpyxl, rapidfuzz)
    # live inside the command functions, so registering them all costs little and
    # `qfill lint` never pays for openpyxl.
    import importlib

    for name in ("answer", "inspect", "search", "apply", "lint", "diff", "schema", "harvest",
                 "reasons"):
        importlib.import_module(f"qfill.cli.{name}_command")


_register()


class Terminated(KeyboardInterrupt):
    """SIGTERM (a CI timeout, ``kill``), raised where the program is so that the same
    clean-up as for ^C runs: temporary files removed, outputs left as they were."""


def _terminate(_signum: int, _frame: object) -> None:
    raise Terminated


def _interrupted_code(error: KeyboardInterrupt) -> int:
    return 128 + int(signal.SIGTERM) if isinstance(error, Terminated) \
        else int(ExitCode.INTERRUPTED)


def main() -> None:
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _terminate)
    try:
        app()
    except KeyboardInterrupt as e:
        say("qfill: interrupted; no output was written")
        sys.exit(_interrupted_code(e))
