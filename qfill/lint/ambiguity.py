"""The ``ambiguous-entries`` rule: two entries that the matcher cannot tell apart.

The verdict is the project's matcher's (:class:`qfill.matching.Matcher`), asked in one
batch through its ``rank`` method, so lint flags what ``qfill answer`` would trip over:
an entry's own question (or alias), asked as a questionnaire row, for which another entry
scores as high as the entry itself, within ``matching.margin``, so the row cannot be
filled from either. (The matcher lowers the confidence of both when two entries compete
for one wording, so "both reach the fill threshold" never happens; "neither can be
filled" is how the ambiguity shows.)

Ranking every phrasing of a large library costs milliseconds each, so a cheap join on the
matcher's own terms (:mod:`qfill.terms`: same normalisation, thesaurus and weights)
first picks the phrasings that have a near twin in another entry; a pair whose weighted
term overlap (Dice) is below :data:`MIN_TERM_OVERLAP` cannot score near an entry's match
with its own wording. Only those phrasings are ranked.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from qfill.library import Answer, Library
from qfill.lint.registry import LintContext, Problem, Ranker, rule
from qfill.settings import Settings

# Weighted Dice of two phrasings' terms below which the matcher is never asked: an
# entry's own wording overlaps it fully, and a rival needs nearly as much to come close.
# (120 one- and two-word edits of sample-library questions, added as rival entries: the
# least overlap at which the matcher found a pair ambiguous was 0.82.)
MIN_TERM_OVERLAP = 0.7
# The matcher returns the k best entries per text; the phrasing's own entry is one.
_CANDIDATES = 6


def near_twins(library: Library, settings: Settings,
               min_overlap: float = MIN_TERM_OVERLAP) -> set[str]:
    """Phrasing texts that share at least ``min_overlap`` of their weighted terms (Dice)
    with a phrasing of another entry (:func:`qfill.overlap.near_pairs`, on the matcher's
    terms and weights, without building the matcher)."""
    from qfill.overlap import near_pairs
    from qfill.terms import TermWeights, shared_analyzer

    analyze = shared_analyzer(settings.synonyms)  # the matcher's, so texts are analysed once
    texts: list[str] = []
    sets: list[frozenset[str]] = []
    groups: list[int] = []
    entry_terms: list[set[str]] = []
    for index, answer in enumerate(library.answers):
        union: set[str] = set()
        for text in answer.phrasings:
            found = frozenset(analyze(text).terms)
            texts.append(text)
            sets.append(found)
            groups.append(index)
            union |= found
        entry_terms.append(union)
    learned = TermWeights.learn(entry_terms)
    weight = {t: learned.weight(t) for union in entry_terms for t in union}
    twins: set[str] = set()
    for i, j, _ in near_pairs(sets, groups, weight.__getitem__, min_overlap):
        twins.add(texts[i])
        twins.add(texts[j])
    return twins


def _matcher(library: Library, settings: Settings) -> Ranker:
    from qfill.matching import Matcher

    # Lint judges wording: two entries worded alike are a problem to fix in the library,
    # and a lint run in CI must not need the optional sentence model.
    matcher: Ranker = Matcher(library, settings.with_matching(semantic=False))
    return matcher


@rule("ambiguous-entries")
def ambiguous_entries(ctx: LintContext) -> Iterable[Problem]:
    """Two entries whose questions or aliases match each other so closely that qfill
    cannot fill a row worded like them from either.

    For each entry's own question and aliases, the matcher ranks the library; when
    another entry scores as high as the entry itself (within ``matching.margin`` in
    ``qfill.yaml``, and at least ``matching.review_threshold``), a questionnaire row with
    that wording goes to review instead of being filled. Merge the two entries (one
    answer, the other question as an alias), or reword one so they differ. Reported once
    per pair, at the later entry, naming both. Entries bound to different ``products``
    never meet in one questionnaire, so they are never ambiguous with each other.

    PASS::

        answers:
          - id: encryption-at-rest
            question: Is customer data encrypted at rest?
            answer: Yes, with AES-256.
          - id: encryption-in-transit
            question: Is data encrypted in transit over public networks?
            answer: Yes, with TLS 1.2 or later.

    FAIL::

        answers:
          - id: encryption-at-rest
            question: Is customer data encrypted at rest?
            answer: Yes, with AES-256.
          - id: storage-encryption
            question: Are disks and backups encrypted?
            aliases:
              - Is customer data encrypted at rest?
            answer: Yes, disks and backups use AES-256.
    """
    answers = ctx.library.answers
    if len(answers) < 2:
        return
    texts = sorted(near_twins(ctx.library, ctx.settings))
    if not texts:
        return
    matching = ctx.settings.matching
    settings = dataclasses.replace(ctx.settings, matching=dataclasses.replace(
        matching, candidates=max(matching.candidates, _CANDIDATES)))
    ranker = (ctx.ranker or _matcher)(ctx.library, settings)
    ranked = ranker.rank(texts)
    owners: dict[str, list[Answer]] = {}
    for answer in answers:
        for text in answer.phrasings:
            owners.setdefault(text, []).append(answer)
    by_id: dict[str, Answer] = {}
    for answer in answers:
        by_id.setdefault(answer.id, answer)
    pairs: dict[tuple[str, str], str] = {}
    for text, candidates in zip(texts, ranked, strict=True):
        scores: dict[str, float] = {}
        for candidate in candidates:
            scores.setdefault(candidate.answer_id, candidate.confidence)
        for owner in owners.get(text, ()):
            own = scores.get(owner.id, 0.0)
            for other_id, score in scores.items():
                if other_id == owner.id or other_id not in by_id or \
                        _never_together(owner, by_id[other_id]):
                    continue
                if score >= matching.review_threshold and score >= own - matching.margin:
                    pairs.setdefault((min(owner.id, other_id), max(owner.id, other_id)), text)
    for (first_id, second_id), text in sorted(pairs.items()):
        earlier, later = sorted((by_id[first_id], by_id[second_id]),
                                key=lambda a: (a.source, a.line, a.column))
        yield Problem.at(later, f"entries '{later.id}' and '{earlier.id}' (at "
                         f"{earlier.source}:{earlier.line}) both match \"{_clip(text)}\" too "
                         "closely for qfill to fill it from either; merge them (one answer, "
                         "the other question as an alias) or reword one")


def _never_together(a: Answer, b: Answer) -> bool:
    """Entries bound to different products never answer one questionnaire together
    (``qfill answer --product`` uses one product's entries and the shared ones)."""
    return bool(a.products) and bool(b.products) and not set(a.products) & set(b.products)


def _clip(text: str, limit: int = 80) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"
