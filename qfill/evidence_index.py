"""The evidence index: every document under ``evidence/`` as passages a reviewer can cite.

A passage is one paragraph, list item or table of a document, with the document's title,
its heading path and its location, so that a row nobody has answered before can be shown
where the company's own documents speak to it. Documents are read once and cached by
content hash in the user's cache folder (PDF parsing is the slow part); a run reads and
hashes every file, and parses only those whose bytes it has not seen.

Evidence that has expired is never used: a document whose ``valid_until`` has passed
(given by any answer that cites it, or by ``evidence.valid_until`` in ``qfill.yaml``) is
left out of the index and listed in :attr:`EvidenceIndex.expired`.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from qfill.disk_cache import cache_folder, open_cache_db
from qfill.documents import (
    READER_VERSION,
    SUFFIXES,
    Block,
    DocumentError,
    DocumentText,
    read_document,
)
from qfill.library import EVIDENCE_FOLDER, Library, relative_name, resolve_evidence

MAX_DOCUMENT_BYTES = 50 * 1024 * 1024  # larger files are skipped with a note
MAX_DOCUMENTS = 5000


@dataclass(frozen=True, slots=True)
class Passage:
    """One citable piece of a document. ``path`` is relative to the library root."""

    path: str
    title: str
    headings: tuple[str, ...]
    text: str
    location: str

    @property
    def heading_path(self) -> str:
        """``Access Control Policy > 2. Workforce identity``: the title first."""
        parts = list(self.headings)
        if not parts or parts[0] != self.title:
            parts.insert(0, self.title)
        return " > ".join(parts)

    @property
    def citation(self) -> str:
        """Where to find it: ``path, heading path, location``."""
        return ", ".join(p for p in (self.path, self.heading_path, self.location) if p)


@dataclass(frozen=True, slots=True)
class EvidenceDocument:
    path: str
    title: str
    digest: str
    valid_until: date | None
    passages: tuple[Passage, ...]


@dataclass(frozen=True, slots=True)
class EvidenceIndex:
    """The documents in use, the expired ones left out, and notes on unreadable files."""

    documents: tuple[EvidenceDocument, ...]
    expired: Mapping[str, date]
    notes: tuple[str, ...] = ()

    @property
    def passages(self) -> tuple[Passage, ...]:
        return tuple(p for d in self.documents for p in d.passages)

    def document(self, path: str) -> EvidenceDocument | None:
        return next((d for d in self.documents if d.path == path), None)


def evidence_validity(library: Library | None,
                      declared: Mapping[str, date] | None = None) -> dict[str, date]:
    """The date each document stops being valid: the earliest any answer (or
    ``evidence.valid_until`` in ``qfill.yaml``) gives it, so one expired citation is enough
    to stop quoting a document."""
    found: dict[str, date] = {}

    def note(path: str, until: date) -> None:
        key = path.removeprefix("./")
        found[key] = min(until, found.get(key, until))

    for path, until in (declared or {}).items():
        note(path, until)
    for answer in library.answers if library is not None else ():
        for item in answer.evidence:
            if item.path and item.valid_until is not None:
                note(item.path, item.valid_until)
    return found


def evidence_files(root: Path) -> list[Path]:
    """The readable documents under ``root/evidence``, sorted; links out are ignored."""
    folder = root / EVIDENCE_FOLDER
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.rglob("*")):
        if path.suffix.lower() not in SUFFIXES or not path.is_file():
            continue
        if resolve_evidence(root, relative_name(path, root)) is None:
            continue  # a symbolic link that leads outside evidence/
        found.append(path)
    return found


def build_evidence_index(root: Path, *, today: date, validity: Mapping[str, date] | None = None,
                         cache: DocumentCache | None = None) -> EvidenceIndex:
    """Read (or take from ``cache``) every document under ``evidence/``.

    Unreadable documents do not stop a run: each becomes a note, because the index only
    adds suggestions for a person and must never be the reason an answer run fails.
    """
    validity = validity or {}
    documents: list[EvidenceDocument] = []
    expired: dict[str, date] = {}
    notes: list[str] = []
    files = evidence_files(root)
    if len(files) > MAX_DOCUMENTS:
        notes.append(f"{EVIDENCE_FOLDER}/: {len(files)} documents; only the first "
                     f"{MAX_DOCUMENTS} are indexed")
        files = files[:MAX_DOCUMENTS]
    for path in files:
        name = relative_name(path, root)
        until = validity.get(name)
        if until is not None and until < today:
            expired[name] = until
            continue
        try:
            size = path.stat().st_size
            if size > MAX_DOCUMENT_BYTES:
                notes.append(f"{name}: {size} bytes, over the {MAX_DOCUMENT_BYTES} byte limit; "
                             "not indexed")
                continue
            data = path.read_bytes()
        except OSError as e:
            notes.append(f"{name}: cannot read ({e.strerror}); not indexed")
            continue
        digest = hashlib.sha256(data).hexdigest()
        text = cache.get(digest, path.suffix.lower()) if cache is not None else None
        if text is None:
            try:
                text = read_document(name, data)
            except DocumentError as e:
                notes.append(f"{e}; not indexed")
                continue
            except RecursionError:
                notes.append(f"{name}: nested too deeply to read; not indexed")
                continue
            if cache is not None:
                cache.put(digest, path.suffix.lower(), text)
        documents.append(EvidenceDocument(name, text.title, digest, until,
                                          tuple(_passages(name, text))))
    return EvidenceIndex(tuple(documents), expired, tuple(notes))


def _passages(name: str, text: DocumentText) -> Iterable[Passage]:
    for block in text.blocks:
        yield Passage(name, text.title, block.headings, block.text, block.location)


class DocumentCache:
    """Documents as read, by content digest, in one SQLite file; unusable -> no caching.

    The key includes :data:`READER_VERSION`, so a qfill that reads documents differently
    never uses what an older one stored.
    """

    def __init__(self, path: Path) -> None:
        self._db = open_cache_db(path, "documents (key TEXT PRIMARY KEY, data TEXT)")

    @staticmethod
    def key(digest: str, suffix: str) -> str:
        return f"{READER_VERSION}:{suffix}:{digest}"

    def get(self, digest: str, suffix: str) -> DocumentText | None:
        if self._db is None:
            return None
        try:
            row = self._db.execute("SELECT data FROM documents WHERE key = ?",
                                   (self.key(digest, suffix),)).fetchone()
        except sqlite3.Error:
            return None
        if row is None:
            return None
        try:
            data = json.loads(row[0])
            blocks = tuple(Block(str(b["text"]), tuple(map(str, b["headings"])),
                                 b.get("line"), b.get("page"), b.get("paragraph"))
                           for b in data["blocks"])
            return DocumentText(str(data["title"]), blocks)
        except (ValueError, KeyError, TypeError):
            return None  # a damaged entry is read again

    def put(self, digest: str, suffix: str, text: DocumentText) -> None:
        if self._db is None:
            return
        data = json.dumps({"title": text.title, "blocks": [
            {"text": b.text, "headings": list(b.headings), "line": b.line, "page": b.page,
             "paragraph": b.paragraph} for b in text.blocks]}, ensure_ascii=False)
        try:
            with self._db:
                self._db.execute("INSERT OR REPLACE INTO documents VALUES (?, ?)",
                                 (self.key(digest, suffix), data))
        except sqlite3.Error:
            pass


def default_document_cache() -> DocumentCache:
    """The cache beside the sentence vectors (``$QFILL_CACHE_DIR`` or the user cache)."""
    return DocumentCache(cache_folder() / f"evidence-documents-v{READER_VERSION}.sqlite3")
