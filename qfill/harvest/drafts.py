"""Draft entries from answered rows: one per question, collapsed within a harvest.

A draft holds what the library format holds (question, aliases, answer, short, evidence,
refs under the template's pinned scheme, tags from the section, the products, and the
source rows) and no ``reviewed`` date: it is a draft until a person approves it.

The same question asked twice in one harvest (within a file or across files) becomes one
draft, its other wordings aliases, when the answers agree. Generic questions that only
their section tells apart (CAIQ asks "Are the policies and procedures reviewed and updated
at least annually?" in seventeen domains) stay one draft per distinct answer, each with
its section in the question, its tags and its refs; the same question in the same section
with two answers is a ``duplicate-conflict``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from qfill.harvest.hygiene import Note
from qfill.harvest.rows import AnsweredRow
from qfill.library import ID_PATTERN, Short
from qfill.refschemes import scheme_for_template

NEAR_IDENTICAL = 95.0  # rapidfuzz ratio of two normalised questions taken as one question
_ID_WORDS = 7
_ID_LENGTH = 60
_STOPWORDS = frozenset((
    "a", "an", "the", "and", "or", "of", "to", "for", "in", "on", "at", "by", "with", "from",
    "as", "is", "are", "was", "were", "be", "been", "being", "do", "does", "did", "done",
    "you", "your", "yours", "we", "our", "ours", "us", "it", "its", "this", "that", "these",
    "those", "there", "their", "they", "them", "have", "has", "had", "any", "all", "each",
    "every", "which", "what", "who", "whom", "how", "when", "where", "why", "whether", "if",
    "than", "then", "so", "such", "can", "could", "will", "would", "shall", "should", "may",
    "might", "must", "please", "provide", "describe", "explain", "list", "state", "indicate",
    "confirm", "specify", "detail", "e", "g", "eg", "i", "ie", "etc", "not", "also", "other",
    "into", "within", "about", "over", "under",
))
_URL = re.compile(r"^https://\S+$")
_SECTION_NUMBER = re.compile(r"^\s*(?:[A-Z]|\d{1,3}(?:\.\d{1,3})*)[.)]\s+")  # "B. ", "4.2) "


@dataclass(slots=True)
class Draft:
    """A new entry in the making; ``rows`` are the answered rows it came from."""

    question: str
    answer: str
    short: Short | None
    section: str | None
    template: str | None
    question_id: str | None
    aliases: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    refs: dict[str, list[str]] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    products: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    rows: list[AnsweredRow] = field(default_factory=list)
    id: str = ""

    @property
    def narrative(self) -> bool:
        """Whether the answer says more than the Yes/No itself."""
        return self.short is None or normalise(self.answer) != normalise(self.short)

    @property
    def phrasings(self) -> tuple[str, ...]:
        return (self.question, *self.aliases)

    def fields(self) -> dict[str, Any]:
        """The entry as the answer-file format writes it, in its key order."""
        return {"id": self.id, "question": self.question, "aliases": list(self.aliases),
                "answer": self.answer, "short": self.short, "evidence": list(self.evidence),
                "refs": {k: list(v) for k, v in self.refs.items()}, "tags": list(self.tags),
                "products": list(self.products), "source": list(self.sources)}


def normalise(text: str | None) -> str:
    """Text as compared between answers and questions: case, punctuation and spacing."""
    if not text:
        return ""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(re.sub(r"[^\w]+", " ", folded).split())


def draft_of(row: AnsweredRow, product: str | None) -> Draft:
    """One cleaned row as a draft entry."""
    text = row.narrative
    if row.choice is not None:
        text = row.choice if text is None else f"{row.choice.rstrip('.')}. {text}"
    evidence: list[str] = []
    if row.evidence is not None:
        if _URL.match(row.evidence):
            evidence.append(row.evidence)
        elif text is not None and normalise(row.evidence) not in normalise(text):
            text = f"{text}\n\n{row.evidence}"
    if text is None:
        text = row.short or ""
    scheme = scheme_for_template(row.template)
    refs = {scheme: [row.question_id]} if scheme and row.question_id else {}
    tag = slug(_SECTION_NUMBER.sub("", row.section or ""), words=5)
    return Draft(question=row.question, answer=text, short=row.short, section=row.section,
                 template=row.template, question_id=row.question_id, evidence=evidence,
                 refs=refs, tags=[tag] if tag else [], products=[product] if product else [],
                 sources=[row.where], rows=[row])


def same_answer(short_a: Short | None, text_a: str, short_b: Short | None, text_b: str) -> bool:
    """Two answers say the same: one Yes/No, and the same narrative, or no narrative on one
    side (a bare "Yes" agrees with "Yes, quarterly")."""
    if short_a != short_b:
        return False
    a, b = normalise(text_a), normalise(text_b)
    bare = {normalise(short_a)} if short_a else set()
    return a == b or a in bare or b in bare


def collapse(drafts: Sequence[Draft]) -> tuple[list[Draft], list[Note]]:
    """One draft per question and answer; near-identical questions merged (see module).

    Near-identical is a rapidfuzz ratio of :data:`NEAR_IDENTICAL` on the normalised text:
    at most a few characters differ, in one or two places, so two such questions share
    their first three words or their last three. Only questions sharing one of those are
    compared, which keeps a harvest of thousands of rows linear in practice.
    """
    groups: list[list[Draft]] = []
    keys: list[str] = []
    exact: dict[str, int] = {}
    buckets: dict[tuple[str, ...], list[int]] = {}
    for draft in drafts:
        key = normalise(draft.question)
        index = exact.get(key)
        if index is None:
            index = _near(key, keys, buckets)
        if index is None:
            index = len(groups)
            keys.append(key)
            groups.append([])
            for bucket in _buckets(key):
                buckets.setdefault(bucket, []).append(index)
        exact.setdefault(key, index)
        groups[index].append(draft)
    result: list[Draft] = []
    notes: list[Note] = []
    for group in groups:
        kept, group_notes = _settle_group(group)
        result.extend(kept)
        notes.extend(group_notes)
    return result, notes


_TELLING = re.compile(r"\d+|\b(?:not|no|never|without|nor)\b")


def _telling(key: str) -> list[str]:
    """The numbers and negations of a question, which a near-identical one must share."""
    return _TELLING.findall(key)


def _buckets(key: str) -> list[tuple[str, ...]]:
    words = key.split()
    if len(words) < 6:
        return [("#short", str(len(words) // 2))]
    return [("<", *words[:3]), (">", *words[-3:])]


def _near(key: str, keys: Sequence[str], buckets: dict[tuple[str, ...], list[int]]
          ) -> int | None:
    from rapidfuzz import fuzz

    candidates = sorted({i for b in _buckets(key) for i in buckets.get(b, ())})
    best: tuple[float, int] | None = None
    telling = _telling(key)
    for i in candidates:
        if _telling(keys[i]) != telling:
            continue  # "30 days" and "90 days", "do" and "do not" ask different things
        score = fuzz.ratio(key, keys[i], score_cutoff=NEAR_IDENTICAL)
        if score and (best is None or score > best[0]):
            best = (score, i)
    return best[1] if best is not None else None


def _settle_group(group: list[Draft]) -> tuple[list[Draft], list[Note]]:
    answers: list[Draft] = []  # one merged draft per distinct answer
    notes: list[Note] = []
    for draft in group:
        same = next((a for a in answers if same_answer(a.short, a.answer, draft.short,
                                                       draft.answer)), None)
        if same is not None:
            merge(same, draft)
            notes.append(Note("duplicate", draft.sources[0], f"asks what "
                              f"{same.sources[0]} asks, with the same answer; merged"))
            continue
        answers.append(draft)
    if len(answers) == 1:
        return answers, notes
    kept: list[Draft] = []
    for draft in answers:
        clash = next((k for k in kept if not k.section or not draft.section
                      or normalise(k.section) == normalise(draft.section)), None)
        if clash is not None:
            notes.append(Note("duplicate-conflict", draft.sources[0], (
                f"asks what {clash.sources[0]} asks but answers "
                f"{_gist(draft)} where that row answers {_gist(clash)}; the first is kept, "
                "settle it by hand")))
            continue
        kept.append(draft)
    if len(kept) > 1:  # the section is what tells these apart: say it in the question
        for draft in kept:
            draft.question = f"{draft.question} ({draft.section})"
            draft.aliases = [a for a in draft.aliases if normalise(a) != normalise(
                draft.question)]
    return kept, notes


def _gist(draft: Draft) -> str:
    text = draft.answer if len(draft.answer) <= 60 else draft.answer[:57] + "..."
    return repr(text) if not draft.short or normalise(text) == normalise(draft.short) \
        else f"{draft.short!r} ({text!r})"


def merge(into: Draft, other: Draft) -> None:
    """Fold ``other`` (same question, same answer) into ``into``."""
    known = {normalise(p) for p in into.phrasings}
    for text in other.phrasings:
        if normalise(text) not in known:
            into.aliases.append(text)
            known.add(normalise(text))
    if other.narrative and not into.narrative:
        into.answer = other.answer
    for scheme, ids in other.refs.items():
        target = into.refs.setdefault(scheme, [])
        target.extend(i for i in ids if i not in target)
    for attr in ("evidence", "tags", "products", "sources"):
        target_list: list[str] = getattr(into, attr)
        target_list.extend(v for v in getattr(other, attr) if v not in target_list)
    into.rows.extend(other.rows)


def slug(text: str, words: int = _ID_WORDS, limit: int = _ID_LENGTH) -> str:
    """Lower-case words joined by hyphens, without filler words, within ``limit``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    tokens = re.findall(r"[a-z0-9]+", ascii_text.lower())
    kept = [t for t in tokens if t not in _STOPWORDS] or tokens
    out: list[str] = []
    for token in kept[:words]:
        if len("-".join([*out, token])) > limit:
            break
        out.append(token)
    return "-".join(out)


def assign_ids(drafts: Iterable[Draft], taken: set[str]) -> None:
    """Readable ids from each question, unique against ``taken`` (which grows).

    Deterministic: the same drafts against the same library get the same ids. A clash is
    resolved with the section's words, then a number.
    """
    for draft in drafts:
        base = slug(draft.question) or "answer"
        candidates = [base]
        section = slug(draft.section or "", words=2)
        if section:
            candidates.append(f"{section}-{base}"[:_ID_LENGTH].rstrip("-"))
        chosen = next((c for c in candidates if c not in taken and ID_PATTERN.match(c)), None)
        number = 2
        while chosen is None:
            candidate = f"{base}-{number}"
            if candidate not in taken:
                chosen = candidate
            number += 1
        draft.id = chosen
        taken.add(chosen)
