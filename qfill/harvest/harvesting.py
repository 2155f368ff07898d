"""`qfill harvest` as one pipeline: answered rows -> clean -> drafts -> settle -> file edits.

:func:`plan_harvest` decides everything and computes the edited files' text without
writing; :func:`write_harvest` writes them atomically; :func:`lint_harvest` runs
``qfill lint`` on the written library and returns what it says about the harvested
entries, each tied to its source rows.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from qfill.errors import LibraryError, UsageError
from qfill.files import atomic_write, resolve_inside
from qfill.findings import Severity
from qfill.harvest.drafts import Draft, assign_ids, collapse, draft_of
from qfill.harvest.hygiene import KINDS, Note, clean_row
from qfill.harvest.rows import read_answered
from qfill.harvest.settling import AliasAdd, Conflict, settle
from qfill.library import ID_PATTERN, Answer, Library, check_answer_file, read_library
from qfill.questionnaire import ColumnMapping
from qfill.settings import Settings
from qfill.yamledit import add_list_items, append_entries

DEFAULT_INTO = "answers/harvested.yaml"
NEW_FILE_HEADER = (
    "Drafts harvested by `qfill harvest` from completed questionnaires.\n"
    "Each entry is a draft until a person has read it: check the answer, then add\n"
    "`reviewed: YYYY-MM-DD` (and an owner). `source` says where each one came from.")


@dataclass(slots=True)
class HarvestResult:
    """What one harvest decided, and the text of every file it would change."""

    root: Path
    into: Path
    files: list[str] = field(default_factory=list)
    templates: list[str | None] = field(default_factory=list)
    rows_read: int = 0
    new: list[Draft] = field(default_factory=list)
    aliases: list[AliasAdd] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    known: int = 0
    notes: list[Note] = field(default_factory=list)
    edits: dict[Path, bytes] = field(default_factory=dict)

    def skipped(self) -> Counter[str]:
        """Rows that gave no entry, by kind."""
        return Counter(n.kind for n in self.notes if n.skipped)

    def flagged(self) -> Counter[str]:
        """Notes on rows that were kept, by kind."""
        return Counter(n.kind for n in self.notes if not n.skipped)


def resolve_into(root: Path, into: Path | None) -> Path:
    """The answer file new entries go to: inside ``answers/``, a .yaml/.yml file.

    A relative ``into`` is taken relative to the library root (the CLI makes a path typed
    on the command line absolute first)."""
    if into is None:
        return root / DEFAULT_INTO
    candidate = into if into.is_absolute() else root / into
    try:
        relative = candidate.resolve().relative_to(root.resolve())
    except ValueError:
        relative = None
    if (relative is None or resolve_inside(root, relative.as_posix(), folder="answers") is None
            or candidate.suffix.lower() not in (".yaml", ".yml")):
        raise UsageError(f"--into {into}: new entries must go to a .yaml file under "
                         f"{root / 'answers'}; e.g. --into {root / DEFAULT_INTO}")
    return root / relative


def load_for_harvest(root: Path) -> Library | None:
    """The library as it is (None when it has no answers/ yet); refused with errors."""
    if not root.is_dir():
        raise LibraryError(f"{root}: library folder not found; pass --library DIR")
    if not (root / "answers").is_dir():
        return None
    library, findings = read_library(root)
    errors = sorted(f for f in findings if f.severity is Severity.ERROR)
    if errors:
        first = errors[0]
        raise LibraryError(f"{first.location()}: {first.message}; fix the library before "
                           "harvesting into it (run `qfill lint`)")
    return library


def plan_harvest(paths: Sequence[Path], *, root: Path, settings: Settings,
                 into: Path | None = None, product: str | None = None,
                 mapping: ColumnMapping | None = None, sheets: Sequence[str] | None = None,
                 include_hidden: bool = False) -> HarvestResult:
    """Read every answered row of ``paths`` and decide the library changes."""
    if product is not None and not ID_PATTERN.match(product):
        raise UsageError(f"--product {product!r}: write a product name in lower case with "
                         "hyphens, e.g. --product atlas-cloud")
    result = HarvestResult(root=root, into=resolve_into(root, into))
    library = load_for_harvest(root)
    drafts: list[Draft] = []
    for path in paths:
        questionnaire, rows = read_answered(path, include_hidden=include_hidden,
                                            sheets=sheets, mapping=mapping)
        result.files.append(path.name)
        result.templates.append(questionnaire.template)
        result.rows_read += len(rows)
        for row in rows:
            cleaned, notes = clean_row(row)
            result.notes.extend(notes)
            if cleaned is not None:
                drafts.append(draft_of(cleaned, product))
    merged, notes = collapse(drafts)
    result.notes.extend(notes)
    settled = settle(merged, library, settings, product=product)
    result.aliases = settled.aliases
    result.conflicts = settled.conflicts
    result.known = len(settled.known)
    for conflict in settled.conflicts:
        result.notes.append(Note("conflict", ", ".join(conflict.draft.sources[:3]), (
            f"'{conflict.entry.id}' ({conflict.entry.source}) answers "
            f"{conflict.entry.short or conflict.entry.answer[:40]!r}; this row answers "
            f"{conflict.draft.short or conflict.draft.answer[:40]!r}; settle it by hand")))
    taken = {a.id for a in library.answers} if library else set()
    assign_ids(settled.new, taken)
    result.new = settled.new
    result.edits = _edits(result)
    return result


def _edits(result: HarvestResult) -> dict[Path, bytes]:
    """Every changed file's new text, each edit proven by reloading it (see _prove)."""
    by_file: dict[Path, list[AliasAdd]] = {}
    for add in result.aliases:
        by_file.setdefault(result.root / add.entry.source, []).append(add)
    if result.new:
        by_file.setdefault(result.into, [])
    edits: dict[Path, bytes] = {}
    failed: list[AliasAdd] = []
    for path, adds in by_file.items():
        name = path.relative_to(result.root).as_posix()
        before = _read(path, name)
        current = before
        intended: dict[str, dict[str, set[str]]] = {}
        for add in adds:
            changes = [("aliases", list(add.texts), "alias")]
            if add.product is not None:
                changes.append(("products", [*add.entry.products, add.product], "product"))
            for key, values, what in changes:
                if not values or current is None:
                    continue
                try:
                    edited = add_list_items(current, add.entry.id, key, values, name=name,
                                            what=what)
                except LibraryError as e:
                    # One entry written in a form qfill does not edit must not stop the
                    # harvest: say what to add by hand and go on.
                    result.notes.append(Note("by-hand", ", ".join(add.draft.sources[:3]),
                                             str(e)))
                    if key == "aliases":
                        failed.append(add)
                        break
                    continue
                if edited is not None:
                    current = edited
                    intended.setdefault(add.entry.id, {}).setdefault(key, set()).update(
                        " ".join(v.split()) for v in values)
        drafts = result.new if path == result.into else []
        if drafts:
            current = append_entries(current, [d.fields() for d in drafts], name=name,
                                     header=NEW_FILE_HEADER)
        if current is None or current == before:
            continue
        _prove(name, before, current, drafts, intended)
        edits[path] = current
    result.aliases = [a for a in result.aliases if a not in failed]
    return edits


def _read(path: Path, name: str) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as e:
        raise LibraryError(f"{name}: cannot read ({e.strerror}); check the file") from None


def _content(answer: Answer) -> Answer:
    return replace(answer, line=0, column=0, source="",
                   evidence=tuple(replace(e, line=0, column=0) for e in answer.evidence))


def _prove(name: str, before: bytes | None, after: bytes, drafts: Sequence[Draft],
           intended: dict[str, dict[str, set[str]]]) -> None:
    """Raise LibraryError unless ``after`` reads as ``before`` with only the intended
    aliases and products added, plus each new draft exactly as harvested."""
    old = {a.id: _content(a) for a in check_answer_file(before, name)[0]} if before else {}
    entries, findings = check_answer_file(after, name)
    errors = [f for f in findings if f.severity is Severity.ERROR]
    if errors:
        raise LibraryError(f"{errors[0].location()}: the harvested file would not load "
                           f"({errors[0].message}); nothing was written")
    new = {a.id: _content(a) for a in entries}
    expected_new = {d.id: d for d in drafts}
    if set(new) != set(old) | set(expected_new):
        raise LibraryError(f"{name}: the edit would add or lose entries it should not; "
                           "nothing was written")
    for answer_id, was in old.items():
        now = new[answer_id]
        for key in ("aliases", "products"):
            gained = set(getattr(now, key)) - set(getattr(was, key))
            allowed = intended.get(answer_id, {}).get(key, set())
            if not set(getattr(was, key)) <= set(getattr(now, key)) or not gained <= allowed:
                raise LibraryError(f"{name}: the edit would change '{answer_id}' beyond its "
                                   f"{key}; nothing was written, add them by hand")
        if replace(now, aliases=was.aliases, products=was.products) != was:
            raise LibraryError(f"{name}: the edit would change '{answer_id}' beyond its "
                               "aliases and products; nothing was written")
    for answer_id, draft in expected_new.items():
        got = new[answer_id]
        # A file-level default (tags, products) may add to what the draft says.
        if (got.question, got.answer, got.short, list(got.aliases),
                {k: list(v) for k, v in got.refs.items()}, list(got.harvested_from)) != (
                draft.question, draft.answer, draft.short, draft.aliases, draft.refs,
                draft.sources) or not set(draft.tags) <= set(got.tags) or (
                draft.products and list(got.products) != draft.products):
            raise LibraryError(f"{name}: entry '{answer_id}' would not read back as "
                               "harvested; nothing was written")


def write_harvest(result: HarvestResult) -> list[Path]:
    """Write every changed file atomically; the files written, in order."""
    written: list[Path] = []
    for path, data in result.edits.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, data)
        written.append(path)
    return written


def lint_harvest(result: HarvestResult, settings: Settings, *, today: date) -> list[Note]:
    """What ``qfill lint`` finds on the harvested and changed entries, with source rows."""
    from qfill.lint import lint_library

    sources: dict[str, list[str]] = {d.id: d.sources for d in result.new}
    for add in result.aliases:
        sources.setdefault(add.entry.id, []).extend(add.draft.sources)
    if not sources:
        return []
    linted = lint_library(result.root, settings=settings, today=today)
    notes: list[Note] = []
    for finding in linted.findings:
        if finding.answer_id not in sources:
            continue
        where = ", ".join(sources[finding.answer_id][:3])
        more = len(sources[finding.answer_id]) - 3
        where += f" (+{more} more)" if more > 0 else ""
        notes.append(Note("lint", where, f"{finding.location()}: {finding.severity.value} "
                          f"[{finding.rule}] {finding.message}"))
    return notes


def conflicts_csv(conflicts: Sequence[Conflict]) -> str:
    """Both answers side by side, one row per conflict, for a person in a spreadsheet."""
    from qfill.escaping import csv_safe

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["source", "question", "entry_id", "entry_file", "entry_short",
                     "entry_answer", "harvested_short", "harvested_answer", "matched_by"])
    for c in conflicts:
        writer.writerow([csv_safe(v) for v in (
            "; ".join(c.draft.sources), c.draft.question, c.entry.id, c.entry.source,
            c.entry.short or "", c.entry.answer, c.draft.short or "", c.draft.answer,
            c.route)])
    return out.getvalue()


def kind_meaning(kind: str) -> str:
    return KINDS.get(kind, kind)
