"""`qfill diff`: what a change to the library changes, per answer, for a reviewer."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from qfill.choices import DiffFormat, FailOn
from qfill.cli import LibraryOption, app, exit_on_error
from qfill.errors import ExitCode


@app.command("diff")
def diff(
    base: Annotated[str | None, typer.Argument(
        help="Revision to compare from (default: HEAD). A...B compares the merge base of "
             "A and B with B, as a pull request does; A..B compares A with B.",
        show_default=False, metavar="BASE")] = None,
    head: Annotated[str | None, typer.Argument(
        help="Revision to compare to (default: the working tree, files on disk).",
        show_default=False, metavar="HEAD")] = None,
    library: LibraryOption = Path("."),
    fmt: Annotated[DiffFormat, typer.Option(
        "--format", "-f", help="text for a terminal (auto), markdown for a pull-request "
        "comment or job summary, json for scripts.")] = DiffFormat.AUTO,
    fail_on: Annotated[FailOn, typer.Option(
        "--fail-on", help="Exit 1 when a risk is present (risky) or on any change (any).")
    ] = FailOn.NEVER,
) -> None:
    """Show what changed in the answer library between two git revisions.

    Entries are matched by id across files; risks (short flipped, evidence removed,
    answer removed, missing owner, answer changed without a new review date) come first.
    Files are read from git objects; nothing is checked out.
    """
    with exit_on_error():
        from qfill.diff import ParsedFiles, diff_libraries, snapshot_answers
        from qfill.errors import LibraryError
        from qfill.gitrev import LibraryRepository
        from qfill.render.diff import render_diff

        repository = LibraryRepository(library, os.environ)
        base_revision, head_revision = repository.resolve(base, head)
        base_snapshot = repository.read(base_revision)
        head_snapshot = repository.read(head_revision)
        if not base_snapshot.exists and not head_snapshot.exists:
            raise LibraryError(f"{repository.answers_folder}: no answers/ folder at "
                               f"{base_revision.name} or {head_revision.name}; pass "
                               "--library DIR pointing at the folder that holds answers/")
        parsed: ParsedFiles = {}
        result = diff_libraries(snapshot_answers(base_snapshot, parsed),
                                snapshot_answers(head_snapshot, parsed),
                                base_revision=base_revision, head_revision=head_revision)
        sys.stdout.write(render_diff(result, fmt))
        sys.stdout.flush()
    raise typer.Exit(int(ExitCode.PROBLEMS if result.fails(fail_on) else ExitCode.OK))
