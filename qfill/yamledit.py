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
they meant (see :func:`qfill.review.learn_phrasings` and ``qfill harvest``).
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

import yaml

from qfill.errors import LibraryError
from qfill.yamlsource import LINE_BREAK, YamlProblem, YNode, parse_yaml, split_lines

_SAFE: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

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


# --------------------------------------------------------------------------- entries
#
# Answer files are edited at the level of entries: items added to one entry's list
# (aliases, products), and whole entries appended in the library's block style. Both are
# line insertions at libyaml's positions; callers prove the result by reloading it.

FOLD_WIDTH = 84  # folded answers are broken near this width, indentation not counted
# Line breaks libyaml knows beyond "\n", and what no block scalar may hold as text.
_NOT_IN_BLOCK = re.compile("[\r\x85\u2028\u2029\t]|[^\n\x20-\x7e\xa0-\ud7ff\ue000-\ufefe"
                           "\uff00-\ufffd\U00010000-\U0010ffff]")


def _fold_key(text: str) -> str:
    return " ".join(text.split()).lower()


def _find_entry(source: bytes, answer_id: str, name: str) -> tuple[YamlText, YNode, YNode]:
    """The file's text, its ``answers`` node and the entry ``answer_id``."""
    try:
        document = parse_yaml(source)
    except YamlProblem as e:
        raise LibraryError(f"{name}:{e.line}:{e.column}: {e.message}; run `qfill lint`") from None
    entries = document.root.get("answers") if document.root else None
    entry = next((e for e in (entries.value if entries and entries.kind == "seq" else ())
                  if e.kind == "map" and _id_of(e) == answer_id), None)
    if entries is None or entry is None:
        raise LibraryError(f"{name}: no entry '{answer_id}' any more; was the library changed "
                           "during the run? run the command again")
    return YamlText(source), entries, entry


def _id_of(entry: YNode) -> object:
    node = entry.get("id")
    return None if node is None else node.value


def add_list_items(source: bytes, answer_id: str, key: str, values: Sequence[str], *,
                   name: str, what: str = "item") -> bytes | None:
    """``source`` with ``values`` added at the top of entry ``answer_id``'s ``key`` list.

    The edit inserts one line per value (and a ``key:`` line when the entry has no such
    list yet, right after its ``id``), so every other byte stays as people wrote it.
    Values the list already holds (case and spacing aside) are skipped; None when nothing
    is left to add. Raises LibraryError when the entry is missing or written in a form a
    line insertion cannot extend (flow style, a list on one line).
    """
    text, _entries, entry = _find_entry(source, answer_id, name)
    current = entry.get(key)
    present = [current] if current is not None and current.kind != "seq" else \
        list(current.value if current is not None else ())
    if key == "aliases":
        question = entry.get("question")
        present += [question] if question is not None else []
    seen = {_fold_key(str(node.value)) for node in present if node.kind != "seq"}
    wanted = [" ".join(v.split()) for v in values]
    added = [v for v in dict.fromkeys(wanted) if _fold_key(v) not in seen]
    if not added:
        return None
    where = f"{name}:{entry.line}:{entry.column}"
    by_hand = "add the " + what + " by hand: " + ", ".join(
        f"- {double_quoted(v)}" for v in added)
    if _line(text, entry.line)[entry.column - 1:entry.column] == "{":
        raise LibraryError(f"{where}: entry '{answer_id}' is written in flow style ({{...}}), "
                           f"which qfill does not edit; {by_hand}")
    items = [double_quoted(v) for v in added]
    if current is None:
        id_node = entry.get("id")
        assert id_node is not None
        indent = " " * (entry.keys["id"].column - 1)
        text.insert_lines(id_node.line + 1, [f"{indent}{key}:",
                                             *(f"{indent}  - {item}" for item in items)])
    elif current.kind == "seq" and current.value and \
            current.value[0].line > entry.keys[key].line:
        first = _line(text, current.value[0].line)
        dash = len(first) - len(first.lstrip(" "))
        if not first[dash:].startswith("-"):
            raise LibraryError(f"{where}: the {key} of '{answer_id}' are laid out in a way "
                               f"qfill does not edit; {by_hand}")
        text.insert_lines(current.value[0].line, [f"{' ' * dash}- {item}" for item in items])
    else:
        raise LibraryError(f"{where}: the {key} of '{answer_id}' are not a block list "
                           f"(one '- ' item per line), which qfill does not edit; {by_hand}")
    return text.to_bytes()


def _line(text: YamlText, line: int) -> str:
    return text.text[text.line_start(line):text.line_start(line + 1)]


def append_entries(source: bytes | None, entries: Sequence[Mapping[str, Any]], *,
                   name: str, header: str = "") -> bytes:
    """``source`` with ``entries`` added at the end of its ``answers`` list.

    A new file (``source`` None) starts with ``header`` as comment lines. Entries are
    written in block style with the file's own indentation: keys in the format's order,
    the answer folded (``>-``) near :data:`FOLD_WIDTH` columns (a literal ``|-`` block
    when it has paragraphs), ``short`` quoted, refs, tags and products as flow lists, and
    a blank line before each entry. Text a plain scalar would misread is double-quoted.
    """
    if source is None:
        lines = [f"# {line}".rstrip() for line in header.splitlines()]
        text = YamlText(("\n".join([*lines, "answers:"]) + "\n").encode("utf-8"))
        dash, key_indent, at, gap = 2, 4, None, False
    else:
        text, dash, key_indent, at = _append_point(source, name)
        gap = True
    block: list[str] = []
    for fields in entries:
        if gap or block:
            block.append("")
        block.extend(render_entry(fields, dash=dash, indent=key_indent))
    if at is None:
        if text.text and not LINE_BREAK.search(text.text[-1:]):
            text.text += text.newline
        while text.text.endswith(text.newline * 2) and block and block[0] == "":
            block = block[1:]  # the file already ends with a blank line
        text.text += "".join(f"{line}{text.newline}" for line in block)
    else:
        text.insert_lines(at, block)
    return text.to_bytes()


def _append_point(source: bytes, name: str) -> tuple[YamlText, int, int, int | None]:
    """(text, dash column, key column, line to insert before or None for the end)."""
    try:
        document = parse_yaml(source)
    except YamlProblem as e:
        raise LibraryError(f"{name}:{e.line}:{e.column}: {e.message}; run `qfill lint`") from None
    root = document.root
    answers = root.get("answers") if root is not None else None
    text = YamlText(source)
    if root is None or answers is None or answers.kind != "seq" or not answers.value or \
            answers.value[0].line <= root.keys["answers"].line:
        raise LibraryError(f"{name}: its 'answers' is not a block list of entries, which "
                           "qfill does not extend; choose another --into file")
    first = answers.value[0]
    line = _line(text, first.line)
    dash = len(line) - len(line.lstrip(" "))
    if not line[dash:].startswith("-"):
        raise LibraryError(f"{name}: its entries are laid out in a way qfill does not "
                           "extend; choose another --into file")
    later = [node.line for key, node in root.keys.items()
             if node.line > root.keys["answers"].line and key != "answers"]
    if not later:
        return text, dash, first.column - 1, None
    before = min(later)
    lines = split_lines(text.text)
    while before > 1 and (not lines[before - 2].strip()
                          or lines[before - 2].lstrip().startswith("#")):
        before -= 1  # keep the comments that introduce the next key with it
    return text, dash, first.column - 1, before


_ORDER = ("id", "question", "aliases", "answer", "short", "evidence", "refs", "tags",
          "products", "owner", "reviewed", "review_every", "source")
_FLOW_LISTS = ("tags",)  # products stay a block list: harvest may add one later


def render_entry(fields: Mapping[str, Any], *, dash: int = 2, indent: int = 4) -> list[str]:
    """One entry as block-style lines, the ``- `` at column ``dash``, keys at ``indent``."""
    pad = " " * indent
    lines: list[str] = []
    for key in sorted((k for k in fields if _filled(fields[k])),
                      key=lambda k: _ORDER.index(k) if k in _ORDER else len(_ORDER)):
        value = fields[key]
        if key == "answer":
            body = _block_scalar(str(value), indent + 2)
            lines.extend([f"{pad}answer: {body[0]}", *body[1:]])
        elif key == "short":
            lines.append(f"{pad}short: {double_quoted(str(value))}")
        elif key == "refs":
            lines.append(f"{pad}refs:")
            lines.extend(f"{pad}  {_scalar(str(scheme))}: {_flow(ids)}"
                         for scheme, ids in value.items())
        elif key in _FLOW_LISTS:
            lines.append(f"{pad}{key}: {_flow(value)}")
        elif isinstance(value, (list, tuple)):
            lines.append(f"{pad}{key}:")
            lines.extend(f"{pad}  - {_scalar(str(item))}" for item in value)
        else:
            lines.append(f"{pad}{key}: {_scalar(str(value))}")
    first = lines[0][indent:]
    lines[0] = f"{' ' * dash}- {' ' * (indent - dash - 2)}{first}"
    return lines


def _filled(value: Any) -> bool:
    return value is not None and value != "" and value != () and value != [] and value != {}


def _flow(items: Sequence[Any]) -> str:
    return "[" + ", ".join(_scalar(str(i), flow=True) for i in items) + "]"


def _scalar(text: str, *, flow: bool = False) -> str:
    return text if _plain_ok(text, flow=flow) else double_quoted(text)


def _plain_ok(text: str, *, flow: bool = False) -> bool:
    """Whether ``text`` reads back as itself, as text, written plain."""
    if not text or text != text.strip() or LINE_BREAK.search(text) or _NOT_IN_BLOCK.search(text):
        return False
    probe = f"k: [{text}]" if flow else f"k: {text}"
    try:
        loaded = yaml.load(probe, Loader=_SAFE)
    except yaml.YAMLError:
        return False
    return bool(loaded == {"k": [text] if flow else text})


def _block_scalar(text: str, indent: int) -> list[str]:
    """A folded (``>-``) or literal (``|-``) block for ``text``; double-quoted when no block
    scalar can carry it exactly (tabs, other line breaks, edge spaces)."""
    pad = " " * indent
    lines = text.split("\n")
    if (not text.strip() or _NOT_IN_BLOCK.search(text)
            or any(line != line.strip() for line in lines) or text != text.strip()):
        return [double_quoted(text)]
    if len(lines) > 1:
        return ["|-", *(f"{pad}{line}" if line else "" for line in lines)]
    if "  " in text:
        return [double_quoted(text)]
    if len(text) <= FOLD_WIDTH:
        return [text if _plain_ok(text) else double_quoted(text)]
    wrapped = textwrap.wrap(text, FOLD_WIDTH, break_long_words=False, break_on_hyphens=False)
    return [">-", *(f"{pad}{line}" for line in wrapped)]
