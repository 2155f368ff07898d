"""Finding the question table on a sheet: header rows, column roles and question rows.

Detection works on a :class:`~qfill.sheets.workbook.SheetGrid` (a CSV is one too), so every
layout, known template or not, goes through the same row reader, :func:`read_block`:

- A *header row* has a question label and at least one answer-ish label (answer, yes/no,
  evidence, or Yes/No/N/A mark columns). A row below it with labels under merged or empty
  header cells is a second header row (two-row headers); a merged answer-ish group title
  above a header ("Vendor response") prefixes the labels it spans. Each header row starts
  a *block* that runs to the next header row, so a sheet may hold several question tables.
- Column roles (``ColumnPlan``): ``question``, ``id``, ``section``, ``short`` (yes/no),
  ``answer`` (narrative), ``evidence``, ``mark:Yes|No|N/A`` (mark-an-X columns), and the
  pair ``response``/``details``: a column that is a dropdown on some rows and free text on
  others. On a dropdown row the response cell takes the yes/no value (role ``short``) and
  the details column the narrative (role ``answer``); on a free-text row the response cell
  takes the narrative (``answer``) and the details column the evidence (``evidence``).
- A question row has question text (a formula's cached value counts) and its main answer
  cell is not a formula: a row whose answer is computed from elsewhere, or whose question
  is a formula with no saved value, is held (``formula_cell``) for the report, never
  written. Cells covered by a merge (not its top-left cell) are never targets.
- Section titles: a header row's first free label, a row whose text is merged across the
  question column, or a short text row with no question; a ``section`` column wins where
  it has a value (merged down or forward-filled).
- Ids come from the id column or from the start of the question text (``A.1.2 Do you``),
  which is then dropped from the question. A row starting ``a)``/``(ii)``/``-`` with no id
  under a question is a sub-item: its question reads ``<parent> <item>`` and its id
  ``<parent id>(a)``; a parent ending in ``:`` is only a lead-in and is not a question.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from qfill.questionnaire import QuestionRow, TargetCell
from qfill.sheets.a1 import MAX_COLUMN, column_letters, format_ref
from qfill.sheets.dropdowns import SheetDropdowns
from qfill.sheets.intervals import ColumnIntervals
from qfill.sheets.workbook import USED_COLUMN_MARGIN, SheetGrid

MAX_LABEL = 80
_IGNORE = re.compile(
    r"guidance|analyst|assessor|reviewer|review notes|internal|for .*use only|\bscor|weight"
    r"|importance|institution|ssrm|ownership|responsibilit|mapping|specification|example"
    r"|instruction|compliant|expected|\bcells?\b|location|default|severity|condition"
    r"|^options?$|^type$|^status date|^date"
    # The buyer's own columns: never the respondent's to write.
    r"|buyer|purchaser|auditor|evaluat|\brating\b|for (?:internal|office) use"
    r"|(?:customer|client)(?:'s)? (?:use|notes?|comments?|remarks)")
_ID = re.compile(r"(?:^|\s)(?:id|#|no\.?|nos?|num|number|ref|ref\.?\s*#|ref\.?\s*no\.?"
                 r"|identifier|s/n|sr\.?\s*no\.?|q\s*#|q\.?\s*no\.?)$")
_SHORT = re.compile(r"\by(?:es)?\s*/\s*n(?:o)?\b|\byes\s+or\s+no\b|\byes\s*,\s*no\b")
_QUESTION = re.compile(r"\bquestions?\b|\bquestion/request\b|^requests?$|\brequirements?\b"
                       r"|^query$|^criteria$|^controls?$|^control description$|^items?$"
                       r"|^control statement$|^ask$"
                       # A label/value block: "Field | Value" over company details.
                       r"|^fields?$|^field names?$|^attributes?$|^information requested$")
_EVIDENCE = re.compile(r"evidence|supporting doc|attachment|artifact|artefact|document(?:ation)?"
                       r" ref|reference doc|\blinks?\b|\burls?\b|\bproof\b")
_ANSWER = re.compile(r"answer|response|comment|explanation|\bdetails?\b|additional info"
                     r"|\bnotes?\b|remarks|justification|narrative|implementation description"
                     r"|clarification|\binput\b|please describe|provide|^values?$")
_SECTION = re.compile(r"domain|category|\bsection\b|\barea\b|topic|family|chapter|\bgroup\b")
# In order: "Supplier response Evidence" is evidence, "Response (Y/N)" is yes/no.
_ROLE_PATTERNS = (("short", _SHORT), ("question", _QUESTION), ("evidence", _EVIDENCE),
                  ("answer", _ANSWER), ("section", _SECTION))
_MARKS = {"yes": "Yes", "y": "Yes", "no": "No", "n": "No", "n/a": "N/A", "na": "N/A",
          "n.a.": "N/A", "n / a": "N/A", "not applicable": "N/A"}
ID_VALUE = re.compile(r"^(?:[A-Z][A-Za-z&]{0,7}[-. ]{0,2}\d{1,3}(?:[.\-]\s?\d{1,3})*[a-z]?"
                      r"|\d{1,3}(?:\.\d{1,3})+[a-z]?)$")
_ID_IN_TEXT = re.compile(r"\b[A-Z]{2,6}-\d{1,3}\b")
_LEADING_ID = re.compile(
    r"^\s*(?P<id>[A-Z]{1,6}&?[A-Z]{0,4}[-.]?\d{1,3}(?:[.\-]\d{1,3})*[a-z]?"
    r"|\d{1,3}(?:[.\-]\d{1,3})+[a-z]?"
    r"|\d{1,3}[a-z]?(?=[.)]))"
    r"[.):]?\s+(?P<rest>[\"'(\[A-Z].{8,})$", re.S)
_SUB_ITEM = re.compile(r"^\s*(?:\((?P<p>[a-z]|[ivx]{1,4})\)|(?P<q>[a-z]|[ivx]{1,4})[).]"
                       r"|(?P<bullet>[-\u2022\u25aa\u25e6\u2023*\u2013]))\s+(?P<rest>\S.*)$", re.S)
_QUESTION_WORDS = re.compile(
    r"^(?:do|does|did|is|are|was|were|has|have|had|can|could|will|would|shall|should|may"
    r"|describe|provide|list|explain|please|what|how|which|who|when|where|why|indicate"
    r"|confirm|state|identify|specify|detail|attach|upload|summari[sz]e|outline)\b", re.I)
_WORDS = re.compile(r"[^\W\d_]{2}")
_FOOTER = re.compile(r"^(?:©|\(c\)\s|copyright\b|end of\b|end table\b)", re.I)


def norm(text: str | None) -> str:
    """Whitespace collapsed to single spaces (how question text is compared and shown)."""
    return " ".join(text.split()) if text else ""


def _label_key(text: str) -> str:
    return norm(text.replace("_", " ").lower()).strip(" *:")


@functools.lru_cache(maxsize=4096)
def classify_label(label: str) -> str | None:
    """The role a header label names, or None; "ignore" for columns never written.
    (Kept per text: every short cell of a sheet is asked, and most repeat.)"""
    key = _label_key(label)
    if not key or key.endswith("?"):
        return None
    if _IGNORE.search(key):
        return "ignore"
    if key in _MARKS:
        return f"mark:{_MARKS[key]}"
    # "Control Ref" names the row; "Evidence Ref" asks for the evidence that backs it.
    if _ID.search(key) and len(key.split()) <= 4 and not _EVIDENCE.search(key):
        return "id"
    return next((role for role, pattern in _ROLE_PATTERNS if pattern.search(key)), None)


def _question_label_score(label: str) -> int:
    key = _label_key(label)
    if key in ("question", "questions"):
        return 3
    return 2 if re.search(r"\bquestions?\b", key) else 1


def looks_like_question(text: str) -> bool:
    return text.rstrip().endswith("?") or bool(_QUESTION_WORDS.match(text.lstrip(" \"'(")))


def split_leading_id(text: str) -> tuple[str | None, str]:
    """('A.1.2', 'Do you ...') from 'A.1.2 Do you ...'; (None, text) when there is no id."""
    match = _LEADING_ID.match(text)
    if not match:
        return None, text
    return match.group("id"), norm(match.group("rest"))


# --------------------------------------------------------------------------- records


@dataclass(frozen=True, slots=True)
class ColumnPlan:
    """Which column (1-based index) plays which role in one block of rows."""

    question: int
    id: int | None = None
    section: int | None = None
    short: int | None = None
    answer: int | None = None
    evidence: int | None = None
    response: int | None = None  # dropdown rows: short; free-text rows: answer
    details: int | None = None  # dropdown rows: answer; free-text rows: evidence
    marks: tuple[tuple[str, int], ...] = ()

    def target_columns(self) -> set[int]:
        cols = {self.short, self.answer, self.evidence, self.response, self.details}
        cols.update(col for _mark, col in self.marks)
        cols.discard(None)
        return cols  # type: ignore[return-value]

    def roles(self) -> dict[str, str]:
        """Role -> column letter, in a stable order (for ``qfill inspect``)."""
        pairs: list[tuple[str, int | None]] = [
            ("id", self.id), ("question", self.question), ("section", self.section),
            ("short", self.short), ("response", self.response), ("answer", self.answer),
            ("details", self.details), ("evidence", self.evidence)]
        pairs += [(f"mark:{mark}", col) for mark, col in self.marks]
        return {role: column_letters(col) for role, col in pairs if col is not None}


@dataclass(frozen=True, slots=True)
class Block:
    """A run of rows read with one column plan (a question table, or part of one)."""

    plan: ColumnPlan
    first_row: int
    last_row: int
    header_row: int | None = None
    section: str | None = None
    id_pattern: re.Pattern[str] | None = None  # rows must carry such an id (templates)


@dataclass(slots=True)
class BlockResult:
    rows: list[QuestionRow] = field(default_factory=list)
    formula_rows: int = 0  # rows whose answer cell is a formula
    uncached_rows: int = 0  # question cells that are formulas with no cached value
    # Those rows, to report for review (``formula_cell`` set) when the sheet is read; a
    # sheet with nothing else is skipped with the reason instead.
    held: list[QuestionRow] = field(default_factory=list)


# --------------------------------------------------------------------------- the sheet


class MergeIndex:
    """Merged ranges by cell: a lookup is one bisect, however large the merge."""

    def __init__(self, grid: SheetGrid) -> None:
        self._merges: ColumnIntervals[tuple[int, int, int]] = ColumnIntervals(
            grid.name, min(grid.max_col + USED_COLUMN_MARGIN, MAX_COLUMN))
        last_row = max(grid.max_row, 1) + 1
        for r0, c0, r1, c1 in grid.merges:
            if r0 == r1 and c0 == c1:
                continue
            self._merges.add(r0, c0, min(r1, last_row), c1, (r0, c0, c1))

    def at(self, row: int, col: int) -> tuple[int, int, int] | None:
        """(anchor row, anchor col, last col) of the merge covering the cell, if any."""
        return self._merges.at(row, col)


class SheetContext:
    """One sheet as detection sees it: cells, merges and dropdowns."""

    def __init__(self, grid: SheetGrid, dropdowns: SheetDropdowns | None,
                 hidden: bool = False) -> None:
        self.grid = grid
        self.name = grid.name
        self.merges = MergeIndex(grid)
        self.dropdowns = dropdowns
        self.hidden = hidden

    def text(self, row: int, col: int) -> str | None:
        """The cell's text; a cell covered by a merge reads the merge's top-left value."""
        value = self.grid.value(row, col)
        if value is None:
            merge = self.merges.at(row, col)
            if merge is not None:
                value = self.grid.value(merge[0], merge[1])
        return value

    def covered(self, row: int, col: int) -> bool:
        """True for a cell inside a merge but not its top-left: it cannot hold a value."""
        merge = self.merges.at(row, col)
        return merge is not None and (merge[0], merge[1]) != (row, col)


# --------------------------------------------------------------------------- headers


@dataclass(frozen=True, slots=True)
class Header:
    row: int
    sub_rows: tuple[int, ...]
    labels: dict[int, str]  # column -> composed label
    roles: dict[int, str]  # column -> role; exactly one column has the role "question"
    section: str | None

    @property
    def question(self) -> int:
        return next(c for c, r in self.roles.items() if r == "question")


def _row_labels(ctx: SheetContext, row: int) -> dict[int, str]:
    labels: dict[int, str] = {}
    for col, (value, _formula) in ctx.grid.cells.get(row, {}).items():
        text = norm(value)
        if text and len(text) <= MAX_LABEL:
            labels[col] = text
    return labels


def _texts_below(ctx: SheetContext, col: int, header_row: int, count: int = 30) -> list[str]:
    texts = (norm(ctx.grid.value(r, col)) for r in range(header_row + 1, header_row + 1 + count))
    return [t for t in texts if t]


def _holds_ids(ctx: SheetContext, col: int, header_row: int) -> bool:
    """Most cells below a header are ids ("DOCU-01", "A.1.2")."""
    texts = _texts_below(ctx, col, header_row)
    return len(texts) >= 3 and sum(bool(ID_VALUE.match(t)) for t in texts) >= 0.5 * len(texts)


def _holds_questions(ctx: SheetContext, col: int, header_row: int) -> bool:
    """The cells below a header read like questions, not like ids or codes."""
    texts = _texts_below(ctx, col, header_row)
    if len(texts) < 3:
        return True  # too few rows to judge: trust the label
    return (not _holds_ids(ctx, col, header_row)
            and sum(len(t) for t in texts) / len(texts) >= 12)


def _is_sub_header(ctx: SheetContext, row: int, header_row: int, question_col: int,
                   header_labels: dict[int, str]) -> bool:
    labels = _row_labels(ctx, row)
    if not labels or ctx.grid.value(row, question_col):
        return False
    merge = ctx.merges.at(row, question_col)
    if merge is not None and merge[0] != header_row:  # a title merged across: data, not header
        return False
    if ID_VALUE.match(labels[min(labels)]):  # a data row starting with its id
        return False
    if any(len(norm(value)) > MAX_LABEL for value, _f in ctx.grid.cells[row].values()):
        return False
    under_group = 0
    for col in labels:
        merge = ctx.merges.at(header_row, col)
        if (merge and merge[2] > merge[1]) or col not in header_labels:
            under_group += 1
    return under_group > 0 and (len(labels) >= 2 or under_group == len(labels))


def _compose(ctx: SheetContext, header_row: int, sub_rows: Sequence[int]) -> dict[int, str]:
    rows = [header_row, *sub_rows]
    cols: set[int] = set()
    for row in rows:
        cols.update(_row_labels(ctx, row))
        cols.update(c for c in ctx.grid.cells.get(row, {}) if ctx.grid.value(row, c))
    # A merged group title above the header ("Vendor response" over C:D) prefixes the
    # labels it spans; only an answer-ish one, so a sheet title above is never taken.
    above = header_row - 1
    span = (min(cols), max(cols)) if cols else (0, 0)
    group: dict[int, str] = {}
    if above >= 1:
        for col in range(span[0], span[1] + 1):
            merge = ctx.merges.at(above, col)
            if merge and merge[2] > merge[1] and not (merge[1] <= span[0] and merge[2] >= span[1]):
                text = norm(ctx.grid.value(merge[0], merge[1]))
                if text and len(text) <= MAX_LABEL and classify_label(text) in (
                        "answer", "short", "evidence"):
                    group[col] = text
    composed: dict[int, str] = {}
    for col in sorted(cols | set(group)):
        parts = [group[col]] if col in group else []
        for row in rows:
            text = norm(ctx.text(row, col))
            if text and len(text) <= MAX_LABEL and (not parts or parts[-1] != text):
                parts.append(text)
        if parts:
            composed[col] = " ".join(parts)
            last = _label_key(parts[-1])
            if last in _MARKS:  # "Answers" over "Yes | No | N/A": mark columns
                composed[col] = parts[-1]
    return composed


def find_headers(ctx: SheetContext) -> list[Header]:
    """Every header row of the sheet, top to bottom, with its sub-header rows."""
    headers: list[Header] = []
    rows = ctx.grid.rows()
    skip_until = 0
    for row in rows:
        if row <= skip_until:
            continue
        labels = _row_labels(ctx, row)
        if len(labels) < 2:
            continue
        if ID_VALUE.match(labels[min(labels)]):
            continue  # a data row that starts with its id
        roles = {col: role for col, text in labels.items()
                 if (role := classify_label(text)) is not None}
        if not any(r in ("answer", "short", "evidence", "question") or r.startswith("mark:")
                   for r in roles.values()):
            continue
        # A label over a column of ids ("Privacy Details" above DOCU-01, DOCU-02 ...) is a
        # section title, not an answer column.
        over_ids = {c for c, r in roles.items()
                    if r not in ("id", "ignore") and _holds_ids(ctx, c, row)}
        roles = {c: r for c, r in roles.items() if c not in over_ids}
        question_cols = [c for c, r in roles.items() if r == "question"]
        # A "question" label over ids or one-word cells (a section title such as "AI
        # Qualifying Questions" above the id column) does not name the question column.
        question_cols = [c for c in question_cols if _holds_questions(ctx, c, row)]
        if not question_cols:
            roles = {c: r for c, r in roles.items() if r != "question"}
            if not _pure_label_row(ctx, row):
                continue
            header = _header_without_question_label(ctx, row, labels, roles)
            if header is not None:
                headers.append(header)
                skip_until = row
            continue
        question_col = max(question_cols, key=lambda c: (_question_label_score(labels[c]), -c))
        sub_rows: list[int] = []
        for nxt in (row + 1, row + 2):
            if _is_sub_header(ctx, nxt, row, question_col, labels):
                sub_rows.append(nxt)
            else:
                break
        composed = _compose(ctx, row, sub_rows)
        composed_roles = {col: role for col, text in composed.items()
                          if (role := classify_label(text)) not in (None, "question")
                          and col not in over_ids}
        composed_roles[question_col] = "question"
        answerish = [c for c, r in composed_roles.items()
                     if r in ("answer", "short", "evidence") or r.startswith("mark:")]
        if not answerish and not any(r == "id" for r in composed_roles.values()):
            continue
        headers.append(Header(row, tuple(sub_rows), composed, composed_roles,
                              _header_section(labels, composed_roles)))
        skip_until = row + len(sub_rows)
    return headers


def _pure_label_row(ctx: SheetContext, row: int) -> bool:
    """Every filled cell is a short label, none reads like a question or an id."""
    for value, _formula in ctx.grid.cells.get(row, {}).values():
        text = norm(value)
        if text and (len(text) > MAX_LABEL or looks_like_question(text) or ID_VALUE.match(text)):
            return False
    return True


def _header_section(labels: dict[int, str], roles: dict[int, str]) -> str | None:
    """A header row's first free label ("Documentation | | Answer | ...") names its section."""
    free = [c for c in sorted(labels) if c not in roles]
    if free and free[0] < min((c for c in roles), default=0):
        return labels[free[0]]
    return None


def _header_without_question_label(ctx: SheetContext, row: int, labels: dict[int, str],
                                   roles: dict[int, str]) -> Header | None:
    """A header with answer labels but an unlabelled question column (HECVAT-like).

    The question column is the unlabelled column left of the first answer column whose
    cells below read most like questions.
    """
    answer_cols = sorted(c for c, r in roles.items() if r in ("answer", "short"))
    if not answer_cols:
        return None
    below = range(row + 1, row + 26)
    best: tuple[float, int] | None = None
    for col in range(1, answer_cols[0]):
        if col in roles and roles[col] != "section":
            continue
        texts = [norm(ctx.grid.value(r, col)) for r in below]
        texts = [t for t in texts if t]
        if len(texts) < 2:
            continue
        questionlike = sum(looks_like_question(t) for t in texts) / len(texts)
        average = sum(len(t) for t in texts) / len(texts)
        if questionlike >= 0.3 and average >= 20:
            score = questionlike * 100 + average
            if best is None or score > best[0]:
                best = (score, col)
    if best is None:
        return None
    question_col = best[1]
    composed_roles = dict(roles)
    composed_roles[question_col] = "question"
    id_col = next((c for c in range(1, question_col) if c not in roles and sum(
        bool(ID_VALUE.match(norm(ctx.grid.value(r, c)))) for r in below) >= 2), None)
    if id_col is not None:
        composed_roles[id_col] = "id"
    section = labels.get(id_col) if id_col is not None else None
    if section is None:
        section = _header_section(labels, composed_roles)
    return Header(row, (), dict(labels), composed_roles, section)


def plan_from_header(ctx: SheetContext, header: Header, last_row: int
                     ) -> tuple[ColumnPlan | None, str | None]:
    """The column plan a header names, or (None, why not)."""
    roles = header.roles
    labels = header.labels
    question = header.question
    ids = [c for c, r in roles.items() if r == "id" and c != question]
    id_col = None
    if ids:
        preferred = [c for c in ids if re.search(r"\bq(?:ues(?:tion)?)?\b|^id$|^#$",
                                                _label_key(labels.get(c, "")))]
        id_col = (preferred or sorted(ids, key=lambda c: (c > question, abs(question - c))))[0]
    section = next((c for c, r in sorted(roles.items()) if r == "section"), None)
    marks: dict[str, int] = {}
    for col, role in sorted(roles.items()):
        if role.startswith("mark:"):
            marks.setdefault(role[5:], col)
    shorts = sorted(c for c, r in roles.items() if r == "short")
    answers = sorted(c for c, r in roles.items() if r == "answer")
    if not shorts and len(marks) < 2:
        first = header.row + 1 + len(header.sub_rows)
        # A yes/no column known by its list ("Compliant?" over Yes / No / Partial / N/A).
        listed = [c for c in sorted(labels) if c not in (question, id_col)
                  and (roles.get(c) is None or _COMPLIANCE.match(_label_key(labels[c])))
                  and _yes_no_list(ctx, c, first, last_row)]
        shorts = listed[:1]
    evidence = next((c for c, r in sorted(roles.items()) if r == "evidence"), None)
    plan = ColumnPlan(question=question, id=id_col, section=section, evidence=evidence)
    if len(marks) >= 2:
        plan = replace(plan, marks=tuple(marks.items()),
                       answer=answers[0] if answers else None)
    elif shorts:
        plan = replace(plan, short=shorts[0], answer=answers[0] if answers else None)
    elif answers:
        details = answers[1] if len(answers) > 1 else None
        if _has_dropdowns(ctx, answers[0], header.row + 1 + len(header.sub_rows), last_row):
            plan = replace(plan, response=answers[0], details=details)
        else:
            plan = replace(plan, answer=answers[0],
                           evidence=evidence if evidence is not None else details)
    elif evidence is None:
        return None, (f"a question column ({column_letters(question)}) but no answer column; "
                      "use --map answer=<column>")
    return plan, None


_COMPLIANCE = re.compile(r"^(?:compliant|compliance|complies|meets? (?:the )?requirement)")
_YES = frozenset({"yes", "y", "compliant", "true"})
_NO = frozenset({"no", "n", "non-compliant", "not compliant", "false"})


def _yes_no_list(ctx: SheetContext, col: int, first: int, last: int) -> bool:
    """Most of the column's dropdowns offer a Yes and a No (whatever else they offer)."""
    if ctx.dropdowns is None:
        return False
    rows = [r for r in ctx.grid.rows() if first <= r <= last][:200] or [first]
    found = [d for d in (ctx.dropdowns.at(r, col) for r in rows) if d is not None]
    if not found:
        return False
    spelled = [{" ".join(c.lower().split()) for c in d.choices} for d in found]
    hits = sum(1 for values in spelled if values & _YES and values & _NO)
    return hits * 2 > len(found)


def _has_dropdowns(ctx: SheetContext, col: int, first: int, last: int) -> bool:
    if ctx.dropdowns is None:
        return False
    rows = [r for r in ctx.grid.rows() if first <= r <= last] or [first]
    probe = set(rows[:200]) | set(range(first, min(last, first + 200) + 1))
    return any(ctx.dropdowns.at(r, col) is not None for r in probe)


def detect_blocks(ctx: SheetContext) -> tuple[list[Block], str | None]:
    """The question blocks of a sheet by its own headers, or ([], why none were found)."""
    headers = find_headers(ctx)
    labelled = label_blocks(ctx, headers[0].row if headers else None)
    if not headers:
        return labelled, None
    blocks: list[Block] = list(labelled)
    why: str | None = None
    # The title row just above a header names its table ("Section A: General").
    above_first = _title_above(ctx, headers[0].row, 1)
    title = above_first[1] if above_first is not None else None
    for i, header in enumerate(headers):
        first = header.row + 1 + len(header.sub_rows)
        section, title = header.section or title, None
        if i + 1 < len(headers):
            last = headers[i + 1].row - 1
            above = _title_above(ctx, headers[i + 1].row, first)
            if above is not None:
                last, title = above[0] - 1, above[1]
        else:
            last = max(ctx.grid.max_row, header.row)
        plan, reason = plan_from_header(ctx, header, last)
        if plan is None:
            why = why or reason
            continue
        blocks.append(Block(plan, first, last, header.row, section))
    return blocks, why


MIN_LABEL_ROWS = 2


def label_blocks(ctx: SheetContext, before: int | None) -> list[Block]:
    """Runs of "Label: | value" rows with no header row, above the first table (``before``).

    A label row holds one short text ending with ":" (or whose value cell is a dropdown)
    and nothing else but its value cell, the next cell to the right (after the label's
    merge). At least two such rows in one column, with only blank rows between them,
    make a block: each label is a question, its value cell the answer.
    """
    runs: list[list[int]] = []  # [label col, value col, first row, last row, rows]
    open_run: list[int] | None = None
    for r in ctx.grid.rows():
        if before is not None and r >= before:
            break
        found = _label_row(ctx, r)
        if found is not None and open_run is not None and tuple(open_run[:2]) == found:
            open_run[3:] = [r, open_run[4] + 1]
            continue
        open_run = [*found, r, r, 1] if found is not None else None
        if open_run is not None:
            runs.append(open_run)
    blocks: list[Block] = []
    for label_col, value_col, first, last, count in runs:
        if count < MIN_LABEL_ROWS:
            continue
        plan = (ColumnPlan(question=label_col, response=value_col)
                if _has_dropdowns(ctx, value_col, first, last)
                else ColumnPlan(question=label_col, answer=value_col))
        above = _title_above(ctx, first, 1)
        blocks.append(Block(plan, first, last, None, above[1] if above else None))
    return blocks


def _label_row(ctx: SheetContext, r: int) -> tuple[int, int] | None:
    """(label col, value col) when row ``r`` is one "Label: | value" pair, else None."""
    filled = sorted(c for c, (value, formula) in ctx.grid.cells[r].items()
                    if norm(value) or formula)
    if not filled or len(filled) > 2:
        return None
    label_col = filled[0]
    text = norm(ctx.grid.value(r, label_col))
    if not text or len(text) > MAX_LABEL or ID_VALUE.match(text):
        return None
    merge = ctx.merges.at(r, label_col)
    value_col = (merge[2] if merge is not None else label_col) + 1
    if len(filled) == 2 and filled[1] != value_col:
        return None
    dropdown = ctx.dropdowns is not None and ctx.dropdowns.at(r, value_col) is not None
    return (label_col, value_col) if text.endswith(":") or dropdown else None


def _title_above(ctx: SheetContext, header_row: int, first: int) -> tuple[int, str] | None:
    """(row, text) of a title just above a header ("Section B: Security controls"): the
    nearest filled row holds one short text that asks nothing. It names the next table,
    and is not a row of the one above."""
    rows = [r for r in ctx.grid.rows() if first <= r < header_row]
    if not rows:
        return None
    r = rows[-1]
    texts = [norm(value) for value, _f in ctx.grid.cells[r].values() if norm(value)]
    if len(texts) != 1:
        return None
    text = _title(texts[0])
    return (r, text) if text and not looks_like_question(text) else None


# --------------------------------------------------------------------------- rows


@dataclass(slots=True)
class _Pending:
    row: QuestionRow
    lead_in: bool  # ends with ":" and may turn out to be a parent of sub-items
    sub_items: int = 0


def read_block(ctx: SheetContext, block: Block) -> BlockResult:
    """The question rows of one block, each with its writable and non-writable targets."""
    plan = block.plan
    grid = ctx.grid
    result = BlockResult()
    targets_cols = plan.target_columns()
    rows = [r for r in grid.rows() if block.first_row <= r <= block.last_row]
    ids_are_usual = _ids_are_usual(ctx, plan, rows)
    section = block.section
    pending: list[_Pending] = []
    parent: _Pending | None = None
    for r in rows:
        if plan.section is not None:
            value = norm(ctx.text(r, plan.section))
            if value:
                section = value
        title, question = _row_question(ctx, plan, r, targets_cols)
        if question is None:
            if title is not None:
                section = title
                parent = None
            elif grid.is_formula(r, plan.question):
                result.uncached_rows += 1
                ref = format_ref(r, plan.question)
                targets, _computed = _targets(ctx, plan, r)
                # An error value (#REF!) is a broken lookup, not a question; a formula
                # with no saved value may be a question typed starting with "=".
                raw = norm(grid.value(r, plan.id)) if plan.id is not None else ""
                if targets and (r, plan.question) in grid.unsaved_formulas and (
                        block.id_pattern is None or block.id_pattern.match(raw)):
                    result.held.append(QuestionRow(
                        sheet=ctx.name, row=r,
                        question=norm(grid.unsaved_formulas.get((r, plan.question), "=")),
                        question_id=raw or None,
                        section=section, question_ref=ref, targets=tuple(targets),
                        formula_cell=ref))
            continue
        raw_id = norm(grid.value(r, plan.id)) if plan.id is not None else ""
        if block.id_pattern is not None and not block.id_pattern.match(raw_id):
            continue
        if _FOOTER.match(question) or not _WORDS.search(question):
            continue  # a footer, or a figure ("12") in a counts table
        question_id: str | None = raw_id or None
        if question_id is None:
            question_id, question = split_leading_id(question)
        sub = _SUB_ITEM.match(question) if question_id is None else None
        if sub is not None and sub.group("bullet") and not (parent and parent.lead_in):
            sub = None  # a bullet is a sub-item only under a lead-in ("... include:")
        if sub is not None and parent is not None:
            parent.sub_items += 1
            marker = sub.group("p") or sub.group("q") or str(parent.sub_items)
            question = f"{parent.row.question} {norm(sub.group('rest'))}"
            question_id = f"{parent.row.question_id}({marker})" if parent.row.question_id else None
        elif (question_id is None and ids_are_usual and not looks_like_question(question)
              and len(question) <= 100 and not _has_content(ctx, plan, r)):
            section = question
            parent = None
            continue
        targets, computed = _targets(ctx, plan, r)
        if computed is not None:
            result.formula_rows += 1
            result.held.append(QuestionRow(
                sheet=ctx.name, row=r, question=question, question_id=question_id,
                section=section, question_ref=format_ref(r, plan.question),
                targets=tuple(targets), formula_cell=computed))
            continue
        if not targets:
            continue
        row = QuestionRow(sheet=ctx.name, row=r, question=question, question_id=question_id,
                          section=section, question_ref=format_ref(r, plan.question),
                          targets=tuple(targets))
        item = _Pending(row, lead_in=question.rstrip().endswith(":"))
        pending.append(item)
        if sub is None or parent is None:
            parent = item
    result.rows = [p.row for p in pending if not (p.lead_in and p.sub_items)]
    return result


def _ids_are_usual(ctx: SheetContext, plan: ColumnPlan, rows: Iterable[int]) -> bool:
    with_text = with_id = 0
    for r in rows:
        text = norm(ctx.grid.value(r, plan.question))
        if not text:
            continue
        with_text += 1
        if (plan.id is not None and ctx.grid.value(r, plan.id)) or split_leading_id(text)[0]:
            with_id += 1
    return with_id >= 3 and with_id >= 0.5 * with_text


def _row_question(ctx: SheetContext, plan: ColumnPlan, r: int, targets_cols: set[int]
                  ) -> tuple[str | None, str | None]:
    """(section title, None) for a title row, (None, question) for a question, else (None, None)."""
    grid = ctx.grid
    merge = ctx.merges.at(r, plan.question)
    if merge is not None:
        anchor_row, anchor_col, last_col = merge
        spans_targets = any(anchor_col <= c <= last_col for c in targets_cols)
        if anchor_row != r:
            return None, None  # the lower part of a question merged down: not a new row
        if anchor_col != plan.question or spans_targets:
            return _title(norm(grid.value(anchor_row, anchor_col))), None
    text = norm(grid.value(r, plan.question))
    if text:
        return None, text
    if grid.is_formula(r, plan.question):
        return None, None  # a question computed with no saved value, not a title row
    for col in sorted(grid.cells.get(r, {})):
        if col in targets_cols or col == plan.section:
            continue
        value = norm(grid.value(r, col))
        if value:
            return _title(value), None
    return None, None


def _title(text: str) -> str | None:
    if (not text or len(text) > 100 or text.endswith(".") or _ID_IN_TEXT.search(text)
            or _FOOTER.match(text) or text.startswith("#")):
        return None
    return text


def _has_content(ctx: SheetContext, plan: ColumnPlan, r: int) -> bool:
    return any(ctx.grid.value(r, c) is not None or ctx.grid.is_formula(r, c)
               for c in plan.target_columns())


def _targets(ctx: SheetContext, plan: ColumnPlan, r: int
             ) -> tuple[list[TargetCell], str | None]:
    """The row's target cells, and the ref of its main answer cell when that is a formula."""
    grid = ctx.grid
    out: list[TargetCell] = []

    def add(col: int | None, role: str, mark: str | None = None) -> TargetCell | None:
        if col is None or col in (plan.question, plan.id) or ctx.covered(r, col):
            return None
        dropdown = ctx.dropdowns.at(r, col) if ctx.dropdowns is not None else None
        # Free text in a cell whose dropdown lists other values would be rejected.
        restricted = dropdown is not None and (dropdown.restricted
                                               or role in ("answer", "evidence"))
        cell = TargetCell(role=role, ref=format_ref(r, col),  # type: ignore[arg-type]
                          current=grid.content(r, col), formula=grid.is_formula(r, col),
                          choices=dropdown.choices if dropdown else (),
                          mark=mark, restricted=restricted, locked=grid.locked(r, col))
        out.append(cell)
        return cell

    main: list[TargetCell | None] = []
    if plan.response is not None:
        has_dropdown = (ctx.dropdowns is not None
                        and ctx.dropdowns.at(r, plan.response) is not None)
        if has_dropdown:
            main.append(add(plan.response, "short"))
            add(plan.details, "answer")
        else:
            main.append(add(plan.response, "answer"))
            if plan.evidence is None:
                add(plan.details, "evidence")
    else:
        main.append(add(plan.short, "short"))
        main.append(add(plan.answer, "answer"))
    marks = [add(col, "mark", mark) for mark, col in plan.marks]
    if plan.evidence is not None:
        add(plan.evidence, "evidence")
    # The row's own answer cell decides: the yes/no cell, else the answer cell, else the
    # marks. When it is computed, the row is not a question to answer.
    primary = next(([t] for t in main if t is not None), [t for t in marks if t is not None])
    if primary and all(t.formula for t in primary):
        return out, primary[0].ref
    return (out if any(t is not None for t in (*main, *marks)) else []), None
