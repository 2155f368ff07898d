"""What ``qfill inspect`` shows: per sheet, what detection found, as JSON or table rows.

The JSON document is a stable contract (``version`` 1; keys in a fixed order; no absolute
paths): ``questionnaire`` (file name), ``format``, ``template``, ``question_rows``,
``append_columns``, ``sheets`` (one entry per sheet in workbook order: ``sheet``,
``status``, ``reason``, ``hidden``, ``template``, ``header_row``, ``columns`` as
role -> column letter, ``question_rows``) and, when asked for, ``rows`` (each question
row with its target cells).
"""

from __future__ import annotations

import json
from typing import Any

from qfill.questionnaire import Questionnaire, QuestionRow, SheetLayout, TargetCell

TABLE_HEADINGS = ("Sheet", "Status", "Template", "Header", "Rows", "Columns or reason")
ROW_HEADINGS = ("Sheet", "Row", "Id", "Question", "Section", "Targets")


def sheet_to_dict(layout: SheetLayout) -> dict[str, Any]:
    return {
        "sheet": layout.sheet,
        "status": layout.status,
        "reason": layout.reason,
        "hidden": layout.hidden,
        "template": layout.template,
        "header_row": layout.header_row,
        "columns": dict(layout.columns),
        "question_rows": layout.question_rows,
    }


def target_to_dict(target: TargetCell) -> dict[str, Any]:
    return {
        "role": target.role,
        "ref": target.ref,
        "current": target.current,
        "formula": target.formula,
        "choices": list(target.choices),
        "mark": target.mark,
        "restricted": target.restricted,
        "writable": target.writable,
    }


def row_to_dict(row: QuestionRow) -> dict[str, Any]:
    return {
        "sheet": row.sheet,
        "row": row.row,
        "question_id": row.question_id,
        "question": row.question,
        "section": row.section,
        "question_ref": row.question_ref,
        "targets": [target_to_dict(t) for t in row.targets],
    }


def inspect_document(questionnaire: Questionnaire, *, rows: bool = False) -> dict[str, Any]:
    document: dict[str, Any] = {
        "version": 1,
        "questionnaire": questionnaire.path.name,
        "format": questionnaire.format.value,
        "template": questionnaire.template,
        "question_rows": len(questionnaire.rows),
        "append_columns": list(questionnaire.append_columns),
        "sheets": [sheet_to_dict(s) for s in questionnaire.sheets],
    }
    if rows:
        document["rows"] = [row_to_dict(r) for r in questionnaire.rows]
    return document


def render_json(questionnaire: Questionnaire, *, rows: bool = False) -> str:
    return json.dumps(inspect_document(questionnaire, rows=rows), ensure_ascii=False,
                      indent=2) + "\n"


def format_columns(columns: dict[str, str] | Any) -> str:
    return " ".join(f"{role}={letter}" for role, letter in columns.items())


def title(questionnaire: Questionnaire) -> str:
    found = len(questionnaire.rows)
    used = sum(1 for s in questionnaire.sheets if s.status == "questions")
    template = f", template {questionnaire.template}" if questionnaire.template else ""
    appended = (f"; the writer appends columns {', '.join(questionnaire.append_columns)}"
                if questionnaire.append_columns else "")
    return (f"{questionnaire.path.name} ({questionnaire.format.value}{template}): {found} question "
            f"rows on {used} of {len(questionnaire.sheets)} sheets{appended}")


def shows_template(questionnaire: Questionnaire) -> bool:
    """Whether sheets name templates other than the one the title names."""
    return any(s.template not in (None, questionnaire.template) for s in questionnaire.sheets)


def table_rows(questionnaire: Questionnaire) -> list[tuple[str, ...]]:
    """One tuple of cell texts per sheet, in :data:`TABLE_HEADINGS` order.

    A sheet with questions shows its columns by role; a skipped sheet has none, so the
    same cell gives the reason it was skipped.
    """
    out: list[tuple[str, ...]] = []
    for s in questionnaire.sheets:
        # A skipped hidden sheet's reason says it is hidden; a read one says so here.
        status = s.status + (" (hidden)" if s.hidden and s.status != "skipped" else "")
        detail = format_columns(s.columns)
        if s.reason:
            detail = f"{detail}; {s.reason}" if detail else s.reason
        out.append((s.sheet, status, s.template or "", str(s.header_row or ""),
                    str(s.question_rows) if s.question_rows else "", detail))
    return out


def question_table_rows(questionnaire: Questionnaire, *, width: int = 70
                        ) -> list[tuple[str, ...]]:
    """One tuple per question row, in :data:`ROW_HEADINGS` order (question shortened)."""
    out: list[tuple[str, ...]] = []
    for row in questionnaire.rows:
        question = _shortened(row.question, width)
        targets = " ".join(_target_text(t) for t in row.targets)
        out.append((row.sheet, str(row.row), row.question_id or "", question, row.section or "",
                    targets))
    return out


def _shortened(text: str, width: int) -> str:
    """``text`` cut to ``width`` at a word boundary, with an ellipsis (never inside a word)."""
    if len(text) <= width:
        return text
    cut = text[:width - 1]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:") + "…"


def _target_text(target: TargetCell) -> str:
    role = f"mark:{target.mark}" if target.role == "mark" else target.role
    flags = []
    if target.formula:
        flags.append("formula")
    elif target.current is not None:
        flags.append("filled")
    if target.restricted:
        flags.append("unreadable list")
    elif target.choices:
        flags.append("/".join(target.choices))
    return f"{role}={target.ref}" + (f"[{'; '.join(flags)}]" if flags else "")
