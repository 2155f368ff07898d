"""``ambiguous-entries`` at scale: the join finds every near twin, and scoring each
wording against its own entry and its twins only gives the verdict that ranking it
against the whole library gives."""

from __future__ import annotations

import dataclasses
import math
import random
import re
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from lint_fixtures import run_lint

from qfill.library import Answer, Library, load_library
from qfill.lint.ambiguity import near_twins
from qfill.matching import Candidate, Matcher
from qfill.overlap import near_pairs
from qfill.settings import Settings, load_settings
from qfill.terms import TermWeights, shared_analyzer

REPO = Path(__file__).resolve().parent.parent
_PAIR = re.compile(r"entries '([^']+)' and '([^']+)'")


def _library(questions: Sequence[Sequence[str]]) -> Library:
    answers = tuple(Answer(id=f"e{n}", question=texts[0], aliases=tuple(texts[1:]),
                           answer="Yes.", short="Yes") for n, texts in enumerate(questions))
    return Library(Path("."), answers)


def _all_pairs(library: Library, settings: Settings, bound: float) -> dict[str, set[int]]:
    """The join's answer by brute force: every phrasing against every other."""
    analyze = shared_analyzer(settings.synonyms)
    rows = [(i, text, frozenset(analyze(text).terms))
            for i, answer in enumerate(library.answers) for text in answer.phrasings]
    unions: dict[int, set[str]] = {}
    for i, _, terms in rows:
        unions.setdefault(i, set()).update(terms)
    weights = TermWeights.learn(unions[i] for i in range(len(library.answers)))
    found: dict[str, set[int]] = {}
    for a, (i, text, terms) in enumerate(rows):
        for j, other, others in rows[a + 1:]:
            total = weights.total(terms) + weights.total(others)
            if i != j and total and 2 * weights.total(terms & others) >= bound * total:
                found.setdefault(text, set()).add(j)
                found.setdefault(other, set()).add(i)
    return found


def test_the_join_finds_what_comparing_every_pair_finds() -> None:
    rng = random.Random(3)
    words = [f"w{n}" for n in range(60)] + ["data", "policy", "access", "review"] * 10
    questions: list[list[str]] = []
    for n in range(120):
        if n % 3 == 2:  # a near twin of the entry before, one word changed
            base = questions[-1][0].split()
            base[rng.randrange(len(base))] = rng.choice(words)
            questions.append([" ".join(base)])
        else:
            questions.append([" ".join(rng.choices(words, k=rng.randint(2, 9)))
                              for _ in range(rng.randint(1, 3))])
    library, settings = _library(questions), Settings()
    for bound in (0.5, 0.7, 0.9):
        assert near_twins(library, settings, bound) == _all_pairs(library, settings, bound)


def _sample_with_rivals(root: Path) -> Path:
    """The sample library, plus entries that reword some of its questions by a word or two
    (and one copied alias): the pairs a growing library really gets."""
    for name in ("answers", "evidence"):
        shutil.copytree(REPO / name, root / name)
    shutil.copy(REPO / "qfill.yaml", root / "qfill.yaml")
    library = load_library(root)
    rng = random.Random(5)
    lines = ["answers:"]
    for n, answer in enumerate(rng.sample(list(library.answers), 30)):
        words = answer.question.rstrip("?").split()
        for _ in range(1 + n % 2):
            words[rng.randrange(len(words))] = rng.choice(("all", "customer", "annually",
                                                           "staff", "production"))
        question = " ".join(words) + "?"
        lines += [f"  - id: rival-{n}", f"    question: '{question}'",
                  f"    answer: '{answer.answer[:1]}es, as {answer.id} says.'"]
    first = library.answers[0]
    lines += ["  - id: rival-copy", "    question: Are laptops encrypted?",
              "    aliases:", f"      - '{first.question}'", "    answer: Yes."]
    (root / "answers" / "rivals.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def _ranked_against_the_library(root: Path) -> set[tuple[str, str]]:
    """The rule's verdict as it was first written: every phrasing ranked against the whole
    library by the matcher, six candidates."""
    settings = load_settings(root)
    library = load_library(root)
    matching = dataclasses.replace(settings.matching, candidates=6, semantic=False)
    matcher = Matcher(library, dataclasses.replace(settings, matching=matching))
    pairs: set[tuple[str, str]] = set()
    for answer in library.answers:
        for candidates in matcher.rank(answer.phrasings):
            scores = {c.answer_id: c.confidence for c in reversed(candidates)}
            own = scores.get(answer.id, 0.0)
            for other, score in scores.items():
                if other != answer.id and score >= matching.review_threshold and \
                        score >= own - matching.margin:
                    pairs.add((min(answer.id, other), max(answer.id, other)))
    return pairs


def test_bounded_verdict_is_the_full_rankings_on_the_sample_library_with_rivals(
        tmp_path: Path) -> None:
    root = _sample_with_rivals(tmp_path)
    findings = [f for f in run_lint(root).findings if f.rule == "ambiguous-entries"]
    pairs = {tuple(sorted(_PAIR.search(f.message).groups())) for f in findings}  # type: ignore[union-attr]
    first = load_library(root).answers[0].id
    assert len(pairs) >= 5 and (first, "rival-copy") in pairs  # the rivals are rivals
    assert pairs == _ranked_against_the_library(root)


class _Counting:
    """The real matcher, recording what lint asks of it."""

    asked: list[list[str]]

    def __init__(self, library: Library, settings: Settings) -> None:
        self.matcher = Matcher(library, settings.with_matching(semantic=False))
        _Counting.asked = []

    def rank_among(self, questions: Sequence[str], among: Sequence[Sequence[str]],
                   **rivals: Any) -> list[list[Candidate]]:
        _Counting.asked.extend(list(ids) for ids in among)
        return self.matcher.rank_among(questions, among, **rivals)


def test_each_wording_is_scored_against_its_twins_not_the_library(tmp_path: Path) -> None:
    rng = random.Random(9)
    vocabulary = [f"term{n}" for n in range(3000)]
    lines = ["answers:"]
    for n in range(300):
        words = rng.sample(vocabulary, 6)
        lines += [f"  - id: entry-{n}", f"    question: Do you {' '.join(words)}?",
                  "    answer: Yes."]
        if n % 10 == 0:  # every tenth entry has a twin, worded alike
            lines += [f"  - id: twin-{n}",
                      f"    question: Does your organization {' '.join(words)}?",
                      "    answer: Yes."]
    (tmp_path / "answers").mkdir()
    (tmp_path / "answers" / "a.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_lint(tmp_path, ranker=_Counting)
    assert len(result.findings) == 30
    # At most two wordings per twin pair are scored, each against its pair only.
    assert len(_Counting.asked) <= 60
    assert all(len(ids) == 2 for ids in _Counting.asked)


def _brute_pairs(sets: Sequence[frozenset[str]], groups: Sequence[int],
                 weights: dict[str, float], bound: float) -> list[tuple[int, int]]:
    found = []
    for j, b in enumerate(sets):
        for i in range(j):
            a = sets[i]
            total = math.fsum(weights[t] for t in a) + math.fsum(weights[t] for t in b)
            if groups[i] != groups[j] and total > 0 and \
                    2 * math.fsum(weights[t] for t in a & b) / total >= bound:
                found.append((i, j))
    return found


@pytest.mark.parametrize("arrays", [False, True], ids=["pair by pair", "over arrays"])
def test_the_join_is_exact_on_skewed_weights_short_sets_and_shared_words(arrays: bool) -> None:
    """Sets dominated by one heavy word (they may match on that word alone), one-word,
    empty and very long sets, copies within an entry and across entries, and words most
    sets share: the join returns exactly the pairs comparing every pair returns, with
    their overlap, whichever way it finds its candidates."""
    rng = random.Random(11)
    vocabulary = [f"t{n}" for n in range(40)]
    weights = {t: rng.choice((0.05, 0.2, 1.0, 1.0, 3.0, 9.0)) for t in vocabulary}
    weights["common"] = 0.01
    sets: list[frozenset[str]] = []
    groups: list[int] = []
    for n in range(400):
        if n % 7 == 3 and sets:  # a copy of an earlier set, or one word changed
            base = set(rng.choice(sets))
            if base and rng.random() < 0.6:
                base.discard(rng.choice(sorted(base)))
                base.add(rng.choice(vocabulary))
            terms = frozenset(base)
        else:
            terms = frozenset(rng.sample(vocabulary, rng.choice((0, 1, 1, 2, 3, 5, 8, 12, 36))))
        if rng.random() < 0.5:
            terms |= {"common"}
        sets.append(terms)
        groups.append(n // 3 if n % 5 else n)  # some entries have several phrasings
    for bound in (0.3, 0.5, 0.7, 0.82, 0.95, 1.0):
        got = list(near_pairs(sets, groups, weights.__getitem__, bound, arrays=arrays))
        assert [(i, j) for i, j, _ in got] == _brute_pairs(sets, groups, weights, bound)
        for i, j, dice in got:
            total = math.fsum(map(weights.__getitem__, sets[i])) + \
                math.fsum(map(weights.__getitem__, sets[j]))
            assert dice == 2 * math.fsum(map(weights.__getitem__, sets[i] & sets[j])) / total
    assert len(list(near_pairs(sets, groups, weights.__getitem__, 0.7, arrays=arrays))) > 50


def _sample_with_twins(root: Path) -> Path:
    """The sample library with a near twin for every other entry: its question with one
    word swapped for a word of another question (the library a generated benchmark
    calls "near twins"), some twins with an alias rewording them again."""
    for name in ("answers", "evidence"):
        shutil.copytree(REPO / name, root / name)
    shutil.copy(REPO / "qfill.yaml", root / "qfill.yaml")
    answers = load_library(root).answers
    rng = random.Random(17)
    words = [w for a in answers for w in a.question.rstrip("?.").split()]
    lines = ["answers:"]
    for n, answer in enumerate(answers[::2]):
        twin = answer.question.rstrip("?.").split()
        twin[rng.randrange(len(twin))] = rng.choice(words)
        text = " ".join(twin).replace("'", "''")
        lines += [f"  - id: twin-{n}", f"    question: '{text}?'", "    answer: Yes."]
        if n % 3 == 0:
            lines += ["    aliases:", f"      - 'Please confirm: {text}'"]
    (root / "answers" / "twins.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def test_near_twin_library_findings_are_the_full_rankings(tmp_path: Path) -> None:
    root = _sample_with_twins(tmp_path)
    findings = [f for f in run_lint(root).findings if f.rule == "ambiguous-entries"]
    pairs = {tuple(sorted(_PAIR.search(f.message).groups())) for f in findings}  # type: ignore[union-attr]
    assert len(pairs) == len(findings) >= 20
    assert all(any(i.startswith("twin-") for i in pair) for pair in pairs)
    assert pairs == _ranked_against_the_library(root)


def test_lint_builds_the_library_index_once(tmp_path: Path, monkeypatch: Any) -> None:
    """The near-duplicate join and the matcher behind it share one index: each phrasing
    is weighed and indexed once per run."""
    from qfill.library_index import LibraryIndex

    built: list[int] = []
    build = LibraryIndex.build.__func__  # type: ignore[attr-defined]

    def counting(cls: type[LibraryIndex], *args: Any, **kwargs: Any) -> LibraryIndex:
        built.append(1)
        index: LibraryIndex = build(cls, *args, **kwargs)
        return index

    monkeypatch.setattr(LibraryIndex, "build", classmethod(counting))
    root = _sample_with_twins(tmp_path)
    assert [f for f in run_lint(root).findings if f.rule == "ambiguous-entries"]
    assert len(built) == 1


def test_a_matcher_on_lints_index_ranks_as_one_on_the_full_index() -> None:
    """Lint's index leaves the qualifiers of each phrasing to be worked out when scored;
    every candidate, confidence and guard is the same as with them worked out up front."""
    import csv

    from qfill.library_index import LibraryIndex

    library = load_library(REPO)
    settings = load_settings(REPO).with_matching(semantic=False)
    with open(REPO / "benchmarks" / "data" / "labelled-questionnaire.csv",
              encoding="utf-8") as handle:
        questions = [row["question"] for row in csv.DictReader(handle)]
    questions += [text for answer in library.answers for text in answer.phrasings]
    lighter = LibraryIndex.build(library.answers, shared_analyzer(settings.synonyms),
                                 qualifiers=False)
    assert lighter.qualified == ()
    ranked = Matcher(library, settings, prebuilt=lighter).rank(questions)
    assert ranked == Matcher(library, settings).rank(questions)
    assert any(c.reasons for candidates in ranked for c in candidates)  # guards fired


def _flagged(candidates: Sequence[Candidate], owners: Sequence[str], margin: float,
             least: float) -> set[tuple[str, str]]:
    scores: dict[str, float] = {}
    for candidate in candidates:
        scores.setdefault(candidate.answer_id, candidate.confidence)
    return {(owner, other) for owner in owners for other, score in scores.items()
            if other != owner and score >= least and score >= scores.get(owner, 0.0) - margin}


@pytest.mark.parametrize("margin", [0.0, 0.06, 0.3])
def test_asking_only_for_rivals_lists_the_same_rivals_as_full_scoring(
        tmp_path: Path, margin: float) -> None:
    """``rank_among`` with owners leaves out, before their guards run, the entries that
    cannot come within the margin of an owner: every pair the full lists flag is flagged
    from the shorter ones, each candidate listed with the same confidence, and wordings
    with no rival list nothing."""
    root = _sample_with_twins(tmp_path)
    library = load_library(root)
    settings = load_settings(root).with_matching(semantic=False, candidates=6)
    least = settings.matching.review_threshold
    matcher = Matcher(library, settings)
    ids = [answer.id for answer in library.answers]
    owners = {text: [a.id for a in library.answers if text in a.phrasings]
              for answer in library.answers for text in answer.phrasings}
    rng = random.Random(5)
    texts = sorted(owners)
    among = [sorted({*owners[t], *rng.sample(ids, 8)}) for t in texts]
    full = matcher.rank_among(texts, among)
    asked = matcher.rank_among(texts, among, owners=[owners[t] for t in texts],
                               within=margin, at_least=least)
    for text, whole, short in zip(texts, full, asked, strict=True):
        assert _flagged(short, owners[text], margin, least) == \
            _flagged(whole, owners[text], margin, least), text
        assert {(c.answer_id, c.confidence) for c in short} <= \
            {(c.answer_id, c.confidence) for c in whole}
    assert sum(map(len, asked)) < sum(map(len, full)) / 2  # most of the work is left out
    assert any(_flagged(whole, owners[t], margin, least)
               for t, whole in zip(texts, full, strict=True))
