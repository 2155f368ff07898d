"""How often qfill fills the right answer, how often it holds back, and how good its
suggestions are, side by side with a naive fuzzy baseline.

    python benchmarks/accuracy.py                       # benchmarks/data/labelled-questionnaire.csv
    python benchmarks/accuracy.py --data benchmarks/data/dev_paraphrases.csv --library .
    python benchmarks/accuracy.py --real                # cross-version sets from ../shared
    python benchmarks/accuracy.py --real --sweep        # precision at other fill thresholds
    python benchmarks/accuracy.py --data benchmarks/data/dev_paraphrases.csv --real --fit
                                                        # refit qfill.matching.WEIGHTS
    python benchmarks/accuracy.py --learn-rounds 2      # what a library that learns buys

A labelled questionnaire is a CSV ``question_id,question,section,gold[,kind,also,half]``
where ``gold`` is the id of the library entry that answers the row, or empty when the
library holds no answer for it; ``also`` lists other acceptable ids (``a;b``), ``kind``
names the kind of test (paraphrase, acronym, negation, ...), reported row by row with
``--by-kind``, and ``half`` says whether the row is in the development or the test half.
Row ids are not given to the matcher: the benchmark measures wording.

Every set has a development half (fit and tune on it: ``--fit`` and ``--details`` read
only that half) and a test half that is only measured; both are printed side by side. The
labelled file names each row's half; the other sets are split by a checksum of the row id.
Each half is then judged against the targets (:data:`TARGETS`): on every set, filled rows
at least 99% right and no unanswerable row filled; on the labelled set, the right answer
among the top three suggestions for at least 95% of answerable rows; on a warm set (a
library harvested from an earlier version of the same questionnaire), at least 90% of
answerable rows filled. The run ends with every set and half, and whether each target is
met.

Metrics (rows are question rows of the labelled file):

* precision of filled rows = filled rows whose answer is a gold answer / filled rows
* answerable rows filled = filled rows that have a gold answer / rows that have one
  (a wrong fill of an answerable row counts here and is punished by precision)
* unanswerable rows left unfilled = rows without gold that were not filled / such rows
* top-3 on review rows = answerable rows not filled whose gold is among the first three
  suggestions / answerable rows not filled
* top-3 over all answerable rows = the same over every answerable row

Every set also prints the share of answerable rows whose best suggestion is right (top-1:
no threshold can fill more rows right than that) and the precision/fill curve over fill
thresholds (``--no-curve`` leaves it out), so the trade-off behind the default threshold
is visible. ``--learn-rounds N`` splits the rows in halves N ways; on one half a reviewer
accepts every right top suggestion of a row that was not filled, which is taught as an
alias (as ``qfill apply --learn`` does); the other half is measured before and after.

The baseline is what a spreadsheet macro would do: rapidfuzz ``process.extractOne`` over
every library phrasing on the raw text, filling when the score reaches one threshold
(shown for token_set_ratio and WRatio at a few thresholds).

``--real`` evaluates matching on real published questionnaires kept beside the repo
(``../shared/questionnaires``; skipped when absent). One version of a questionnaire, with
its published answers, serves as the library; a later version, reworded, is the
questionnaire. Ids and refs are stripped, so it is a pure wording test:

* warm: HECVAT 4.1.4 questions against the library ``qfill harvest`` makes from a
  completed HECVAT 3.00 (OpenDSA's answers), built in a temporary folder; gold pairs in
  ``benchmarks/data/gold_hecvat4_hecvat3.csv`` (ids only; labelled by reading both) and
  ``gold_hecvat4_hecvat3_extra.csv`` (pairs that list leaves out, with the reason).
* warm: CAIQ 4.0.3 questions against the library harvested from the same questionnaire
  completed (WhitePact's answers): the round trip.
* AICM-CAIQ 1.1.0 questions against CAIQ 4.0.3 (WhitePact's answers); gold is the CAIQ
  question of the same control (by id or title) that reads most alike, or a question
  elsewhere that reads nearly the same (80%), and any question with the same words in
  another order (95%); rows with a related control but no question reading 55% alike, or
  a question 55-80% alike elsewhere, are left out as uncertain; the rest have no gold.
* CAIQ 4.0.3 and HECVAT 4.1.4 questions against the library given by ``--library`` (the
  repo's own by default) with its refs as the gold and then stripped, and its aliases
  copied from that questionnaire (85% alike) dropped: a library matched cold, the way
  a library meets a questionnaire it was never shown. Refs are not complete, so
  ``gold_refs_extra.csv`` adds answers judged right on reading that the refs omit.

* The library's own aliases as questions, each matched against the library without it
  (``aliases``): paraphrases written by the people who wrote the library.

``benchmarks/data/dev_paraphrases.csv`` is a small development set (65 rows) of customer
wordings of the repo's library. ``--fit`` refits the matcher's confidence weights on the
development halves of the chosen sets.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from qfill.filling import fill_row  # noqa: E402
from qfill.library import Answer, Library, load_library  # noqa: E402
from qfill.matching import Match, Matcher  # noqa: E402
from qfill.questionform import classify_question  # noqa: E402
from qfill.questionnaire import QuestionRow, TargetCell  # noqa: E402
from qfill.settings import Settings, load_settings  # noqa: E402
from qfill.verification import verify_matches  # noqa: E402

DATA = REPO / "benchmarks" / "data"
SHARED = REPO.parent / "shared" / "questionnaires"
TODAY = date(2026, 11, 29)


@dataclass(frozen=True)
class Labelled:
    question_id: str
    question: str
    section: str
    gold: frozenset[str]
    kind: str = ""
    half: str = "dev"  # "dev" (fit and tune on it) or "test" (only measured)


# What each kind of set must reach (see TARGETS): every set fills at least 99% right and
# no unanswerable row; the labelled set has the right answer in the top three for 95% of
# answerable rows; a warm set (a library harvested from an earlier version of the same
# questionnaire) fills 90% of its answerable rows.
SetKind = str  # "labelled" | "warm" | "cold"


@dataclass
class Dataset:
    name: str
    library: Library
    rows: list[Labelled]
    settings: Settings = field(default_factory=Settings)
    kind: SetKind = "cold"


@dataclass(frozen=True)
class Outcome:
    """What one method did with one row: the filled answer (or None) and suggestions."""

    filled: str | None
    top: tuple[str, ...]
    reasons: tuple[str, ...] = ()
    confidence: float = 0.0
    complete: bool | None = None  # filled rows: every cell the row asks for was written
    short: str | None = None  # the Yes/No written into the row's yes/no cell, if any


# --------------------------------------------------------------------------- methods


def run_qfill(dataset: Dataset, *, verify: bool = True,
              matcher: Matcher | None = None) -> list[Outcome]:
    """qfill's decisions for every row; ``matcher`` reuses one built for this library
    (its ``settings`` are set to the dataset's, so thresholds can vary between runs)."""
    if matcher is None:
        matcher = Matcher(dataset.library, dataset.settings)
    else:
        matcher.settings = dataset.settings
    rows = [QuestionRow("Q", i + 2, r.question, None, r.section or None,
                        targets=_cells(r.question, i + 2))
            for i, r in enumerate(dataset.rows)]
    matches: list[Match] = matcher.match(rows)
    if verify:
        matches = verify_matches(matches, dataset.library, today=TODAY)
    answers = dataset.library.by_id()
    outcomes: list[Outcome] = []
    for m in matches:
        filled = m.best.answer_id if m.status == "filled" and m.best else None
        complete = short = None
        if filled is not None:
            written = {w.ref: w.value for w in fill_row(m.row, answers[filled],
                                                        root=dataset.library.root).writes}
            complete = all(t.ref in written for t in m.row.targets)
            short = written.get(f"C{m.row.row}")
        outcomes.append(Outcome(filled, tuple(c.answer_id for c in m.candidates[:3]),
                                tuple(str(r) for r in m.reasons), m.confidence, complete,
                                short))
    return outcomes


def _cells(question: str, row: int) -> tuple[TargetCell, ...]:
    """The cells a questionnaire gives a row: a Yes/No list and a comment for a yes/no
    question (as CAIQ and HECVAT do), a comment alone for anything else."""
    answer = TargetCell("answer", f"D{row}")
    if classify_question(question).kind == "yes-no":
        return (TargetCell("short", f"C{row}", choices=("Yes", "No", "N/A")), answer)
    return (answer,)


def run_baseline(dataset: Dataset, scorer_name: str, threshold: float) -> list[Outcome]:
    from rapidfuzz import fuzz, process, utils

    scorer = getattr(fuzz, scorer_name)
    texts: list[str] = []
    owners: list[str] = []
    for answer in dataset.library.answers:
        for text in answer.phrasings:
            texts.append(text)
            owners.append(answer.id)
    outcomes: list[Outcome] = []
    for row in dataset.rows:
        found = process.extract(row.question, texts, scorer=scorer,
                                processor=utils.default_process, limit=12)
        top: list[str] = []
        for _, _, index in found:
            if owners[index] not in top:
                top.append(owners[index])
        best = found[0] if found else None
        filled = owners[best[2]] if best and best[1] >= threshold else None
        outcomes.append(Outcome(filled, tuple(top[:3]), (), best[1] / 100 if best else 0.0))
    return outcomes


# --------------------------------------------------------------------------- metrics


def metrics(rows: Sequence[Labelled], outcomes: Sequence[Outcome],
            library: Library | None = None) -> dict[str, float | str]:
    filled = [(r, o) for r, o in zip(rows, outcomes, strict=True) if o.filled]
    correct = sum(1 for r, o in filled if o.filled in r.gold)
    answerable = [(r, o) for r, o in zip(rows, outcomes, strict=True) if r.gold]
    unanswerable = [(r, o) for r, o in zip(rows, outcomes, strict=True) if not r.gold]
    review = [(r, o) for r, o in answerable if not o.filled]
    top3_review = sum(1 for r, o in review if r.gold & set(o.top))
    top3_all = sum(1 for r, o in answerable if r.gold & set(o.top))
    top1 = sum(1 for r, o in answerable if o.top and o.top[0] in r.gold)
    return {
        "precision of filled rows": _share(correct, len(filled)),
        "answerable rows filled": _share(sum(1 for _, o in answerable if o.filled),
                                         len(answerable)),
        "unanswerable rows left unfilled": _share(
            sum(1 for _, o in unanswerable if not o.filled), len(unanswerable)),
        "top-3 on review rows": _share(top3_review, len(review)),
        "top-3 over answerable rows": _share(top3_all, len(answerable)),
        "top-1 over answerable rows": _share(top1, len(answerable)),
        "filled (right/all)": f"{correct}/{len(filled)}",
        "filled rows complete": _share(
            sum(1 for _, o in filled if o.complete),
            sum(1 for _, o in filled if o.complete is not None)),
        "Yes/No agrees with gold": _yes_no_agreement(filled, library),
    }


def _yes_no_agreement(filled: Sequence[tuple[Labelled, Outcome]],
                      library: Library | None) -> float | str:
    """Of the filled rows whose Yes/No was written and whose gold entries state one, the
    share where the written Yes/No is a gold entry's (a wrong entry may still say the
    right Yes/No; a right entry always does)."""
    if library is None:
        return "-"
    shorts = {a.id: a.short for a in library.answers}
    judged = [(o.short, {shorts.get(g) for g in r.gold} - {None}) for r, o in filled
              if o.short is not None]
    judged = [(said, gold) for said, gold in judged if gold]
    return _share(sum(1 for said, gold in judged if said in gold), len(judged))


def _share(part: int, whole: int) -> float | str:
    return part / whole if whole else "-"


def _cell(value: float | str) -> str:
    return f"{value * 100:5.1f}%" if isinstance(value, float) else str(value)


@dataclass(frozen=True)
class Target:
    """One target: a metric, the bound it must reach, and the kinds of set it applies to."""

    name: str
    kinds: tuple[SetKind, ...]
    met: Callable[[Sequence[Labelled], Sequence[Outcome]], tuple[bool, str]]


def _precision_target(rows: Sequence[Labelled], outcomes: Sequence[Outcome]
                      ) -> tuple[bool, str]:
    filled = [(r, o) for r, o in zip(rows, outcomes, strict=True) if o.filled]
    right = sum(1 for r, o in filled if o.filled in r.gold)
    return (not filled or right >= 0.99 * len(filled)), f"{right}/{len(filled)}"


def _unanswerable_target(rows: Sequence[Labelled], outcomes: Sequence[Outcome]
                         ) -> tuple[bool, str]:
    wrong = sum(1 for r, o in zip(rows, outcomes, strict=True) if not r.gold and o.filled)
    return wrong == 0, f"{wrong} filled"


def _top3_target(rows: Sequence[Labelled], outcomes: Sequence[Outcome]) -> tuple[bool, str]:
    answerable = [(r, o) for r, o in zip(rows, outcomes, strict=True) if r.gold]
    top = sum(1 for r, o in answerable if r.gold & set(o.top))
    return top >= 0.95 * len(answerable), f"{top}/{len(answerable)}"


def _warm_fill_target(rows: Sequence[Labelled], outcomes: Sequence[Outcome]
                      ) -> tuple[bool, str]:
    answerable = [(r, o) for r, o in zip(rows, outcomes, strict=True) if r.gold]
    filled = sum(1 for _, o in answerable if o.filled)
    return filled >= 0.90 * len(answerable), f"{filled}/{len(answerable)}"


TARGETS: tuple[Target, ...] = (
    Target("fills >= 99% right", ("labelled", "warm", "cold"), _precision_target),
    Target("no unanswerable row filled", ("labelled", "warm", "cold"), _unanswerable_target),
    Target("right answer in top 3 >= 95%", ("labelled",), _top3_target),
    Target("answerable rows filled >= 90%", ("warm",), _warm_fill_target),
)


def halves(rows: Sequence[Labelled]) -> list[Labelled]:
    """The rows with a development and a test half, by a checksum of each row's id (or
    question): fixed whatever the labels say or the order the rows come in."""
    import zlib

    return [replace(row, half="dev" if zlib.crc32(
        (row.question_id or row.question).encode("utf-8")) % 2 == 0 else "test")
            for row in rows]


def _half(rows: Sequence[Labelled], outcomes: Sequence[Outcome], half: str
          ) -> tuple[list[Labelled], list[Outcome]]:
    pairs = [(r, o) for r, o in zip(rows, outcomes, strict=True) if r.half == half]
    return [r for r, _ in pairs], [o for _, o in pairs]


@dataclass
class Verdict:
    """Whether one half of one set meets each target that applies to it."""

    dataset: str
    half: str
    figures: dict[str, float | str]
    met: list[tuple[str, bool, str]]


VERDICTS: list[Verdict] = []


def report(dataset: Dataset, *, thresholds: Sequence[float], details: str | None,
           scorers: Sequence[str] = ("token_set_ratio",), by_kind: bool = False) -> None:
    rows = dataset.rows
    answerable = sum(1 for r in rows if r.gold)
    dev = sum(1 for r in rows if r.half == "dev")
    print(f"\n== {dataset.name}: {len(rows)} rows ({answerable} answerable, "
          f"{len(rows) - answerable} unanswerable; development half {dev}, test half "
          f"{len(rows) - dev}); library of {len(dataset.library)} entries")
    started = time.perf_counter()
    ours = run_qfill(dataset)
    elapsed = time.perf_counter() - started
    columns: list[tuple[str, Sequence[Labelled], list[Outcome]]] = []
    for half in ("dev", "test"):
        half_rows, half_outcomes = _half(rows, ours, half)
        columns.append((f"qfill {half}", half_rows, half_outcomes))
    for scorer in scorers:
        short = {"token_set_ratio": "tset", "WRatio": "wratio"}.get(scorer, scorer)
        for threshold in thresholds:
            columns.append((f"{short}>={threshold:g} (all)", rows,
                            run_baseline(dataset, scorer, threshold)))
    names = list(metrics(rows, ours))
    table = [[name] + [_cell(metrics(r, outcomes, dataset.library)[name])
                       for _, r, outcomes in columns]
             for name in names]
    header = ["metric"] + [title for title, _, _ in columns]
    widths = [max(len(str(line[i])) for line in [header, *table]) for i in range(len(header))]
    for line in [header, *table]:
        print("  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                        for i, (c, w) in enumerate(zip(line, widths, strict=True))))
    print(f"(qfill matched {len(rows)} rows in {elapsed:.2f} s; baselines: rapidfuzz "
          f"{', '.join(scorers)} on raw text, one threshold each)")
    for half in ("dev", "test"):
        half_rows, half_outcomes = _half(rows, ours, half)
        met = [(t.name, *t.met(half_rows, half_outcomes)) for t in TARGETS
               if dataset.kind in t.kinds]
        VERDICTS.append(Verdict(dataset.name, half,
                                metrics(half_rows, half_outcomes, dataset.library), met))
        print(f"  targets, {half:4s}: " + "; ".join(
            f"{name} {'MET' if ok else 'NOT MET'} ({figure})" for name, ok, figure in met))
    if by_kind:
        kinds = sorted({r.kind for r in rows if r.kind})
        for kind in kinds:
            pairs = [(r, o) for r, o in zip(rows, ours, strict=True) if r.kind == kind]
            m = metrics([r for r, _ in pairs], [o for _, o in pairs])
            print(f"  {kind:18s} rows {len(pairs):3d}  precision "
                  f"{_cell(m['precision of filled rows'])}  filled "
                  f"{_cell(m['answerable rows filled'])}  unanswerable kept "
                  f"{_cell(m['unanswerable rows left unfilled'])}  top-3 "
                  f"{_cell(m['top-3 over answerable rows'])}")
    if details:
        show_details(dataset, ours, details)


def show_details(dataset: Dataset, outcomes: Sequence[Outcome], half: str = "dev") -> None:
    """The rows of one half that went wrong: wrong fills, answerable rows whose right
    answer is not in the top three, and rows held back although the top answer is right.
    Only the development half is shown unless asked: the test half is for measuring."""
    pairs = [(r, o) for r, o in zip(dataset.rows, outcomes, strict=True) if r.half == half]
    print(f"  -- {half} half, rows that went wrong")
    for row, o in pairs:
        if o.filled and o.filled not in row.gold:
            print(f"  WRONG FILL {row.question_id}: {row.question[:90]!r} -> {o.filled} "
                  f"({o.confidence:.2f}); gold {sorted(row.gold) or '-'}")
    for row, o in pairs:
        if row.gold and not o.filled and not row.gold & set(o.top):
            print(f"  MISSED {row.question_id}: {row.question[:90]!r} gold "
                  f"{sorted(row.gold)} top {list(o.top)} {[str(r) for r in o.reasons[:1]]}")
    for row, o in pairs:
        if row.gold and not o.filled and o.top and o.top[0] in row.gold:
            print(f"  HELD {row.question_id}: {row.question[:90]!r} -> {o.top[0]} "
                  f"({o.confidence:.2f}) {[str(r) for r in o.reasons[:2]]}")


CURVE = (0.50, 0.60, 0.70, 0.75, 0.80, 0.85, 0.90, 0.95)


def curve(dataset: Dataset) -> None:
    """Top-1 accuracy, and precision against fill over fill thresholds: how much filling
    the matcher's ranking allows at a given precision. A row can only be filled right
    when its best suggestion is right, so top-1 accuracy bounds the fill rate; the
    confidence decides how much of that can be filled before precision drops."""
    matcher = Matcher(dataset.library, dataset.settings)
    rows = dataset.rows
    outcomes = run_qfill(dataset, matcher=matcher)
    answerable = [(r, o) for r, o in zip(rows, outcomes, strict=True) if r.gold]
    top1 = sum(1 for r, o in answerable if o.top and o.top[0] in r.gold)
    print(f"  top-1 right on answerable rows: {_cell(_share(top1, len(answerable)))} "
          f"({top1}/{len(answerable)}): the ceiling of the fill rate at 100% precision")
    cells = []
    for threshold in CURVE:
        settings = dataset.settings.with_matching(fill_threshold=threshold)
        m = metrics(rows, run_qfill(replace(dataset, settings=settings), matcher=matcher))
        cells.append((f"{threshold:.2f}", _cell(m["precision of filled rows"]),
                      _cell(m["answerable rows filled"]),
                      _cell(m["unanswerable rows left unfilled"])))
    print("  curve  fill>=  " + "  ".join(c[0].rjust(6) for c in cells))
    for n, title in ((1, "precision"), (2, "filled   "), (3, "unans.kept")):
        print(f"  {title:14s}" + "  ".join(c[n].rjust(6) for c in cells))
    matcher.settings = dataset.settings


def learn_rounds(dataset: Dataset, rounds: int) -> None:
    """What a library that learns buys: split the rows in two halves; on one half a
    reviewer accepts the top suggestion of every answerable row that was not filled and
    whose top suggestion is right, which (as ``qfill apply --learn`` does) adds the row's
    question as an alias of that entry; the other half is then matched against the
    library with those aliases, and the halves swap. Each round splits the rows
    differently (a seeded shuffle)."""
    import random

    print(f"\n-- learning: {dataset.name} ({rounds} round(s), both halves each)")
    totals: dict[str, list[Outcome]] = {"before": [], "after": []}
    judged: list[Labelled] = []
    taught = 0
    for round_ in range(rounds):
        order = list(range(len(dataset.rows)))
        random.Random(round_).shuffle(order)
        halves = (sorted(order[::2]), sorted(order[1::2]))
        for teach, test in (halves, halves[::-1]):
            teach_rows = [dataset.rows[i] for i in teach]
            test_rows = [dataset.rows[i] for i in test]
            seen = run_qfill(replace(dataset, rows=teach_rows))
            learned: dict[str, list[str]] = {}
            for row, o in zip(teach_rows, seen, strict=True):
                if row.gold and not o.filled and o.top and o.top[0] in row.gold:
                    learned.setdefault(o.top[0], []).append(row.question)
            taught += sum(map(len, learned.values()))
            answers = tuple(replace(a, aliases=(*a.aliases, *learned.get(a.id, ())))
                            for a in dataset.library.answers)
            taught_library = replace(dataset.library, answers=answers)
            totals["before"].extend(run_qfill(replace(dataset, rows=test_rows)))
            totals["after"].extend(run_qfill(replace(dataset, rows=test_rows,
                                                     library=taught_library)))
            judged.extend(test_rows)
    print(f"  {taught} accepted suggestions taught as aliases over {rounds * 2} halves")
    for when, outcomes in totals.items():
        m = metrics(judged, outcomes)
        print(f"  {when:6s} precision {_cell(m['precision of filled rows'])}  filled "
              f"{_cell(m['answerable rows filled'])}  unanswerable kept "
              f"{_cell(m['unanswerable rows left unfilled'])}  top-3 "
              f"{_cell(m['top-3 over answerable rows'])}  ({m['filled (right/all)']})")


def sweep(dataset: Dataset) -> None:
    """Precision and fill rate at other fill thresholds (margin as configured)."""
    print(f"\n-- sweep: {dataset.name}")
    for threshold in (0.70, 0.74, 0.78, 0.82, 0.86, 0.90, 0.94):
        settings = dataset.settings.with_matching(fill_threshold=threshold)
        m = metrics(dataset.rows, run_qfill(replace(dataset, settings=settings)))
        print(f"  fill>={threshold:.2f}: precision {_cell(m['precision of filled rows'])}  "
              f"filled {_cell(m['answerable rows filled'])}  "
              f"unanswerable kept {_cell(m['unanswerable rows left unfilled'])}  "
              f"({m['filled (right/all)']})")


# --------------------------------------------------------------------------- fitting


def fit(datasets: Sequence[Dataset], *, per_row: int = 5, ridge: float = 1e-3) -> list[float]:
    """Fit the matcher's logistic weights (``qfill.matching.WEIGHTS``) by Newton's method.

    Each shortlisted candidate of each row is one sample, labelled right when it is a
    gold answer; every dataset weighs the same in total, whatever its size.
    """
    from qfill.matching import FEATURES

    xs: list[list[float]] = []
    ys: list[float] = []
    ws: list[float] = []
    for dataset in datasets:
        matcher = Matcher(dataset.library, dataset.settings)
        samples = 0
        start = len(xs)
        for row in dataset.rows:
            for scored in matcher.score(row.question, row.section or None)[:per_row]:
                xs.append([1.0, *scored.values])
                ys.append(1.0 if matcher.library.answers[scored.entry].id in row.gold else 0.0)
                samples += 1
        ws.extend([1.0 / max(samples, 1)] * (len(xs) - start))
    size = len(xs[0]) if xs else len(FEATURES) + 1  # bias + FEATURES or SEMANTIC_FEATURES
    beta = [0.0] * size
    for _ in range(30):
        grad = [0.0] * size
        hess = [[0.0] * size for _ in range(size)]
        for x, y, w in zip(xs, ys, ws, strict=True):
            z = sum(b * v for b, v in zip(beta, x, strict=True))
            p = 1.0 / (1.0 + _exp(-z))
            for i in range(size):
                grad[i] += w * (y - p) * x[i]
                for k in range(i + 1):
                    hess[i][k] += w * p * (1.0 - p) * x[i] * x[k]
        for i in range(size):
            grad[i] -= ridge * beta[i]
            hess[i][i] += ridge
            for k in range(i):
                hess[k][i] = hess[i][k]
        step = _solve(hess, grad)
        beta = [b + d for b, d in zip(beta, step, strict=True)]
        if max(abs(d) for d in step) < 1e-6:
            break
    return beta


def _exp(z: float) -> float:
    import math

    return math.exp(max(min(z, 60.0), -60.0))


def _solve(matrix: list[list[float]], vector: list[float]) -> list[float]:
    """Gaussian elimination with partial pivoting (the system is small and symmetric)."""
    n = len(vector)
    a = [[*row, vector[i]] for i, row in enumerate(matrix)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(a[r][col]))
        a[col], a[pivot] = a[pivot], a[col]
        for r in range(col + 1, n):
            factor = a[r][col] / a[col][col]
            for c in range(col, n + 1):
                a[r][c] -= factor * a[col][c]
    result = [0.0] * n
    for r in range(n - 1, -1, -1):
        result[r] = (a[r][n] - sum(a[r][c] * result[c] for c in range(r + 1, n))) / a[r][r]
    return result


# --------------------------------------------------------------------------- datasets


def read_labelled(path: Path) -> list[Labelled]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {"question", "gold"} - set(reader.fieldnames or ())
        if missing:
            raise SystemExit(f"{path}: needs columns question_id,question,section,gold")
        rows = [Labelled(r.get("question_id") or "", r["question"], r.get("section") or "",
                         frozenset(g.strip() for g in
                                   re.split(r"[|;]", f"{r['gold'] or ''};{r.get('also') or ''}")
                                   if g.strip()), r.get("kind") or "", r.get("half") or "")
                for r in reader if (r.get("question") or "").strip()]
    # A file without a ``half`` column is split here, the way real sets are.
    return rows if all(r.half in ("dev", "test") for r in rows) else halves(rows)


def labelled_dataset(path: Path, library_root: Path) -> Dataset:
    library = load_library(library_root)
    known = {a.id for a in library.answers}
    rows = read_labelled(path)
    unknown = sorted({g for r in rows for g in r.gold} - known)
    if unknown:
        print(f"warning: gold ids not in the library: {', '.join(unknown[:10])}")
    return Dataset(path.stem.replace("-", " ").replace("_", " "), library, rows,
                   load_settings(library_root),
                   kind="labelled")


def _short(text: str) -> str | None:
    word = text.strip().lower()
    return {"yes": "Yes", "no": "No", "na": "N/A", "n/a": "N/A"}.get(word)


def _entry_id(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")


def harvested(path: Path) -> tuple[Library, dict[str, set[str]]]:
    """The library ``qfill harvest`` makes from one completed questionnaire, built in a
    temporary folder (the questionnaire's answers are never copied into the repository),
    with its refs stripped so that matching is by wording; and, for the gold, which
    entries each of the questionnaire's ids went into (row id -> entry ids)."""
    import tempfile

    from qfill.harvest.harvesting import plan_harvest, write_harvest

    with tempfile.TemporaryDirectory(prefix="qfill-warm-") as folder:
        root = Path(folder)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            write_harvest(plan_harvest([path], root=root, settings=Settings()))
        library = load_library(root)
    entries: dict[str, set[str]] = {}
    for answer in library.answers:
        for ref in answer.all_refs():
            entries.setdefault(_ref(ref), set()).add(answer.id)
    stripped = tuple(replace(a, refs={}) for a in library.answers)
    return replace(library, answers=stripped), entries


def hecvat_dataset() -> Dataset:
    """Warm: HECVAT 4.1.4's questions against the library harvested (``qfill harvest``)
    from a completed HECVAT 3.00 (OpenDSA's answers). Gold pairs in
    ``gold_hecvat4_hecvat3.csv`` and ``gold_hecvat4_hecvat3_extra.csv``; a row whose
    HECVAT 3 counterpart gave no entry (left unanswered, or dropped by harvest) has no
    answer in the library."""
    folder = SHARED / "hecvat"
    library, entries = harvested(folder / "HECVAT3_OpenDSA_20220830.xlsx")
    with (folder / "hecvat_v4.1.4_questions.csv").open(encoding="utf-8") as f:
        v4 = list(csv.DictReader(f))
    gold: dict[str, list[str]] = {}
    for name in ("gold_hecvat4_hecvat3.csv", "gold_hecvat4_hecvat3_extra.csv"):
        with (DATA / name).open(encoding="utf-8") as f:
            for pair in csv.DictReader(f):
                found = gold.setdefault(pair["hecvat4_id"], [])
                if pair["hecvat3_id"]:
                    found.append(pair["hecvat3_id"])
    rows = [Labelled(r["id"], r["question"], r["section"],
                     frozenset(e for i in gold[r["id"]] for e in entries.get(_ref(i), ())))
            for r in v4 if r["id"] in gold]
    return Dataset("warm HECVAT 3 -> 4.1.4", library, halves(rows), kind="warm")


def caiq_round_trip_dataset() -> Dataset:
    """Warm: CAIQ 4.0.3's questions against the library harvested from the same
    questionnaire completed (WhitePact's answers), ids stripped: the round trip a team
    makes when the next customer sends the CAIQ they answered before. Many CAIQ
    questions differ from another by a word or two, which is what this set tests."""
    folder = SHARED / "csa-caiq"
    library, entries = harvested(folder / "CAIQv4.0.3_WhitePact_completed.xlsx")
    with (folder / "caiq_v4.0.3_questions.csv").open(encoding="utf-8") as f:
        caiq = list(csv.DictReader(f))
    rows = [Labelled(r["id"], r["question"], r["section"],
                     frozenset(entries.get(_ref(r["id"]), ()))) for r in caiq]
    return Dataset("warm CAIQ 4.0.3 round trip", library, halves(rows), kind="warm")


def caiq_dataset() -> Dataset:
    from rapidfuzz import fuzz, utils

    folder = SHARED / "csa-caiq"
    with (folder / "caiq_v4.0.3_questions.csv").open(encoding="utf-8") as f:
        caiq = list(csv.DictReader(f))
    with (folder / "aicm-caiq_v1.1.0_questions.csv").open(encoding="utf-8") as f:
        aicm = list(csv.DictReader(f))
    filled = _whitepact_answers(folder / "CAIQv4.0.3_WhitePact_completed.xlsx")
    answers = []
    for r in caiq:
        short, text = filled.get(int(r["xlsx_row"]), (None, ""))
        answers.append(Answer(id=_entry_id(r["id"]), question=r["question"],
                              answer=text or short or "(not answered)", short=_short(short or ""),
                              tags=(r["section"],)))
    def norm(text: str) -> str:
        return utils.default_process(text)

    def control(question_id: str) -> str:
        return question_id.split(".")[0].replace("I&S-", "IVS-")

    rows = []
    for r in aicm:
        text = norm(r["question"])
        title = norm(r["aicm_control_title"])
        related = [c for c in caiq if control(c["id"]) == control(r["id"])
                   or fuzz.ratio(norm(c["ccm_control_title"]), title) >= 85]
        alike = {c["id"]: fuzz.ratio(norm(c["question"]), text) for c in caiq}
        overall = max(caiq, key=lambda c: alike[c["id"]])
        best = max(related, key=lambda c: alike[c["id"]]) if related else None
        gold: frozenset[str] = frozenset()
        if best is not None and alike[best["id"]] >= 55:
            gold = frozenset({_entry_id(best["id"])})
        elif alike[overall["id"]] >= 80:
            gold = frozenset({_entry_id(overall["id"])})
        elif related or alike[overall["id"]] >= 55:
            continue  # uncertain: left out rather than guessed
        # A CAIQ question with the same words (95% alike in any order) answers it too,
        # whatever the control: AICM renumbers controls and reorders their questions.
        gold |= {_entry_id(c["id"]) for c in caiq
                 if fuzz.token_sort_ratio(norm(c["question"]), text) >= 95}
        rows.append(Labelled(r["id"], r["question"], r["section"], gold))
    return Dataset("cold AICM-CAIQ 1.1.0 vs CAIQ 4.0.3 answers",
                   Library(folder, tuple(answers)), halves(rows))


def _whitepact_answers(path: Path) -> dict[int, tuple[str | None, str]]:
    import openpyxl

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = book["CAIQv4.0.3"]
        result: dict[int, tuple[str | None, str]] = {}
        for number, row in enumerate(sheet.iter_rows(min_row=1, max_col=5, values_only=True),
                                     start=1):
            short, text = row[2], row[4]
            result[number] = (str(short) if short else None, str(text or ""))
        return result
    finally:
        book.close()


def refs_dataset(scheme: str, library_root: Path) -> Dataset | None:
    """A real questionnaire against a library whose ``refs`` name its rows: the refs are
    the gold, then stripped; aliases copied from this questionnaire are dropped too, so
    the library has to be matched cold, as a library never shown the questionnaire.
    ``gold_refs_extra.csv`` adds answers judged right on reading that the refs omit."""
    from rapidfuzz import fuzz, utils

    source = {"caiq": SHARED / "csa-caiq" / "caiq_v4.0.3_questions.csv",
              "hecvat": SHARED / "hecvat" / "hecvat_v4.1.4_questions.csv"}[scheme]
    if not (library_root / "answers").is_dir():
        return None
    library = load_library(library_root)
    with source.open(encoding="utf-8") as f:
        questions = list(csv.DictReader(f))
    texts = [utils.default_process(q["question"]) for q in questions]
    gold: dict[str, set[str]] = {}
    answers = []
    dropped = 0
    for answer in library.answers:
        for ref in answer.refs.get(scheme, ()):
            gold.setdefault(_ref(ref), set()).add(answer.id)
        aliases = tuple(a for a in answer.aliases if max(
            fuzz.token_sort_ratio(utils.default_process(a), t) for t in texts) < 85)
        dropped += len(answer.aliases) - len(aliases)
        answers.append(replace(answer, refs={}, aliases=aliases))
    extra = DATA / "gold_refs_extra.csv"
    if extra.is_file():
        with extra.open(encoding="utf-8") as f:
            for item in csv.DictReader(f):
                if item["scheme"] == scheme and item["answer_id"] in library.by_id():
                    gold.setdefault(_ref(item["question_id"]), set()).add(item["answer_id"])
    rows = [Labelled(q["id"], q["question"], q["section"],
                     frozenset(gold.get(_ref(q["id"]), ()))) for q in questions]
    name = f"cold {_TITLES[scheme]} vs the library, refs stripped"
    if dropped:
        print(f"({name}: {dropped} aliases copied from the questionnaire dropped)")
    return Dataset(name, replace(library, answers=tuple(answers)), halves(rows),
                   load_settings(library_root))


def alias_datasets(library_root: Path, folds: int = 3) -> list[Dataset]:
    """The library's own aliases as questions, each matched against the library without
    it (in ``folds`` rounds): paraphrases written by the library's authors."""
    if not (library_root / "answers").is_dir():
        return []
    library = load_library(library_root)
    settings = load_settings(library_root)
    held: list[list[tuple[str, str]]] = [[] for _ in range(folds)]
    n = 0
    for answer in library.answers:
        for alias in answer.aliases:
            held[n % folds].append((answer.id, alias))
            n += 1
    result = []
    for fold, pairs in enumerate(held):
        out = {(i, a) for i, a in pairs}
        answers = tuple(replace(a, refs={}, aliases=tuple(x for x in a.aliases
                                                          if (a.id, x) not in out))
                        for a in library.answers)
        rows = halves([Labelled(f"{i}#{k}", a, "", frozenset({i}))
                       for k, (i, a) in enumerate(pairs)])
        result.append(Dataset(f"aliases held out, round {fold + 1} of {folds}",
                              replace(library, answers=answers), rows, settings))
    return result


def _ref(ref: str) -> str:
    return "".join(ref.split()).upper()


DATASETS: dict[str, Callable[[], Dataset]] = {
    "hecvat": hecvat_dataset, "caiq-round-trip": caiq_round_trip_dataset,
    "caiq": caiq_dataset}
REFS_SCHEMES = ("caiq", "hecvat")
_TITLES = {"caiq": "CAIQ 4.0.3", "hecvat": "HECVAT 4.1.4"}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA / "labelled-questionnaire.csv",
                        help="labelled questionnaire CSV (question_id,question,section,gold)")
    parser.add_argument("--library", type=Path, default=REPO, help="library root")
    parser.add_argument("--real", action="store_true",
                        help="also run the cross-version sets from ../shared/questionnaires")
    parser.add_argument("--only", choices=[*sorted(DATASETS), "aliases",
                                           *(f"refs-{s}" for s in REFS_SCHEMES)],
                        action="append",
                        help="with --real: run only these sets")
    parser.add_argument("--thresholds", default="85,90,95",
                        help="baseline fill thresholds (0-100), comma separated")
    parser.add_argument("--scorers", default="token_set_ratio,WRatio",
                        help="baseline rapidfuzz scorers, comma separated")
    parser.add_argument("--details", nargs="?", const="dev", choices=("dev", "test"),
                        help="list wrong fills, misses and held rows of the development "
                        "half (or, --details test, of the test half: look, do not tune)")
    parser.add_argument("--by-kind", action="store_true",
                        help="qfill's metrics for each kind of row (labelled file's 'kind')")
    parser.add_argument("--sweep", action="store_true", help="precision at other thresholds")
    parser.add_argument("--no-curve", action="store_true",
                        help="leave out the top-1 accuracy and precision/fill curve")
    parser.add_argument("--learn-rounds", type=int, default=0, metavar="N",
                        help="also simulate a library that learns: N splits of the rows, "
                        "aliases taught from accepted suggestions on one half, measured on "
                        "the other")
    parser.add_argument("--fit", action="store_true",
                        help="fit the matcher's confidence weights on the chosen sets and "
                        "print them (paste into qfill/matching.py WEIGHTS, or "
                        "SEMANTIC_WEIGHTS with --semantic)")
    parser.add_argument("--semantic", action="store_true",
                        help="rank by meaning too (matching.semantic; needs the semantic "
                        "extra)")
    args = parser.parse_args(argv)
    thresholds = [float(t) for t in args.thresholds.split(",") if t.strip()]
    datasets: list[Dataset] = []
    if args.data.is_file():
        datasets.append(labelled_dataset(args.data, args.library))
    elif not args.real:
        print(f"{args.data}: not found; pass --data FILE or --real")
        return 2
    if args.real:
        if SHARED.is_dir():
            chosen = args.only or [*sorted(DATASETS), *(f"refs-{s}" for s in REFS_SCHEMES),
                                   "aliases"]
            for name in chosen:
                if name == "aliases":
                    datasets.extend(alias_datasets(args.library))
                elif name.startswith("refs-"):
                    found = refs_dataset(name[5:], args.library)
                    if found is not None:
                        datasets.append(found)
                else:
                    datasets.append(DATASETS[name]())
        else:
            print(f"{SHARED}: not present; skipping the cross-version sets")
    if args.semantic:
        for dataset in datasets:
            dataset.settings = dataset.settings.with_matching(semantic=True)
    if args.fit:
        # Fitted on the development halves only: the test halves stay unseen.
        beta = fit([replace(d, rows=[r for r in d.rows if r.half == "dev"]) for d in datasets])
        name = "SEMANTIC_WEIGHTS" if args.semantic else "WEIGHTS"
        print(f"{name} = (" + ", ".join(f"{b:.3f}" for b in beta) + ")")
        return 0
    for dataset in datasets:
        report(dataset, thresholds=thresholds, details=args.details,
               scorers=[s.strip() for s in args.scorers.split(",") if s.strip()],
               by_kind=args.by_kind)
        if not args.no_curve:
            curve(dataset)
        if args.sweep:
            sweep(dataset)
        if args.learn_rounds > 0:
            learn_rounds(dataset, args.learn_rounds)
    summary(semantic=args.semantic)
    return 0


def summary(*, semantic: bool) -> None:
    """Every set and half: the headline figures and whether each target is met."""
    if not VERDICTS:
        return
    print(f"\n== targets ({'wording and meaning, --semantic' if semantic else 'wording'})")
    for target in TARGETS:
        print(f"  {target.name}: {', '.join(target.kinds)} sets")
    width = max(len(v.dataset) for v in VERDICTS)
    for v in VERDICTS:
        f = v.figures
        verdict = "all met" if all(ok for _, ok, _ in v.met) else "NOT MET: " + ", ".join(
            name for name, ok, _ in v.met if not ok)
        print(f"  {v.dataset[:width].ljust(width)}  {v.half:4s}  right {f['filled (right/all)']:>7}"
              f"  filled {_cell(f['answerable rows filled'])}  top-3 "
              f"{_cell(f['top-3 over answerable rows'])}  unanswerable kept "
              f"{_cell(f['unanswerable rows left unfilled'])}  complete "
              f"{_cell(f['filled rows complete'])}  Yes/No agrees "
              f"{_cell(f['Yes/No agrees with gold'])}  {verdict}")


if __name__ == "__main__":
    raise SystemExit(main())
