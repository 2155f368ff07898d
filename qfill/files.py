"""File-system rules: atomic writes and paths that must stay inside a root."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
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


@dataclass(frozen=True, slots=True)
class FileContent:
    """A file read once: its path (for messages) and the bytes every later step uses.

    Reading, matching, writing and verifying all work from ``data``, so a file replaced
    on disk during a run cannot mix into its output.
    """

    path: Path
    data: bytes = field(repr=False)


def refuse_special_output(path: Path) -> None:
    """Refuse an output path that exists and is not a regular file (a device, a pipe, a
    folder): qfill writes by renaming a new file over the old, which would replace
    ``/dev/null`` itself, not write into it."""
    try:
        info = path.stat()
    except OSError:
        return
    if stat.S_ISDIR(info.st_mode):
        raise OutputError(f"{path}: is a directory; give a file path")
    if not stat.S_ISREG(info.st_mode):
        raise OutputError(f"{path}: is not a regular file (a device, pipe or socket); "
                          "give the path of a file to write")


@dataclass(slots=True)
class _Staged:
    path: Path
    temp: Path
    replace: bool


class OutputSet:
    """The files one command writes: all of them appear, or none changes.

    Use as a context manager. Each output is first written in full to a temporary file
    beside its destination (:meth:`stage`); :meth:`commit` moves them into place one after
    another. If the ``with`` block then fails, or is interrupted, at any point (during the
    commit, or in checks made after it), every output already moved is put back as it was:
    the previous file restored, a new one removed. Temporary files never outlive the block.
    An output that must not exist yet (``replace=False``) is created with a hard link,
    which fails if the name was taken in the meantime: there is no window between the
    check and the write for a second run to slip into.
    """

    def __init__(self) -> None:
        self._staged: list[_Staged] = []
        self._done: list[tuple[_Staged, Path | None]] = []  # committed, and what it replaced

    def __enter__(self) -> OutputSet:
        return self

    def __exit__(self, exc_type: object, _exc: object, _tb: object) -> None:
        if exc_type is not None:
            self._undo()
        for _item, backup in self._done:
            if backup is not None:
                with contextlib.suppress(OSError):
                    backup.unlink()
        self._done.clear()
        for item in self._staged:
            with contextlib.suppress(OSError):
                item.temp.unlink()
        self._staged.clear()

    def stage(self, path: Path, data: bytes | str, *, replace: bool) -> Path:
        """Write ``data`` (str as UTF-8) to a temporary file for ``path``; return its path."""
        payload = data.encode("utf-8") if isinstance(data, str) else data
        refuse_special_output(path)
        folder = path.parent if str(path.parent) else Path(".")
        if not folder.is_dir():
            raise OutputError(f"{path}: folder {folder} does not exist; create it or choose "
                              "another path")
        try:
            fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=folder)
        except OSError as e:
            raise OutputError(f"{path}: cannot write here ({e.strerror}); choose another "
                              "path") from e
        temp = Path(name)
        self._staged.append(_Staged(path, temp, replace))
        try:
            umask = os.umask(0)
            os.umask(umask)
            os.fchmod(fd, 0o666 & ~umask)
            with os.fdopen(fd, "wb") as handle:
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as e:
            raise OutputError(f"{path}: cannot write ({e.strerror}); check the disk and "
                              "folder") from e
        return temp

    def commit(self) -> None:
        """Move every staged file into place (undone if the block fails; see the class)."""
        while self._staged:
            item = self._staged[0]
            backup = _move_into_place(item)
            self._staged.pop(0)
            self._done.append((item, backup))

    def _undo(self) -> None:
        for item, backup in reversed(self._done):
            with contextlib.suppress(OSError):
                if backup is not None:
                    os.replace(backup, item.path)
                else:
                    item.path.unlink()
        self._done.clear()


def _move_into_place(item: _Staged) -> Path | None:
    """Put ``item`` at its path; return where the file it replaced was kept, if any."""
    path = item.path
    if not item.replace:
        try:
            os.link(item.temp, path)
        except FileExistsError:
            raise OutputError(f"{path}: already exists; pass --force to overwrite it") from None
        except OSError as e:
            if e.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK,
                               errno.ENOSYS):
                raise OutputError(f"{path}: cannot write ({e.strerror})") from e
            _claim(path)  # no hard links here: claim the name exclusively, then fill it
            os.replace(item.temp, path)
            return None
        with contextlib.suppress(OSError):
            item.temp.unlink()
        return None
    refuse_special_output(path)
    backup: Path | None = None
    if os.path.lexists(path):
        backup = _keep_aside(path)
    try:
        os.replace(item.temp, path)
    except OSError as e:
        if backup is not None:
            os.replace(backup, path)
        raise OutputError(f"{path}: cannot write ({e.strerror})") from e
    return backup


def _claim(path: Path) -> None:
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
    except FileExistsError:
        raise OutputError(f"{path}: already exists; pass --force to overwrite it") from None


def _keep_aside(path: Path) -> Path:
    """A second name for the file at ``path`` (a hard link), so it can be put back."""
    for _ in range(100):
        backup = path.with_name(f".{path.name}.{os.urandom(4).hex()}.old")
        try:
            os.link(path, backup, follow_symlinks=False)
            return backup
        except FileExistsError:
            continue
        except OSError:
            os.replace(path, backup)  # no hard links here: move it aside instead
            return backup
    raise OutputError(f"{path}: cannot keep the existing file aside; check the folder")


def check_outputs(questionnaire: Path, outputs: list[Path], *, force: bool) -> None:
    """Refuse, before any work, an output that is the input, two outputs on one path, an
    output in a folder that does not exist, a special file, or an existing file without
    ``force``. (The same is checked again, atomically, when the outputs are written.)"""
    seen: dict[Path, Path] = {}
    source = questionnaire.resolve()
    for path in outputs:
        target = path.resolve()
        if target == source or (path.exists() and source.exists()
                                and path.samefile(questionnaire)):
            raise OutputError(f"{path}: is the questionnaire itself; qfill never modifies "
                              "its input, choose another --out/--report path")
        if target in seen:
            raise OutputError(f"{path}: given for two outputs; choose distinct paths")
        seen[target] = path
        refuse_special_output(path)
        folder = path.parent if str(path.parent) else Path(".")
        if not folder.is_dir():
            raise OutputError(f"{path}: folder {folder} does not exist; create it or choose "
                              "another path")
        if path.exists() and not force:
            raise OutputError(f"{path}: already exists; pass --force to overwrite it")
