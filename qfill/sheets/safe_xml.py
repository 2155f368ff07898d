"""Untrusted XML, parsed with DTDs and entity declarations refused, one way everywhere.

Trees (workbook, relationships, shared strings, the reader's sheets) come from ElementTree's
C pull parser behind an expat guard holding defusedxml's checks; the sheet editor needs byte
positions (``CurrentByteIndex``), so it gets a namespace-aware expat parser with the same
guards defusedxml installs. Either way a part that declares a DOCTYPE or entities is refused
as unsafe, and one that is not XML as damaged, with the same messages.
"""

from __future__ import annotations

import contextlib
import re
import xml.parsers.expat
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Literal, NoReturn, cast
from xml.etree.ElementTree import Element, ParseError, XMLPullParser

from qfill.errors import InputError, OutputError

Event = Literal["start", "end"]

# OOXML parts nest a dozen levels at most; past this a part is hostile, and the element
# trees a check builds from it would exhaust Python's stack.
MAX_XML_DEPTH = 100


def too_deep(where: str, depth: int) -> InputError:
    return InputError(f"{where}: elements nested {depth} deep, far beyond any workbook; "
                      "refusing a damaged or hostile file (save it again in Excel)")


def unsafe_xml(path: Path | str, name: str) -> InputError:
    return InputError(f"{path}: refused: {name} declares a DOCTYPE or entities "
                      "(unsafe XML); re-save the workbook in Excel")


def damaged(path: Path | str, name: str, why: str) -> InputError:
    return InputError(f"{path}: damaged workbook ({name}: {why}); open it in Excel, "
                      "save it again and retry")


def iterparse(path: Path, name: str, stream: IO[bytes], events: tuple[Event, ...] = ("end",)
              ) -> Iterator[tuple[str, Element]]:
    """``iterparse`` over part ``name``, with hostility and damage as InputError.

    Each 16 KiB chunk goes first through a bare expat parser holding only defusedxml's
    guards (no element handlers, so it runs at C speed), then to ElementTree's C pull
    parser that builds the elements. A DTD or entity is refused before the builder sees
    it; damage is reported after the elements before it, with expat's message, as
    defusedxml's pure-Python ``iterparse`` did (the same events, several times faster).
    """
    guard = expat_parser()
    pull: XMLPullParser[Element] = XMLPullParser(events=events)
    try:
        while True:
            chunk = stream.read(16 * 1024)
            try:
                guard.Parse(chunk, not chunk)
            except xml.parsers.expat.ExpatError as e:
                pull.feed(chunk)  # the builder stops at the same byte: yield what precedes
                with contextlib.suppress(ParseError):
                    yield from _read(pull)
                raise damaged(path, name, f"not valid XML, {e}") from None
            if not chunk:
                break
            pull.feed(chunk)
            yield from _read(pull)
        pull.close()
        yield from _read(pull)
    except _Hostile:
        raise unsafe_xml(path, name) from None
    except ParseError as e:  # not expected once the guard accepted the chunk
        raise damaged(path, name, f"not valid XML, {e}") from None


def _read(pull: XMLPullParser[Element]) -> Iterator[tuple[str, Element]]:
    """The start and end events the builder has ready (the only kinds ever asked for)."""
    for item in pull.read_events():
        yield cast("tuple[str, Element]", item)


def parse_tree(path: Path, name: str, stream: IO[bytes]) -> Element:
    """The root element of a small part (workbook, relationships, content types)."""
    root: Element | None = None
    for _event, elem in iterparse(path, name, stream):
        root = elem
    if root is None:
        raise damaged(path, name, "empty part")
    return root


def _refuse(*_args: object) -> NoReturn:
    raise _Hostile


class _Hostile(Exception):
    """A DTD or entity declaration in a part: refused like defusedxml does."""


def expat_parser() -> Any:
    """A namespace-aware expat parser that refuses DTDs and entities (defusedxml's guards)."""
    parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")
    parser.StartDoctypeDeclHandler = _refuse
    parser.EntityDeclHandler = _refuse
    parser.UnparsedEntityDeclHandler = _refuse
    parser.ExternalEntityRefHandler = _refuse
    parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)
    return parser


_DECLARED_ENCODING = re.compile(rb'^\s*<\?xml[^>]*encoding\s*=\s*["\']([A-Za-z0-9._-]+)["\']')


def safe_parse(where: str, data: bytes, parser: Any) -> None:
    if data.startswith((b"\xfe\xff", b"\xff\xfe")):
        raise OutputError(f"{where}: the part is UTF-16 XML; save the workbook again in Excel")
    declared = _DECLARED_ENCODING.match(data.removeprefix(b"\xef\xbb\xbf"))
    if declared and declared.group(1).lower() not in (b"utf-8", b"utf8"):
        raise OutputError(f"{where}: the part is {declared.group(1).decode()} XML, "
                          "not UTF-8; save the workbook again in Excel")
    try:
        parser.Parse(data, True)
    except _Hostile:
        raise InputError(f"{where}: refused: the XML declares a DOCTYPE or entities "
                         "(unsafe XML); re-save the workbook in Excel") from None
    except xml.parsers.expat.ExpatError as e:
        raise InputError(f"{where}: damaged workbook (not valid XML, {e}); open it in Excel, "
                         "save it again and retry") from None
