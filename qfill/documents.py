"""Evidence documents as text: blocks (paragraphs, list items, tables) with their place.

A reviewer needs to know *where* an answer lives ("Access Control Policy > 2. Workforce
identity, line 18"), so every block keeps the path of headings above it and its location:
a line in text formats, a page in PDF, a paragraph in Word. Markdown, plain text and HTML
are read here; PDF through pypdf (pure Python, a dependency) and Word through python-docx
(the ``docx`` extra, because it needs lxml).

Untrusted input: a document that cannot be read raises :class:`DocumentError`, which the
index turns into a note; nothing here executes or fetches anything.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import PurePosixPath
from typing import Any

from qfill.errors import QfillError

# Bump when what a reader produces changes, so cached documents are read again.
READER_VERSION = 1
MAX_PDF_PAGES = 2000  # a real policy or audit report is far shorter; more is a hostile file
SUFFIXES = (".md", ".markdown", ".txt", ".text", ".html", ".htm", ".pdf", ".docx")


class DocumentError(QfillError):
    """An evidence document that cannot be read as text."""


@dataclass(frozen=True, slots=True)
class Block:
    """One paragraph, list item or table of a document.

    ``headings`` is the path of headings above it, outermost first (the document's title
    included when the document has one); ``line`` (text formats), ``page`` (PDF) or
    ``paragraph`` (Word) says where it starts, 1-based.
    """

    text: str
    headings: tuple[str, ...] = ()
    line: int | None = None
    page: int | None = None
    paragraph: int | None = None

    @property
    def location(self) -> str:
        if self.page is not None:
            return f"page {self.page}"
        if self.line is not None:
            return f"line {self.line}"
        if self.paragraph is not None:
            return f"paragraph {self.paragraph}"
        return ""


@dataclass(frozen=True, slots=True)
class DocumentText:
    title: str
    blocks: tuple[Block, ...]


def read_document(name: str, data: bytes) -> DocumentText:
    """Read one document by its suffix; raise :class:`DocumentError` if it cannot be read."""
    suffix = PurePosixPath(name).suffix.lower()
    reader = _READERS.get(suffix)
    if reader is None:
        raise DocumentError(f"{name}: not a document qfill reads; use one of "
                            f"{', '.join(SUFFIXES)}")
    blocks = reader(name, data)
    title = next((b.headings[0] for b in blocks if b.headings), "") or _title_from_name(name)
    return DocumentText(title, tuple(b for b in blocks if b.text.strip()))


def _title_from_name(name: str) -> str:
    stem = PurePosixPath(name).stem
    words = re.sub(r"[-_]+", " ", stem).strip()
    return words[:1].upper() + words[1:] if words else name


def _decode(name: str, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DocumentError(f"{name}: not UTF-8 text; save it as UTF-8") from None


def clean(text: str) -> str:
    """Whitespace collapsed to single spaces, as passages are quoted and compared."""
    return " ".join(text.split())


class _Headings:
    """The current heading path while reading top to bottom."""

    def __init__(self) -> None:
        self._levels: list[tuple[int, str]] = []

    def enter(self, level: int, title: str) -> None:
        while self._levels and self._levels[-1][0] >= level:
            self._levels.pop()
        self._levels.append((level, clean(title)))

    @property
    def path(self) -> tuple[str, ...]:
        return tuple(t for _, t in self._levels)


# --------------------------------------------------------------------------- Markdown

_ATX = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_LIST_ITEM = re.compile(r"^(\s*)(?:[-*+]|\d{1,3}[.)])\s+(.*)$")
_SETEXT = re.compile(r"^(=+|-+)\s*$")
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_EMPHASIS = re.compile(r"(\*\*|__|\*|`)")


def _inline_markdown(text: str) -> str:
    return clean(_EMPHASIS.sub("", _LINK.sub(r"\1", text)))


def _table_cells(line: str) -> list[str]:
    return [_inline_markdown(c) for c in line.strip().strip("|").split("|")]


def _table_text(rows: list[list[str]], header: list[str] | None = None) -> str:
    """A table as one line per row: ``key: value`` for two columns, each cell named by
    its column (``Scope: ...; Frequency: Quarterly``) where a wider table has a header."""
    lines = []
    if header is not None and len(header) <= 2:
        rows = [header, *rows]
        header = None
    for cells in rows:
        if not any(cells):
            continue
        if header is not None:
            named = [f"{h}: {c}" if h else c for h, c in zip(header, cells, strict=False) if c]
            lines.append("; ".join(named))
        else:
            filled = [c for c in cells if c]
            lines.append(": ".join(filled) if len(cells) == 2 else "; ".join(filled))
    return "\n".join(lines)


def _read_markdown(name: str, data: bytes) -> list[Block]:
    lines = _decode(name, data).splitlines()
    headings = _Headings()
    blocks: list[Block] = []
    current: list[str] = []
    start = 0
    table: list[list[str]] = []
    table_start = 0
    table_header: list[str] | None = None
    in_fence = False

    def flush() -> None:
        nonlocal current
        if current:
            blocks.append(Block(_inline_markdown(" ".join(current)), headings.path, line=start))
            current = []

    def flush_table() -> None:
        nonlocal table, table_header
        if table:
            blocks.append(Block(_table_text(table, table_header), headings.path,
                                line=table_start))
            table = []
        table_header = None

    i = 0
    if lines and lines[0].strip() == "---":  # front matter: metadata, not text
        end = next((j for j in range(1, len(lines)) if lines[j].strip() in ("---", "...")), None)
        if end is not None:
            i = end + 1
    while i < len(lines):
        raw = lines[i]
        number = i + 1
        stripped = raw.strip()
        i += 1
        if stripped.startswith(("```", "~~~")):
            flush()
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        if stripped.startswith("|"):
            flush()
            cells = _table_cells(stripped)
            if all(re.fullmatch(r":?-{2,}:?", c.replace(" ", "")) or not c for c in cells) \
                    and any(cells):
                if len(table) == 1:  # the separator row: the row above is the header
                    table_header = table.pop()
                continue
            if not table:
                table_start = number
            table.append(cells)
            continue
        flush_table()
        heading = _ATX.match(stripped)
        if heading:
            flush()
            headings.enter(len(heading.group(1)), _inline_markdown(heading.group(2)))
            continue
        if current and len(current) == 1 and _SETEXT.match(stripped) and not \
                _LIST_ITEM.match(lines[i - 2]):
            title = current.pop()
            headings.enter(1 if stripped.startswith("=") else 2, _inline_markdown(title))
            continue
        if not stripped or (set(stripped) <= {"-", "*", "_"} and len(stripped) >= 3):
            flush()
            continue
        item = _LIST_ITEM.match(raw)
        text = stripped.lstrip(">").strip() if stripped.startswith(">") else stripped
        if item:
            flush()
            start = number
            current = [item.group(2)]
            continue
        if not current:
            start = number
        current.append(text)
    flush()
    flush_table()
    return blocks


# --------------------------------------------------------------------------- plain text

_NUMBERED_HEADING = re.compile(r"^(\d{1,2}(?:\.\d{1,2})*)\.?\s+[A-Z][^.!?]{1,78}$")


def _heading_level(line: str, next_line: str) -> int | None:
    """The level of a plain-text heading line, or None for an ordinary line."""
    text = line.strip()
    if not text or len(text) > 80:
        return None
    if next_line.strip() and _SETEXT.match(next_line.strip()) and len(next_line.strip()) >= 3:
        return 1 if next_line.strip().startswith("=") else 2
    numbered = _NUMBERED_HEADING.match(text)
    if numbered:  # below a capitalised title, if there is one
        return 2 + numbered.group(1).count(".")
    letters = [c for c in text if c.isalpha()]
    if len(letters) >= 4 and all(c.isupper() for c in letters) and not text.endswith("."):
        return 1
    return None


def _read_text(name: str, data: bytes) -> list[Block]:
    lines = _decode(name, data).splitlines()
    return list(_text_blocks(lines, lambda number: {"line": number}))


def _text_blocks(lines: list[str], where: Callable[[int], dict[str, int]],
                 headings: _Headings | None = None) -> Iterator[Block]:
    """Blank-line separated paragraphs; a lone short line that looks like a heading is one."""
    headings = headings or _Headings()
    current: list[str] = []
    start = 0
    i = 0
    while i < len(lines):
        line = lines[i]
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        number = i + 1
        i += 1
        alone = not current and (not nxt.strip() or _SETEXT.match(nxt.strip()) is not None)
        level = _heading_level(line, nxt) if alone else None
        if level is not None:
            headings.enter(level, line)
            if nxt.strip() and _SETEXT.match(nxt.strip()):
                i += 1
            continue
        if not line.strip():
            if current:
                yield Block(clean(" ".join(current)), headings.path, **where(start))
                current = []
            continue
        item = _LIST_ITEM.match(line)
        if item and current:
            yield Block(clean(" ".join(current)), headings.path, **where(start))
            current = []
        if not current:
            start = number
        current.append(item.group(2) if item else line)
    if current:
        yield Block(clean(" ".join(current)), headings.path, **where(start))


# --------------------------------------------------------------------------- HTML

_HTML_BLOCKS = frozenset({"p", "li", "td", "th", "dt", "dd", "blockquote", "pre", "caption",
                          "figcaption", "div", "section", "article", "tr", "title"})


class _HtmlText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self.headings = _Headings()
        self._text: list[str] = []
        self._start = 1
        self._heading: int | None = None
        self._skip = 0
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._title = ""

    def _flush(self) -> None:
        text = clean("".join(self._text))
        if text:
            self.blocks.append(Block(text, self.headings.path, line=self._start))
        self._text = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "template", "noscript"):
            self._skip += 1
            return
        if re.fullmatch(r"h[1-6]", tag):
            self._flush()
            self._heading = int(tag[1])
            return
        if tag == "tr":
            self._flush()
            self._row = []
            self._start = self.getpos()[0]
            return
        if tag in ("td", "th") and self._row is not None:
            self._cell = []
            return
        if tag == "br":
            self._text.append(" ")
            return
        if tag in _HTML_BLOCKS:
            self._flush()
            self._start = self.getpos()[0]

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template", "noscript"):
            self._skip = max(0, self._skip - 1)
            return
        if re.fullmatch(r"h[1-6]", tag) and self._heading is not None:
            title = clean("".join(self._text))
            self._text = []
            if title:
                self.headings.enter(self._heading, title)
            self._heading = None
            return
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append(clean("".join(self._cell)))
            self._cell = None
            return
        if tag == "tr" and self._row is not None:
            text = _table_text([self._row])
            if text:
                self.blocks.append(Block(text, self.headings.path, line=self._start))
            self._row = None
            return
        if tag == "title":
            self._title = clean("".join(self._text))
            self._text = []
            return
        if tag in _HTML_BLOCKS:
            self._flush()

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._cell is not None:
            self._cell.append(data)
        else:
            if not self._text:
                self._start = self.getpos()[0]
            self._text.append(data)


def _read_html(name: str, data: bytes) -> list[Block]:
    parser = _HtmlText()
    parser.feed(_decode(name, data))
    parser.close()
    parser._flush()
    return parser.blocks


# --------------------------------------------------------------------------- PDF


@dataclass(slots=True)
class _PdfLine:
    text: str = ""
    size: float = 0.0
    bold: bool = False
    y: float | None = None
    parts: list[str] = field(default_factory=list)


def _pdf_lines(page: Any) -> list[_PdfLine]:
    """The page's text lines, each with its font size, boldness and height on the page."""
    lines: list[_PdfLine] = [_PdfLine()]

    def visit(text: str, cm: Any, tm: Any, font: Any, size: float) -> None:
        pieces = text.split("\n")
        for n, piece in enumerate(pieces):
            if n:
                lines.append(_PdfLine())
            line = lines[-1]
            if piece.strip() and line.y is None:
                scale = abs(float(tm[3]) * float(cm[3])) or 1.0
                line.size = round(float(size) * scale, 1)
                base = str(font.get("/BaseFont", "")) if hasattr(font, "get") else ""
                line.bold = "bold" in base.lower()
                line.y = float(tm[5]) * float(cm[3]) + float(cm[5])
            line.parts.append(piece)

    page.extract_text(visitor_text=visit)
    for line in lines:
        line.text = clean("".join(line.parts))
    return [line for line in lines if line.text]


def _read_pdf(name: str, data: bytes) -> list[Block]:
    try:
        from pypdf import PdfReader
        from pypdf.errors import PyPdfError
    except ImportError:  # pragma: no cover - pypdf is a dependency
        raise DocumentError(f"{name}: reading PDF needs pypdf; pip install pypdf") from None
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise DocumentError(f"{name}: the PDF is encrypted; add an unprotected copy")
        if len(reader.pages) > MAX_PDF_PAGES:
            raise DocumentError(f"{name}: {len(reader.pages)} pages, over the "
                                f"{MAX_PDF_PAGES}-page limit; split it")
        pages = [_pdf_lines(page) for page in reader.pages]
    except DocumentError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, OSError,
            RecursionError) as e:
        raise DocumentError(f"{name}: cannot read the PDF ({type(e).__name__}); "
                            "export it again as PDF") from None
    sizes: Counter[float] = Counter()
    for page in pages:
        for line in page:
            sizes[line.size] += len(line.text)
    body = sizes.most_common(1)[0][0] if sizes else 0.0
    # Larger type than the body is a heading: the largest is level 1.
    levels = {size: n + 1 for n, size in enumerate(sorted(
        (s for s in sizes if s >= body * 1.15 and body > 0), reverse=True))}
    headings = _Headings()
    blocks: list[Block] = []
    for number, page in enumerate(pages, start=1):
        current: list[str] = []
        last: _PdfLine | None = None
        for line in page:
            level = levels.get(line.size)
            if level is None and line.bold and len(line.text) <= 80 \
                    and not line.text.endswith((".", ":", ";", ",")):
                level = len(levels) + 1
            gap = last is not None and last.y is not None and line.y is not None \
                and abs(last.y - line.y) > max(line.size, 1.0) * 1.8
            if (level is not None or gap or _LIST_ITEM.match(line.text)) and current:
                blocks.append(Block(clean(" ".join(current)), headings.path, page=number))
                current = []
            if level is not None:
                headings.enter(level, line.text)
            else:
                item = _LIST_ITEM.match(line.text)
                current.append(item.group(2) if item else line.text)
            last = line
        if current:
            blocks.append(Block(clean(" ".join(current)), headings.path, page=number))
    return blocks


# --------------------------------------------------------------------------- Word


def _read_docx(name: str, data: bytes) -> list[Block]:
    try:
        import docx
        from docx.table import Table
        from docx.text.paragraph import Paragraph
    except ImportError:
        raise DocumentError(f"{name}: reading Word documents needs python-docx; "
                            "pip install 'qfill[docx]'") from None
    try:
        document = docx.Document(io.BytesIO(data))
        items = list(document.iter_inner_content())
    except Exception as e:  # python-docx raises many kinds on a damaged package
        raise DocumentError(f"{name}: cannot read the Word document ({type(e).__name__}); "
                            "save it again as .docx") from None
    headings = _Headings()
    blocks: list[Block] = []
    for number, item in enumerate(items, start=1):
        if isinstance(item, Table):
            rows = [[clean(cell.text) for cell in row.cells] for row in item.rows]
            blocks.append(Block(_table_text(rows), headings.path, paragraph=number))
            continue
        if not isinstance(item, Paragraph):
            continue
        style = (item.style.name if item.style is not None else "") or ""
        level = 1 if style == "Title" else None
        found = re.fullmatch(r"Heading (\d)", style)
        if found:
            level = int(found.group(1)) + 1
        if level is not None and item.text.strip():
            headings.enter(level, item.text)
        elif item.text.strip():
            blocks.append(Block(clean(item.text), headings.path, paragraph=number))
    return blocks


_READERS: dict[str, Callable[[str, bytes], list[Block]]] = {
    ".md": _read_markdown, ".markdown": _read_markdown,
    ".txt": _read_text, ".text": _read_text,
    ".html": _read_html, ".htm": _read_html,
    ".pdf": _read_pdf,
    ".docx": _read_docx,
}
