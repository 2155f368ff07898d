"""`qfill apply`: write a person's review decisions into the filled copy."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from qfill.cli import (
    IncludeHiddenOption,
    LibraryOption,
    TodayOption,
    app,
    exit_on_error,
    parse_today,
    say,
    tell,
)
from qfill.errors import ExitCode, LibraryError, OutputError
from qfill.findings import Severity


@app.command("apply")
def apply(
    filled: Annotated[Path, typer.Argument(
        metavar="FILLED", help="The filled copy written by `qfill answer`.", show_default=False)],
    review_file: Annotated[Path, typer.Argument(
        metavar="REVIEW_FILE", help="The review CSV with decisions filled in.",
        show_default=False)],
    library: LibraryOption = Path("."),
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Where to write.",
                                             show_default="<name>.reviewed.xlsx")] = None,
    learn: Annotated[bool, typer.Option(
        "--learn", help="Add each decided row's question as an alias of the chosen entry, "
        "and each taken draft as a new entry (not yet reviewed).")
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing output.")] = False,
    include_hidden: IncludeHiddenOption = False,
    strict: Annotated[bool, typer.Option(
        "--strict", help="Refuse a decision that fails a check (negation, form, a Yes/No "
        "the cell cannot take, ...) instead of writing it and listing it.")] = False,
    today: TodayOption = None,
) -> None:
    """Write the decisions of REVIEW_FILE into a copy of FILLED."""
    with exit_on_error():
        from qfill.files import OutputSet, check_outputs
        from qfill.library import load_library, read_library
        from qfill.review import (
            check_learned,
            learn_drafts,
            learn_phrasings,
            plan_decisions,
            read_decisions,
        )
        from qfill.sheets.reader import output_suffix, read_questionnaire, read_questionnaire_file
        from qfill.sheets.writer import WriteTarget, stage_filled_copy

        if out is not None:
            check_outputs(filled, [out], force=force)
        loaded = load_library(library)
        decisions = read_decisions(review_file)
        source = read_questionnaire_file(filled)
        questionnaire = read_questionnaire(source, include_hidden=include_hidden)
        name = filled.stem.removesuffix(".filled")
        suffix = output_suffix(filled, questionnaire.format)
        out_path = out or filled.with_name(f"{name}.reviewed{suffix}")
        check_outputs(filled, [out_path], force=force)
        if out_path.resolve() == review_file.resolve():
            raise OutputError(f"{out_path}: is the review file itself; it holds the decisions, "
                              "choose another --out")
        from qfill.settings import load_settings

        settings = load_settings(library)
        evidence = None
        if any(d.decision.lower() == "draft" for d in decisions):
            from qfill.grounding import load_evidence

            evidence = load_evidence(library, loaded, settings, today=parse_today(today))
        plan, applied = plan_decisions(decisions, questionnaire, loaded,
                                       review_path=review_file, evidence=evidence,
                                       today=parse_today(today), settings=settings,
                                       strict=strict)
        # Proven in memory before anything is written: a failed proof leaves all as it was.
        proven = learn_phrasings(loaded, applied) if learn else []
        if learn and evidence is not None:
            proven += learn_drafts(loaded, applied, evidence)
        edits = [edit for edit in proven if edit.learned or edit.added]
        # The reviewed copy and the library edits appear together, or nothing changes.
        with OutputSet() as staged:
            stage_filled_copy(staged, out_path, source, plan, WriteTarget.of(questionnaire),
                              replace=force)
            for edit in edits:
                staged.stage(edit.path, edit.after, replace=not edit.created)
            staged.commit()
            if edits:
                reloaded, findings = read_library(loaded.root)
                errors = [f for f in findings if f.severity is Severity.ERROR]
                if errors:
                    raise LibraryError(f"{errors[0].location()}: {errors[0].message}; the "
                                       "learned aliases were undone")
                check_learned(loaded, reloaded, edits)
        written = [a for a in applied if a.refused is None]
        tell(f"applied {len(written)} decision(s), {len(plan.writes)} cell(s) -> {out_path}")
        for item in applied:
            cell = f"{item.decision.sheet}!{item.decision.row}"
            if item.refused is not None:
                tell(f"refused {cell}: {item.refused}")
            elif item.problems:
                why = "; ".join(str(p) for p in item.problems)
                tell(f"written as decided, check {cell}: {why}")
        for edit in proven:
            where = edit.path.relative_to(loaded.root) if edit.path.is_relative_to(
                loaded.root) else edit.path
            if edit.learned:
                tell(f"learned {len(edit.learned)} new phrasing(s) in {where}")
            for answer_id, _phrasing in edit.known:
                tell(f"{where}: '{answer_id}' already had one phrasing; left as it was")
            if edit.added:
                tell(f"added {len(edit.added)} taken draft(s) as new entries, not yet "
                     f"reviewed, in {where}")
        unlearned = [a for a in applied if learn and a.answer is not None and a.problems
                     and a.refused is None]
        if unlearned:
            say(f"not learned: {len(unlearned)} decision(s) that fail a check (listed above)")
    if any(item.refused is not None for item in applied):
        raise typer.Exit(int(ExitCode.PROBLEMS))

