"""Matching question rows to library answers: candidates, confidence, and a status.

A row is *filled* only when its best candidate is strong and clearly ahead of the
runner-up; a doubtful row goes to *review* with its reasons and suggestions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from qfill.library import Answer, Library
from qfill.questionnaire import QuestionRow
from qfill.settings import Settings

Status = Literal["filled", "review", "unanswered"]
Progress = Callable[[int], None]


@dataclass(frozen=True, slots=True)
class Candidate:
    """One library answer proposed for a row. ``confidence`` is in 0..1."""

    answer_id: str
    confidence: float
    via: Literal["id", "text"] = "text"
    reasons: tuple[str, ...] = ()  # guards that fired for this pairing

    def to_dict(self) -> dict[str, object]:
        return {"answer_id": self.answer_id, "confidence": round(self.confidence, 2)}


@dataclass(frozen=True, slots=True)
class Match:
    """The decision for one question row.

    ``reasons`` say why a row is not filled, each ``"<code>: <detail>"`` with a stable
    code (``low-score``, ``close-runner-up``, ``negation``, ``stale-answer``, ...).
    """

    row: QuestionRow
    status: Status
    candidates: tuple[Candidate, ...] = ()
    reasons: tuple[str, ...] = ()

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None

    @property
    def confidence(self) -> float:
        return self.candidates[0].confidence if self.candidates else 0.0


class Matcher:
    """Ranks library answers for question text; decides filled / review / unanswered."""

    def __init__(self, library: Library, settings: Settings | None = None) -> None:
        from rapidfuzz import fuzz, process, utils

        self._process, self._fuzz, self._utils = process, fuzz, utils
        self.library = library
        self.settings = settings or Settings()
        self._answers: list[Answer] = []
        self._texts: list[str] = []
        for answer in library.answers:
            for text in answer.phrasings:
                self._answers.append(answer)
                self._texts.append(text)
        self._by_ref: dict[str, Answer] = {}
        for answer in library.answers:
            for ref in answer.all_refs():
                self._by_ref.setdefault(_ref_key(ref), answer)

    def rank(self, questions: Sequence[str], ids: Sequence[str | None] = ()) -> list[
            list[Candidate]]:
        """The best candidates for each question, best first."""
        k = max(self.settings.matching.candidates, 1)
        scores = self._process.cdist(questions, self._texts, scorer=self._fuzz.token_set_ratio,
                                     processor=self._utils.default_process, workers=-1)
        ranked: list[list[Candidate]] = []
        for i, question_scores in enumerate(scores):
            best: dict[str, float] = {}
            qid = ids[i] if i < len(ids) else None
            if qid and _ref_key(qid) in self._by_ref:
                best[self._by_ref[_ref_key(qid)].id] = 1.0
            for j in question_scores.argsort()[::-1][: k * 4]:
                answer = self._answers[int(j)]
                score = float(question_scores[j]) / 100.0
                if score > best.get(answer.id, -1.0):
                    best[answer.id] = score
            ranked.append([Candidate(a, s, "id" if s == 1.0 and qid else "text")
                           for a, s in sorted(best.items(), key=lambda x: -x[1])[:k]])
        return ranked

    def match(self, rows: Sequence[QuestionRow], progress: Progress | None = None) -> list[Match]:
        ranked = self.rank([r.question for r in rows], [r.question_id for r in rows])
        if progress:
            progress(len(rows))
        return [self._decide(row, candidates) for row, candidates in zip(rows, ranked)]

    def _decide(self, row: QuestionRow, candidates: list[Candidate]) -> Match:
        cfg = self.settings.matching
        if not candidates or candidates[0].confidence < cfg.review_threshold:
            return Match(row, "unanswered", tuple(candidates), ("low-score: no answer fits",))
        best = candidates[0]
        runner = candidates[1].confidence if len(candidates) > 1 else 0.0
        if best.via == "id":
            return Match(row, "filled", tuple(candidates))
        if best.confidence < cfg.fill_threshold:
            return Match(row, "review", tuple(candidates),
                         (f"low-score: best match {best.confidence:.2f} is below "
                          f"{cfg.fill_threshold:.2f}",))
        if best.confidence - runner < cfg.margin:
            return Match(row, "review", tuple(candidates),
                         (f"close-runner-up: '{candidates[1].answer_id}' scores {runner:.2f}",))
        return Match(row, "filled", tuple(candidates))


def _ref_key(ref: str) -> str:
    return "".join(ref.split()).upper()
