"""Making untrusted text inert in the formats qfill writes (CSV, Markdown, HTML).

Core code: the CSV writer and the review file need it as much as the renderers do.
"""

from __future__ import annotations

import html
import re

# Spreadsheet apps execute a CSV cell that starts with one of these (OWASP "CSV injection").
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Enough to stop links, images, code spans, emphasis and table breaks; `<` and `&` are
# HTML-escaped first, so no raw HTML or autolink can form.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def csv_safe(value: str) -> str:
    """Prefix a formula-triggering value with a quote so it stays text in a spreadsheet."""
    return "'" + value if value.startswith(FORMULA_TRIGGERS) else value


def markdown_inline(value: str) -> str:
    """Text for a Markdown table cell or list item: HTML escaped, markup characters escaped,
    newlines folded, so a question holding ``<script>`` or ``[x](javascript:..)`` stays inert."""
    folded = " ".join(value.split())
    return _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(folded, quote=False))


def html_text(value: str) -> str:
    return html.escape(value, quote=True)
