"""``--map``: a user's column mapping, parsed and laid over the detected blocks."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from qfill.errors import UsageError
from qfill.questionnaire import ColumnMapping
from qfill.sheets.a1 import column_index, column_letters
from qfill.sheets.layout import Block, ColumnPlan, SheetContext, classify_label, norm

MAPPING_KEYS: dict[str, str] = {
    "question": "question", "id": "id", "section": "section", "short": "short",
    "answer": "answer", "evidence": "evidence", "response": "response", "details": "details",
    "yes": "mark:Yes", "no": "mark:No", "na": "mark:N/A",
}
# Roles of the columns qfill writes; a --map naming any of them replaces all detected ones.
MAPPED_TARGET_ROLES = ("short", "answer", "evidence", "response", "details",
                       "mark:Yes", "mark:No", "mark:N/A")
_COLUMN = re.compile(r"^[A-Za-z]{1,3}$")


def parse_column_mapping(spec: str) -> ColumnMapping:
    """``question=C,answer=E,short=D,id=A,evidence=F,header=4``, or a YAML file of those keys.

    Keys: question, id, section, short, answer, evidence, response, details, yes, no, na
    (mark columns) and header (the header row). Raises UsageError on anything else.
    """
    text = spec.strip()
    where = f"--map {spec!r}"
    pairs: list[tuple[str, object]]
    candidate = Path(text)
    if text and (candidate.suffix.lower() in (".yaml", ".yml") or candidate.is_file()):
        pairs, where = _mapping_file(candidate), str(candidate)
    else:
        pairs = []
        for item in filter(None, (part.strip() for part in text.split(","))):
            key, sep, value = item.partition("=")
            if not sep:
                raise UsageError(f"{where}: '{item}' is not key=value; write e.g. "
                                 "question=C,answer=E,short=D")
            pairs.append((key.strip(), value.strip()))
    if not pairs:
        raise UsageError(f"{where}: empty column mapping; write e.g. question=C,answer=E")
    columns: dict[str, str] = {}
    header: int | None = None
    seen: set[str] = set()
    for key, raw in pairs:
        name = key.strip().lower()
        value = str(raw).strip()
        if name in seen:
            raise UsageError(f"{where}: '{name}' is given twice; give each key once")
        seen.add(name)
        if name == "header":
            header = _header_row(where, value)
            continue
        if name not in MAPPING_KEYS:
            hint = difflib.get_close_matches(name, [*MAPPING_KEYS, "header"], n=1, cutoff=0.6)
            did_you_mean = f" (did you mean '{hint[0]}'?)" if hint else ""
            raise UsageError(f"{where}: unknown key '{name}'{did_you_mean}; use "
                             f"{', '.join([*MAPPING_KEYS, 'header'])}")
        letter = value.upper()
        if not _COLUMN.match(letter) or column_index(letter) > 16384:
            raise UsageError(f"{where}: '{name}={value}' is not a column letter; write e.g. "
                             f"{name}=C")
        columns[MAPPING_KEYS[name]] = letter
    written = [(role, columns[role]) for role in MAPPED_TARGET_ROLES if role in columns]
    letters = [letter for _role, letter in written]
    for letter in letters:
        if letters.count(letter) > 1 or letter in (columns.get("question"), columns.get("id")):
            raise UsageError(f"{where}: column {letter} is given two roles; an answer column "
                             "must be its own column")
    return ColumnMapping(columns, header)


def _mapping_file(path: Path) -> list[tuple[str, object]]:
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
        if len(text) > 64 * 1024:
            raise UsageError(f"{path}: too large for a column mapping; keep it to a few keys")
        data = yaml.safe_load(text)
    except FileNotFoundError:
        raise UsageError(f"{path}: no such mapping file; check the path given to --map") from None
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"{path}: cannot read the mapping file ({e})") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise UsageError(f"{where}: not valid YAML; write keys like 'question: C'") from None
    if not isinstance(data, dict):
        raise UsageError(f"{path}: a column mapping must be a YAML mapping like 'question: C'")
    # YAML 1.1 reads the keys yes/no as booleans.
    return [({True: "yes", False: "no"}.get(key, str(key)) if isinstance(key, bool)
             else str(key), value) for key, value in data.items()]


def _header_row(where: str, value: object) -> int:
    try:
        row = int(str(value).strip())
    except ValueError:
        row = 0
    if not 1 <= row <= 1_048_576:
        raise UsageError(f"{where}: header={value} is not a row number; write e.g. header=4")
    return row


def apply_mapping(ctx: SheetContext, detected: Sequence[Block], mapping: ColumnMapping
                  ) -> tuple[list[Block], str | None]:
    """Blocks with the user's columns: given roles replace detected ones.

    Target roles (short, answer, evidence, response, details, marks) come all from the map
    when it names any of them; otherwise they are the detected ones. ``id``, ``question``
    and ``section`` fall back to detection one by one.
    """
    cols = {role: column_index(letter) for role, letter in mapping.columns.items()}
    base = detected[0].plan if detected else None
    question = cols.get("question") or (base.question if base else None)
    if question is None:
        return [], "no question column detected; add question=<column> to --map"
    if "question" in cols and not _has_text(ctx, question):
        letter = mapping.columns["question"]
        return [], (f"--map question={letter}: column {letter} holds no text on this sheet"
                    f"{_used_columns(ctx)}; name the column that holds the questions")
    if any(key in cols for key in MAPPED_TARGET_ROLES):
        plan = ColumnPlan(question=question, short=cols.get("short"), answer=cols.get("answer"),
                          evidence=cols.get("evidence"), response=cols.get("response"),
                          details=cols.get("details"),
                          marks=tuple((key[5:], cols[key]) for key in MAPPED_TARGET_ROLES[5:]
                                      if key in cols))
    elif base is not None:
        plan = replace(base, question=question)
    else:
        return [], "no answer column detected; add answer=<column> to --map"
    taken = plan.target_columns() | {question}
    id_col = cols.get("id") or (base.id if base else None)
    section = cols.get("section") or (base.section if base else None)
    plan = replace(plan, id=id_col if id_col not in taken else None,
                   section=section if section not in taken else None)
    last = max(ctx.grid.max_row, 1)
    if mapping.header_row is None and detected:
        return [replace(block, plan=replace(plan, id=plan.id if plan.id is not None
                                            else block.plan.id), id_pattern=None)
                for block in detected], None
    header = mapping.header_row if mapping.header_row is not None else _label_row(ctx, question)
    return [Block(plan, header + 1, max(last, header + 1), header or None)], None


def _has_text(ctx: SheetContext, col: int) -> bool:
    return any((cells.get(col) or (None,))[0] for cells in ctx.grid.cells.values())


def _used_columns(ctx: SheetContext) -> str:
    used = sorted({col for cells in ctx.grid.cells.values() for col, cell in cells.items()
                   if cell[0]})
    if not used:
        return " (the sheet is empty)"
    return f" (text is in columns {column_letters(used[0])} to {column_letters(used[-1])})"


def _label_row(ctx: SheetContext, question: int) -> int:
    """The first row whose question cell is a header label; 0 when there is none."""
    for row in ctx.grid.rows()[:50]:
        text = norm(ctx.grid.value(row, question))
        if text and classify_label(text) == "question":
            return row
    return 0
