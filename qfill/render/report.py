"""The report of `qfill answer` as JSON (the contract), Markdown, CSV and HTML.

Every format carries the same facts: for a filled row, each cell written and its value,
how the row was matched, the confidence and the runner-up; for a row a person must
decide, the best suggestions with their Yes/No and answer text, and the reasons in
words. Rows are grouped by what the reviewer must do (decide, write, compare, check).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable
from pathlib import Path

from qfill.confidence import confidence_text
from qfill.drafts import Draft
from qfill.errors import OutputError
from qfill.escaping import csv_safe, markdown_code, markdown_inline
from qfill.grounding import excerpt
from qfill.reasons import Reason
from qfill.render.report_page import cited, render_html
from qfill.report import UNREVIEWED_NOTE, Report, ReportCandidate, ReportRow, Summary

CSV_COLUMNS = ("sheet", "row", "question_id", "question", "status", "answer_id", "confidence",
               "cells", "candidates", "reasons", "passages", "draft", "action", "route",
               "written", "runner_up", "short", "answer", "suggestions", "existing",
               "section", "unreviewed")
REVIEW_COLUMNS = ("sheet", "row", "question_id", "question", "status", "suggestion",
                  "confidence", "decision", "candidates", "reasons", "suggested_answer",
                  "passages", "draft", "draft_evidence", "suggested_short")

# The groups of a report, in the order a reviewer works through them.
GROUPS: tuple[tuple[str, str, str], ...] = (
    ("review", "Decide", "Not written: pick a suggestion (its id, or `accept` for the first, "
     "in the review file's `decision` column) or write the answer."),
    ("unanswered", "Write an answer", "Nothing in the library answers these; write the "
     "answer, and add it to the library so the next questionnaire is filled."),
    ("prefilled", "Compare", "The customer's sheet already held an answer, so nothing was "
     "written; compare it with the library's."),
    ("filled", "Check the fills", "Written into the filled copy: each cell and the value "
     "written, how the row was matched, and the runner-up."),
)
ROUTE_WORDS = {"id": "by id", "wording": "by wording", "meaning": "by meaning"}


def render_json(report: Report) -> str:
    return json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n"


def _candidates_text(row: ReportRow) -> str:
    return "; ".join(f"{c.answer_id} ({confidence_text(c.confidence)})"
                     for c in row.candidates)


def _suggestion_text(c: ReportCandidate) -> str:
    return f"{c.answer_id} ({confidence_text(c.confidence)}, {c.short or '-'}): {c.answer}"


def _lines(pairs: Iterable[tuple[str, str]]) -> str:
    return "\n".join(f"{key}: {value}" for key, value in pairs)


def _passages_text(row: ReportRow) -> str:
    """Each passage as ``path, location (score): excerpt``, joined with `` | ``."""
    if row.evidence is None:
        return ""
    return " | ".join(f"{', '.join(x for x in (r.passage.path, r.passage.location) if x)} "
                      f"({r.score:.2f}): {excerpt(r.passage.text, 160)}"
                      for r in row.evidence.passages)


def _draft(row: ReportRow) -> Draft | None:
    return row.evidence.draft if row.evidence is not None else None


def render_csv(report: Report) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in report.rows:
        runner = row.runner_up
        entry = row.entry
        draft = _draft(row)
        writer.writerow([csv_safe(str(v)) for v in (
            row.sheet, row.row, row.question_id or "", row.question, row.status,
            row.answer_id or "", confidence_text(row.confidence),
            " ".join(f"{role}={ref}" for role, ref in row.cells.items()),
            _candidates_text(row), " | ".join(row.reason_texts), _passages_text(row),
            draft.text if draft else "", row.action, row.route or "",
            _lines(row.written.items()),
            f"{runner.answer_id} ({confidence_text(runner.confidence)})" if runner else "",
            (entry.short or "") if entry else "", entry.answer if entry else "",
            "\n".join(_suggestion_text(c) for c in row.suggestions),
            _lines(row.existing.items()), row.section or "",
            "yes" if row.unreviewed else "")])
    return buffer.getvalue()


def render_review_file(report: Report) -> str:
    """The review file: one row per row a person must decide, with a `decision` to fill.

    ``draft`` is the quoted draft a person may take with ``decision: draft``;
    ``draft_evidence`` the documents it cites, which `qfill apply` checks it against again.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(REVIEW_COLUMNS)
    for row in report.rows:
        if row.status in ("filled", "prefilled"):
            continue
        best = row.candidates[0] if row.candidates and row.status == "review" else None
        draft = _draft(row)
        writer.writerow([csv_safe(str(v)) for v in (
            row.sheet, row.row, row.question_id or "", row.question, row.status,
            best.answer_id if best else "", confidence_text(best.confidence) if best else "",
            "", _candidates_text(row), " | ".join(row.reason_texts),
            best.answer if best else "", _passages_text(row), draft.text if draft else "",
            "; ".join(draft.paths) if draft else "", (best.short or "") if best else "")])
    return buffer.getvalue()


# --------------------------------------------------------------------------- Markdown


def _md(text: str) -> str:
    return markdown_inline(text)


def _counts_table(counts: list[tuple[str, Summary]], first: str | None) -> list[str]:
    keys = list(Summary(0, 0, 0, 0).to_dict())
    head = ([first] if first else []) + keys
    lines = ["| " + " | ".join(head) + " |",
             "| " + " | ".join(["---"] * (1 if first else 0) + ["---:"] * len(keys)) + " |"]
    for name, summary in counts:
        values = [str(v) for v in summary.to_dict().values()]
        lines.append("| " + " | ".join(([_md(name)] if first else []) + values) + " |")
    return lines


def _anchor(heading: str) -> str:
    """The id GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    kept = "".join(c for c in heading.lower() if c.isalnum() or c in " -")
    return kept.replace(" ", "-")


def _where(row: ReportRow) -> str:
    ident = f" · {row.question_id}" if row.question_id else ""
    return _md(f"{row.sheet}!{row.row}{ident}")


def _reason_text(row: ReportRow) -> list[str]:
    """The reasons in words, each with its code (see `qfill reasons`) in brackets."""
    said = [f"{_md(r.message)} (`{r.code}`)" if r.code else _md(r.message)
            for r in row.reasons]
    if len(said) == 1:
        return [f"**Why:** {said[0]}", ""]
    return ["**Why:**", "", *(f"- {text}" for text in said), ""]


def _suggestion_line(n: int, c: ReportCandidate, said: tuple[Reason, ...]) -> list[str]:
    """One suggestion; ``said`` are the row's reasons, not repeated under it."""
    short = f" · **{_md(c.short)}**" if c.short else ""
    lines = [f"{n}. `{c.answer_id}` {confidence_text(c.confidence)}{short} · "
             f"{ROUTE_WORDS[c.route]}: *{_md(c.question)}*"]
    if c.answer:
        lines.append(f"   <br>{_md(c.answer)}")
    own = [r for r in c.reasons if r not in said]
    if own:
        lines.append("   <br>Careful: " + "; ".join(f"{_md(r.message)} (`{r.code}`)"
                                                    for r in own))
    return lines


def _markdown_row(row: ReportRow) -> list[str]:
    lines = [f"### {_where(row)}", "", f"> {_md(row.question)}", ""]
    if row.existing and row.status != "filled":
        lines += ["**Already in the sheet:** " + "; ".join(
            f"{ref} = {_md(value)}" for ref, value in row.existing.items()), ""]
    if row.status == "filled":
        entry = row.entry
        runner = row.runner_up
        how = (f"Filled from `{row.answer_id}` {ROUTE_WORDS[row.route or 'wording']}, "
               f"confidence {confidence_text(row.confidence)}")
        if entry is not None:
            how += f", matched to *{_md(entry.question)}*"
        how += (f"; runner-up `{runner.answer_id}` {confidence_text(runner.confidence)}"
                if runner else "; no runner-up")
        if row.unreviewed:
            how += f"; {UNREVIEWED_NOTE}"
        lines += [how + ".", ""]
        lines += [f"- {ref}: {_md(value)}" for ref, value in row.written.items()]
        lines.append("")
        return lines
    if row.reasons:
        lines += _reason_text(row)
    if row.evidence is not None:
        lines += _markdown_evidence(row)
    if row.suggestions:
        title = "**Suggestions**, best first:" if row.status != "unanswered" else \
            "**Closest entries** (none fits well enough to suggest):"
        lines += [title, ""]
        for n, c in enumerate(row.suggestions, start=1):
            lines += _suggestion_line(n, c, row.reasons)
        lines.append("")
    return lines


def _markdown_evidence(row: ReportRow) -> list[str]:
    """Passages of the library's evidence for a row a person decides, and a quoted draft.

    A draft is quoted word for word from the passages; it is not written into the file
    unless a person takes it (``decision: draft`` in the review file).
    """
    assert row.evidence is not None
    lines: list[str] = []
    if row.evidence.passages:
        lines += ["**What your evidence says**, best first:", ""]
        for r in row.evidence.passages:
            p = r.passage
            lines.append(f"- `{_md(p.path)}` {_md(p.heading_path)}"
                         + (f", {p.location}" if p.location else "")
                         + f" ({r.score:.2f}): {_md(excerpt(p.text))}")
        lines.append("")
    draft = row.evidence.draft
    if draft is not None:
        said = f", says {draft.short}" if draft.short else ", no Yes/No stated"
        lines += [f"**Draft** ({draft.origin}{said}; not written unless taken with "
                  "`decision: draft`):", ""]
        lines += [f"> {_md(s.text)} [{_md(cited(s.citations))}]" for s in draft.sentences]
        lines.append("")
    if row.evidence.refused:
        lines += [f"- {_md(x)}" for x in row.evidence.refused]
        lines.append("")
    return lines


def render_markdown(report: Report) -> str:
    lines = [
        f"# qfill report: {_md(report.questionnaire)}",
        "",
        f"Library {markdown_code(report.library)}"
        + (f"; template {_md(report.template)}" if report.template else "")
        + (f"; filled copy {markdown_code(report.output)}" if report.output
           else "; no file written"),
        "",
        *_counts_table([("", report.summary)], None),
        "",
    ]
    sheets = report.sheet_summaries()
    if len(sheets) > 1:
        lines += ["By sheet:", "", *_counts_table(sheets, "sheet"), ""]
    groups = [(title, explanation, [r for r in report.rows if r.status == status])
              for status, title, explanation in GROUPS]
    present = [(f"{title} ({len(rows)})") for title, _, rows in groups if rows]
    if len(present) > 1:
        lines += ["Jump to: " + " · ".join(f"[{heading}](#{_anchor(heading)})"
                                           for heading in present), ""]
    for title, explanation, group in groups:
        if not group:
            continue
        lines += [f"## {title} ({len(group)})", "", explanation, ""]
        for row in group:
            lines += _markdown_row(row)
    skipped = [sh for sh in report.sheets if sh.status == "skipped"]
    if skipped:
        lines += ["## Sheets without questions", ""]
        lines += [f"- {_md(sh.sheet)}: {_md(sh.reason or 'skipped')}" for sh in skipped]
        lines.append("")
    return "\n".join(lines)


REPORT_BY_SUFFIX: dict[str, Callable[[Report], str]] = {
    ".json": render_json,
    ".md": render_markdown,
    ".markdown": render_markdown,
    ".csv": render_csv,
    ".html": render_html,
    ".htm": render_html,
}


def renderer_for(path: Path) -> Callable[[Report], str]:
    """The renderer chosen by the report's file extension."""
    try:
        return REPORT_BY_SUFFIX[path.suffix.lower()]
    except KeyError:
        accepted = ", ".join(sorted(REPORT_BY_SUFFIX))
        raise OutputError(f"{path}: unknown report format '{path.suffix}'; use one of "
                          f"{accepted}") from None
