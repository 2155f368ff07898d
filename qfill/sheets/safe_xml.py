"""Untrusted XML parsed with expat, DTDs and entity declarations refused.

The same guards defusedxml installs, on a namespace-aware expat parser whose byte
positions (``CurrentByteIndex``) let the sheet editor rewrite spans in place.
"""

from __future__ import annotations

import re
import xml.parsers.expat
from typing import Any, NoReturn

from qfill.errors import InputError, OutputError

# OOXML parts nest a dozen levels at most; past this a part is hostile, and the element
# trees a check builds from it would exhaust Python's stack.
MAX_XML_DEPTH = 100


def too_deep(where: str, depth: int) -> InputError:
    return InputError(f"{where}: elements nested {depth} deep, far beyond any workbook; "
                      "refusing a damaged or hostile file (save it again in Excel)")


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
        raise InputError(f"{where}: the XML declares a DTD or entities; "
                         "refusing a possibly hostile file") from None
    except xml.parsers.expat.ExpatError as e:
        raise InputError(f"{where}: not well-formed XML ({e}); the file is damaged") from None
