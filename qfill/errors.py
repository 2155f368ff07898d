"""The errors a user can act on, and the exit codes they map to.

Every message is finished where it is raised: ``str(error)`` is one line of the form
``<where>: <what>; <what to do>``. The CLI prints it after ``qfill: error:`` and exits
with the class's code. Nothing here imports from the rest of qfill.
"""

from __future__ import annotations

from enum import IntEnum
from typing import ClassVar


class ExitCode(IntEnum):
    OK = 0
    PROBLEMS = 1  # lint errors; answer --fail-on-review with rows left; a failed output check
    UNUSABLE = 2  # bad usage, unreadable input, bad library, bad revision
    INTERNAL = 3  # a bug in qfill (an addition to the contract)
    INTERRUPTED = 130  # ^C


class QfillError(Exception):
    """An error the user can act on; ``str(e)`` is the complete one-line message."""

    exit_code: ClassVar[ExitCode] = ExitCode.UNUSABLE

    def __init__(self, message: str) -> None:
        # One line, always: a message built from untrusted text must not spill.
        super().__init__(" ".join(message.split()))

    def __str__(self) -> str:
        return str(self.args[0])


class InputError(QfillError):
    """The questionnaire is missing, unreadable, encrypted, legacy or hostile."""


class LibraryError(QfillError):
    """The answer library is missing or has error-level problems."""


class SettingsError(QfillError):
    """``qfill.yaml`` is invalid."""


class RevisionError(QfillError):
    """Not a git repository, or a revision that is not in the clone."""


class OutputError(QfillError):
    """An output cannot be written where it was asked for."""


class UsageError(QfillError):
    """Options that contradict each other or name things that do not exist."""


class OutputCheckError(QfillError):
    """The output check failed: the written file does not hold exactly what was planned;
    nothing was kept."""

    exit_code: ClassVar[ExitCode] = ExitCode.PROBLEMS


class WorkerError(QfillError):
    """A forked matching worker stopped before it finished (killed, out of memory)."""

    exit_code: ClassVar[ExitCode] = ExitCode.INTERNAL
