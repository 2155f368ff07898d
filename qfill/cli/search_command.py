"""`qfill search "question text"`: the library's best answers for one question.

For the person deciding a review row: each candidate with its confidence, its question,
and every reason it might be the wrong answer (a guard that fired, a stale answer,
expired or missing evidence).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from qfill.cli import (
    JsonFlag,
    LibraryOption,
    ProductOption,
    SemanticOption,
    TableFormat,
    TableFormatOption,
    TodayOption,
    app,
    console,
    exit_on_error,
    for_product,
    parse_today,
    say,
    wants_json,
    with_semantic,
)

if TYPE_CHECKING:
    from qfill.grounding import Grounding


@app.command("search")
def search(
    text: Annotated[str, typer.Argument(metavar="TEXT", help="The question to look up, in quotes.",
                                        show_default=False)],
    library: LibraryOption = Path("."),
    k: Annotated[int, typer.Option("-k", "--top", min=1, max=50,
                                   help="How many candidates to show.")] = 5,
    fmt: TableFormatOption = TableFormat.TABLE,
    as_json: JsonFlag = False,
    semantic: SemanticOption = None,
    product: ProductOption = None,
    evidence: Annotated[bool, typer.Option(
        "--evidence", help="Show what the documents under evidence/ say instead: the best "
        "passages and a draft quoted from them.")] = False,
    today: TodayOption = None,
) -> None:
    """Show the library answers that best fit a question, with confidence and reasons."""
    if evidence:
        _search_evidence(text, library, k=k, as_json=wants_json(fmt, as_json),
                         semantic=semantic, today=today)
        return
    with exit_on_error():
        from qfill.confidence import shown_confidence
        from qfill.disk_cache import cache_folder
        from qfill.library import load_library
        from qfill.matching import Matcher
        from qfill.settings import load_settings
        from qfill.verification import answer_problems

        run_date = parse_today(today)
        settings = with_semantic(load_settings(library), semantic)
        cache = cache_folder()
        loaded = for_product(load_library(library, cache=cache), product or settings.product)
        candidates = Matcher(loaded, settings, index_cache=cache).search(text, k)
        answers = loaded.by_id()
        results: list[dict[str, Any]] = []
        for rank, candidate in enumerate(candidates, start=1):
            answer = answers[candidate.answer_id]
            problems = answer_problems(answer, loaded, today=run_date)
            results.append({
                "rank": rank,
                "answer_id": answer.id,
                "confidence": shown_confidence(candidate.confidence),
                "question": answer.question,
                "short": answer.short,
                "answer": answer.answer,
                "source": f"{answer.source}:{answer.line}" if answer.source else None,
                "reasons": [str(r) for r in (*candidate.reasons, *problems)],
                "reason_codes": [r.code for r in (*candidate.reasons, *problems)],
            })
    if wants_json(fmt, as_json):
        typer.echo(json.dumps({"query": text, "library": str(library),
                               "candidates": results}, indent=2, ensure_ascii=False))
        return
    if not results:
        say("no answer in the library shares a meaningful word with this question")
        return
    _print_table(results)


def first_line(text: str, limit: int = 100) -> str:
    """The answer's opening line, enough to recognise it; the rest is in ``--json``."""
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    return line if len(line) <= limit else line[:limit - 1].rstrip() + "\u2026"


def _print_table(results: list[dict[str, Any]]) -> None:
    from qfill.cli.tables import Column, print_table

    columns = (Column("#", keep=True, justify="right"), Column("answer id", keep=True),
               Column("conf.", keep=True, justify="right"), Column("short", keep=True),
               Column("question"), Column("answer"), Column("reasons"))
    rows = [(str(item["rank"]), item["answer_id"], f"{item['confidence']:.2f}",
             item["short"] or "-",
             item["question"], first_line(item["answer"]),
             "\n".join(item["reasons"]) or "-")
            for item in results]
    print_table(console, columns, rows)


def _search_evidence(text: str, library: Path, *, k: int, as_json: bool,
                     semantic: bool | None, today: str | None) -> None:
    with exit_on_error():
        from dataclasses import replace

        from qfill.evidence_index import default_document_cache
        from qfill.grounding import Grounder, draft_to_dict, load_evidence, passage_to_dict
        from qfill.library import load_library
        from qfill.settings import load_settings

        settings = with_semantic(load_settings(library), semantic)
        settings = replace(settings, evidence=replace(settings.evidence, passages=k))
        loaded = load_library(library)
        index = load_evidence(library, loaded, settings, today=parse_today(today),
                              cache=default_document_cache())
        found = Grounder(index, settings, library).ground(text, draft=True)
    if as_json:
        typer.echo(json.dumps({
            "query": text, "library": str(library),
            "passages": [{"rank": rank, **passage_to_dict(r), "relevance": relevance}
                         for rank, (r, relevance) in enumerate(
                             zip(found.passages, relevances(found), strict=True), start=1)],
            "draft": draft_to_dict(found.draft) if found.draft else None,
            "refused": list(found.refused), "notes": list(found.notes),
            "expired": {path: day.isoformat() for path, day in sorted(index.expired.items())},
            "unreadable": list(index.notes)}, indent=2, ensure_ascii=False))
        return
    for note in index.notes:
        say(f"note: {note}")
    for path, day in sorted(index.expired.items()):
        say(f"not quoted: {path} expired on {day.isoformat()}")
    if not found.passages:
        say("no passage of the evidence speaks to this question")
        return
    _print_passages(found)


def relevances(found: Grounding) -> list[float]:
    """What ranked each passage, relative to the first (1.00): the order they are listed
    in. A passage's ``score`` (the share of the question's weighted terms it covers) is
    not: a passage that says more about fewer of the question's words can rank first."""
    best = max((r.rank_score for r in found.passages), default=0.0) or 1.0
    return [round(r.rank_score / best, 2) for r in found.passages]


def _print_passages(found: Grounding) -> None:
    """Plain lines, not a table: passages are long and are read, not compared."""
    from rich.text import Text

    from qfill.grounding import excerpt

    lines: list[str] = []
    for rank, (item, relevance) in enumerate(zip(found.passages, relevances(found),
                                                 strict=True), start=1):
        p = item.passage
        where = ", ".join(x for x in (p.path, p.location) if x)
        lines += [f"{rank}. {where} (relevance {relevance:.2f}, covers {item.score:.0%} of "
                  "the question)", f"   {p.heading_path}", f"   {excerpt(p.text)}", ""]
    if found.draft is None:
        lines.append("no draft: no sentence of these passages answers the question closely "
                     "enough")
    else:
        draft = found.draft
        lines.append(f"draft ({draft.origin}, "
                     + (f"says {draft.short}" if draft.short else "no Yes/No stated") + "):")
        for sentence in draft.sentences:
            cited = "; ".join(f"{p.path}, {p.location}" for p in sentence.citations)
            lines.append(f"  \u201c{sentence.text}\u201d [{cited}]")
    console.print(Text("\n".join(lines)), soft_wrap=True)
    for problem in (*found.refused, *found.notes):
        say(problem)
