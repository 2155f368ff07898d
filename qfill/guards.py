"""Guards: the ways two questions can look alike and still ask different things.

A fuzzy score cannot see that "Do you prohibit shared accounts?" and "Do you allow shared
accounts?" are opposites, or that "encrypted at rest" and "encrypted in transit" are two
different controls. Each guard is a registered reason code (:mod:`qfill.reasons`) whose
function compares a question with a library phrasing, both already analysed into
canonical terms, and yields one message per finding; :func:`check` runs them all and the
matcher then lowers the confidence and sends the row to review.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Generic, TypeVar

from qfill.reasons import REASONS, Reason, reason_code
from qfill.terms import Analysis, stem


def _stems(*words: str) -> frozenset[str]:
    return frozenset(stem(w) for w in words) | frozenset(words)


@dataclass(frozen=True, slots=True)
class Value:
    """One value of a qualifier and how a text says it: canonical ``terms`` (from the
    thesaurus, so "data at rest" and "stored data" are one) or a ``pattern`` over the
    text's words as written (for words the thesaurus folds into a phrase, such as
    "security" in "security awareness training")."""

    label: str
    terms: frozenset[str] = frozenset()
    pattern: re.Pattern[str] | None = None

    def said(self, text: Analysis) -> str | None:
        """The words of ``text`` that say this value, as written; None if it does not."""
        if self.terms and not self.terms.isdisjoint(text.tokens):
            return text.said(self.terms)
        found = self.pattern.search(text.plain) if self.pattern is not None else None
        return found.group(0) if found else None


@dataclass(frozen=True, slots=True)
class Qualifier:
    """Mutually exclusive values of one property (where data is, who the user is, ...).

    A question and an entry that both name a value of the property, and share none, ask
    about different things. One label may have several values (ways of saying it), and a
    generic word may say two labels ("staff": employees and contractors).
    """

    name: str
    values: tuple[Value, ...]
    # Every value's terms, and their patterns as one alternation: a text neither names
    # says none of the values, found in one search instead of one per value.
    _terms: frozenset[str] = field(init=False, repr=False, compare=False)
    _pattern: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        patterns = [v.pattern for v in self.values if v.pattern is not None]
        if len({p.flags for p in patterns}) > 1:
            raise ValueError(f"qualifier {self.name}: patterns compiled with other flags")
        object.__setattr__(self, "_terms", frozenset().union(*(v.terms for v in self.values)))
        object.__setattr__(self, "_pattern", re.compile(
            "|".join(f"(?:{p.pattern})" for p in patterns), patterns[0].flags)
            if patterns else None)

    def said(self, text: Analysis) -> dict[str, str]:
        """label -> the words saying it, for every value ``text`` names."""
        if self._terms.isdisjoint(text.tokens) and (
                self._pattern is None or self._pattern.search(text.plain) is None):
            return {}
        found: dict[str, str] = {}
        for value in self.values:
            if value.label not in found:
                words = value.said(text)
                if words is not None:
                    found[value.label] = words
        return found


def _words(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(rf"\b(?:{p})\b" for p in patterns))


_WORKFORCE = r"workforce|staff(?: members?)?|personnel|team members?|internal users?"
# Administrators are the company's own when the text says so: "your administrators",
# "administrators of your cloud console". Unqualified ones may be the customer's ("end
# users and admins sign in through SSO").
_ADMINS = (r"(?:your|our) (?:own )?(?:system |it |cloud |internal )?(?:administrators?|admins?)"
           r"|(?:administrators?|admins?)(?: accounts?)? (?:of|in|on|for|to) (?:your|our)")
QUALIFIERS: tuple[Qualifier, ...] = (
    Qualifier("data state", (Value("at rest", frozenset({"at_rest"})),
                             Value("in transit", frozenset({"in_transit"})))),
    Qualifier("population", (
        Value("customers", _stems("customer", "customer_data", "institution", "institutions",
                                  "institutional", "tenant", "tenants", "patient",
                                  "students")),
        Value("employees", pattern=_words(r"employees?", _WORKFORCE, _ADMINS)),
        Value("contractors", pattern=_words(r"contractors?|consultants?|temporary workers?",
                                            _WORKFORCE, _ADMINS)),
        Value("vendors", frozenset({"third_party"})))),
    Qualifier("scope", (Value("internal", _stems("internal", "internally")),
                        Value("external", _stems("external", "externally")))),
    Qualifier("subject", (
        Value("security", pattern=_words(r"secur(?:e|ed|ely|ity|ities)", "cybersecurity",
                                         "infosec")),
        Value("privacy", pattern=_words("privacy")),
        Value("safety", pattern=_words("safety")),
        Value("accessibility", frozenset({"vpat", "wcag"}), _words("accessibility", "a11y")))),
    Qualifier("environment", (
        Value("production", pattern=re.compile(
            r"(?<!non )(?<!pre )\b(?:production|prod)\b(?! data\b)")),
        Value("test", pattern=_words(
            r"(?:test|testing|staging|development|dev|qa|uat|sandbox) environments?",
            r"non ?production", r"pre ?production", "staging", "sandbox")))),
    Qualifier("document", (
        Value("policy", pattern=_words(r"polic(?:y|ies)")),
        Value("procedure", pattern=_words(r"procedures?", r"playbooks?", r"runbooks?")),
        Value("training", frozenset({"awareness_training"}), _words(r"training", "trained")),
        Value("audit", pattern=re.compile(
            r"\baudit(?:s|ed|ing|ors?)?\b(?! logs?\b| trails?\b| records?\b| logging\b)")))),
    Qualifier("field", (
        Value("name", pattern=_words(r"names?")),
        Value("title", pattern=_words(r"(?:job )?titles?")),
        Value("email", pattern=_words(r"emails?(?: address(?:es)?)?")),
        Value("phone", frozenset({"phone"}), _words(r"(?:tele)?phone(?: numbers?)?")),
        Value("address", pattern=re.compile(
            r"\b(?:postal|mailing|street|physical|office|business|company|registered|"
            r"billing|shipping) address(?:es)?\b|^address(?:es)?\b")),
        Value("URL", pattern=_words(r"urls?", r"web ?links?", r"hyperlinks?", r"websites?",
                                    r"web address(?:es)?")))),
    Qualifier("frequency", tuple(Value(label, frozenset({label})) for label in (
        "hourly", "daily", "weekly", "monthly", "quarterly", "semiannual", "annual",
        "continuous"))),
)
FREQUENCY = QUALIFIERS[-1]
_POPULATION = next(i for i, q in enumerate(QUALIFIERS) if q.name == "population")
# Whose a section heading is about: the population values, and the words a heading uses
# for them where a question would not ("Consulting Services", "Human Resources",
# "Third-Party Risk Management"). "Supply chain" is not here: CAIQ's supply-chain domain
# asks as much about the provider's customers as about its suppliers.
_SECTION_POPULATION = Qualifier("population", (
    *QUALIFIERS[_POPULATION].values,
    Value("contractors", pattern=_words(r"consulting|consultancy")),
    Value("employees", pattern=_words(r"human resources?|hr")),
    Value("contractors", pattern=_words(r"human resources?|hr")),
    Value("vendors", frozenset({"tprm"}))))
_DOCUMENT = next(i for i, q in enumerate(QUALIFIERS) if q.name == "document")
# Words that ask about people learning something, though not about "training" as such.
_LEARNING = _words(r"train(?:s|ed|ing|ees?)?", r"educat\w*", r"aware(?:ness)?", r"teach\w*",
                   r"courses?", r"e ?learning", r"instruct(?:ed|ion)?")

# Verbs of permission and their opposites: a question using one family matched to a
# phrasing using the other is asking the opposite.
PERMIT = _stems("allow", "allows", "allowed", "permit", "permits", "permitted", "enable",
                "enabled", "accept", "accepted")
FORBID = _stems("prohibit", "prohibits", "prohibited", "forbid", "forbidden", "forbids",
                "disallow", "disallowed", "ban", "banned", "block", "blocked", "disable",
                "disabled", "deny", "denied", "reject", "rejected", "refuse", "refused",
                "refuses")
REQUIRED = _stems("require", "required", "requires", "mandatory", "must", "enforce",
                  "enforced", "enforces", "compulsory", "obligatory")
KEEP = frozenset({"retain", "keep", "kept", "store", "preserv", "archiv"})
REMOVE = frozenset({"delete", "destroy", "purg", "eras"})
_LIFECYCLE = KEEP | REMOVE
PROTECTED = frozenset({"encrypt", "hash", "salt", "bcrypt", "argon2", "argon2id", "scrypt",
                       "pbkdf2"})
UNPROTECTED = frozenset({"unencrypted"})
# Families of opposite verbs: a text using only one family and another text only the other.
OPPOSITES = ((PERMIT, FORBID), (PROTECTED, UNPROTECTED), (KEEP, REMOVE))


# Words that make the verb checks worth running on a question (with any number in it).
GUARD_WORDS: frozenset[str] = frozenset().union(
    PERMIT, FORBID, PROTECTED, UNPROTECTED, KEEP, REMOVE,
    _stems("workforce", "contractor", "contractors", "employee", "employees"),
    *(value.terms for name in ("data state", "population", "scope", "frequency")
      for qualifier in QUALIFIERS if qualifier.name == name for value in qualifier.values))


@dataclass(frozen=True, slots=True)
class Section:
    """The heading of a question's section, where it names whose the question is about
    ("Consulting Services": the vendor's consultants): ``population`` is label -> the
    heading's words, as :class:`Qualifier` reports them."""

    text: str
    population: dict[str, str]


def read_section(text: str, analysis: Analysis) -> Section | None:
    """The section heading ``text`` (analysed as ``analysis``) if it names a population,
    else None: a heading that names none says nothing about the question."""
    population = _SECTION_POPULATION.said(analysis)
    return Section(" ".join(text.split()), population) if population else None


@dataclass(frozen=True, slots=True)
class Pairing:
    """A question and the library entry it is compared with.

    ``phrasing`` is the entry's phrasing closest to the question. ``main`` is the entry's
    own question, whose polarity its yes/no answers. ``answer`` is the entry's answer
    text, ``short`` its yes/no. ``section`` is the question's section heading when it
    names a population (:func:`read_section`).
    """

    question: Analysis
    phrasing: Analysis
    answer_id: str
    main: Analysis | None = None
    answer: Analysis | None = None
    short: str | None = None
    section: Section | None = None

    @property
    def polar(self) -> tuple[Analysis, ...]:
        """The entry's wordings whose polarity counts: the phrasing, and its own question."""
        if self.main is None or self.main is self.phrasing:
            return (self.phrasing,)
        return (self.phrasing, self.main)


def _polarity(text: Analysis) -> tuple[bool, int]:
    """Whether ``text`` is negated, and whether an odd number of times: texts agree when
    both say the same (one negation against three agree; two against one do not)."""
    return text.negators > 0, text.negators % 2


def _join_said(negation: tuple[str, ...]) -> str:
    return "', '".join(negation)


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
    """The question and the entry ask opposite things: one is negated ("not", "lack",
    "fail to", "missing", "free of"), or they use opposite verbs (allow / prohibit,
    encrypted / unencrypted, kept / deleted).

    Reviewer: read both: a "Yes" to one is a "No" to the other. Answer the row by hand
    (often the entry's answer with the yes/no flipped), or pick another suggestion.

    Negation is checked against the entry's own question as well as its closest alias,
    so an alias worded openly ("How are passwords stored?") cannot hide that the entry
    answers the opposite question ("Do you keep passwords in clear text?" - "No"). The
    negating words are the thesaurus's ``negation:`` lexicon: particles ("not",
    "never", "without"), verbs in any inflection ("lacks", "avoided", "skipping",
    "failed to", "refrain from") and predicates ("Is MFA missing?", "free of breaches"),
    but not an adjective before its noun ("missing patches"). Two texts agree when both
    are negated as often, or an odd number of times against an odd number; a double
    negation ("never granted without MFA") is not a single one ("granted without MFA").
    A negation inside a clause that sets the question's scope ("For
    customers not using SSO, ...") does not negate what is asked.

    PASS::

        question: Are shared accounts forbidden?
        entry: Are shared or generic user accounts prohibited?

    PASS::

        question: For customers not using SSO, does your application support MFA?
        entry: Does your application support MFA for customer users?

    PASS::

        question: Do you refrain from selling personal data to third parties?
        entry: Is personal data never sold to third parties?
        answer: Yes. We have never sold personal data.
        short: "Yes"

    PASS::

        question: Are missing security patches tracked until they are applied?
        entry: Are missing security patches tracked until they are applied?

    PASS::

        question: For customers lacking SSO, does your application support MFA?
        entry: Does your application support MFA for customer users?

    FAIL::

        question: Do you lack a documented business continuity plan?
        entry: Do you have a documented business continuity plan?

    FAIL::

        question: Is multi-factor authentication missing for workforce access?
        entry: Is multi-factor authentication required for workforce access?

    FAIL::

        question: Have you failed to perform background checks on new employees?
        entry: Do you perform background checks on new employees?

    FAIL::

        question: Have you been free of data breaches for the past three years?
        entry: Have you had a data breach in the past three years?

    FAIL::

        question: Do you have a documented business continuity plan?
        entry: Do you operate without a documented business continuity plan?

    FAIL::

        question: Is administrative access never granted without multi-factor authentication?
        entry: Is administrative access granted without multi-factor authentication?

    FAIL::

        question: Do you refuse law enforcement requests that lack a valid legal order?
        entry: Is customer data given to law enforcement without a valid legal order?

    FAIL::

        question: Do you allow shared or generic user accounts?
        entry: Are shared or generic user accounts prohibited?

    FAIL::

        question: Is customer data not encrypted at rest?
        entry: Is customer data encrypted at rest?
    """
    question = pair.question
    for other in pair.polar:
        if _polarity(question) != _polarity(other):
            if not other.negators:
                yield (f"the question says '{question.negation[0]}'; "
                       f"'{pair.answer_id}' is not negated")
            elif not question.negators:
                yield (f"'{pair.answer_id}' says '{other.negation[0]}'; "
                       "the question is not negated")
            else:
                yield (f"the question says '{_join_said(question.negation)}', "
                       f"'{pair.answer_id}' says '{_join_said(other.negation)}'")
            break
    asked = _asked(question)
    q = asked.tokens
    if not question.numbers and GUARD_WORDS.isdisjoint(q):
        return  # nothing in the question an entry's verb could contradict
    for a, b in asked.opposites:
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
        forbid_p = FORBID.intersection(other.tokens)
        if bool(forbid_q) != bool(forbid_p) and PERMIT.isdisjoint(q) \
                and PERMIT.isdisjoint(other.tokens):
            if forbid_q:
                yield f"only the question says '{question.said(forbid_q)}'"
            else:
                yield f"only '{pair.answer_id}' says '{other.said(forbid_p)}'"
            break


@reason_code("qualifier-mismatch", stage="match")
def qualifier_mismatch(pair: Pairing) -> Iterator[str]:
    """The question and the entry differ in a qualifier: the subject (security / privacy /
    safety / accessibility), whose it is (customers / employees / contractors / vendors,
    or as the row's section names it when the question names no one), where (at rest /
    in transit, production / test), the kind of document (policy / procedure / training /
    audit), the field asked for (name / title / email / phone / address / URL), how often
    (quarterly / annual), a number, how long (the entry states no period), or whether
    something is required rather than whether it exists.

    Reviewer: check whether the entry's answer is true for what the question names; if it
    is, answer the row with it (and teach the wording with `qfill apply --learn`), if not,
    write the answer by hand.

    A frequency or number the question names and the entry's question does not must be
    stated by the answer itself: "rotated every 90 days?" is not answered by an entry
    that says "rotated regularly". Every period the answer states must be the question's
    or more often: "at least quarterly?" is not answered by "quarterly for production,
    every six months for the rest", and is by "monthly". One period in other words is the
    same period: "the past 12 months" is "the past year", "quarterly" is "every three
    months" or "every 90 days". An id in the question ("GNRL-01", "K-12") is not a number.
    A question asking "how long" is answered only by an entry that asks it too or states
    a period ("kept for 35 days", "annually", "as long as the contract runs"). An entry
    about training ("Are developers trained in secure coding?") answers only a question
    about people learning (trained, educated, made aware, courses), not one about the
    practice itself ("Do you follow secure coding practices?").
    Administrators are the company's own people when the text says so ("your
    administrators", "administrators of your cloud console"), not "customer
    administrators"; unqualified "admins" may be either.
    A question that names no population is about the one its section names: in a
    "Consulting Services" section, "Can access be restricted by source IP?" asks about
    the vendor's consultants, not about customers restricting their tenant ("Human
    Resources": the workforce; "Third-Party Risk Management": vendors). The question's
    own words always win over its section's, and a section naming no one changes nothing.

    PASS::

        question: Are penetration tests performed every year by an independent firm?
        entry: Are penetration tests performed annually by an independent firm?

    PASS::

        question: Has the accessibility statement been updated within the past 12 months?
        entry: Has the accessibility statement been updated within the past year?

    FAIL::

        question: Is privacy awareness training mandatory for all employees?
        entry: Is security awareness training mandatory for all employees?

    FAIL::

        question: Do you require MFA for administrators of your cloud console?
        entry: Can customer administrators require MFA for all of their users?

    FAIL::

        question: Can access be restricted based on source IP address?
        section: Consulting Services
        entry: Can customers restrict access to their tenant by source IP address?

    PASS::

        question: Can access be restricted based on source IP address?
        section: Access Control
        entry: Can customers restrict access to their tenant by source IP address?

    PASS::

        question: Can customers restrict access based on source IP address?
        section: Consulting Services
        entry: Can customers restrict access to their tenant by source IP address?

    PASS::

        question: Can both end users and admins sign in to the product through SSO?
        entry: Does the application support SSO for customer users?

    FAIL::

        question: Did you follow secure coding practices when writing the application?
        entry: Are developers trained in secure coding?

    PASS::

        question: Do you run a programme to make staff aware of secure coding?
        entry: Are developers trained in secure coding?

    FAIL::

        question: How long do you keep backups?
        entry: How are backup tapes transported and stored?
        answer: N/A. We do not use tapes; backups are cloud snapshots.
        short: "N/A"

    PASS::

        question: How long do you keep backups?
        entry: How often is customer data backed up?
        answer: Daily snapshots are taken and kept for 35 days.

    FAIL::

        question: Solution Provider Contact Title
        entries:
          - id: contact-name
            question: Vendor Contact Name
            aliases: [Solution Provider Contact Name]
            answer: Dana Smith

    FAIL::

        question: Is customer data encrypted in transit?
        entry: Is customer data encrypted at rest?

    FAIL::

        question: Are user access rights reviewed at least quarterly?
        entry: Are user access rights reviewed periodically?
        answer: >-
          Yes. Production access is reviewed every quarter; access to all other
          applications is reviewed every six months.
        short: "Yes"

    PASS::

        question: Are user access rights reviewed at least quarterly?
        entry: Are user access rights reviewed periodically?
        answer: Yes. All access is reviewed every 90 days, production access monthly.
        short: "Yes"

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
    asked_in = _asked(question)
    if pair.short == "No" and main is not None and not REQUIRED.isdisjoint(main.tokens) \
            and REQUIRED.isdisjoint(asked_in.tokens):
        yield (f"'{answer_id}' answers No to whether it is '{main.said(REQUIRED)}', not "
               "to whether it exists")
    # "Is data retained after processing?" does not answer "Is data processed?".
    if _LIFECYCLE.isdisjoint(asked_in.tokens):
        for other in pair.polar:
            said = _LIFECYCLE.intersection(other.tokens)
            if said:
                yield (f"'{answer_id}' asks whether data is '{other.said(said)}'; the "
                       "question does not")
                break
    # "Are developers trained in secure coding?" does not answer "Do you follow secure
    # coding practices?": an entry about training answers a question about training.
    if not asked_in.qualified[_DOCUMENT] and not asked_in.learning:
        for other in pair.polar:
            trained = _qualified(other)[_DOCUMENT].get("training")
            if trained:
                yield (f"'{answer_id}' asks about '{trained}'; the question does not "
                       "(document)")
                break
    how_often = True  # whether the answer's periods are still to be compared
    asked_all, stated_all = asked_in.qualified, _qualified(phrasing)
    compared = asked_in.named  # the qualifiers the question names, and its section's
    if pair.section is not None and not asked_all[_POPULATION]:
        compared = tuple(sorted((*compared, _POPULATION)))
    for n in compared:
        qualifier, asked, stated = QUALIFIERS[n], asked_all[n], stated_all[n]
        if not asked and n == _POPULATION and pair.section is not None:
            # A question that names no one is about whom its section names.
            if stated and pair.section.population.keys().isdisjoint(stated):
                yield (f"the section says '{pair.section.text}', '{answer_id}' says "
                       f"'{_first(stated)}' ({qualifier.name})")
            continue
        if stated and asked.keys().isdisjoint(stated):
            how_often = how_often and qualifier is not FREQUENCY
            yield (f"the question says '{_first(asked)}', '{answer_id}' says "
                   f"'{_first(stated)}' ({qualifier.name})")
        elif qualifier is FREQUENCY and not stated and pair.answer is not None \
                and not _intervals(pair.answer):
            # A frequency the question names and the entry's question does not must be
            # stated by the answer itself (how often it says, just below).
            how_often = False
            yield (f"the question says '{_first(asked)}', '{answer_id}' does not and its "
                   "answer states none (frequency)")
    if how_often and pair.answer is not None:
        # Every period the answer states must be as often as asked, or more often:
        # "at least quarterly?" is not answered Yes by "quarterly for production, every
        # six months for the rest".
        asked_every, laxer = _laxer_period(question, pair.answer)
        if laxer:
            entry_says = "too, but" if stated_all[-1] else "does not and"
            yield (f"the question says '{asked_every}', '{answer_id}' {entry_says} its "
                   f"answer says '{laxer}' (frequency)")
    # "How long do you keep backups?" asks for a period: an entry that states none (its
    # question does not ask one, its answer names no duration) answers something else.
    if _no_period(question, (phrasing, main, pair.answer)):
        yield f"the question asks how long, '{answer_id}' states no period (period)"
    qn, pn = question.numbers, phrasing.numbers
    if qn and not qn.isdisjoint(_periods(question)):
        # "the past 12 months" is "the past year": a period the other side states in
        # other words is not a different number.
        months = _months(phrasing) | (_months(pair.answer) if pair.answer else _NO_MONTHS)
        qn = frozenset(n for n in qn if _periods(question).get(n) not in months)
    if pn and qn and not pn.isdisjoint(_periods(phrasing)):
        pn = frozenset(n for n in pn if _periods(phrasing).get(n) not in _months(question))
    if qn and pn and not qn & pn:
        yield f"the question says {_join(qn)}, '{answer_id}' says {_join(pn)} (number)"
    elif qn and not pn and pair.answer is not None and not qn <= pair.answer.numbers:
        missing = qn - pair.answer.numbers
        yield (f"the question says {_join(missing)}, '{answer_id}' does not and its "
               f"answer states {_join(pair.answer.numbers) or 'none'} (number)")


# Every guard with its code, in the order their reasons are listed.
GUARDS: tuple[tuple[str, Callable[[Pairing], Iterator[str]]], ...] = (
    ("negation", negation), ("qualifier-mismatch", qualifier_mismatch))


def check(question: Analysis, phrasing: Analysis, answer_id: str, *,
          answer: Analysis | None = None, main: Analysis | None = None,
          short: str | None = None, section: Section | None = None) -> tuple[Reason, ...]:
    """Every guard that fires for this pairing, one :class:`Reason` per finding.

    ``phrasing`` is the entry's phrasing closest to the question, ``main`` the entry's
    own question, ``answer`` its answer text, ``short`` its yes/no and ``section`` the
    row's section heading where it names a population (see :class:`Pairing`).
    """
    pair = Pairing(question, phrasing, answer_id, main, answer, short, section)
    found: list[Reason] = []
    for code, guard in GUARDS:
        for message in guard(pair):
            found.append(REASONS[code].reason(message))
    return tuple(found)


def about_others(question: Analysis, phrasing: Analysis, *, answer: Analysis | None = None,
                 main: Analysis | None = None) -> bool:
    """Whether the entry is about the other side's people (the customer's users where the
    question asks about the company's own staff, or the reverse), or states no period
    for a question asking how long. Matching does not let the words of such an entry's
    answer lift it in the suggestions: they cannot make up for that (measured: no set
    loses a right answer from its top three on wording alone)."""
    population = _POPULATION
    asked = _asked(question).qualified[population]
    stated = _qualified(phrasing)[population]
    if asked and stated and asked.keys().isdisjoint(stated) \
            and "customers" in asked.keys() | stated.keys():
        return True
    return _no_period(question, (phrasing, main, answer))


def _no_period(question: Analysis, entry: Iterable[Analysis | None]) -> bool:
    """Whether ``question`` asks how long and none of the entry's texts asks or states a
    period."""
    return "how long" in question.plain and not any(
        _states_period(text) for text in entry if text is not None)


def _join(labels: Iterable[str]) -> str:
    return "/".join(sorted(labels))


# Periods in months: a number with its unit ("12 months", "2 years"), or a word that
# names one ("annual", "a year", "every quarter").
_UNIT_MONTHS = {"month": 1, "year": 12}
_NO_MONTHS: frozenset[int] = frozenset()
_WORD_MONTHS = {"annual": 12, "year": 12, "quarterly": 3, "quarter": 3, "semiannual": 6,
                "monthly": 1}


def _periods(text: Analysis) -> dict[str, int]:
    """number -> months, for each number written with a unit of months or years."""
    found: dict[str, int] = {}
    for number, unit in zip(text.tokens, text.tokens[1:], strict=False):
        months = _UNIT_MONTHS.get(unit)
        if months is not None and number.isdigit():
            found[number] = int(number) * months
    return found


_DURATION_UNITS = frozenset({"minut", "hour", "dai", "week", "month", "quarter", "year"})
_DURATION_WORDS = re.compile(r"\b(?:how long|as long as|until|indefinitely|period|duration|"
                             r"forever|lifetime)\b")


def _states_period(text: Analysis) -> bool:
    """Whether ``text`` asks for or states a duration: "how long", "35 days", "13
    months", "annually", "as long as the contract runs", "until deletion"."""
    tokens = text.tokens
    if any(t in _FREQUENCY_DAYS or t in _WORD_MONTHS for t in tokens):
        return True
    if any(number.isdigit() and unit in _DURATION_UNITS
           for number, unit in pairwise(tokens)):
        return True
    return _DURATION_WORDS.search(text.plain) is not None


def _months(text: Analysis) -> frozenset[int]:
    """Every period ``text`` states, in months, however it is written."""
    found = set(_periods(text).values())
    previous = ""
    for token in text.tokens:
        if token in _WORD_MONTHS and not previous.isdigit():
            found.add(_WORD_MONTHS[token])
        previous = token
    return frozenset(found)


T = TypeVar("T")
_KEPT_MAX = 200_000  # analyses kept per kind of finding; past it, started afresh


class _PerAnalysis(Generic[T]):
    """What is worked out of an analysis, kept per analysis: the same question meets ten
    entries, and an entry's phrasing many questions, and the analyser hands out one
    analysis per distinct text. Keyed by identity, the analysis kept beside its value so
    the key cannot be reused: hashing an analysis's fields on every lookup cost more than
    the guards themselves."""

    __slots__ = ("_kept", "_make")

    def __init__(self, make: Callable[[Analysis], T]) -> None:
        self._make = make
        self._kept: dict[int, tuple[Analysis, T]] = {}

    def __call__(self, text: Analysis) -> T:
        kept = self._kept.get(id(text))
        if kept is not None and kept[0] is text:
            return kept[1]
        value = self._make(text)
        if len(self._kept) >= _KEPT_MAX:
            self._kept.clear()
        self._kept[id(text)] = (text, value)
        return value

    def remember(self, text: Analysis, value: T) -> bool:
        """Keep ``value``, worked out earlier, for ``text``; False (nothing kept) when
        full."""
        if len(self._kept) >= _KEPT_MAX:
            return False
        self._kept[id(text)] = (text, value)
        return True


def _qualifiers_said(text: Analysis) -> tuple[dict[str, str], ...]:
    """What ``text`` says of each qualifier (label -> words), in :data:`QUALIFIERS` order."""
    return tuple(qualifier.said(text) for qualifier in QUALIFIERS)


_qualified = _PerAnalysis(_qualifiers_said)


def qualified_or_none(text: Analysis) -> tuple[dict[str, str], ...] | None:
    """What ``text`` says of each qualifier, or None if it names none: kept in a library's
    index for every phrasing (:func:`remember_qualified` hands it back)."""
    found = _qualified(text)
    return found if any(found) else None


_NONE_SAID: tuple[dict[str, str], ...] = tuple({} for _ in QUALIFIERS)


def remember_qualified(texts: Iterable[Analysis],
                       found: Iterable[tuple[dict[str, str], ...] | None]) -> None:
    """Take what :func:`qualified_or_none` found for ``texts`` earlier (a library's index
    read from the cache) instead of searching them again."""
    for text, said in zip(texts, found, strict=True):
        if not _qualified.remember(text, said if said is not None else _NONE_SAID):
            return


@dataclass(frozen=True, slots=True)
class _Asked:
    """What the guards look up in a question, worked out once: it meets ten entries.
    (An entry's texts are read where needed: most meet one or two questions in a run.)"""

    tokens: frozenset[str]  # its canonical tokens
    qualified: tuple[dict[str, str], ...]  # what it says of each qualifier (_qualified)
    intervals: tuple[tuple[float, str], ...]  # the frequencies it states (_intervals)
    learning: bool  # whether it asks about people learning something (_LEARNING)
    named: tuple[int, ...]  # the qualifiers it names, as places in QUALIFIERS
    opposites: tuple[tuple[frozenset[str], frozenset[str]], ...]  # the OPPOSITES it uses


def _question_facts(text: Analysis) -> _Asked:
    """The :class:`_Asked` of question ``text``."""
    qualified, tokens = _qualified(text), frozenset(text.tokens)
    return _Asked(tokens, qualified, _intervals(text), _LEARNING.search(text.plain) is not None,
                  tuple(n for n, said in enumerate(qualified) if said),
                  tuple((a, b) for a, b in OPPOSITES if not tokens.isdisjoint(a | b)))


_asked = _PerAnalysis(_question_facts)


# How often, as the days between two occurrences: the thesaurus's frequency terms, and
# "every N days / weeks / months / years".
_FREQUENCY_DAYS = {"continuous": 0.0, "hourly": 1 / 24, "daily": 1.0, "weekly": 7.0,
                   "monthly": 30.0, "quarterly": 91.0, "semiannual": 182.0, "annual": 365.0}
_UNIT_DAYS = {stem(unit + plural): days for unit, days in (
    ("hour", 1 / 24), ("day", 1.0), ("week", 7.0), ("month", 30.0), ("year", 365.0))
    for plural in ("", "s")}
_SAME_PERIOD = 1.1  # "every 90 days" is quarterly, "every 13 weeks" too


def _intervals(text: Analysis) -> tuple[tuple[float, str], ...]:
    """Every frequency ``text`` states: (days between occurrences, the words as written)."""
    found: list[tuple[float, str]] = []
    tokens = text.tokens
    for i, token in enumerate(tokens):
        days = _FREQUENCY_DAYS.get(token)
        if days is not None:
            found.append((days, text.surface[i]))
        elif token == "every" and i + 2 < len(tokens) and tokens[i + 1].isdigit() \
                and tokens[i + 2] in _UNIT_DAYS:
            found.append((int(tokens[i + 1]) * _UNIT_DAYS[tokens[i + 2]],
                          " ".join(text.surface[i:i + 3])))
    return tuple(found)


def _laxer_period(question: Analysis, answer: Analysis) -> tuple[str, str | None]:
    """(the question's period, as written; the answer's first period laxer than every
    period the question names, or None)."""
    asked = _asked(question).intervals
    if not asked:
        return "", None
    limit, words = max(asked)
    for days, said in _intervals(answer):
        if days > limit * _SAME_PERIOD:
            return words, said
    return words, None


def _first(said: dict[str, str]) -> str:
    """The words of the first label named (in the qualifier's order)."""
    return next(iter(said.values()))
