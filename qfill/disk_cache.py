"""Where qfill keeps what it can compute again (sentence vectors, documents as read), and
how a cache file is opened.

A cache only saves time: a folder that cannot be written (a read-only home, a full disk)
means no caching, never a failed run.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import sqlite3
import stat
import tempfile
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def cache_folder() -> Path:
    """``$QFILL_CACHE_DIR``, else ``$XDG_CACHE_HOME/qfill``, else ``~/.cache/qfill``."""
    explicit = os.environ.get("QFILL_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "qfill"


def open_cache_db(path: Path, table: str) -> sqlite3.Connection | None:
    """The SQLite file at ``path`` with ``table`` created (``CREATE TABLE IF NOT EXISTS``
    follows), or None when it cannot be opened or written."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(str(path), timeout=10)
        db.execute(f"CREATE TABLE IF NOT EXISTS {table}")
        db.commit()
    except (OSError, sqlite3.Error):
        return None
    return db


def read_pickle(path: Path, kind: type[T]) -> T | None:
    """The ``kind`` object pickled at ``path``, or None (absent, unreadable, another shape).

    Loading a pickle runs what it says, so it is loaded only when the current user owns
    the file and no one else may write to it (the test ``ssh`` applies to keys): it must
    be one this user wrote.
    """
    try:
        with path.open("rb") as handle:
            info = os.fstat(handle.fileno())
            owner = getattr(os, "getuid", None)  # POSIX; elsewhere the folder's ACL rules
            if (owner is not None and info.st_uid != owner()) or \
                    info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
                return None
            found = pickle.load(handle)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError,
            TypeError, ValueError, IndexError):
        return None
    if not isinstance(found, kind):
        return None
    with contextlib.suppress(OSError):
        os.utime(path)  # recently used: kept when old files are pruned
    return found


def write_pickle(path: Path, value: object, *, keep: int) -> None:
    """Store ``value`` at ``path`` atomically, readable and writable by this user only,
    keeping the ``keep`` most recently used pickles of its folder; a folder that cannot
    be written means no caching."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".cache-")
        try:
            with os.fdopen(handle, "wb") as out:
                pickle.dump(value, out, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temp, path)
        finally:
            if os.path.exists(temp):
                os.unlink(temp)
        files = sorted(path.parent.glob("*.pickle"), key=lambda p: p.stat().st_mtime,
                       reverse=True)
        for old in files[keep:]:
            old.unlink(missing_ok=True)
    except OSError:
        pass
