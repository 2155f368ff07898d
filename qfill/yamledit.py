"""Edits to a YAML file that change only what they mean to, at the positions the parser saw.

A reviewer approves a library change by reading its diff, so a tool's edit must be as
small as a person's: new lines inserted, every other byte kept (comments, order, quoting,
folding). The positions come from the same parser that loads the library (libyaml, through
:mod:`qfill.yamlsource`), and libyaml counts a line break at ``\\r``, ``\\n``, ``\\r\\n``,
NEL (U+0085), LS (U+2028) and PS (U+2029). Counting lines with ``str.split("\\n")``
instead puts an edit on the wrong line after any of the last three, which arrive with
text pasted from documents. A round-trip editor (ruamel.yaml) was tried: it re-emits the
whole file and cannot read a folded answer holding U+2028, which libyaml reads fine.

An edit is never trusted on its own: callers reload the result and compare it with what
they meant (see :func:`qfill.review.learn_phrasings`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from qfill.yamlsource import LINE_BREAK

# Characters YAML allows unescaped in a double-quoted scalar (c-printable minus breaks,
# the BOM, '"' and '\\'); anything else is written as an escape.
_UNSAFE = re.compile('[^\t\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd'
                     '\U00010000-\U0010ffff]|["\\\\]')


class YamlText:
    """The text of a YAML file, addressed by libyaml's 1-based line numbers."""

    def __init__(self, data: bytes) -> None:
        text = data.decode("utf-8")
        self.bom = text.startswith("\ufeff")
        self.text = text[1:] if self.bom else text  # libyaml's marks start after a BOM
        self.newline = "\r\n" if "\r\n" in self.text else "\n"

    def line_start(self, line: int) -> int:
        """The offset where libyaml's ``line`` (1-based) starts; the end for a line past it."""
        if line <= 1:
            return 0
        for count, match in enumerate(LINE_BREAK.finditer(self.text), start=2):
            if count == line:
                return match.end()
        return len(self.text)

    def insert_lines(self, before_line: int, lines: Sequence[str]) -> None:
        """Insert whole ``lines`` before libyaml's line ``before_line`` (1-based)."""
        at = self.line_start(before_line)
        if at == len(self.text) and self.text and not LINE_BREAK.match(self.text[-1]):
            self.text += self.newline
            at = len(self.text)
        self.text = self.text[:at] + "".join(f"{line}{self.newline}" for line in lines) + \
            self.text[at:]

    def to_bytes(self) -> bytes:
        return (("\ufeff" if self.bom else "") + self.text).encode("utf-8")


def double_quoted(text: str) -> str:
    """``text`` as a YAML double-quoted scalar on one line, whatever it holds."""
    return '"' + _UNSAFE.sub(_escape, text) + '"'


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in '"\\':
        return "\\" + char
    code = ord(char)
    if code > 0xFFFF:
        return f"\\U{code:08x}"
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"
