"""Making untrusted text inert in the formats qfill writes (CSV, Markdown, HTML) and on the
terminal.

Core code: the CSV writer and the review file need it as much as the renderers do. Every
destination also gets :func:`visible_controls`: a cell holding ``_x001B_[2J`` (ESC) must
show as text in a report, a spreadsheet or a terminal, never clear the screen.
"""

from __future__ import annotations

import html
import os
import re
from pathlib import Path

# Spreadsheet apps execute a CSV cell that starts with one of these (OWASP "CSV injection").
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Enough to stop links, images, code spans, emphasis, raw HTML and table breaks: each is
# backslash-escaped (CommonMark lets any ASCII punctuation be), so the raw Markdown still
# reads as the text itself ("A&A-01.2", not "A&amp;A-01.2").
_MARKDOWN_SPECIAL = re.compile(r"[\\`*_\[\]|~<>]")
_MARKDOWN_ESCAPED = str.maketrans({c: "\\" + c for c in "\\`*_[]|~<>"})
# A "&" that would start a character reference ("&lt;", "&#60;") is escaped too.
_ENTITY = re.compile(r"&(?=#?[0-9A-Za-z]+;)")


# Characters that act rather than show: C0 controls, DEL, C1 controls (a terminal reads
# 0x9b as CSI) and the bidirectional overrides that reorder what a reader sees; lone
# surrogates are not characters at all (undecodable bytes of a file name). Tab, LF and CR
# are kept where lines are the destination's own (CSV fields, multi-line text).
_ACTING = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_CONTROLS = re.compile(f"[{_ACTING}]")
_CONTROLS_AND_BREAKS = re.compile(f"[{_ACTING}\t\n\r\u2028\u2029]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (os.fsdecode's surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def visible_controls(value: str, *, keep_lines: bool = True) -> str:
    """``value`` with every control character written as ``\\xNN`` or ``\\uNNNN``.

    ``keep_lines`` keeps tab, LF and CR (a CSV field, a paragraph); without it they are
    escaped too, for one line on a terminal. Ordinary text comes back unchanged.
    """
    if value.isprintable():  # none of them (all are unprintable): the common case, fast
        return value
    pattern = _CONTROLS if keep_lines else _CONTROLS_AND_BREAKS
    return pattern.sub(_visible, value)


def terminal_text(value: str) -> str:
    """Text to print on a terminal: escape sequences and undecodable bytes shown, not run."""
    return visible_controls(value)


def path_text(path: Path | str) -> str:
    """A file name as text any output can hold: bytes that are not UTF-8 as ``\\xNN``."""
    return visible_controls(os.fspath(path))


def csv_safe(value: str) -> str:
    """Prefix a formula-triggering value with a quote so it stays text in a spreadsheet;
    control characters are shown, not kept (a CSV is read in terminals too)."""
    value = visible_controls(value)
    return "'" + value if value.startswith(FORMULA_TRIGGERS) else value


def markdown_inline(value: str) -> str:
    """Text for a Markdown table cell or list item: markup characters escaped, controls
    shown, newlines folded, so a question holding ``<script>`` or ``[x](javascript:..)``
    stays inert."""
    escaped = " ".join(visible_controls(value).split())
    if _MARKDOWN_SPECIAL.search(escaped):  # rare: searching first is 5x faster
        escaped = escaped.translate(_MARKDOWN_ESCAPED)
    return _ENTITY.sub(r"\\&", escaped) if "&" in escaped else escaped


def markdown_code(value: str) -> str:
    """``value`` as a Markdown code span that no character of it can close.

    The fence is one backtick longer than the longest run of backticks inside (CommonMark
    6.1), padded with a space where the text touches a backtick, so a file name such as
    ``evil`<img src=x onerror=alert(1)>`.xlsx`` shows as text instead of ending the span
    and opening raw HTML. Whitespace is folded and control characters shown.
    """
    folded = " ".join(visible_controls(value).split())
    longest = max((len(run) for run in re.findall(r"`+", folded)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if folded.startswith("`") or folded.endswith("`") else ""
    return f"{fence}{pad}{folded}{pad}{fence}"


def html_text(value: str) -> str:
    return html.escape(visible_controls(value), quote=True)
