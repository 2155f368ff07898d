"""`qfill inspect`: show what qfill detects in a questionnaire, before answering it."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from qfill.cli import (
    IncludeHiddenOption,
    MapOption,
    QuestionnaireArgument,
    SheetOption,
    app,
    console,
    exit_on_error,
    say,
)
from qfill.errors import ExitCode

if TYPE_CHECKING:
    from qfill.questionnaire import Questionnaire


_COLUMN_STYLE = {"Status": {"min_width": 9}, "Header": {"justify": "right"},
                 "Rows": {"justify": "right"}}


@app.command("inspect")
def inspect(
    questionnaire: QuestionnaireArgument,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Print a JSON document instead of a table.")] = False,
    rows: Annotated[bool, typer.Option(
        "--rows", help="Also list every question row with its target cells.")] = False,
    sheet: SheetOption = None,
    mapping: MapOption = None,
    include_hidden: IncludeHiddenOption = False,
) -> None:
    """Show per sheet what was detected: template, header row, columns by role, question rows.

    Exits 1 when no sheet holds question rows (then try --sheet and --map).
    """
    with exit_on_error():
        from qfill.render.inspect import render_json
        from qfill.sheets.mapping import parse_column_mapping
        from qfill.sheets.reader import read_questionnaire

        column_mapping = parse_column_mapping(mapping) if mapping else None
        result = read_questionnaire(questionnaire, include_hidden=include_hidden,
                                    sheets=tuple(sheet) if sheet else None,
                                    mapping=column_mapping, allow_empty=True)
        if as_json:
            sys.stdout.write(render_json(result, rows=rows))
        else:
            _print_tables(result, rows=rows)
    if not result.rows:
        say(f"qfill: {questionnaire}: no question rows found in any sheet; try --sheet and "
            "--map question=<column>,answer=<column>")
        raise typer.Exit(int(ExitCode.PROBLEMS))


def _print_tables(result: Questionnaire, *, rows: bool) -> None:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    from qfill.render.inspect import (
        ROW_HEADINGS,
        TABLE_HEADINGS,
        question_table_rows,
        table_rows,
        title,
    )

    # Sheet names, labels and questions are customer text: never read them as markup.
    table = Table(title=Text(title(result)), title_justify="left", box=box.SIMPLE_HEAD)
    for heading in TABLE_HEADINGS:
        table.add_column(heading, **_COLUMN_STYLE.get(heading, {}))  # type: ignore[arg-type]
    for cells in table_rows(result):
        table.add_row(*(Text(cell) for cell in cells))
    console.print(table)
    if rows:
        detail = Table(*ROW_HEADINGS, box=box.SIMPLE_HEAD)
        for cells in question_table_rows(result):
            detail.add_row(*(Text(cell) for cell in cells))
        console.print(detail)
