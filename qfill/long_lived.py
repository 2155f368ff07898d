"""Keeping what a run loaded once (the library, its index, the questionnaire) out of the
garbage collector's walks.

Those objects stay alive and unchanged for the whole run, yet each full collection of the
cyclic garbage collector visits every one of them again: at 2,000 rows and 5,000 entries
that was a tenth of ``qfill answer``'s CPU, for nothing to collect. Frozen objects
(:func:`gc.freeze`) are still freed by reference counting; only a cycle among them waits
until the block ends, when they are handed back to the collector.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")

_depth = 0  # blocks open, in any thread: only the last to end hands the objects back
_counting = threading.Lock()


@contextmanager
def long_lived() -> Iterator[None]:
    """While the block runs, the objects alive at its start are not walked by the
    collector. Blocks nest: an inner one also sets aside what was made since the outer one
    began (an index loaded in between), and only the outermost one's end gives them all
    back. Forked processes gain too: a child's collections no longer write to every page
    of the heap it shares with its parent."""
    global _depth
    with _counting:
        gc.freeze()
        _depth += 1
    try:
        yield
    finally:
        with _counting:
            _depth -= 1
            if _depth == 0:
                gc.unfreeze()


@contextmanager
def long_lived_result(build: Callable[[], T]) -> Iterator[T]:
    """``build()``, made with the collector paused, then set aside with everything alive as
    by :func:`long_lived` until the block ends. Set aside before the collector resumes:
    otherwise its first pass would walk every object just made (an index unpickled makes
    hundreds of thousands, and no cycles)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        value = build()
        with long_lived():
            if enabled:
                gc.enable()
            yield value
    finally:
        if enabled:
            gc.enable()
