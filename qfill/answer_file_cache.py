"""Answer files as checked and analysed, kept between runs by their content.

Reading a library parses every YAML file and checks every entry (0.4 s at 5,000
entries), although between two questionnaires the files rarely change. What a file
yields, its entries and findings, depends only on its name, its bytes and qfill's
version, so it is kept in the cache folder (:func:`qfill.disk_cache.cache_folder`) under
a digest of those: an unchanged file is taken from there, a changed one read afresh.
One pickle per library folder holds the files of its last reading; like every cache file
it is loaded only if this user alone may write it, and a cache that cannot be read or
written only costs time.

Lint then analyses every question, alias and answer text into terms (5 s at 50,000
entries). An analysis depends only on the text and the analyser: qfill's term code, the
shipped thesaurus and the library's ``synonyms:``. :class:`KnownAnalyses` keeps, per
library folder and analyser, the analyses of its last run's texts by text, so a run
after an edit analyses only the texts that are new.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Generic, TypeVar

from qfill import __version__
from qfill.disk_cache import read_pickle, write_pickle
from qfill.findings import Finding

if TYPE_CHECKING:
    from qfill.terms import Analysis

_FORMAT = 1  # bump when Answer, Evidence or Finding change shape
_KEEP = 16  # libraries remembered, most recently used first
_ANALYSES_FORMAT = 1  # bump when Analysis changes shape

E = TypeVar("E")  # an entry (qfill.library.Answer)


@dataclass(slots=True)
class _Stored(Generic[E]):
    version: str
    files: dict[str, tuple[tuple[E, ...], tuple[Finding, ...]]]


@dataclass(slots=True)
class CheckedFiles(Generic[E]):
    """The checked answer files of one library folder from its last reading.

    :meth:`get` hands back what a file with these bytes yielded then; :meth:`put` records
    a file read now; :meth:`save` keeps this reading's files (only those) for the next.
    """

    path: Path | None
    earlier: dict[str, tuple[tuple[E, ...], tuple[Finding, ...]]]
    now: dict[str, tuple[tuple[E, ...], tuple[Finding, ...]]] = field(default_factory=dict)

    @classmethod
    def open(cls, cache: Path | None, root: Path) -> CheckedFiles[E]:
        path = _library_file(cache, "answer-files", root)
        if path is None:
            return cls(None, {})
        stored: _Stored[E] | None = read_pickle(path, _Stored)
        earlier = stored.files if stored is not None and stored.version == _version() else {}
        return cls(path, earlier)

    def get(self, name: str, data: bytes) -> tuple[tuple[E, ...], tuple[Finding, ...]] | None:
        if self.path is None:
            return None
        key = _key(name, data)
        found = self.earlier.get(key)
        if found is not None:
            self.now[key] = found
        return found

    def put(self, name: str, data: bytes, entries: tuple[E, ...],
            findings: tuple[Finding, ...]) -> None:
        if self.path is not None:
            self.now[_key(name, data)] = (entries, findings)

    def save(self) -> None:
        """Keep this reading's files, when any differ from the last reading's."""
        if self.path is not None and self.now.keys() != self.earlier.keys():
            write_pickle(self.path, _Stored(_version(), self.now), keep=_KEEP)


def _library_file(cache: Path | None, folder: str, root: Path) -> Path | None:
    """The file in ``cache``/``folder`` kept for the library folder ``root``; None without a
    cache, or for a folder whose real path cannot be found."""
    if cache is None:
        return None
    try:
        where = str(root.resolve())
    except OSError:
        return None
    name = hashlib.sha256(where.encode("utf-8", "surrogatepass")).hexdigest()
    return cache / folder / f"{name}.pickle"


def _version() -> str:
    return f"qfill {__version__} answer files {_FORMAT}"


def _key(name: str, data: bytes) -> str:
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass"))
    digest.update(b"\0")
    digest.update(data)
    return digest.hexdigest()


@dataclass(slots=True)
class _StoredAnalyses:
    analyser: str
    analyses: dict[str, Analysis]


@dataclass(slots=True)
class KnownAnalyses:
    """The texts of one library folder as one analyser read them in its last run.

    :meth:`open` finds them (none if the analyser differs in any way); :meth:`save` keeps
    this run's texts, and only those, when they are not the ones found.
    """

    path: Path | None
    analyser: str
    earlier: dict[str, Analysis]

    @classmethod
    def open(cls, cache: Path | None, root: Path, synonyms: Mapping[str, Sequence[str]]
             ) -> KnownAnalyses:
        path = _library_file(cache, "analyses", root)
        if path is None:
            return cls(None, "", {})
        analyser = analyser_key(synonyms)
        stored = read_pickle(path, _StoredAnalyses)
        earlier = stored.analyses if stored is not None and stored.analyser == analyser \
            else {}
        return cls(path, analyser, earlier)

    def save(self, analyses: dict[str, Analysis]) -> None:
        """Keep this run's ``analyses`` (by text), when they are not of the texts found."""
        if self.path is not None and analyses.keys() != self.earlier.keys():
            write_pickle(self.path, _StoredAnalyses(self.analyser, analyses), keep=_KEEP)


def analyser_key(synonyms: Mapping[str, Sequence[str]]) -> str:
    """A digest of everything an analysis depends on besides its text: qfill's term
    code itself (not only its version), the shipped thesaurus, the library's synonyms."""
    from qfill import terms

    digest = hashlib.sha256(f"{_version()} analyses {_ANALYSES_FORMAT}".encode())
    digest.update(Path(terms.__file__).read_bytes())
    digest.update(terms.shipped_thesaurus_digest().encode())
    digest.update(repr(sorted((str(k), [str(v) for v in values])
                              for k, values in synonyms.items())).encode("utf-8",
                                                                          "surrogatepass"))
    return digest.hexdigest()
