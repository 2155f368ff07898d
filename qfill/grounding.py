"""What the company's own evidence says about one question: passages and a checked draft.

This ties the pieces together for `qfill answer` (every row a person must decide) and
`qfill search --evidence`: rank the passages, draft from them (quoting, or through
``evidence.draft_command``), and keep a draft only if :mod:`qfill.draft_verification`
accepts it. A command's draft that fails falls back to the quoted draft, and the refusal
is reported, naming the sentence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from qfill.draft_command import DraftCommandError, run_draft_command
from qfill.draft_verification import verify_draft
from qfill.drafts import Draft, quote_draft
from qfill.evidence_index import (
    DocumentCache,
    EvidenceIndex,
    build_evidence_index,
    evidence_validity,
)
from qfill.library import Library
from qfill.passage_ranking import PassageRanker, RankedPassage
from qfill.settings import Settings

if TYPE_CHECKING:
    from qfill.matching import Match

# Passages covering less of the question than this are not shown: they share a word,
# not a subject. Ranked by meaning, a passage this similar is shown whatever its words
# (on the labelled set, right passages and the best wrong ones overlap below it).
MIN_PASSAGE_SCORE = 0.2
MIN_SIMILARITY = 0.55


@dataclass(frozen=True, slots=True)
class Grounding:
    passages: tuple[RankedPassage, ...]
    draft: Draft | None = None
    refused: tuple[str, ...] = ()  # why a draft was refused
    notes: tuple[str, ...] = ()


class Grounder:
    """Passages and drafts for questions, over one evidence index."""

    def __init__(self, index: EvidenceIndex, settings: Settings, root: Path, *,
                 ranker: PassageRanker | None = None) -> None:
        self.index = index
        self.settings = settings
        self.root = root
        encoder = None
        if ranker is None and settings.matching.semantic:
            from qfill.semantic import load_encoder

            encoder = load_encoder()
        self.ranker = ranker or PassageRanker(index, settings.synonyms, encoder)

    def ground(self, question: str, *, draft: bool) -> Grounding:
        """The best passages for ``question`` and, when ``draft``, a verified draft."""
        k = self.settings.evidence.passages
        if k <= 0:
            return Grounding(())
        ranked = tuple(r for r in self.ranker.rank(question, k) if r.score >= MIN_PASSAGE_SCORE
                       or (r.similarity is not None and r.similarity >= MIN_SIMILARITY))
        if not draft or not ranked:
            return Grounding(ranked)
        refused: list[str] = []
        notes: list[str] = []
        command = self.settings.evidence.draft_command
        if command:
            try:
                proposed = run_draft_command(command, question, ranked, cwd=self.root,
                                             timeout=self.settings.evidence.draft_timeout)
            except DraftCommandError as e:
                refused.append(str(e))
            else:
                check = verify_draft(proposed, self.index, self.ranker.analyze)
                if check.draft is not None:
                    return Grounding(ranked, check.draft, (), check.notes)
                refused.extend(f"draft from {command[0]} refused: {p}" for p in check.problems)
        quoted = quote_draft(question, ranked, self.ranker)
        if quoted is not None:
            check = verify_draft(quoted, self.index, self.ranker.analyze)
            if check.draft is None:  # a quotation that fails its own check: never shown
                refused.extend(f"quoted draft refused: {p}" for p in check.problems)
            notes.extend(check.notes)
            return Grounding(ranked, check.draft, tuple(refused), tuple(notes))
        return Grounding(ranked, None, tuple(refused), tuple(notes))


def ground_matches(grounder: Grounder, matches: Sequence[Match]
                   ) -> dict[tuple[str, int], Grounding]:
    """Passages for every row a person must decide, and a draft for each unanswered row,
    by (sheet, row)."""
    found: dict[tuple[str, int], Grounding] = {}
    for match in matches:
        if match.status in ("review", "unanswered"):
            row = match.row
            found[(row.sheet, row.row)] = grounder.ground(
                row.question, draft=match.status == "unanswered")
    return found


def load_evidence(root: Path, library: Library | None, settings: Settings, *,
                  today: date, cache: DocumentCache | None = None) -> EvidenceIndex:
    """The library's evidence index as of ``today``, expired documents left out."""
    return build_evidence_index(root, today=today, cache=cache, validity=evidence_validity(
        library, settings.evidence.valid_until))


# --------------------------------------------------------------------------- JSON shape

EXCERPT_CHARS = 300


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """The passage as quoted in reports: whole when short, else cut at a word, with "..."."""
    flat = " ".join(text.replace("\n", "; ").split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + " ..."


def passage_to_dict(ranked: RankedPassage) -> dict[str, object]:
    p = ranked.passage
    return {"path": p.path, "title": p.title, "headings": list(p.headings),
            "location": p.location, "excerpt": excerpt(p.text), "score": round(ranked.score, 2)}


def draft_to_dict(draft: Draft) -> dict[str, object]:
    return {"text": draft.text, "short": draft.short, "origin": draft.origin,
            "sentences": [{"text": s.text, "citations": [
                {"path": p.path, "heading_path": p.heading_path, "location": p.location}
                for p in s.citations]} for s in draft.sentences]}
