"""The HTML report: one self-contained page a reviewer works in.

No network: the style and the script are inline, and the Content-Security-Policy allows
exactly that script (by its SHA-256) and nothing else, so questionnaire text, however
hostile, cannot run even if it escaped the escaping. The script never writes HTML: it
only hides and reorders the rows the page already holds. Without it (a mail client, a
viewer with scripts off) every row is shown and the controls stay hidden.

The page: a summary bar per sheet; filters by sheet, status (what to do) and reason
code, and a text search; columns sortable by clicking their heading; print styles that
drop the controls and keep each row on one page.
"""

from __future__ import annotations

import base64
import hashlib

from qfill.confidence import confidence_text, shown_confidence
from qfill.escaping import html_text
from qfill.evidence_index import Passage
from qfill.grounding import excerpt
from qfill.reasons import Reason
from qfill.report import STATUSES, UNREVIEWED_NOTE, Report, ReportCandidate, ReportRow, Summary

ACTION_WORDS = {"check": "check the fill", "decide": "decide", "write": "write an answer",
                "compare": "compare"}
ROUTE_WORDS = {"id": "by id", "wording": "by wording", "meaning": "by meaning"}

STYLE = """
:root{--filled:#2e7d32;--review:#f9a825;--unanswered:#9e9e9e;--prefilled:#1565c0}
body{font:14px/1.45 system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.4em;margin:0 0 .3em}
.meta{color:#555;margin:0 0 1em}
.sheets{display:grid;grid-template-columns:max-content 1fr max-content;gap:.3em .8em;
 align-items:center;margin-bottom:1em}
.bar{display:flex;height:.9em;border-radius:3px;overflow:hidden;background:#eee;min-width:8em}
.bar span{display:block}
.seg-filled{background:var(--filled)}.seg-review{background:var(--review)}
.seg-unanswered{background:var(--unanswered)}.seg-prefilled{background:var(--prefilled)}
.counts{color:#444;font-size:.9em}
.sheet-name[tabindex]{cursor:pointer;text-decoration:underline dotted}
#filters{display:flex;flex-wrap:wrap;gap:.6em 1.2em;align-items:end;margin:0 0 .8em;
 padding:.6em;background:#f6f6f6;border-radius:4px}
#filters label{display:flex;flex-direction:column;font-size:.85em;color:#444}
#filters input,#filters select{font:inherit;padding:.15em .3em}
table{border-collapse:collapse;width:100%}
th,td{border:1px solid #ccc;padding:.35em .5em;vertical-align:top;text-align:left}
th{background:#f0f0f0;position:sticky;top:0}
th[data-sort]{cursor:pointer;white-space:nowrap}
th[aria-sort=ascending]::after{content:" \\2191"}th[aria-sort=descending]::after{content:" \\2193"}
td.where,td.qid,td.conf{white-space:nowrap}
td.conf{text-align:right}
.status{display:inline-block;padding:0 .4em;border-radius:3px;color:#fff;font-size:.85em}
.st-filled{background:var(--filled)}.st-review{background:var(--review);color:#222}
.st-unanswered{background:var(--unanswered)}.st-prefilled{background:var(--prefilled)}
.todo{display:block;color:#555;font-size:.85em}
dl.written{display:grid;grid-template-columns:max-content 1fr;gap:.15em .6em;margin:0}
dl.written dt{font-family:monospace;color:#555}dl.written dd{margin:0;white-space:pre-wrap}
ol.suggestions{margin:0;padding-left:1.4em}ol.suggestions li{margin-bottom:.35em}
.answer{color:#333;white-space:pre-wrap}
.careful{color:#8a4b00;font-size:.9em}
.how{color:#555;font-size:.9em;margin-top:.3em}
.draft blockquote{margin:.2em 0 .4em 1em;color:#333}
details summary{cursor:pointer;color:#444}
@media print{details>*{display:block}}
ul.reasons{margin:0;padding-left:1.1em}
code{font-size:.92em}
.short{font-weight:bold}
@media print{
 #filters{display:none}
 body{margin:0;font-size:11px}
 th{position:static}
 tr{break-inside:avoid}
 .bar{print-color-adjust:exact;-webkit-print-color-adjust:exact}
 .status{print-color-adjust:exact;-webkit-print-color-adjust:exact}
}
"""

SCRIPT = """
(function () {
  "use strict";
  var form = document.getElementById("filters");
  var table = document.getElementById("rows");
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var sheet = document.getElementById("f-sheet");
  var status = document.getElementById("f-status");
  var reason = document.getElementById("f-reason");
  var search = document.getElementById("f-text");
  var count = document.getElementById("f-count");
  function apply() {
    var q = search.value.trim().toLowerCase();
    var shown = 0;
    rows.forEach(function (tr) {
      var d = tr.dataset;
      var ok = (!sheet.value || d.sheet === sheet.value) &&
        (!status.value || d.status === status.value) &&
        (!reason.value || (" " + d.reasons + " ").indexOf(" " + reason.value + " ") >= 0) &&
        (!q || tr.textContent.toLowerCase().indexOf(q) >= 0);
      tr.hidden = !ok;
      if (ok) { shown += 1; }
    });
    count.textContent = shown + " of " + rows.length + " rows shown";
  }
  function compare(a, b, key) {
    if (key === "confidence" || key === "order" || key === "position") {
      return parseFloat(a.dataset[key]) - parseFloat(b.dataset[key]);
    }
    return (a.dataset[key] || "").localeCompare(b.dataset[key] || "", undefined,
                                                 {numeric: true, sensitivity: "base"});
  }
  function sortBy(th) {
    var key = th.dataset.sort;
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    Array.prototype.forEach.call(table.querySelectorAll("th[data-sort]"), function (h) {
      h.removeAttribute("aria-sort");
    });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    rows.sort(function (a, b) {
      var c = compare(a, b, key) || compare(a, b, "order");
      return ascending ? c : -c;
    });
    rows.forEach(function (tr) { body.appendChild(tr); });
  }
  Array.prototype.forEach.call(table.querySelectorAll("th[data-sort]"), function (th) {
    th.tabIndex = 0;
    th.addEventListener("click", function () { sortBy(th); });
    th.addEventListener("keydown", function (e) {
      if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sortBy(th); }
    });
  });
  [sheet, status, reason].forEach(function (el) { el.addEventListener("change", apply); });
  Array.prototype.forEach.call(document.querySelectorAll(".sheet-name"), function (el) {
    el.tabIndex = 0;
    el.title = "Show only this sheet";
    function pick() { sheet.value = el.dataset.sheet; apply(); }
    el.addEventListener("click", pick);
    el.addEventListener("keydown", function (e) { if (e.key === "Enter") { pick(); } });
  });
  search.addEventListener("input", apply);
  form.addEventListener("submit", function (e) { e.preventDefault(); });
  form.hidden = false;
  apply();
}());
"""


def script_hash(script: str = SCRIPT) -> str:
    """The CSP source that allows exactly this inline script."""
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def _e(text: str) -> str:
    return html_text(text)


def _sheet_bar(name: str, summary: Summary) -> str:
    total = max(summary.rows, 1)
    counts = summary.to_dict()
    segments = "".join(
        f'<span class="seg-{status}" style="width:{100.0 * counts[status] / total:.2f}%" '
        f'title="{counts[status]} {status}"></span>'
        for status in STATUSES if counts[status])
    words = ", ".join(f"{counts[s]} {s}" for s in STATUSES if counts[s])
    return (f'<div class="sheet-name" data-sheet="{_e(name)}">{_e(name)}</div>'
            f'<div class="bar" role="img" aria-label="{_e(words)}">{segments}</div>'
            f'<div class="counts">{summary.rows} rows: {_e(words)}</div>')


def _candidate_item(c: ReportCandidate, said: tuple[Reason, ...]) -> str:
    """One suggestion; ``said`` are the row's reasons, not repeated under it."""
    short = f' <span class="short">{_e(c.short)}</span>' if c.short else ""
    own = [r for r in c.reasons if r not in said]
    careful = ('<div class="careful">Careful: ' + "; ".join(
        f"{_e(r.message)} <code>{_e(r.code)}</code>" for r in own) + "</div>") if own else ""
    return (f"<li><code>{_e(c.answer_id)}</code> {confidence_text(c.confidence)}{short} "
            f"<span class=\"how\">{ROUTE_WORDS[c.route]}</span>"
            f"<div><i>{_e(c.question)}</i></div>"
            f'<div class="answer">{_e(c.answer)}</div>{careful}</li>')


def _answer_cell(row: ReportRow) -> str:
    parts: list[str] = []
    if row.existing and row.status != "filled":
        parts.append('<div>Already in the sheet:</div><dl class="written">' + "".join(
            f"<dt>{_e(ref)}</dt><dd>{_e(value)}</dd>" for ref, value in row.existing.items())
            + "</dl>")
    if row.status == "filled":
        parts.append('<dl class="written">' + "".join(
            f"<dt>{_e(ref)}</dt><dd>{_e(value)}</dd>" for ref, value in row.written.items())
            + "</dl>")
        return "".join(parts)
    parts.append(_evidence(row))
    if row.suggestions:
        label = "Closest entries:" if row.status == "unanswered" else "Suggestions:"
        parts.append(f"<div>{label}</div><ol class=\"suggestions\">"
                     + "".join(_candidate_item(c, row.reasons) for c in row.suggestions) + "</ol>")
    return "".join(parts) or "-"


def _evidence(row: ReportRow) -> str:
    """Passages of the evidence, and the quoted draft a person may take (never written
    unless taken with ``decision: draft``)."""
    grounding = row.evidence
    if grounding is None:
        return ""
    parts: list[str] = []
    draft = grounding.draft
    if draft is not None:
        said = f", says {draft.short}" if draft.short else ", no Yes/No stated"
        parts.append(f'<div class="draft">Draft ({_e(draft.origin)}{_e(said)}; not written '
                     "unless taken):<blockquote>" + " ".join(
                         f"{_e(s.text)} <cite>[{_e(cited(s.citations))}]</cite>"
                         for s in draft.sentences) + "</blockquote></div>")
    if grounding.passages:
        parts.append("<details><summary>What your evidence says</summary><ul>" + "".join(
            f"<li><code>{_e(r.passage.path)}</code> {_e(r.passage.heading_path)} "
            f"{_e(r.passage.location)} ({r.score:.2f}): {_e(excerpt(r.passage.text))}</li>"
            for r in grounding.passages) + "</ul></details>")
    parts += [f"<div>{_e(x)}</div>" for x in grounding.refused]
    return "".join(parts)


def cited(citations: tuple[Passage, ...]) -> str:
    """Where a draft sentence is quoted from: ``path, location`` of each passage."""
    return "; ".join(", ".join(x for x in (p.path, p.location) if x) for p in citations)


def _why_cell(row: ReportRow) -> str:
    if row.status == "filled":
        entry, runner = row.entry, row.runner_up
        matched = f" to <i>{_e(entry.question)}</i>" if entry is not None else ""
        runner_text = (f"runner-up <code>{_e(runner.answer_id)}</code> "
                       f"{confidence_text(runner.confidence)}" if runner else "no runner-up")
        unreviewed = f"; <b>{_e(UNREVIEWED_NOTE)}</b>" if row.unreviewed else ""
        return (f"<code>{_e(row.answer_id or '')}</code> "
                f"{ROUTE_WORDS[row.route or 'wording']}{matched}; {runner_text}{unreviewed}")
    items = "".join(
        f"<li><code>{_e(r.code)}</code> {_e(r.message)}</li>" if r.code
        else f"<li>{_e(r.message)}</li>" for r in row.reasons)
    return f'<ul class="reasons">{items}</ul>' if items else "-"


def _row(order: int, position: int, row: ReportRow) -> str:
    codes = " ".join(sorted({r.code for r in row.reasons if r.code}))
    where = f"{row.sheet}!{row.row}"
    return (
        f'<tr data-order="{order}" data-position="{position}" data-sheet="{_e(row.sheet)}" '
        f'data-status="{row.status}" '
        f'data-reasons="{_e(codes)}" data-confidence="{shown_confidence(row.confidence):.2f}" '
        f'data-where="{_e(where)}" data-qid="{_e(row.question_id or "")}">'
        f'<td class="where">{_e(where)}</td><td class="qid">{_e(row.question_id or "")}</td>'
        f"<td>{_e(row.question)}</td>"
        f'<td><span class="status st-{row.status}">{row.status}</span>'
        f'<span class="todo">{ACTION_WORDS.get(row.action, row.action)}</span></td>'
        f'<td class="conf">{confidence_text(row.confidence)}</td>'
        f"<td>{_answer_cell(row)}</td><td>{_why_cell(row)}</td></tr>")


def _grouped(report: Report) -> list[tuple[int, ReportRow]]:
    """Rows with their workbook position, grouped by what the reviewer must do."""
    groups = ("review", "unanswered", "prefilled", "filled")
    rank = {status: n for n, status in enumerate(groups)}
    return sorted(enumerate(report.rows), key=lambda pair: (rank.get(pair[1].status, 0),
                                                             pair[0]))


def _options(values: list[tuple[str, str]]) -> str:
    return '<option value="">all</option>' + "".join(
        f'<option value="{_e(value)}">{_e(label)}</option>' for value, label in values)


def render_html(report: Report) -> str:
    s = report.summary
    sheets = report.sheet_summaries()
    codes = sorted({r.code for row in report.rows for r in row.reasons if r.code})
    statuses = [st for st in STATUSES if any(r.status == st for r in report.rows)]
    meta = (f"Library <code>{_e(report.library)}</code>"
            + (f"; template {_e(report.template)}" if report.template else "")
            + (f"; filled copy <code>{_e(report.output)}</code>" if report.output
               else "; no file written"))
    words = ", ".join(f"{count} {name}" for name, count in list(s.to_dict().items())[1:])
    skipped = [sh for sh in report.sheets if sh.status == "skipped"]
    return "\n".join([
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        f"style-src 'unsafe-inline'; script-src {script_hash()}; form-action 'none'; "
        "base-uri 'none'\">",
        f"<title>qfill report: {_e(report.questionnaire)}</title>",
        f"<style>{STYLE}</style>",
        "</head><body>",
        f"<h1>qfill report: {_e(report.questionnaire)}</h1>",
        f'<p class="meta">{meta}</p>',
        f'<p class="summary">{s.rows} rows: {_e(words)}.</p>',
        '<div class="sheets">' + "".join(_sheet_bar(n, sm) for n, sm in sheets) + "</div>",
        '<form id="filters" hidden>'
        '<label>Sheet <select id="f-sheet">'
        + _options([(n, n) for n, _ in sheets]) + "</select></label>"
        '<label>Status <select id="f-status">'
        + _options([(st, st) for st in statuses]) + "</select></label>"
        '<label>Reason <select id="f-reason">'
        + _options([(c, c) for c in codes]) + "</select></label>"
        '<label>Search <input id="f-text" type="search" placeholder="question, id, answer">'
        '</label><output id="f-count" aria-live="polite"></output></form>',
        '<table id="rows"><thead><tr>'
        '<th data-sort="position">where</th><th data-sort="qid">id</th><th>question</th>'
        '<th data-sort="status">status</th><th data-sort="confidence">confidence</th>'
        "<th>written / suggestions</th><th>how matched / why not filled</th></tr></thead>",
        "<tbody>", *(_row(order, position, row)
                     for order, (position, row) in enumerate(_grouped(report))),
        "</tbody></table>",
        *([("<h2>Sheets without questions</h2><ul>" + "".join(
            f"<li>{_e(sh.sheet)}: {_e(sh.reason or 'skipped')}</li>" for sh in skipped)
            + "</ul>")] if skipped else []),
        f"<script>{SCRIPT}</script>",
        "</body></html>", ""])
