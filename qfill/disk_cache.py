"""Where qfill keeps what it can compute again (sentence vectors, documents as read), and
how a cache file is opened.

A cache only saves time: a folder that cannot be written (a read-only home, a full disk)
means no caching, never a failed run.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path


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
