"""The review loop: decisions a person made in the review file, turned into cell writes,
and new phrasings taught to the library (``qfill apply --learn``).

A decision is an answer id, ``accept`` (take the suggestion), ``skip`` or empty (leave the
row), or any other text, which is written as the answer itself.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from qfill.errors import InputError, LibraryError
from qfill.escaping import FORMULA_TRIGGERS
from qfill.filling import CellWrite, FillPlan, row_writes, spell_short
from qfill.findings import Severity
from qfill.library import Answer, Library, check_answer_file
from qfill.questionnaire import Questionnaire, QuestionRow
from qfill.yamlsource import YamlProblem, YNode, parse_yaml

REQUIRED_COLUMNS = ("sheet", "row", "decision", "suggestion")
MAX_REVIEW_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Decision:
    sheet: str
    row: int
    decision: str
    suggestion: str
    line: int  # line in the review file, for messages


@dataclass(frozen=True, slots=True)
class AppliedDecision:
    decision: Decision
    question: QuestionRow
    answer: Answer | None  # None when the decision was free text
    writes: tuple[CellWrite, ...]


def _unquote(value: str) -> str:
    # The review file neutralises formula triggers with a leading quote; undo that here.
    if value.startswith("'") and value[1:].startswith(FORMULA_TRIGGERS):
        return value[1:]
    return value


def read_decisions(path: Path) -> list[Decision]:
    """Read the review file; rows with an empty decision are returned too (as skips)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such review file; write one with "
                         "`qfill answer --review-file`") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory; give the review CSV file") from None
    if len(data) > MAX_REVIEW_BYTES:
        raise InputError(f"{path}: review file is too large ({len(data)} bytes)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text; save the review file as UTF-8 CSV") from None
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise InputError(f"{path}: missing column(s) {', '.join(missing)}; use the file "
                         "written by `qfill answer --review-file`")
    decisions: list[Decision] = []
    try:
        for record in reader:
            line = reader.line_num
            try:
                row = int(_unquote(record["row"] or ""))
            except ValueError:
                raise InputError(f"{path}:{line}: row {record['row']!r} is not a number; "
                                 "keep the row column as written") from None
            decisions.append(Decision(_unquote(record["sheet"] or ""), row,
                                      (record["decision"] or "").strip(),
                                      _unquote(record["suggestion"] or "").strip(), line))
    except csv.Error as e:
        raise InputError(f"{path}:{reader.line_num}: malformed CSV ({e})") from None
    return decisions


def plan_decisions(decisions: Sequence[Decision], questionnaire: Questionnaire,
                   library: Library, *,
                   review_path: Path) -> tuple[FillPlan, list[AppliedDecision]]:
    """Cell writes for every decided row; raises on a decision that names nothing known."""
    # A CSV's one "sheet" is named after its file, and the filled copy's name differs
    # ("q" vs "q.filled"), so in a CSV rows are found by number alone.
    by_number = questionnaire.format == "csv"
    rows = {("" if by_number else r.sheet, r.row): r for r in questionnaire.rows}
    answers = library.by_id()
    applied: list[AppliedDecision] = []
    for decision in decisions:
        choice = decision.decision
        if not choice or choice.lower() == "skip":
            continue
        row = rows.get(("" if by_number else decision.sheet, decision.row))
        if row is None:
            raise InputError(f"{review_path}:{decision.line}: no question row at "
                             f"{decision.sheet}!{decision.row} in {questionnaire.path.name}; "
                             "apply the review file to the file it was written for")
        answer: Answer | None = None
        if choice.lower() == "accept":
            if decision.suggestion not in answers:
                raise InputError(f"{review_path}:{decision.line}: 'accept' but the suggestion "
                                 f"{decision.suggestion!r} is not in the library; write an "
                                 "answer id or the answer text")
            answer = answers[decision.suggestion]
        elif choice in answers:
            answer = answers[choice]
        writes = tuple(row_writes(row, answer) if answer is not None
                       else _free_text_writes(row, choice))
        if not writes:
            raise InputError(f"{review_path}:{decision.line}: {decision.sheet}!{decision.row} "
                             "has no empty answer cell to write into")
        applied.append(AppliedDecision(decision, row, answer, writes))
    plan = FillPlan(tuple(w for a in applied for w in a.writes))
    return plan, applied


def _free_text_writes(row: QuestionRow, text: str) -> list[CellWrite]:
    short_cell = row.target("short")
    canonical = {"yes": "Yes", "no": "No", "n/a": "N/A", "na": "N/A"}.get(text.lower())
    if canonical and short_cell is not None and short_cell.writable:
        spelled = spell_short(canonical, short_cell.choices)
        if spelled:
            return [CellWrite(row.sheet, short_cell.ref, spelled, "short", row.row)]
    cell = row.target("answer") or short_cell
    if cell is None or not cell.writable or (cell.choices and text not in cell.choices):
        return []
    return [CellWrite(row.sheet, cell.ref, text, cell.role, row.row)]


# --------------------------------------------------------------------------- learning


def learn_alias(source: bytes, answer_id: str, phrasing: str) -> bytes | None:
    """Return the answer file with ``phrasing`` added as an alias of ``answer_id``.

    The edit is textual (one inserted line, or two), so comments, order and formatting of
    the rest of the file stay exactly as people wrote them. None when the phrasing is
    already there or the entry's aliases are written in a form we do not edit (flow style).
    """
    try:
        document = parse_yaml(source)
    except YamlProblem:
        return None
    entries = document.root.get("answers") if document.root else None
    if entries is None or entries.kind != "seq":
        return None
    entry = next((e for e in entries.value if e.kind == "map"
                  and _scalar(e.get("id")) == answer_id), None)
    if entry is None:
        return None
    aliases = entry.get("aliases")
    known = [entry.get("question"), *(aliases.value if aliases and aliases.kind == "seq"
                                      else ())]
    folded = " ".join(phrasing.split()).lower()
    if any(" ".join(str(_scalar(k)).split()).lower() == folded for k in known):
        return None
    text = source.decode("utf-8")
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.split(newline)
    quoted = json.dumps(" ".join(phrasing.split()), ensure_ascii=False)
    id_key = entry.keys["id"]
    if aliases is None:
        indent = " " * (id_key.column - 1)
        at = id_key.line  # after the id line (0-based index = line)
        new = [f"{indent}aliases:", f"{indent}  - {quoted}"]
    elif aliases.kind == "seq" and aliases.value and aliases.value[0].line > entry.keys[
            "aliases"].line:
        first = aliases.value[0]
        at = first.line - 1
        new = [" " * (first.column - 3) + f"- {quoted}"]
    else:
        return None
    lines[at:at] = new
    edited = newline.join(lines).encode("utf-8")
    _, findings = check_answer_file(edited, "check")
    if any(f.severity is Severity.ERROR for f in findings):
        return None
    return edited


def _scalar(node: YNode | None) -> object:
    return None if node is None else node.value


def learn_phrasings(library: Library, applied: Sequence[AppliedDecision]) -> dict[Path, bytes]:
    """New contents for each answer file that gains aliases from the applied decisions."""
    files: dict[Path, bytes] = {}
    for item in applied:
        if item.answer is None:
            continue
        path = library.root / item.answer.source
        current = files.get(path)
        if current is None:
            try:
                current = path.read_bytes()
            except OSError as e:
                raise LibraryError(f"{item.answer.source}: cannot read ({e.strerror})") from None
        edited = learn_alias(current, item.answer.id, item.question.question)
        if edited is not None:
            files[path] = edited
    return files
