"""`qfill search "question text"`: the library's best answers for one question.

For the person deciding a review row: each candidate with its confidence, its question,
and every reason it might be the wrong answer (a guard that fired, a stale answer,
expired or missing evidence).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from qfill.cli import (
    LibraryOption,
    SemanticOption,
    TodayOption,
    app,
    console,
    exit_on_error,
    parse_today,
    say,
    with_semantic,
)


@app.command("search")
def search(
    text: Annotated[str, typer.Argument(metavar="TEXT", help="The question to look up, in quotes.",
                                        show_default=False)],
    library: LibraryOption = Path("."),
    k: Annotated[int, typer.Option("-k", "--top", min=1, max=50,
                                   help="How many candidates to show.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (stable keys) instead "
                                          "of a table.")] = False,
    semantic: SemanticOption = None,
    today: TodayOption = None,
) -> None:
    """Show the library answers that best fit a question, with confidence and reasons."""
    with exit_on_error():
        from qfill.library import load_library
        from qfill.matching import Matcher
        from qfill.settings import load_settings
        from qfill.verification import answer_problems

        run_date = parse_today(today)
        settings = with_semantic(load_settings(library), semantic)
        loaded = load_library(library)
        candidates = Matcher(loaded, settings).search(text, k)
        answers = loaded.by_id()
        results: list[dict[str, Any]] = []
        for rank, candidate in enumerate(candidates, start=1):
            answer = answers[candidate.answer_id]
            problems = answer_problems(answer, loaded, today=run_date)
            results.append({
                "rank": rank,
                "answer_id": answer.id,
                "confidence": round(candidate.confidence, 2),
                "question": answer.question,
                "short": answer.short,
                "answer": answer.answer,
                "source": f"{answer.source}:{answer.line}" if answer.source else None,
                "reasons": [*candidate.reasons, *problems],
            })
    if as_json:
        typer.echo(json.dumps({"query": text, "library": str(library),
                               "candidates": results}, indent=2, ensure_ascii=False))
        return
    if not results:
        say("no answer in the library shares a meaningful word with this question")
        return
    _print_table(results)


def _print_table(results: list[dict[str, Any]]) -> None:
    from rich.table import Table
    from rich.text import Text

    table = Table(show_header=True, header_style="bold", show_lines=False)
    table.add_column("#", justify="right")
    table.add_column("answer id")
    table.add_column("confidence", justify="right")
    table.add_column("question")
    table.add_column("reasons")
    for item in results:
        # Text objects are never parsed as markup: library text may hold [brackets].
        table.add_row(str(item["rank"]), Text(item["answer_id"]),
                      f"{item['confidence']:.2f}", Text(item["question"]),
                      Text("\n".join(item["reasons"]) or "-"))
    console.print(table, soft_wrap=False)
