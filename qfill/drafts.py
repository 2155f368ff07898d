"""Drafts: answers assembled only from sentences of the company's own evidence, quoted.

For a row nothing in the library answers, a draft gives the reviewer a starting point
they can check at a glance: each sentence is copied verbatim from a passage and carries
its citation, so a draft cannot say more than the documents do. It carries no Yes/No
unless a quoted sentence states one outright ("Yes." / "No," at its start). A draft is
never written as a filled answer; a person takes it in the review file.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from qfill.evidence_index import Passage
from qfill.library import Short
from qfill.passage_ranking import PassageRanker, RankedPassage

# A quoted draft is made only when its best sentence covers this much of the question's
# weighted terms; each further sentence must cover as much, and at least FURTHER_SHARE of
# what the best covers, so a sentence that shares one common word is left out.
DRAFT_THRESHOLD = 0.5
FURTHER_SHARE = 0.8
MAX_SENTENCES = 3
MAX_CHARS = 700


@dataclass(frozen=True, slots=True)
class DraftSentence:
    text: str
    citations: tuple[Passage, ...]  # the passages it is quoted from (or claims support in)


@dataclass(frozen=True, slots=True)
class Draft:
    """A draft answer; ``origin`` is ``quoted`` (made by qfill) or ``command`` (made by
    the program named in ``evidence.draft_command``, then verified)."""

    sentences: tuple[DraftSentence, ...]
    short: Short | None = None
    origin: str = "quoted"

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.sentences)

    @property
    def citations(self) -> tuple[Passage, ...]:
        """Every passage cited, once, in order of first citation."""
        return tuple(dict.fromkeys(p for s in self.sentences for p in s.citations))

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p.path for p in self.citations))


# --------------------------------------------------------------------------- sentences

# Words after which a full stop does not end a sentence.
_ABBREVIATIONS = frozenset({"e.g", "i.e", "etc", "ltd", "inc", "no", "nos", "vs", "approx",
                            "fig", "sec", "art", "para", "cf", "dr", "mr", "mrs", "ms", "st",
                            "co", "corp", "dept", "est", "max", "min", "n", "ref", "v"})
_END = re.compile(r"[.!?][\"')\]]*\s+")
_CONTENT_START = re.compile(r"[\"'(\[]*[A-Z0-9]")


def split_sentences(text: str) -> list[str]:
    """The sentences of a passage, verbatim; each table row and line is its own."""
    sentences: list[str] = []
    for line in text.split("\n"):
        line = " ".join(line.split())
        start = 0
        for end in _END.finditer(line):
            before = line[start:end.start()].rsplit(" ", 1)[-1].lower().rstrip(".")
            after = line[end.end():]
            if before in _ABBREVIATIONS or (len(before) == 1 and before.isalpha()) \
                    or not _CONTENT_START.match(after):
                continue
            sentences.append(line[start:end.end()].strip())
            start = end.end()
        rest = line[start:].strip()
        if rest:
            sentences.append(rest)
    return sentences


_OUTRIGHT = re.compile(r"^(yes|no)\b\s*[.,;:!\u2013\u2014-]", re.IGNORECASE)


def stated_short(sentences: Sequence[str]) -> Short | None:
    """"Yes" or "No" when a sentence opens by saying it outright, and none says the
    opposite; else None: a draft's Yes/No is never inferred."""
    found = {m.group(1).capitalize() for s in sentences if (m := _OUTRIGHT.match(s.strip()))}
    if found == {"Yes"}:
        return "Yes"
    if found == {"No"}:
        return "No"
    return None


# --------------------------------------------------------------------------- drafting


def quote_draft(question: str, ranked: Sequence[RankedPassage],
                ranker: PassageRanker) -> Draft | None:
    """The sentences of the best passages that say most about the question, quoted.

    None when no sentence covers enough of the question: passages alone are shown then,
    because a draft that does not answer is worse than none.
    """
    terms = ranker.question_terms(question)
    if not terms:
        return None
    scored: list[tuple[float, int, int, str, Passage]] = []
    for rank, item in enumerate(ranked):
        for position, sentence in enumerate(split_sentences(item.passage.text)):
            coverage = ranker.coverage(terms, sentence)
            if coverage >= DRAFT_THRESHOLD:
                scored.append((coverage, rank, position, sentence, item.passage))
    scored.sort(key=lambda s: (-s[0], s[1], s[2]))
    if not scored or scored[0][0] < DRAFT_THRESHOLD:
        return None
    chosen: list[tuple[int, int, str, Passage]] = []
    seen: set[str] = set()
    length = 0
    floor = scored[0][0] * FURTHER_SHARE
    for coverage, rank, position, sentence, passage in scored:
        if coverage < floor:
            break
        folded = " ".join(sentence.lower().split())
        if folded in seen:
            continue
        if chosen and (len(chosen) >= MAX_SENTENCES or length + len(sentence) > MAX_CHARS):
            break
        seen.add(folded)
        chosen.append((rank, position, sentence, passage))
        length += len(sentence) + 1
    chosen.sort(key=lambda c: (c[0], c[1]))  # in the order the evidence tells it
    sentences = tuple(DraftSentence(text, (passage,)) for _, _, text, passage in chosen)
    return Draft(sentences, stated_short([s.text for s in sentences]), "quoted")
