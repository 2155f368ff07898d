"""Question text as terms: normalisation, the domain thesaurus, stemming and term weights.

Fuzzy scores on raw text fail in known ways: "MFA" and "multi-factor authentication" share
no characters, "organisation" and "organization" differ, and "Does your organization" weighs
as much as "encrypted at rest". So text is turned into *terms* first: lower case, British
spellings to American, every word stemmed, thesaurus phrases collapsed to one canonical term
(``mfa``, ``at_rest``, ``annual``), function words dropped. :class:`TermWeights` then learns
from the library how rare, and so how meaningful, each term is.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

# Function words: never a signal on their own. Negators are kept out of this list's
# effect on guards because guards read tokens before stop words are dropped.
STOPWORDS = frozenset("""
a an the and or of to in on at by for from with within into onto as is are was were be
been being am do does did doing done have has had having you your yours we our ours us
they their them it its this that these those there here which who whom whose what when
where why how whether if then than so such any all each every some other others also only
own same very can could may might must shall should will would e g eg i ie etc via per
upon about above below under over between through during before after again further once
both either neither more most less least much many few its it's please yes one two three s
t d ll re ve m but just too not
""".split())  # noqa: SIM905 - a word list reads best as text

# Words every questionnaire uses; they carry little meaning whatever their frequency.
BOILERPLATE = frozenset("""
organization organizations company companies institution vendor vendors solution solutions
provide provided providing service services product products offer offered ensure ensured
describe description explain explanation detail details list state indicate confirm
currently current able ability support supported supports maintain maintained establish
established document documented approve approved communicate communicated apply applied
evaluate evaluated implement implemented defined define appropriate applicable relevant
following include includes including use used using perform performed require
organizational according related otherwise part parts possible need needs set well term
terms next make made come go best special right refer reference answer effective
effectively particular specific specified appropriately properly fully ever enforce
enforced enforces conduct conducted carry carried undergo undergone take taken have having
given give within place placed kept keep based basis case cases way ways required
requirement requirements exist exists existing place process processes procedure
procedures practice practices measure measures technical capability capabilities manage
managed management regular regularly environment system systems
""".split())  # noqa: SIM905 - a word list reads best as text

# Phrases that contain a negator but do not negate the question.
_NEUTRAL = re.compile(
    r"\b(if (?:not|no|so|yes|applicable)|(?:but )?not limited to|whether or not|not applicable|"
    r"no later than|no more than|no less than|not later than|if this is not|or not|"
    r"n/a|where not|when not|why not|no longer|not only|not just|no\.)\b")
# A clause that sets the scope of a question, not what it asks: "For customers not using
# SSO, ...", "Where MFA is not enforced, ...". A negator inside it does not negate the
# question.
_SCOPE = re.compile(r"(?:^|(?<=[.;:?!]))\s*(?:for|where|when|if|unless|in cases? where|"
                    r"in the case of|with|among|on)\b[^,.;:?!]{0,80},")
# An identifier written in a question ("AAAI-02", "IAM-14.1", "K-12"): letters, a hyphen
# and two digits. Its digits are not a quantity (a key length or a count of days has one,
# three or more digits: "SHA-1", "AES-256", "ISO 27001").
_ID = re.compile(r"\b[a-z][a-z&]*-\s?(\d{2}(?:\.\d+)*)\b")
_TOKEN = re.compile(r"[a-z0-9]+(?:\.[0-9]+)*")
_APOSTROPHE_NOT = re.compile(r"n['\u2019]t\b")


def normalize(text: str) -> str:
    """Lower case, Unicode folded, contractions of "not" spelled out."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = text.replace("\u2019", "'").replace("&", " and ")
    text = _APOSTROPHE_NOT.sub(" not", text.replace("can't", "cannot").replace("won't", "will not"))
    return text


def words(text: str) -> list[str]:
    return _TOKEN.findall(normalize(text))


# --------------------------------------------------------------------------- stemming

_VOWELS = frozenset("aeiou")


def _cons(w: str, i: int) -> bool:
    ch = w[i]
    if ch in _VOWELS:
        return False
    if ch == "y":
        return i == 0 or not _cons(w, i - 1)
    return True


def _m(stem: str) -> int:
    """Porter's measure: the number of vowel-consonant sequences in ``stem``."""
    n, i, length = 0, 0, len(stem)
    while i < length and _cons(stem, i):
        i += 1
    while i < length:
        while i < length and not _cons(stem, i):
            i += 1
        if i >= length:
            break
        n += 1
        while i < length and _cons(stem, i):
            i += 1
    return n


def _has_vowel(stem: str) -> bool:
    return any(not _cons(stem, i) for i in range(len(stem)))


def _double_cons(w: str) -> bool:
    return len(w) >= 2 and w[-1] == w[-2] and _cons(w, len(w) - 1)


def _cvc(w: str) -> bool:
    return (len(w) >= 3 and _cons(w, len(w) - 3) and not _cons(w, len(w) - 2)
            and _cons(w, len(w) - 1) and w[-1] not in "wxy")


_STEP2 = (("ational", "ate"), ("tional", "tion"), ("enci", "ence"), ("anci", "ance"),
          ("izer", "ize"), ("abli", "able"), ("alli", "al"), ("entli", "ent"), ("eli", "e"),
          ("ousli", "ous"), ("ization", "ize"), ("ation", "ate"), ("ator", "ate"),
          ("alism", "al"), ("iveness", "ive"), ("fulness", "ful"), ("ousness", "ous"),
          ("aliti", "al"), ("iviti", "ive"), ("biliti", "ble"), ("logi", "log"))
_STEP3 = (("icate", "ic"), ("ative", ""), ("alize", "al"), ("iciti", "ic"), ("ical", "ic"),
          ("ful", ""), ("ness", ""))
_STEP4 = ("al", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement", "ment", "ent",
          "ion", "ou", "ism", "ate", "iti", "ous", "ive", "ize")


# Words Porter would merge with a different concept ("accessibility" -> "access",
# "generic" -> "gener" like "generate"); kept whole, with their close family.
STEM_EXCEPTIONS: dict[str, str] = {
    "accessibility": "accessibility", "accessible": "accessible",
    # "continuity" (of business) is not "continuous" (a frequency).
    "continuity": "continuity",
    "generic": "generic", "general": "general", "generally": "general",
    "community": "community", "communities": "community",
    "university": "university", "universities": "university",
    "universal": "universal", "organism": "organism", "news": "news",
    "series": "series", "species": "species", "business": "business",
    "process": "process", "processes": "process", "processing": "processing",
    "processed": "processing", "processor": "processor", "processors": "processor",
    "subprocessor": "subprocessor", "subprocessors": "subprocessor",
    # "information" is not "inform" (notify), "responsibilities" not "response", a
    # "generator" not "generated" keys, "designated" not "designed", "regulators" not
    # "regulations".
    "information": "information", "informational": "information",
    "responsibility": "responsibl", "responsibilities": "responsibl",
    "responsible": "responsibl",
    "generator": "generator", "generators": "generator",
    "designate": "designate", "designated": "designate", "designates": "designate",
    "regulator": "regulator", "regulators": "regulator",
}


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The Porter (1980) stem of one lower-case word; words with digits are kept whole."""
    w = word
    if w in STEM_EXCEPTIONS:
        return STEM_EXCEPTIONS[w]
    if len(w) <= 3 or not w.isalpha():
        return w
    # step 1a
    if w.endswith("sses") or w.endswith("ies"):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith("ss") and not w.endswith("us") \
            and not w.endswith("is"):
        w = w[:-1]
    # step 1b
    flag = False
    if w.endswith("eed"):
        if _m(w[:-3]) > 0:
            w = w[:-1]
    elif w.endswith("ed") and _has_vowel(w[:-2]):
        w, flag = w[:-2], True
    elif w.endswith("ing") and _has_vowel(w[:-3]):
        w, flag = w[:-3], True
    if flag:
        if w.endswith(("at", "bl", "iz")):
            w += "e"
        elif _double_cons(w) and w[-1] not in "lsz":
            w = w[:-1]
        elif _m(w) == 1 and _cvc(w):
            w += "e"
    # step 1c
    if w.endswith("y") and _has_vowel(w[:-1]):
        w = w[:-1] + "i"
    # step 2
    for suffix, repl in _STEP2:
        if w.endswith(suffix):
            if _m(w[: -len(suffix)]) > 0:
                w = w[: -len(suffix)] + repl
            break
    # step 3
    for suffix, repl in _STEP3:
        if w.endswith(suffix):
            if _m(w[: -len(suffix)]) > 0:
                w = w[: -len(suffix)] + repl
            break
    # step 4
    for suffix in _STEP4:
        if w.endswith(suffix):
            base = w[: -len(suffix)]
            if _m(base) > 1 and (suffix != "ion" or base.endswith(("s", "t"))):
                w = base
            break
    # step 5
    if w.endswith("e"):
        base = w[:-1]
        if _m(base) > 1 or (_m(base) == 1 and not _cvc(base)):
            w = base
    if w.endswith("ll") and _m(w) > 1:
        w = w[:-1]
    return w


# --------------------------------------------------------------------------- negation

# A predicate ("missing", "absent") before one of these is said of the subject ("Is MFA
# missing for administrators?"); before a content word it describes that word ("missing
# patches"), and before "and" / "or" it is one of a list of adjectives.
_PREDICATE_FOLLOWERS = STOPWORDS - {"and", "or", "nor"}
_CLAUSE_END = frozenset(".,;:?!()")
_NEGATION_TOKEN = re.compile(r"[a-z0-9]+(?:\.[0-9]+)*|[.,;:?!()]")


def _heads(items: Iterable[Any]) -> dict[str, tuple[str, ...]]:
    """Each first word -> the words that may follow it ('' when any may): "free of",
    "free from" -> {"free": ("of", "from")}; "lack" -> {"lack": ("",)}."""
    found: dict[str, tuple[str, ...]] = {}
    for item in items:
        parts = words(str(item))
        if parts:
            found[parts[0]] = (*found.get(parts[0], ()), " ".join(parts[1:2]))
    return found


@dataclass(frozen=True, slots=True)
class NegationLexicon:
    """The words that negate what a question asks (the thesaurus's ``negation:``).

    ``particles`` negate wherever they stand ("not", "never", "without"). ``verbs``
    (stem -> the word that must follow, or '') negate in every inflection: "lacks",
    "skipped", "failing to" are found by their stem, and only inflections count, so
    "avoidance" or "failure" do not. ``predicates`` (word -> the word that must follow,
    or '') negate when said of the subject ("Is MFA missing?"), not when they describe
    the noun after them ("missing patches").
    """

    particles: frozenset[str] = frozenset()
    verbs: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    predicates: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def build(cls, data: Mapping[str, Any] | None) -> NegationLexicon:
        data = data or {}
        verbs: dict[str, tuple[str, ...]] = {}
        for head, after in _heads(data.get("verbs") or ()).items():
            verbs[stem(head)] = (*verbs.get(stem(head), ()), *after)
        particles = frozenset(w for item in data.get("particles") or () for w in words(str(item)))
        return cls(particles, verbs, _heads(data.get("predicates") or ()))

    def negations(self, text: str) -> tuple[str, ...]:
        """The negating words of normalised ``text``, as written ("lack", "fail to")."""
        found: list[str] = []
        tokens = _NEGATION_TOKEN.findall(text)
        for i, word in enumerate(tokens):
            after = tokens[i + 1] if i + 1 < len(tokens) else "."
            if word in self.particles:
                found.append(word)
                continue
            needs = self.predicates.get(word)
            if needs is not None:
                # Said of the subject: at the clause's end or before a preposition.
                bare = "" in needs and (after in _CLAUSE_END or after in _PREDICATE_FOLLOWERS)
                if bare or after in needs:
                    found.append(word if bare else f"{word} {after}")
                continue
            needs = self.verbs.get(stem(word)) if word.isalpha() else None
            if needs is not None and _inflects(word):
                if "" in needs:
                    found.append(word)
                elif after in needs:
                    found.append(f"{word} {after}")
        return tuple(found)


def _inflects(word: str) -> bool:
    """Whether ``word`` can be a verb's inflection (not "avoidance" beside "avoid")."""
    return not word.endswith(("al", "ance", "ence", "ment", "ion", "ure", "ful", "ive",
                              "er", "or", "able", "ible"))


# --------------------------------------------------------------------------- thesaurus


@dataclass(frozen=True, slots=True)
class Thesaurus:
    """Phrase -> canonical term maps, applied to word sequences.

    ``spelling`` works on words before stemming (``organisation`` -> ``organization``);
    ``phrases`` works on stemmed words and maps each phrase to one canonical term.
    """

    spelling: Mapping[tuple[str, ...], tuple[str, ...]]
    phrases: Mapping[tuple[str, ...], str]
    longest: int
    canonical: frozenset[str] = frozenset()  # every term a phrase maps to
    negation: NegationLexicon = field(default_factory=NegationLexicon)

    @classmethod
    def build(cls, data: Mapping[str, Any],
              extra: Mapping[str, Sequence[str]] | None = None) -> Thesaurus:
        spelling: dict[tuple[str, ...], tuple[str, ...]] = {}
        for variant, canonical in (data.get("spelling") or {}).items():
            spelling[tuple(words(str(variant)))] = tuple(words(str(canonical)))
        groups: list[tuple[str, list[str]]] = []
        for acronym, expansions in (data.get("acronyms") or {}).items():
            groups.append((str(acronym), [str(acronym), *map(str, expansions)]))
        for group in data.get("synonyms") or []:
            items = [str(g) for g in group]
            if items:
                groups.append((items[0], items))
        for term, variants in (extra or {}).items():
            groups.append((str(term), [str(term), *map(str, variants)]))
        phrases: dict[tuple[str, ...], str] = {}
        for name, items in groups:
            canonical = "_".join(words(name)) or name
            for item in items:
                key = tuple(stem(w) for w in _respell(words(item), spelling))
                if key:
                    phrases[key] = canonical  # later groups (the library's) win
        longest = max((len(k) for k in (*phrases, *spelling)), default=1)
        return cls(spelling, phrases, longest, frozenset(phrases.values()),
                   NegationLexicon.build(data.get("negation")))


# Number words as digits, so "seven years" and "7 years" agree ("one" is left alone: it
# is mostly "one-way", "at least one").
NUMBER_WORDS = {"two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
                "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12",
                "fifteen": "15", "twenty": "20", "thirty": "30", "sixty": "60",
                "ninety": "90", "hundred": "100"}


def _respell(tokens: list[str], spelling: Mapping[tuple[str, ...], tuple[str, ...]]
             ) -> list[str]:
    return [word for word, _ in _respell_from(tokens, spelling)]


def _respell_from(tokens: list[str], spelling: Mapping[tuple[str, ...], tuple[str, ...]]
                  ) -> list[tuple[str, str]]:
    """Each respelled word with the words it was written as ("vendors" -> "suppliers")."""
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(tokens):
        for size in (3, 2, 1):
            key = tuple(tokens[i:i + size])
            if len(key) == size and key in spelling:
                written = " ".join(key)
                out.extend((word, written) for word in spelling[key])
                i += size
                break
        else:
            token = NUMBER_WORDS.get(tokens[i], tokens[i])
            if token.endswith("isation"):
                token = token[:-7] + "ization"
            elif token.endswith("isations"):
                token = token[:-8] + "izations"
            out.append((token, tokens[i]))
            i += 1
    return out


@lru_cache(maxsize=1)
def shipped_thesaurus_data() -> Mapping[str, Any]:
    """The thesaurus that ships with qfill (``qfill/data/thesaurus.yaml``)."""
    text = resources.files("qfill").joinpath("data/thesaurus.yaml").read_text(encoding="utf-8")
    # LibYAML's loader where PyYAML has it: the same data, a tenth of the time (every
    # command that matches or lints pays this at start-up).
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    data = yaml.load(text, Loader=loader)
    return data if isinstance(data, dict) else {}


@lru_cache(maxsize=1)
def shipped_thesaurus_digest() -> str:
    """A digest of the shipped thesaurus, for caches of what it shaped."""
    data = resources.files("qfill").joinpath("data/thesaurus.yaml").read_bytes()
    return hashlib.sha256(data).hexdigest()


def load_thesaurus(extra: Mapping[str, Sequence[str]] | None = None) -> Thesaurus:
    """The shipped thesaurus merged with a library's ``synonyms:`` (the library wins)."""
    return Thesaurus.build(shipped_thesaurus_data(), extra)


# --------------------------------------------------------------------------- analysis


@dataclass(frozen=True, slots=True)
class Analysis:
    """One text as the matcher sees it.

    ``tokens`` keeps every canonical word in order, function words included, for the
    guards (negators, numbers); ``terms`` drops function words and negating words and is
    what is weighed and indexed; ``text`` is ``terms`` joined, for the fuzzy scorers;
    ``plain`` is the text's words before stemming. ``negation`` lists the words that
    negate what the text asks, as written ("not", "lack", "fail to"), outside clauses that
    only set its scope; ``negators`` is how many there are.
    """

    tokens: tuple[str, ...]
    terms: tuple[str, ...]
    negators: int
    text: str
    plain: str  # lower-cased words of the original text, for near-verbatim comparison
    numbers: frozenset[str] = frozenset()  # numbers it states ("12", "1.2"), for the guards

    # For each token, the words it was read from, as written (lower case, before stemming):
    # what a reason quotes, so a reviewer reads "permitted", not the stem "permit".
    surface: tuple[str, ...] = ()
    negation: tuple[str, ...] = ()

    def __reduce__(self) -> tuple[type[Analysis], tuple[object, ...]]:
        # Pickled by its fields, in order: a library's index holds one per phrasing, and
        # the generic state of a slotted dataclass is several times slower to load.
        return (Analysis, tuple(getattr(self, name) for name in _ANALYSIS_FIELDS))

    def said(self, tokens: Iterable[str]) -> str:
        """The words, as written, behind the first of ``tokens`` in the text ('' if none)."""
        wanted = frozenset(tokens)
        for token, words_ in zip(self.tokens, self.surface, strict=False):
            if token in wanted:
                return words_
        return min(wanted, default="")


_ANALYSIS_FIELDS = tuple(f.name for f in fields(Analysis))


_ANALYSES_KEPT = 200_000  # distinct texts an analyser keeps; past it, analysed each time


class Analyzer:
    """Turns text into :class:`Analysis`, caching each distinct text once.

    Analysis runs for every phrasing of every entry each time a library is matched or
    linted, so the per-word work (respelling, stemming, whether a word starts a
    thesaurus phrase) is looked up once per distinct word, and phrases are only tried at
    words that start one, at the lengths that start there.
    """

    def __init__(self, thesaurus: Thesaurus) -> None:
        self.thesaurus = thesaurus
        self._cache: dict[str, Analysis] = {}
        # Words that start a multi-word respelling ("e mail", "on premise"): only at these
        # is more than one word looked at.
        self._respell_starts = frozenset(k[0] for k in thesaurus.spelling if len(k) > 1)
        # For each stem that starts a thesaurus phrase, the phrase lengths, longest first.
        lengths: dict[str, set[int]] = {}
        for key in thesaurus.phrases:
            lengths.setdefault(key[0], set()).add(len(key))
        self._lengths = {first: tuple(sorted(sizes, reverse=True))
                         for first, sizes in lengths.items()}
        # word -> its respelled words, each as (word, stem, token outside a phrase, the
        # word as written)
        self._words: dict[str, tuple[tuple[str, str, str, str], ...]] = {}
        self._negating: dict[str, bool] = {}  # word -> whether it may negate

    def __call__(self, text: str) -> Analysis:
        found = self._cache.get(text)
        if found is None:
            found = self._analyze(text)
            if len(self._cache) < _ANALYSES_KEPT:
                self._cache[text] = found
        return found

    def remember(self, analyses: Mapping[str, Analysis]) -> None:
        """Take analyses an analyser with the same code and thesaurus made earlier (lint
        keeps them between runs: :class:`qfill.answer_file_cache.KnownAnalyses`)."""
        for text, analysis in analyses.items():
            if len(self._cache) >= _ANALYSES_KEPT:
                break
            self._cache.setdefault(text, analysis)

    def _word(self, word: str, written: str) -> tuple[str, str, str, str]:
        stemmed = stem(word)
        return (word, stemmed, word if word in STOPWORDS else stemmed, written)

    def _respelled(self, found: list[str]) -> list[tuple[str, str, str, str]]:
        """Each word of the text, respelled, with its stem, its token and how it was
        written."""
        if not self._respell_starts.isdisjoint(found):
            return [self._word(w, written)
                    for w, written in _respell_from(found, self.thesaurus.spelling)]
        out: list[tuple[str, str, str, str]] = []
        known = self._words
        for word in found:
            info = known.get(word)
            if info is None:
                info = tuple(self._word(w, written)
                             for w, written in _respell_from([word], self.thesaurus.spelling))
                known[word] = info
            out += info
        return out

    def _analyze(self, text: str) -> Analysis:
        th = self.thesaurus
        plain = normalize(text)
        found = _TOKEN.findall(plain)
        negation = self._negation(found, plain)
        words = self._respelled(found)
        tokens: list[str] = []
        surface: list[str] = []
        i, n, lengths, phrases = 0, len(words), self._lengths, th.phrases
        while i < n:
            first = words[i][1]
            for size in lengths.get(first, ()):
                if size > n - i:
                    continue
                key = (first,) if size == 1 else tuple(w[1] for w in words[i:i + size])
                canonical = phrases.get(key)
                if canonical is not None:
                    tokens.append(canonical)
                    surface.append(" ".join(dict.fromkeys(w[3] for w in words[i:i + size])))
                    i += size
                    break
            else:
                tokens.append(words[i][2])
                surface.append(words[i][3])
                i += 1
        particles = th.negation.particles
        if negation:
            # The negating words themselves ("lack", "fail") are polarity, not topic.
            heads = frozenset(phrase.split()[0] for phrase in negation)
            terms = tuple(t for t, said in zip(tokens, surface, strict=True)
                          if t not in STOPWORDS and t not in particles and said not in heads)
        else:
            terms = tuple(t for t in tokens if t not in STOPWORDS and t not in particles)
        canonical_terms = th.canonical
        raw = " ".join(w[0] for w in words)  # number words are digits by now ("six" -> "6")
        numbers = frozenset(t for t in tokens if _DIGIT(t) is not None
                            and t not in canonical_terms) if _DIGIT(raw) else _NONE
        if numbers and "-" in plain:
            numbers = _without_ids(plain, numbers)
        return Analysis(tuple(tokens), terms, len(negation), " ".join(terms), raw, numbers,
                        tuple(surface), negation)

    def _negation(self, found: list[str], plain: str) -> tuple[str, ...]:
        """The words negating what ``plain`` asks, as written, outside scope clauses and
        phrases that only look negative ("not limited to")."""
        lexicon = self.thesaurus.negation
        flags = self._negating
        for word in found:
            maybe = flags.get(word)
            if maybe is None:
                maybe = (word in lexicon.particles or word in lexicon.predicates
                         or (word.isalpha() and stem(word) in lexicon.verbs))
                flags[word] = maybe
            if maybe:
                return lexicon.negations(_NEUTRAL.sub(" ", _SCOPE.sub(" ", plain)))
        return ()


_DIGIT = re.compile(r"[0-9]").search
_NONE: frozenset[str] = frozenset()


def _without_ids(plain: str, numbers: frozenset[str]) -> frozenset[str]:
    """``numbers`` less those written only as part of an identifier ("GNRL-01")."""
    in_ids = {found.group(1) for found in _ID.finditer(plain)}
    if not in_ids:
        return numbers
    elsewhere = set(_TOKEN.findall(_ID.sub(" ", plain)))
    return frozenset(n for n in numbers if n not in in_ids or n in elsewhere)


def shared_analyzer(extra: Mapping[str, Sequence[str]] | None = None) -> Analyzer:
    """One :class:`Analyzer` per thesaurus for the whole process, so that lint's
    near-duplicate join and the matcher it then builds analyse each text once."""
    key = tuple(sorted((str(k), tuple(map(str, v))) for k, v in (extra or {}).items()))
    return _analyzer_for(key)


@lru_cache(maxsize=8)
def _analyzer_for(key: tuple[tuple[str, tuple[str, ...]], ...]) -> Analyzer:
    return Analyzer(load_thesaurus(dict(key)))


# --------------------------------------------------------------------------- weights


@dataclass(frozen=True, slots=True)
class TermWeights:
    """Inverse document frequency over library entries, with boilerplate damped.

    A term found in few entries ("waf", "rpo") identifies a question; one found in most
    ("policy" in a policy library) does not. A term the library never uses weighs as an
    average term: it cannot be matched, and counting it as the rarest would let an
    incidental word ("in front of the app") outweigh the one that matters ("WAF").
    """

    idf: Mapping[str, float]
    unseen: float
    boilerplate: frozenset[str]

    @classmethod
    def learn(cls, documents: Iterable[Iterable[str]]) -> TermWeights:
        df: dict[str, int] = {}
        n = 0
        for doc in documents:
            n += 1
            for term in set(doc):
                df[term] = df.get(term, 0) + 1
        # Smoothed so that even tiny libraries give sane weights.
        idf = {t: math.log(1.0 + (n + 1.0) / (c + 0.5)) for t, c in df.items()}
        unseen = math.fsum(idf.values()) / len(idf) if idf else 1.0
        boiler = frozenset(stem(w) for w in BOILERPLATE) | BOILERPLATE
        return cls(idf, unseen, boiler)

    def weight(self, term: str) -> float:
        w = self.idf.get(term, self.unseen)
        if term in self.boilerplate:
            w *= 0.2
        return w

    def total(self, terms: Iterable[str]) -> float:
        return math.fsum(map(self.weight, terms))
