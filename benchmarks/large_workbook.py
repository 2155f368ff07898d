"""Reading and answering a generated workbook of many question rows: time and peak memory.

Run: ``python benchmarks/large_workbook.py [--rows 20000 200000] [--no-match]``. For each
size a fresh child process generates a one-sheet questionnaire (ID, Question, Response,
Comments; the questions are the sample library's own questions and aliases, so nearly
every row is matched and filled), then times, in-process, the phases of ``qfill answer``:
reading the file, matching every row, making the filled copy and checking it. Peak memory
is the child's maximum resident set size. Time and memory that grow by the same factor as
the rows show the work is linear in the input. ``--no-match`` fills every row's response
cell without matching (the reading, writing and checking alone, for large sizes).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def generate(path: Path, rows: int) -> None:
    """A questionnaire of ``rows`` question rows, written in openpyxl's streaming mode."""
    from openpyxl import Workbook

    from qfill.library import load_library

    library = load_library(REPO)
    phrasings = [p for a in library.answers for p in a.phrasings]
    refs = [r for a in library.answers for r in a.refs.get("caiq", ())]
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Security")
    ws.append(["ID", "Question", "Response", "Comments"])
    for n in range(rows):
        qid = refs[n % len(refs)] if n % 10 == 0 and refs else f"Q-{n + 1}"
        ws.append([qid, phrasings[n % len(phrasings)], None, None])
    wb.save(path)


def child(rows: int, *, match: bool = True) -> dict[str, float]:
    from qfill.answering import answer_questionnaire
    from qfill.files import FileContent
    from qfill.filling import CellWrite, FillPlan
    from qfill.library import load_library
    from qfill.settings import load_settings
    from qfill.sheets.reader import read_questionnaire, read_questionnaire_file
    from qfill.sheets.writer import WriteTarget, check_copy, filled_copy

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "q.xlsx"
        generate(path, rows)
        result: dict[str, float] = {"rows": rows, "file_mb": path.stat().st_size / 2**20}
        library, settings = load_library(REPO), load_settings(REPO)
        start = time.perf_counter()
        source = read_questionnaire_file(path)
        questionnaire = read_questionnaire(source)
        result["read_s"] = time.perf_counter() - start
        start = time.perf_counter()
        if match:
            plan = answer_questionnaire(questionnaire, library, settings,
                                        today=date(2026, 6, 1)).plan
        else:
            plan = FillPlan(tuple(CellWrite(r.sheet, f"C{r.row}", "Yes", "short", r.row)
                                  for r in questionnaire.rows))
        result["match_s"] = time.perf_counter() - start
        start = time.perf_counter()
        target = WriteTarget.of(questionnaire)
        copy = filled_copy(source, plan, target)
        result["write_s"] = time.perf_counter() - start
        start = time.perf_counter()
        # As `qfill answer` checks it: against the writer's scans of the source.
        check_copy(source, FileContent(path, copy.data), plan, target, highlight=False,
                   source_sheets=copy.source_sheets)
        result["verify_s"] = time.perf_counter() - start
        result["filled"] = len({w.row for w in plan.writes})
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[20_000, 200_000])
    parser.add_argument("--no-match", action="store_true",
                        help="plan a write on every row instead of matching")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, match=not args.no_match)))
        return
    print(f"{'rows':>8} {'file MB':>8} {'read s':>7} {'match s':>8} {'write s':>8} "
          f"{'verify s':>9} {'total s':>8} {'peak MB':>8} {'filled':>7}")
    for rows in args.rows:
        extra = ["--no-match"] if args.no_match else []
        out = subprocess.run([sys.executable, __file__, "--child", str(rows), *extra],
                             capture_output=True, text=True, check=True).stdout
        r = json.loads(out)
        total = r["read_s"] + r["match_s"] + r["write_s"] + r["verify_s"]
        print(f"{rows:>8,} {r['file_mb']:>8.1f} {r['read_s']:>7.1f} {r['match_s']:>8.1f} "
              f"{r['write_s']:>8.2f} {r['verify_s']:>9.2f} {total:>8.1f} "
              f"{r['peak_mb']:>8.0f} {int(r['filled']):>7,}", flush=True)


if __name__ == "__main__":
    main()
