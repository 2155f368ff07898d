"""File-system rules: atomic writes and paths that must stay inside a root."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from qfill.errors import OutputError


@contextlib.contextmanager
def atomic_output(path: Path) -> Iterator[IO[bytes]]:
    """Yield a binary file that becomes ``path`` only if the block completes.

    The data goes to a temporary file in the same folder (so the final rename is atomic
    on one file system), is flushed and fsynced, then ``os.replace``-d over ``path``.
    On any exception, including KeyboardInterrupt, the temporary file is removed and
    ``path`` is left as it was.
    """
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise OutputError(f"{path}: folder {folder} does not exist; create it or choose --out")
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=folder)
    except OSError as e:
        raise OutputError(f"{path}: cannot write here ({e.strerror}); choose another path") from e
    tmp = Path(tmp_name)
    try:
        # mkstemp creates 0600; give the output the mode any new file would get.
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def atomic_write(path: Path, data: bytes | str) -> None:
    """Write ``data`` (str as UTF-8) to ``path`` atomically; see :func:`atomic_output`."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        with atomic_output(path) as handle:
            handle.write(payload)
    except OSError as e:
        raise OutputError(f"{path}: cannot write ({e.strerror}); check the disk and folder") from e


def resolve_inside(root: Path, relative: str, *, folder: str = "") -> Path | None:
    """Return ``root/relative`` resolved, or None if it escapes ``root/folder``.

    Absolute paths, ``..`` segments and symbolic links that lead outside are all
    caught, because the check runs on the fully resolved path.
    """
    if not relative or os.path.isabs(relative) or relative.startswith(("/", "\\")):
        return None
    if len(relative) > 1 and relative[1] == ":":  # C:\... on any platform
        return None
    base = (root / folder).resolve() if folder else root.resolve()
    candidate = (root / relative).resolve()
    try:
        candidate.relative_to(base)
    except ValueError:
        return None
    return candidate
