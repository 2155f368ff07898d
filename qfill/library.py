"""The answer library: records, the schema of an answer file, and loading it.

The schema is data (:data:`FILE_SCHEMA`, :data:`ENTRY_SCHEMA`, :data:`EVIDENCE_SCHEMA`) so
the loader, ``qfill lint`` and ``qfill schema`` cannot disagree about what a file may hold.
:func:`check_answer_file` turns one file into entries plus structural findings; the loader
raises on the first error-level finding, lint reports them all.
"""

from __future__ import annotations

import difflib
import errno
import gc
import os
import re
import stat
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path, PurePosixPath
from typing import Any, Literal, TypeVar

from qfill.answer_file_cache import CheckedFiles
from qfill.errors import LibraryError
from qfill.files import resolve_inside
from qfill.findings import Finding, Severity
from qfill.yamlsource import MAX_BYTES, YamlProblem, YNode, parse_yaml

T = TypeVar("T")

Short = Literal["Yes", "No", "N/A"]
SHORT_VALUES: tuple[Short, ...] = ("Yes", "No", "N/A")
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")
ANSWER_SUFFIXES = (".yaml", ".yml")
EVIDENCE_FOLDER = "evidence"  # local evidence must resolve inside <root>/evidence/


def shorts_agree(short: str, said: str) -> bool:
    """Whether an entry's ``short`` and the Yes / No / N/A its answer text opens with say
    the same thing. "No" and "N/A" agree: "No" beside "Not applicable -- we run no data
    centre of our own" is the answer with its reason (the control is not in place because
    there is nothing to apply it to), as vendors fill CAIQ. Only "Yes" against "No" or
    "N/A" is a contradiction: one cell would claim a control the text denies."""
    return short == said or "Yes" not in (short, said)


@dataclass(frozen=True, slots=True)
class Evidence:
    """A document an answer cites: a path under ``evidence/`` or an https URL."""

    path: str | None = None
    url: str | None = None
    title: str | None = None
    valid_until: date | None = None
    line: int = 0
    column: int = 0

    @property
    def reference(self) -> str:
        """How the library names this item (title and where it is), for people who can
        open the library; a customer's cell gets :meth:`customer_text` instead."""
        target = self.path or self.url or ""
        return f"{self.title} ({target})" if self.title else target

    def customer_text(self, root: Path, local_note: str = "") -> str:
        """What a customer's evidence cell shows: the document's title, then its URL where
        the library gives one, or ``local_note`` ("available on request") for a local
        document. Never a path inside the library, which a customer cannot open."""
        title = self.title or (evidence_title(root, self.path) if self.path else None)
        if self.url:
            return f"{title} ({self.url})" if title else self.url
        title = title or "Supporting document"
        return f"{title} ({local_note})" if local_note else title

    def expired(self, today: date) -> bool:
        return self.valid_until is not None and self.valid_until < today


@dataclass(frozen=True, slots=True)
class Answer:
    """One approved answer. ``source`` is the file relative to the library root."""

    id: str
    question: str
    answer: str
    aliases: tuple[str, ...] = ()
    short: Short | None = None
    value: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    refs: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    owner: str | None = None
    reviewed: date | None = None
    review_every: int | None = None
    # The products this answer holds for; empty: every product (a shared answer).
    products: tuple[str, ...] = ()
    # Where a harvested draft came from (the YAML key ``source``): "file, sheet row N".
    harvested_from: tuple[str, ...] = ()
    source: str = ""
    line: int = 0
    column: int = 0

    def holds_for(self, product: str | None) -> bool:
        """Whether this answer may answer for ``product`` (None: no product chosen, so
        only shared answers hold)."""
        return not self.products or (product is not None and product in self.products)

    @property
    def phrasings(self) -> tuple[str, ...]:
        """The question and its aliases: every text a questionnaire row may match."""
        return (self.question, *self.aliases)

    def stale_since(self) -> date | None:
        """The day this answer became stale, or None if it never expires."""
        if self.reviewed is None or self.review_every is None:
            return None
        return self.reviewed + timedelta(days=self.review_every)

    def is_stale(self, today: date) -> bool:
        since = self.stale_since()
        return since is not None and since < today

    def all_refs(self) -> tuple[str, ...]:
        return tuple(ref for refs in self.refs.values() for ref in refs)


@dataclass(frozen=True, slots=True)
class Library:
    root: Path
    answers: tuple[Answer, ...]
    files: tuple[str, ...] = ()

    def by_id(self) -> dict[str, Answer]:
        return {a.id: a for a in self.answers}

    def products(self) -> tuple[str, ...]:
        """Every product some entry is bound to, sorted."""
        return tuple(sorted({p for a in self.answers for p in a.products}))

    def for_product(self, product: str | None) -> Library:
        """The entries that hold for ``product``: its own and the shared ones.

        With no product chosen, only shared entries: one product's answer (its name, its
        hosting) must never reach another product's questionnaire by default.
        """
        kept = tuple(a for a in self.answers if a.holds_for(product))
        if len(kept) == len(self.answers):
            return self
        return Library(self.root, kept, self.files)

    def __len__(self) -> int:
        return len(self.answers)


# --------------------------------------------------------------------------- schema


@dataclass(frozen=True, slots=True)
class KeySpec:
    """What one key may hold. ``kind`` names a checker in :data:`_CHECKS`."""

    kind: str
    required: bool = False
    description: str = ""


FILE_SCHEMA: dict[str, KeySpec] = {
    "answers": KeySpec("entries", required=True, description="The answers in this file."),
    "owner": KeySpec("text", description="Default owner of the entries in this file."),
    "tags": KeySpec("text-list", description="Tags added to every entry in this file."),
    "review_every": KeySpec("days", description="Default review period in days."),
    "products": KeySpec("text-list", description="Products the entries in this file hold "
                        "for, when they set none (default: every product)."),
}
ENTRY_SCHEMA: dict[str, KeySpec] = {
    "id": KeySpec("id", required=True, description="Unique id: [a-z0-9][a-z0-9-]*"),
    "question": KeySpec("text", required=True, description="The question as the library words it."),
    "aliases": KeySpec("text-list", description="Other phrasings of the same question."),
    "answer": KeySpec("text", required=True, description="The approved free-text answer."),
    "short": KeySpec("short", description='"Yes", "No" or "N/A", for yes/no columns.'),
    "value": KeySpec("text-list", description=(
        "The short value for a cell that takes neither Yes/No nor prose: the option to pick "
        "in a list of other choices (a hosting option, a tier), or a short field (a name, an "
        "email, a URL, a country). A list gives other spellings; the first the cell accepts "
        "is written.")),
    "evidence": KeySpec("evidence-list", description="Documents the answer cites."),
    "refs": KeySpec("refs", description="Question or control ids this answers, by scheme."),
    "tags": KeySpec("text-list", description="Free tags."),
    "owner": KeySpec("text", description="Who approves this answer."),
    "reviewed": KeySpec("date", description="Date of the last approval (YYYY-MM-DD)."),
    "review_every": KeySpec("days", description="Days after `reviewed` when it is stale."),
    "products": KeySpec("text-list", description="Products this answer holds for "
                        "(default: every product; `qfill answer --product` picks one)."),
    "source": KeySpec("text-list", description="Where a harvested draft came from: the "
                      "questionnaire file, sheet and row."),
}
EVIDENCE_SCHEMA: dict[str, KeySpec] = {
    "path": KeySpec("text", description="A file under evidence/, relative to the library root."),
    "url": KeySpec("text", description="An https URL."),
    "title": KeySpec("text", description="What the document is."),
    "valid_until": KeySpec("date", description="When the document expires (YYYY-MM-DD)."),
}


class _Checker:
    """Collects findings for one file while turning nodes into records."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.findings: list[Finding] = []

    def add(self, node: YNode | None, rule: str, message: str, *,
            severity: Severity = Severity.ERROR, answer_id: str | None = None,
            line: int | None = None, column: int | None = None) -> None:
        self.findings.append(Finding(
            self.path, line if line is not None else (node.line if node else 1),
            column if column is not None else (node.column if node else 1),
            rule, severity, message, answer_id))

    def keys(self, node: YNode, schema: Mapping[str, KeySpec], what: str,
             answer_id: str | None = None) -> None:
        for name, key_node in node.keys.items():
            if name not in schema:
                hint = difflib.get_close_matches(name, list(schema), n=1, cutoff=0.6)
                tip = f"; did you mean '{hint[0]}'?" if hint else \
                    f"; allowed: {', '.join(schema)}"
                self.add(key_node, "unknown-key", f"unknown key '{name}' in {what}{tip}",
                         answer_id=answer_id)
        for name, spec in schema.items():
            if spec.required and name not in node.value:
                self.add(node, "missing-key", f"{what} has no '{name}'; add it",
                         answer_id=answer_id)

    def text(self, node: YNode, name: str, answer_id: str | None = None) -> str | None:
        if node.kind == "str":
            return str(node.value)
        if node.kind in ("bool", "int", "float", "date") and node.raw is not None:
            # An unquoted `Yes` or `2026` is still meant as text; read it as written.
            return node.raw
        self.add(node, "wrong-type", f"'{name}' must be text, not a {_kind_name(node)}",
                 answer_id=answer_id)
        return None

    def text_list(self, node: YNode, name: str, answer_id: str | None) -> tuple[str, ...]:
        if node.kind == "str":
            return (str(node.value),)
        if node.kind != "seq":
            self.add(node, "wrong-type", f"'{name}' must be a list of text",
                     answer_id=answer_id)
            return ()
        items = (self.text(item, name, answer_id) for item in node.value)
        return tuple(item for item in items if item is not None)

    def day(self, node: YNode, name: str, answer_id: str | None) -> date | None:
        if node.kind == "date":
            value: date = node.value
            return value
        if node.kind == "str":
            try:
                return date.fromisoformat(str(node.value))
            except ValueError:
                pass
        self.add(node, "wrong-type", f"'{name}' must be a date YYYY-MM-DD",
                 answer_id=answer_id)
        return None

    def days(self, node: YNode, name: str, answer_id: str | None) -> int | None:
        if node.kind == "int" and isinstance(node.value, int) and node.value > 0:
            return int(node.value)
        self.add(node, "wrong-type", f"'{name}' must be a whole number of days above 0",
                 answer_id=answer_id)
        return None

    def short(self, node: YNode, answer_id: str | None) -> Short | None:
        if node.kind == "bool":
            # YAML 1.1 reads an unquoted Yes/No as a boolean; the contract reads it as text.
            value: Short = "Yes" if node.value else "No"
            self.add(node, "unquoted-short", f"short: {node.raw} is a YAML 1.1 boolean that "
                     f"qfill reads as \"{value}\"; quote it: short: \"{value}\"",
                     severity=Severity.WARNING, answer_id=answer_id)
            return value
        raw = node.value if node.kind == "str" else node.raw
        for value in SHORT_VALUES:
            if raw == value:
                return value
        self.add(node, "invalid-short", f"short must be \"Yes\", \"No\" or \"N/A\", not {raw!r}",
                 answer_id=answer_id)
        return None

    def evidence(self, node: YNode, answer_id: str | None) -> tuple[Evidence, ...]:
        items = node.value if node.kind == "seq" else [node]
        result: list[Evidence] = []
        for item in items:
            if item.kind == "str":
                value = str(item.value)
                if value.startswith(("http://", "https://")):
                    result.append(Evidence(url=value, line=item.line, column=item.column))
                else:
                    result.append(Evidence(path=value, line=item.line, column=item.column))
            elif item.kind == "map":
                self.keys(item, EVIDENCE_SCHEMA, "evidence item", answer_id)
                fields: dict[str, Any] = {}
                for key in ("path", "url", "title"):
                    sub = item.get(key)
                    if sub is not None:
                        fields[key] = self.text(sub, key, answer_id)
                sub = item.get("valid_until")
                if sub is not None:
                    fields["valid_until"] = self.day(sub, "valid_until", answer_id)
                if not fields.get("path") and not fields.get("url"):
                    self.add(item, "missing-key", "evidence item has no 'path' or 'url'; add one",
                             answer_id=answer_id)
                result.append(Evidence(line=item.line, column=item.column, **fields))
            else:
                self.add(item, "wrong-type",
                         "evidence items are paths, URLs or mappings with path/url",
                         answer_id=answer_id)
        return tuple(result)

    def refs(self, node: YNode, answer_id: str | None) -> dict[str, tuple[str, ...]]:
        if node.kind != "map":
            self.add(node, "wrong-type", "'refs' must map a scheme to a list of ids",
                     answer_id=answer_id)
            return {}
        return {scheme: self.text_list(ids, f"refs.{scheme}", answer_id)
                for scheme, ids in node.value.items()}


def _kind_name(node: YNode) -> str:
    return {"map": "mapping", "seq": "list", "null": "empty value"}.get(node.kind, node.kind)


def check_answer_file(data: bytes, path: str) -> tuple[list[Answer], list[Finding]]:
    """Read one answer file into entries and the structural findings in it.

    Entries with error-level findings are still returned where they have an id, a
    question and an answer, so that lint can run its cross-file rules on them.
    """
    checker = _Checker(path)
    try:
        document = parse_yaml(data)
    except YamlProblem as e:
        checker.add(None, e.rule, e.message, line=e.line, column=e.column)
        return [], checker.findings
    for dup in document.duplicates:
        checker.add(None, "duplicate-key",
                    f"key '{dup.key}' given twice in one mapping (first at line "
                    f"{dup.first_line}); YAML loaders keep only the last, remove one",
                    line=dup.line, column=dup.column)
    root = document.root
    if root is None or root.kind != "map":
        checker.add(root, "wrong-type", "an answer file is a mapping with an 'answers' list")
        return [], checker.findings
    checker.keys(root, FILE_SCHEMA, "answer file")
    defaults: dict[str, Any] = {}
    for key, convert in (("owner", checker.text), ("review_every", checker.days)):
        node = root.get(key)
        if node is not None:
            defaults[key] = convert(node, key, None)
    tags_node = root.get("tags")
    file_tags = checker.text_list(tags_node, "tags", None) if tags_node else ()
    products_node = root.get("products")
    if products_node is not None:
        defaults["products"] = checker.text_list(products_node, "products", None)
    entries_node = root.get("answers")
    if entries_node is None:
        return [], checker.findings
    if entries_node.kind != "seq":
        checker.add(entries_node, "wrong-type", "'answers' must be a list of entries")
        return [], checker.findings
    answers = [a for a in (_entry(checker, n, defaults, file_tags) for n in entries_node.value)
               if a is not None]
    return answers, checker.findings


_ENTRY_CONVERTERS: dict[str, Callable[[_Checker, YNode, str, str | None], Any]] = {
    "text": lambda c, n, k, a: c.text(n, k, a),
    "text-list": lambda c, n, k, a: c.text_list(n, k, a),
    "date": lambda c, n, k, a: c.day(n, k, a),
    "days": lambda c, n, k, a: c.days(n, k, a),
    "short": lambda c, n, k, a: c.short(n, a),
    "evidence-list": lambda c, n, k, a: c.evidence(n, a),
    "refs": lambda c, n, k, a: c.refs(n, a),
}


def _entry(checker: _Checker, node: YNode, defaults: Mapping[str, Any],
           file_tags: tuple[str, ...]) -> Answer | None:
    if node.kind != "map":
        checker.add(node, "wrong-type", "each item of 'answers' must be a mapping with id, "
                    "question and answer")
        return None
    answer_id: str | None = None
    id_node = node.get("id")
    if id_node is not None:
        answer_id = checker.text(id_node, "id", None)
        if answer_id is not None and not ID_PATTERN.match(answer_id):
            checker.add(id_node, "invalid-id", f"id {answer_id!r} must match [a-z0-9][a-z0-9-]*; "
                        f"try {_suggest_id(answer_id)!r}", answer_id=answer_id)
    checker.keys(node, ENTRY_SCHEMA, f"entry '{answer_id}'" if answer_id else "entry",
                 answer_id)
    fields: dict[str, Any] = {}
    for key, spec in ENTRY_SCHEMA.items():
        if key == "id":
            continue
        sub = node.get(key)
        if sub is None:
            continue
        if sub.kind == "null":
            if key == "answer":  # the commonest empty key has its own rule
                checker.add(node.keys[key], "empty-answer",
                            "'answer' is empty; write the approved answer", answer_id=answer_id)
            else:
                checker.add(sub, "wrong-type",
                            f"'{key}' is empty; give a value or remove the key",
                            answer_id=answer_id)
            continue
        value = _ENTRY_CONVERTERS[spec.kind](checker, sub, key, answer_id)
        if key == "answer" and isinstance(value, str) and not value.strip():
            checker.add(sub, "empty-answer", "'answer' is blank; write the approved answer",
                        answer_id=answer_id)
        if value is not None:
            fields[key] = value
    if not answer_id or "question" not in fields or "answer" not in fields:
        return None
    fields.setdefault("owner", defaults.get("owner"))
    fields.setdefault("review_every", defaults.get("review_every"))
    fields.setdefault("products", defaults.get("products", ()))
    if "source" in fields:
        fields["harvested_from"] = fields.pop("source")
    fields["tags"] = tuple(dict.fromkeys((*file_tags, *fields.get("tags", ()))))
    return Answer(id=answer_id, source=checker.path, line=node.line, column=node.column,
                  **fields)


def _suggest_id(value: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-") or "answer-id"


# --------------------------------------------------------------------------- loading


ANSWERS_FOLDER = "answers"


@dataclass(frozen=True, slots=True)
class AnswerFiles:
    """What ``answers/`` holds: the answer files, and what was refused instead of read.

    ``refused`` are findings (rule ``not-a-regular-file`` or ``unreadable``): a symbolic
    link, a special file, or a folder that cannot be listed. They are errors, never skipped,
    because an answer the reviewer cannot see must not reach a questionnaire.
    """

    files: tuple[Path, ...]
    refused: tuple[Finding, ...]


def is_answer_name(name: str) -> bool:
    return name.endswith(ANSWER_SUFFIXES)


def list_answer_files(root: Path) -> AnswerFiles:
    """Every answer file under ``root/answers``, sorted, and every entry refused.

    The library is what git stores and a reviewer sees: regular files in folders. Any
    symbolic link under ``answers/`` (git shows a reviewer only its target path, never the
    answers it leads to) and any special file named like an answer file is refused by
    name, never followed. A folder that cannot be listed is a finding, so lint can
    never report "0 errors" for a library it could not read.
    """
    folder = root / ANSWERS_FOLDER
    files: list[Path] = []
    refused: list[Finding] = []
    if folder.is_symlink():
        refused.append(_refusal(root, folder, "not-a-regular-file", "the answers folder is a "
                                "symbolic link; keep the answer files themselves in answers/"))
        return AnswerFiles((), tuple(refused))
    pending = [folder]
    while pending:
        current = pending.pop()
        try:
            with os.scandir(current) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as e:
            refused.append(_refusal(root, current, "unreadable", f"cannot list this folder "
                                    f"({e.strerror}); check its permissions"))
            continue
        for entry in entries:
            path = Path(entry.path)
            try:
                if entry.is_symlink():
                    refused.append(_refusal(root, path, "not-a-regular-file", _LINK_MESSAGE))
                elif entry.is_dir(follow_symlinks=False):
                    pending.append(path)
                elif is_answer_name(entry.name):
                    if entry.is_file(follow_symlinks=False):
                        files.append(path)
                    else:
                        refused.append(_refusal(root, path, "not-a-regular-file",
                                                "a special file (a pipe, socket or device), "
                                                "not an answer file; remove it"))
            except OSError as e:
                refused.append(_refusal(root, path, "unreadable",
                                        f"cannot inspect ({e.strerror})"))
    return AnswerFiles(tuple(sorted(files)), tuple(sorted(refused)))


_LINK_MESSAGE = ("a symbolic link; answers/ holds regular files and folders only (a "
                 "reviewer sees only a link's target path, never the answers it leads to); "
                 "put the file itself here")


def _refusal(root: Path, path: Path, rule: str, message: str) -> Finding:
    return Finding(relative_name(path, root), 1, 1, rule, Severity.ERROR, message)


def read_answer_file(path: Path, name: str) -> bytes | Finding:
    """The bytes of one answer file, or the finding that says why they were not read.

    The file is opened without following a link (it may have become one since it was
    listed) and its size is checked on the open handle before anything is read, so a
    huge (or sparse) file costs nothing.
    """
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError as e:
        if e.errno == errno.ELOOP:
            return Finding(name, 1, 1, "not-a-regular-file", Severity.ERROR, _LINK_MESSAGE)
        return Finding(name, 1, 1, "unreadable", Severity.ERROR,
                       f"cannot read file ({e.strerror})")
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return Finding(name, 1, 1, "not-a-regular-file", Severity.ERROR,
                           "not a regular file; remove it")
        if info.st_size > MAX_BYTES:
            return Finding(name, 1, 1, "file-too-large", Severity.ERROR,
                           f"file is {info.st_size} bytes, over the {MAX_BYTES}-byte limit")
        with os.fdopen(os.dup(fd), "rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as e:
        return Finding(name, 1, 1, "unreadable", Severity.ERROR,
                       f"cannot read file ({e.strerror})")
    finally:
        os.close(fd)
    if len(data) > MAX_BYTES:  # grew while being read
        return Finding(name, 1, 1, "file-too-large", Severity.ERROR,
                       f"file is over the {MAX_BYTES}-byte limit")
    return data


def relative_name(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


@contextmanager
def bulk_allocation() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many small acyclic objects.

    Reading a large library creates hundreds of thousands of nodes and records, none of
    them in reference cycles; the collector's repeated passes over them cost about a fifth
    of `qfill lint` on a 5,000-entry library, and free nothing.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def read_library(root: Path, *, cache: Path | None = None) -> tuple[Library, list[Finding]]:
    """Read every answer file; return the library and all structural findings.

    Cross-file problems (duplicate ids) are found here too, because a library with two
    entries of one id cannot be used to answer anything. ``cache`` is a folder that keeps
    each file's entries and findings by its content between runs
    (:mod:`qfill.answer_file_cache`).
    """
    if not root.is_dir():
        raise LibraryError(f"{root}: library folder not found; pass --library DIR")
    if not (root / "answers").is_dir():
        raise LibraryError(f"{root}: no answers/ folder here; pass --library DIR "
                           "pointing at the folder that holds answers/")
    answers: list[Answer] = []
    findings: list[Finding] = []
    files: list[str] = []
    checked: CheckedFiles[Answer] = CheckedFiles.open(cache, root)
    with bulk_allocation():
        _read_files(root, answers, findings, files, checked)
    checked.save()
    findings.extend(duplicate_id_findings(answers))
    return Library(root, tuple(answers), tuple(files)), findings


def _read_files(root: Path, answers: list[Answer], findings: list[Finding],
                files: list[str], checked: CheckedFiles[Answer]) -> None:
    listing = list_answer_files(root)
    findings.extend(listing.refused)
    for path in listing.files:
        name = relative_name(path, root)
        files.append(name)
        data = read_answer_file(path, name)
        if isinstance(data, Finding):
            findings.append(data)
            continue
        kept = checked.get(name, data)
        if kept is None:
            entries, problems = check_answer_file(data, name)
            checked.put(name, data, tuple(entries), tuple(problems))
        else:
            entries, problems = list(kept[0]), list(kept[1])
        answers.extend(entries)
        findings.extend(problems)


def duplicate_id_findings(answers: Iterable[Answer]) -> list[Finding]:
    first: dict[str, Answer] = {}
    result: list[Finding] = []
    for answer in answers:
        if answer.id in first:
            other = first[answer.id]
            result.append(Finding(answer.source, answer.line, answer.column, "duplicate-id",
                                  Severity.ERROR,
                                  f"duplicate answer id '{answer.id}' (first at "
                                  f"{other.source}:{other.line}:{other.column}); rename one",
                                  answer.id))
        else:
            first[answer.id] = answer
    return result


def load_library(root: Path, *, cache: Path | None = None) -> Library:
    """Load a library for answering; raise :class:`LibraryError` if it has errors.
    ``cache``: see :func:`read_library`."""
    library, findings = read_library(root, cache=cache)
    errors = sorted(f for f in findings if f.severity is Severity.ERROR)
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise LibraryError(f"{first.location()}: {first.message}{more}; run `qfill lint`")
    if not library.answers:
        raise LibraryError(f"{root / 'answers'}: no answers found; add YAML files with an "
                           "'answers' list")
    escaping = next(escaping_evidence(library), None)
    if escaping is not None:
        answer, item = escaping
        raise LibraryError(f"{answer.source}:{item.line}:{item.column}: evidence path "
                           f"'{item.path}' leads outside evidence/; cite a file under "
                           "evidence/ (run `qfill lint`)")
    return library


def escaping_evidence(library: Library) -> Iterator[tuple[Answer, Evidence]]:
    """Local evidence paths that leave ``evidence/`` (``..``, absolute, or a symbolic link).

    A pull request must not make qfill cite, or anything downstream open, a file outside
    the library, so answering refuses such a library outright.
    """
    inside: dict[str, bool] = {}  # a large library cites a few documents many times
    for answer in library.answers:
        for item in answer.evidence:
            if item.path is None or item.path.startswith(("http://", "https://")):
                continue
            ok = inside.get(item.path)
            if ok is None:
                ok = inside[item.path] = resolve_evidence(library.root, item.path) is not None
            if not ok:
                yield answer, item


_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(?P<title>\S.*?)\s*#*\s*$|^title:\s*(?P<meta>\S.*)$",
                      re.M | re.I)
_TITLE_READ = 8192  # bytes read to find a document's first heading


def evidence_title(root: Path, path: str) -> str:
    """A local evidence document's title: its first Markdown heading (or a ``title:``
    line), else its file name in words ("logging-monitoring-standard.md" -> "Logging
    monitoring standard")."""
    return _looked_up("title", root, path, _evidence_title)


def _evidence_title(root: Path, path: str) -> str:
    found = resolve_evidence(root, path)
    if found is not None and found.suffix.lower() in (".md", ".markdown", ".txt", ".rst"):
        try:
            with found.open("rb") as handle:
                head = handle.read(_TITLE_READ).decode("utf-8", "replace")
        except OSError:
            head = ""
        match = _HEADING.search(head)
        if match:
            title = " ".join((match.group("title") or match.group("meta")).split())
            if title:
                return title[:200]
    stem = PurePosixPath(path).stem
    words = " ".join(re.sub(r"[-_.]+", " ", stem).split())
    return (words[:1].upper() + words[1:]) if words else "Supporting document"


def resolve_evidence(root: Path, path: str) -> Path | None:
    """Where a local evidence path points, or None if it leaves ``evidence/`` (``..``,
    absolute, or through a symbolic link)."""
    return _looked_up("resolve", root, path, _resolve_evidence)


def _resolve_evidence(root: Path, path: str) -> Path | None:
    return resolve_inside(root, path, folder=EVIDENCE_FOLDER)


# Within one pass over a questionnaire every row citing a document asks the same: where
# it is and what it is called. Resolving a path reads every folder on the way (symbolic
# links), so the answers are kept for the pass (:func:`evidence_lookups`), not longer: a
# library edited between two runs in one process is read afresh.
_EVIDENCE_MEMO: ContextVar[dict[tuple[str, str, str], object] | None] = \
    ContextVar("evidence_memo", default=None)


def _looked_up(kind: str, root: Path, path: str, look: Callable[[Path, str], T]) -> T:
    """``look(root, path)``, kept for the pass when one is under way."""
    memo = _EVIDENCE_MEMO.get()
    if memo is None:
        return look(root, path)
    key = (kind, str(root), path)
    if key not in memo:
        memo[key] = look(root, path)
    return memo[key]  # type: ignore[return-value]


@contextmanager
def evidence_lookups() -> Iterator[None]:
    """Keep evidence paths resolved and titles read for the duration of the block (an
    enclosing block's are kept on)."""
    if _EVIDENCE_MEMO.get() is not None:
        yield
        return
    token = _EVIDENCE_MEMO.set({})
    try:
        yield
    finally:
        _EVIDENCE_MEMO.reset(token)
