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
REQUIRED = _stems("require", "required", "requires", "mandatory", "must", "enforce",
                  "enforced", "enforces", "compulsory", "obligatory")
KEEP = frozenset({"retain", "keep", "kept", "store", "preserv", "archiv"})
REMOVE = frozenset({"delete", "destroy", "purg", "eras"})
PROTECTED = frozenset({"encrypt", "hash", "salt", "bcrypt", "argon2", "argon2id", "scrypt",
                       "pbkdf2"})
UNPROTECTED = frozenset({"unencrypted"})


GUARD_WORDS: frozenset[str] = frozenset().union(
    PERMIT, FORBID, PROTECTED, UNPROTECTED, KEEP, REMOVE,
    *(words for qualifier in QUALIFIERS for _, words in qualifier.values))


def _one_sided(q: frozenset[str], p: frozenset[str], a: frozenset[str],
               b: frozenset[str]) -> tuple[str, str] | None:
    """(q's word, p's word) when q uses only family a and p only family b (or reverse)."""
    qa, qb, pa, pb = q & a, q & b, p & a, p & b
    if qa and not qb and pb and not pa:
        return min(qa), min(pb)
    if qb and not qa and pa and not pb:
        return min(qb), min(pa)
    return None


def check(question: Analysis, phrasing: Analysis, answer_id: str, *,
          answer: Analysis | None = None, main: Analysis | None = None,
          short: str | None = None) -> tuple[str, ...]:
    """Every guard that fires for this pairing, as ``"<code>: <detail>"`` reasons.

    ``phrasing`` is the entry's phrasing closest to the question. ``main`` is the entry's
    own question, whose polarity its yes/no answers: negation is checked against both,
    so an alias worded openly ("How are passwords stored?") cannot hide that the entry
    answers the opposite question ("Do you keep passwords in clear text?" - "No").
    ``answer`` is the entry's answer text: a frequency or number the question names and
    the entry's question does not must be stated there. ``short`` is the entry's yes/no:
    "No" to "Is a VPN required?" does not say "No" to "Do you operate a VPN?".
    """
    reasons: list[str] = []
    if short == "No" and main is not None and not REQUIRED.isdisjoint(main.tokens) \
            and REQUIRED.isdisjoint(question.tokens):
        reasons.append(f"qualifier-mismatch: not required vs required ('{answer_id}' answers "
                       "No to whether it is required, not to whether it exists)")
    polar = [phrasing] if main is None or main is phrasing else [phrasing, main]
    for other in polar:
        if (question.negators > 0) != (other.negators > 0):
            which = "the question is negated and" if question.negators else \
                "the question is not negated but"
            reasons.append(f"negation: {which} '{answer_id}' is "
                           f"{'not' if question.negators else 'negated'}")
            break
    # "Is data retained after processing?" does not answer "Is data processed?".
    lifecycle = KEEP | REMOVE
    if lifecycle.isdisjoint(question.tokens):
        for other in polar:
            said = lifecycle.intersection(other.tokens)
            if said:
                reasons.append(f"qualifier-mismatch: '{answer_id}' asks whether data is "
                               f"{'kept' if said & KEEP else 'deleted'}; the question does not")
                break
    if not question.numbers and GUARD_WORDS.isdisjoint(question.tokens):
        return tuple(reasons)  # nothing in the question any other guard could contradict
    q, p = frozenset(question.tokens), frozenset(phrasing.tokens)
    for a, b in ((PERMIT, FORBID), (PROTECTED, UNPROTECTED), (KEEP, REMOVE)):
        for other in polar:
            pair = _one_sided(q, frozenset(other.tokens), a, b)
            if pair:
                reasons.append(f"negation: the question says '{pair[0]}', '{answer_id}' "
                               f"says '{pair[1]}'")
                break
    # "Is it forbidden to ...?" against "Do employees ...?": a yes/no for one is the
    # opposite for the other, though neither uses the other's verb.
    forbid_q = q & FORBID
    for other in polar:
        tokens = frozenset(other.tokens)
        forbid_p = tokens & FORBID
        if bool(forbid_q) != bool(forbid_p) and not (q | tokens) & PERMIT:
            word = min(forbid_q or forbid_p)
            where = "the question" if forbid_q else f"'{answer_id}'"
            reasons.append(f"negation: only {where} says '{word}'")
            break
    for qualifier in QUALIFIERS:
        ql, pl = qualifier.labels(q), qualifier.labels(p)
        if ql and pl and not ql & pl:
            reasons.append(f"qualifier-mismatch: {_join(ql)} vs {_join(pl)} "
                           f"({qualifier.name})")
    # A frequency or number the question names and the entry's question does not must
    # be stated by the answer itself: "rotated every 90 days?" is not answered by an
    # entry that says "rotated regularly".
    frequency = QUALIFIERS[-1]
    ql, pl = frequency.labels(q), frequency.labels(p)
    if answer is not None and ql and not pl:
        al = frequency.labels(frozenset(answer.tokens))
        if not ql & al:
            reasons.append(f"qualifier-mismatch: {_join(ql)} vs {_join(al) or 'none stated'} "
                           "(frequency, as the answer states it)")
    qn, pn = question.numbers, phrasing.numbers
    if qn and pn and not qn & pn:
        reasons.append(f"qualifier-mismatch: number {_join(qn)} vs {_join(pn)}")
    elif qn and not pn and answer is not None and not qn <= answer.numbers:
        missing = qn - answer.numbers
        reasons.append(f"qualifier-mismatch: number {_join(missing)} vs "
                       f"{_join(answer.numbers) or 'none'} (as the answer states it)")
    return tuple(reasons)


def _join(labels: Iterable[str]) -> str:
    return "/".join(sorted(labels))
