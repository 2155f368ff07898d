"""Time `qfill lint` on a generated 5,000-entry library (the target is well under 2 s).

Run: ``python benchmarks/lint.py [--entries 5000] [--keep DIR]``. It writes a library of
answer files (50 entries each, every entry with an alias, evidence and review dates) into
a temporary folder, then times :func:`qfill.lint.lint_library` in-process, rule by rule,
and the CLI end to end in a fresh interpreter (what CI and pre-commit pay).

The text is drawn from a Zipf-distributed vocabulary of security words and made-up terms,
so retrieval in the matcher sees realistic posting lengths, not one tiny vocabulary
where every question shares every word.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

WORDS = """
access account activity administrator alert algorithm analysis antivirus application
approval architecture archive asset assessment audit authentication authorization
availability awareness backup badge baseline biometric breach browser budget business
camera capacity certificate change channel classification client cloud code compliance
configuration consent container continuity contract control cookie credential
cryptography customer dashboard data database deletion dependency deployment device
disaster disclosure disk domain download email employee encryption endpoint escalation
event evidence exception export facility failover firewall firmware forensic framework
gateway governance hardware hashing host identity incident infrastructure insurance
integrity interface internet inventory isolation key laptop latency library license
log malware metadata migration mobile monitoring network notification office onboarding
operator outage owner partner password patch payment penetration perimeter permission
personnel phishing physical pipeline platform policy portal privacy privilege production
protocol provider quarantine recovery redundancy region registry release remote report
repository resilience restore retention review risk role router sandbox scan schedule
secret segmentation sensor server session signature software source staff storage
subcontractor supplier switch tenant termination testing threat token training transfer
transport tunnel update upload user vault vendor version visitor vulnerability wireless
workstation
""".split()  # noqa: SIM905 - a word list reads better as text
VERBS = "encrypt rotate review test monitor restrict log retain delete approve scan patch " \
        "train segment back up audit revoke isolate document verify".split()  # noqa: SIM905
OPENINGS = ("Do you {v} {o}?", "Does your organization {v} {o}?",
            "Is {o} {v}ed at least annually?", "How do you {v} {o}?",
            "Describe how you {v} {o}.", "Are {o} {v}ed before {o2}?")


def _vocabulary(rng: random.Random, size: int) -> tuple[list[str], list[float]]:
    made_up = {"".join(rng.choice("bcdfghklmnprstvz") + rng.choice("aeiou")
                       for _ in range(rng.randint(2, 4))) for _ in range(size)}
    vocab = WORDS + sorted(made_up)[: max(size - len(WORDS), 0)]
    rng.shuffle(vocab)
    return vocab, [1.0 / (rank + 1) ** 0.9 for rank in range(len(vocab))]


def generate_library(root: Path, entries: int = 5000, seed: int = 7) -> Path:
    """Write a clean library of ``entries`` answers under ``root``; return ``root``."""
    rng = random.Random(seed)
    vocab, weights = _vocabulary(rng, 3000)

    def phrase(n: int) -> str:
        return " ".join(rng.choices(vocab, weights, k=n))

    (root / "answers").mkdir(parents=True, exist_ok=True)
    for folder in ("policies", "reports"):
        (root / "evidence" / folder).mkdir(parents=True, exist_ok=True)
    for i in range(20):
        (root / "evidence" / "policies" / f"policy-{i}.md").write_text(f"# Policy {i}\n")
    (root / "evidence" / "reports" / "soc2.pdf").write_bytes(b"%PDF-1.7\n")
    (root / "qfill.yaml").write_text("lint:\n  required: [owner]\n  review_every: 365\n")
    per_file = 50
    for start in range(0, entries, per_file):
        lines = [f"owner: team-{start // per_file}@example.com", "answers:"]
        for k in range(start, min(start + per_file, entries)):
            opening = rng.choice(OPENINGS)
            question = opening.format(v=rng.choice(VERBS), o=phrase(rng.randint(3, 6)),
                                      o2=phrase(2))
            alias = rng.choice(OPENINGS).format(v=rng.choice(VERBS),
                                                o=phrase(rng.randint(3, 6)), o2=phrase(2))
            short = rng.choice(("Yes", "No", "N/A"))
            opening_word = {"Yes": "Yes", "No": "No", "N/A": "Not applicable"}[short]
            lines += [
                f"  - id: entry-{k:05d}",
                f"    question: {question} ({k})",
                "    aliases:",
                f"      - {alias} ({k})",
                "    answer: >-",
                f"      {opening_word}. We {rng.choice(VERBS)} {phrase(12)}.",
                f"      Our {phrase(3)} team owns this, reviewed by {phrase(2)}.",
                f'    short: "{short}"',
                "    evidence:",
                f"      - evidence/policies/policy-{k % 20}.md",
                "      - path: evidence/reports/soc2.pdf",
                "        title: SOC 2 Type II report",
                "        valid_until: 2099-09-30",
                f"      - https://trust.example.com/{k}",
                "    refs:",
                f"      caiq: [IAM-{k % 100:02d}.{k % 7}]",
                f"    tags: [{rng.choice(WORDS)}, {rng.choice(WORDS)}]",
                f"    reviewed: 2026-{1 + k % 12:02d}-01",
            ]
        name = root / "answers" / f"area-{start // per_file:03d}.yaml"
        name.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def _time(label: str, fn: object, runs: int, *, child: bool = False) -> float:
    """Wall-clock and CPU seconds of ``fn`` (CPU of the child process when ``child``).

    On a shared machine the wall clock includes waiting for a core; CPU time does not,
    so both are printed.
    """
    assert callable(fn)
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN if child else resource.RUSAGE_SELF)
        t0 = time.perf_counter()
        fn()
        walls.append(time.perf_counter() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN if child else resource.RUSAGE_SELF)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    print(f"{label:<40} wall best {min(walls):5.2f} s, median {statistics.median(walls):5.2f} s"
          f"   cpu best {min(cpus):5.2f} s   ({runs} runs)")
    return statistics.median(walls)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="write the library here and keep it")
    args = parser.parse_args()

    from qfill.lint import RULES, lint_library, rule_timings
    from qfill.settings import load_settings

    base = args.keep or Path(tempfile.mkdtemp(prefix="qfill-bench-"))
    try:
        root = generate_library(base / "library" if not args.keep else base, args.entries)
        files = len(list((root / "answers").glob("*.yaml")))
        print(f"library: {args.entries} entries in {files} files at {root}")
        settings = load_settings(root)
        today = date(2026, 11, 29)
        result = lint_library(root, settings=settings, today=today)
        print(f"findings: {len(result.findings)} ({result.errors} errors, "
              f"{result.warnings} warnings)")
        for finding in result.findings[:5]:
            print("  ", finding.location(), finding.rule, finding.message)
        _time("lint_library (in-process)", lambda: lint_library(
            root, settings=settings, today=today), args.runs)
        timings = rule_timings(root, settings=settings, today=today)
        for name, seconds in sorted(timings.items(), key=lambda kv: -kv[1])[:6]:
            print(f"    {name:<40} {seconds:6.3f} s")
        print(f"    ({len(RULES)} rules)")
        cli = [sys.executable, "-m", "qfill", "lint", "--library", str(root),
               "--format", "text", "--today", today.isoformat()]
        # As installed: byte-code cached (some CI images set PYTHONDONTWRITEBYTECODE,
        # which makes every run recompile qfill, typer and rich from source).
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        caches = itertools.count()

        def lint_cli(cache: str) -> None:
            subprocess.run(cli, check=True, capture_output=True,
                           env={**env, "QFILL_CACHE_DIR": str(base / "cache" / cache)})

        lint_cli("warm")  # writes the .pyc, and the cache the runs from the cache find
        _time("qfill lint (CLI, fresh interpreter, no cache)",
              lambda: lint_cli(f"cold-{next(caches)}"), max(args.runs // 2, 2), child=True)
        _time("qfill lint (CLI, fresh interpreter, from the cache)",
              lambda: lint_cli("warm"), max(args.runs // 2, 2), child=True)
        _time("qfill lint --help (startup)", lambda: subprocess.run(
            [sys.executable, "-m", "qfill", "lint", "--help"], check=True,
            capture_output=True, env=env), 3, child=True)
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
