"""Matching a large questionnaire on every core, in forked copies of the process.

Each row is matched on its own: by then the library, its index and the settings are only
read. So the rows are cut into chunks that forked workers match side by side, and the
results come back in row order, the same as one process gives (the caches a worker fills
are deterministic). Forking is used only where it is safe and pays: on a platform that
forks, in a process running a single thread (forking a threaded process can deadlock it),
and for enough rows to cover starting the workers. ``QFILL_WORKERS`` sets how many
processes may match (``1``: never fork); by default, the cores this process may use.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import selectors
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO, TypeVar

from qfill.errors import WorkerError
from qfill.long_lived import long_lived

T = TypeVar("T")

MIN_ROWS = 1000  # fewer rows are matched in this process: workers would not pay
_ROWS_PER_WORKER = 500  # no more workers than this many rows each
_MAX_WORKERS = 8
ENVIRONMENT = "QFILL_WORKERS"


def worker_count(rows: int, environ: dict[str, str] | None = None) -> int:
    """How many processes should match ``rows`` rows here (1: this process alone)."""
    environ = dict(os.environ) if environ is None else environ
    wanted = environ.get(ENVIRONMENT, "").strip()
    if wanted.isdigit() and int(wanted) >= 1:
        limit = int(wanted)
    else:
        affinity = getattr(os, "sched_getaffinity", None)
        limit = len(affinity(0)) if affinity is not None else (os.cpu_count() or 1)
    limit = min(limit, _MAX_WORKERS, rows // _ROWS_PER_WORKER)
    if limit < 2 or rows < MIN_ROWS or not _can_fork():
        return 1
    return limit


def _can_fork() -> bool:
    # Linux only: macOS's system libraries are not safe to use after fork, and Windows has
    # none. One thread only: a lock another thread holds would stay held in the child.
    return sys.platform.startswith("linux") and hasattr(os, "fork") and \
        threading.active_count() == 1


def map_chunks(task: Callable[[int, int], list[T]], total: int, *, chunk: int,
               workers: int = 1, progress: Callable[[int], None] | None = None) -> list[T]:
    """``task(start, stop)`` over ``range(total)`` cut into chunks, the results joined in
    order; ``progress`` gets the count done after each chunk. With ``workers`` > 1 the
    chunks run in that many forked processes."""
    spans = [(start, min(start + chunk, total)) for start in range(0, total, chunk)]
    result: list[T] = []
    for part in _run(task, spans, workers):
        result.extend(part)
        if progress is not None:
            progress(len(result))
    return result


def _run(task: Callable[[int, int], list[T]], spans: list[tuple[int, int]],
         workers: int) -> Iterator[list[T]]:
    # The library and its index are only read while rows are matched: out of the
    # collector's walks, here and in each forked worker.
    with long_lived():
        if workers <= 1 or len(spans) < 2:
            for start, stop in spans:
                yield task(start, stop)
        else:
            yield from _run_forked(task, spans, workers)


def _run_forked(task: Callable[[int, int], list[T]], spans: list[tuple[int, int]],
                workers: int) -> Iterator[list[T]]:
    pool = _Workers()
    try:
        for worker in range(min(workers, len(spans))):
            pool.start(task, spans, worker, workers)
        found: dict[int, object] = {}
        for index in range(len(spans)):
            while index not in found:
                found.update(pool.receive())
            result = found.pop(index)
            if isinstance(result, _Failed):  # as it would have failed in this process
                raise result.error
            yield result  # type: ignore[misc]
    finally:
        pool.stop()


# ^C and SIGTERM are the parent's to handle: it stops the workers and cleans up.
_STOPPING = {signal.SIGINT, signal.SIGTERM}


class _Workers:
    """Forked workers, each matching every ``workers``-th span and sending each result down
    its own pipe as a length and a pickle; stopped and reaped whatever happens."""

    def __init__(self) -> None:
        self.selector = selectors.DefaultSelector()
        self.pids: dict[int, int] = {}  # read end -> worker's pid
        self.pending: dict[int, bytearray] = {}

    def start(self, task: Callable[[int, int], list[T]], spans: list[tuple[int, int]],
              worker: int, workers: int) -> None:
        read, write = os.pipe()
        # ^C and SIGTERM wait until the worker is recorded (to be stopped), and until the
        # worker has made them the parent's alone.
        signal.pthread_sigmask(signal.SIG_BLOCK, _STOPPING)
        try:
            pid = os.fork()
            if pid == 0:  # the worker: never returns
                code = 1
                try:
                    os.close(read)
                    for other in self.pids:
                        os.close(other)
                    signal.signal(signal.SIGINT, signal.SIG_IGN)
                    signal.signal(signal.SIGTERM, signal.SIG_DFL)
                    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOPPING)
                    with os.fdopen(write, "wb") as out:
                        code = _work(task, spans, range(worker, len(spans), workers), out)
                finally:
                    os._exit(code)
            os.close(write)
            self.pids[read] = pid
            self.pending[read] = bytearray()
            self.selector.register(read, selectors.EVENT_READ)
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOPPING)

    def receive(self) -> dict[int, object]:
        """The results that arrived since last asked (waiting for at least one)."""
        found: dict[int, object] = {}
        while not found:
            if not self.pids:
                raise WorkerError("matching workers stopped without their results; run "
                                  f"again with {ENVIRONMENT}=1 to match in one process")
            for key, _ in self.selector.select():
                fd = int(key.fd)
                chunk = os.read(fd, 1 << 20)
                buffer = self.pending[fd]
                if not chunk:
                    self._ended(fd, complete=not buffer)
                    continue
                buffer += chunk
                while len(buffer) >= 8 and len(buffer) >= 8 + int.from_bytes(buffer[:8],
                                                                             "little"):
                    size = int.from_bytes(buffer[:8], "little")
                    index, result = pickle.loads(bytes(buffer[8:8 + size]))
                    del buffer[:8 + size]
                    found[index] = result
        return found

    def _ended(self, fd: int, *, complete: bool) -> None:
        self.selector.unregister(fd)
        os.close(fd)
        pid = self.pids.pop(fd)
        _, status = os.waitpid(pid, 0)
        if not complete or not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
            how = (f"signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status)
                   else f"exit code {os.WEXITSTATUS(status)}")
            raise WorkerError(f"a matching worker (process {pid}) stopped with {how}; run "
                              f"again with {ENVIRONMENT}=1 to match in one process")

    def stop(self) -> None:
        """Kill the workers still running (^C, an error) and reap every one."""
        for fd, pid in list(self.pids.items()):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
            os.close(fd)
        self.pids.clear()
        self.selector.close()


def _work(task: Callable[[int, int], list[T]], spans: list[tuple[int, int]],
          indexes: range, out: BinaryIO) -> int:
    """In a worker: each span's result down the pipe; an exception is sent instead, for
    the parent to raise."""
    for index in indexes:
        try:
            result = task(*spans[index])
        except Exception as error:  # raised again in the parent, in its turn
            try:
                _send(out, (index, _Failed(error)))
            except Exception:  # one that cannot be pickled
                _send(out, (index, _Failed(RuntimeError(f"{type(error).__name__}: {error}"))))
            return 0  # told: the parent raises it when it comes to that span
        _send(out, (index, result))
    return 0


@dataclass(frozen=True, slots=True)
class _Failed:
    """A span whose task raised ``error`` in a worker."""

    error: Exception


def _send(out: BinaryIO, message: tuple[int, object]) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    out.write(len(data).to_bytes(8, "little") + data)
