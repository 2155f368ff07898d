"""What completed questionnaires hold besides reusable answers, found and set aside.

Every check here is general (patterns of what people type, not the strings of any one
file), and each finding is a :class:`Note` with a stable kind and the source row, so a
person can see what was left out and why. A placeholder or a blank never becomes an
answer; a field about the questionnaire itself, a staff member's details or an answer that
depends on who asks is not kept; an answer pointing at another row of its own
questionnaire loses that pointer; a Yes/No whose narrative says otherwise is kept as the
vendor wrote it, flagged for a person.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from qfill.harvest.rows import AnsweredRow, short_value
from qfill.questionform import classify_question

# kind -> what it means, for the report, the README and the tests.
KINDS: dict[str, str] = {
    "blank": "no answer on the row (often an optional section left empty); skipped",
    "placeholder": "the template's placeholder text left in place; never an answer",
    "about-questionnaire": "a field about this questionnaire itself (its date, the "
                           "customer's or institution's name); not an answer to keep",
    "personal-data": "a staff member's name, title, email or phone number; not kept",
    "relative-contact": "points to 'your account manager', which depends on who asks; "
                        "not kept",
    "cross-reference": "points at another row of its own questionnaire ('See GNRL-08'), "
                       "which means nothing elsewhere; the pointer is dropped",
    "na-narrative": "'NA' or 'None' typed as the narrative beside a Yes/No; the narrative "
                    "is dropped and the Yes/No kept",
    "not-applicable-no": "a 'No' whose narrative says 'Not applicable'; kept as written "
                         "for a person to settle",
    "contradiction": "a Yes/No whose narrative opens with the opposite (or several marks "
                     "on one row); kept as written for a person to settle",
    "duplicate": "the same question asked twice in the harvest with the same answer; "
                 "merged into one entry",
    "duplicate-conflict": "the same question asked twice in the harvest with different "
                          "answers; the first kept, both listed",
    "conflict": "matches a library entry with a different answer; not merged, both listed",
    "by-hand": "an alias or product for an entry written in a form qfill does not edit "
               "(flow style); add it by hand",
    "lint": "what `qfill lint` says about the harvested entries",
}


@dataclass(frozen=True, slots=True)
class Note:
    """One thing harvest set aside or wants a person to look at, with its source row."""

    kind: str
    where: str
    message: str
    skipped: bool = False  # the row gave no entry
    place: str = ""  # file and sheet, when the note is about one row (for grouping)
    row: int = 0

    def to_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "source": self.where, "message": self.message,
                "skipped": self.skipped}


_EMPTY_NARRATIVE = re.compile(
    r"^(?:n/?a|n\.a\.?|none|nil|null|nothing|-+|\u2014|\u2013|\.+|not available"
    r"|not applicable|na\.)\.?$", re.I)
_FILLER = re.compile(r"^(?:-+|\u2014|\u2013|\.+|null|nil|#n/a)$", re.I)
_NOT_APPLICABLE = re.compile(r"^[\W_]*(?:n/?a\b|not\s+applicable\b|does\s+not\s+apply\b)", re.I)
_OPENING = re.compile(r"^[\W_]*(?:(?P<yes>yes)|(?P<na>n/?a|not\s+applicable)|(?P<no>no))\b",
                      re.I)

_PLACEHOLDERS = (
    re.compile(r"^[\[<{].{0,80}[\]>}]$"),  # "[Vendor response]", "<insert text>"
    re.compile(r"\b(?:click|tap)\s+(?:or\s+tap\s+)?here\b", re.I),
    re.compile(r"^(?:please\s+)?(?:enter|type|insert|add|write|fill\s+in)\s+(?:your\s+|the\s+|a\s+)?"
               r"(?:text|answer|response|details?|comments?|description|explanation|"
               r"information|value|here)\b", re.I),
    re.compile(r"^(?:tbd|tbc|tba|todo|to\s*do|xx+|\?+|\.{3,}|…|lorem ipsum\b.*)\.?$", re.I),
    re.compile(r"\bto\s+be\s+(?:completed|confirmed|determined|provided|added|filled)\b", re.I),
    re.compile(r"^(?:please\s+)?(?:select|choose|pick)\b(?:\s+\w+){0,4}[.:]?$", re.I),
    re.compile(r"\b(?:your|vendor|supplier)\s+(?:answer|response|comments?)\s+(?:here|goes\s+here)\b",
               re.I),
    re.compile(r"^(?:answer|response|comments?|notes?|details|explanation|description)"
               r"(?:\s+here)?:?$", re.I),
)

_ABOUT_QUESTIONNAIRE = (
    # The whole question is the form's date field: "Date", "Date completed", ...
    re.compile(r"^(?:today'?s\s+)?date(?:\s+(?:completed|submitted|prepared|signed|of\s+"
               r"(?:completion|submission|response|assessment|this\s+\w+)))?\W*$", re.I),
    re.compile(r"\bdate\b.{0,30}\bthis\s+(?:questionnaire|assessment|form|document|"
               r"response|survey)\b", re.I),
    re.compile(r"\b(?:questionnaire|assessment|form|survey)\s+(?:completion|submission|"
               r"response)\s+date\b|^(?:completed|submitted|prepared|signed)\s+(?:on|date)\b",
               re.I),
    re.compile(r"\b(?:institution|customer|client|requester|requestor|university|college|"
               r"school|buyer|purchaser|organi[sz]ation\s+requesting)(?:'s)?\s+name\b", re.I),
    re.compile(r"\bname\s+of\s+(?:the\s+)?(?:institution|customer|client|requester|requestor|"
               r"university|college|school|buyer|purchaser)\b", re.I),
    re.compile(r"\b(?:questionnaire|assessment|template|form)\s+version\b|\bversion\s+of\s+"
               r"(?:this|the)\s+(?:questionnaire|assessment|template|form)\b|"
               r"\bprepared\s+for\b", re.I),
)
_DATE_VALUE = re.compile(r"^(?:\d{4,5}(?:\.0)?|\d{4}-\d{2}-\d{2}(?:[ T][\d:]+)?|"
                         r"\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4})$")

_CONTACT_QUESTION = re.compile(
    r"\b(?:contact|point\s+of\s+contact|representative|signatory|respondent|submitter|"
    r"completed\s+by|prepared\s+by|person|individual|officer)\b", re.I)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_ROLE_MAILBOX = re.compile(
    r"^(?:security|privacy|support|info|help|helpdesk|compliance|dpo|legal|sales|contact|"
    r"trust|soc|abuse|admin|it|noc|incidents?|cert|csirt|psirt|grc|audit|hr|accessibility|"
    r"a11y|no-?reply|team|office|service|customers?|vendor|procurement|billing|ops|infosec|"
    r"data-?protection|gdpr|hello|enquiries|inquiries|accounts|success|partners|vulnerability|"
    r"disclosure|responsible-disclosure|webmaster|postmaster|risk|ciso|cso|dpa)(?:[-._+].*)?$",
    re.I)
_PHONE = re.compile(r"(?<![\w.])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{2,4}\)\s?)?\d{2,4}[\s.-]\d{3,4}"
                    r"(?:[\s.-]\d{2,4})?(?![\w.])")
# Words that make a "name" a role or a team, which is a reusable answer.
_ROLE_WORDS = re.compile(r"\b(?:team|office|department|desk|group|officer|security|support|"
                         r"services?|operations|cent(?:er|re)|committee|function|unit|"
                         r"manager|lead|director|head|chief|privacy|compliance|legal|it)\b",
                         re.I)
_PERSON_NAME = re.compile(r"^(?:(?:Dr|Mr|Mrs|Ms|Prof)\.?\s+)?[A-Z][a-zA-Z'\u2019-]+(?:\s+[A-Z]\.?)?"
                          r"(?:\s+[A-Z][a-zA-Z'\u2019-]+){1,3}$")

_RELATIVE_CONTACT = re.compile(
    r"\byour\b[^.;\n]{0,30}\b(?:account|success|sales|relationship|client|engagement|service)"
    r"\b[^.;\n]{0,20}\b(?:manager|representative|rep|executive|team|contact|partner|lead)\b",
    re.I)

# A questionnaire's own row ids: "GNRL-08", "A&A-01.2", "A.1.2", "4.2" (not "SOC 2").
_REF_ID = (r"(?:[A-Z]{1,6}&?[A-Z]{0,4}-\d{1,3}(?:[.-]\d{1,3})*[a-z]?|[A-Z]{1,2}\.\d{1,3}"
           r"(?:\.\d{1,3})*|\d{1,3}(?:\.\d{1,3})+)")
_CROSS_REFERENCE = re.compile(
    r"(?i:\b(?:see|refer(?:\s+to)?|as\s+(?:per|in|stated\s+in|described\s+in|answered\s+in|"
    r"noted\s+in)|same\s+as|cf\.?|please\s+see|per)\s+(?:the\s+)?(?:(?:answer|response)s?\s+"
    r"(?:to|in|for|of)\s+)?(?:(?:question|row|item|section|line|q)\.?\s*#?\s*)?)"
    rf"(?P<ref>{_REF_ID}|(?<=question )\d{{1,4}}|(?<=row )\d{{1,4}}|(?<=#)\d{{1,4}})"
    r"(?![\w&])(?!\s+(?:of|in)\s+(?:our|the|your)\b)")  # "section 4.2 of our policy": a document
_RELATIVE_REFERENCE = re.compile(
    r"\b(?:see|as|same\s+as|refer\s+to)\s+(?:the\s+)?(?:above|below|previous|prior|preceding)"
    r"(?:\s+(?:answer|response|question|row|item|section))?\b", re.I)
_WORD = re.compile(r"[^\W\d_]{3,}")


def opening(text: str) -> str | None:
    """The Yes/No/N/A a narrative opens with, if any ("No production data ..." -> "No")."""
    found = _OPENING.match(text)
    if found is None or found.lastgroup is None:
        return None
    return {"yes": "Yes", "no": "No", "na": "N/A"}[found.lastgroup]


def is_placeholder(text: str) -> bool:
    """Template text meant to be replaced ("[Vendor response]", "Click here to enter")."""
    return any(p.search(text) for p in _PLACEHOLDERS)


def about_questionnaire(row: AnsweredRow) -> bool:
    """A field about this questionnaire (completion date, the customer's name)."""
    question = row.question
    if any(p.search(question) for p in _ABOUT_QUESTIONNAIRE):
        return True
    value = row.narrative or row.choice or ""
    return bool(re.search(r"\bdate\b", question, re.I)) and bool(_DATE_VALUE.match(value)) \
        and len(question) <= 40


def personal_data(row: AnsweredRow) -> str | None:
    """Why the row holds a staff member's details, or None."""
    value = " ".join(filter(None, (row.narrative, row.choice, row.evidence)))
    for email in _EMAIL.findall(value):
        if not _ROLE_MAILBOX.match(email.split("@", 1)[0]):
            return f"a personal email address ({_mask(email)})"
    if not contact_field(row.question):
        return None
    if _EMAIL.search(value):
        return None  # a role mailbox (security@...) is a reusable contact
    if _PHONE.search(value):
        return "a contact's phone number"
    if classify_question(row.question).field == "title":
        return "a contact person's job title"
    name = value.split(",")[0].split(" - ")[0].strip()
    if _PERSON_NAME.match(name) and not _ROLE_WORDS.search(name):
        return "a contact person's name"
    return None


def contact_field(question: str) -> bool:
    """The question asks who to contact: a person's name, title, email or phone (the field
    kinds of :func:`qfill.questionform.classify_question`), or names a contact."""
    form = classify_question(question)
    person_field = form.kind == "field" and form.field in ("name", "title", "email", "phone")
    return (bool(_CONTACT_QUESTION.search(question)) and person_field) \
        or bool(re.search(r"\bcontact\b(?!\s+(?:the|our|your|customers?|users?|them)\b)|"
                          r"^\s*who\b", question, re.I))


def _mask(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:1]}...@{domain}"


def cross_reference(text: str) -> str | None:
    """The row a narrative points at ("See GNRL-08" -> "GNRL-08"; "as above"), or None."""
    found = _CROSS_REFERENCE.search(text)
    if found is not None:
        return found.group("ref")
    found = _RELATIVE_REFERENCE.search(text)
    return found.group(0) if found is not None else None


def _only_reference(text: str) -> bool:
    """The narrative says little beyond its pointer (under four words of its own)."""
    rest = _RELATIVE_REFERENCE.sub(" ", _CROSS_REFERENCE.sub(" ", text))
    words = [w for w in _WORD.findall(rest) if w.lower() not in ("see", "the", "and", "for",
                                                                  "our", "answer", "response",
                                                                  "question", "please", "above",
                                                                  "refer", "details")]
    return len(words) < 4


def clean_row(row: AnsweredRow) -> tuple[AnsweredRow | None, list[Note]]:
    """The row as it may become an entry (None: nothing on it may), and the notes on it."""
    notes: list[Note] = []

    place = row.where.rsplit(" row ", 1)[0]

    def note(kind: str, message: str, skipped: bool = False) -> None:
        notes.append(Note(kind, row.where, message, skipped, place, row.row))

    if row.blank:
        note("blank", "no answer", skipped=True)
        return None, notes
    if _PLACEHOLDERS[0].match(row.question):
        note("placeholder", f"the question is template text: {row.question[:60]!r}", True)
        return None, notes
    if about_questionnaire(row):
        note("about-questionnaire", f"{row.question[:60]!r} is about this questionnaire, "
             "not an answer to keep", skipped=True)
        return None, notes
    if contact_field(row.question) and any(
            _RELATIVE_CONTACT.search(text) for text in (row.narrative, row.choice) if text):
        note("relative-contact", "the answer points to the customer's own account contact, "
             "which depends on who asks", skipped=True)
        return None, notes
    why = personal_data(row)
    if why is not None:
        note("personal-data", f"{why}; write a role or a shared mailbox into the library by "
             "hand if it should be answered", skipped=True)
        return None, notes

    short, choice, narrative = row.short, row.choice, row.narrative
    if choice is not None and is_placeholder(choice):
        note("placeholder", f"the dropdown still shows its prompt {choice!r}")
        choice = None
    if narrative is not None and is_placeholder(narrative):
        note("placeholder", f"the narrative is template text {narrative[:60]!r}; dropped")
        narrative = None
    if row.marks:
        note("contradiction", f"several answers are marked ({', '.join(row.marks)}); the "
             "Yes/No is left out for a person to choose")
    if narrative is not None:
        pointer = cross_reference(narrative)
        if pointer is not None:
            if _only_reference(narrative):
                note("cross-reference", f"the narrative only points at {pointer!r} of its own "
                     "questionnaire; dropped")
                narrative = None
            else:
                note("cross-reference", f"the narrative mentions {pointer!r} of its own "
                     "questionnaire, which means nothing elsewhere; rewrite that part")
    if narrative is not None and short is not None:
        said = opening(narrative)
        if short_value(narrative) == short:
            pass  # "Not applicable." beside N/A: the vendor's own words, kept
        elif _EMPTY_NARRATIVE.match(narrative.strip()):
            note("na-narrative", f"the narrative {narrative!r} beside {short!r} says "
                 "nothing more; dropped")
            narrative = None
        elif short == "No" and _NOT_APPLICABLE.match(narrative):
            note("not-applicable-no", f"'No' with the narrative {narrative[:50]!r}: decide "
                 "whether it is No or N/A")
        elif said is not None and said != short:
            note("contradiction", f"{short!r} but the narrative opens "
                 f"{narrative[:50]!r}")
    elif narrative is not None and choice is None:
        if short_value(narrative) == "N/A":
            narrative, short = None, "N/A"  # "NA" as the whole answer
        elif _FILLER.match(narrative.strip()):
            narrative = None  # "-", "null": an export's empty cell, not an answer
    if short is None and choice is None and narrative is None:
        if not notes:
            note("blank", "no answer", skipped=True)
        else:
            notes[-1] = replace(notes[-1], skipped=True)
        return None, notes
    return replace(row, short=short, choice=choice, narrative=narrative), notes
