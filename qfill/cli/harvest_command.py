"""`qfill harvest`: turn completed questionnaires into draft library entries."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from qfill.cli import (
    IncludeHiddenOption,
    JsonFlag,
    LibraryOption,
    MapOption,
    SheetOption,
    TableFormat,
    TableFormatOption,
    TodayOption,
    app,
    exit_on_error,
    parse_today,
    say,
    wants_json,
)
from qfill.errors import UsageError


@app.command("harvest")
def harvest(
    completed: Annotated[list[Path], typer.Argument(
        metavar="COMPLETED", help="Answered questionnaires (.xlsx, .xlsm, .csv), or a "
        "two-column export of questions and answers.", show_default=False)],
    library: LibraryOption = Path("."),
    into: Annotated[Path | None, typer.Option(
        "--into", help="The answer file new entries go to (under answers/).",
        show_default="answers/harvested.yaml")] = None,
    product: Annotated[str | None, typer.Option(
        "--product", help="The product these answers hold for; new entries record it.")
    ] = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Print the plan; change no file.")] = False,
    conflicts: Annotated[Path | None, typer.Option(
        "--conflicts", help="Also write the conflicts, both answers side by side, as CSV.")
    ] = None,
    report: Annotated[Path | None, typer.Option(
        "--report", "-r", help="Write the report to a file (.txt, .md or .json) instead of "
        "standard output.")] = None,
    fmt: TableFormatOption = TableFormat.TABLE,
    as_json: JsonFlag = False,
    include_hidden: IncludeHiddenOption = False,
    sheet: SheetOption = None,
    mapping: MapOption = None,
    today: TodayOption = None,
) -> None:
    """Turn questionnaires already answered into draft entries, with conflicts reported.

    Each answered row becomes a draft entry (no `reviewed` date) in --into, an alias of
    the library entry that already answers it the same way, or a conflict when the
    library answers it otherwise. Blanks, placeholders, staff details and fields about
    the questionnaire itself are skipped and listed; harvesting a file twice changes
    nothing the second time.
    """
    with exit_on_error():
        from qfill.files import atomic_write
        from qfill.harvest.harvesting import (
            conflicts_csv,
            lint_harvest,
            plan_harvest,
            write_harvest,
        )
        from qfill.render.harvest import render_json, render_text
        from qfill.settings import load_settings
        from qfill.sheets.mapping import parse_column_mapping

        if report is not None and report.suffix.lower() not in (".txt", ".json", ".md"):
            raise UsageError(f"--report {report}: give a .txt, .md or .json file")
        root = library
        settings = load_settings(root)
        result = plan_harvest(completed, root=root, settings=settings,
                              into=into.absolute() if into is not None else None,
                              product=product,
                              mapping=parse_column_mapping(mapping) if mapping else None,
                              sheets=tuple(sheet) if sheet else None,
                              include_hidden=include_hidden)
        lint = []
        if not dry_run:
            write_harvest(result)
            lint = lint_harvest(result, settings, today=parse_today(today))
        json_out = report.suffix.lower() == ".json" if report is not None \
            else wants_json(fmt, as_json)
        render = render_json if json_out else render_text
        text = render(result, lint, dry_run=dry_run)
        if report is not None:
            atomic_write(report, text)
        else:
            sys.stdout.write(text)
        if conflicts is not None:
            atomic_write(conflicts, conflicts_csv(result.conflicts))
        summary = (f"{len(result.new)} new entries, "
                   f"{sum(len(a.texts) for a in result.aliases)} new aliases, "
                   f"{len(result.conflicts)} conflicts, "
                   f"{sum(result.skipped().values())} rows skipped")
        say(("dry run: " if dry_run else "") + summary)
        if report is not None:
            say(f"wrote {report}")
        if result.conflicts and conflicts is None:
            say("tip: --conflicts conflicts.csv lists both answers of each conflict "
                "side by side")
    raise typer.Exit(0)
