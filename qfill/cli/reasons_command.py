"""`qfill reasons`: every reason code a report can give, what it means, what to do."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from qfill.cli import (
    JsonFlag,
    TableFormat,
    TableFormatOption,
    app,
    console,
    exit_on_error,
    wants_json,
)
from qfill.errors import UsageError


@app.command("reasons")
def reasons(
    code: Annotated[str | None, typer.Argument(
        metavar="[CODE]", help="Show one code in full, with its examples.",
        show_default=False)] = None,
    fmt: TableFormatOption = TableFormat.TABLE,
    as_json: JsonFlag = False,
) -> None:
    """List the reason codes a report gives for a row it did not fill.

    Each code: when it is checked (match: the wording of the question against an entry;
    verify: the entry before it is written; write: the row's cells), what it means, and
    what a reviewer should do.
    """
    with exit_on_error():
        from qfill.reasons import all_codes

        codes = all_codes()
        if code is not None and code not in codes:
            import difflib

            hint = difflib.get_close_matches(code, list(codes), n=1, cutoff=0.6)
            raise UsageError(f"no reason code '{code}'"
                             + (f" (did you mean '{hint[0]}'?)" if hint else "")
                             + "; run `qfill reasons` for the list")
        chosen = [codes[code]] if code is not None else list(codes.values())
        if wants_json(fmt, as_json):
            sys.stdout.write(json.dumps({"version": 1, "reasons": [
                {"code": c.code, "stage": c.stage, "meaning": c.meaning, "action": c.action}
                for c in chosen]}, ensure_ascii=False, indent=2) + "\n")
            return
        if code is not None:
            entry = chosen[0]
            for line in (f"{entry.code} ({entry.stage})", "", entry.meaning, "",
                         f"Reviewer: {entry.action}", "", *_examples(entry)):
                console.print(line, markup=False, highlight=False, soft_wrap=True)
            return
        from qfill.cli.tables import Column, print_table

        print_table(console, (Column("code", keep=True), Column("stage", keep=True),
                              Column("meaning"), Column("what to do")),
                    [(c.code, c.stage, c.meaning, c.action) for c in chosen])


def _examples(entry: object) -> list[str]:
    from qfill.reasons import ReasonCode

    assert isinstance(entry, ReasonCode)
    lines: list[str] = []
    for example in entry.examples:
        case = example.case
        lines.append(f"{example.kind}: {case.get('question', '')}")
        if "entry" in case:
            lines.append(f"    entry: {case['entry']}")
        for item in case.get("entries", ()) or ():
            if isinstance(item, dict):
                lines.append(f"    {item.get('id', '?')}: {item.get('question', '')}")
    lines += [f"{kind}: {text}" for kind, text in entry.prose_examples]
    return lines
