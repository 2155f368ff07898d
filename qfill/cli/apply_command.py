"""`qfill apply`: write a person's review decisions into the filled copy."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from qfill.cli import (
    IncludeHiddenOption,
    LibraryOption,
    TodayOption,
    app,
    exit_on_error,
    parse_today,
    tell,
)
from qfill.errors import LibraryError
from qfill.findings import Severity

if TYPE_CHECKING:
    from qfill.library import Library
    from qfill.review import LibraryEdit


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
    today: TodayOption = None,
) -> None:
    """Write the decisions of REVIEW_FILE into a copy of FILLED."""
    with exit_on_error():
        from qfill.cli.answer_command import check_outputs, csv_header_row_of
        from qfill.library import load_library
        from qfill.review import learn_drafts, learn_phrasings, plan_decisions, read_decisions
        from qfill.sheets.reader import output_suffix, read_questionnaire
        from qfill.sheets.writer import verify_filled, write_filled

        if out is not None:
            check_outputs(filled, [out], force=force)
        loaded = load_library(library)
        decisions = read_decisions(review_file)
        questionnaire = read_questionnaire(filled, include_hidden=include_hidden)
        name = filled.stem.removesuffix(".filled")
        suffix = output_suffix(filled, questionnaire.format)
        out_path = out or filled.with_name(f"{name}.reviewed{suffix}")
        check_outputs(filled, [out_path], force=force)
        evidence = None
        if any(d.decision.lower() == "draft" for d in decisions):
            from qfill.grounding import load_evidence
            from qfill.settings import load_settings

            evidence = load_evidence(library, loaded, load_settings(library),
                                     today=parse_today(today))
        plan, applied = plan_decisions(decisions, questionnaire, loaded,
                                       review_path=review_file, evidence=evidence)
        # Proven in memory before anything is written: a failed proof leaves all as it was.
        edits = learn_phrasings(loaded, applied) if learn else []
        if learn and evidence is not None:
            edits += learn_drafts(loaded, applied, evidence)
        appended, header_row = questionnaire.append_columns, csv_header_row_of(questionnaire)
        write_filled(filled, out_path, plan, file_format=questionnaire.format,
                     csv_header_append=appended, csv_header_row=header_row)
        try:
            verify_filled(filled, out_path, plan, file_format=questionnaire.format,
                          csv_header_append=appended, csv_header_row=header_row)
            _write_learned(loaded, edits)
        except BaseException:
            out_path.unlink(missing_ok=True)
            raise
        tell(f"applied {len(applied)} decision(s), {len(plan.writes)} cell(s) -> {out_path}")
        for edit in edits:
            where = edit.path.relative_to(loaded.root) if edit.path.is_relative_to(
                loaded.root) else edit.path
            if edit.learned:
                tell(f"learned {len(edit.learned)} new phrasing(s) in {where}")
            for answer_id, _phrasing in edit.known:
                tell(f"{where}: '{answer_id}' already had one phrasing; left as it was")
            if edit.added:
                tell(f"added {len(edit.added)} taken draft(s) as new entries, not yet "
                     f"reviewed, in {where}")


def _write_learned(loaded: Library, edits: list[LibraryEdit]) -> None:
    """Write the edits together, reload the library, and undo them all unless it reads
    as the old entries plus exactly the new aliases and taken drafts."""
    from qfill.files import OutputSet
    from qfill.library import read_library
    from qfill.review import check_learned

    changed = [edit for edit in edits if edit.learned or edit.added]
    if not changed:
        return
    with OutputSet() as outputs:
        for edit in changed:
            outputs.stage(edit.path, edit.after, replace=True)
        outputs.commit()
    try:
        reloaded, findings = read_library(loaded.root)
        errors = [f for f in findings if f.severity is Severity.ERROR]
        if errors:
            raise LibraryError(f"{errors[0].location()}: {errors[0].message}; the learned "
                               "aliases were undone")
        check_learned(loaded, reloaded, changed)
    except BaseException:
        with OutputSet() as undo:
            for edit in changed:
                if edit.created:
                    edit.path.unlink(missing_ok=True)
                else:
                    undo.stage(edit.path, edit.before, replace=True)
            undo.commit()
        raise
