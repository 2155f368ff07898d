"""Time writing answers back into the real questionnaires, against an openpyxl round trip.

Run: ``python benchmarks/writeback.py [--writes 100] [--repeat 3]``. For each workbook it
picks ``--writes`` empty, non-formula answer cells (C/D on the question rows of the
response sheets, found with openpyxl in read-only mode), then times, in-process:

- ``write_filled`` (package edit: raw copy of every zip member, splice of the written sheets),
- ``check_filled`` (reopen; the parts not written compared by their raw bytes, each written
  sheet in one pass: bytes between the planned cells, the planned cells parsed; run on
  its own it scans the source's sheets again, which ``qfill answer`` takes from the writer),
- ``write_filled`` with ``highlight=True`` on 20 further cells,
- a plain ``openpyxl.load_workbook`` + ``save`` of the same file, which is what a
  model-based writer pays at least (and which drops what openpyxl does not model).

The real questionnaires live in ``../shared/questionnaires`` beside the repository.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from qfill.filling import CellWrite, FillPlan  # noqa: E402
from qfill.questionnaire import FileFormat  # noqa: E402
from qfill.sheets.writer import check_filled, write_filled  # noqa: E402

QUESTIONNAIRES = REPO.parent / "shared" / "questionnaires"
WORKBOOKS = {
    "HECVAT3_OpenDSA_20220830.xlsx": ("hecvat/HECVAT3_OpenDSA_20220830.xlsx",
                                      ["HECVAT - Full"]),
    "HECVAT414.xlsx": ("hecvat/HECVAT414.xlsx",
                       ["Organization", "Product", "Infrastructure", "IT Accessibility",
                        "Case-Specific", "AI", "Privacy"]),
    "CAIQv4.0.3 (blank)": ("csa-caiq/CAIQv4.0.3_STAR-Security-Questionnaire_Generated-at_"
                           "2024-06-03.xlsx", ["CAIQv4.0.3"]),
}
QUESTION_ID = re.compile(r"^[A-Z&]{2,4}-\s?\d{2}(\.\d+)?$")
ANSWER = ("Yes. We enforce this control across all production systems; evidence: "
          "SOC 2 Type II report, section CC6.1.")


def empty_cells(path: Path, sheets: list[str], wanted: int) -> list[tuple[str, str]]:
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True)
    found: list[tuple[str, str]] = []
    try:
        for sheet in sheets:
            ws = wb[sheet]
            for row in ws.iter_rows(min_row=2, max_col=5):
                cells = {getattr(c, "column_letter", None): c for c in row}
                qid = cells.get("A")
                if qid is None or not isinstance(qid.value, str) or \
                        not QUESTION_ID.match(qid.value.strip()):
                    continue
                for letter in ("C", "D", "E"):
                    cell = cells.get(letter)
                    if cell is not None and cell.value is None and cell.data_type != "f":
                        found.append((sheet, f"{letter}{qid.row}"))
    finally:
        wb.close()
    step = max(len(found) // wanted, 1)
    return found[::step][:wanted]


def timed(action: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writes", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if not QUESTIONNAIRES.is_dir():
        sys.exit(f"{QUESTIONNAIRES} not found; the real questionnaires live beside the repo")
    warnings.simplefilter("ignore")  # openpyxl: unsupported extensions
    import openpyxl

    rows = []
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "out.xlsx"
        for label, (relative, sheets) in WORKBOOKS.items():
            source = QUESTIONNAIRES / relative
            cells = empty_cells(source, sheets, args.writes + 20)
            writes = tuple(CellWrite(s, ref, ANSWER, "answer", int(ref[1:]))
                           for s, ref in cells[:args.writes])
            plan = FillPlan(writes, tuple(cells[args.writes:]))
            write = timed(lambda: write_filled(source, out, plan, file_format=FileFormat.XLSX),
                          args.repeat)
            verify = timed(lambda: check_filled(source, out, plan, file_format=FileFormat.XLSX),
                           args.repeat)
            highlight = timed(lambda: write_filled(source, out, plan, file_format=FileFormat.XLSX,
                                                   highlight=True), args.repeat)
            highlight_verify = timed(
                lambda: check_filled(source, out, plan, file_format=FileFormat.XLSX), args.repeat)

            def round_trip() -> None:
                openpyxl.load_workbook(source).save(Path(folder) / "openpyxl.xlsx")

            model = timed(round_trip, args.repeat)
            rows.append((label, source.stat().st_size, len(writes), write, verify,
                         highlight + highlight_verify, model))
    header = ("workbook", "size", "writes", "write", "verify", "write+verify",
              "+highlight", "openpyxl load+save")
    print(f"{header[0]:32} {header[1]:>9} {header[2]:>6} {header[3]:>8} {header[4]:>8} "
          f"{header[5]:>12} {header[6]:>10} {header[7]:>18}")
    for label, size, n, write, verify, highlight, model in rows:
        print(f"{label:32} {size / 1e6:>7.2f}MB {n:>6} {write:>7.3f}s {verify:>7.3f}s "
              f"{write + verify:>11.3f}s {highlight:>9.3f}s {model:>17.3f}s")
    print(f"(median of {args.repeat}; '+highlight' = write and verify with highlight on 20 "
          "more cells)")


if __name__ == "__main__":
    main()
