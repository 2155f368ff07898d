"""Guards: the ways two questions can look alike and still ask different things.

A fuzzy score cannot see that "Do you prohibit shared accounts?" and "Do you allow shared
accounts?" are opposites, or that "encrypted at rest" and "encrypted in transit" are two
different controls. Each guard compares a question with a library phrasing, both already
analysed into canonical terms, and returns a named reason (``"<code>: <detail>"``) when it
fires; the matcher then lowers the confidence and sends the row to review.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from qfill.terms import Analysis, stem


def _stems(*words: str) -> frozenset[str]:
    return frozenset(stem(w) for w in words) | frozenset(words)


@dataclass(frozen=True, slots=True)
class Qualifier:
    """Mutually exclusive values of one property (where data is, who the user is, ...)."""

    name: str
    values: tuple[tuple[str, frozenset[str]], ...]  # (label, terms meaning it)

    def labels(self, terms: frozenset[str]) -> frozenset[str]:
        return frozenset(label for label, words in self.values if words & terms)


QUALIFIERS: tuple[Qualifier, ...] = (
    Qualifier("data state", (("at rest", frozenset({"at_rest"})),
                             ("in transit", frozenset({"in_transit"})))),
    Qualifier("population", (
        ("customer", _stems("customer", "customer_data", "institution", "institutions",
                            "institutional", "tenant", "tenants", "patient", "students")),
        ("workforce", _stems("workforce", "contractor", "contractors", "employee",
                             "employees")))),
    Qualifier("scope", (("internal", _stems("internal", "internally")),
                        ("external", _stems("external", "externally")))),
    Qualifier("frequency", tuple((label, frozenset({label})) for label in (
        "hourly", "daily", "weekly", "monthly", "quarterly", "semiannual", "annual",
        "continuous"))),
)

# Verbs of permission and their opposites: a question using one family matched to a
# phrasing using the other is asking the opposite.
PERMIT = _stems("allow", "allows", "allowed", "permit", "permits", "permitted", "enable",
                "enabled", "accept", "accepted")
FORBID = _stems("prohibit", "prohibits", "prohibited", "forbid", "forbidden", "forbids",
                "disallow", "disallowed", "ban", "banned", "block", "blocked", "disable",
                "disabled", "deny", "denied", "reject", "rejected")
PROTECTED = frozenset({"encrypt"})
UNPROTECTED = frozenset({"unencrypted"})


def _numbers(analysis: Analysis, canonical: frozenset[str]) -> frozenset[str]:
    return frozenset(t for t in analysis.tokens
                     if t not in canonical and any(c.isdigit() for c in t))


def _one_sided(q: frozenset[str], p: frozenset[str], a: frozenset[str],
               b: frozenset[str]) -> tuple[str, str] | None:
    """(q's word, p's word) when q uses only family a and p only family b (or reverse)."""
    qa, qb, pa, pb = q & a, q & b, p & a, p & b
    if qa and not qb and pb and not pa:
        return min(qa), min(pb)
    if qb and not qa and pa and not pb:
        return min(qb), min(pa)
    return None


def check(question: Analysis, phrasing: Analysis, answer_id: str,
          canonical: frozenset[str] = frozenset(), *,
          answer: Analysis | None = None) -> tuple[str, ...]:
    """Every guard that fires for this pairing, as ``"<code>: <detail>"`` reasons.

    ``answer`` is the entry's answer text: a frequency the question names and the
    entry's question does not is checked against the frequencies the answer states.
    """
    reasons: list[str] = []
    q, p = frozenset(question.tokens), frozenset(phrasing.tokens)
    if (question.negators > 0) != (phrasing.negators > 0):
        which = "the question is negated and" if question.negators else "the question is not " \
            "negated but"
        reasons.append(f"negation: {which} '{answer_id}' is "
                       f"{'not' if question.negators else 'negated'}")
    for a, b in ((PERMIT, FORBID), (PROTECTED, UNPROTECTED)):
        pair = _one_sided(q, p, a, b)
        if pair:
            reasons.append(f"negation: the question says '{pair[0]}', '{answer_id}' says "
                           f"'{pair[1]}'")
    for qualifier in QUALIFIERS:
        ql, pl = qualifier.labels(q), qualifier.labels(p)
        if ql and pl and not ql & pl:
            reasons.append(f"qualifier-mismatch: {_join(ql)} vs {_join(pl)} "
                           f"({qualifier.name})")
    frequency = QUALIFIERS[-1]
    ql, pl = frequency.labels(q), frequency.labels(p)
    if answer is not None and ql and not pl:
        al = frequency.labels(frozenset(answer.tokens))
        if al and not ql & al:
            reasons.append(f"qualifier-mismatch: {_join(ql)} vs {_join(al)} "
                           "(frequency, as the answer states it)")
    qn, pn = _numbers(question, canonical), _numbers(phrasing, canonical)
    if qn and pn and not qn & pn:
        reasons.append(f"qualifier-mismatch: number {_join(qn)} vs {_join(pn)}")
    return tuple(reasons)


def _join(labels: Iterable[str]) -> str:
    return "/".join(sorted(labels))
