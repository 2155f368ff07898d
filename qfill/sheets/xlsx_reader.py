"""Reading a workbook into a :class:`~qfill.questionnaire.Questionnaire`, sheet by sheet.

Order of decisions per sheet: the user's ``--sheet`` selection and hidden state first,
then a known template (which owns every sheet of its workbook), else generic detection,
and a ``--map`` on top of either. Every sheet gets a :class:`SheetLayout`, skipped ones
with the reason, so ``qfill inspect`` can show what was and was not read.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from qfill.errors import UsageError
from qfill.files import FileContent
from qfill.questionnaire import ColumnMapping, FileFormat, Questionnaire, QuestionRow, SheetLayout
from qfill.sheets.dropdowns import ListResolver, SheetDropdowns
from qfill.sheets.layout import (
    Block,
    BlockResult,
    SheetContext,
    detect_blocks,
    read_block,
)
from qfill.sheets.mapping import apply_mapping
from qfill.sheets.templates import Template, recognise_template
from qfill.sheets.workbook import (
    MAX_INDEX_ENTRIES,
    MAX_SHEET_CELLS,
    SheetEntry,
    SheetTooLarge,
    WorkbookFile,
)

# What a sheet's name says it is, for the reason a sheet without questions is skipped.
_KINDS_BY_NAME = (
    (re.compile(r"intro|instruction|read ?me|cover|guid|overview|welcome|about|how to"
                r"|start here|notice|terms", re.I), "cover or instructions sheet"),
    (re.compile(r"evaluat|scor|dashboard|summary|report|result|chart|metric|analys"
                r"|risk rating|status", re.I), "scoring or report sheet"),
    (re.compile(r"glossary|lookup|lists?\b|values|reference|change ?log|version"
                r"|acknowledg|definition|mapping|crosswalk|legend|\bkey\b|backend"
                r"|auto resp|questions$", re.I), "lookup or reference sheet"),
)


def read_workbook(source: FileContent, *, include_hidden: bool = False,
                  sheets: Sequence[str] | None = None,
                  mapping: ColumnMapping | None = None) -> Questionnaire:
    """Every sheet's layout and question rows; zero rows is not an error here."""
    path = source.path
    with WorkbookFile(source) as workbook:
        file_format = (FileFormat.XLSM if workbook.macro_enabled
                       or path.suffix.lower() in (".xlsm", ".xltm") else FileFormat.XLSX)
        selected = _select(path, workbook.sheets, sheets)
        positions = {entry.name: i for i, entry in enumerate(workbook.sheets)}
        resolver = ListResolver(
            workbook.grid,
            lambda name, sheet: workbook.resolve_name(name, positions.get(sheet)))
        contexts: dict[str, SheetContext | None] = {}

        def context(name: str) -> SheetContext | None:
            if name not in contexts:
                grid = workbook.grid(name)
                entry = workbook.sheet_entry(name)
                try:
                    contexts[name] = None if grid is None else SheetContext(
                        grid, SheetDropdowns(grid, resolver),
                        hidden=bool(entry and entry.hidden))
                except SheetTooLarge:
                    contexts[name] = None
            return contexts[name]

        def readable(entry: SheetEntry) -> bool:
            if selected is not None:
                return entry.name in selected
            return include_hidden or not entry.hidden

        template = None if mapping else recognise_template(
            [e.name for e in workbook.sheets if readable(e) and e.part], context)
        layouts: list[SheetLayout] = []
        rows: list[QuestionRow] = []
        for entry in workbook.sheets:
            if not readable(entry):
                reason = ("not selected by --sheet" if selected is not None
                          else "hidden sheet; use --include-hidden to read it")
                layouts.append(_skipped(entry, reason))
                continue
            if entry.part is None:
                layouts.append(_skipped(entry, "chart sheet or missing part: no cells"))
                continue
            ctx = context(entry.name)
            if ctx is None:
                layouts.append(_skipped(entry, f"too large for a questionnaire (over "
                                               f"{MAX_SHEET_CELLS:,} filled cells, or "
                                               f"{MAX_INDEX_ENTRIES:,} merged or validated "
                                               "columns)"))
                continue
            layout, sheet_rows = read_sheet(ctx, template, mapping,
                                            chosen=selected is not None)
            layouts.append(layout)
            rows.extend(sheet_rows)
    name = template.name if template is not None else None
    if template is not None and template.unique_ids:
        rows, layouts = _unique(rows, layouts)
    return Questionnaire(path=path, format=file_format, rows=tuple(rows),
                         sheets=tuple(layouts), template=name)


def _skipped(entry: SheetEntry, reason: str) -> SheetLayout:
    return SheetLayout(entry.name, "skipped", reason, hidden=entry.hidden)


def _select(path: Path, entries: Sequence[SheetEntry], wanted: Sequence[str] | None
            ) -> set[str] | None:
    if not wanted:
        return None
    names = [e.name for e in entries]
    chosen: set[str] = set()
    for name in wanted:
        match = name if name in names else next(
            (n for n in names if n.casefold() == name.strip().casefold()), None)
        if match is None:
            raise UsageError(f"{path}: no sheet named '{name}'; the sheets are: "
                             + ", ".join(names))
        chosen.add(match)
    return chosen


def read_sheet(ctx: SheetContext, template: Template | None,
               mapping: ColumnMapping | None, *, chosen: bool = False
               ) -> tuple[SheetLayout, list[QuestionRow]]:
    """One sheet's layout and rows (templates first, then detection, then the map).

    ``chosen``: the user named the sheet with ``--sheet``, so an instructions sheet's
    example rows are read as asked.
    """
    if not ctx.grid.cells:
        return SheetLayout(ctx.name, "skipped", "empty sheet", hidden=ctx.hidden), []
    template_name: str | None = None
    if template is not None and template.plan_sheet is not None:
        sheet_plan = template.plan_sheet(ctx)
        blocks, why = list(sheet_plan.blocks), sheet_plan.reason
        template_name = template.name if blocks else None
    else:
        blocks, why = detect_blocks(ctx)
        if blocks and template is not None and template.claims is not None \
                and template.claims(ctx):
            # A SIG sheet is one domain: its title is the rows' section where none is nearer.
            template_name = template.name
            blocks = [replace(b, section=b.section or ctx.name) for b in blocks]
    note = None
    if mapping is not None:
        blocks, why = apply_mapping(ctx, blocks, mapping)
        template_name, note = None, "columns from --map"
    results = [read_block(ctx, block) for block in blocks]
    rows = [row for result in results for row in result.rows]
    if rows:  # on a sheet with questions, a computed row is told, not dropped
        held = [row for result in results for row in result.held]
        rows = sorted(rows + held, key=lambda row: row.row) if held else rows
    if rows and not chosen and mapping is None and template_name is None:
        example = _instructions_example(ctx, rows)
        if example is not None:
            return SheetLayout(ctx.name, "skipped", example, hidden=ctx.hidden), []
    if not rows:
        reason = why or _empty_reason(ctx, blocks, results)
        return SheetLayout(ctx.name, "skipped", reason, hidden=ctx.hidden), []
    used = [block for block, result in zip(blocks, results, strict=True) if result.rows]
    columns: dict[str, str] = {}
    # Blocks may differ (a first block without a details column); a table under a header
    # names the columns before a block of "Label:" rows does.
    for block in sorted(used, key=lambda b: b.header_row is None):
        for role, letter in block.plan.roles().items():
            columns.setdefault(role, letter)
    header_row = next((b.header_row for b in used if b.header_row is not None), None)
    layout = SheetLayout(ctx.name, "questions", note, hidden=ctx.hidden,
                         template=template_name, header_row=header_row, columns=columns,
                         question_rows=len(rows))
    return layout, rows


def _empty_reason(ctx: SheetContext, blocks: Sequence[Block],
                  results: Sequence[BlockResult]) -> str:
    """Why a sheet gave no question rows, in words a user recognises."""
    if any(r.formula_rows for r in results):
        return ("every answer cell is a formula (it copies answers from elsewhere); "
                "nothing to answer here")
    named = _reason_by_name(ctx.name)
    if named:
        return named
    if sum(r.uncached_rows for r in results) >= 3:
        return ("the question cells are formulas with no saved values; open and save the "
                "workbook in Excel, then retry")
    if blocks:
        header = blocks[0].header_row
        where = f" at row {header}" if header else ""
        return f"a question table{where} but no question rows below it"
    return _reason_by_content(ctx)


# A sheet named as a guide to the questionnaire rather than a part of it.
_INSTRUCTIONS = re.compile(r"instruction|read ?me|guid|how to|introduction|cover\b"
                           r"|help\b|example|sample", re.I)
MAX_EXAMPLE_ROWS = 3
_PROSE_CHARS = 60


def _instructions_example(ctx: SheetContext, rows: Sequence[QuestionRow]) -> str | None:
    """Why a sheet's few question rows are an example, not questions; None if they are not.

    An instructions sheet shows how to answer with a sample line under a small table;
    read as a questionnaire, its example would be counted unanswered. It is one when the
    sheet is named as a guide, holds at most a few question rows, and has at least as
    many lines of prose (long text that asks nothing) as it has question rows.
    """
    if not _INSTRUCTIONS.search(ctx.name) or len(rows) > MAX_EXAMPLE_ROWS:
        return None
    asked = {row.row for row in rows}
    prose = 0
    for r, cells in ctx.grid.cells.items():
        if r in asked:
            continue
        if any(value and len(" ".join(value.split())) >= _PROSE_CHARS
               and not value.rstrip().endswith("?") for value, _formula in cells.values()):
            prose += 1
    if prose < len(rows):
        return None
    lines = ", ".join(str(row.row) for row in rows)
    return (f"instructions sheet: prose with an example at row {lines}, not questions to "
            f"answer; use --sheet '{ctx.name}' to read it anyway")


def _reason_by_name(name: str) -> str | None:
    return next((f"{kind}: no question table" for pattern, kind in _KINDS_BY_NAME
                 if pattern.search(name)), None)


def _reason_by_content(ctx: SheetContext) -> str:
    cells = [cell for row in ctx.grid.cells.values() for cell in row.values()]
    formulas = sum(1 for _value, formula in cells if formula)
    columns = {col for row in ctx.grid.cells.values() for col in row}
    if cells and formulas >= 0.3 * len(cells):
        return "formulas and figures (scoring or lookup): no question table"
    if len(columns) <= 2:
        return "text only (cover or instructions): no question table"
    return ("no header row with a question column; check with `qfill inspect` and use "
            "--map question=<column>,answer=<column>")


def _unique(rows: list[QuestionRow], layouts: list[SheetLayout]
            ) -> tuple[list[QuestionRow], list[SheetLayout]]:
    """Each question id once: the first sheet that asks it keeps it."""
    seen: set[str] = set()
    kept: list[QuestionRow] = []
    for row in rows:
        if row.question_id is not None:
            if row.question_id in seen:
                continue
            seen.add(row.question_id)
        kept.append(row)
    if len(kept) == len(rows):
        return rows, layouts
    counts: dict[str, int] = {}
    for row in kept:
        counts[row.sheet] = counts.get(row.sheet, 0) + 1
    return kept, [replace(layout, question_rows=counts.get(layout.sheet, 0))
                  if layout.status == "questions" else layout for layout in layouts]
