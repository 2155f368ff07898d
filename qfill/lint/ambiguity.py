"""The ``ambiguous-entries`` rule: two entries that the matcher cannot tell apart.

The verdict is the project's matcher's (:class:`qfill.matching.Matcher`), so lint flags
what ``qfill answer`` would trip over: an entry's own question (or alias), asked as a
questionnaire row, for which another entry scores as high as the entry itself, within
``matching.margin``, so the row cannot be filled from either. (The matcher lowers the
confidence of both when two entries compete for one wording, so "both reach the fill
threshold" never happens; "neither can be filled" is how the ambiguity shows.)

The work is bounded by the pairs that can be ambiguous, not by the library. A
similarity join on the matcher's own terms (:mod:`qfill.terms`: same normalisation,
thesaurus and weights; :func:`qfill.overlap.near_pairs`) finds, for each phrasing, the
entries with a phrasing sharing at least :data:`MIN_TERM_OVERLAP` of its weighted terms;
a rival below that cannot score near an entry's match with its own wording. The matcher
then scores each such phrasing against its own entry and those rivals only
(:meth:`~qfill.matching.Matcher.rank_among`), never the whole library, and a phrasing
whose pairs are all flagged already is not scored again.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from qfill.library import Answer, Library
from qfill.lint.registry import LintContext, Problem, Ranker, rule
from qfill.settings import Settings

if TYPE_CHECKING:
    from qfill.library_index import LibraryIndex

# Weighted Dice of two phrasings' terms below which the matcher is never asked: an
# entry's own wording overlaps it fully, and a rival needs nearly as much to come close.
# (120 one- and two-word edits of sample-library questions, added as rival entries: the
# least overlap at which the matcher found a pair ambiguous was 0.82.)
MIN_TERM_OVERLAP = 0.7
# The matcher returns the k best entries per text; the phrasing's own entry is one.
_CANDIDATES = 6


def near_twins(library: Library, settings: Settings,
               min_overlap: float = MIN_TERM_OVERLAP) -> dict[str, set[int]]:
    """Phrasing texts that share at least ``min_overlap`` of their weighted terms (Dice)
    with a phrasing of another entry, each with the entries (indices into
    ``library.answers``) of those phrasings (:func:`qfill.overlap.near_pairs`, on the
    matcher's terms and weights, without building the matcher)."""
    return _near_twins(library, settings, min_overlap)[0]


def _near_twins(library: Library, settings: Settings, min_overlap: float,
                cache: Path | None = None) -> tuple[dict[str, set[int]], LibraryIndex]:
    """:func:`near_twins`, and the matcher's index of the library it was found with (the
    matcher takes it as is: each text is analysed and weighed once). ``cache``: a folder
    where the analyses of the library's texts are kept between runs."""
    from qfill.answer_file_cache import KnownAnalyses
    from qfill.library_index import LibraryIndex
    from qfill.overlap import near_pairs
    from qfill.terms import shared_analyzer

    analyze = shared_analyzer(settings.synonyms)
    known = KnownAnalyses.open(cache, library.root, settings.synonyms)
    analyze.remember(known.earlier)
    # Qualifiers are worked out for the phrasings the matcher scores, not all of them.
    index = LibraryIndex.build(library.answers, analyze, qualifiers=False)
    texts = [text for answer in library.answers for text in answer.phrasings]
    analyses = dict(zip(texts, index.phrasings, strict=True))
    analyses.update(zip((answer.answer for answer in library.answers), index.answers,
                        strict=True))
    known.save(analyses)
    learned = index.weights
    weight = {t: learned.weight(t) for t in index.df}
    twins: dict[str, set[int]] = {}
    groups = index.entry_of
    for i, j, _ in near_pairs(index.sets, groups, weight.__getitem__, min_overlap,
                              totals=index.totals):
        twins.setdefault(texts[i], set()).add(groups[j])
        twins.setdefault(texts[j], set()).add(groups[i])
    return twins, index


def _matcher(library: Library, settings: Settings, index: LibraryIndex | None = None
             ) -> Ranker:
    from qfill.matching import Matcher

    # Lint judges wording: two entries worded alike are a problem to fix in the library,
    # and a lint run in CI must not need the optional sentence model.
    matcher: Ranker = Matcher(library, settings.with_matching(semantic=False), prebuilt=index)
    return matcher


@rule("ambiguous-entries")
def ambiguous_entries(ctx: LintContext) -> Iterable[Problem]:
    """Two entries whose questions or aliases match each other so closely that qfill
    cannot fill a row worded like them from either.

    For each entry's own question and aliases, the matcher scores the entry and the
    entries worded most like it; when another entry scores as high as the entry itself
    (within ``matching.margin`` in ``qfill.yaml``, and at least
    ``matching.review_threshold``), a questionnaire row with that wording goes to review
    instead of being filled. Merge the two entries (one answer, the other question as an
    alias), or reword one so they differ. Reported once per pair, at the later entry,
    naming both. Entries bound to different ``products`` never meet in one
    questionnaire, so they are never ambiguous with each other.

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
    twins, index = _near_twins(ctx.library, ctx.settings, MIN_TERM_OVERLAP,
                               ctx.cache_dir)
    if not twins:
        return
    matching = ctx.settings.matching
    settings = dataclasses.replace(ctx.settings, matching=dataclasses.replace(
        matching, candidates=max(matching.candidates, _CANDIDATES)))
    ranker = ctx.ranker(ctx.library, settings) if ctx.ranker else \
        _matcher(ctx.library, settings, index)
    owners: dict[str, list[Answer]] = {}
    for answer in answers:
        for text in answer.phrasings:
            owners.setdefault(text, []).append(answer)
    by_id: dict[str, Answer] = {}
    for answer in answers:
        by_id.setdefault(answer.id, answer)
    pairs: dict[tuple[str, str], str] = {}
    for text in sorted(twins):
        mine = {a.id for a in owners[text]}
        among = sorted(mine | {answers[e].id for e in twins[text]})
        if all((min(o, x), max(o, x)) in pairs for o in mine for x in among
               if x != o and not _never_together(by_id[o], by_id[x])):
            continue  # every pair this wording could show is flagged already
        [candidates] = ranker.rank_among([text], [among], owners=[sorted(mine)],
                                         within=matching.margin,
                                         at_least=matching.review_threshold)
        scores: dict[str, float] = {}
        for candidate in candidates:
            scores.setdefault(candidate.answer_id, candidate.confidence)
        for owner_id in sorted(mine):
            own = scores.get(owner_id, 0.0)
            for other_id, score in scores.items():
                if other_id == owner_id or other_id not in by_id or \
                        _never_together(by_id[owner_id], by_id[other_id]):
                    continue
                if score >= matching.review_threshold and score >= own - matching.margin:
                    pairs.setdefault((min(owner_id, other_id), max(owner_id, other_id)),
                                     text)
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
