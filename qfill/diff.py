"""What a change to the answer library really changes: entries matched by id across files.

A reviewer of a pull request sees YAML line diffs; what matters is which approved answers
now say something else. :func:`diff_libraries` compares the parsed, whitespace-normalised
values of two libraries (re-indenting or re-flowing a folded answer is no change), reports
per entry which fields changed, and lists the risks a reviewer must look at first.
Pure: no git, no files, no clock.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, Literal

from qfill.choices import FailOn
from qfill.errors import LibraryError
from qfill.findings import Finding, Severity
from qfill.gitrev import Revision, Snapshot
from qfill.library import Answer, Evidence, check_answer_file, duplicate_id_findings


class ChangeKind(str, Enum):
    """How an entry differs. ``moved``: now in another file (its fields may differ too)."""

    ADDED = "added"
    REMOVED = "removed"
    MOVED = "moved"
    CHANGED = "changed"


class RiskCode(str, Enum):
    """What a reviewer must look at first, in this order. Stable names, used by scripts."""

    SHORT_FLIPPED = "short-flipped"  # Yes/No/N-A changed: the yes/no column now says otherwise
    EVIDENCE_REMOVED = "evidence-removed"  # an answer lost a supporting document
    ANSWER_REMOVED = "answer-removed"  # an id is gone: refs and past reports citing it break
    MISSING_OWNER = "missing-owner"  # a new or changed entry nobody owns (after file defaults)
    NOT_REVIEWED = "not-reviewed"  # answer text changed but `reviewed` did not move forward


@dataclass(frozen=True, slots=True)
class Location:
    path: str
    line: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line}


@dataclass(frozen=True, slots=True)
class WordOp:
    """A run of words that is the same on both sides, or only in the old or the new text."""

    op: Literal["equal", "delete", "insert"]
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"op": self.op, "text": self.text}


@dataclass(frozen=True, slots=True)
class ValueChange:
    """A single value (short, owner, reviewed, review_every); None means not set."""

    field: str
    old: str | None
    new: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "kind": "value", "old": self.old, "new": self.new}


@dataclass(frozen=True, slots=True)
class TextChange:
    """Free text (question, answer), whitespace-normalised, with a word-level diff."""

    field: str
    old: str
    new: str
    words: tuple[WordOp, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "kind": "text", "old": self.old, "new": self.new,
                "words": [w.to_dict() for w in self.words]}


@dataclass(frozen=True, slots=True)
class ItemChange:
    """One item present on both sides whose details differ (an evidence title or date)."""

    item: str
    old: str
    new: str

    def to_dict(self) -> dict[str, Any]:
        return {"item": self.item, "old": self.old, "new": self.new}


@dataclass(frozen=True, slots=True)
class ItemsChange:
    """A collection compared as a set (aliases, evidence, refs, tags): order is no change."""

    field: str
    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[ItemChange, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "kind": "items", "added": list(self.added),
                "removed": list(self.removed), "changed": [c.to_dict() for c in self.changed]}


FieldChange = ValueChange | TextChange | ItemsChange


@dataclass(frozen=True, slots=True)
class EntryChange:
    """One answer id that differs. ``base``/``head`` say where it was and is (None: absent).

    For an added entry every set field is a change from nothing, for a removed one a
    change to nothing, so a reviewer sees the whole entry. ``renamed`` is a guess: the
    id of an entry on the other side with the same question.
    """

    id: str
    kind: ChangeKind
    base: Location | None
    head: Location | None
    fields: tuple[FieldChange, ...]
    renamed: str | None = None

    @property
    def location(self) -> Location:
        where = self.head or self.base
        assert where is not None
        return where

    def field_names(self) -> tuple[str, ...]:
        return tuple(f.field for f in self.fields)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "change": self.kind.value,
                "base": self.base.to_dict() if self.base else None,
                "head": self.head.to_dict() if self.head else None,
                "renamed": self.renamed, "fields": [f.to_dict() for f in self.fields]}


@dataclass(frozen=True, slots=True)
class Risk:
    """A change a reviewer must confirm; located at HEAD, or at BASE for a removal."""

    code: RiskCode
    id: str
    location: Location
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code.value, "id": self.id, "path": self.location.path,
                "line": self.location.line, "message": self.message}


@dataclass(frozen=True, slots=True)
class DiffSummary:
    added: int
    removed: int
    moved: int
    changed: int
    unchanged: int
    risks: int

    def to_dict(self) -> dict[str, Any]:
        return {"added": self.added, "removed": self.removed, "moved": self.moved,
                "changed": self.changed, "unchanged": self.unchanged, "risks": self.risks}


@dataclass(frozen=True, slots=True)
class LibraryDiff:
    """The comparison of two libraries: changed entries by id, risks in :class:`RiskCode`
    order then by id."""

    base: Revision
    head: Revision
    entries: tuple[EntryChange, ...]
    risks: tuple[Risk, ...]
    unchanged: int = 0

    @property
    def summary(self) -> DiffSummary:
        counts = dict.fromkeys(ChangeKind, 0)
        for entry in self.entries:
            counts[entry.kind] += 1
        return DiffSummary(counts[ChangeKind.ADDED], counts[ChangeKind.REMOVED],
                           counts[ChangeKind.MOVED], counts[ChangeKind.CHANGED],
                           self.unchanged, len(self.risks))

    def fails(self, fail_on: FailOn) -> bool:
        """Whether ``--fail-on`` turns this result into exit 1."""
        if fail_on is FailOn.RISKY:
            return bool(self.risks)
        if fail_on is FailOn.ANY:
            return bool(self.entries)
        return False

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract of ``qfill diff --format json`` (version 1)."""
        return {
            "version": 1,
            "base": _revision_dict(self.base),
            "head": _revision_dict(self.head),
            "summary": self.summary.to_dict(),
            "risks": [r.to_dict() for r in self.risks],
            "entries": [e.to_dict() for e in self.entries],
        }


def _revision_dict(revision: Revision) -> dict[str, Any]:
    return {"rev": revision.name, "commit": revision.commit}


# --------------------------------------------------------------------------- loading


ParsedFiles = dict[tuple[str, bytes], tuple[list[Answer], list[Finding]]]


def snapshot_answers(snapshot: Snapshot, parsed: ParsedFiles | None = None) -> list[Answer]:
    """Parse every file of a snapshot; raise :class:`LibraryError` on an error finding.

    A library that does not load (YAML syntax, a duplicate key or id, a wrong type) has
    no single meaning to compare, and a silent partial diff would hide changes; lint
    reports the problem in full, so this names the first one and points there.
    Pass the same ``parsed`` dict for both sides: a pull request leaves most files as
    they were, and each distinct file is then parsed once.
    """
    answers: list[Answer] = []
    errors: list[Finding] = []
    cache: ParsedFiles = {} if parsed is None else parsed
    for file in snapshot.files:
        key = (file.path, file.data)
        if key not in cache:
            cache[key] = check_answer_file(file.data, file.path)
        entries, findings = cache[key]
        answers.extend(entries)
        errors.extend(f for f in findings if f.severity is Severity.ERROR)
    errors.extend(duplicate_id_findings(answers))
    if errors:
        first = min(errors)
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise LibraryError(f"{first.location()} at {snapshot.revision.name}: {first.message}"
                           f"{more}; qfill diff needs both sides to load, run `qfill lint`")
    return answers


# --------------------------------------------------------------------------- comparing


def diff_libraries(base: Iterable[Answer], head: Iterable[Answer], *,
                   base_revision: Revision, head_revision: Revision) -> LibraryDiff:
    """Compare two libraries entry by entry, matched by id across files.

    Ids must be unique on each side (the loader guarantees it). Entries that are equal
    after normalising whitespace inside text are not listed; moving an entry inside its
    file is no change.
    """
    old_by_id = {a.id: a for a in base}
    new_by_id = {a.id: a for a in head}
    renames = _rename_guesses(
        [old_by_id[i] for i in old_by_id.keys() - new_by_id.keys()],
        [new_by_id[i] for i in new_by_id.keys() - old_by_id.keys()])
    entries: list[EntryChange] = []
    unchanged = 0
    for answer_id in sorted(old_by_id.keys() | new_by_id.keys()):
        old, new = old_by_id.get(answer_id), new_by_id.get(answer_id)
        fields = tuple(field_changes(old, new))
        if old is None:
            kind = ChangeKind.ADDED
        elif new is None:
            kind = ChangeKind.REMOVED
        elif old.source != new.source:
            kind = ChangeKind.MOVED
        elif fields:
            kind = ChangeKind.CHANGED
        else:
            unchanged += 1
            continue
        entries.append(EntryChange(
            answer_id, kind,
            Location(old.source, old.line) if old else None,
            Location(new.source, new.line) if new else None,
            fields, renames.get(answer_id)))
    risks = [risk for entry in entries
             for risk in entry_risks(entry, old_by_id.get(entry.id), new_by_id.get(entry.id))]
    order = list(RiskCode)
    risks.sort(key=lambda r: (order.index(r.code), r.id))
    return LibraryDiff(base_revision, head_revision, tuple(entries), tuple(risks), unchanged)


def normalize_text(text: str) -> str:
    """Collapse whitespace runs: a folded ``>-`` block, a re-flowed line and a plain
    scalar with the same words are the same answer."""
    return " ".join(text.split())


def word_diff(old: str, new: str) -> tuple[WordOp, ...]:
    """A word-level diff of two texts, as runs of equal, deleted and inserted words."""
    a, b = old.split(), new.split()
    ops: list[WordOp] = []

    def add(op: Literal["equal", "delete", "insert"], words: Sequence[str]) -> None:
        if not words:
            return
        if ops and ops[-1].op == op:
            ops[-1] = WordOp(op, f"{ops[-1].text} {' '.join(words)}")
        else:
            ops.append(WordOp(op, " ".join(words)))

    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            add("equal", a[i1:i2])
        else:
            add("delete", a[i1:i2])
            add("insert", b[j1:j2])
    return tuple(ops)


def field_changes(old: Answer | None, new: Answer | None) -> list[FieldChange]:
    """Every field that differs, in the order of the answer-file schema."""
    changes: list[FieldChange] = []

    def text(name: str, get: Any) -> None:
        before = normalize_text(get(old)) if old else ""
        after = normalize_text(get(new)) if new else ""
        if before != after:
            changes.append(TextChange(name, before, after, word_diff(before, after)))

    def value(name: str, get: Any) -> None:
        before = _value_text(get(old)) if old else None
        after = _value_text(get(new)) if new else None
        if before != after:
            changes.append(ValueChange(name, before, after))

    def items(name: str, get: Any) -> None:
        before: dict[str, str] = get(old) if old else {}
        after: dict[str, str] = get(new) if new else {}
        added = tuple(_describe(k, after[k]) for k in after if k not in before)
        removed = tuple(_describe(k, before[k]) for k in before if k not in after)
        changed = tuple(ItemChange(k, before[k], after[k]) for k in after
                        if k in before and before[k] != after[k])
        if added or removed or changed:
            changes.append(ItemsChange(name, added, removed, changed))

    text("question", lambda a: a.question)
    items("aliases", lambda a: _text_items(a.aliases))
    text("answer", lambda a: a.answer)
    value("short", lambda a: a.short)
    items("evidence", lambda a: _evidence_items(a.evidence))
    items("refs", lambda a: {f"{scheme}:{ref.strip()}": "" for scheme, refs in a.refs.items()
                             for ref in refs})
    items("tags", lambda a: _text_items(a.tags))
    items("products", lambda a: _text_items(a.products))
    value("owner", lambda a: a.owner)
    value("reviewed", lambda a: a.reviewed)
    value("review_every", lambda a: a.review_every)
    return changes


def _value_text(value: object) -> str | None:
    if value is None:
        return None
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return normalize_text(str(value))


def _text_items(values: Iterable[str]) -> dict[str, str]:
    return {normalize_text(v): "" for v in values}


def _evidence_items(evidence: Iterable[Evidence]) -> dict[str, str]:
    """Evidence by its path or URL; the title and expiry are the item's details."""
    result: dict[str, str] = {}
    for item in evidence:
        key = normalize_text(item.path or item.url or "")
        details = []
        if item.title:
            details.append(f"title: {normalize_text(item.title)}")
        if item.valid_until:
            details.append(f"valid_until: {item.valid_until.isoformat()}")
        result[key] = "; ".join(details)
    return result


def _describe(key: str, details: str) -> str:
    return f"{key} ({details})" if details else key


def _rename_guesses(removed: Sequence[Answer], added: Sequence[Answer]) -> dict[str, str]:
    """Pair a removed id with an added one when exactly one each asks the same question."""
    def key(answer: Answer) -> str:
        return normalize_text(answer.question).casefold()

    old_by_question: dict[str, list[Answer]] = {}
    new_by_question: dict[str, list[Answer]] = {}
    for answer in removed:
        old_by_question.setdefault(key(answer), []).append(answer)
    for answer in added:
        new_by_question.setdefault(key(answer), []).append(answer)
    guesses: dict[str, str] = {}
    for question, olds in old_by_question.items():
        news = new_by_question.get(question, [])
        if len(olds) == 1 and len(news) == 1:
            guesses[olds[0].id] = news[0].id
            guesses[news[0].id] = olds[0].id
    return guesses


def entry_risks(entry: EntryChange, old: Answer | None, new: Answer | None) -> list[Risk]:
    """The risks one changed entry carries (see :class:`RiskCode`)."""
    risks: list[Risk] = []
    where = entry.location
    if entry.kind is ChangeKind.REMOVED:
        hint = (f"; renamed to '{entry.renamed}'? (same question)" if entry.renamed
                else "; refs, reports and review files citing it no longer resolve")
        risks.append(Risk(RiskCode.ANSWER_REMOVED, entry.id, where, f"entry removed{hint}"))
        return risks
    assert new is not None
    by_name = {f.field: f for f in entry.fields}
    short = by_name.get("short")
    if isinstance(short, ValueChange) and short.old and short.new:
        risks.append(Risk(RiskCode.SHORT_FLIPPED, entry.id, where,
                          f"short {short.old} -> {short.new}"))
    evidence = by_name.get("evidence")
    if isinstance(evidence, ItemsChange) and evidence.removed and old is not None:
        risks.append(Risk(RiskCode.EVIDENCE_REMOVED, entry.id, where,
                          f"evidence removed: {', '.join(evidence.removed)}"))
    if new.owner is None and entry.fields:
        what = "new entry" if entry.kind is ChangeKind.ADDED else "changed entry"
        risks.append(Risk(RiskCode.MISSING_OWNER, entry.id, where,
                          f"{what} has no owner; set owner on the entry or the file"))
    if old is not None and "answer" in by_name and not _review_advanced(old, new):
        if new.reviewed is None:
            since = "removed" if old.reviewed else "not set"
        elif new.reviewed == old.reviewed:
            since = f"still {new.reviewed.isoformat()}"
        else:
            since = f"moved back to {new.reviewed.isoformat()}"
        risks.append(Risk(RiskCode.NOT_REVIEWED, entry.id, where,
                          f"answer text changed but reviewed was not updated ({since})"))
    return risks


def _review_advanced(old: Answer, new: Answer) -> bool:
    if new.reviewed is None:
        return False
    return old.reviewed is None or new.reviewed > old.reviewed
