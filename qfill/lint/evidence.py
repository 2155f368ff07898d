"""Rules about cited evidence: files that exist inside evidence/, valid URLs, expiry."""

from __future__ import annotations

import difflib
import os
import posixpath
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

from qfill.library import EVIDENCE_FOLDER, Answer, Evidence, resolve_evidence
from qfill.lint.registry import LintContext, Problem, rule
from qfill.schema import HTTPS_URL_PATTERN

_HTTPS_URL = re.compile(HTTPS_URL_PATTERN)
_LOOKS_LIKE_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:/|^www\.", re.IGNORECASE)


def _items(ctx: LintContext) -> Iterator[tuple[Answer, Evidence]]:
    for answer in ctx.library.answers:
        for item in answer.evidence:
            yield answer, item


def _problem(answer: Answer, item: Evidence, message: str) -> Problem:
    return Problem(answer.source, item.line or answer.line, item.column or answer.column,
                   message, answer.id)


def url_problem(url: str) -> str | None:
    """Why ``url`` is not a usable https evidence link, or None if it is."""
    if _HTTPS_URL.match(url):
        return None
    if any(ch.isspace() for ch in url):
        return "contains spaces; encode them as %20"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:
        return "is not a valid URL; check the host and port"
    if parts.scheme.lower() == "http":
        return "uses http; customers need an https link"
    if parts.scheme.lower() != "https":
        return "is not an https URL"
    if parts.username is not None or parts.password is not None:
        return "carries a user name or password; remove them from the link"
    return "has no valid host name; write it as https://host.example/path"


class _Resolver:
    """Resolves each distinct evidence path once (libraries cite the same policy often)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.folder = (root / EVIDENCE_FOLDER).resolve()
        self._cache: dict[str, tuple[str, str] | None] = {}
        self._files: list[str] | None = None

    def check(self, path: str) -> tuple[str, str] | None:
        """``(rule, message)`` for a path that is not an existing file under evidence/."""
        if path not in self._cache:
            self._cache[path] = self._check(path)
        return self._cache[path]

    def _check(self, path: str) -> tuple[str, str] | None:
        if _LOOKS_LIKE_URL.match(path):
            return "invalid-url", f"evidence '{path}' {url_problem(path) or 'is not a URL'}"
        resolved = resolve_evidence(self.root, path)
        if resolved is None:
            return "evidence-outside-root", f"evidence path '{path}' {self._escape(path)}"
        if resolved.is_file():
            return None
        if resolved.is_dir():
            return "evidence-missing", (f"evidence path '{path}' is a folder; cite the "
                                        "files in it one by one")
        hint = self._nearest(path)
        tip = f"; did you mean '{hint}'?" if hint else "; add the file or fix the path"
        return "evidence-missing", f"evidence file '{path}' does not exist{tip}"

    def _escape(self, path: str) -> str:
        if os.path.isabs(path) or path.startswith(("/", "\\")) or path[1:2] == ":":
            return ("is absolute; give it relative to the library root, e.g. "
                    "evidence/policies/name.pdf")
        if "\\" in path:
            return ("uses backslashes; write evidence paths with forward slashes, e.g. "
                    "evidence/policies/name.pdf")
        lexical = posixpath.normpath(path)
        if lexical == EVIDENCE_FOLDER or lexical.startswith(EVIDENCE_FOLDER + "/"):
            return ("leads outside evidence/ through a symbolic link; copy the file into "
                    "evidence/ instead of linking to it")
        return ("is outside evidence/; keep cited files under evidence/ and give paths "
                "from the library root, e.g. evidence/policies/name.pdf")

    def _nearest(self, path: str) -> str | None:
        if self._files is None:
            base = self.root / EVIDENCE_FOLDER
            self._files = sorted(p.relative_to(self.root).as_posix()
                                 for p in base.rglob("*") if p.is_file()) if base.is_dir() else []
        found = difflib.get_close_matches(path, self._files, n=1, cutoff=0.8)
        return found[0] if found else None


def _path_problems(ctx: LintContext, wanted: str) -> Iterable[Problem]:
    resolver = ctx.cache.get("evidence-resolver")
    if not isinstance(resolver, _Resolver):
        resolver = _Resolver(ctx.root)
        ctx.cache["evidence-resolver"] = resolver
    for answer, item in _items(ctx):
        if item.path is None:
            continue
        found = resolver.check(item.path)
        if found is not None and found[0] == wanted:
            yield _problem(answer, item, found[1])


@rule("evidence-missing")
def evidence_missing(ctx: LintContext) -> Iterable[Problem]:
    """A local evidence path that names no file under ``evidence/``.

    Paths are relative to the library root (``evidence/policies/x.pdf``). A renamed or
    deleted file would leave customers with a reference to nothing. The message suggests
    the nearest existing file when there is one.

    PASS::

        answers:
          - id: access-policy
            question: Do you have an access control policy?
            answer: Yes, approved yearly by the CISO.
            evidence:
              - evidence/policies/access-control-policy.md

    FAIL::

        answers:
          - id: access-policy
            question: Do you have an access control policy?
            answer: Yes, approved yearly by the CISO.
            evidence:
              - evidence/policies/access-policy-v2.md
    """
    return _path_problems(ctx, "evidence-missing")


@rule("evidence-outside-root")
def evidence_outside_root(ctx: LintContext) -> Iterable[Problem]:
    """A local evidence path that leads outside ``evidence/``: an absolute path, ``..``
    segments, or a symbolic link whose target is elsewhere.

    Evidence is what qfill may cite and attach; a path out of the folder could point at
    secrets or at files nobody reviews as evidence. The check runs on the fully resolved
    path, so links are followed.

    PASS::

        answers:
          - id: access-policy
            question: Do you have an access control policy?
            answer: Yes, approved yearly by the CISO.
            evidence:
              - evidence/policies/access-control-policy.md

    FAIL::

        answers:
          - id: access-policy
            question: Do you have an access control policy?
            answer: Yes, approved yearly by the CISO.
            evidence:
              - evidence/../qfill.yaml
    """
    return _path_problems(ctx, "evidence-outside-root")


@rule("invalid-url")
def invalid_url(ctx: LintContext) -> Iterable[Problem]:
    """An evidence link that is not a well-formed https URL.

    Customers open these links; ``http://``, a missing host, spaces, or a user name and
    password in the link are all mistakes (the last one a leak).

    PASS::

        answers:
          - id: trust-center
            question: Do you publish your certifications?
            answer: Yes, on our trust center.
            evidence:
              - https://trust.example.com/certifications

    FAIL::

        answers:
          - id: trust-center
            question: Do you publish your certifications?
            answer: Yes, on our trust center.
            evidence:
              - http://trust.example.com/certifications
    """
    resolver = ctx.cache.get("evidence-resolver")
    if not isinstance(resolver, _Resolver):
        resolver = _Resolver(ctx.root)
        ctx.cache["evidence-resolver"] = resolver
    for answer, item in _items(ctx):
        if item.url is not None:
            problem = url_problem(item.url)
            if problem is not None:
                yield _problem(answer, item, f"evidence URL '{item.url}' {problem}")
        elif item.path is not None:
            found = resolver.check(item.path)
            if found is not None and found[0] == "invalid-url":
                yield _problem(answer, item, found[1])


@rule("evidence-expired")
def evidence_expired(ctx: LintContext) -> Iterable[Problem]:
    """Evidence whose ``valid_until`` date has passed.

    Certificates and audit reports expire; citing an expired SOC 2 report in a
    questionnaire is a finding against you. Replace the document with the current one
    and update ``valid_until`` (and the answer, if the scope changed).

    PASS::

        answers:
          - id: soc2
            question: Do you have a SOC 2 Type II report?
            answer: Yes, available under NDA.
            evidence:
              - path: evidence/reports/soc2-2026.pdf
                valid_until: 2027-09-30

    FAIL::

        answers:
          - id: soc2
            question: Do you have a SOC 2 Type II report?
            answer: Yes, available under NDA.
            evidence:
              - path: evidence/reports/soc2-2026.pdf
                valid_until: 2026-09-30
    """
    for answer, item in _items(ctx):
        if item.expired(ctx.today):
            assert item.valid_until is not None
            name = item.title or item.path or item.url or "evidence"
            yield _problem(answer, item, f"evidence '{name}' expired on "
                           f"{item.valid_until.isoformat()}; cite the current document "
                           "and update valid_until")
