"""Near-duplicate wordings: pairs of term sets whose weighted overlap reaches a bound.

Two library phrasings (a question or an alias) of different entries that share most of
their weighted terms are the wordings a questionnaire row can be torn between. Lint's
``ambiguous-entries`` rule looks for them before asking the matcher, and
:meth:`qfill.matching.Matcher.near_duplicates` lists them; both use this one join.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence

_SLACK = 1e-9  # sums taken in another order must not prune a pair exactly at the bound


def near_pairs(sets: Sequence[frozenset[str]], groups: Sequence[int],
               weight: Callable[[str], float], threshold: float
               ) -> Iterator[tuple[int, int, float]]:
    """``(i, j, dice)`` with ``i < j`` for every two sets of different ``groups`` (the
    entries they belong to) whose weighted Dice overlap, ``2 w(A & B) / (w(A) + w(B))``,
    reaches ``threshold``; in order of ``j``, then ``i``.

    A weighted prefix-filtered join (PPJoin). Every set's terms are put in one global
    order, heaviest (rarest) first, and sets are visited lightest first. Two sets whose
    overlap reaches the bound then share their rarest common term within the lighter
    one's *indexed* prefix (the shortest run whose remaining weight is under
    ``threshold`` of its total) and the heavier one's *probe* prefix (remaining weight
    under ``threshold / (2 - threshold)``): otherwise what they could share weighs too
    little. Only indexed terms, the rare ones, are indexed; sets too light to reach the
    bound are skipped at the head of each posting list; and at each shared term, the
    weight shared so far plus the lighter of the two remainders bounds the overlap, so a
    pair that cannot reach it is dropped without comparing the sets (the positional
    filter). Near twins and shared boilerplate cost little more than the pairs found.
    """
    share = threshold / (2.0 - threshold)
    totals = [math.fsum(map(weight, terms)) for terms in sets]
    probes: list[list[str]] = []
    rests: list[list[float]] = []
    indexed: list[int] = []
    for terms, total in zip(sets, totals, strict=True):
        ordered = sorted(terms, key=lambda t: (-weight(t), t))
        rest = _rest(ordered, weight, total, share)
        probes.append(ordered[:len(rest)])
        rests.append(rest)
        indexed.append(len(_rest(ordered, weight, total, threshold)))
    bound = threshold * (1.0 - _SLACK) / 2.0
    index: dict[str, list[tuple[int, int]]] = {}
    skip: dict[str, int] = {}  # per term, postings too light for every set still to come
    found: list[tuple[int, int, float]] = []
    for j in sorted(range(len(sets)), key=lambda n: (totals[n], n)):
        total, group, rest = totals[j], groups[j], rests[j]
        if total <= 0.0:
            continue
        lightest = share * total * (1.0 - _SLACK)
        shared: dict[int, float] = {}  # candidate -> weight shared in the prefixes so far
        for position, term in enumerate(probes[j]):
            postings = index.get(term)
            if postings is None:
                continue
            first = skip.get(term, 0)
            while first < len(postings) and totals[postings[first][0]] < lightest:
                first += 1
            skip[term] = first
            mine, w = rest[position], weight(term)
            for i, at in postings[first:]:
                so_far = shared.get(i, 0.0)
                if so_far < 0.0:
                    continue  # dropped already
                theirs = rests[i][at]
                if groups[i] == group or \
                        so_far + (mine if mine < theirs else theirs) < bound * (total + totals[i]):
                    shared[i] = -1.0
                else:
                    shared[i] = so_far + w
        terms = sets[j]
        for i, so_far in shared.items():
            if so_far >= 0.0:
                dice = 2.0 * math.fsum(map(weight, terms & sets[i])) / (total + totals[i])
                if dice >= threshold:
                    found.append((i, j, dice) if i < j else (j, i, dice))
        for position in range(indexed[j]):
            index.setdefault(probes[j][position], []).append((j, position))
    found.sort(key=lambda pair: (pair[1], pair[0]))
    yield from found


def _rest(ordered: list[str], weight: Callable[[str], float], total: float,
          share: float) -> list[float]:
    """At each position of the shortest prefix of ``ordered`` that leaves less than
    ``share`` of ``total`` outside it, the weight from that position on."""
    remaining = total
    bound = share * total * (1.0 - _SLACK)
    rest: list[float] = []
    for term in ordered:
        if remaining < bound:
            break
        rest.append(remaining)
        remaining -= weight(term)
    return rest
