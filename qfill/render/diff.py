"""``qfill diff`` output: plain text for a terminal, markdown for a pull-request comment, json.

Every renderer returns a string; the CLI writes it. Answer text, paths and revision names
come from a pull request, so they are untrusted: the text form escapes control and
invisible format characters (an ANSI sequence or a bidi override must not reach the
terminal), the markdown form escapes HTML and markdown syntax so a ``<script>``, a
``[link](javascript:...)`` or a ``|`` stays inert text, and no ``@name`` pings anyone.
"""

from __future__ import annotations

import html
import json
import re
import textwrap
import unicodedata
from collections.abc import Callable

from qfill.choices import DiffFormat
from qfill.diff import (
    ChangeKind,
    EntryChange,
    FieldChange,
    ItemsChange,
    LibraryDiff,
    TextChange,
    ValueChange,
    WordOp,
)
from qfill.escaping import markdown_inline
from qfill.gitrev import Revision

CONTEXT_WORDS = 8  # unchanged words kept either side of a change in a long answer
TEXT_WIDTH = 100
MARKDOWN_MAX_CHARS = 60_000  # GitHub rejects a comment body over 65,536 characters
_MARKERS = {ChangeKind.ADDED: "+", ChangeKind.REMOVED: "-", ChangeKind.MOVED: ">",
            ChangeKind.CHANGED: "~"}
_ID_SAFE = re.compile(r"^[a-z0-9][a-z0-9-]*$")


# --------------------------------------------------------------------------- shared


def _elide(words: tuple[WordOp, ...], context: int = CONTEXT_WORDS) -> list[WordOp | None]:
    """Shorten long unchanged runs to ``context`` words around each change; None = "..."."""
    result: list[WordOp | None] = []
    last = len(words) - 1
    for index, op in enumerate(words):
        tokens = op.text.split()
        if op.op != "equal" or len(tokens) <= 2 * context + 1:
            result.append(op)
            continue
        head = tokens[:context] if index > 0 else []
        tail = tokens[-context:] if index < last else []
        if len(head) + len(tail) >= len(tokens):
            result.append(op)
            continue
        if head:
            result.append(WordOp("equal", " ".join(head)))
        result.append(None)
        if tail:
            result.append(WordOp("equal", " ".join(tail)))
    return result


def _is_whole(change: TextChange) -> bool:
    """A text present on one side only: show it plainly, not as a diff."""
    return not change.old or not change.new


def _summary_line(diff: LibraryDiff) -> str:
    s = diff.summary
    risks = f"{s.risks} risk" + ("" if s.risks == 1 else "s")
    return (f"{s.added} added, {s.removed} removed, {s.moved} moved, {s.changed} changed, "
            f"{s.unchanged} unchanged; {risks}")


# --------------------------------------------------------------------------- text


def _safe(text: str) -> str:
    """Terminal-safe text: control and format characters shown as escapes."""
    return "".join(
        ch if ch == " " or unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp")
        else f"\\u{ord(ch):04x}" for ch in text)


def _word_diff(change: TextChange, escape: Callable[[str], str], gap: str,
               deleted: str, inserted: str) -> str:
    """The word diff with elided runs; ``deleted``/``inserted`` wrap ``{}`` (escaped text)."""
    parts: list[str] = []
    for op in _elide(change.words):
        if op is None:
            parts.append(gap)
        elif op.op == "equal":
            parts.append(escape(op.text))
        else:
            parts.append((deleted if op.op == "delete" else inserted).format(escape(op.text)))
    return " ".join(parts)


def _text_words(change: TextChange) -> str:
    return _word_diff(change, _safe, "...", "[-{}-]", "{{+{}+}}")


def _wrap(text: str, indent: str) -> list[str]:
    return textwrap.wrap(text, TEXT_WIDTH, initial_indent=indent,
                         subsequent_indent=indent + "  ", break_long_words=False,
                         break_on_hyphens=False) or [indent.rstrip()]


def _text_field(change: FieldChange, whole: bool) -> list[str]:
    name = change.field
    if isinstance(change, TextChange):
        body = _safe(change.new or change.old) if _is_whole(change) else _text_words(change)
        return _wrap(f"{name}: {body}", "    ")
    if isinstance(change, ValueChange):
        if whole:
            body = _safe(change.new or change.old or "")
        else:
            body = f"{_safe(change.old or '(not set)')} -> {_safe(change.new or '(not set)')}"
        return [f"    {name}: {body}"]
    lines = [f"    {name}:"]
    lines += [line for item in change.added for line in _wrap(f"+ {_safe(item)}", "      ")]
    lines += [line for item in change.removed for line in _wrap(f"- {_safe(item)}", "      ")]
    for item in change.changed:
        lines += _wrap(f"~ {_safe(item.item)}: {_safe(item.old) or '(none)'} -> "
                       f"{_safe(item.new) or '(none)'}", "      ")
    return lines


def _text_heading(entry: EntryChange) -> str:
    marker = _MARKERS[entry.kind]
    where: str
    if entry.kind is ChangeKind.MOVED:
        assert entry.base is not None
        where = f"{_safe(str(entry.base))} -> {_safe(str(entry.location))}"
    elif entry.kind is ChangeKind.REMOVED:
        where = f"was {_safe(str(entry.location))}"
    else:
        where = _safe(str(entry.location))
    hint = ""
    if entry.renamed:
        verb = "renamed to" if entry.kind is ChangeKind.REMOVED else "renamed from"
        hint = f"; {verb} {_safe(entry.renamed)}?"
    return f"{marker} {_safe(entry.id)} ({entry.kind.value}, {where}{hint})"


def render_text(diff: LibraryDiff) -> str:
    """Plain text for a terminal; risk lines are ``path:line: [code] id: message``."""
    lines = [f"qfill diff: {_safe(diff.base.label())} -> {_safe(diff.head.label())}"]
    if not diff.entries:
        lines.append(f"No changes to answers ({diff.unchanged} unchanged).")
        return "\n".join(lines) + "\n"
    lines.append(_summary_line(diff))
    if diff.risks:
        lines += ["", "Risks:"]
        lines += [f"  {_safe(str(r.location))}: [{r.code.value}] {_safe(r.id)}: "
                  f"{_safe(r.message)}" for r in diff.risks]
    lines += ["", "Changes:"]
    for entry in diff.entries:
        lines.append(_text_heading(entry))
        whole = entry.kind in (ChangeKind.ADDED, ChangeKind.REMOVED)
        for change in entry.fields:
            lines += _text_field(change, whole)
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- markdown

_MENTION = re.compile(r"(?<![\w@])@(?=[A-Za-z0-9])")


def _md(text: str) -> str:
    """Inline markdown text that renders as itself and nothing more.

    On top of :func:`markdown_inline` (HTML and link/emphasis/table syntax escaped),
    ``$`` is escaped (GitHub renders ``$...$`` as math) and a zero-width space after
    ``@`` stops a pull-request comment from notifying a user or team.
    """
    escaped = markdown_inline(_safe(" ".join(text.split()))).replace("$", "\\$")
    return _MENTION.sub("@\u200b", escaped)


def _html(text: str) -> str:
    """Text inside a raw HTML block (``<summary>``), where markdown is not parsed."""
    return _MENTION.sub("@\u200b", html.escape(_safe(" ".join(text.split())), quote=True))


def _md_id(answer_id: str) -> str:
    return f"`{answer_id}`" if _ID_SAFE.match(answer_id) else _md(answer_id)


def _md_revision(revision: Revision) -> str:
    name = _md(revision.name)
    if revision.commit is None or revision.commit.startswith(revision.name):
        return name
    return f"{name} ({revision.commit[:7]})"


def _md_words(change: TextChange) -> str:
    return _word_diff(change, _md, "…", "~~{}~~", "**{}**")


def _md_field(change: FieldChange, whole: bool) -> list[str]:
    name = f"**{change.field}**"
    if isinstance(change, TextChange):
        body = _md(change.new or change.old) if _is_whole(change) else _md_words(change)
        return [f"- {name}: {body}"]
    if isinstance(change, ValueChange):
        if whole:
            return [f"- {name}: {_md(change.new or change.old or '')}"]
        old = _md(change.old) if change.old is not None else "(not set)"
        new = _md(change.new) if change.new is not None else "(not set)"
        return [f"- {name}: {old} → **{new}**"]
    assert isinstance(change, ItemsChange)
    lines = [f"- {name}:"]
    if whole:
        return lines + [f"  - {_md(item)}" for item in (*change.added, *change.removed)]
    lines += [f"  - added: {_md(item)}" for item in change.added]
    lines += [f"  - removed: ~~{_md(item)}~~" for item in change.removed]
    lines += [f"  - changed: {_md(item.item)}: {_md(item.old) or '(none)'} → "
              f"**{_md(item.new) or '(none)'}**" for item in change.changed]
    return lines


def _md_summary(entry: EntryChange) -> str:
    fields = ", ".join(entry.field_names())
    if entry.kind is ChangeKind.MOVED:
        assert entry.base is not None
        where = f"{_html(str(entry.base))} → {_html(str(entry.location))}"
    else:
        where = _html(str(entry.location))
    what = "" if entry.kind in (ChangeKind.ADDED, ChangeKind.REMOVED) or not fields \
        else f": {_html(fields)}"
    hint = ""
    if entry.renamed:
        verb = "renamed to" if entry.kind is ChangeKind.REMOVED else "renamed from"
        hint = f", {verb} <code>{_html(entry.renamed)}</code>?"
    return (f"<summary>{entry.kind.value} <code>{_html(entry.id)}</code>{what} "
            f"({where}{hint})</summary>")


def render_markdown(diff: LibraryDiff, *, max_chars: int = MARKDOWN_MAX_CHARS) -> str:
    """A pull-request comment or job summary: counts, then risks, then one collapsible
    section per entry.

    GitHub refuses a comment over 65,536 characters, so past ``max_chars`` the remaining
    risks and entries are counted instead of shown (the counts table is always whole).
    """
    lines = [f"## qfill diff: {_md_revision(diff.base)} → {_md_revision(diff.head)}", ""]
    if not diff.entries:
        lines.append(f"No changes to answers ({diff.unchanged} unchanged).")
        return "\n".join(lines) + "\n"
    s = diff.summary
    lines += ["| added | removed | moved | changed | unchanged | risks |",
              "| ---: | ---: | ---: | ---: | ---: | ---: |",
              f"| {s.added} | {s.removed} | {s.moved} | {s.changed} | {s.unchanged} "
              f"| {s.risks} |", ""]
    used = sum(len(line) + 1 for line in lines) + 400  # room for the two "not shown" notes

    def fits(block: list[str]) -> bool:
        nonlocal used
        size = sum(len(line) + 1 for line in block)
        if used + size > max_chars:
            return False
        used += size
        return True

    if diff.risks:
        lines += ["### Risks", ""]
        for index, risk in enumerate(diff.risks):
            line = (f"- **{risk.code.value}** {_md_id(risk.id)} at {_md(str(risk.location))}: "
                    f"{_md(risk.message.replace(' -> ', ' → '))}")
            if not fits([line]):
                lines.append(f"- … and {len(diff.risks) - index} more risks, not shown to "
                             "keep this under GitHub's comment size limit")
                break
            lines.append(line)
        lines.append("")
    lines += ["### Changes", ""]
    for index, entry in enumerate(diff.entries):
        block = ["<details>", _md_summary(entry), ""]
        whole = entry.kind in (ChangeKind.ADDED, ChangeKind.REMOVED)
        for change in entry.fields:
            block += _md_field(change, whole)
        block += ["", "</details>", ""]
        if not fits(block):
            lines += [f"… and {len(diff.entries) - index} more changed entries, not shown to "
                      "keep this under GitHub's comment size limit; run `qfill diff` locally "
                      "to see them all.", ""]
            break
        lines += block
    return "\n".join(lines)


# --------------------------------------------------------------------------- json


def render_json(diff: LibraryDiff) -> str:
    """The version-1 JSON document (see :meth:`LibraryDiff.to_dict`)."""
    return json.dumps(diff.to_dict(), ensure_ascii=False, indent=2) + "\n"


RENDERERS: dict[DiffFormat, Callable[[LibraryDiff], str]] = {
    DiffFormat.TEXT: render_text,
    DiffFormat.MARKDOWN: render_markdown,
    DiffFormat.JSON: render_json,
}


def render_diff(diff: LibraryDiff, fmt: DiffFormat) -> str:
    """Render in a concrete format; ``auto`` is resolved by the caller (it is text)."""
    if fmt is DiffFormat.AUTO:
        fmt = DiffFormat.TEXT
    return RENDERERS[fmt](diff)
