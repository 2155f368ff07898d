"""The matcher's view of a library, built once per library content and kept on disk.

Matching a questionnaire needs every question and alias of the library analysed into
terms (:mod:`qfill.terms`), the terms weighed and indexed. That depends only on the
library's wording, the thesaurus and qfill's version, and it costs more than matching a
small questionnaire (0.6 s at 5,000 entries, 6 s at 50,000), so it is kept in the cache
folder (:func:`qfill.disk_cache.cache_folder`), keyed by a digest of all of that: a
second questionnaire against an unchanged library loads it instead. Any change to a
question, an alias, a tag, a file name, ``synonyms:`` or qfill itself gives another key.

The file is a pickle, loaded only when the current user owns it and no one else may
write to it (:func:`qfill.disk_cache.read_pickle`). A cache only saves time: anything
unreadable, or a folder that cannot be written, means building the index as if there
were no cache.
"""

from __future__ import annotations

import functools
import hashlib
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path, PurePosixPath

from qfill import __version__
from qfill.disk_cache import read_pickle, write_pickle
from qfill.guards import qualified_or_none
from qfill.library import Answer
from qfill.terms import Analysis, TermWeights, shipped_thesaurus_digest

_FORMAT = 3  # bump when LibraryIndex changes shape or how it is stored
_KEEP = 8  # index files kept in the cache folder, newest first


@dataclass(frozen=True, slots=True)
class LibraryIndex:
    """Everything the matcher derives from a library's wording, by phrasing and entry.

    ``phrasings`` holds each question and alias in library order (``entry_of`` says
    whose); ``postings`` maps a term to the entries using it in any phrasing, so aliases
    do not multiply the work of retrieval; ``context`` is each entry's tags and file name
    as terms, which break ties with a row's section.
    """

    entry_of: tuple[int, ...]
    phrasings: tuple[Analysis, ...]
    sets: tuple[frozenset[str], ...]
    union: tuple[frozenset[str], ...]
    weights: TermWeights
    df: dict[str, int]
    totals: tuple[float, ...]
    maxima: tuple[float, ...]
    postings: dict[str, tuple[int, ...]]  # in entry order
    context: tuple[frozenset[str], ...]
    # Each entry's answer text analysed (the guards read it; retrieval looks there for a
    # word no phrasing uses), and what each phrasing says of each qualifier, or None where
    # it names none: worked out once per library, not once per questionnaire.
    answers: tuple[Analysis, ...]
    qualified: tuple[tuple[dict[str, str], ...] | None, ...]

    @classmethod
    def build(cls, answers: Sequence[Answer], analyze: Callable[[str], Analysis], *,
              qualifiers: bool = True) -> LibraryIndex:
        """The index of ``answers``. ``qualifiers=False`` leaves ``qualified`` empty: the
        guards then work out a phrasing's qualifiers when it is first scored, the same
        way (lint scores a few phrasings of a large library; an index kept in the cache
        has them all)."""
        entry_of: list[int] = []
        phrasings: list[Analysis] = []
        sets: list[frozenset[str]] = []
        entry_terms: list[set[str]] = []
        for index, answer in enumerate(answers):
            terms: set[str] = set()
            for text in answer.phrasings:
                analysis = analyze(text)
                entry_of.append(index)
                phrasings.append(analysis)
                sets.append(frozenset(analysis.terms))
                terms.update(analysis.terms)
            entry_terms.append(terms)
        weights = TermWeights.learn(entry_terms)
        df: dict[str, int] = {}
        postings: dict[str, list[int]] = {}
        for index, terms in enumerate(entry_terms):
            for term in terms:
                df[term] = df.get(term, 0) + 1
                postings.setdefault(term, []).append(index)
        weight = weights.weight
        return cls(
            entry_of=tuple(entry_of), phrasings=tuple(phrasings), sets=tuple(sets),
            union=tuple(frozenset(terms) for terms in entry_terms), weights=weights, df=df,
            totals=tuple(math.fsum(map(weight, s)) for s in sets),
            maxima=tuple(max((weight(t) for t in s), default=1.0) for s in sets),
            postings={t: tuple(p) for t, p in postings.items()},
            context=tuple(frozenset(analyze(_context_text(a)).terms) for a in answers),
            answers=tuple(analyze(a.answer) for a in answers),
            qualified=_shared(map(qualified_or_none, phrasings)) if qualifiers else ())


def _shared(found: Iterable[tuple[dict[str, str], ...] | None]
            ) -> tuple[tuple[dict[str, str], ...] | None, ...]:
    """What each phrasing says of the qualifiers, one object for equal findings: a library
    repeats a thousand or so among 15,000 phrasings, and the stored index loads a sixth
    faster when each is stored once. The guards only read them (as they read the one
    finding they share among phrasings that name no qualifier)."""
    kept: dict[tuple[tuple[tuple[str, str], ...], ...],
               tuple[dict[str, str], ...]] = {}
    return tuple(None if said is None else kept.setdefault(
        tuple(tuple(sorted(d.items())) for d in said), said) for said in found)


def _context_text(answer: Answer) -> str:
    return " ".join((*answer.tags, _file_words(answer.source)))


@functools.lru_cache(maxsize=4096)
def _file_words(source: str) -> str:
    """An answer file's name as words: the entries of one file share it (a path parsed
    once per file, not once per entry, when every index is keyed)."""
    return PurePosixPath(source).stem.replace("-", " ").replace("_", " ")


def index_key(answers: Sequence[Answer], synonyms: object) -> str:
    """The digest of everything a :class:`LibraryIndex` is built from."""
    digest = hashlib.sha256()
    # The records' shapes too: a field added to either makes old files unusable.
    shapes = [f.name for record in (LibraryIndex, Analysis) for f in fields(record)]
    for part in (f"qfill {__version__} index {_FORMAT}", ",".join(shapes),
                 shipped_thesaurus_digest(), repr(synonyms)):
        digest.update(part.encode("utf-8") + b"\0")
    texts: list[str] = []
    for answer in answers:
        texts += (*answer.phrasings, "\1", _context_text(answer), "\3", answer.answer, "\2")
    digest.update("\0".join(texts).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def load_index(answers: Sequence[Answer], analyze: Callable[[str], Analysis],
               synonyms: object, cache: Path | None) -> tuple[LibraryIndex, bool]:
    """The index of ``answers`` and whether it came from ``cache`` (a folder, or None
    for no caching); a freshly built index is stored there for the next run."""
    if cache is None:
        return LibraryIndex.build(answers, analyze), False
    path = cache / "index" / f"{index_key(answers, synonyms)}.pickle"
    found = read_pickle(path, LibraryIndex)
    if found is not None:
        return found, True
    index = LibraryIndex.build(answers, analyze)
    write_pickle(path, index, keep=_KEEP)
    return index, False
