"""Which passages of the evidence speak to a question: by wording, and optionally by meaning.

Wording uses the matcher's analysis (normalisation, thesaurus, stemming) and its term
weighting learned over the passages, so "MFA" finds "multi-factor authentication" and a
word every policy uses counts for little. Passages are scored with BM25 over their text
and their headings (a heading such as "4.2 Multi-factor authentication" says what the
passage under it is about), and shown with a 0..1 score: the weighted share of the
question's terms the passage covers. With ``--semantic`` the sentence model's similarity
is blended in, which finds a passage that answers in other words.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from qfill.evidence_index import EvidenceIndex, Passage
from qfill.terms import TermWeights, shared_analyzer

if TYPE_CHECKING:
    from qfill.semantic import Encoder

# BM25 over the passage's text; a question term in the heading right above the passage,
# or only in the title and outer headings, adds this share of the term's weight, so a
# passage whose own text says nothing of the question never outranks one that does
# just by sitting in the right document.
K1 = 0.9
B = 0.3  # passages differ in length less than in how much they say
SECTION_WEIGHT = 1.0
OUTER_WEIGHT = 0.6
# With meaning: score = (1 - MEANING_SHARE) * wording (0..1 of the best) + share * cosine.
MEANING_SHARE = 0.7  # tuned on the development half (0.3 to 0.9 tried)
SHORTLIST = 40  # passages re-scored by meaning, from the best by wording


@dataclass(frozen=True, slots=True)
class RankedPassage:
    passage: Passage
    score: float  # 0..1: the weighted share of the question's terms it covers
    rank_score: float  # what ranked it (BM25, blended with meaning when asked)
    similarity: float | None = None  # cosine similarity of meaning, when ranked by it


class PassageRanker:
    """Ranks the passages of one :class:`EvidenceIndex` for question text."""

    def __init__(self, index: EvidenceIndex, synonyms: Mapping[str, Sequence[str]] | None = None,
                 encoder: Encoder | None = None) -> None:
        self.index = index
        self.analyze = shared_analyzer(synonyms)
        self.passages = index.passages
        self._text: list[Counter[str]] = []
        self._headings: list[dict[str, float]] = []  # term -> SECTION_ or OUTER_WEIGHT
        self._lengths: list[float] = []
        for passage in self.passages:
            text = Counter(self.analyze(passage.text).terms)
            headings: dict[str, float] = {}
            for heading in (passage.title, *passage.headings[:-1]):
                headings.update(dict.fromkeys(self.analyze(heading).terms, OUTER_WEIGHT))
            if passage.headings and passage.headings[-1] != passage.title:
                headings.update(dict.fromkeys(self.analyze(passage.headings[-1]).terms,
                                              SECTION_WEIGHT))
            self._text.append(text)
            self._headings.append(headings)
            self._lengths.append(float(sum(text.values())) or 1.0)
        self.weights = TermWeights.learn([*t, *h] for t, h in zip(self._text, self._headings,
                                                                  strict=True))
        self._average = (math.fsum(self._lengths) / len(self._lengths)) if self._lengths else 1.0
        self._postings: dict[str, list[int]] = {}
        for i, (text, headings) in enumerate(zip(self._text, self._headings, strict=True)):
            for term in {*text, *headings}:
                self._postings.setdefault(term, []).append(i)
        self.encoder = encoder
        self._vectors = None
        if encoder is not None and self.passages:
            self._vectors = encoder.encode([_meaning_text(p) for p in self.passages])

    def question_terms(self, question: str) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.analyze(question).terms))

    def coverage(self, terms: Sequence[str], text: str) -> float:
        """The weighted share of ``terms`` found in ``text`` (0..1)."""
        total = self.weights.total(terms)
        if total <= 0:
            return 0.0
        found = set(self.analyze(text).terms)
        return self.weights.total(t for t in terms if t in found) / total

    def rank(self, question: str, k: int = 3) -> list[RankedPassage]:
        """The ``k`` best passages, best first; none that shares no term (or meaning)."""
        terms = self.question_terms(question)
        scores: dict[int, float] = {}
        for term in terms:
            for i in self._postings.get(term, ()):
                scores[i] = scores.get(i, 0.0) + self._term_score(term, i)
        similarity = None
        if self._vectors is not None and self.encoder is not None:
            scores, similarity = self._with_meaning(question, scores)
        order = sorted(scores, key=lambda i: (-scores[i], i))[:k]
        return [RankedPassage(self.passages[i], self._coverage_of(terms, i), round(scores[i], 4),
                              None if similarity is None else float(similarity[i]))
                for i in order]

    def _coverage_of(self, terms: Sequence[str], i: int) -> float:
        """Weighted share of the question's terms in the passage; a term found only in
        its headings counts half, only in the title or outer headings a quarter."""
        total = self.weights.total(terms)
        if total <= 0:
            return 0.0
        text, headings = self._text[i], self._headings[i]
        covered = math.fsum(self.weights.weight(t) * (1.0 if t in text else
                                                      headings.get(t, 0.0) / SECTION_WEIGHT / 2)
                            for t in terms)
        return round(covered / total, 4)

    def _term_score(self, term: str, i: int) -> float:
        weight = self.weights.weight(term)
        tf = self._text[i][term]
        score = weight * self._headings[i].get(term, 0.0)
        if tf:
            norm = K1 * (1.0 - B + B * self._lengths[i] / self._average)
            score += weight * tf * (K1 + 1.0) / (tf + norm)
        return score

    def _with_meaning(self, question: str, scores: dict[int, float]
                      ) -> tuple[dict[int, float], Any]:
        import numpy as np

        assert self.encoder is not None and self._vectors is not None
        vector = self.encoder.encode([question])[0]
        similarity = np.round((self._vectors @ vector).astype(np.float64), 4)
        best = max(scores.values(), default=0.0) or 1.0
        shortlist = set(sorted(scores, key=lambda i: -scores[i])[:SHORTLIST])
        shortlist.update(int(i) for i in np.argsort(-similarity, kind="stable")[:SHORTLIST])
        return {i: (1.0 - MEANING_SHARE) * scores.get(i, 0.0) / best
                + MEANING_SHARE * float(similarity[i]) for i in shortlist}, similarity


def _meaning_text(passage: Passage) -> str:
    section = passage.headings[-1] if passage.headings else passage.title
    return f"{section}: {passage.text}"
