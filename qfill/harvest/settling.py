"""Settling drafts against the library: an alias, a conflict, or a new entry.

A draft whose question the library already words the same way, or that the matcher
matches to an entry at fill confidence (by its id in the entry's refs, or by wording), is
that entry's question: with the same answer it adds its other wordings as aliases (nothing
at all when every wording is known, which is why harvesting a file twice changes nothing
the second time); with a different answer or Yes/No it is a conflict, listed with both
answers for a person and never merged. Anything else is a new entry.

With a product, an entry that holds for it (its own or a shared one) settles as above; an
entry of another product with the same answer gains this product too, and one with a
different answer is that product's own: the draft becomes a new entry for this product.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from qfill.harvest.drafts import Draft, normalise, same_answer
from qfill.library import Answer, Library
from qfill.questionnaire import QuestionRow
from qfill.settings import Settings


@dataclass(frozen=True, slots=True)
class AliasAdd:
    """New wordings of an existing entry's question, from a draft with its answer."""

    entry: Answer
    texts: tuple[str, ...]
    draft: Draft
    product: str | None = None  # a product the entry now holds for too


@dataclass(frozen=True, slots=True)
class Conflict:
    """A draft that asks an existing entry's question but answers otherwise."""

    entry: Answer
    draft: Draft
    route: str  # "wording", "id" or "same question"

    def to_dict(self) -> dict[str, object]:
        return {"source": self.draft.sources, "question": self.draft.question,
                "entry": {"id": self.entry.id, "file": self.entry.source,
                          "short": self.entry.short, "answer": self.entry.answer},
                "harvested": {"short": self.draft.short, "answer": self.draft.answer},
                "matched_by": self.route}


@dataclass(slots=True)
class Settlement:
    new: list[Draft] = field(default_factory=list)
    aliases: list[AliasAdd] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    known: list[tuple[Draft, Answer]] = field(default_factory=list)


def settle(drafts: Sequence[Draft], library: Library | None, settings: Settings, *,
           product: str | None = None) -> Settlement:
    """Decide for each draft: alias of an entry, conflict with one, or new."""
    result = Settlement()
    if library is None or not library.answers:
        result.new.extend(drafts)
        return result
    phrasing_owner = _phrasing_owners(library)
    pending: list[Draft] = []
    for draft in drafts:
        entry = _same_wording(draft, phrasing_owner, product)
        if entry is not None:
            _decide(result, draft, entry, "same question", product)
        else:
            pending.append(draft)
    if pending:
        _match(result, pending, library, settings, product)
    return result


def _phrasing_owners(library: Library) -> dict[str, list[Answer]]:
    owners: dict[str, list[Answer]] = {}
    for answer in library.answers:
        for text in answer.phrasings:
            entries = owners.setdefault(normalise(text), [])
            if answer not in entries:
                entries.append(answer)
    return owners


def _same_wording(draft: Draft, owners: dict[str, list[Answer]], product: str | None
                  ) -> Answer | None:
    """The one entry worded like the draft, preferring one that holds for ``product``."""
    for text in draft.phrasings:
        entries = owners.get(normalise(text), [])
        holding = [e for e in entries if product is None or e.holds_for(product)]
        if len(holding) == 1:
            return holding[0]
        if not holding and len(entries) == 1:
            return entries[0]
    return None


def _match(result: Settlement, drafts: Sequence[Draft], library: Library,
           settings: Settings, product: str | None) -> None:
    from qfill.matching import Matcher

    by_id = library.by_id()
    matcher = Matcher(library, settings)
    by_template: dict[str | None, list[Draft]] = {}
    for draft in drafts:
        by_template.setdefault(draft.template, []).append(draft)
    for template, group in by_template.items():
        rows = [QuestionRow(sheet="harvest", row=i + 1, question=d.question,
                            question_id=d.question_id, section=d.section)
                for i, d in enumerate(group)]
        for draft, match in zip(group, matcher.match(rows, template=template), strict=True):
            if match.status == "filled" and match.best is not None:
                route = "id" if match.best.via == "id" else "wording"
                _decide(result, draft, by_id[match.best.answer_id], route, product)
            else:
                result.new.append(draft)


def _decide(result: Settlement, draft: Draft, entry: Answer, route: str,
            product: str | None) -> None:
    other_product = product is not None and not entry.holds_for(product)
    if not same_answer(draft.short, draft.answer, entry.short, entry.answer):
        if other_product:
            result.new.append(draft)  # that product's answer; this one is this product's
        else:
            result.conflicts.append(Conflict(entry, draft, route))
        return
    known = {normalise(p) for p in entry.phrasings}
    texts = tuple(dict.fromkeys(t for t in draft.phrasings if normalise(t) not in known))
    if texts or other_product:
        result.aliases.append(AliasAdd(entry, texts, draft, product if other_product else None))
    else:
        result.known.append((draft, entry))
