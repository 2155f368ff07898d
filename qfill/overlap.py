"""Near-duplicate wordings: pairs of term sets whose weighted overlap reaches a bound.

Two library phrasings (a question or an alias) of different entries that share most of
their weighted terms are the wordings a questionnaire row can be torn between. Lint's
``ambiguous-entries`` rule looks for them before asking the matcher, and
:meth:`qfill.matching.Matcher.near_duplicates` lists them; both use this one join.
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterator, Sequence
from itertools import combinations
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

_SLACK = 1e-9  # sums taken in another order must not prune a pair exactly at the bound
# The most prefix terms two sets must share to be compared (see near_pairs). Two keeps
# the keys per set few (the pairs of about five prefix terms) and cuts the candidates a
# shared rare word brings by four to five times against one; three costs more keys
# than it saves comparisons.
_SHARED = 2
# From this many sets the candidates are found and filtered over numpy arrays (imported
# only then: a small library's lint stays light); below it, one pair at a time.
_ARRAYS_FROM = 20_000
_LOOSE = 1e-6  # the array filters' slack: they only drop pairs the exact test would
_WIDE = 32  # sets with more terms than this skip the signature filter
_CHUNK = 50_000  # candidate pairs filtered at a time


def near_pairs(sets: Sequence[frozenset[str]], groups: Sequence[int],
               weight: Callable[[str], float], threshold: float, *,
               totals: Sequence[float] | None = None, arrays: bool | None = None
               ) -> Iterator[tuple[int, int, float]]:
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
    ``arrays`` chooses how candidates are found (default: over arrays from
    :data:`_ARRAYS_FROM` sets, see :func:`_near_pairs_arrays`); the pairs are the same.
    """
    count = len(sets)
    if totals is None:
        totals = [math.fsum(map(weight, terms)) for terms in sets]
    if arrays if arrays is not None else count >= _ARRAYS_FROM:
        yield from _near_pairs_arrays(sets, groups, weight, threshold, totals)
        return
    share = threshold / (2.0 - threshold)
    levels = [0] * count  # how many prefix terms the set is sure to share (0: none)
    probes: list[list[object]] = [[] for _ in range(count)]
    indexes: list[dict[object, list[int]]] = [{} for _ in range(_SHARED + 1)]
    rank: dict[str, int] = {}  # term -> a small number, for compact pair keys
    for n, total, ordered, weights in _heaviest_first(sets, weight, totals):
        for k, end in enumerate(_prefix_ends(weights, total, share), start=1):
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


def _heaviest_first(sets: Sequence[frozenset[str]], weight: Callable[[str], float],
                    totals: Sequence[float]
                    ) -> Iterator[tuple[int, float, list[str], list[float]]]:
    """``(n, total, terms, weights)`` for every set of some weight: its terms in the global
    order (heaviest first, ties by name) and their weights."""
    for n, terms in enumerate(sets):
        total = totals[n]
        if total > 0.0:
            ordered = sorted(terms, key=lambda t: (-weight(t), t))
            yield n, total, ordered, [weight(t) for t in ordered]


def _prefix_ends(weights: Sequence[float], total: float, share: float) -> list[int]:
    """The length of a set's k-prefix for k = 1, 2, ... up to :data:`_SHARED`, its terms'
    ``weights`` heaviest first (see :func:`near_pairs`). The list stops at the level whose
    k - 1 heaviest terms alone may carry ``share`` of ``total``: the set is keyed at the
    last level listed."""
    need = share * total * (1.0 - _SLACK)
    ends: list[int] = []
    heaviest = 0.0  # the weight of the k - 1 heaviest terms
    for k in range(1, min(_SHARED, len(weights)) + 1):
        if k > 1:
            heaviest += weights[k - 2]
        if heaviest >= need:
            break  # k - 1 terms may be enough: the set stays at level k - 1
        rest, end = total, 0
        while end < len(weights) and rest + heaviest >= need:
            rest -= weights[end]
            end += 1
        ends.append(end)
    return ends


def _near_pairs_arrays(sets: Sequence[frozenset[str]], groups: Sequence[int],
                       weight: Callable[[str], float], threshold: float,
                       totals: Sequence[float]) -> list[tuple[int, int, float]]:
    """:func:`near_pairs` with its candidates found and filtered over numpy arrays.

    The same keys, then two bounds no pair reaching ``threshold`` can fail, each with
    slack, before the exact overlap of what is left (at 50,000 entries of recombined
    questions, 0.65 million exact overlaps for 0.34 million pairs, where comparing each
    candidate takes 15 million: 5 s instead of 17):

    - *Position*: the first key two sets share (in the order of the terms) is their two
      first shared terms, so neither shares a term before the key's last one: what they
      share weighs at most the key plus the lighter of the two sets' weights after it.
      Each pair listed under a key is tested as if that key were its first; the first
      one passes it.
    - *Signature*: each set's terms as bits of one 64-bit word (a term's number modulo
      64); what two sets share weighs at most the terms of one whose bits the other has.
    """
    import numpy as np

    share = threshold / (2.0 - threshold)
    count = len(sets)
    rank: dict[str, int] = {}
    levels = [0] * count
    # Postings (term, set, the term's weight, the set's weight after it), as compact
    # arrays: at 50,000 entries there are a million.
    keys1, sets1, heads1, rests1 = array("q"), array("q"), array("d"), array("d")
    # The same for pairs of terms: both terms' weight, the weight after the later one.
    keys2, sets2, heads2, rests2 = array("q"), array("q"), array("d"), array("d")
    # Every term of every set but the widest: set, column, term, weight.
    member_set, member_column, member_rank = array("q"), array("q"), array("q")
    member_weight = array("d")
    for n, total, ordered, weights in _heaviest_first(sets, weight, totals):
        ids = [rank.setdefault(t, len(rank)) for t in ordered]
        after: list[float] = []
        left = total
        for w in weights:
            left -= w
            after.append(left)
        if len(ids) <= _WIDE:
            member_set.extend([n] * len(ids))
            member_column.extend(range(len(ids)))
            member_rank.extend(ids)
            member_weight.extend(weights)
        for k, end in enumerate(_prefix_ends(weights, total, share), start=1):
            if k == 1:
                keys1.extend(ids[:end])
                sets1.extend([n] * end)
                heads1.extend(weights[:end])
                rests1.extend(after[:end])
            else:
                for a, b in combinations(range(end), 2):
                    x, y = ids[a], ids[b]
                    keys2.append(x << 32 | y if x < y else y << 32 | x)
                    sets2.append(n)
                    heads2.append(weights[a] + weights[b])
                    rests2.append(after[b])
            levels[n] = k
    total_of = np.asarray(totals, dtype=np.float64)
    group_of = np.asarray(groups, dtype=np.int64)
    level_of = np.asarray(levels, dtype=np.int8)
    found: list[NDArray[np.int64]] = []

    def keep(p: NDArray[np.int64], q: NDArray[np.int64], head: NDArray[np.float64],
             rest_p: NDArray[np.float64], rest_q: NDArray[np.float64]) -> None:
        tp, tq = total_of[p], total_of[q]
        ok = (group_of[p] != group_of[q]) & \
            (np.minimum(tp, tq) >= share * np.maximum(tp, tq) * (1.0 - _LOOSE)) & \
            (2.0 * (head + np.minimum(rest_p, rest_q)) >= threshold * (tp + tq) * (1.0 - _LOOSE))
        p, q = p[ok], q[ok]
        found.append(np.minimum(p, q) * count + np.maximum(p, q))

    # Two-term keys: every two sets listing one, taken d places apart in the sorted list.
    key, where, heads, after_key = _sorted_postings(keys2, sets2, heads2, rests2)
    active = np.flatnonzero(key[:-1] == key[1:])
    d = 1
    while len(active):
        later = active + d
        keep(where[active], where[later], heads[active], after_key[active], after_key[later])
        d += 1
        active = active[active + d < len(key)]
        active = active[key[active] == key[active + d]]
    # One-term keys: each set at level one with every set listing the term.
    key, where, heads, after_key = _sorted_postings(keys1, sets1, heads1, rests1)
    everyone = np.flatnonzero(level_of[where] == 1)
    for at in range(0, len(everyone), _CHUNK // 100):
        ones = everyone[at:at + _CHUNK // 100]
        start = np.searchsorted(key, key[ones], side="left")
        sizes = np.searchsorted(key, key[ones], side="right") - start
        mine = np.repeat(ones, sizes)
        theirs = np.repeat(start, sizes) + np.arange(int(sizes.sum())) - \
            np.repeat(np.cumsum(sizes) - sizes, sizes)
        other = mine != theirs
        mine, theirs = mine[other], theirs[other]
        keep(where[mine], where[theirs], heads[mine], after_key[mine], after_key[theirs])
    candidates = np.concatenate(found) if found else np.zeros(0, dtype=np.int64)
    candidates.sort()
    if len(candidates):
        candidates = candidates[np.concatenate(([True], candidates[1:] != candidates[:-1]))]
    # The signature bound, a chunk of candidates at a time.
    listed = np.frombuffer(member_set, dtype=np.int64)
    columns = np.frombuffer(member_column, dtype=np.int64)
    ranks = (np.frombuffer(member_rank, dtype=np.int64) & 63).astype(np.uint64)
    bits = np.left_shift(np.uint64(1), ranks)
    signature = np.zeros(count, dtype=np.uint64)
    np.bitwise_or.at(signature, listed, bits)
    width = int(columns.max()) + 1 if len(columns) else 1
    shift = np.zeros((count, width), dtype=np.uint64)
    shift[listed, columns] = ranks
    term_weight = np.zeros((count, width), dtype=np.float64)
    term_weight[listed, columns] = np.frombuffer(member_weight, dtype=np.float64)
    narrow = np.zeros(count, dtype=bool)
    narrow[listed] = True
    kept: list[NDArray[np.int64]] = []
    for at in range(0, len(candidates), _CHUNK):
        chunk = candidates[at:at + _CHUNK]
        i, j = chunk // count, chunk % count
        has = (signature[j][:, None] >> shift[i]) & np.uint64(1)
        bound = (term_weight[i] * has).sum(axis=1)
        ok = ~(narrow[i] & narrow[j]) | \
            (2.0 * bound >= threshold * (total_of[i] + total_of[j]) * (1.0 - _LOOSE))
        kept.append(chunk[ok])
    pairs: list[tuple[int, int, float]] = []
    for part in kept:
        for pair in part.tolist():
            i, j = divmod(pair, count)
            dice = 2.0 * math.fsum(map(weight, sets[j] & sets[i])) / (totals[j] + totals[i])
            if dice >= threshold:
                pairs.append((i, j, dice))
    pairs.sort(key=lambda pair: (pair[1], pair[0]))
    return pairs


def _sorted_postings(keys: array[int], where: array[int], heads: array[float],
                     rests: array[float]
                     ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64],
                                NDArray[np.float64]]:
    """The postings as arrays, sorted by key, then set."""
    import numpy as np

    key = np.frombuffer(keys, dtype=np.int64)
    at = np.frombuffer(where, dtype=np.int64)
    order = np.lexsort((at, key))
    return (key[order], at[order], np.frombuffer(heads, dtype=np.float64)[order],
            np.frombuffer(rests, dtype=np.float64)[order])
