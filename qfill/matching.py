"""Matching question rows to library answers: candidates, confidence, and a status.

A row is *filled* only when its best candidate is strong and clearly ahead of the
runner-up; a doubtful row goes to *review* with its reasons and suggestions.

How a row is scored, cheapest step first:

1. The row's own id is looked up in every entry's ``refs`` (spaces and case ignored).
   An id match is trusted: the library's authors said this entry answers that id.
2. The question is analysed into canonical terms (:mod:`qfill.terms`) and candidates are
   retrieved from an inverted index of every phrasing (question and aliases), scored by
   the weights of the terms they share. Only this step sees the whole library.
3. The few best entries are rescored with several signals (:data:`FEATURES`): weighted
   term overlap (Dice and the coverage of each side), the heaviest term left uncovered,
   rapidfuzz scorers on the canonical and the raw text, and how far the entry leads the
   next one; the row's section against the entry's tags and file name breaks ties. A
   logistic model (:data:`WEIGHTS`, fitted on real cross-version questionnaires and
   paraphrase sets) turns them into a confidence that reads as the chance the entry is
   right. The answer text, and how much of the question the entry's own question
   covers, only lift a suggestion in the ranking; they never bring a row up to filling,
   and never lift an entry about other people or with no period for a "how long?".
   Entries whose answer alone uses a question word no phrasing uses join the shortlist.
4. Guards (:mod:`qfill.guards`) catch negation, opposite verbs and qualifier mismatches;
   each lowers the confidence and sends the row to review with a named reason.

With ``matching.semantic`` (:mod:`qfill.semantic`), a sentence model adds what wording
cannot see: the entries closest in meaning join the shortlist, and each candidate's
similarity and its lead over the next entry are two more features of a second fitted model
(:data:`SEMANTIC_WEIGHTS`). The guards and thresholds are the same.
"""

from __future__ import annotations

import heapq
import math
import operator
import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from qfill import guards
from qfill.confidence import confidence_text
from qfill.library import Answer, Library
from qfill.library_index import LibraryIndex, load_index
from qfill.questionnaire import QuestionRow
from qfill.reasons import Reason, reason, reason_code
from qfill.refschemes import scheme_applies
from qfill.row_workers import map_chunks, worker_count
from qfill.settings import Settings
from qfill.terms import Analysis, TermWeights, shared_analyzer

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from qfill.semantic import MeaningIndex

Status = Literal["filled", "review", "unanswered", "prefilled"]
Progress = Callable[[int], None]

# How many entries retrieval hands to the cheap overlap pass, how many of those the
# expensive scorers rescore, and how many postings retrieval reads before common terms
# only add weight to entries already found.
_SHORTLIST_RETRIEVED = 24
_SHORTLIST_ENTRIES = 10
_MEANING_ENTRIES = 5  # entries closest in meaning added to the shortlist (semantic on)
_RETRIEVAL_BUDGET = 3000
_CHUNK = 100  # rows per progress report
# Confidence taken off when a guard fires: enough to drop below the fill threshold.
_GUARD_PENALTY = 0.15
# An id match counts as supported by the wording at this weighted overlap; a questionnaire
# with at least _ID_SAMPLE id matches, more than _ID_UNSUPPORTED_SHARE of them
# unsupported, is taken to use another version's ids (measured: CAIQ v4 rows against
# CAIQ v4 refs 18% unsupported, HECVAT 4 against HECVAT 4 refs 3%; CAIQ v3.0.1 rows
# against CAIQ v4 refs 84%, HECVAT 3 against HECVAT 4 refs 66%).
_ID_SUPPORT = 0.15
# Below this weighted overlap a row's words do not support its id match at all: the row
# goes to review (measured on CAIQ v4 and HECVAT 4 against the sample library's refs:
# every right id match shares more; a row reusing an id for another question shares less).
_ID_WORDS = 0.05
_ID_SAMPLE = 8
_ID_UNSUPPORTED_SHARE = 0.4
_SECTION_TIE = 0.02
# A term the library never uses, repeated in at least this many rows and this share of a
# questionnaire, is that questionnaire's boilerplate (the customer's name, its product).
_HOUSE_MIN_ROWS = 3
_HOUSE_SHARE = 0.05
_BOILERPLATE_FACTOR = 0.2  # as TermWeights damps the shipped boilerplate words
_NAME = re.compile(r"(?<=[a-z,;:]\s)[A-Z][a-z][\w&-]*")
_ANSWER_BONUS = 0.2  # ranking of suggestions only; never lifts a candidate to the fill threshold
# Ranking only, like the answer bonus: the share of the question an entry's own question
# covers. An entry is about what its own question names; an alias may mention a word in
# passing ("export the audit trail to our own SIEM" is not the SIEM entry).
_SUBJECT_BONUS = 0.2
# Entries whose answer text alone uses a question word no phrasing uses ("hotline" in
# "our 24x7 security hotline") join the shortlist, at most this many.
_ANSWER_ENTRIES = 3


@dataclass(frozen=True, slots=True)
class Candidate:
    """One library answer proposed for a row. ``confidence`` is in 0..1."""

    answer_id: str
    confidence: float
    # How it was found: the row's id in the entry's refs, shared words, or (with
    # matching.semantic) closeness in meaning where wording alone did not shortlist it.
    via: Literal["id", "text", "meaning"] = "text"
    reasons: tuple[Reason, ...] = ()  # guards that fired for this pairing

    def to_dict(self) -> dict[str, object]:
        return {"answer_id": self.answer_id, "confidence": round(self.confidence, 2)}


@dataclass(frozen=True, slots=True)
class Match:
    """The decision for one question row.

    ``reasons`` say why a row is not filled, each with a registered code
    (:mod:`qfill.reasons`: ``low-score``, ``close-runner-up``, ``negation``, ...).
    """

    row: QuestionRow
    status: Status
    candidates: tuple[Candidate, ...] = ()
    reasons: tuple[Reason, ...] = ()

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None

    @property
    def confidence(self) -> float:
        return self.candidates[0].confidence if self.candidates else 0.0


# The signals scored for each (question, library phrasing) pair; see :func:`features`.
FEATURES: tuple[str, ...] = (
    "dice",      # weighted term overlap, 2|Q&P| / (|Q| + |P|), terms weighed by rarity
    "cover_q",   # share of the question's weight the phrasing covers
    "cover_p",   # share of the phrasing's weight the question covers
    "gap_q",     # the question's heaviest uncovered term, relative to its heaviest term
    "gap_p",     # the same for the phrasing
    "sort",      # rapidfuzz token_sort_ratio on the canonical terms
    "tset",      # rapidfuzz token_set_ratio on the canonical terms
    "ratio",     # rapidfuzz ratio on the normalised raw text (near-verbatim copies)
    "unseen",    # share of the question's weight in terms the library never uses
    "gap_entry", # the question's heaviest term in none of the entry's phrasings,
                 # relative to its heaviest term
    "anchor",    # the question's heaviest shared term, relative to its heaviest term
    "exclusive", # 1 when that shared term appears in no other entry of the library
    "lead",      # combined overlap minus that of the best other entry
)
# With semantic matching (qfill.semantic) two more, from a sentence model.
SEMANTIC_FEATURES: tuple[str, ...] = (
    *FEATURES,
    "meaning",       # cosine similarity of the question to the entry's closest phrasing
    "meaning_lead",  # that similarity minus the best of any other entry
)

# Logistic weights (bias first), fitted by ``benchmarks/accuracy.py --fit`` on
# cross-version questionnaires and paraphrase sets, so a confidence reads as the chance
# that the candidate is right. Only these numbers change when the model is refitted
# (refit whenever the thesaurus changes: it moves every term weight). At the default fill
# threshold, 0.90, filled rows were right 81 times in 82 on cold development sets (a
# library meeting questionnaires it was never shown: CAIQ v4 and HECVAT 4 against the
# sample library with refs stripped, and its aliases held out) and 34 in 34 on
# paraphrases of the library's own questions.
WEIGHTS: tuple[float, ...] = (
    -3.392, 0.916, 0.003, 0.888, 1.546, -0.295, 1.638, 0.961, -0.308, -0.337, -2.111, 0.709,
    0.381, 6.541)
# The same for SEMANTIC_FEATURES, fitted the same way on the same development sets (three
# rounds, since the ranking that picks the fitted candidates depends on the weights). At
# 0.90 filled rows were right 91 in 92 on the cold sets above (top-3 87-98% against
# 80-92% on wording alone) and 34 in 34 on the paraphrases.
SEMANTIC_WEIGHTS: tuple[float, ...] = (
    -3.055, 0.310, -0.798, -0.732, 0.776, -0.366, 1.646, 0.149, -2.398, 0.042, -1.819, 0.496,
    0.334, 5.835, 5.938, 4.973)


class _WeightOf(dict[str, float]):
    """term -> its weight (:meth:`TermWeights.weight`), worked out when first asked: the
    scorers weigh the same terms row after row."""

    def __init__(self, weights: TermWeights) -> None:
        super().__init__()
        self._weight = weights.weight

    def __missing__(self, term: str) -> float:
        found = self[term] = self._weight(term)
        return found


def confidence_of(values: Sequence[float], weights: Sequence[float] = WEIGHTS) -> float:
    """The calibrated confidence (0..1) for one pair's feature values."""
    if len(values) != len(weights) - 1:
        raise ValueError(f"{len(values)} feature values for {len(weights) - 1} weights")
    z = weights[0] + sum(map(operator.mul, weights[1:], values))
    if z < -30.0:
        return 0.0
    return 1.0 / (1.0 + math.exp(-z))


@dataclass(slots=True)
class Scored:
    """One library entry scored against one question (the best of its phrasings)."""

    entry: int
    phrasing: int
    values: tuple[float, ...]
    confidence: float
    rank_key: float
    reasons: tuple[Reason, ...]
    via: Literal["text", "meaning"] = "text"


@dataclass(frozen=True, slots=True)
class _Query:
    """One question analysed and weighed, ready to score against entries."""

    text: str
    analysis: Analysis
    terms: frozenset[str]
    weights: dict[str, float]
    total: float
    heaviest: float


@dataclass(slots=True)
class _Unchecked:
    """One shortlisted entry scored before its guards run: ``bound`` is the rank key it
    gets if none fires, the most it can get (a guard only lowers it)."""

    place: int  # its place in the shortlist, which orders equals
    entry: int
    phrasing: int
    values: tuple[float, ...]
    confidence: float  # before any guard's penalty, and before clipping to 0..1
    unguarded: float  # the same clipped to 0..1: its confidence if no guard fires
    lifted: float  # its rank if no guard fires
    bound: float


@dataclass(frozen=True, slots=True)
class _Rivals:
    """What lint asks of a wording: which entries score at least ``at_least`` and within
    ``within`` of one of ``owners``, the wording's own entries (:meth:`Matcher.rank_among`).

    An entry's rank is never below its confidence, nor above its rank with no guard
    firing (``_Unchecked.bound``): an entry whose bound is below what the owners ask of a
    rival is none, whatever its guards say.
    """

    owners: frozenset[int]
    within: float
    at_least: float

    def floor(self, owners: Sequence[float]) -> float:
        """The score a rival must reach, given the owners' confidences (an owner not
        shortlisted counts as scoring nothing)."""
        if len(owners) < len(self.owners):
            return self.at_least
        return min((max(self.at_least, own - self.within) for own in owners),
                   default=self.at_least)


@dataclass(frozen=True, slots=True)
class _Work:
    """One question on its way through matching: its id's entries and scored entries."""

    qid: str | None
    by_id: tuple[int, ...]
    scored: list[Scored]


class Matcher:
    """Ranks library answers for question text; decides filled / review / unanswered."""

    def __init__(self, library: Library, settings: Settings | None = None,
                 meaning: MeaningIndex | None = None, *,
                 index_cache: Path | None = None, prebuilt: LibraryIndex | None = None) -> None:
        """``meaning`` ranks by meaning too; built from the shipped sentence model when
        ``matching.semantic`` is set and none is given (see :mod:`qfill.semantic`).
        ``index_cache`` is a folder that keeps the library's index between runs
        (:mod:`qfill.library_index`); ``index_from_cache`` says whether it was used.
        ``prebuilt`` is the library's index built already (lint's near-duplicate join
        builds it first), used as is."""
        from rapidfuzz import fuzz

        self._fuzz = fuzz
        self.library = library
        self.settings = settings or Settings()
        self._analyze = shared_analyzer(self.settings.synonyms)
        self._answers: tuple[Answer, ...] = library.answers
        built, self.index_from_cache = (prebuilt, False) if prebuilt else load_index(
            self._answers, self._analyze, self.settings.synonyms, index_cache)
        self._entry_of = built.entry_of
        self._phrasings = built.phrasings
        self._sets = built.sets
        self.weights = built.weights
        self._weight_of = _WeightOf(built.weights)
        self._union = built.union
        self._df = built.df
        self._totals = built.totals
        self._maxima = built.maxima
        # The inverted index is by entry: a term points at the entries using it in any
        # phrasing, so aliases do not multiply the work of retrieval.
        self._postings = built.postings
        self._posting_arrays: dict[str, NDArray[np.intp]] = {}  # made when first read
        self._posting_sets: dict[str, frozenset[int]] = {}  # the same, to break ties
        self._context = built.context
        self._answer_analyses = built.answers
        if built.qualified:  # else the guards work each out when first needed
            guards.remember_qualified(built.phrasings, built.qualified)
        self._answer_sets: dict[int, frozenset[str]] = {}
        self._answer_postings: dict[str, list[int]] | None = None  # built when first needed
        self._phrasings_of: list[list[int]] = [[] for _ in self._answers]
        for j, entry in enumerate(self._entry_of):
            self._phrasings_of[entry].append(j)
        self._entry_of_id: dict[str, int] = {}
        for index, answer in enumerate(self._answers):
            self._entry_of_id.setdefault(answer.id, index)
        # id -> (entry, scheme): a pinned scheme's ids hold only in its template version.
        self._by_ref: dict[str, list[tuple[int, str]]] = {}
        for index, answer in enumerate(self._answers):
            for scheme, refs in answer.refs.items():
                for ref in refs:
                    entries = self._by_ref.setdefault(ref_key(ref), [])
                    if (index, scheme) not in entries:
                        entries.append((index, scheme))
        if meaning is None and self.settings.matching.semantic:
            from qfill.semantic import MeaningIndex, load_encoder

            texts = [text for answer in self._answers for text in answer.phrasings]
            meaning = MeaningIndex(load_encoder(), texts, self._entry_of, len(self._answers))
        self._meaning = meaning

    # ------------------------------------------------------------------ public API

    def rank(self, questions: Sequence[str], ids: Sequence[str | None] = (),
             sections: Sequence[str | None] = ()) -> list[list[Candidate]]:
        """The best candidates for each question, best first."""
        k = max(self.settings.matching.candidates, 1)
        if self._meaning is not None:
            self._meaning.prepare(questions)
        work = [self._prepare(q, _at(ids, i), _at(sections, i), needed=k)
                for i, q in enumerate(questions)]
        trust = self._id_trust(work)
        return [self._candidates(w, k, trust=trust)[0] for w in work]

    def search(self, text: str, k: int = 5) -> list[Candidate]:
        """The ``k`` best entries for free text, with the guards that fired."""
        k = max(k, 1)
        return self._candidates(self._prepare(text, None, None, needed=k), k, trust=True)[0]

    def match(self, rows: Sequence[QuestionRow], progress: Progress | None = None, *,
              template: str | None = None) -> list[Match]:
        """A decision for every row, in order; ``progress`` gets the rows done so far.

        ``template`` is the questionnaire's recognised template ("CAIQ v4"): refs under a
        scheme pinned to a template version (:mod:`qfill.refschemes`) match only there.
        """
        k = max(self.settings.matching.candidates, 2)
        damped = self.questionnaire_boilerplate([row.question for row in rows])
        if self._meaning is not None:
            self._meaning.prepare([row.question for row in rows])

        def prepare(start: int, stop: int) -> list[_Work]:
            return [self._prepare(row.question, row.question_id, row.section, damped,
                                  template, needed=k) for row in rows[start:stop]]

        # A large questionnaire is matched on every core (qfill.row_workers); with meaning,
        # in this process only (the sentence model's runtime keeps threads of its own).
        workers = worker_count(len(rows)) if self._meaning is None else 1
        import numpy  # noqa: F401 - retrieval's; imported once here, not in every worker

        work = map_chunks(prepare, len(rows), chunk=_CHUNK, workers=workers,
                          progress=progress)
        trust = self._id_trust(work)
        result: list[Match] = []
        for row, w in zip(rows, work, strict=True):
            candidates, note = self._candidates(w, k, trust=trust)
            result.append(self._decide(row, candidates, note))
        return result

    def pair_reasons(self, question: str, answer_id: str,
                     section: str | None = None) -> tuple[Reason, ...]:
        """The guards that fire between ``question`` (in ``section``) and one chosen entry
        (negation, qualifiers), for a pairing a person made rather than the matcher:
        ``qfill apply`` checks a decision with the same guards as a fill."""
        entry = next((i for i, a in enumerate(self._answers) if a.id == answer_id), None)
        if entry is None:
            return ()
        scored = next((s for s in self.score(question, section, extra=(entry,))
                       if s.entry == entry), None)
        if scored is None:
            return ()
        return tuple(r for r in scored.reasons if r.code != "uncovered-term")

    def questionnaire_boilerplate(self, questions: Sequence[str]) -> frozenset[str]:
        """Terms this questionnaire repeats that the library never uses: the customer's
        own name ("Will Contoso data be...", "Does the Institution..."), its product, its
        house style. Like "does your organization", they say nothing about which answer
        fits, so they weigh as boilerplate for this questionnaire only.
        """
        if len(questions) < _HOUSE_MIN_ROWS:
            return frozenset()
        idf = self.weights.idf
        counts: dict[str, int] = {}
        for question in questions:
            # Names, not words: only capitalised words inside a sentence count, so a
            # verb the questionnaire happens to favour ("implement") keeps its weight.
            names = " ".join(_NAME.findall(question))
            for term in set(self._analyze(names).terms) if names else ():
                if term not in idf:
                    counts[term] = counts.get(term, 0) + 1
        floor = max(_HOUSE_MIN_ROWS, _HOUSE_SHARE * len(questions))
        return frozenset(t for t, c in counts.items() if c >= floor)

    def near_duplicates(self, threshold: float = 0.7) -> list[tuple[str, str, float]]:
        """Pairs of phrasings (question or alias) of different entries whose weighted term
        overlap, Dice over the matcher's own terms and weights, reaches ``threshold``:
        ``(earlier text, later text, dice)`` in library order. Such wordings are the ones
        a row can be torn between (the join lint uses: :func:`qfill.overlap.near_pairs`).
        """
        from qfill.overlap import near_pairs

        return [(self._phrasing_text(i), self._phrasing_text(j), dice) for i, j, dice in
                near_pairs(self._sets, self._entry_of, self.weights.weight, threshold)]

    def _phrasing_text(self, j: int) -> str:
        entry = self._entry_of[j]
        return self._answers[entry].phrasings[j - self._phrasings_of[entry][0]]

    # ------------------------------------------------------------------ ids

    def _prepare(self, question: str, qid: str | None, section: str | None,
                 damped: frozenset[str] = frozenset(), template: str | None = None, *,
                 needed: int | None = None) -> _Work:
        by_id: tuple[int, ...] = ()
        if qid:
            by_id = tuple(dict.fromkeys(
                entry for entry, scheme in self._by_ref.get(ref_key(qid), ())
                if scheme_applies(scheme, template)))
        return _Work(qid, by_id, self.score(question, section, damped, extra=by_id,
                                            needed=needed))

    def _id_trust(self, work: Sequence[_Work]) -> bool:
        """Whether this questionnaire's row ids mean what the library's refs mean.

        A row whose id is in an entry's refs is matched by id, not by wording (the library
        contract). But refs name ids, not the questionnaire's version, and versions reuse
        ids for other questions (HECVAT 4 reuses HECVAT 3 ids; CAIQ v3 and v4 number
        controls differently). When many id matches cite entries worded nothing like
        their rows, the refs are for another version, and ids are not used at all.
        """
        hits = [w for w in work if w.by_id]
        if len(hits) < _ID_SAMPLE:
            return True
        unsupported = sum(1 for w in hits if not self._supported(w))
        return unsupported <= _ID_UNSUPPORTED_SHARE * len(hits)

    def _supported(self, work: _Work) -> bool:
        overlap = {s.entry: s.values[0] for s in work.scored}
        return any(overlap.get(e, 0.0) >= _ID_SUPPORT for e in work.by_id)

    def _candidates(self, work: _Work, k: int, *, trust: bool
                    ) -> tuple[list[Candidate], Reason | None]:
        by_id: tuple[int, ...] = work.by_id
        note = None
        if by_id and not trust:
            note = ids_not_used(work.qid or "", [self._answers[e].id for e in by_id])
            by_id = ()
        result = [Candidate(self._answers[e].id, 1.0, "id", self._id_reasons(work, e))
                  for e in by_id]
        seen = set(by_id)
        for s in work.scored:
            if s.entry not in seen:
                result.append(Candidate(self._answers[s.entry].id, s.confidence, s.via,
                                        s.reasons))
            if len(result) >= k:
                break
        return result[:k], note

    def _id_reasons(self, work: _Work, entry: int) -> tuple[Reason, ...]:
        """Why an id match must not fill its row: the row's words must agree with the
        entry, by the same guards as a match by wording (the uncovered-term guard aside:
        an id says which entry, so the row need not share its rarest word)."""
        scored = next((s for s in work.scored if s.entry == entry), None)
        overlap = scored.values[0] if scored is not None else 0.0
        unsupported = id_unsupported(work.qid or "", self._answers[entry].id, overlap)
        if unsupported is not None:
            return (unsupported,)
        assert scored is not None
        return tuple(r for r in scored.reasons if r.code != "uncovered-term")

    def score(self, question: str, section: str | None = None,
              damped: frozenset[str] = frozenset(), extra: Sequence[int] = (), *,
              needed: int | None = None) -> list[Scored]:
        """The shortlisted entries for ``question`` with their features, best first.

        ``damped`` terms (the questionnaire's own boilerplate) weigh as boilerplate does.
        ``extra`` entries (the row's id matches) are scored whether retrieved or not.
        With ``needed``, only the best ``needed`` entries (and ``extra``) are listed: an
        entry that cannot rank among them is left out before its guards are run.
        """
        query = self._query(question, damped)
        if query is None:
            return []
        # Cheap first pass: the weighted overlap of every phrasing of the retrieved
        # entries; the expensive scorers then run on the best phrasing of the best few.
        return self._score_entries(query, self._retrieve(query.terms, query.total), section,
                                   extra, needed)

    def rank_among(self, questions: Sequence[str], among: Sequence[Sequence[str]], *,
                   owners: Sequence[Collection[str]] | None = None, within: float = 1.0,
                   at_least: float = 0.0) -> list[list[Candidate]]:
        """The best candidates for each question, drawn only from the answer ids given
        for it (unknown ids are ignored), scored as :meth:`rank` scores them.

        Lint asks this for an entry's own wording against the entries a near-duplicate
        join found for it: bounded work, where :meth:`rank` would search the library.
        With ``owners`` (each question's own entries) it asks only which other entries
        score at least ``at_least`` and within ``within`` of an owner: those are listed
        as without ``owners``, with the owners; the rest are left out before their guards
        run, and when no other entry can come that close, nothing is listed.
        """
        k = max(self.settings.matching.candidates, 1)
        index = self._entry_of_id
        result: list[list[Candidate]] = []
        for n, (question, ids) in enumerate(zip(questions, among, strict=True)):
            query = self._query(question, frozenset())
            entries = list(dict.fromkeys(index[i] for i in ids if i in index))
            rivals = None if owners is None else _Rivals(
                frozenset(index[i] for i in owners[n] if i in index), within, at_least)
            scored = self._score_entries(query, entries, None, rivals=rivals) if query else []
            result.append(self._candidates(_Work(None, (), scored), k, trust=True)[0])
        return result

    def _query(self, question: str, damped: frozenset[str]) -> _Query | None:
        qa = self._analyze(question)
        qset = frozenset(qa.terms)
        if not qset:
            return None
        weight = self._weight_of
        qweights = {t: weight[t] * (_BOILERPLATE_FACTOR if t in damped else 1.0)
                    for t in qset}
        return _Query(question, qa, qset, qweights, math.fsum(qweights.values()),
                      max(qweights.values()))

    def _score_entries(self, query: _Query, entries: Sequence[int], section: str | None,
                       extra: Sequence[int] = (), needed: int | None = None, *,
                       rivals: _Rivals | None = None) -> list[Scored]:
        """The best of ``entries`` by weighted overlap, scored with every feature and
        guard, best first; ``extra`` entries are scored whatever their overlap.

        With ``needed``, the guards run only where they can change which entries rank
        among the best ``needed``: a guard only ever lowers a rank, so an entry whose
        rank without them is below that of ``needed`` entries already checked is left
        out (the rest are ranked exactly as when every entry is checked). With
        ``rivals``, only the entries :meth:`rank_among` asks for are checked."""
        qa, qset, qweights, wq, qmax = (query.analysis, query.terms, query.weights,
                                        query.total, query.heaviest)
        idf = self.weights.idf
        # The question's most telling words: the heaviest, with any tied with it, that
        # the library uses somewhere (a word it never uses says nothing about any entry).
        telling = [t for t in qset if qweights[t] >= qmax * (1.0 - 1e-9) and t in self._df]
        unseen = math.fsum(w for t, w in qweights.items() if t not in idf) / wq
        best: list[tuple[float, int, int]] = []
        for entry in entries:
            overlap, j = self._best_phrasing(entry, qset, qweights, wq)
            if overlap > 0.0:
                best.append((overlap, entry, j))
        shortlist = sorted(best, reverse=True)[:_SHORTLIST_ENTRIES]
        listed = {entry for _, entry, _ in shortlist}
        for entry in extra:
            if entry not in listed:
                overlap, j = self._best_phrasing(entry, qset, qweights, wq)
                shortlist.append((max(overlap, 0.0), entry, j))
                listed.add(entry)
        meaning = None
        by_meaning: set[int] = set()  # entries only the sentence model brought in
        if self._meaning is not None and self._answers:
            # Entries close in meaning join the shortlist even when they share no word.
            meaning = self._meaning.similarities(query.text)
            order = [int(e) for e in (-meaning).argsort(kind="stable")[:_MEANING_ENTRIES]]
            closest = (order[0], float(meaning[order[0]]),
                       float(meaning[order[1]]) if len(order) > 1 else 0.0)
            for entry in order:
                if entry not in listed:
                    overlap, j = self._best_phrasing(entry, qset, qweights, wq)
                    shortlist.append((overlap, entry, j))
                    by_meaning.add(entry)
        wording = len(shortlist)  # the entries the lead is measured among
        unseen_terms = qset.difference(self._df)
        if unseen_terms and _ANSWER_ENTRIES:
            for entry in self._answered_by(unseen_terms, qweights)[:_ANSWER_ENTRIES]:
                if entry not in listed:
                    overlap, j = self._best_phrasing(entry, qset, qweights, wq)
                    shortlist.append((max(overlap, 0.0), entry, j))
                    listed.add(entry)
        if not shortlist:
            return []
        fuzz = self._fuzz
        text, plain = qa.text, qa.plain
        # The question's terms, heaviest first (ties by name, as max() with that key
        # would pick): the heaviest term in a set, or outside it, is the first such here.
        by_weight = sorted(qset, key=lambda t: (qweights[t], t), reverse=True)
        weight_of = self._weight_of
        section_terms: frozenset[str] = frozenset()
        heading = None
        if section:
            section_analysis = self._analyze(section)
            section_terms = frozenset(section_analysis.terms)
            # A heading naming whose the questions are ("Consulting Services") stands in,
            # in the guards, for a question that names no one.
            heading = guards.read_section(section, section_analysis)
        ceiling = self.settings.matching.fill_threshold - 0.01
        # Each entry's lead is over the best other one: the first over the second (among
        # the entries wording found), every other one over the first.
        runner_up = shortlist[1][0] if min(len(shortlist), wording) > 1 else 0.0
        unchecked: list[_Unchecked] = []
        for n, (overlap, entry, j) in enumerate(shortlist):
            other = shortlist[0][0] if n else runner_up
            pset = self._sets[j]
            phrasing = self._phrasings[j]
            shared = qset & pset
            wi = math.fsum(map(qweights.__getitem__, shared))
            gap_q = next((qweights[t] for t in by_weight if t not in shared), 0.0) / qmax
            gap_p = max(map(weight_of.__getitem__, pset - shared), default=0.0) / self._maxima[j]
            entry_terms = self._union[entry]
            gap_entry = next((qweights[t] for t in by_weight if t not in entry_terms),
                             0.0) / qmax
            anchor_term = next((t for t in by_weight if t in shared), None)
            anchor = qweights[anchor_term] / qmax if anchor_term else 0.0
            exclusive = 1.0 if anchor_term and self._df.get(anchor_term, 0) <= 1 else 0.0
            context = (len(section_terms & self._context[entry]) / len(section_terms)
                       if section_terms else 0.0)
            full: tuple[float, ...] = (
                overlap, wi / wq, wi / self._totals[j], gap_q, gap_p,
                fuzz.token_sort_ratio(text, phrasing.text) / 100.0,
                fuzz.token_set_ratio(text, phrasing.text) / 100.0,
                fuzz.ratio(plain, phrasing.plain) / 100.0,
                unseen, gap_entry, anchor, exclusive, overlap - other)
            # The row's section (against the entry's tags and file name) only breaks ties:
            # fitted as a feature it did not help on the development sets.
            confidence = confidence_of(full) + _SECTION_TIE * context
            if meaning is not None:
                # With meaning, the confidence is the model fitted with its two features.
                near = closest[1] if entry == closest[0] else closest[2]
                full = (*full, float(meaning[entry]), float(meaning[entry]) - near)
                confidence = confidence_of(full, SEMANTIC_WEIGHTS) + _SECTION_TIE * context
            unguarded = min(max(confidence, 0.0), 1.0)
            lifted = self._lifted(entry, query, unguarded, ceiling)
            unchecked.append(_Unchecked(n, entry, j, full, confidence, unguarded, lifted,
                                        lifted + 1e-6 * unguarded))
        forced = set(extra)
        best_keys: list[float] = []  # the rank keys of the best `needed` checked, a heap
        out: list[tuple[int, Scored]] = []
        first = rivals.owners if rivals is not None else frozenset()
        floor: float | None = None  # what a rival must reach, once the owners are checked
        if rivals is not None:
            mine = [max(u.confidence - _GUARD_PENALTY, 0.0) for u in unchecked
                    if u.entry in first]
            if len(mine) < 2 and not any(u.bound >= rivals.floor(mine) for u in unchecked
                                         if u.entry not in first):
                return []  # no rival, even if every guard fires for the owner, none for it
        for u in sorted(unchecked, key=lambda u: (u.entry not in first, -u.bound)):
            if needed is not None and len(best_keys) >= needed and best_keys[0] > u.bound \
                    and u.entry not in forced:
                continue  # ranks below `needed` entries whatever its guards say
            if rivals is not None and u.entry not in first:
                if floor is None:
                    floor = rivals.floor([s.confidence for _, s in out if s.entry in first])
                if u.bound < floor:
                    continue  # cannot come that close to an owner whatever its guards say
            scored = self._checked(u, query, telling, heading, ceiling,
                                   "meaning" if u.entry in by_meaning else "text")
            out.append((u.place, scored))
            if needed is not None:
                heapq.heappush(best_keys, scored.rank_key)
                if len(best_keys) > needed:
                    heapq.heappop(best_keys)
        # Best first; equals in the order they were shortlisted.
        out.sort(key=lambda o: (-o[1].rank_key, o[0]))
        return [scored for _, scored in out]

    def _checked(self, u: _Unchecked, query: _Query, telling: Sequence[str],
                 heading: guards.Section | None, ceiling: float,
                 via: Literal["text", "meaning"]) -> Scored:
        """An entry scored with the guards: what they find lowers its confidence."""
        qa, entry, j = query.analysis, u.entry, u.phrasing
        answer = self._answers[entry]
        phrasing = self._phrasings[j]
        main = self._phrasings[self._phrasings_of[entry][0]]
        answer_text = self._answer_analyses[entry]
        reasons = guards.check(qa, phrasing, answer.id, answer=answer_text, main=main,
                               short=answer.short, section=heading)
        confidence, lifted = u.confidence, u.lifted
        if reasons:
            confidence -= _GUARD_PENALTY
        about_others = bool(reasons) and guards.about_others(
            qa, phrasing, answer=answer_text, main=main)
        # The question's most telling word is used by another entry but nowhere in this
        # one (question, aliases, answer): it is probably about that other thing. Held
        # for review without lowering the rank, so the suggestion order is unchanged.
        # Words tied for most telling: the entry needs one of them. Which one an entry
        # lacks must not depend on set order (string hashing varies between runs).
        uncovered = uncovered_term(qa, telling, (self._union[entry], self._answer_terms(entry)),
                                   answer.id)
        if uncovered is not None:
            reasons = (*reasons, uncovered)
        confidence = min(max(confidence, 0.0), 1.0)
        if about_others:
            lifted = confidence
        elif confidence != u.unguarded:
            lifted = self._lifted(entry, query, confidence, ceiling)
        return Scored(entry, j, u.values, lifted, lifted + 1e-6 * confidence, reasons, via)

    def _lifted(self, entry: int, query: _Query, confidence: float, ceiling: float) -> float:
        """The rank of a suggestion: the answer text may lift it in the ranking, never up
        to filling (the ``ceiling``), and never one about other people or with no period
        for a "how long?" (the caller ranks those by their confidence): its words cannot
        make up for that."""
        if confidence >= ceiling:
            return confidence
        qset, wq = query.terms, query.total
        support = self._answer_support(entry, qset, wq)
        subject = self._subject_support(entry, qset, query.weights, wq)
        return min(confidence + _ANSWER_BONUS * support + _SUBJECT_BONUS * subject, ceiling)

    def _best_phrasing(self, entry: int, qset: frozenset[str],
                       qweights: dict[str, float], wq: float) -> tuple[float, int]:
        """The entry's phrasing sharing the most weighted terms: (Dice overlap, index)."""
        sets, totals = self._sets, self._totals
        phrasings = self._phrasings_of[entry]
        top_overlap, top_j = -1.0, phrasings[0]
        for j in phrasings:
            wi = math.fsum(map(qweights.__getitem__, qset & sets[j]))
            overlap = 2.0 * wi / (wq + totals[j])
            if overlap > top_overlap:
                top_overlap, top_j = overlap, j
        return top_overlap, top_j

    def _retrieve(self, qset: frozenset[str], wq: float) -> list[int]:
        """Entries sharing weighted terms with the question: the shortlist (in no order).

        Rare terms are read first, and name entries until their postings have named
        enough; a common term after that only adds weight to entries already named, so a
        word that half the library uses names nothing. Scores are added per term over
        arrays, each entry's in the same order (rare first). Entries tied for the last
        places are taken in the order they were named (:meth:`_first_named`).
        """
        import numpy as np  # here, not at start-up: lint ranks entries without retrieval
        postings, weight = self._postings, self._weight_of
        present = sorted((t for t in qset if t in postings), key=lambda t: (len(postings[t]), t))
        if not present:
            return []
        arrays = [self._posting_array(term) for term in present]
        naming, budget = 1, _RETRIEVAL_BUDGET - len(arrays[0])  # the rarest always names
        while naming < len(arrays) and len(arrays[naming]) <= budget:
            budget -= len(arrays[naming])
            naming += 1
        scores = np.zeros(len(self._answers))
        for term, entries in zip(present, arrays, strict=True):
            # Entries not named are never ranked, so adding to them is harmless.
            scores[entries] += weight[term]
        named_at = np.full(len(self._answers), -1)  # the first term that named each entry
        for n in range(naming - 1, -1, -1):  # rarest last, so the first to name it stays
            named_at[arrays[n]] = n
        found = np.flatnonzero(named_at >= 0)
        if len(found) <= _SHORTLIST_RETRIEVED:
            return found.tolist()
        values = scores[found]
        cut = np.partition(values, len(values) - _SHORTLIST_RETRIEVED)[
            len(values) - _SHORTLIST_RETRIEVED]
        kept: list[int] = found[values > cut].tolist()
        tied = found[values == cut]
        slots = _SHORTLIST_RETRIEVED - len(kept)
        if len(tied) > slots:
            return kept + self._first_named(present, named_at, tied, slots)
        return kept + tied.tolist()  # type: ignore[no-any-return]

    def _first_named(self, present: Sequence[str], named_at: NDArray[np.intp],
                     tied: NDArray[np.intp], slots: int) -> list[int]:
        """The first ``slots`` of the ``tied`` entries in the order retrieval named them:
        by the term that named them, and within one term in the order of its posting
        set's difference with the entries named before (the order the shortlist has
        always used, so which of equals makes the cut does not change)."""
        import numpy as np

        chosen: list[int] = []
        tied_at = named_at[tied]
        for n in sorted(set(tied_at.tolist())):
            group: set[int] = set(tied[tied_at == n].tolist())
            if len(group) <= slots - len(chosen):
                order = sorted(group)  # all of them are taken: order does not matter
            else:
                term = present[n]
                before = dict.fromkeys(np.flatnonzero((named_at >= 0) & (named_at < n)).tolist())
                order = [e for e in self._posting_set(term).difference(before) if e in group]
            chosen += order[:slots - len(chosen)]
            if len(chosen) == slots:
                break
        return chosen

    def _posting_set(self, term: str) -> frozenset[int]:
        found = self._posting_sets.get(term)
        if found is None:
            found = self._posting_sets[term] = frozenset(self._postings[term])
        return found

    def _posting_array(self, term: str) -> NDArray[np.intp]:
        array = self._posting_arrays.get(term)
        if array is None:
            import numpy as np

            array = self._posting_arrays[term] = np.array(self._postings[term], dtype=np.intp)
        return array

    def _subject_support(self, entry: int, qset: frozenset[str], qweights: dict[str, float],
                         wq: float) -> float:
        """How much of the question the entry's own question covers (0..1)."""
        main = self._sets[self._phrasings_of[entry][0]]
        return math.fsum(map(qweights.__getitem__, qset & main)) / wq if wq else 0.0

    def _answered_by(self, terms: frozenset[str], qweights: dict[str, float]) -> list[int]:
        """Entries whose answer text uses ``terms`` (words no phrasing uses), the most of
        their weight first."""
        postings = self._answer_postings
        if postings is None:
            postings = {}
            phrased = self._df
            for entry in range(len(self._answers)):
                for term in self._answer_terms(entry).difference(phrased):
                    postings.setdefault(term, []).append(entry)
            self._answer_postings = postings
        found: dict[int, float] = {}
        for term in sorted(terms):
            for entry in postings.get(term, ()):
                found[entry] = found.get(entry, 0.0) + qweights[term]
        return sorted(found, key=lambda e: (-found[e], e))

    def _answer_support(self, entry: int, qset: frozenset[str], wq: float) -> float:
        """How much of the question the answer text itself covers (0..1)."""
        terms = self._answer_terms(entry)
        return math.fsum(map(self._weight_of.__getitem__, qset & terms)) / wq if wq else 0.0

    def _answer_terms(self, entry: int) -> frozenset[str]:
        terms = self._answer_sets.get(entry)
        if terms is None:
            terms = frozenset(self._answer_analyses[entry].terms)
            self._answer_sets[entry] = terms
        return terms


    # ------------------------------------------------------------------ decision

    def _decide(self, row: QuestionRow, candidates: list[Candidate],
                note: Reason | None = None) -> Match:
        match = self._decision(row, candidates)
        if note is not None and match.status != "filled":
            match = Match(row, match.status, match.candidates, (note, *match.reasons))
        return match

    def _decision(self, row: QuestionRow, candidates: list[Candidate]) -> Match:
        cfg = self.settings.matching
        found = tuple(candidates)
        best = candidates[0] if candidates else None
        runner = candidates[1] if len(candidates) > 1 else None
        if best is not None and best.via == "id":
            tied = close_runner_up(best, runner, cfg.margin, row.question_id)
            if tied is not None:
                return Match(row, "review", found, (tied,))
            if best.reasons:  # the row's words disagree with the entry its id names
                return Match(row, "review", found, best.reasons)
            return Match(row, "filled", found)
        weak = low_score(best, cfg.review_threshold)
        if best is None or weak is not None:
            return Match(row, "unanswered", found, (weak,) if weak else ())
        if best.reasons:
            return Match(row, "review", found, best.reasons)
        tied = close_runner_up(best, runner, cfg.margin, row.question_id)
        if tied is not None:
            return Match(row, "review", found, (tied,))
        weak = low_score(best, cfg.fill_threshold)
        if weak is not None:
            return Match(row, "review", found, (weak,))
        return Match(row, "filled", found)


# ---------------------------------------------------------------------- reason codes


@reason_code("low-score", stage="match")
def low_score(best: Candidate | None, threshold: float) -> Reason | None:
    """No library answer reads enough like the question to be filled (below
    `matching.fill_threshold`), or to be suggested at all (below
    `matching.review_threshold`: the row is unanswered).

    Reviewer: if a suggestion answers the question, accept it (and teach the wording with
    `qfill apply --learn`); otherwise write the answer, and consider adding it to the
    library.

    PASS::

        question: Is customer data encrypted at rest?
        entry: Is customer data encrypted at rest?

    FAIL::

        question: What is the maximum file upload size?
        entry: Is customer data encrypted at rest?
    """
    if best is None:
        return reason("low-score", "no answer in the library shares a meaningful word")
    if best.confidence < threshold:
        return reason("low-score", f"the best match, '{best.answer_id}', scores "
                      f"{confidence_text(best.confidence)}, below {threshold:.2f}")
    return None


@reason_code("close-runner-up", stage="match")
def close_runner_up(best: Candidate, runner: Candidate | None, margin: float,
                    question_id: str | None) -> Reason | None:
    """Two library answers fit the question about equally well (within
    `matching.margin`), or both cite the row's id in their refs.

    Reviewer: compare the suggestions and pick the one that answers the question; if the
    two entries say the same thing, merge them in the library (`qfill lint` reports such
    pairs as `ambiguous-entries`).

    PASS::

        question: How long do you keep security logs?
        entries:
          - id: logs-kept
            question: How long do you keep security logs?
            answer: One year.
          - id: backups-kept
            question: How long do you keep backups?
            answer: Thirty days.

    FAIL::

        question: How long do you keep security logs?
        entries:
          - id: logs-kept
            question: How long do you keep security logs?
            answer: One year.
          - id: logs-kept-again
            question: What is your log retention period?
            aliases: ["How long do you keep security logs?"]
            answer: Thirteen months.
    """
    if runner is None:
        return None
    if best.via == "id":
        if runner.via != "id":
            return None
        return reason("close-runner-up", f"'{best.answer_id}' and '{runner.answer_id}' both "
                      f"cite {question_id} in their refs")
    if best.confidence - runner.confidence < margin:
        return reason("close-runner-up", f"'{runner.answer_id}' scores "
                      f"{confidence_text(runner.confidence)} against "
                      f"{confidence_text(best.confidence)} for '{best.answer_id}'")
    return None


@reason_code("uncovered-term", stage="match")
def uncovered_term(question: Analysis, telling: Sequence[str],
                   entry_terms: Sequence[frozenset[str]], answer_id: str) -> Reason | None:
    """The question's most telling word (the rarest in the library) is used by another
    entry but nowhere in this one, not in its question, aliases or answer: the question is
    probably about that other thing.

    Reviewer: look for a suggestion that covers that word; if this entry does answer the
    question, accept it, and teach the wording with `qfill apply --learn`.

    Words tied for most telling: the entry needs one of them, whichever it is.

    PASS::

        question: Do your data centres use biometric access control?
        entries:
          - id: datacenter-security
            question: Do data centres use biometric access control?
            answer: Yes. Scanners and guards.
          - id: office-security
            question: Are your offices physically secured with access control?
            answer: Yes. Badge readers on every door.

    FAIL::

        question: Are your offices physically secured with biometric access control?
        entries:
          - id: office-security
            question: Are your offices physically secured with access control?
            answer: Yes. Badge readers on every door and CCTV at entrances.
          - id: datacenter-security
            question: How is physical security ensured at the data centres?
            aliases: ["Do data centres use biometric access control?"]
            answer: AWS data centres use biometric scanners and guards.
          - id: office-locations
            question: Where are your offices?
            answer: London and Lisbon.
    """
    missing = sorted(t for t in telling if not any(t in terms for terms in entry_terms))
    if not missing or len(missing) < len(telling):
        return None
    return reason("uncovered-term", f"'{answer_id}' never mentions "
                  f"'{question.said({missing[0]})}', the question's most telling word")


@reason_code("id-match", stage="match")
def ids_not_used(question_id: str, cited: Sequence[str]) -> Reason:
    """The row's id is in an entry's refs, but most ids in this questionnaire cite
    entries worded unlike their rows (the refs are for another version of the
    questionnaire), so no row was matched by id.

    Reviewer: judge the row by its wording and the suggestions; if the library's refs are
    for an older version of this questionnaire, update them.

    PASS: a questionnaire whose rows read like the entries their ids cite is matched by
    id (tests/test_matching.py, ids that fit are trusted).

    FAIL: nine rows whose ids each cite an entry about another row's topic (refs written
    for a version that numbered its questions differently).
    """
    names = ", ".join(f"'{answer_id}'" for answer_id in cited)
    return reason("id-match", f"{question_id} is in the refs of {names}, but most ids in "
                  "this questionnaire cite entries worded unlike their rows (refs for "
                  "another version?), so ids were not used")


@reason_code("id-unsupported", stage="match")
def id_unsupported(question_id: str, answer_id: str, overlap: float) -> Reason | None:
    """The row's id is in an entry's refs, but the row's words share almost nothing with
    that entry: ids are public (CAIQ, HECVAT), and a sheet may reuse one for another
    question, so an id alone never fills a row that asks something else.

    Reviewer: read the row; if the entry does answer it, accept it; if the ref in the
    library is wrong, fix it.

    PASS: "IAM-14.1 Is multi-factor authentication required for all workforce access?"
    against an entry citing IAM-14.1 and asking the same is filled by id
    (tests/test_gate.py).

    FAIL: "BCR-08.2 Do you agree to accept unlimited liability and waive all
    indemnification caps?" against a backup entry citing BCR-08.2 (tests/test_gate.py).
    """
    if overlap >= _ID_WORDS:
        return None
    return reason("id-unsupported", f"{question_id} is in the refs of '{answer_id}', but "
                  f"the row's words share little with it ({overlap:.2f}); check the ref")


def ref_key(ref: str) -> str:
    """An id as compared with refs: whitespace dropped, case folded ("AIS- 02.2")."""
    return "".join(ref.split()).upper()


def _at(values: Sequence[str | None], i: int) -> str | None:
    return values[i] if i < len(values) else None
