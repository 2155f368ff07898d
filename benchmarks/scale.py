"""How `qfill answer` and `qfill lint` grow with the questionnaire and the library, phase by
phase, beside a plain openpyxl load-and-save (the floor) and all-pairs fuzzy matching
(the naive peer): a timing script, not a test.

    python benchmarks/scale.py            # rows 500-20,000, entries 1,000-10,000: minutes
    python benchmarks/scale.py --full     # also 20,000 and 50,000 entries (lint and answer)
    python benchmarks/scale.py --rows 500,2000,8000 --entries 1000,5000,10000 --lint 1000,5000
    python benchmarks/scale.py --only lint --lint 1000,5000,50000 --keep /tmp/qfill-scale

Workbooks and libraries are generated at run time from real questions (the sample
library and, when present, ``../shared/questionnaires``; see :mod:`corpus`), so term
frequencies are real ones; ``twins`` libraries give every other entry a near twin.

For each size, in one process: the phases of ``answer`` (reading the library and the
workbook, building the index and loading it from the cache, matching, verifying and
planning, the report, writing and verifying the filled copy), the same run end to end
from the command line with the index cached, the floor (openpyxl load + save of the same
workbook) and, where it finishes in reasonable time, the peer (rapidfuzz
``process.cdist`` with ``token_set_ratio`` over every row and library phrasing,
``workers=-1``). Then the ratio to the floor, and growth exponents: ``log(t2/t1) /
log(n2/n1)`` between sizes (1 is linear, under 1 is sublinear). Times are CPU seconds of
this process (or of the child, end to end), which a busy machine disturbs less than the
wall clock; the peer, which uses both cores, is also given in wall seconds. ``qfill lint``
from the command line is the median of ``--lint-runs`` runs (one above 20,000 entries),
with an empty cache folder and with the cache an earlier run left.
Generating a 50,000-entry library takes seconds, linting it a while: ``--keep DIR`` keeps
the libraries and workbooks for the next run.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import itertools
import math
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpus  # noqa: E402

TODAY = date(2026, 12, 1)


def cpu(child: bool = False) -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN if child else resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(fn: Callable[[], Any], child: bool = False) -> tuple[Any, float, float]:
    """``fn()``, its CPU seconds and its wall seconds. CPU is this process's and that of
    the children it waited for (matching's forked workers); ``child``: children only."""
    def now() -> float:
        return cpu(True) + (0.0 if child else cpu(False))

    c0, w0 = now(), time.perf_counter()
    value = fn()
    return value, now() - c0, time.perf_counter() - w0


def exponent(n1: float, t1: float, n2: float, t2: float) -> float:
    return math.log(max(t2, 1e-6) / max(t1, 1e-6)) / math.log(n2 / n1)


def floor_seconds(path: Path) -> float:
    """openpyxl load + save of the workbook: what any model-based writer pays at least."""
    import openpyxl

    def run() -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(path)
            book.save(io.BytesIO())

    return timed(run)[1]


_FLOOR_PROGRAM = """
import io, sys, warnings
import openpyxl
warnings.simplefilter("ignore")
openpyxl.load_workbook(sys.argv[1]).save(io.BytesIO())
"""


def floor_process(path: Path) -> tuple[float, float]:
    """The floor as a program, as `qfill answer` is one: (CPU, wall) of a fresh interpreter
    that imports openpyxl, loads the workbook and saves it."""
    _, c, w = timed(lambda: subprocess.run([sys.executable, "-c", _FLOOR_PROGRAM, str(path)],
                                           check=True, capture_output=True), child=True)
    return c, w


def peer_seconds(rows: list[str], phrasings: list[str]) -> tuple[float, float]:
    """All-pairs token_set_ratio on both cores: (CPU, wall)."""
    from rapidfuzz import fuzz, process

    _, c, w = timed(lambda: process.cdist(rows, phrasings, scorer=fuzz.token_set_ratio,
                                          workers=-1, dtype="uint8"))
    return c, w


def answer_phases(library_root: Path, workbook: Path, cache: Path) -> dict[str, float]:
    from qfill.answering import verify_and_plan
    from qfill.files import FileContent
    from qfill.library import load_library
    from qfill.long_lived import long_lived, long_lived_result
    from qfill.matching import Matcher
    from qfill.render.report import render_markdown
    from qfill.report import build_report
    from qfill.settings import load_settings
    from qfill.sheets.reader import read_questionnaire, read_questionnaire_file
    from qfill.sheets.writer import WriteTarget, check_copy, filled_copy

    t: dict[str, float] = {}
    settings = load_settings(library_root)
    shutil.rmtree(cache / "answer-files", ignore_errors=True)
    _, t["read library (parse)"], _ = timed(lambda: load_library(library_root, cache=cache))
    library, t["read library"], _ = timed(lambda: load_library(library_root, cache=cache))
    source = read_questionnaire_file(workbook)
    q, t["read workbook"], _ = timed(lambda: read_questionnaire(source))
    # The collector as `qfill answer` runs it (qfill.long_lived): the library and the
    # questionnaire set aside once read, the index built or loaded with collection paused
    # and set aside too. Otherwise its full passes over them land in whichever phase runs
    # then, a cost the command does not pay.
    with contextlib.ExitStack() as run_scope:
        run_scope.enter_context(long_lived())
        shutil.rmtree(cache / "index", ignore_errors=True)
        def build() -> None:
            with long_lived_result(lambda: Matcher(library, settings, index_cache=cache)):
                pass  # stored in the cache, then dropped

        _, t["build index"], _ = timed(build)
        matcher, t["load index"], _ = timed(lambda: run_scope.enter_context(
            long_lived_result(lambda: Matcher(library, settings, index_cache=cache))))
        # Matched as `qfill answer` does (QFILL_WORKERS unset: every core for 1,000 rows or
        # more); CPU counts the workers too.
        matches, t["match"], t["match (wall)"] = timed(
            lambda: matcher.match(q.rows, template=q.template))
        # What answer_questionnaire does after matching, timed on its own.
        run, t["verify + plan"], _ = timed(lambda: verify_and_plan(
            q, matches, library, settings, today=TODAY))
        _, t["report"], _ = timed(lambda: render_markdown(build_report(
            run, library, questionnaire_name="q.xlsx", output_name="q.filled.xlsx",
            library_name="library")))
        target = WriteTarget.of(q)
        copy, t["write copy"], _ = timed(lambda: filled_copy(source, run.plan, target))
        # As `qfill answer` checks it: against the writer's scans of the source.
        _, t["check copy"], _ = timed(lambda: check_copy(
            source, FileContent(workbook, copy.data), run.plan, target, highlight=False,
            source_sheets=copy.source_sheets))
    return t


def answer_cli(library_root: Path, workbook: Path, cache: Path, out: Path,
               workers: str = "") -> tuple[float, float]:
    """`qfill answer` end to end in a fresh interpreter, the index and the answer files
    already cached, as a second questionnaire meets them: (CPU of it and its workers,
    wall). ``workers``: QFILL_WORKERS ("" for the default, every core)."""
    import os

    command = [sys.executable, "-m", "qfill", "answer", str(workbook), "-l", str(library_root),
               "-o", str(out / "filled.xlsx"), "-r", str(out / "report.md"), "--force",
               "--today", TODAY.isoformat()]
    # The index is in ``cache`` already: answer_phases built it there. Bytecode as an
    # installed qfill has it (compiled once in main()), not compiled on every start.
    env = {**os.environ, "QFILL_CACHE_DIR": str(cache), "PYTHONPATH": str(REPO),
           "QFILL_WORKERS": workers}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    _, c, w = timed(lambda: subprocess.run(command, check=True, capture_output=True, env=env,
                                           cwd=REPO), child=True)
    return c, w


def lint_phases(library_root: Path) -> dict[str, float]:
    """Reading, the near-twin join (with the index it builds: analysing every phrasing)
    and every rule, in-process. The join runs with the collector paused, as in
    ``lint_library``: at 50,000 entries its passes over millions of young objects
    would otherwise double the join's time."""
    import gc

    from qfill.library import bulk_allocation, read_library
    from qfill.lint import lint_library
    from qfill.lint.ambiguity import near_twins
    from qfill.settings import load_settings

    settings = load_settings(library_root)
    t: dict[str, float] = {}
    (library, _), t["read library"], _ = timed(lambda: read_library(library_root))

    def join() -> object:
        with bulk_allocation():
            return near_twins(library, settings)

    _, t["near-twin join"], _ = timed(join)
    gc.collect()
    result, t["lint (all rules)"], _ = timed(lambda: lint_library(
        library_root, settings=settings, today=TODAY))
    t["findings"] = float(len(result.findings))
    return t


def lint_cli(library_root: Path, runs: int = 1) -> tuple[float, float]:
    """`qfill lint` in a fresh interpreter, the median CPU seconds of ``runs`` runs: with
    an empty cache folder (CI's first run, or any CI that keeps no cache), and with the
    cache a run over the unchanged library left (pre-commit, CI with a cache)."""
    import os
    import statistics

    command = [sys.executable, "-m", "qfill", "lint", str(library_root), "--format", "text",
               "--today", TODAY.isoformat()]

    def run(cache: Path) -> float:
        env = {**os.environ, "PYTHONPATH": str(REPO), "QFILL_CACHE_DIR": str(cache)}
        return timed(lambda: subprocess.run(command, check=False, capture_output=True,
                                            env=env, cwd=REPO), child=True)[1]

    with tempfile.TemporaryDirectory() as folder:
        cold = statistics.median(run(Path(folder) / f"cold-{n}") for n in range(runs))
        run(Path(folder) / "warm")  # leaves the cache the next runs find
        warm = statistics.median(run(Path(folder) / "warm") for _ in range(runs))
    return cold, warm


def show(title: str, columns: list[str], rows: list[list[str]]) -> None:
    print(f"\n{title}")
    widths = [max([len(c), *(len(r[i]) for r in rows)]) for i, c in enumerate(columns)]
    print("  ".join(c.rjust(w) for c, w in zip(columns, widths, strict=True)))
    for row in rows:
        print("  ".join(v.rjust(w) for v, w in zip(row, widths, strict=True)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--full", action="store_true",
                        help="also 20,000 and 50,000 entries (answer and lint)")
    parser.add_argument("--peer-limit", type=float, default=8e6,
                        help="run the naive peer only up to this many row x phrasing pairs")
    parser.add_argument("--keep", type=Path, help="generate into this folder and keep it")
    parser.add_argument("--rows", default="500,2000,20000",
                        help="questionnaire sizes, against 5,000 entries")
    parser.add_argument("--entries", default="1000,5000,10000",
                        help="library sizes, against 2,000 rows (--full adds 20000,50000)")
    parser.add_argument("--lint", default="1000,5000",
                        help="library sizes for lint (--full adds 20000,50000)")
    parser.add_argument("--lint-runs", type=int, default=3,
                        help="`qfill lint` runs per library up to 20,000 entries (median)")
    parser.add_argument("--only", choices=("answer", "lint"),
                        help="run one command's series only")
    args = parser.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="qfill-scale-"))
    cache = base / "cache"
    more = [20000, 50000] if args.full else []
    entries_sizes = sorted({*map(int, args.entries.split(",")), *more})
    row_sizes = sorted({*map(int, args.rows.split(",")), 2000})
    lint_sizes = sorted({*map(int, args.lint.split(",")), *more})
    print(f"source questions: {len(corpus.source_questions())}; data in {base}")
    # Start-up as an installed qfill has it: bytecode compiled once, not on every run.
    import compileall

    compileall.compile_dir(str(REPO / "qfill"), quiet=1)
    try:
        def library(entries: int, twins: bool = False) -> Path:
            root = base / f"library-{entries}{'-twins' if twins else ''}"
            if not root.exists():
                corpus.generate_library(root, entries, twins=twins)
            return root

        def workbook(rows: int, entries: int) -> Path:
            path = base / f"q-{rows}x{entries}.xlsx"
            if not path.exists():
                corpus.generate_workbook(path, rows, entries)
            return path

        if args.only != "lint":
            answer_series(args, entries_sizes, row_sizes, library, workbook, base, cache)
        if args.only != "answer":
            lint_series(args, lint_sizes, library)
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    return 0


def answer_series(args: argparse.Namespace, entries_sizes: list[int], row_sizes: list[int],
              library: Callable[[int], Path], workbook: Callable[[int, int], Path],
              base: Path, cache: Path) -> None:
    # ------------------------------------------------------------------ answer
    runs: dict[tuple[int, int], dict[str, float]] = {}
    sizes = [(2000, e) for e in entries_sizes] + [(r, 5000) for r in row_sizes]
    for rows, entries in sorted(set(sizes), key=lambda s: (s[1], s[0])):
        root, path = library(entries), workbook(rows, entries)
        phases = answer_phases(root, path, cache)
        answer_cli(root, path, cache, base)  # once to warm the file cache
        phases["answer (CLI, index cached)"], phases["answer CLI wall"] = answer_cli(
            root, path, cache, base)
        phases["answer CLI, 1 process"], phases["answer CLI wall, 1 process"] = answer_cli(
            root, path, cache, base, workers="1")
        phases["floor: openpyxl load+save"] = floor_seconds(path)
        phases["floor as a program"], phases["floor as a program, wall"] = \
            floor_process(path)
        phrasings = sum(1 + len(a) for _, a in corpus.library_questions(entries))
        if rows * phrasings <= args.peer_limit:
            questions = corpus.workbook_questions(rows, entries)
            texts = [t for q, a in corpus.library_questions(entries) for t in (q, *a)]
            phases["peer CPU"], phases["peer wall"] = peer_seconds(questions, texts)
        runs[(rows, entries)] = phases
        print(f"answer {rows:,} rows x {entries:,} entries: CLI "
              f"{phases['answer (CLI, index cached)']:.2f} s, floor "
              f"{phases['floor: openpyxl load+save']:.2f} s", flush=True)
    keys = sorted(runs, key=lambda s: (s[1], s[0]))
    names = list(next(iter(runs.values())))
    names += [n for r in runs.values() for n in r if n not in names]
    show("answer: CPU seconds by phase (walls where named)",
         ["phase", *(f"{r:,}x{e:,}" for r, e in keys)],
         [[n, *(f"{runs[k][n]:.2f}" if n in runs[k] else "-" for k in keys)]
          for n in names])
    def over(a: str, b: str) -> list[str]:
        return [f"{runs[k][a] / runs[k][b]:.1f}x" for k in keys]

    ratio = [["answer CLI / floor (CPU, in process)",
              *over("answer (CLI, index cached)", "floor: openpyxl load+save")],
             ["answer CLI / floor program (CPU, 1 process)",
              *over("answer CLI, 1 process", "floor as a program")],
             ["answer CLI / floor program (wall)",
              *over("answer CLI wall", "floor as a program, wall")],
             ["peer wall / answer CLI", *(
                 f"{runs[k]['peer wall'] / runs[k]['answer (CLI, index cached)']:.1f}x"
                 if "peer wall" in runs[k] else "-" for k in keys)]]
    show("answer: ratios", ["", *(f"{r:,}x{e:,}" for r, e in keys)], ratio)
    growth: list[list[str]] = []
    by_entries = [(2000, e) for e in entries_sizes]
    by_rows = sorted((r, 5000) for r in row_sizes)
    for label, series, size in (("entries (2,000 rows)", by_entries, 1),
                                ("rows (5,000 entries)", by_rows, 0)):
        for a, b in itertools.pairwise(series):
            growth.append([f"{label} {a[size]:,} -> {b[size]:,}", *(
                f"{exponent(a[size], runs[a][n], b[size], runs[b][n]):.2f}"
                for n in ("match", "write copy", "check copy",
                          "answer (CLI, index cached)"))])
    show("answer: growth exponents (1 = linear)",
         ["between", "match", "write copy", "check copy", "answer CLI"], growth)
    print("\nanswer: targets")
    for line in answer_targets(runs):
        print(f"  {line}")


def answer_targets(runs: dict[tuple[int, int], dict[str, float]]) -> list[str]:
    """Each target of the answer series that this run measured, and whether it is met."""
    def verdict(ok: bool) -> str:
        return "MET" if ok else "NOT MET"

    lines: list[str] = []
    base = runs.get((2000, 5000))
    if base is not None:
        cpu = base["answer CLI, 1 process"] / base["floor as a program"]
        wall = base["answer CLI wall"] / base["floor as a program, wall"]
        inside = base["answer (CLI, index cached)"] / base["floor: openpyxl load+save"]
        lines.append(f"2,000 x 5,000 within 3x the floor: {verdict(cpu <= 3)} on CPU in one "
                     f"process ({cpu:.1f}x the program's), {verdict(wall <= 3)} on wall with "
                     f"every core ({wall:.1f}x); {verdict(inside <= 3)} against the floor "
                     f"timed inside this process ({inside:.1f}x)")
    doubled = runs.get((2000, 10000))
    if base is not None and doubled is not None:
        grew = doubled["match"] / base["match"]
        lines.append(f"doubling the library (5,000 -> 10,000 entries) raises matching well "
                     f"under 2x: {verdict(grew < 1.6)} ({grew:.2f}x)")
    large = runs.get((20000, 5000))
    if base is not None and large is not None:
        for name in ("match", "answer (CLI, index cached)"):
            e = exponent(2000, base[name], 20000, large[name])
            lines.append(f"rows 2,000 -> 20,000, {name} grows at most linearly: "
                         f"{verdict(e <= 1.05)} (exponent {e:.2f})")
    return lines



def lint_series(args: argparse.Namespace, lint_sizes: list[int],
            library: Callable[[int, bool], Path]) -> None:
    # ------------------------------------------------------------------ lint
    lint_runs: dict[tuple[int, bool], dict[str, float]] = {}
    for entries in lint_sizes:
        for twins in (False, True):
            root = library(entries, twins)
            phases = lint_phases(root)
            phases["lint (CLI)"], phases["lint (CLI, cached)"] = lint_cli(
                root, args.lint_runs if entries <= 20000 else 1)
            lint_runs[(entries, twins)] = phases
            print(f"lint {entries:,} entries{' (near twins)' if twins else ''}: CLI "
                  f"{phases['lint (CLI)']:.2f} s, from the cache "
                  f"{phases['lint (CLI, cached)']:.2f} s", flush=True)
    lkeys = list(lint_runs)
    lnames = list(next(iter(lint_runs.values())))
    show("lint: CPU seconds by phase",
         ["phase", *(f"{e:,}{' twins' if t else ''}" for e, t in lkeys)],
         [[n, *(f"{lint_runs[k][n]:.0f}" if n == "findings" else f"{lint_runs[k][n]:.2f}"
                for k in lkeys)] for n in lnames])
    lgrowth = []
    for twins in (False, True):
        series = list(lint_sizes)
        for a, b in itertools.pairwise(series):
            lgrowth.append([f"{a:,} -> {b:,}{' twins' if twins else ''}", *(
                f"{exponent(a, lint_runs[(a, twins)][n], b, lint_runs[(b, twins)][n]):.2f}"
                for n in ("near-twin join", "lint (all rules)", "lint (CLI)"))])
    show("lint: growth exponents in entries", ["between", "join", "all rules", "CLI"],
         lgrowth)
    print("\nlint: targets (CPU seconds of `qfill lint`)")
    for line in lint_targets(lint_runs):
        print(f"  {line}")


def lint_targets(runs: dict[tuple[int, bool], dict[str, float]]) -> list[str]:
    """Each lint target this run measured (under 2 s at 5,000 entries, with and without
    near twins; under 10 s at 50,000), cold and from the cache, and whether it is met."""
    lines: list[str] = []
    for (entries, twins), phases in sorted(runs.items()):
        limit = {5000: 2.0, 50000: 10.0}.get(entries)
        if limit is None:
            continue
        verdicts = [f"{how} {phases[name]:.2f} s {'MET' if phases[name] < limit else 'NOT MET'}"
                    for how, name in (("cold", "lint (CLI)"),
                                      ("from the cache", "lint (CLI, cached)"))]
        lines.append(f"{entries:,} entries{' with near twins' if twins else ''} under "
                     f"{limit:.0f} s: {'; '.join(verdicts)}")
    return lines


if __name__ == "__main__":
    raise SystemExit(main())
