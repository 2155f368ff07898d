"""Expensive test inputs built once per test run, however many processes run the tests.

With pytest-xdist each worker is its own process with its own session fixtures, so a
session fixture that answers a real questionnaire or builds a zip bomb would do it once per
worker. :func:`built_once` puts the result in a folder under the run's temporary root,
which every worker shares: the first worker to ask builds it while holding a file lock, the
others wait for the lock and read what it built. Without xdist it is a plain cache folder.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from filelock import FileLock

_DONE = ".built"


def run_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The temporary folder of the whole run: xdist gives each worker a folder of its own
    (``popen-gw0``, ...) inside it."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def built_once(tmp_path_factory: pytest.TempPathFactory, name: str,
               build: Callable[[Path], None]) -> Path:
    """The folder ``name`` as ``build(folder)`` left it, built by one process of the run.

    A build that raised leaves no mark, so the next process to ask builds it again (and
    fails in its own test the same way) instead of reading half a result.
    """
    folder = run_root(tmp_path_factory) / "built-once" / name
    folder.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(folder.with_name(f"{name}.lock")):
        if not (folder / _DONE).exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            build(folder)
            (folder / _DONE).touch()
    return folder
