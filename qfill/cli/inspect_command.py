"""`qfill inspect`: show what qfill detects in a questionnaire, before answering it."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from qfill.cli import (
    IncludeHiddenOption,
    JsonFlag,
    MapOption,
    QuestionnaireArgument,
    SheetOption,
    TableFormat,
    TableFormatOption,
    app,
    console,
    exit_on_error,
    say,
    wants_json,
)
from qfill.errors import ExitCode

if TYPE_CHECKING:
    from qfill.questionnaire import Questionnaire


@app.command("inspect")
def inspect(
    questionnaire: QuestionnaireArgument,
    fmt: TableFormatOption = TableFormat.TABLE,
    as_json: JsonFlag = False,
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
        if wants_json(fmt, as_json):
            sys.stdout.write(render_json(result, rows=rows))
        else:
            _print_tables(result, rows=rows)
    if not result.rows:
        from qfill.sheets.reader import why_no_rows

        hint = why_no_rows(result)
        if not mapping:
            hint = ("no question rows found in any sheet; try --sheet and "
                    "--map question=<column>,answer=<column>")
        say(f"qfill: {questionnaire}: {hint}")
        raise typer.Exit(int(ExitCode.PROBLEMS))


def _print_tables(result: Questionnaire, *, rows: bool) -> None:
    from qfill.cli.tables import Column, print_table
    from qfill.render.inspect import (
        ROW_HEADINGS,
        TABLE_HEADINGS,
        question_table_rows,
        shows_template,
        table_rows,
        title,
    )

    numeric = {"Header", "Rows", "Row"}
    # Sheet names are what --sheet takes: kept whole, like ids.
    kept = {"Sheet", "Template", "Header", "Rows", "Row", "Id"}
    columns = [Column(h, keep=h in kept, justify="right" if h in numeric else "left")
               for h in TABLE_HEADINGS]
    cells = table_rows(result)
    if not shows_template(result):
        drop = TABLE_HEADINGS.index("Template")
        columns.pop(drop)
        cells = [(*c[:drop], *c[drop + 1:]) for c in cells]
    print_table(console, columns, cells, title=title(result))
    if rows:
        console.print()
        print_table(console, [Column(h, keep=h in kept, justify="right" if h in numeric
                                     else "left") for h in ROW_HEADINGS],
                    question_table_rows(result))
