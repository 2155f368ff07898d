"""Text as a cell stores it: Excel's ``_xHHHH_`` escapes, XML character data, length."""

from __future__ import annotations

import re

EXCEL_CELL_LIMIT = 32_767  # characters (UTF-16 code units) one Excel cell can hold


_ILLEGAL_XML = "\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff"
_ILLEGAL_CHAR = re.compile(f"[{_ILLEGAL_XML}]")
# A literal "_xHHHH" that would read as an escape once followed by "_" (itself or the
# start of an encoded character) gets its "_" written as "_x005F_", as Excel does.
_LITERAL_ESCAPE = re.compile(f"_(?=x[0-9A-Fa-f]{{4}}(?:_|[{_ILLEGAL_XML}]))")
_ESCAPE = re.compile(r"_x(D[89AB][0-9A-F]{2})__x(D[C-F][0-9A-F]{2})_|_x([0-9A-Fa-f]{4})_",
                     re.IGNORECASE)


def encode_cell_text(value: str) -> str:
    """The string a cell's ``<t>`` element must hold so Excel shows exactly ``value``.

    Characters XML 1.0 cannot carry (control characters other than tab, LF and CR) are
    written as Excel writes them, ``_xHHHH_`` (ECMA-376 ST_Xstring); a literal ``_xHHHH_``
    in the text is protected by writing its underscore as ``_x005F_``. Excel and LibreOffice
    decode these; openpyxl does not, so it reads this encoded form back (see
    :func:`decode_cell_text`). For ordinary text the result is ``value`` itself.
    """
    if "_" in value:
        value = _LITERAL_ESCAPE.sub("_x005F_", value)
    return _ILLEGAL_CHAR.sub(lambda m: f"_x{ord(m.group(0)):04X}_", value)


def decode_cell_text(text: str) -> str:
    """The inverse of :func:`encode_cell_text`: what Excel shows for a stored string.

    An escaped UTF-16 surrogate pair (``_xD83D__xDE00_``) is the one character it encodes;
    a lone surrogate escape is no character at all and stays as the text it is.
    """
    return _ESCAPE.sub(_decoded, text) if "_x" in text else text


def _decoded(match: re.Match[str]) -> str:
    if match.group(1) is not None:
        high, low = int(match.group(1), 16), int(match.group(2), 16)
        return chr(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
    code = int(match.group(3), 16)
    return match.group() if 0xD800 <= code <= 0xDFFF else chr(code)


def xml_text(text: str) -> bytes:
    """XML character data for ``text`` (already passed through :func:`encode_cell_text`).

    CR becomes ``&#13;`` because an XML parser turns a raw CR (and CRLF) into LF.
    """
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("\r", "&#13;").encode("utf-8"))


def excel_length(value: str) -> int:
    """Length as Excel counts it (UTF-16 code units): a character beyond the BMP is two,
    a lone surrogate one. Counted by the codec, not character by character: every
    planned value is measured by the writer and again by the output check."""
    if value.isascii():
        return len(value)
    return len(value.encode("utf-16-le", "surrogatepass")) // 2
