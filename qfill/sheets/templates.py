"""Known questionnaire templates, recognised by their own layout and read as published.

A template owns the whole workbook once recognised: its question sheets are read with the
columns its publisher intends, every other sheet is skipped with a reason.

- **CAIQ v4** (CSA): header "Question ID | Question | CSP CAIQ Answer | SSRM Control
  Ownership | CSP Implementation Description ...". The answer is the Yes/No/NA dropdown
  (role short) plus the implementation description (role answer); SSRM ownership and CSC
  responsibilities are not qfill's to fill. Section: the CCM domain title.
- **CAIQ v3** (CSA): "Question ID | ... | Consensus Assessment Questions | Consensus
  Assessment Answers | Notes" over a "Yes | No | Not Applicable" row: the answer is an X in
  one of three mark columns, with Notes as the narrative answer. Section: the control
  domain column, forward-filled over its merged and blank cells.
- **HECVAT 3 / 4** (EDUCAUSE): response sheets carry header rows "<section> | | Answer (or
  Vendor Answers) | Additional Information | Guidance"; question rows have an id like
  ``DOCU-01`` in A and the question (a lookup formula; its cached text is used) in B.
  Column C is a response column (yes/no where the row has a dropdown, often an x14
  validation, otherwise free text) and D the details column beside it. Rows whose answer
  cell is a formula (HECVAT 4 copies its START HERE answers onto other sheets) are not
  questions, so each question is listed once. The version comes from "Version 4.1.4".
  Every row with an id and an input cell counts: HECVAT 3's DATE-01 (completion date) and
  its two-letter IH-01..04 (Incident Handling) too, so HECVAT 3 reads 257 rows where the
  published count of 253 leaves the four IH rows out.
- **SIG** (Shared Assessments): domain sheets with "Ques Num | Question/Request |
  Response | Additional Information"; read by generic detection, named here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from qfill.sheets.layout import Block, ColumnPlan, SheetContext, norm

HECVAT_ID = re.compile(r"^[A-Z]{2,5}-\d{2,3}$")
_VERSION = re.compile(r"^version\s+(\d+)(?:\.\d+)*", re.I)
_HECVAT_NAME = re.compile(r"hecvat|higher education community vendor assessment", re.I)
_HEADER_SCAN_ROWS = 12


@dataclass(frozen=True, slots=True)
class SheetPlan:
    """How a template reads one sheet: blocks to read, or why the sheet is skipped."""

    blocks: tuple[Block, ...] = ()
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Template:
    """A known questionnaire template, recognised by its layout.

    Either it plans each sheet itself (``plan_sheet``: the columns its publisher intends),
    or its sheets are read by generic detection and those it ``claims`` carry its name,
    each sheet's title standing for the section where no nearer one is found (SIG).
    """

    name: str
    plan_sheet: Callable[[SheetContext], SheetPlan] | None = None
    unique_ids: bool = False  # list each question id once across sheets
    claims: Callable[[SheetContext], bool] | None = None


ContextLoader = Callable[[str], "SheetContext | None"]


def _labels(ctx: SheetContext, row: int) -> dict[str, int]:
    """Normalised lower-case label -> column, for one row."""
    out: dict[str, int] = {}
    for col in sorted(ctx.grid.cells.get(row, {})):
        text = norm(ctx.grid.value(row, col)).lower()
        if text and len(text) <= 120:
            out.setdefault(text, col)
    return out


def _find(labels: dict[str, int], *prefixes: str) -> int | None:
    for prefix in prefixes:
        for text, col in labels.items():
            if text == prefix or text.startswith(prefix):
                return col
    return None


# --------------------------------------------------------------------------- CAIQ v4


def _caiq4_header(ctx: SheetContext) -> tuple[int, dict[str, int]] | None:
    for row in ctx.grid.rows()[:_HEADER_SCAN_ROWS]:
        labels = _labels(ctx, row)
        if "question id" in labels and "question" in labels and _find(labels, "csp caiq answer"):
            return row, labels
    return None


def _caiq4_plan(ctx: SheetContext) -> SheetPlan:
    found = _caiq4_header(ctx)
    if found is None:
        return SheetPlan(reason=None)
    row, labels = found
    plan = ColumnPlan(question=labels["question"], id=labels["question id"],
                      short=_find(labels, "csp caiq answer"),
                      answer=_find(labels, "csp implementation description"),
                      section=_find(labels, "ccm domain title"))
    return SheetPlan((Block(plan, row + 1, max(ctx.grid.max_row, row + 1), row),))


# --------------------------------------------------------------------------- CAIQ v3


def _caiq3_header(ctx: SheetContext) -> tuple[int, dict[str, int]] | None:
    for row in ctx.grid.rows()[:_HEADER_SCAN_ROWS]:
        labels = _labels(ctx, row)
        if "question id" in labels and _find(labels, "consensus assessment questions") \
                and _find(labels, "consensus assessment answers"):
            return row, labels
    return None


def _caiq3_plan(ctx: SheetContext) -> SheetPlan:
    found = _caiq3_header(ctx)
    if found is None:
        return SheetPlan(reason=None)
    row, labels = found
    marks: dict[str, int] = {}
    mark_row = row
    for below in range(row + 1, row + 4):
        for text, col in _labels(ctx, below).items():
            mark = {"yes": "Yes", "no": "No", "not applicable": "N/A", "n/a": "N/A",
                    "na": "N/A"}.get(text)
            if mark:
                marks.setdefault(mark, col)
                mark_row = below
    if len(marks) < 2:
        return SheetPlan(reason="CAIQ v3 header without its Yes / No / Not Applicable columns; "
                         "use --map")
    plan = ColumnPlan(question=_find(labels, "consensus assessment questions") or 0,
                      id=labels["question id"], section=_find(labels, "control domain"),
                      answer=_find(labels, "notes"), marks=tuple(marks.items()))
    return SheetPlan((Block(plan, mark_row + 1, max(ctx.grid.max_row, mark_row + 1), row),))


# --------------------------------------------------------------------------- HECVAT


def _hecvat_headers(ctx: SheetContext) -> list[tuple[int, int, int | None]]:
    """(row, answer column, details column) of each HECVAT section header on the sheet."""
    headers = []
    for row in ctx.grid.rows():
        cells = ctx.grid.cells[row]
        for col in sorted(cells):
            text = norm(cells[col][0]).lower()
            if text in ("answer", "vendor answers", "vendor answer") and col > 2:
                details = norm(ctx.grid.value(row, col + 1)).lower()
                headers.append((row, col, col + 1 if details.startswith("additional info")
                                else None))
                break
    return headers


def _hecvat_plan(ctx: SheetContext) -> SheetPlan:
    headers = [h for h in _hecvat_headers(ctx) if h[2] is not None]
    if not headers:
        return SheetPlan(reason=None)
    response = headers[0][1]
    question = response - 1
    blocks: list[Block] = []
    # Rows above the first header (HECVAT's general-information block) have no details
    # column; every header row starts a block whose section is the header's first cell.
    starts: list[tuple[int, int | None, int | None, str | None]] = [(1, None, None, None)]
    for row, col, details in headers:
        section = next((norm(ctx.grid.value(row, c)) for c in range(1, col)
                        if norm(ctx.grid.value(row, c))), None)
        starts.append((row + 1, details if col == response else None, row, section))
    for i, (first, details, header_row, section) in enumerate(starts):
        last = starts[i + 1][0] - 2 if i + 1 < len(starts) else max(ctx.grid.max_row, first)
        if last < first:
            continue
        plan = ColumnPlan(question=question, id=1, response=response, details=details)
        blocks.append(Block(plan, first, last, header_row, section, id_pattern=HECVAT_ID))
    return SheetPlan(tuple(blocks))


def _hecvat_version(contexts: Sequence[SheetContext]) -> str | None:
    for ctx in contexts:
        for row in ctx.grid.rows()[:3]:
            for value, _formula in ctx.grid.cells[row].values():
                match = _VERSION.match(norm(value))
                if match:
                    return match.group(1)
    return None


# --------------------------------------------------------------------------- recognition


def is_sig_sheet(ctx: SheetContext) -> bool:
    for row in ctx.grid.rows()[:_HEADER_SCAN_ROWS]:
        labels = _labels(ctx, row)
        if any(t in labels for t in ("ques num", "question number", "ques #")) and \
                any(t.startswith("question/request") for t in labels):
            return True
    return False


def recognise_template(names: Sequence[str], load: ContextLoader) -> Template | None:
    """The known template the workbook is, or None.

    ``names`` are the sheets to look at (visible ones); ``load`` gives a sheet's context.
    """
    contexts = [ctx for name in names if (ctx := load(name)) is not None]
    if any(_caiq4_header(ctx) for ctx in contexts):
        return Template("CAIQ v4", _caiq4_plan)
    if any(_caiq3_header(ctx) for ctx in contexts):
        return Template("CAIQ v3", _caiq3_plan)
    responses = [ctx for ctx in contexts if any(h[2] for h in _hecvat_headers(ctx))]
    if responses and any(_HECVAT_NAME.search(norm(ctx.grid.value(r, c)))
                         for ctx in contexts for r in ctx.grid.rows()[:3]
                         for c in ctx.grid.cells[r]):
        version = _hecvat_version(responses)
        name = f"HECVAT {version}" if version else "HECVAT"
        return Template(name, _hecvat_plan, unique_ids=True)
    if any(is_sig_sheet(ctx) for ctx in contexts):
        return Template("SIG", claims=is_sig_sheet)
    return None

