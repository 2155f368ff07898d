"""Raw XML start tags edited in place: attributes set or removed, spans patched.

Only the bytes of the touched tags change; quoting, spacing and attribute order of the
rest stay as the customer's file had them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_TAG = re.compile(rb'<[^\s/>]+(?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|\'[^\']*\'))*\s*/?>')
_ATTR = re.compile(rb'(\s+)([^\s=/>]+)(\s*=\s*)("[^"]*"|\'[^\']*\')')


def start_tag_end(data: bytes, pos: int) -> int:
    match = _TAG.match(data, pos)
    if match is None:  # expat accepted the tag, so this cannot happen on real input
        raise ValueError(f"no start tag at byte {pos}")
    return match.end()


def end_tag_end(data: bytes, pos: int) -> int:
    return data.index(b">", pos) + 1


def set_attributes(tag: bytes, updates: Mapping[str, str | None]) -> bytes:
    """``tag`` (a raw start tag) with attributes set (value) or removed (None).

    Other attributes keep their order, quoting and spacing; new ones are appended.
    """
    done: set[str] = set()

    def replace(match: re.Match[bytes]) -> bytes:
        name = match.group(2).decode()
        if name not in updates:
            return match.group(0)
        done.add(name)
        value = updates[name]
        if value is None:
            return b""
        return match.group(1) + match.group(2) + b'="' + _attr_escape(value) + b'"'

    close = b"/>" if tag.endswith(b"/>") else b">"
    body = _ATTR.sub(replace, tag[:-len(close)])
    stripped = body.rstrip()
    trailing = body[len(stripped):]
    for name, value in updates.items():
        if name not in done and value is not None:
            stripped += b" " + name.encode() + b'="' + _attr_escape(value) + b'"'
    return stripped + trailing + close


def _attr_escape(value: str) -> bytes:
    return (value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").encode("utf-8"))


_QNAME = re.compile(rb"<([^\s/>]+)")


def qualified_name(data: bytes, start: int) -> bytes:
    """``b"x:row"`` for ``<x:row ...>`` at ``start`` (``b""`` where no tag starts)."""
    match = _QNAME.match(data, start)
    return match.group(1) if match else b""


def qualified_prefix(data: bytes, start: int) -> bytes:
    """``b"x:"`` for ``<x:row ...>`` at ``start``, ``b""`` for an unprefixed element."""
    qname = qualified_name(data, start)
    return qname[:qname.index(b":") + 1] if b":" in qname else b""


def apply_patches(data: bytes, patches: list[tuple[int, int, int, bytes]]) -> bytes:
    out: list[bytes] = []
    pos = 0
    for start, end, _order, replacement in sorted(patches, key=lambda p: (p[0], p[2], p[1])):
        if start < pos:
            raise ValueError(f"overlapping edits at byte {start}")
        out.append(data[pos:start])
        out.append(replacement)
        pos = end
    out.append(data[pos:])
    return b"".join(out)
