"""The report of `qfill answer` as JSON (the contract), Markdown, CSV and HTML."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

from qfill.drafts import Draft
from qfill.errors import OutputError
from qfill.escaping import csv_safe, html_text, markdown_code, markdown_inline
from qfill.evidence_index import Passage
from qfill.grounding import excerpt
from qfill.report import Report, ReportRow

CSV_COLUMNS = ("sheet", "row", "question_id", "question", "status", "answer_id", "confidence",
               "cells", "candidates", "reasons", "passages", "draft")
REVIEW_COLUMNS = ("sheet", "row", "question_id", "question", "status", "suggestion",
                  "confidence", "decision", "candidates", "reasons", "suggested_answer",
                  "passages", "draft", "draft_evidence")


def render_json(report: Report) -> str:
    return json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n"


def _candidates_text(row: ReportRow) -> str:
    return "; ".join(f"{c.answer_id} ({c.confidence:.2f})" for c in row.candidates)


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
        draft = _draft(row)
        writer.writerow([csv_safe(str(v)) for v in (
            row.sheet, row.row, row.question_id or "", row.question, row.status,
            row.answer_id or "", f"{row.confidence:.2f}",
            " ".join(f"{role}={ref}" for role, ref in row.cells.items()),
            _candidates_text(row), " | ".join(row.reason_texts), _passages_text(row),
            draft.text if draft else "")])
    return buffer.getvalue()


def render_review_file(report: Report) -> str:
    """The review file: one row per review or unanswered row, with a `decision` to fill.

    ``draft`` is the quoted draft a person may take with ``decision: draft``;
    ``draft_evidence`` the documents it cites, which `qfill apply` checks it against again.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(REVIEW_COLUMNS)
    for row in report.rows:
        if row.status == "filled":
            continue
        best = row.candidates[0] if row.candidates and row.status == "review" else None
        draft = _draft(row)
        writer.writerow([csv_safe(str(v)) for v in (
            row.sheet, row.row, row.question_id or "", row.question, row.status,
            best.answer_id if best else "", f"{best.confidence:.2f}" if best else "",
            "", _candidates_text(row), " | ".join(row.reason_texts),
            best.answer if best else "", _passages_text(row),
            draft.text if draft else "", "; ".join(draft.paths) if draft else "")])
    return buffer.getvalue()


def _where(row: ReportRow) -> str:
    ident = f" {row.question_id}" if row.question_id else ""
    return markdown_inline(f"{row.sheet}!{row.row}{ident}")


def render_markdown(report: Report) -> str:
    s = report.summary
    lines = [
        f"# qfill report: {markdown_inline(report.questionnaire)}",
        "",
        f"Library {markdown_code(report.library)}"
        + (f"; template {markdown_inline(report.template)}" if report.template else "")
        + (f"; filled copy {markdown_code(report.output)}" if report.output
           else "; no file written"),
        "",
        "| rows | filled | review | unanswered |",
        "| ---: | ---: | ---: | ---: |",
        f"| {s.rows} | {s.filled} | {s.review} | {s.unanswered} |",
        "",
    ]
    review = [r for r in report.rows if r.status == "review"]
    unanswered = [r for r in report.rows if r.status == "unanswered"]
    filled = [r for r in report.rows if r.status == "filled"]
    if review:
        lines += [f"## Needs review ({len(review)})", "",
                  "Not written: a person must decide. Suggestions are best first.", "",
                  "| where | question | suggestions | why |", "| --- | --- | --- | --- |"]
        for r in review:
            suggestions = "<br>".join(
                f"`{c.answer_id}` {c.confidence:.2f}: {markdown_inline(c.question)}"
                for c in r.candidates)
            lines.append(f"| {_where(r)} | {markdown_inline(r.question)} | {suggestions} | "
                         f"{'<br>'.join(markdown_inline(x) for x in r.reason_texts)} |")
        lines.append("")
    if unanswered:
        lines += [f"## Unanswered ({len(unanswered)})", "",
                  "No answer in the library fits; write one, or add it to the library.", "",
                  "| where | question | closest |", "| --- | --- | --- |"]
        for r in unanswered:
            closest = ", ".join(f"`{c.answer_id}` {c.confidence:.2f}" for c in r.candidates[:2])
            lines.append(f"| {_where(r)} | {markdown_inline(r.question)} | {closest} |")
        lines.append("")
    grounded = [r for r in report.rows if r.evidence is not None and r.evidence.passages]
    if grounded:
        lines += [f"## What your evidence says ({len(grounded)})", "",
                  "Passages of the documents under evidence/ for rows a person decides, best "
                  "first. A draft is quoted from them word for word; it is not written into "
                  "the file unless a person takes it (`decision: draft` in the review file).",
                  ""]
        for r in grounded:
            lines += _markdown_evidence(r)
    if filled:
        lines += [f"## Filled ({len(filled)})", "",
                  "| where | question | answer | confidence | cells |",
                  "| --- | --- | --- | ---: | --- |"]
        for r in filled:
            cells = ", ".join(f"{role} {ref}" for role, ref in r.cells.items())
            lines.append(f"| {_where(r)} | {markdown_inline(r.question)} | `{r.answer_id}` | "
                         f"{r.confidence:.2f} | {cells} |")
        lines.append("")
    skipped = [sh for sh in report.sheets if sh.status == "skipped"]
    if skipped:
        lines += ["## Sheets without questions", ""]
        lines += [f"- {markdown_inline(sh.sheet)}: {markdown_inline(sh.reason or 'skipped')}"
                  for sh in skipped]
        lines.append("")
    return "\n".join(lines)


def _markdown_evidence(row: ReportRow) -> list[str]:
    assert row.evidence is not None
    lines = [f"### {_where(row)}: {markdown_inline(row.question)}", ""]
    for r in row.evidence.passages:
        p = r.passage
        lines.append(f"- `{markdown_inline(p.path)}` {markdown_inline(p.heading_path)}"
                     + (f", {p.location}" if p.location else "")
                     + f" ({r.score:.2f}): {markdown_inline(excerpt(p.text))}")
    draft = row.evidence.draft
    if draft is not None:
        said = f", says {draft.short}" if draft.short else ", no Yes/No stated"
        lines += ["", f"**Draft** ({draft.origin}{said}):", ""]
        lines += [f"> {markdown_inline(s.text)} [{markdown_inline(_cited_sentence(s.citations))}]"
                  for s in draft.sentences]
    lines += [f"- {markdown_inline(x)}" for x in row.evidence.refused]
    lines.append("")
    return lines


def _cited_sentence(citations: tuple[Passage, ...]) -> str:
    return "; ".join(", ".join(x for x in (p.path, p.location) if x) for p in citations)


def _html_evidence(row: ReportRow) -> tuple[str, str]:
    if row.evidence is None:
        return "", ""
    passages = "<br>".join(
        f"{html_text(r.passage.path)} {html_text(r.passage.heading_path)} "
        f"{html_text(r.passage.location)} ({r.score:.2f}): {html_text(excerpt(r.passage.text))}"
        for r in row.evidence.passages)
    draft = row.evidence.draft
    text = "" if draft is None else "<br>".join(
        f"{html_text(s.text)} [{html_text(_cited_sentence(s.citations))}]"
        for s in draft.sentences)
    return passages, text


def render_html(report: Report) -> str:
    s = report.summary
    rows = []
    for r in report.rows:
        suggestions = "<br>".join(f"{html_text(c.answer_id)} ({c.confidence:.2f})"
                                  for c in r.candidates)
        passages, draft = _html_evidence(r)
        rows.append(
            f'<tr class="{r.status}"><td>{html_text(r.sheet)}!{r.row}</td>'
            f"<td>{html_text(r.question_id or '')}</td><td>{html_text(r.question)}</td>"
            f"<td>{r.status}</td><td>{html_text(r.answer_id or '')}</td>"
            f"<td>{r.confidence:.2f}</td><td>{suggestions}</td>"
            f"<td>{'<br>'.join(html_text(x) for x in r.reason_texts)}</td>"
            f"<td>{passages}</td><td>{draft}</td></tr>")
    return "\n".join([
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "style-src 'unsafe-inline'\">",
        f"<title>qfill report: {html_text(report.questionnaire)}</title>",
        "<style>body{font-family:sans-serif}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:4px;vertical-align:top}"
        "tr.review{background:#fff6d5}tr.unanswered{background:#f3f3f3}</style>",
        "</head><body>",
        f"<h1>qfill report: {html_text(report.questionnaire)}</h1>",
        f"<p>{s.rows} rows: {s.filled} filled, {s.review} to review, "
        f"{s.unanswered} unanswered.</p>",
        "<table><thead><tr><th>where</th><th>id</th><th>question</th><th>status</th>"
        "<th>answer</th><th>confidence</th><th>candidates</th><th>reasons</th>"
        "<th>evidence passages</th><th>draft (quoted, not written)</th></tr></thead>",
        "<tbody>", *rows, "</tbody></table>", "</body></html>", ""])


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
