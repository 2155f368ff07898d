"""Child processes in tests that can neither hang the run nor leak their pipes."""

from __future__ import annotations

import contextlib
import select
import subprocess
from collections.abc import Iterator
from typing import IO, Any

CHILD_TIMEOUT = 120  # seconds; generous, for a loaded machine: nothing waits this long


@contextlib.contextmanager
def child_process(args: list[str], **options: Any) -> Iterator[subprocess.Popen[str]]:
    """``Popen`` with text pipes for stdout and stderr; killed and reaped on the way out,
    whatever failed, so a child that hangs neither blocks the run nor leaves open pipes."""
    with subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          **options) as child:
        try:
            yield child
        finally:
            if child.poll() is None:
                child.kill()
                child.communicate()


def line_within(stream: IO[str] | None, seconds: float = CHILD_TIMEOUT) -> str:
    """The next line of a child's pipe, or "" when none comes in time (never blocks)."""
    assert stream is not None
    ready, _, _ = select.select([stream], [], [], seconds)
    return stream.readline().strip() if ready else ""
