"""Does the evidence index put the passage that answers a question in its top three?

    python benchmarks/evidence_passages.py               # wording only
    python benchmarks/evidence_passages.py --semantic    # wording and meaning
    python benchmarks/evidence_passages.py --misses      # list the questions it misses
    python benchmarks/evidence_passages.py --scale 20    # index time, cold and from the cache,
                                                         # for the evidence copied 20 times

``benchmarks/data/evidence-questions.csv`` holds questions written for this benchmark in
questionnaire style, each labelled with the sample library's passage that answers it (a
document path and a piece of the passage's text; ``also`` names another acceptable
passage as ``path#text``). Rows are split into a development half (tune on it) and a test
half (only measured); both are reported. Evidence is indexed as of a fixed date so the
result does not change as documents expire.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qfill.drafts import quote_draft  # noqa: E402
from qfill.evidence_index import build_evidence_index, evidence_validity  # noqa: E402
from qfill.library import load_library  # noqa: E402
from qfill.passage_ranking import PassageRanker  # noqa: E402
from qfill.settings import load_settings  # noqa: E402

DATA = ROOT / "benchmarks" / "data" / "evidence-questions.csv"
AS_OF = date(2026, 12, 5)


@dataclass(frozen=True)
class Labelled:
    question: str
    answers: tuple[tuple[str, str], ...]  # (path, piece of the passage text)
    split: str


def read_set(path: Path) -> list[Labelled]:
    rows = []
    with path.open(encoding="utf-8", newline="") as handle:
        for record in csv.DictReader(handle):
            answers = [(record["path"], record["passage"])]
            for extra in filter(None, (record.get("also") or "").split("|")):
                where, _, text = extra.strip().partition("#")
                answers.append((where, text))
            rows.append(Labelled(record["question"], tuple(answers), record["split"]))
    return rows


def time_index(library: Path, copies: int) -> None:
    """Index ``copies`` copies of the evidence with an empty cache, again from the cache,
    and again after one document changed."""
    import shutil
    import tempfile

    from qfill.evidence_index import DocumentCache

    with tempfile.TemporaryDirectory() as temp:
        root = Path(temp) / "library"
        for n in range(copies):
            shutil.copytree(library / "evidence", root / "evidence" / f"copy{n}")
        cache = DocumentCache(Path(temp) / "cache.sqlite3")
        timings = []
        for step in ("cold", "cached", "one changed"):
            if step == "one changed":
                changed = next((root / "evidence").rglob("*.md"))
                changed.write_text(changed.read_text() + "\nA new line.\n")
            started = time.perf_counter()
            index = build_evidence_index(root, today=AS_OF, cache=cache)
            timings.append(f"{step} {time.perf_counter() - started:.2f} s")
        started = time.perf_counter()
        ranker = PassageRanker(index)
        built = time.perf_counter() - started
        questions = [row.question for row in read_set(DATA)]
        started = time.perf_counter()
        for question in questions:
            ranker.rank(question, 3)
        ranked = time.perf_counter() - started
        print(f"index of {len(index.documents)} documents, {len(index.passages)} passages: "
              + ", ".join(timings) + f"; ranker built in {built:.2f} s, {len(questions)} "
              f"questions ranked in {ranked:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--library", type=Path, default=ROOT)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--semantic", action="store_true")
    parser.add_argument("--misses", action="store_true")
    parser.add_argument("--scale", type=int, default=0,
                        help="time indexing the evidence copied this many times, then stop")
    args = parser.parse_args()
    if args.scale:
        time_index(args.library, args.scale)
        return
    library = load_library(args.library)
    settings = load_settings(args.library)
    started = time.perf_counter()
    index = build_evidence_index(args.library, today=AS_OF, validity=evidence_validity(
        library, settings.evidence.valid_until))
    encoder = None
    if args.semantic:
        from qfill.semantic import load_encoder

        encoder = load_encoder()
    ranker = PassageRanker(index, settings.synonyms, encoder)
    built = time.perf_counter() - started
    rows = read_set(args.data)
    for passage_text in (t for _, t in (a for r in rows for a in r.answers)):
        if not any(passage_text in p.text for p in index.passages):
            raise SystemExit(f"labelled passage not in the index: {passage_text!r}")
    started = time.perf_counter()
    results: dict[str, list[int]] = {"dev": [], "test": []}
    drafts: dict[str, list[bool]] = {"dev": [], "test": []}
    for row in rows:
        ranked = ranker.rank(row.question, k=3)
        rank = next((n for n, r in enumerate(ranked, start=1)
                     if any(r.passage.path == path and text in r.passage.text
                            for path, text in row.answers)), 0)
        results[row.split].append(rank)
        draft = quote_draft(row.question, ranked, ranker)
        if draft is not None:
            drafts[row.split].append(any(p.path == path and text in p.text
                                         for p in draft.citations for path, text in row.answers))
        if args.misses and rank != 1:
            got = ranked[0].passage if ranked else None
            print(f"  [{row.split}] rank {rank or '>3'}: {row.question}\n      top: "
                  + (f"{got.path} | {got.text[:90]}" if got else "-"))
    ranking = time.perf_counter() - started
    mode = "wording and meaning" if args.semantic else "wording"
    print(f"evidence passages ({mode}): {len(index.passages)} passages in "
          f"{len(index.documents)} documents, index {built:.2f} s, "
          f"{len(rows)} questions ranked in {ranking:.2f} s")
    for split, ranks in results.items():
        top1 = sum(1 for r in ranks if r == 1)
        top3 = sum(1 for r in ranks if r)
        print(f"  {split:4}: {len(ranks)} questions, right passage first "
              f"{top1}/{len(ranks)} ({top1 / len(ranks):.0%}), in the top three "
              f"{top3}/{len(ranks)} ({top3 / len(ranks):.0%}); quoted drafts for "
              f"{len(drafts[split])}, citing the right passage {sum(drafts[split])}")


if __name__ == "__main__":
    main()
