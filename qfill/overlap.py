"""Near-duplicate wordings: pairs of term sets whose weighted overlap reaches a bound.

Two library phrasings (a question or an alias) of different entries that share most of
their weighted terms are the wordings a questionnaire row can be torn between. Lint's
``ambiguous-entries`` rule looks for them before asking the matcher, and
:meth:`qfill.matching.Matcher.near_duplicates` lists them; both use this one join.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Callable, Iterator, Sequence
from itertools import combinations

_SLACK = 1e-9  # sums taken in another order must not prune a pair exactly at the bound
# The most prefix terms two sets must share to be compared (see near_pairs). Two keeps
# the keys per set few (the pairs of about five prefix terms) and cuts the candidates a
# shared rare word brings by four to five times against one; three costs more keys
# than it saves comparisons.
_SHARED = 2


def near_pairs(sets: Sequence[frozenset[str]], groups: Sequence[int],
               weight: Callable[[str], float], threshold: float, *,
               totals: Sequence[float] | None = None) -> Iterator[tuple[int, int, float]]:
    """``(i, j, dice)`` with ``i < j`` for every two sets of different ``groups`` (the
    entries they belong to) whose weighted Dice overlap, ``2 w(A & B) / (w(A) + w(B))``,
    reaches ``threshold``; in order of ``j``, then ``i``.

    Exact, and bounded by the pairs that share rare terms, not by all pairs. Terms are put
    in one global order, heaviest (rarest) first. A pair reaching the bound has weights
    within ``s = threshold / (2 - threshold)`` of each other (the length filter) and
    shares at least ``s`` of the heavier set's weight, so at least ``s * w(A)`` of each set
    ``A``. If ``A`` shares fewer than ``k`` terms inside a prefix of its ordered terms,
    what it shares weighs at most its ``k - 1`` heaviest terms plus everything after the
    prefix; the *k-prefix* is the shortest prefix for which that sum is still under
    ``s * w(A)``. So two sets that reach the bound share at least ``k`` terms in both
    k-prefixes, and the first ``k`` terms they share (in the global order) are a key that
    both list among the k-term combinations of their k-prefixes (prefix filtering with
    *k* shared terms, here ``k`` up to two). A set whose heaviest term alone outweighs
    ``s * w(A)`` can reach the bound sharing that one term: it uses one-term keys, and
    every set is listed under its one-term keys too so such sets find their partners.
    Only pairs sharing a key are compared, each once, with the exact overlap.

    ``totals``, each set's weight as ``math.fsum`` adds it, saves summing them again.
    """
    share = threshold / (2.0 - threshold)
    count = len(sets)
    if totals is None:
        totals = [math.fsum(map(weight, terms)) for terms in sets]
    levels = [0] * count  # how many prefix terms the set is sure to share (0: none)
    probes: list[list[object]] = [[] for _ in range(count)]
    indexes: list[dict[object, list[int]]] = [{} for _ in range(_SHARED + 1)]
    rank: dict[str, int] = {}  # term -> a small number, for compact pair keys
    for n, terms in enumerate(sets):
        total = totals[n]
        if total <= 0.0:
            continue
        ordered = sorted(terms, key=lambda t: (-weight(t), t))
        weights = [weight(t) for t in ordered]
        need = share * total * (1.0 - _SLACK)
        heaviest = 0.0  # the weight of the k - 1 heaviest terms
        for k in range(1, min(_SHARED, len(ordered)) + 1):
            if k > 1:
                heaviest += weights[k - 2]
            if heaviest >= need:
                break  # k - 1 terms may be enough: the set stays at level k - 1
            rest, end = total, 0
            while end < len(weights) and rest + heaviest >= need:
                rest -= weights[end]
                end += 1
            prefix = ordered[:end]
            keys: list[object]
            if k == 1:
                keys = list(prefix)
            else:
                ids = [rank.setdefault(t, len(rank)) for t in prefix]
                keys = [a << 32 | b if a < b else b << 32 | a
                        for a, b in combinations(ids, 2)]
            index = indexes[k]
            for key in keys:
                index.setdefault(key, []).append(n)
            levels[n] = k
            probes[n] = keys
    found: list[tuple[int, int, float]] = []
    for j in range(count):
        level = levels[j]
        if not level:
            continue
        total, group, terms = totals[j], groups[j], sets[j]
        lightest, heaviest_partner = share * total * (1.0 - _SLACK), total / share * (1.0 + _SLACK)
        index = indexes[level]
        seen: set[int] = set()
        # Each pair once: from the lower level's side (its keys are the ones both sets
        # list), and at one level from the later set. Lists are in set order, and at the
        # top level hold that level's sets only: the earlier sets are a slice.
        if level == _SHARED:
            for key in probes[j]:
                postings = index[key]
                seen.update(postings[:bisect_left(postings, j)])
        else:
            for key in probes[j]:
                seen.update(i for i in index[key] if levels[i] > level or i < j)
        for i in seen:
            other = totals[i]
            if groups[i] == group or other < lightest or other > heaviest_partner:
                continue
            dice = 2.0 * math.fsum(map(weight, terms & sets[i])) / (total + other)
            if dice >= threshold:
                found.append((i, j, dice) if i < j else (j, i, dice))
    found.sort(key=lambda pair: (pair[1], pair[0]))
    yield from found
