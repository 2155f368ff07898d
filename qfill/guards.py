"""Guards: the ways two questions can look alike and still ask different things.

A fuzzy score cannot see that "Do you prohibit shared accounts?" and "Do you allow shared
accounts?" are opposites, or that "encrypted at rest" and "encrypted in transit" are two
different controls. Each guard is a registered reason code (:mod:`qfill.reasons`) whose
function compares a question with a library phrasing, both already analysed into
canonical terms, and yields one message per finding; :func:`check` runs them all and the
matcher then lowers the confidence and sends the row to review.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from qfill.reasons import REASONS, Reason, reason_code
from qfill.terms import NEGATORS, Analysis, stem


def _stems(*words: str) -> frozenset[str]:
    return frozenset(stem(w) for w in words) | frozenset(words)


@dataclass(frozen=True, slots=True)
class Qualifier:
    """Mutually exclusive values of one property (where data is, who the user is, ...)."""

    name: str
    values: tuple[tuple[str, frozenset[str]], ...]  # (label, terms meaning it)

    def labels(self, terms: frozenset[str]) -> frozenset[str]:
        return frozenset(label for label, words in self.values if words & terms)

    def words(self, labels: Iterable[str]) -> frozenset[str]:
        wanted = frozenset(labels)
        return frozenset().union(*(words for label, words in self.values if label in wanted))


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
FREQUENCY = QUALIFIERS[-1]

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


@dataclass(frozen=True, slots=True)
class Pairing:
    """A question and the library entry it is compared with.

    ``phrasing`` is the entry's phrasing closest to the question. ``main`` is the entry's
    own question, whose polarity its yes/no answers. ``answer`` is the entry's answer
    text, ``short`` its yes/no.
    """

    question: Analysis
    phrasing: Analysis
    answer_id: str
    main: Analysis | None = None
    answer: Analysis | None = None
    short: str | None = None

    @property
    def polar(self) -> tuple[Analysis, ...]:
        """The entry's wordings whose polarity counts: the phrasing, and its own question."""
        if self.main is None or self.main is self.phrasing:
            return (self.phrasing,)
        return (self.phrasing, self.main)


def _one_sided(q: frozenset[str], p: frozenset[str], a: frozenset[str],
               b: frozenset[str]) -> tuple[frozenset[str], frozenset[str]] | None:
    """(q's words, p's words) when q uses only family a and p only family b (or reverse)."""
    qa, qb, pa, pb = q & a, q & b, p & a, p & b
    if qa and not qb and pb and not pa:
        return qa, pb
    if qb and not qa and pa and not pb:
        return qb, pa
    return None


@reason_code("negation", stage="match")
def negation(pair: Pairing) -> Iterator[str]:
    """The question and the entry ask opposite things: one is negated, or they use
    opposite verbs (allow / prohibit, encrypted / unencrypted, kept / deleted).

    Reviewer: read both: a "Yes" to one is a "No" to the other. Answer the row by hand
    (often the entry's answer with the yes/no flipped), or pick another suggestion.

    Negation is checked against the entry's own question as well as its closest alias,
    so an alias worded openly ("How are passwords stored?") cannot hide that the entry
    answers the opposite question ("Do you keep passwords in clear text?" - "No").

    PASS::

        question: Are shared accounts forbidden?
        entry: Are shared or generic user accounts prohibited?

    FAIL::

        question: Do you allow shared or generic user accounts?
        entry: Are shared or generic user accounts prohibited?

    FAIL::

        question: Is customer data not encrypted at rest?
        entry: Is customer data encrypted at rest?
    """
    question = pair.question
    for other in pair.polar:
        if (question.negators > 0) != (other.negators > 0):
            if question.negators:
                yield (f"the question says '{question.said(NEGATORS)}'; "
                       f"'{pair.answer_id}' is not negated")
            else:
                yield (f"'{pair.answer_id}' says '{other.said(NEGATORS)}'; "
                       "the question is not negated")
            break
    if not question.numbers and GUARD_WORDS.isdisjoint(question.tokens):
        return  # nothing in the question an entry's verb could contradict
    q = frozenset(question.tokens)
    for a, b in ((PERMIT, FORBID), (PROTECTED, UNPROTECTED), (KEEP, REMOVE)):
        for other in pair.polar:
            found = _one_sided(q, frozenset(other.tokens), a, b)
            if found:
                yield (f"the question says '{question.said(found[0])}', "
                       f"'{pair.answer_id}' says '{other.said(found[1])}'")
                break
    # "Is it forbidden to ...?" against "Do employees ...?": a yes/no for one is the
    # opposite for the other, though neither uses the other's verb.
    forbid_q = q & FORBID
    for other in pair.polar:
        tokens = frozenset(other.tokens)
        forbid_p = tokens & FORBID
        if bool(forbid_q) != bool(forbid_p) and not (q | tokens) & PERMIT:
            if forbid_q:
                yield f"only the question says '{question.said(forbid_q)}'"
            else:
                yield f"only '{pair.answer_id}' says '{other.said(forbid_p)}'"
            break


@reason_code("qualifier-mismatch", stage="match")
def qualifier_mismatch(pair: Pairing) -> Iterator[str]:
    """The question and the entry differ in a qualifier: where the data is (at rest / in
    transit), whose it is (customers / workforce), how often (quarterly / annual), a
    number, or whether something is required rather than whether it exists.

    Reviewer: check whether the entry's answer is true for what the question names; if it
    is, answer the row with it (and teach the wording with `qfill apply --learn`), if not,
    write the answer by hand.

    A frequency or number the question names and the entry's question does not must be
    stated by the answer itself: "rotated every 90 days?" is not answered by an entry
    that says "rotated regularly".

    PASS::

        question: Are penetration tests performed every year by an independent firm?
        entry: Are penetration tests performed annually by an independent firm?

    FAIL::

        question: Is customer data encrypted in transit?
        entry: Is customer data encrypted at rest?

    FAIL::

        question: Are workforce passwords at least 8 characters long?
        entry: Are workforce passwords at least 12 characters long?

    FAIL::

        question: Do you operate a VPN for remote access to production?
        entries:
          - id: vpn-remote-access
            question: Is a VPN required for remote access to production?
            answer: No. Access goes through an identity-aware proxy instead.
            short: "No"
    """
    question, phrasing, answer_id = pair.question, pair.phrasing, pair.answer_id
    main = pair.main
    if pair.short == "No" and main is not None and not REQUIRED.isdisjoint(main.tokens) \
            and REQUIRED.isdisjoint(question.tokens):
        yield (f"'{answer_id}' answers No to whether it is '{main.said(REQUIRED)}', not "
               "to whether it exists")
    # "Is data retained after processing?" does not answer "Is data processed?".
    lifecycle = KEEP | REMOVE
    if lifecycle.isdisjoint(question.tokens):
        for other in pair.polar:
            said = lifecycle.intersection(other.tokens)
            if said:
                yield (f"'{answer_id}' asks whether data is '{other.said(said)}'; the "
                       "question does not")
                break
    if not question.numbers and GUARD_WORDS.isdisjoint(question.tokens):
        return  # nothing in the question any other check could contradict
    q, p = frozenset(question.tokens), frozenset(phrasing.tokens)
    for qualifier in QUALIFIERS:
        ql, pl = qualifier.labels(q), qualifier.labels(p)
        if ql and pl and not ql & pl:
            yield (f"the question says '{question.said(qualifier.words(ql))}', "
                   f"'{answer_id}' says '{phrasing.said(qualifier.words(pl))}' "
                   f"({qualifier.name})")
    ql, pl = FREQUENCY.labels(q), FREQUENCY.labels(p)
    if pair.answer is not None and ql and not pl:
        answer = pair.answer
        al = FREQUENCY.labels(frozenset(answer.tokens))
        if not ql & al:
            stated = f"its answer says '{answer.said(FREQUENCY.words(al))}'" if al \
                else "its answer states none"
            yield (f"the question says '{question.said(FREQUENCY.words(ql))}', "
                   f"'{answer_id}' does not and {stated} (frequency)")
    qn, pn = question.numbers, phrasing.numbers
    if qn and pn and not qn & pn:
        yield f"the question says {_join(qn)}, '{answer_id}' says {_join(pn)} (number)"
    elif qn and not pn and pair.answer is not None and not qn <= pair.answer.numbers:
        missing = qn - pair.answer.numbers
        stated = _join(pair.answer.numbers) or "none"
        yield (f"the question says {_join(missing)}, '{answer_id}' does not and its "
               f"answer states {stated} (number)")


# Every guard with its code, in the order their reasons are listed.
GUARDS: tuple[tuple[str, Callable[[Pairing], Iterator[str]]], ...] = (
    ("negation", negation), ("qualifier-mismatch", qualifier_mismatch))


def check(question: Analysis, phrasing: Analysis, answer_id: str, *,
          answer: Analysis | None = None, main: Analysis | None = None,
          short: str | None = None) -> tuple[Reason, ...]:
    """Every guard that fires for this pairing, one :class:`Reason` per finding.

    ``phrasing`` is the entry's phrasing closest to the question, ``main`` the entry's
    own question, ``answer`` its answer text and ``short`` its yes/no (see
    :class:`Pairing`).
    """
    pair = Pairing(question, phrasing, answer_id, main, answer, short)
    found: list[Reason] = []
    for code, guard in GUARDS:
        found.extend(REASONS[code].reason(message) for message in guard(pair))
    return tuple(found)


def _join(labels: Iterable[str]) -> str:
    return "/".join(sorted(labels))
