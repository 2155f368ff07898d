"""How long matching takes on a large library: a timing script, not a test.

    python benchmarks/matching_speed.py                 # 2,000 rows vs 20,000 strings
    python benchmarks/matching_speed.py --naive         # also time all-pairs token_set_ratio
    python benchmarks/matching_speed.py --entries 5000  # the lint-sized self-ranking case
    python benchmarks/matching_speed.py --semantic      # with ranking by meaning: encoding
                                                        # the library cold, then cached

A synthetic library is generated (deterministically) from security vocabulary: each entry
has a question and aliases, so ``--entries 2000 --aliases 9`` gives 20,000 strings. Rows
are reworded versions of some entries plus unrelated questions. The issue's reference
point: all-pairs token_set_ratio costs 31 s for 2,000 rows against 20,000 strings on a
2-core machine.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qfill.library import Answer, Library
from qfill.matching import Matcher
from qfill.questionnaire import QuestionRow
from qfill.settings import MatchSettings, Settings

SUBJECTS = """customer data|backups|audit logs|encryption keys|passwords|laptops|servers|
source code|API tokens|production databases|admin accounts|vendor contracts|firewall rules|
container images|mobile devices|email|DNS records|TLS certificates|payment data|
health records|support tickets|CI pipelines|cloud accounts|VPN access|office badges|
incident reports|risk registers|policies|access reviews|penetration test reports|
data exports|SSO sessions|MFA tokens|web application|network segments|job applicants|
contractor accounts|subprocessors|AI models|training data""".replace("\n", "").split("|")
VERBS = """encrypted|reviewed|monitored|backed up|tested|logged|approved|rotated|scanned|
patched|retained|deleted|restricted|documented|classified|segregated|audited|
inventoried|protected|recovered""".replace("\n", "").split("|")
QUALIFIERS = """at rest|in transit|annually|quarterly|by an independent firm|for employees|
for customers|in production|in development|within 24 hours|using automated tools|
under a written policy|with management approval|in every region|by the security team|
before go-live|after an incident|during onboarding|at termination|continuously""" \
    .replace("\n", "").split("|")
TEMPLATES = ("Are {s} {v} {q}?", "Do you ensure {s} are {v} {q}?",
             "Is there a process by which {s} are {v} {q}?", "How are {s} {v} {q}?",
             "Describe how {s} are {v} {q}.", "Can you confirm {s} are {v} {q}?",
             "Does your organization keep {s} {v} {q}?", "Please explain whether {s} get {v} {q}.",
             "Are all {s} {v} {q} as required?", "Have {s} been {v} {q}?")


def synthetic_library(entries: int, aliases: int, seed: int = 7) -> Library:
    rng = random.Random(seed)
    combos = [(s, v, q) for s in SUBJECTS for v in VERBS for q in QUALIFIERS]
    rng.shuffle(combos)
    answers = []
    for n, (s, v, q) in enumerate(combos[:entries]):
        texts = [t.format(s=s, v=v, q=q) for t in rng.sample(TEMPLATES, aliases + 1)]
        answers.append(Answer(id=f"entry-{n}", question=texts[0], aliases=tuple(texts[1:]),
                              answer=f"Yes. Our {s} are {v} {q}, as our policy requires.",
                              short="Yes"))
    return Library(Path("."), tuple(answers))


def synthetic_rows(library: Library, count: int, seed: int = 11) -> list[QuestionRow]:
    rng = random.Random(seed)
    rows = []
    for n in range(count):
        if n % 4 == 3:
            text = f"Do you offer {rng.choice(['on-site', 'remote', 'weekend'])} training " \
                f"in {rng.choice(['Spanish', 'French', 'German'])} for question {n}?"
        else:
            answer = rng.choice(library.answers)
            text = rng.choice(answer.phrasings).replace("Are ", "Is it true that ", 1)
        rows.append(QuestionRow("Sheet", n + 2, text, None, "Security"))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=2000)
    parser.add_argument("--aliases", type=int, default=9)
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--naive", action="store_true",
                        help="also time the all-pairs token_set_ratio baseline")
    parser.add_argument("--semantic", action="store_true",
                        help="rank by meaning too (needs the semantic extra); the vectors "
                        "go to a fresh cache folder, so the first build is cold")
    args = parser.parse_args()
    settings = Settings()
    if args.semantic:
        import os
        import tempfile

        os.environ["QFILL_CACHE_DIR"] = tempfile.mkdtemp(prefix="qfill-bench-")
        settings = Settings(matching=MatchSettings(semantic=True))
    library = synthetic_library(args.entries, args.aliases)
    strings = sum(len(a.phrasings) for a in library.answers)
    rows = synthetic_rows(library, args.rows)
    print(f"library: {len(library)} entries, {strings} strings; questionnaire: {len(rows)} rows")

    started = time.perf_counter()
    matcher = Matcher(library, settings)
    built = time.perf_counter() - started
    if args.semantic:
        from qfill import semantic

        semantic._LOADED.clear()  # the encoder keeps vectors in memory: start again
        started = time.perf_counter()
        Matcher(library, settings)
        print(f"qfill: library encoded cold in {built:.2f} s, from the cache in "
              f"{time.perf_counter() - started:.2f} s")
    started = time.perf_counter()
    matches = matcher.match(rows)
    matched = time.perf_counter() - started
    filled = sum(1 for m in matches if m.status == "filled")
    print(f"qfill: index built in {built:.2f} s; {len(rows)} rows matched in {matched:.2f} s "
          f"({filled} filled)")

    texts = [t for a in library.answers for t in a.phrasings]
    if not args.semantic:  # lint ranks on wording alone
        started = time.perf_counter()
        matcher.rank(texts)
        ranked = time.perf_counter() - started
        print(f"qfill: rank() of the library's own {len(texts)} strings (as lint does) in "
              f"{ranked:.2f} s")

    if args.naive:
        from rapidfuzz import fuzz, process, utils

        processed = [utils.default_process(t) for t in texts]
        started = time.perf_counter()
        for row in rows:
            process.extractOne(utils.default_process(row.question), processed,
                               scorer=fuzz.token_set_ratio, processor=None)
        naive = time.perf_counter() - started
        print(f"naive: all-pairs token_set_ratio in {naive:.2f} s "
              f"(qfill is {naive / max(matched, 1e-9):.0f}x faster)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
