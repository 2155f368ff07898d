"""`qfill answer`: fill a copy of a questionnaire from the library and write a report."""

from __future__ import annotations

import sys
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from qfill.cli import (
    IncludeHiddenOption,
    JsonFlag,
    LibraryOption,
    MapOption,
    ProductOption,
    QuestionnaireArgument,
    SemanticOption,
    SheetOption,
    TableFormat,
    TableFormatOption,
    TodayOption,
    app,
    console,
    err_console,
    exit_on_error,
    for_product,
    parse_today,
    say,
    wants_json,
    with_semantic,
)
from qfill.errors import ExitCode
from qfill.escaping import path_text
from qfill.long_lived import long_lived

if TYPE_CHECKING:
    from datetime import date

    from qfill.answering import AnswerRun
    from qfill.grounding import Grounding
    from qfill.library import Library
    from qfill.questionnaire import FileFormat
    from qfill.report import Summary
    from qfill.settings import Settings


def default_output(questionnaire: Path, file_format: FileFormat) -> Path:
    """``<name>.filled.<suffix>`` beside the input, the suffix named by its content."""
    from qfill.sheets.reader import output_suffix

    suffix = output_suffix(questionnaire, file_format)
    return questionnaire.with_name(f"{questionnaire.stem}.filled{suffix}")


def default_report(questionnaire: Path) -> Path:
    return questionnaire.with_name(f"{questionnaire.stem}.report.md")


@app.command("answer")
def answer(
    questionnaire: QuestionnaireArgument,
    library: LibraryOption = Path("."),
    out: Annotated[Path | None, typer.Option("--out", "-o", help="The filled copy.",
                                             show_default="<name>.filled.xlsx")] = None,
    report: Annotated[Path | None, typer.Option(
        "--report", "-r", help="The report; format by extension: .md .json .csv .html.",
        show_default="<name>.report.md")] = None,
    review_file: Annotated[Path | None, typer.Option(
        "--review-file", help="Also write a CSV of the rows to review, with a decision "
        "column for `qfill apply`.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite existing outputs.")] = False,
    fail_on_review: Annotated[bool, typer.Option(
        "--fail-on-review", help="Exit 1 if any row is left for review.")] = False,
    check_output: Annotated[bool, typer.Option(
        "--check-output/--no-check-output", "--verify-output/--no-verify-output",
        help="Reopen the written file and prove only the answered cells changed "
        "(--verify-output: the former name).")] = True,
    highlight: Annotated[bool, typer.Option(
        "--highlight", help="Colour the answer cells of rows left for review.")] = False,
    include_hidden: IncludeHiddenOption = False,
    sheet: SheetOption = None,
    mapping: MapOption = None,
    fill_threshold: Annotated[float | None, typer.Option(
        "--fill-threshold", min=0.0, max=1.0,
        help="Confidence needed to fill a row (default from qfill.yaml).")] = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Match and report, but write no filled copy.")] = False,
    semantic: SemanticOption = None,
    product: ProductOption = None,
    fmt: TableFormatOption = TableFormat.TABLE,
    as_json: JsonFlag = False,
    today: TodayOption = None,
) -> None:
    """Fill a copy of QUESTIONNAIRE from the library and write a report.

    The summary and the files written go to stdout (`--format json` for scripts);
    progress, tips and errors go to stderr.
    """
    with exit_on_error(), ExitStack() as scope:
        from qfill.answering import answer_questionnaire
        from qfill.disk_cache import cache_folder
        from qfill.files import OutputSet, check_outputs
        from qfill.library import load_library
        from qfill.render.report import render_review_file, renderer_for
        from qfill.report import build_report
        from qfill.settings import load_settings
        from qfill.sheets.mapping import parse_column_mapping
        from qfill.sheets.reader import read_questionnaire, read_questionnaire_file
        from qfill.sheets.writer import WriteTarget, stage_filled_copy

        report_path = report or default_report(questionnaire)
        given = [p for p in (out, report_path, review_file) if p is not None]
        check_outputs(questionnaire, given, force=force)
        render = renderer_for(report_path)
        settings = with_semantic(load_settings(library), semantic)
        if fill_threshold is not None:
            settings = settings.with_matching(fill_threshold=fill_threshold)
        loaded = for_product(load_library(library, cache=cache_folder()),
                             product or settings.product)
        column_mapping = parse_column_mapping(mapping) if mapping else None
        # Read once: the filled copy is made from the very bytes that were matched.
        source = read_questionnaire_file(questionnaire)
        q = read_questionnaire(source, include_hidden=include_hidden,
                               sheets=tuple(sheet) if sheet else None, mapping=column_mapping)
        # The library and the questionnaire live until the run ends: out of the collector's
        # walks from here on (qfill.long_lived).
        scope.enter_context(long_lived())
        out_path = None if dry_run else (out or default_output(questionnaire, q.format))
        outputs = [p for p in (out_path, report_path, review_file) if p is not None]
        check_outputs(questionnaire, outputs, force=force)
        if out is None and out_path is not None and \
                out_path.suffix != questionnaire.suffix.lower():
            say(f"note: {questionnaire} is an .{q.format.value} file by its content; the filled "
                f"copy is {out_path}")
        run_date = parse_today(today)
        run = _with_progress(len(q.rows), lambda progress: answer_questionnaire(
            q, loaded, settings, today=run_date, highlight_review=highlight,
            progress=progress, index_cache=cache_folder()))
        evidence = _ground(run, library, loaded, settings, run_date)
        result = build_report(run, loaded, questionnaire_name=path_text(questionnaire),
                              output_name=path_text(out_path) if out_path else None,
                              library_name=path_text(library), evidence=evidence)
        # Every output is staged in full (and the copy checked as written to disk) before
        # any replaces what was there; they appear together or not at all.
        with OutputSet() as staged:
            if out_path is not None:
                stage_filled_copy(staged, out_path, source, run.plan, WriteTarget.of(q),
                                  replace=force, highlight=highlight, check=check_output)
            staged.stage(report_path, render(result), replace=force)
            if review_file is not None:
                staged.stage(review_file, render_review_file(result), replace=force)
            staged.commit()
        _print_summary(result.summary, {"filled copy": out_path, "report": report_path,
                                        "review file": review_file},
                       as_json=wants_json(fmt, as_json))
        _print_tip(result.summary, report_path, review_file)
    if fail_on_review and result.summary.review:
        raise typer.Exit(int(ExitCode.PROBLEMS))


def _ground(run: AnswerRun, root: Path, library: Library, settings: Settings,
            today: date) -> dict[tuple[str, int], Grounding]:
    """What the evidence says for each row a person decides (none when turned off)."""
    if settings.evidence.passages <= 0 or not any(
            m.status in ("review", "unanswered") for m in run.matches):
        return {}
    from qfill.evidence_index import default_document_cache
    from qfill.grounding import Grounder, ground_matches, load_evidence

    index = load_evidence(root, library, settings, today=today, cache=default_document_cache())
    for note in index.notes:
        say(f"note: {note}")
    if not index.documents:
        return {}
    return ground_matches(Grounder(index, settings, root), run.matches)




def _with_progress(total: int, work):  # type: ignore[no-untyped-def]
    """Run ``work(progress)`` with a progress bar on stderr when there is much to do."""
    if total < 200 or not err_console.is_terminal:
        return work(None)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    # Refreshed by each update, not by a thread of its own: a process with one thread
    # may match in forked workers (qfill.row_workers).
    with Progress(TextColumn("matching"), BarColumn(), MofNCompleteColumn(),
                  console=err_console, transient=True, auto_refresh=False) as bar:
        task = bar.add_task("match", total=total)
        return work(lambda done: bar.update(task, completed=done, refresh=True))


def _print_summary(summary: Summary, written: dict[str, Path | None], *,
                   as_json: bool) -> None:
    """The result of the run, on stdout: counts by status, then each file written."""
    counts = summary.to_dict()
    files = {name: path_text(path) for name, path in written.items() if path is not None}
    if as_json:
        import json

        sys.stdout.write(json.dumps({"version": 1, "summary": counts, "written": files},
                                    ensure_ascii=False, indent=2) + "\n")
        return
    from rich import box
    from rich.table import Table

    table = Table(box=box.HEAVY_HEAD, header_style="bold")
    for column in counts:
        table.add_column(column, justify="right")
    table.add_row(*(str(n) for n in counts.values()))
    console.print(table)
    for path in files.values():
        console.print(f"wrote {path}", markup=False, highlight=False, soft_wrap=True)


def _print_tip(summary: Summary, report: Path, review_file: Path | None) -> None:
    """The next step for the rows a person must decide (a hint, so on stderr)."""
    waiting = summary.review + summary.unanswered
    if waiting:
        step = (f"fill the decision column of {review_file}, then run `qfill apply`"
                if review_file else "to decide them in a spreadsheet, rerun with "
                "--review-file review.csv, then run `qfill apply`")
        say(f"tip: {waiting} row(s) need a person (see {report}); {step}")
