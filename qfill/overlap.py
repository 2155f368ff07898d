"""Near-duplicate wordings: pairs of term sets whose weighted overlap reaches a bound.

Two library phrasings (a question or an alias) of different entries that share most of
their weighted terms are the wordings a questionnaire row can be torn between. Lint's
``ambiguous-entries`` rule looks for them before asking the matcher, and
:meth:`qfill.matching.Matcher.near_duplicates` lists them; both use this one join.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence


def near_pairs(sets: Sequence[frozenset[str]], groups: Sequence[int],
               weight: Callable[[str], float], threshold: float
               ) -> Iterator[tuple[int, int, float]]:
    """``(i, j, dice)`` with ``i < j`` for every two sets of different ``groups`` (the
    entries they belong to) whose weighted Dice overlap, ``2 w(A & B) / (w(A) + w(B))``,
    reaches ``threshold``; in order of ``j``, then of first meeting.

    A prefix-filtered join: with each set's terms ordered heaviest (rarest) first, two
    sets reaching the bound share a term within both prefixes, the shortest runs whose
    remaining weight is under ``threshold / (2 - threshold)`` of the total. Only prefix
    terms are indexed, and they are the rare ones, so posting lists stay short.
    """
    share = threshold / (2.0 - threshold)
    totals = [math.fsum(map(weight, terms)) for terms in sets]
    index: dict[str, list[int]] = {}
    for j, terms in enumerate(sets):
        total = totals[j]
        if total <= 0.0:
            continue
        prefix = _prefix(sorted(terms, key=lambda t: (-weight(t), t)), weight, total, share)
        seen: set[int] = set()
        for term in prefix:
            for i in index.get(term, ()):
                if i in seen:
                    continue
                seen.add(i)
                other = totals[i]
                # Dice can reach the bound only if neither side is much heavier.
                if groups[i] == groups[j] or \
                        2.0 * min(total, other) < threshold * (total + other):
                    continue
                dice = 2.0 * math.fsum(map(weight, terms & sets[i])) / (total + other)
                if dice >= threshold:
                    yield i, j, dice
        for term in prefix:
            index.setdefault(term, []).append(j)


def _prefix(ordered: list[str], weight: Callable[[str], float], total: float,
            share: float) -> list[str]:
    remaining = total
    bound = share * total * (1.0 - 1e-9)
    for n, term in enumerate(ordered):
        if remaining < bound:
            return ordered[:n]
        remaining -= weight(term)
    return ordered
