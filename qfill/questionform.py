"""What form of answer a question row asks for, and whether a value fits that form.

A questionnaire row is not always a yes/no question: "Describe how ..." wants prose,
"Is monitoring performed internally or by a third party?" wants one of two things, and
"Country of Company Headquarters" or "Contact Email" want a short value of one kind. A
library entry written for a yes/no question ("Yes. Our privacy notice is published at
...") answers none of those as it stands, so the gate before writing
(:mod:`qfill.verification`) asks this module what the row wants and whether the value
about to be written fits it.

Pure text rules, no spreadsheet or library types: :func:`classify_question` and
:func:`fits_field`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

FormKind = Literal["yes-no", "either-or", "choice", "description", "field", "label"]
FieldKind = Literal["name", "title", "email", "phone", "url", "country", "date", "number",
                    "version"]
FIELD_KINDS: tuple[FieldKind, ...] = ("name", "title", "email", "phone", "url", "country",
                                      "date", "number", "version")


@dataclass(frozen=True, slots=True)
class QuestionForm:
    """The answer a row asks for.

    ``kind``: ``yes-no`` (a polar question), ``either-or`` (a question naming the
    alternatives it wants one of), ``choice`` ("Select your hosting option": a value
    from the cell's list), ``label`` (a topic named, not asked: "Card data handling"; the
    row's cells say what they want), ``description`` (how, describe, explain, which, list)
    or ``field`` (a short value of ``field``: a name, an email, a URL, ...).
    ``about_questionnaire`` marks a field about the questionnaire itself (the date it is
    completed, the customer's name), which no library entry can answer.
    """

    kind: FormKind
    field: FieldKind | None = None
    about_questionnaire: bool = False

    @property
    def label(self) -> str:
        """How a reason names the form: "a yes/no question", "an email address", ..."""
        if self.kind == "field" and self.field is not None:
            return _FIELD_LABELS[self.field]
        return _FORM_LABELS[self.kind]


_FORM_LABELS: dict[str, str] = {
    "yes-no": "a yes or no", "either-or": "one of two alternatives",
    "choice": "a choice from a list", "label": "what its cells ask",
    "description": "a description", "field": "a short field"}
_FIELD_LABELS: dict[FieldKind, str] = {
    "name": "a name", "title": "a job title", "email": "an email address",
    "phone": "a phone number", "url": "a web link", "country": "a country", "date": "a date",
    "number": "a number", "version": "a version"}

_POLAR = re.compile(
    r"^(?:do|does|did|is|are|was|were|has|have|had|can|could|will|would|shall|should|may"
    r"|must|might)\b", re.I)
_OPEN = re.compile(
    r"^(?:how|what|which|who|whom|whose|where|when|why|describe|explain|list|outline"
    r"|detail|summari[sz]e|specify|identify|enumerate|elaborate|discuss|name the"
    r"|please (?:describe|explain|list|outline|detail|summari[sz]e|specify|identify"
    r"|provide|share|state|name|give|indicate)|provide|share|state|give|indicate)\b", re.I)
_CHOOSE = re.compile(r"^(?:please )?(?:select|choose|pick)\b", re.I)
# Pairs of alternatives that make "Is X done A or B?" ask which one, not whether.
_ALTERNATIVES: tuple[tuple[str, str], ...] = (
    (r"internal(?:ly)?|in[- ]house|your own (?:staff|team)|by (?:you|your (?:staff|team|"
     r"company|organi[sz]ation))", r"third[- ]part(?:y|ies)|external(?:ly)?|outsourc\w*"
     r"|a vendor|a provider|a partner|contractors?|managed service"),
    (r"manual(?:ly)?", r"automat\w*"),
    (r"on[- ]prem\w*|self[- ]hosted|own data ?cent\w*", r"(?:in the |public )?cloud\w*"
     r"|hosted|saas"),
    (r"centrali[sz]ed", r"decentrali[sz]ed|distributed"),
    (r"real[- ]time", r"batch\w*|periodic\w*"),
)
# A short field: a label, or a request for one value. Most specific kind first.
_FIELDS: tuple[tuple[FieldKind, re.Pattern[str]], ...] = (
    ("email", re.compile(r"\be-?mail(?: address)?\b", re.I)),
    ("phone", re.compile(r"\b(?:tele)?phone\b|\bmobile(?: number)?\b|\bcontact number\b"
                         r"|\bfax\b", re.I)),
    ("url", re.compile(r"\burls?\b|\bweb ?links?\b|\blinks? to\b|\bwebsite\b|\bweb ?site\b"
                       r"|\bweb address\b|\bhome ?page\b|\bhyperlink\b", re.I)),
    ("date", re.compile(r"\bdates?\b|\bwhen was\b", re.I)),
    ("version", re.compile(r"\bversions?\b|\brelease number\b", re.I)),
    ("title", re.compile(r"\b(?:job )?title\b|\bposition\b", re.I)),
    ("name", re.compile(r"\bnames?\b", re.I)),
    ("country", re.compile(r"\bcountry\b|\bcountries\b|\bnationality\b", re.I)),
    ("number", re.compile(r"^how many\b|\bnumber of\b|\bcount of\b|\bheadcount\b"
                          r"|\b(?:duns|tax|vat|registration|company) (?:id|number)\b", re.I)),
)
# Whose field it is: the questionnaire's own (completed, submitted) or the customer's.
_ABOUT_QUESTIONNAIRE = re.compile(
    r"\b(?:complet\w*|submi\w*|filled|fill(?:ed)? (?:in|out)|signed|prepared|today)\b"
    r"|\b(?:institution|customer|client|university|college|school|buyer|purchaser"
    r"|requester|requesting|assessor|reviewer|evaluator)(?:'s)? (?:name|contact|title)"
    r"|\bname of (?:the |your )?(?:institution|customer|client|university|college"
    r"|assessor|reviewer|evaluator|requester)\b", re.I)
_FIELD_REQUEST = re.compile(
    r"^(?:please )?(?:provide|give|enter|list|state|share|specify|supply|insert)\s+"
    r"(?:the|your|a|an)?\s*", re.I)
_ASKS_ONE = re.compile(r"^(?:what|which|when) (?:is|are|was)\b|^how many\b", re.I)
_LABEL_WORDS = 14  # a label is short; a longer text without a question word is prose


def classify_question(text: str) -> QuestionForm:
    """The form of answer ``text`` asks for (see :class:`QuestionForm`)."""
    question = " ".join(text.split())
    first = _first_sentence(question)
    bare = first.lstrip(" \"'([").rstrip()
    if _POLAR.match(bare):
        if _asks_which(first):
            return QuestionForm("either-or")
        return QuestionForm("yes-no")
    field = _field_kind(bare)
    if field is not None:
        about = bool(_ABOUT_QUESTIONNAIRE.search(bare))
        return QuestionForm("field", field, about)
    if _CHOOSE.match(bare):
        return QuestionForm("choice")
    if _OPEN.match(bare):
        return QuestionForm("description")
    if bare.endswith("?") or not _is_label(bare):
        # A question, or a requirement stated as a sentence ("MFA is enforced for all
        # remote access."): whether the respondent meets it.
        return QuestionForm("yes-no")
    return QuestionForm("label")


_STATEMENT_VERB = re.compile(
    r"\b(?:is|are|was|were|be|been|must|shall|should|will|has|have|can|may|does|do"
    r"|ensures?|requires?|provides?|maintains?|uses?|supports?|implements?|enforces?"
    r"|performs?|conducts?|documents?|reviews?|protects?|encrypts?|restricts?|logs?)\b",
    re.I)


def _is_label(text: str) -> bool:
    """A short noun phrase ("Solution Description", "Employee Work Locations"), not a
    requirement written as a sentence."""
    return len(text.split()) <= 8 and not _STATEMENT_VERB.search(text)


def _first_sentence(text: str) -> str:
    """Up to the first "?" (a question with a follow-up asks its first part first)."""
    end = text.find("?")
    return text[:end + 1] if end >= 0 else text


def _asks_which(question: str) -> bool:
    """"... internally or by a third party?": the alternatives of one known pair, joined
    by "or" (not "and/or"), both named."""
    lowered = question.lower()
    if (" or " not in lowered or "and/or" in lowered or " either " in lowered
            or "regardless" in lowered or "irrespective" in lowered):
        return False
    for left, right in _ALTERNATIVES:
        a = re.search(rf"\b(?:{left})\b", lowered)
        b = re.search(rf"\b(?:{right})\b", lowered)
        if a and b:
            low, high = sorted((a, b), key=lambda m: m.start())
            if " or " in lowered[low.end():high.start() + 1]:
                return True
    return False


def _field_kind(text: str) -> FieldKind | None:
    """A field label ("Contact Email", "Country of Company Headquarters") or a request
    for one value ("Provide the URL of ..."); None for anything longer or open."""
    request = _FIELD_REQUEST.match(text)
    body = text[request.end():] if request else text
    asks_one = bool(_ASKS_ONE.match(text))  # "What is ...?", "How many ...?"
    if (text.endswith("?") and not asks_one) or len(body.split()) > _LABEL_WORDS:
        return None
    if not request and _OPEN.match(text) and not asks_one:
        return None
    head = re.split(r"\b(?:of|for|used|that|which|where|to which)\b", body, maxsplit=1)[0] \
        if request or text.endswith("?") else body
    for kind, pattern in _FIELDS:
        if pattern.search(head if kind not in ("url", "number") else body):
            return kind
    return None


# --------------------------------------------------------------------------- fitting

_EMAIL = re.compile(r"^[\w.+'-]+@[\w-]+(?:\.[\w-]+)+$")
_URL = re.compile(r"^(?:https?://|www\.)\S+$", re.I)
_PHONE = re.compile(r"^\+?[\d\s().-]{7,}(?:\s*(?:x|ext\.?)\s*\d+)?$", re.I)
_DATE = re.compile(r"^(?:\d{4}-\d{2}-\d{2}|\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}"
                   r"|\d{1,2} [A-Za-z]{3,9} \d{4}|[A-Za-z]{3,9} \d{1,2},? \d{4})$")
_VERSION = re.compile(r"^v?\d+(?:\.\d+){0,3}(?:[-+ ][\w.]+)?$", re.I)
_NUMBER = re.compile(r"^(?:about |approximately |over |under |~)?[\d][\d,.]*\+?%?"
                     r"(?:\s+[A-Za-z-]+){0,3}$", re.I)
_VERDICT = re.compile(r"^\W*(?:yes|no|n/?a|not applicable)\b", re.I)
_PLAIN_WORDS = 8


def fits_field(kind: FieldKind, value: str) -> bool:
    """Whether ``value`` is, as it stands, a value of ``kind`` (an email for an email,
    a link for a link, a short name for a name: never a sentence, never a "Yes")."""
    text = " ".join(value.split())
    if not text or _VERDICT.match(text):
        return False
    if kind == "email":
        return bool(_EMAIL.match(text))
    if kind == "url":
        return bool(_URL.match(text))
    if kind == "phone":
        return bool(_PHONE.match(text)) and sum(c.isdigit() for c in text) >= 7
    if kind == "date":
        return bool(_DATE.match(text))
    if kind == "version":
        return bool(_VERSION.match(text))
    if kind == "number":
        return bool(_NUMBER.match(text))
    # name, title, country: a few words, not a sentence, no digits or addresses.
    return (len(text.split()) <= _PLAIN_WORDS and not re.search(r"[.!?;:]\s|[.!?]$", text)
            and not any(c.isdigit() for c in text) and "@" not in text
            and not _URL.match(text))


def opens_with_verdict(text: str) -> bool:
    """The text opens with a yes/no ("Yes. We ...", "No, ..."): it answers whether."""
    return bool(_VERDICT.match(text))
