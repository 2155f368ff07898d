"""Time reading the real questionnaires into question rows, and count what was found.

Run: ``python benchmarks/questionnaire_read.py [--repeat 5]``. For each workbook (and
CSV) in ``../shared/questionnaires`` it calls ``read_questionnaire`` ``--repeat`` times
in-process and prints the best wall time, the CPU time of that run, the peak memory of
the Python heap (tracemalloc, one extra run), the template and the question rows found
next to the count the folder's README gives.
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from qfill.sheets.reader import read_questionnaire  # noqa: E402

QUESTIONNAIRES = REPO.parent / "shared" / "questionnaires"
README_COUNTS = {
    "csa-caiq/CAIQv4.0.3_STAR-Security-Questionnaire_Generated-at_2024-06-03.xlsx": 261,
    "csa-caiq/CAIQv4.0.3_WhitePact_completed.xlsx": 261,
    "csa-caiq/csa-caiq-v3.0.1-09-01-2017.xlsx": 295,
    "hecvat/HECVAT414.xlsx": 331,
    "hecvat/HECVAT3_OpenDSA_20220830.xlsx": 253,
    "csa-caiq/caiq_v4.0.3_questions.csv": 261,
    "hecvat/hecvat_v4.1.4_questions.csv": 332,
    "google-vsaq/infrastructure_questions.csv": 96,
    "mvsp/mvsp_v3.0_controls.csv": 25,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if not QUESTIONNAIRES.is_dir():
        sys.exit(f"{QUESTIONNAIRES} not found")
    print(f"{'file':<72} {'KB':>6} {'wall s':>7} {'cpu s':>6} {'peak MB':>8} "
          f"{'template':<9} {'rows':>5} {'README':>6}")
    for relative, expected in README_COUNTS.items():
        path = QUESTIONNAIRES / relative
        best = (float("inf"), 0.0)
        rows = 0
        template = None
        for _ in range(args.repeat):
            wall, cpu = time.perf_counter(), time.process_time()
            q = read_questionnaire(path)
            elapsed = (time.perf_counter() - wall, time.process_time() - cpu)
            best = min(best, elapsed)
            rows, template = len(q.rows), q.template
        tracemalloc.start()
        read_questionnaire(path)
        peak = tracemalloc.get_traced_memory()[1] / 1024 / 1024
        tracemalloc.stop()
        print(f"{relative:<72} {path.stat().st_size // 1024:>6} {best[0]:>7.2f} "
              f"{best[1]:>6.2f} {peak:>8.1f} {template or '-':<9} {rows:>5} {expected:>6}")


if __name__ == "__main__":
    main()
