"""Answer files as checked, kept between runs by their content.

Reading a library parses every YAML file and checks every entry (0.4 s at 5,000
entries), although between two questionnaires the files rarely change. What a file
yields, its entries and findings, depends only on its name, its bytes and qfill's
version, so it is kept in the cache folder (:func:`qfill.disk_cache.cache_folder`) under
a digest of those: an unchanged file is taken from there, a changed one read afresh.
One pickle per library folder holds the files of its last reading; like every cache file
it is loaded only if this user alone may write it, and a cache that cannot be read or
written only costs time.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

from qfill import __version__
from qfill.disk_cache import read_pickle, write_pickle
from qfill.findings import Finding

_FORMAT = 1  # bump when Answer, Evidence or Finding change shape
_KEEP = 16  # libraries remembered, most recently used first

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
        if cache is None:
            return cls(None, {})
        try:
            where = str(root.resolve())
        except OSError:
            return cls(None, {})
        name = hashlib.sha256(where.encode("utf-8", "surrogatepass")).hexdigest()
        path = cache / "answer-files" / f"{name}.pickle"
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


def _version() -> str:
    return f"qfill {__version__} answer files {_FORMAT}"


def _key(name: str, data: bytes) -> str:
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass"))
    digest.update(b"\0")
    digest.update(data)
    return digest.hexdigest()
