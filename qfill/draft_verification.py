"""Independent verification of a draft against the evidence it cites.

Whoever wrote a draft (qfill's quotation, a local model, a script), the same check decides
whether a person sees it: every sentence must be found in a passage it cites, in a
document that is still in ``evidence/`` and has not expired. A quoted draft must match
its passage word for word (whitespace and quote marks aside). A draft from a command may
reword: a sentence is supported when the passage holds every one of its content words
and numbers and says "not" as often, so a model cannot turn "is not used" into "is
used", or 30 days into 60. The verdict names the first sentence that fails and why.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from qfill.documents import clean
from qfill.drafts import Draft, DraftSentence, split_sentences, stated_short
from qfill.evidence_index import EvidenceIndex, Passage
from qfill.terms import BOILERPLATE, Analyzer, stem

# Words that carry no claim ("we confirm that ...", "we ensure ..."): a rewording may add them.
_NO_CLAIM = frozenset(BOILERPLATE) | frozenset(stem(w) for w in BOILERPLATE)


@dataclass(frozen=True, slots=True)
class DraftCheck:
    """The verdict on one draft: ``draft`` is what a person may see (None if refused)."""

    draft: Draft | None
    problems: tuple[str, ...] = ()  # why it was refused
    notes: tuple[str, ...] = ()  # what was changed (a Yes/No no sentence states)

    @property
    def accepted(self) -> bool:
        return self.draft is not None


_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
                         "\u2013": "-", "\u2014": "-", "\u00a0": " "})


def _folded(text: str) -> str:
    return clean(text.translate(_QUOTES))


def is_quoted(sentence: str, passage: Passage) -> bool:
    """The sentence appears in the passage word for word."""
    wanted = _folded(sentence)
    return bool(wanted) and wanted in _folded(passage.text)


def _support_gap(sentence: str, passage: Passage, analyze: Analyzer) -> str | None:
    """None when the passage supports the sentence; else what it lacks, in words."""
    said = analyze(sentence)
    if not said.terms:
        return "it has no words to check against the passage"
    held = analyze(passage.text)
    present = set(held.terms)
    missing = [t for t in dict.fromkeys(said.terms) if t not in present and t not in _NO_CLAIM]
    numbers = sorted(said.numbers - held.numbers)
    if numbers:
        return f"the passage does not state {', '.join(numbers)}"
    if missing:
        plain = {_stem_word(w, analyze): w for w in re.findall(r"[A-Za-z0-9-]+", sentence)}
        shown = [plain.get(t, t) for t in missing][:5]
        return f"the passage does not say {', '.join(repr(w) for w in shown)}"
    # The passage's sentence closest to this one must negate as often.
    wanted = set(said.terms)
    closest = max(split_sentences(passage.text) or [passage.text],
                  key=lambda s: len(wanted & set(analyze(s).terms)))
    if analyze(closest).negators != said.negators:
        return "it negates differently from the passage"
    return None


def _stem_word(word: str, analyze: Analyzer) -> str:
    terms = analyze(word).terms
    return terms[0] if terms else word.lower()


def verify_draft(draft: Draft, index: EvidenceIndex, analyze: Analyzer, *,
                 verbatim: bool | None = None) -> DraftCheck:
    """Accept ``draft`` only if every sentence is supported by a passage it cites.

    ``verbatim`` (default: for quoted drafts) demands word-for-word quotation.
    """
    exact = draft.origin == "quoted" if verbatim is None else verbatim
    if not draft.sentences:
        return DraftCheck(None, ("the draft has no sentences",))
    for number, sentence in enumerate(draft.sentences, start=1):
        problem = _sentence_problem(sentence, index, analyze, exact=exact)
        if problem is not None:
            return DraftCheck(None, (f"sentence {number} {_shown(sentence.text)} {problem}",))
    notes: tuple[str, ...] = ()
    stated = stated_short([s.text for s in draft.sentences])
    if draft.short is not None and draft.short != stated:
        notes = (f"dropped the draft's \"{draft.short}\": no cited sentence states it",)
        draft = replace(draft, short=stated)
    return DraftCheck(draft, (), notes)


def _shown(text: str) -> str:
    text = clean(text)
    return repr(text if len(text) <= 80 else text[:77] + "...")


def _sentence_problem(sentence: DraftSentence, index: EvidenceIndex, analyze: Analyzer, *,
                      exact: bool) -> str | None:
    if not sentence.citations:
        return "cites no passage"
    reasons: list[str] = []
    for passage in sentence.citations:
        if passage.path in index.expired:
            return (f"cites {passage.path}, which expired on "
                    f"{index.expired[passage.path].isoformat()}")
        document = index.document(passage.path)
        if document is None:
            return f"cites {passage.path}, which is not in evidence/ (or cannot be read)"
        current = next((p for p in document.passages if p.text == passage.text), None)
        if current is None:
            reasons.append(f"cites a passage that is no longer in {passage.path}")
            continue
        if is_quoted(sentence.text, current):
            return None
        if exact:
            reasons.append(f"is not in {current.citation}")
            continue
        gap = _support_gap(sentence.text, current, analyze)
        if gap is None:
            return None
        reasons.append(f"is not supported by {current.citation}: {gap}")
    return "; ".join(reasons)


def verify_taken_draft(text: str, paths: Sequence[str], index: EvidenceIndex,
                       analyze: Analyzer) -> DraftCheck:
    """Check a draft as a person took it from the review file: its text and the documents
    it cites. Each sentence must still be quoted word for word from one of those
    documents, which must be present and not expired, so an edited draft, or evidence that
    changed or expired since the report, is caught before anything is written."""
    sentences: list[DraftSentence] = []
    wanted = [p.strip() for p in paths if p.strip()]
    if not wanted:
        return DraftCheck(None, ("the draft names no evidence (draft_evidence is empty)",))
    for path in wanted:
        if path in index.expired:
            return DraftCheck(None, (f"it cites {path}, which expired on "
                                     f"{index.expired[path].isoformat()}",))
        if index.document(path) is None:
            return DraftCheck(None, (f"it cites {path}, which is not in evidence/ "
                                     "(or cannot be read)",))
    for number, sentence in enumerate(split_sentences(text), start=1):
        found = next((p for d in index.documents if d.path in wanted for p in d.passages
                      if is_quoted(sentence, p)), None)
        if found is None:
            return DraftCheck(None, (f"sentence {number} {_shown(sentence)} is not in "
                                     f"{', '.join(wanted)}",))
        sentences.append(DraftSentence(sentence, (found,)))
    if not sentences:
        return DraftCheck(None, ("the draft is empty",))
    return verify_draft(Draft(tuple(sentences), stated_short([s.text for s in sentences])),
                        index, analyze)
