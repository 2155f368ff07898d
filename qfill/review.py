"""The review loop: decisions a person made in the review file, turned into cell writes,
and new phrasings taught to the library (``qfill apply --learn``).

A decision is an answer id, ``accept`` (take the suggestion), ``draft`` (take the draft
quoted from the evidence, checked against it again), ``skip`` or empty (leave the row), or
any other text, which is written as the answer itself.

A decided entry passes the same gate as a fill (:func:`qfill.verification.gate_row`,
plus the matcher's guards between the row's question and the entry): a decision that
fails a check is still written where the person chose it, but never silently: its
reasons are listed, it is not learned, and ``--strict`` refuses it. A decided row that no
longer holds the question the review file names (the workbook changed) is refused.
"""

from __future__ import annotations

import csv
import difflib
import io
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from qfill.draft_verification import verify_taken_draft
from qfill.drafts import Draft
from qfill.errors import InputError, LibraryError
from qfill.escaping import FORMULA_TRIGGERS
from qfill.evidence_index import EvidenceIndex
from qfill.filling import (
    CellWrite,
    FillPlan,
    incomplete,
    is_yes_no_cell,
    protected_cell,
    spell_short,
)
from qfill.findings import Finding, Severity
from qfill.library import Answer, Library, check_answer_file, read_answer_file
from qfill.questionnaire import FileFormat, Questionnaire, QuestionRow
from qfill.reasons import Reason
from qfill.settings import Settings
from qfill.terms import STOPWORDS, shared_analyzer
from qfill.yamledit import YamlText, add_list_items, double_quoted

# An answer id as a decision: lower-case words joined by hyphens (infosec-policy).
_LOOKS_LIKE_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)+$")
REQUIRED_COLUMNS = ("sheet", "row", "decision", "suggestion")
MAX_REVIEW_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Decision:
    sheet: str
    row: int
    decision: str
    suggestion: str
    line: int  # line in the review file, for messages
    draft: str = ""  # the quoted draft offered for the row, if any
    draft_evidence: tuple[str, ...] = ()  # the documents it cites
    question: str | None = None  # the question the review file names for the row


@dataclass(frozen=True, slots=True)
class AppliedDecision:
    """One decided row: what is written, and why it is not clean.

    ``problems`` are the gate's reasons (the decision is written anyway, listed, and not
    learned); ``refused`` says why nothing is written for it (the row moved, or
    ``--strict`` refused a decision with problems).
    """

    decision: Decision
    question: QuestionRow
    answer: Answer | None  # None when the decision was free text or a draft
    writes: tuple[CellWrite, ...]
    draft: Draft | None = None  # the draft taken, as verified against the evidence
    problems: tuple[Reason, ...] = ()
    refused: str | None = None

    @property
    def clean(self) -> bool:
        return not self.problems and self.refused is None


def _unquote(value: str) -> str:
    # The review file neutralises formula triggers with a leading quote; undo that here.
    if value.startswith("'") and value[1:].startswith(FORMULA_TRIGGERS):
        return value[1:]
    return value


def read_decisions(path: Path) -> list[Decision]:
    """Read the review file; rows with an empty decision are returned too (as skips)."""
    try:
        with path.open("rb") as handle:  # the size is checked before the file is read
            size = os.fstat(handle.fileno()).st_size
            if size > MAX_REVIEW_BYTES:
                raise InputError(f"{path}: review file is too large ({size} bytes)")
            data = handle.read(MAX_REVIEW_BYTES + 1)
    except FileNotFoundError:
        raise InputError(f"{path}: no such review file; write one with "
                         "`qfill answer --review-file`") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory; give the review CSV file") from None
    except OSError as e:
        raise InputError(f"{path}: cannot read the review file ({e.strerror}); check its "
                         "permissions") from None
    if len(data) > MAX_REVIEW_BYTES:
        raise InputError(f"{path}: review file is too large (over {MAX_REVIEW_BYTES} bytes)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text; save the review file as UTF-8 CSV") from None
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise InputError(f"{path}: missing column(s) {', '.join(missing)}; use the file "
                         "written by `qfill answer --review-file`")
    decisions: list[Decision] = []
    try:
        for record in reader:
            line = reader.line_num
            try:
                row = int(_unquote(record["row"] or ""))
            except ValueError:
                raise InputError(f"{path}:{line}: row {record['row']!r} is not a number; "
                                 "keep the row column as written") from None
            question = record.get("question")
            evidence = _unquote(record.get("draft_evidence") or "")
            decisions.append(Decision(_unquote(record["sheet"] or ""), row,
                                      (record["decision"] or "").strip(),
                                      _unquote(record["suggestion"] or "").strip(), line,
                                      _unquote(record.get("draft") or "").strip(),
                                      tuple(p.strip() for p in evidence.split(";")
                                            if p.strip()),
                                      _unquote(question) if question is not None else None))
    except csv.Error as e:
        raise InputError(f"{path}:{reader.line_num}: malformed CSV ({e})") from None
    return decisions


def plan_decisions(decisions: Sequence[Decision], questionnaire: Questionnaire,
                   library: Library, *, review_path: Path,
                   evidence: EvidenceIndex | None = None, today: date | None = None,
                   settings: Settings | None = None, strict: bool = False
                   ) -> tuple[FillPlan, list[AppliedDecision]]:
    """Cell writes for every decided row, each through the gate; raises on a decision
    that names nothing known. Refused decisions are returned too, with no writes.

    A taken draft (``draft``) is verified against ``evidence`` again first: it is written
    only if every sentence is still quoted from a cited document that has not expired.
    """
    from qfill.matching import Matcher
    from qfill.verification import gate_row

    settings = settings or Settings()
    today = today or date.today()
    matcher: Matcher | None = None
    # A CSV's one "sheet" is named after its file, and the filled copy's name differs
    # ("q" vs "q.filled"), so in a CSV rows are found by number alone.
    by_number = questionnaire.format == FileFormat.CSV
    rows = {("" if by_number else r.sheet, r.row): r for r in questionnaire.rows}
    answers = library.by_id()
    applied: list[AppliedDecision] = []
    for decision in decisions:
        choice = decision.decision
        if not choice or choice.lower() == "skip":
            continue
        row = rows.get(("" if by_number else decision.sheet, decision.row))
        if row is None:
            raise InputError(f"{review_path}:{decision.line}: no question row at "
                             f"{decision.sheet}!{decision.row} in {questionnaire.path.name}; "
                             "apply the review file to the file it was written for")
        if decision.question is not None and _fold(decision.question) != _fold(row.question):
            applied.append(AppliedDecision(decision, row, None, (), refused=(
                f"{decision.sheet}!{decision.row} now reads {_quote(row.question)}, not "
                f"{_quote(decision.question)} as in the review file (rows moved or "
                "changed); apply the review file to the file it was written for")))
            continue
        answer: Answer | None = None
        if choice.lower() == "draft":
            draft = _taken_draft(decision, evidence, review_path)
            writes, locked = _unlocked(row, _draft_writes(row, draft))
            if locked and not writes:
                applied.append(_refused_locked(decision, row, locked))
                continue
            if not writes:
                raise InputError(f"{review_path}:{decision.line}: {decision.sheet}!"
                                 f"{decision.row} has no empty answer cell to write into")
            applied.append(AppliedDecision(decision, row, None, writes, draft=draft,
                                           problems=(*locked,
                                                     *_free_text_problems(row, writes))))
            continue
        if choice.lower() == "accept":
            if decision.suggestion not in answers:
                raise InputError(f"{review_path}:{decision.line}: 'accept' but the suggestion "
                                 f"{decision.suggestion!r} is not in the library; write an "
                                 "answer id or the answer text")
            answer = answers[decision.suggestion]
        elif choice in answers:
            answer = answers[choice]
        elif _LOOKS_LIKE_ID.match(choice):
            # One hyphenated lower-case word is an answer id, not an answer: a typo must not
            # reach the customer's file as text.
            hint = difflib.get_close_matches(choice, list(answers), n=1, cutoff=0.6)
            tip = f"did you mean '{hint[0]}'?" if hint else "check the id (qfill search)"
            raise InputError(f"{review_path}:{decision.line}: decision {choice!r} looks like "
                             f"an answer id but no entry has it; {tip}")
        problems: tuple[Reason, ...]
        if answer is not None:
            if matcher is None:
                matcher = Matcher(library, settings)
            fill, gated = gate_row(row, answer, library, today=today,
                                   local_note=settings.filling.local_evidence, decided=True)
            writes = fill.writes
            problems = (*matcher.pair_reasons(row.question, answer.id, row.section),
                        *gated)
        else:
            writes, locked = _unlocked(row, _free_text_writes(row, choice))
            problems = (*locked, *_free_text_problems(row, writes))
        if not writes and any(p.code == "protected-cell" for p in problems):
            applied.append(_refused_locked(decision, row, problems, answer))
            continue
        if not writes:
            raise InputError(f"{review_path}:{decision.line}: {decision.sheet}!{decision.row} "
                             "has no empty answer cell to write into")
        refused = None
        if strict and problems:
            refused = (f"{decision.sheet}!{decision.row}: --strict refuses a decision that "
                       f"fails a check ({'; '.join(str(p) for p in problems)})")
            writes = ()
        applied.append(AppliedDecision(decision, row, answer, writes, problems=problems,
                                       refused=refused))
    plan = FillPlan(tuple(w for a in applied for w in a.writes))
    return plan, applied


def _taken_draft(decision: Decision, evidence: EvidenceIndex | None,
                 review_path: Path) -> Draft:
    where = f"{review_path}:{decision.line}: {decision.sheet}!{decision.row}"
    if not decision.draft:
        raise InputError(f"{where}: 'draft' but the row has no draft; write an answer id, "
                         "accept, skip or the answer text")
    if evidence is None:
        raise InputError(f"{where}: 'draft' needs the library's evidence/ to check the draft "
                         "against; run apply with --library")
    check = verify_taken_draft(decision.draft, decision.draft_evidence, evidence,
                               shared_analyzer())
    if check.draft is None:
        raise InputError(f"{where}: the draft cannot be taken: {check.problems[0]}; take it as "
                         "qfill wrote it, or write your own text in decision")
    return check.draft


def _unlocked(row: QuestionRow, writes: Sequence[CellWrite]
              ) -> tuple[tuple[CellWrite, ...], tuple[Reason, ...]]:
    """``writes`` without those into cells locked on a protected sheet, and a
    ``protected-cell`` reason for each left out (the gate's rule, for decisions written as
    text or drafts rather than through :func:`gate_row`)."""
    locked = {t.ref for t in row.targets if t.locked}
    return (tuple(w for w in writes if w.ref not in locked),
            tuple(protected_cell(row.sheet, w.ref) for w in writes if w.ref in locked))


def _refused_locked(decision: Decision, row: QuestionRow, problems: Sequence[Reason],
                    answer: Answer | None = None) -> AppliedDecision:
    """A decision every cell of which is locked: nothing is written, and the report says
    why."""
    locked = "; ".join(str(p) for p in problems if p.code == "protected-cell")
    return AppliedDecision(decision, row, answer, (), problems=tuple(problems),
                           refused=f"{decision.sheet}!{decision.row}: {locked}")


def _draft_writes(row: QuestionRow, draft: Draft) -> list[CellWrite]:
    """The draft's text into the answer cell, and its Yes/No only where a quoted sentence
    states it outright."""
    writes: list[CellWrite] = []
    answer_cell = row.target("answer")
    if answer_cell is not None and answer_cell.writable and not answer_cell.choices:
        writes.append(CellWrite(row.sheet, answer_cell.ref, draft.text, "answer", row.row))
    short_cell = row.target("short")
    if draft.short and short_cell is not None and short_cell.writable:
        spelled = spell_short(draft.short, short_cell.choices)
        if spelled:
            writes.append(CellWrite(row.sheet, short_cell.ref, spelled, "short", row.row))
    return writes


def _fold(text: str) -> str:
    return " ".join(text.split()).lower()


def _quote(text: str, limit: int = 80) -> str:
    flat = " ".join(text.split())
    return repr(flat if len(flat) <= limit else flat[:limit - 3] + "...")


def _free_text_problems(row: QuestionRow, writes: Sequence[CellWrite]) -> tuple[Reason, ...]:
    """A free-text decision on a row with a yes/no cell leaves that cell empty: say so."""
    written = {w.ref for w in writes}
    cells = [t for t in (row.target("short"), *row.marks()) if t is not None and t.writable
             and is_yes_no_cell(t)]
    if not cells or any(c.ref in written for c in cells):
        return ()
    refs = ", ".join(f"{row.sheet}!{c.ref}" for c in cells)
    return (incomplete(f"{refs} needs Yes/No, and the decision is text; write Yes, No or "
                       "N/A there by hand, or decide with an answer id"),)


def _free_text_writes(row: QuestionRow, text: str) -> list[CellWrite]:
    short_cell = row.target("short")
    canonical = {"yes": "Yes", "no": "No", "n/a": "N/A", "na": "N/A"}.get(text.lower())
    if canonical and short_cell is not None and short_cell.writable:
        spelled = spell_short(canonical, short_cell.choices)
        if spelled:
            return [CellWrite(row.sheet, short_cell.ref, spelled, "short", row.row)]
    cell = row.target("answer") or short_cell
    if cell is None or not cell.writable or (cell.choices and text not in cell.choices):
        return []
    return [CellWrite(row.sheet, cell.ref, text, cell.role, row.row)]


# --------------------------------------------------------------------------- learning


@dataclass(frozen=True, slots=True)
class LibraryEdit:
    """New contents for one answer file, proven to add exactly ``learned`` and nothing else.

    ``learned`` holds (answer id, phrasing) pairs in the order they were added;
    ``known`` the phrasings the entry already had, which were left alone; ``added`` the
    new entries (taken drafts) as the file reads them, ``created`` whether the file is new.
    """

    path: Path
    before: bytes
    after: bytes
    learned: tuple[tuple[str, str], ...]
    known: tuple[tuple[str, str], ...] = ()
    added: tuple[Answer, ...] = ()
    created: bool = False


def add_alias(source: bytes, answer_id: str, phrasing: str, *, name: str) -> bytes | None:
    """``source`` with ``phrasing`` added as the first alias of entry ``answer_id``.

    The edit inserts one line (two when the entry has no ``aliases`` yet) at the position
    libyaml reports, so every other byte stays as people wrote it. None when the entry
    already has the phrasing (case and spacing aside). Raises LibraryError when the entry
    is missing or written in a form that a line insertion cannot extend (flow style).
    """
    return add_list_items(source, answer_id, "aliases", [phrasing], name=name, what="alias")


def answer_content(answer: Answer) -> Answer:
    """An entry without its position in the file: what the library means by it."""
    return replace(answer, line=0, column=0,
                   evidence=tuple(replace(e, line=0, column=0) for e in answer.evidence))


def with_aliases(answers: Sequence[Answer], learned: Sequence[tuple[str, str]]
                 ) -> list[Answer]:
    """``answers`` as they must read after ``learned`` was added, each alias put first."""
    result = [answer_content(a) for a in answers]
    for answer_id, phrasing in learned:
        result = [replace(a, aliases=(" ".join(phrasing.split()), *a.aliases))
                  if a.id == answer_id else a for a in result]
    return result


def prove_edit(edit: LibraryEdit, name: str) -> None:
    """Raise LibraryError unless ``edit.after`` reads as ``edit.before`` plus its aliases.

    Both versions go through the loader that answers questionnaires, so whatever the
    editor did, the library cannot gain or lose anything but the new aliases.
    """
    before, _ = check_answer_file(edit.before, name)
    after, findings = check_answer_file(edit.after, name)
    errors = [f for f in findings if f.severity is Severity.ERROR]
    if errors or [answer_content(a) for a in after] != with_aliases(before, edit.learned):
        what = f" ({errors[0].location()}: {errors[0].message})" if errors else ""
        ids = ", ".join(dict.fromkeys(i for i, _ in edit.learned))
        raise LibraryError(f"{name}: adding aliases to {ids} would change more than the "
                           f"aliases{what}; nothing was written, add them by hand")


def learn_phrasings(library: Library, applied: Sequence[AppliedDecision]) -> list[LibraryEdit]:
    """The proven edit of each answer file that gains aliases from the applied decisions.

    Nothing is written here. Raises LibraryError when a file cannot be read as the
    library read it, or an edit cannot be proven.
    """
    by_file: dict[str, list[tuple[str, str]]] = {}
    for item in applied:
        # Only a clean decision teaches: one that failed a check (or was refused) would
        # make its entry win rows that ask something else.
        if item.answer is not None and item.clean:
            by_file.setdefault(item.answer.source, []).append(
                (item.answer.id, item.question.question))
    edits: list[LibraryEdit] = []
    for name, wanted in by_file.items():
        path = library.root / name
        data = read_answer_file(path, name)
        if isinstance(data, Finding):
            raise LibraryError(f"{data.location()}: {data.message}")
        current = data
        learned: list[tuple[str, str]] = []
        known: list[tuple[str, str]] = []
        for answer_id, phrasing in wanted:
            edited = add_alias(current, answer_id, phrasing, name=name)
            if edited is None:
                known.append((answer_id, phrasing))
            else:
                current = edited
                learned.append((answer_id, phrasing))
        edit = LibraryEdit(path, data, current, tuple(learned), tuple(known))
        prove_edit(edit, name)
        edits.append(edit)
    return edits


def check_learned(library: Library, reloaded: Library,
                  edits: Sequence[LibraryEdit]) -> None:
    """Raise LibraryError unless ``reloaded`` is ``library`` plus exactly the learned aliases
    and the added entries."""
    learned = [pair for edit in edits for pair in edit.learned]
    added = [answer_content(a) for edit in edits for a in edit.added]
    expected = sorted([*with_aliases(library.answers, learned), *added],
                      key=lambda a: (a.source, a.id))
    found = sorted((answer_content(a) for a in reloaded.answers), key=lambda a: (a.source, a.id))
    if expected != found:
        raise LibraryError(f"{library.root}: the library did not reload as the old entries "
                           "plus the new aliases (was it changed during the run?); the edit "
                           "was undone")


DRAFTS_FILE = "answers/drafted-from-evidence.yaml"
_DRAFTS_HEADER = (
    "# Answers drafted from the evidence and taken in review (`qfill apply --learn`).",
    "# Each is quoted from the documents it cites. Check it, add an owner if you use one,",
    "# and add `reviewed: YYYY-MM-DD` when it is approved.",
    "answers:",
)


def learn_drafts(library: Library, applied: Sequence[AppliedDecision],
                 evidence: EvidenceIndex) -> list[LibraryEdit]:
    """The proven edit of the drafts file that adds one new entry per taken draft.

    Each entry holds the row's question, the draft as its answer, its Yes/No only where a
    sentence states it, and the documents it quotes as evidence (with their titles and
    expiry dates), and no ``reviewed`` date: nobody has approved it yet. Lines are only
    appended, so nothing people wrote changes; the result must read as the old entries
    plus exactly the new ones, or LibraryError is raised and nothing is written.
    """
    taken = [a for a in applied if a.draft is not None and a.refused is None]
    if not taken:
        return []
    path = library.root / DRAFTS_FILE
    created = not path.exists()
    if created:
        before = b""
        text = YamlText("\n".join(_DRAFTS_HEADER).encode("utf-8") + b"\n")
    else:
        data = read_answer_file(path, DRAFTS_FILE)
        if isinstance(data, Finding):
            raise LibraryError(f"{data.location()}: {data.message}")
        before = data
        text = YamlText(data)
    used = {a.id for a in library.answers}
    meant: list[tuple[str, str, Draft]] = []
    for item in taken:
        assert item.draft is not None
        answer_id = _new_id(item.question.question, used)
        used.add(answer_id)
        meant.append((answer_id, item.question.question, item.draft))
        text.insert_lines(10**9, _draft_entry(answer_id, item.question.question, item.draft,
                                               evidence))
    after = text.to_bytes()
    added = _prove_drafts(before, after, meant, evidence)
    return [LibraryEdit(path, before, after, (), (), added, created)]


def _prove_drafts(before: bytes, after: bytes, meant: Sequence[tuple[str, str, Draft]],
                  evidence: EvidenceIndex) -> tuple[Answer, ...]:
    old, _ = check_answer_file(before, DRAFTS_FILE) if before else ([], [])
    new, findings = check_answer_file(after, DRAFTS_FILE)
    errors = [f for f in findings if f.severity is Severity.ERROR]
    new_ids = [answer_id for answer_id, _, _ in meant]
    kept = [answer_content(a) for a in new if a.id not in new_ids]
    by_id = {a.id: a for a in new}
    faithful = not errors and kept == [answer_content(a) for a in old] and all(
        answer_id in by_id
        and by_id[answer_id].question == " ".join(question.split())
        and by_id[answer_id].answer == " ".join(draft.text.split())
        and by_id[answer_id].short == draft.short
        and by_id[answer_id].reviewed is None
        and [(e.path, e.valid_until) for e in by_id[answer_id].evidence]
        == [(p, _valid_until(p, evidence)) for p in draft.paths]
        for answer_id, question, draft in meant)
    if not faithful:
        what = f" ({errors[0].location()}: {errors[0].message})" if errors else ""
        raise LibraryError(f"{DRAFTS_FILE}: adding the taken drafts would change more than "
                           f"adding them{what}; nothing was written, make sure its 'answers' "
                           "list comes last in the file")
    return tuple(by_id[answer_id] for answer_id in new_ids)


def _valid_until(path: str, evidence: EvidenceIndex) -> date | None:
    document = evidence.document(path)
    return document.valid_until if document is not None else None


def _new_id(question: str, taken: set[str]) -> str:
    words = [w for w in re.findall(r"[a-z0-9]+", question.lower()) if w not in STOPWORDS]
    base = "-".join(words[:7])[:60].strip("-") or "drafted-answer"
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def _draft_entry(answer_id: str, question: str, draft: Draft,
                 evidence: EvidenceIndex) -> list[str]:
    def quoted(value: str) -> str:
        return double_quoted(" ".join(value.split()))

    lines = [f"  - id: {answer_id}", f"    question: {quoted(question)}",
             f"    answer: {quoted(draft.text)}"]
    if draft.short:
        lines.append(f"    short: {quoted(draft.short)}")
    lines.append("    evidence:")
    for cited in draft.paths:
        document = evidence.document(cited)
        lines.append(f"      - path: {quoted(cited)}")
        if document is not None and document.title:
            lines.append(f"        title: {quoted(document.title)}")
        if document is not None and document.valid_until is not None:
            lines.append(f"        valid_until: {document.valid_until.isoformat()}")
    return lines
