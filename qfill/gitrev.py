"""Read the answer files of a library at a git revision, straight from git objects.

``qfill diff`` runs in pull-request CI, often in a shallow clone, and must never touch the
checkout: files come from ``git ls-tree`` and one ``git cat-file --batch`` process, and the
working tree is read from disk. Git runs with argv lists (never a shell), a scrubbed
environment (a ``GIT_DIR`` left over from a hook must not redirect it), no pager, no
prompts, and a timeout. Every failure is a :class:`RevisionError` naming the fix.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from qfill.errors import LibraryError, RevisionError, UsageError
from qfill.findings import Finding
from qfill.library import (
    is_answer_name,
    list_answer_files,
    read_answer_file,
    relative_name,
)
from qfill.yamlsource import MAX_BYTES

WORKING_TREE = "working tree"
GIT_TIMEOUT_SECONDS = 300

# Variables that only say how to reach or authenticate to a remote, or which config files
# to read, are kept (pre-commit's no_git_env keeps the same kind); every other GIT_* is
# dropped, because GIT_DIR, GIT_WORK_TREE, GIT_INDEX_FILE... would read another repository.
_KEPT_GIT_VARIABLES = re.compile(
    r"GIT_(EXEC_PATH|SSH|SSH_COMMAND|SSH_VARIANT|SSL_CAINFO|SSL_CAPATH|SSL_NO_VERIFY|"
    r"ASKPASS|ALLOW_PROTOCOL|HTTP_PROXY_AUTHMETHOD|PROXY_COMMAND|CEILING_DIRECTORIES|"
    r"CONFIG_GLOBAL|CONFIG_SYSTEM|CONFIG_NOSYSTEM|CONFIG_COUNT|CONFIG_KEY_\d+|"
    r"CONFIG_VALUE_\d+)"
)


@dataclass(frozen=True, slots=True)
class Revision:
    """One side of a comparison: what the user asked for and the commit it resolved to.

    ``commit`` is None for the working tree (files on disk).
    """

    name: str
    commit: str | None = None

    @property
    def is_working_tree(self) -> bool:
        return self.commit is None

    def label(self) -> str:
        """``origin/main (1a2b3c4)``, or ``working tree``."""
        if self.commit is None or self.commit.startswith(self.name):
            return self.name
        return f"{self.name} ({self.commit[:7]})"


@dataclass(frozen=True, slots=True)
class LibraryFile:
    """One answer file's bytes; ``path`` is relative to the library root (``answers/x.yaml``)."""

    path: str
    data: bytes


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The answer files of a library at one revision.

    ``exists`` is False when the library had no ``answers/`` folder there, which a
    comparison treats as an empty library (everything at the other side is an addition).
    """

    revision: Revision
    files: tuple[LibraryFile, ...]
    exists: bool


def git_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment git runs in: ``environ`` without repository-redirecting GIT_*."""
    env = {k: v for k, v in environ.items()
           if not k.startswith("GIT_") or _KEPT_GIT_VARIABLES.fullmatch(k)}
    env.update({"LC_ALL": "C", "LANGUAGE": "C", "GIT_TERMINAL_PROMPT": "0",
                "GIT_OPTIONAL_LOCKS": "0", "GIT_PAGER": "cat", "PAGER": "cat"})
    return env


@dataclass(frozen=True, slots=True)
class GitResult:
    returncode: int
    stdout: bytes
    stderr: str


class Git:
    """Runs git in one folder: argv lists, a scrubbed environment, a timeout."""

    def __init__(self, folder: Path, environ: Mapping[str, str]) -> None:
        self.folder = folder
        self.env = git_environment(environ)

    def run(self, *args: str, input: bytes | None = None) -> GitResult:
        argv = ["git", "--no-pager", "--literal-pathspecs", "-c", "core.quotepath=off",
                "-C", str(self.folder), *args]
        try:
            done = subprocess.run(argv, input=input, capture_output=True, env=self.env,
                                  timeout=GIT_TIMEOUT_SECONDS, check=False,
                                  stdin=None if input is not None else subprocess.DEVNULL)
        except FileNotFoundError:
            raise RevisionError("git: not found on PATH; install git to compare "
                                "revisions") from None
        except subprocess.TimeoutExpired:
            raise RevisionError(f"git {args[0]}: no answer after {GIT_TIMEOUT_SECONDS} s; "
                                "check the repository (git fsck)") from None
        except OSError as e:
            raise RevisionError(f"git: cannot run ({e.strerror}); check the git "
                                "installation") from None
        stderr = done.stderr.decode("utf-8", "replace").strip()
        return GitResult(done.returncode, done.stdout, stderr)

    def text(self, *args: str) -> str | None:
        """stdout of a successful command as stripped text, or None if git failed."""
        result = self.run(*args)
        if result.returncode != 0:
            return None
        return result.stdout.decode("utf-8", "replace").strip()


def _first_line(message: str) -> str:
    lines = [line for line in message.splitlines() if line.strip()]
    return lines[0].removeprefix("fatal: ").removeprefix("error: ") if lines else "failed"


class LibraryRepository:
    """A library folder inside a git work tree: where it is and how to read it.

    The library may be a sub-folder of the repository; ``prefix`` is its path from the
    top (``""`` at the top, else ``"sub/dir"``), so ``<prefix>/answers`` is what is read.
    """

    def __init__(self, library: Path, environ: Mapping[str, str]) -> None:
        if not library.is_dir():
            raise RevisionError(f"{library}: library folder not found; pass --library DIR")
        self.library = library
        self.git = Git(library, environ)
        result = self.git.run("rev-parse", "--show-toplevel", "--show-prefix")
        if result.returncode != 0:
            reason = _first_line(result.stderr)
            if "not a git repository" in reason:
                raise RevisionError(f"{library}: not inside a git repository; qfill diff "
                                    "compares git revisions, run it in a clone of the library")
            if "dubious ownership" in reason:
                # Common in CI containers, where the checkout belongs to another user.
                top = reason.partition(" at ")[2].strip("'") or str(library)
                raise RevisionError(f"{library}: git refuses a repository owned by another "
                                    "user; trust it: git config --global --add "
                                    f"safe.directory {top}")
            raise RevisionError(f"{library}: git cannot read this repository ({reason}); "
                                "fix the clone or run `git status` there")
        lines = result.stdout.decode("utf-8", "surrogateescape").split("\n")
        self.top = Path(lines[0])
        self.prefix = lines[1].strip("/") if len(lines) > 1 else ""

    @property
    def answers_folder(self) -> str:
        """``<prefix>/answers``: the tree read at each revision, from the repository top."""
        return f"{self.prefix}/answers" if self.prefix else "answers"

    # ------------------------------------------------------------------ revisions

    def resolve(self, base: str | None, head: str | None) -> tuple[Revision, Revision]:
        """Turn ``qfill diff [BASE] [HEAD]`` into the two sides to compare.

        BASE defaults to HEAD and HEAD to the working tree. ``A...B`` (one argument)
        compares the merge base of A and B with B, as a pull request shows it; ``A..B``
        compares A with B. An empty side of ``..``/``...`` means HEAD, as in git.
        """
        spec = "HEAD" if base is None else base
        for separator in ("...", ".."):
            if separator in spec:
                if head is not None:
                    raise UsageError(f"{spec}: a range already names both sides; drop "
                                     f"the second revision {head!r}")
                left, _, right = spec.partition(separator)
                left, right = left or "HEAD", right or "HEAD"
                head_rev = Revision(right, self.commit(right))
                left_commit = self.commit(left)
                if separator == "..":
                    return Revision(left, left_commit), head_rev
                assert head_rev.commit is not None
                return Revision(spec, self.merge_base(spec, left_commit,
                                                      head_rev.commit)), head_rev
        base_rev = Revision(spec, self.commit(spec))
        if head is None:
            return base_rev, Revision(WORKING_TREE)
        return base_rev, Revision(head, self.commit(head))

    def commit(self, name: str) -> str:
        """The full commit id ``name`` resolves to; a clear error when it is not here."""
        if not name or name.startswith("-") or any(c in name for c in "\0\n\r"):
            raise UsageError(f"{name!r}: not a revision name; give a branch, tag or commit")
        found = self.git.text("rev-parse", "--verify", "--quiet", "--end-of-options",
                              f"{name}^{{commit}}")
        if found:
            return found
        raise RevisionError(self._missing_message(name))

    def merge_base(self, spec: str, left: str, right: str) -> str:
        found = self.git.text("merge-base", left, right)
        if found:
            return found.split()[0]
        if self.is_shallow():
            raise RevisionError(f"{spec}: no common ancestor in this shallow clone; fetch the "
                                "history: git fetch --unshallow (in GitHub Actions: "
                                "actions/checkout with fetch-depth: 0)")
        raise RevisionError(f"{spec}: the two revisions share no history; compare them "
                            "directly with A..B")

    def is_shallow(self) -> bool:
        return self.git.text("rev-parse", "--is-shallow-repository") == "true"

    def _missing_message(self, name: str) -> str:
        remotes = (self.git.text("remote") or "").split()
        shallow = self.is_shallow()
        fetch = _fetch_command(name, remotes, shallow=shallow)
        if shallow:
            if fetch:
                return (f"{name}: revision not in this clone (shallow checkout); "
                        f"fetch it: {fetch}")
            return (f"{name}: revision not in this clone (shallow checkout); fetch the "
                    "history: git fetch --unshallow (in GitHub Actions: actions/checkout "
                    "with fetch-depth: 0)")
        if self.git.text("rev-parse", "--verify", "--quiet", "HEAD") is None and \
                name.startswith("HEAD"):
            return f"{name}: the repository has no commits yet; commit the library first"
        if fetch:
            return f"{name}: unknown revision; check the name or fetch it: {fetch}"
        return (f"{name}: unknown revision or not a commit; check the name "
                "(git branch -a, git log --oneline)")

    # ------------------------------------------------------------------ reading

    def read(self, revision: Revision) -> Snapshot:
        """The answer files at ``revision``: from git objects, or from disk for the
        working tree. Symbolic links and submodules in the tree are skipped."""
        if revision.commit is None:
            return self._read_working_tree(revision)
        listing = self.git.run("ls-tree", "-r", "-z", "-l", "--full-tree", revision.commit,
                               "--", self.answers_folder)
        if listing.returncode != 0:
            raise RevisionError(f"{revision.name}: cannot list {self.answers_folder} "
                                f"({_first_line(listing.stderr)}); check the clone")
        wanted: list[tuple[str, str]] = []  # (library-relative path, object id)
        base = f"{self.prefix}/" if self.prefix else ""
        for record in listing.stdout.split(b"\0"):
            if not record:
                continue
            meta, _, raw_path = record.partition(b"\t")
            fields = meta.split()
            if len(fields) != 4:
                continue
            mode, kind, oid, size = (f.decode("ascii", "replace") for f in fields)
            path = raw_path.decode("utf-8", "replace")
            if not path.startswith(base):
                continue
            name = path[len(base):]
            if mode == "120000" or (kind != "blob" and is_answer_name(path)):
                # What `qfill answer` and `qfill lint` refuse in a checkout must not pass
                # here unseen: a link's content is a path, not the answers it leads to.
                what = "a symbolic link" if mode == "120000" else "not a regular file"
                raise LibraryError(f"{name}: {what} at {revision.name}; answers/ holds "
                                   "regular files and folders only (run `qfill lint`)")
            if kind != "blob" or mode not in ("100644", "100755") or not is_answer_name(path):
                continue
            if int(size) > MAX_BYTES:
                raise LibraryError(f"{name}: {size} bytes at {revision.name}, over the "
                                   f"{MAX_BYTES}-byte limit for an answer file; split it")
            wanted.append((name, oid))
        blobs = self._cat_blobs([oid for _, oid in wanted], revision)
        files = tuple(LibraryFile(name, blobs[oid]) for name, oid in sorted(wanted))
        return Snapshot(revision, files, exists=bool(listing.stdout))

    def _cat_blobs(self, oids: Sequence[str], revision: Revision) -> dict[str, bytes]:
        if not oids:
            return {}
        unique = list(dict.fromkeys(oids))
        # One process for every blob; sizes were checked above, so output is bounded.
        result = self.git.run("cat-file", "--batch", input="".join(f"{o}\n" for o in unique)
                              .encode("ascii"))
        if result.returncode != 0:
            raise RevisionError(f"{revision.name}: cannot read files from git "
                                f"({_first_line(result.stderr)}); check the clone (git fsck)")
        out = result.stdout
        blobs: dict[str, bytes] = {}
        position = 0
        for oid in unique:
            end = out.find(b"\n", position)
            header = out[position:end].decode("ascii", "replace").split() if end >= 0 else []
            if len(header) != 3 or header[1] != "blob":
                raise RevisionError(f"{revision.name}: object {oid} is missing from this "
                                    "clone; fetch it again (git fetch) or run git fsck")
            size = int(header[2])
            blobs[oid] = out[end + 1:end + 1 + size]
            position = end + 1 + size + 1
        return blobs

    def _read_working_tree(self, revision: Revision) -> Snapshot:
        folder = self.library / "answers"
        listing = list_answer_files(self.library) if folder.is_dir() else None
        files: list[LibraryFile] = []
        if listing is not None and listing.refused:
            _refuse(listing.refused[0])
        for path in listing.files if listing is not None else ():
            name = relative_name(path, self.library)
            data = read_answer_file(path, name)
            if isinstance(data, Finding):
                _refuse(data)
            files.append(LibraryFile(name, data))
        return Snapshot(revision, tuple(files), exists=folder.is_dir())


def _refuse(finding: Finding) -> NoReturn:
    raise LibraryError(f"{finding.path}: {finding.message} (run `qfill lint`)")


def _fetch_command(name: str, remotes: Sequence[str], *, shallow: bool) -> str | None:
    """The fetch that brings a branch-like ``name`` into the clone, if it names one.

    ``--depth=1`` only in a clone that is shallow already: in a full clone it would
    make the history shallow.
    """
    fetch = "git fetch --no-tags --depth=1" if shallow else "git fetch --no-tags"
    if re.search(r"[~^:@{}\s\\]|^[0-9a-f]{7,40}$|^HEAD", name):
        return None  # a relative or explicit commit: only more history helps
    ref = name.removeprefix("refs/remotes/")
    for remote in sorted(remotes, key=len, reverse=True):
        if ref.startswith(f"{remote}/") and len(ref) > len(remote) + 1:
            branch = ref[len(remote) + 1:]
            # An explicit destination: a single-branch clone's refspec would only set
            # FETCH_HEAD, leaving origin/<branch> missing.
            return f"{fetch} {remote} {branch}:refs/remotes/{remote}/{branch}"
    if name.startswith("refs/"):
        return None
    only = "origin" if "origin" in remotes else (remotes[0] if len(remotes) == 1 else None)
    if only is None:
        return None
    return (f"{fetch} {only} {name}:refs/remotes/{only}/{name}, then compare with "
            f"{only}/{name}")
