"""CSV questionnaires: one table, read with the stdlib ``csv`` module.

Records are split by :func:`qfill.sheets.csv_table.read_csv_table` (BOM or UTF-8, else cp1252;
the sniffed delimiter; RFC 4180 quotes), the same reader the writer uses, so the cells
named here are exactly the cells written back. Files over 50 MB are refused.

The file becomes a one-sheet grid (sheet name = the file's stem, row = the CSV record
number with the header as row 1, columns lettered A, B, ... as in a spreadsheet) and goes
through the same detection as a workbook. A CSV has no dropdowns, merges or formulas.
When it has a question column but no answer column, the answer goes into columns the
writer appends after the last one: ``Questionnaire.append_columns`` is
``("Answer", "Short")`` and each row's targets point at those two new column letters.
"""

from __future__ import annotations

from pathlib import Path

from qfill.errors import InputError, UsageError
from qfill.files import FileContent
from qfill.questionnaire import ColumnMapping, FileFormat, Questionnaire, QuestionRow, SheetLayout
from qfill.sheets.a1 import column_letters
from qfill.sheets.layout import (
    Block,
    ColumnPlan,
    Header,
    SheetContext,
    find_headers,
    looks_like_question,
    norm,
    plan_from_header,
    read_block,
)
from qfill.sheets.workbook import MAX_SHEET_CELLS, SheetGrid

MAX_CSV_BYTES = 50 * 1024 * 1024


def read_csv_questionnaire(source: FileContent, *, mapping: ColumnMapping | None = None
                           ) -> Questionnaire:
    """The CSV's question rows; zero rows is not an error here."""
    path = source.path
    grid = _read_grid(source)
    ctx = SheetContext(grid, None)
    blocks, why = _detect(ctx)
    if mapping is not None:
        from qfill.sheets.mapping import apply_mapping

        blocks, why = apply_mapping(ctx, blocks, mapping)
    append = _appended(path, blocks[0].plan, grid.max_col) if blocks else ()
    rows: list[QuestionRow] = [row for block in blocks for row in read_block(ctx, block).rows]
    if rows:
        main = blocks[0]
        layout = SheetLayout(grid.name, "questions",
                             "columns from --map" if mapping is not None else None,
                             header_row=main.header_row, columns=main.plan.roles(),
                             question_rows=len(rows))
    else:
        layout = SheetLayout(grid.name, "skipped", why or "no question column found; use "
                             "--map question=<column>")
        append = ()
    return Questionnaire(path=path, format=FileFormat.CSV, rows=tuple(rows), sheets=(layout,),
                         append_columns=append)


def _appended(path: Path, plan: ColumnPlan, width: int) -> tuple[str, ...]:
    """Header names of the target columns past the last one, in column order."""
    names = {plan.short: "Short", plan.answer: "Answer", plan.evidence: "Evidence",
             plan.response: "Response", plan.details: "Details"}
    names.update({col: mark for mark, col in plan.marks})
    beyond = sorted(col for col in names if col is not None and col > width)
    if beyond and beyond != list(range(width + 1, width + 1 + len(beyond))):
        raise UsageError(f"{path}: the CSV has {width} columns; new answer columns must "
                         f"follow them directly (use {column_letters(width + 1)})")
    return tuple(names[col] for col in beyond)


def _read_grid(source: FileContent) -> SheetGrid:
    path, head = source.path, source.data[:8192]
    utf16 = head.startswith((b"\xff\xfe", b"\xfe\xff"))
    if head.startswith(b"PK") or (b"\x00" in head and not utf16):
        raise InputError(f"{path}: not a text CSV file (binary content); export the "
                         "questionnaire as CSV or give the .xlsx")
    # Records are split by the writer's own CSV reader (encoding, delimiter, RFC 4180
    # quoting), so the cells named here are the cells the writer will fill.
    from qfill.sheets.csv_table import parse_csv_table

    grid = SheetGrid(path.stem)
    count = 0
    for number, record in enumerate(parse_csv_table(source).records, start=1):
        for col, value in enumerate(record, start=1):
            if value.strip():
                grid.cells.setdefault(number, {})[col] = (value, False)
                count += 1
                grid.max_col = max(grid.max_col, col)
            elif value:  # spaces are a value: the cell is not empty, so never written
                grid.held[(number, col)] = "blank text"
        if record:
            grid.max_row = number
        if count > MAX_SHEET_CELLS:
            raise InputError(f"{path}: refused: more than {MAX_SHEET_CELLS:,} filled cells; "
                             "not a questionnaire")
    return grid


def _detect(ctx: SheetContext) -> tuple[list[Block], str | None]:
    """One table from the first header row to the end; appended answer columns if needed."""
    grid = ctx.grid
    headers = find_headers(ctx)
    if headers:
        plan, _why = plan_from_header(ctx, headers[0], grid.max_row)
        if plan is not None:
            start = headers[0].row + 1 + len(headers[0].sub_rows)
            return [Block(plan, start, max(grid.max_row, start), headers[0].row)], None
    plan, header = _plan_with_appended_columns(ctx, headers[0] if headers else None)
    if plan is None:
        return [], None
    return [Block(plan, header + 1, max(grid.max_row, header + 1), header or None)], None


def _plan_with_appended_columns(ctx: SheetContext, header: Header | None
                                ) -> tuple[ColumnPlan | None, int]:
    """Question, id and section columns with the answer in two appended columns."""
    grid = ctx.grid
    width = grid.max_col
    if header is not None:
        roles = header.roles
        question = header.question
        ids = sorted(c for c, r in roles.items() if r == "id")
        exact = [c for c in ids if norm(header.labels[c]).lower() in ("id", "#", "question id")]
        section = next((c for c, r in sorted(roles.items()) if r == "section"), None)
        return ColumnPlan(question=question, id=next(iter(exact or ids), None),
                          section=section, answer=width + 1, short=width + 2), header.row
    # No labels at all: the column whose cells read most like questions.
    rows = grid.rows()[:60]
    best: tuple[float, int] | None = None
    for col in range(1, width + 1):
        texts = [norm(grid.value(r, col)) for r in rows]
        texts = [t for t in texts if t]
        if len(texts) < 2:
            continue
        score = (sum(looks_like_question(t) for t in texts) / len(texts) * 100
                 + sum(len(t) for t in texts) / len(texts))
        if score >= 40 and (best is None or score > best[0]):
            best = (score, col)
    if best is None:
        return None, 0
    first = rows[0] if rows else 1
    text = norm(grid.value(first, best[1]))
    label_row = first if not looks_like_question(text) and len(text) < 40 else 0
    return ColumnPlan(question=best[1], answer=width + 1, short=width + 2), label_row
