"""What a harvested library buys: answer a questionnaire from the answers a vendor already gave.

    python benchmarks/harvest.py            # both sets, from ../shared/questionnaires

Each set harvests a real completed questionnaire into an empty library (``qfill harvest``
as a library call), then answers another questionnaire from it (``qfill answer``'s
pipeline, wording and ids as qfill decides, verification on), and measures:

* **CAIQ v4 warm**: WhitePact's completed CAIQ v4.0.3 harvested, the blank CAIQ v4.0.3
  answered. A row counts as *re-filled* when it is filled and the written Yes/No and text
  are the vendor's own (its cells in the completed file). Rows left for review are listed
  by reason code (the vendor's self-contradictions are expected there).
* **HECVAT 3 -> 4.1.4**: OpenDSA's completed HECVAT 3.00 harvested, the blank HECVAT
  4.1.4 answered. The ids moved between versions (HECVAT 4 reuses HECVAT 3 ids for other
  questions), so the harvested refs are pinned to ``hecvat-v3`` and must not be followed:
  fills by id are counted and must be zero. Precision: filled rows whose entry came from a
  gold HECVAT 3 row (``data/gold_hecvat4_hecvat3.csv``, ids only, labelled by reading both,
  plus ``data/gold_hecvat4_hecvat3_extra.csv``: rows judged on reading that the gold list
  leaves out, each with its reason); answerable rows filled: right fills / rows whose gold
  row was harvested.

The harvested entries have no ``reviewed`` date, so the library is answered with the
default ``filling.unreviewed: fill`` (stated as ``SETTINGS`` below): what is measured is
what the drafts would fill, each fill marked ``unreviewed`` in the report. A team that sets
``unreviewed: review`` gets the same rows as review rows with the draft suggested first.

Nothing here is tuned: harvest has no thresholds fitted on these files. Rows are still
split in two halves (even and odd positions in the questionnaire), development and test,
and both are reported, as every benchmark set here is.
"""

from __future__ import annotations

import csv
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from qfill.answering import answer_questionnaire  # noqa: E402
from qfill.harvest.harvesting import plan_harvest, write_harvest  # noqa: E402
from qfill.library import load_library  # noqa: E402
from qfill.matching import Match  # noqa: E402
from qfill.settings import FillSettings, Settings  # noqa: E402
from qfill.sheets.reader import read_questionnaire  # noqa: E402

# Harvested drafts have no `reviewed` date: filled (and marked), the default.
SETTINGS = Settings(filling=FillSettings(unreviewed="fill"))

SHARED = REPO.parent / "shared" / "questionnaires"
DATA = REPO / "benchmarks" / "data"
TODAY = date(2026, 12, 1)


def harvested(completed: Path, root: Path) -> tuple[float, int]:
    start = time.perf_counter()
    result = plan_harvest([completed], root=root, settings=Settings())
    write_harvest(result)
    return time.perf_counter() - start, len(result.new)


def answered(questionnaire: Path, root: Path) -> tuple[list[Match], float]:
    library = load_library(root)
    start = time.perf_counter()
    q = read_questionnaire(questionnaire)
    run = answer_questionnaire(q, library, SETTINGS, today=TODAY)
    return list(run.matches), time.perf_counter() - start


def halves(items: Sequence[Match]) -> dict[str, list[Match]]:
    return {"dev": list(items[0::2]), "test": list(items[1::2])}


def codes(matches: Sequence[Match]) -> Counter[str]:
    return Counter(str(r).split(":", 1)[0] for m in matches if m.status != "filled"
                   for r in m.reasons[:1])


def caiq(root: Path) -> None:
    from openpyxl import load_workbook

    folder = SHARED / "csa-caiq"
    completed = folder / "CAIQv4.0.3_WhitePact_completed.xlsx"
    blank = folder / "CAIQv4.0.3_STAR-Security-Questionnaire_Generated-at_2024-06-03.xlsx"
    seconds, new = harvested(completed, root)
    matches, answer_seconds = answered(blank, root)
    vendor = load_workbook(completed, data_only=True)["CAIQv4.0.3"]
    library = load_library(root).by_id()

    def own(match: Match) -> bool:
        if match.status != "filled" or match.best is None:
            return False
        entry = library[match.best.answer_id]
        r = match.row.row
        said = {"Yes": "Yes", "No": "No", "N/A": "NA"}.get(entry.short or "")
        return said == vendor[f"C{r}"].value and " ".join(entry.answer.split()) == " ".join(
            str(vendor[f"E{r}"].value).split())

    print(f"CAIQ v4 warm: harvest {seconds:.2f} s, {new} entries; answer {answer_seconds:.2f} s")
    for name, part in {"all": matches, **halves(matches)}.items():
        filled = [m for m in part if m.status == "filled"]
        right = sum(own(m) for m in filled)
        by_id = sum(1 for m in filled if m.best is not None and m.best.via == "id")
        print(f"  {name:>4}: {right}/{len(part)} rows re-filled with the vendor's own Yes/No and "
              f"text ({right / len(part):.1%}); {len(filled)} filled ({by_id} by id), "
              f"{len(filled) - right} filled otherwise; review by reason: "
              f"{dict(codes(part))}")


def _gold() -> dict[str, set[str]]:
    gold: dict[str, set[str]] = {}
    for name in ("gold_hecvat4_hecvat3.csv", "gold_hecvat4_hecvat3_extra.csv"):
        with (DATA / name).open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                if row["hecvat3_id"]:
                    gold.setdefault(row["hecvat4_id"], set()).add(row["hecvat3_id"])
    return gold


def hecvat(root: Path) -> None:
    folder = SHARED / "hecvat"
    seconds, new = harvested(folder / "HECVAT3_OpenDSA_20220830.xlsx", root)
    matches, answer_seconds = answered(folder / "HECVAT414.xlsx", root)
    library = load_library(root)
    refs = {a.id: set(a.refs.get("hecvat-v3", ())) for a in library.answers}
    harvested_ids = set().union(*refs.values())
    gold = _gold()
    print(f"HECVAT 3 -> 4.1.4: harvest {seconds:.2f} s, {new} entries; answer "
          f"{answer_seconds:.2f} s")
    for name, part in {"all": matches, **halves(matches)}.items():
        filled = [m for m in part if m.status == "filled" and m.best is not None]
        right = [m for m in filled if refs[m.best.answer_id]  # type: ignore[union-attr]
                 & gold.get(m.row.question_id or "", set())]
        answerable = [m for m in part if gold.get(m.row.question_id or "", set())
                      & harvested_ids]
        by_id = sum(1 for m in filled if m.best is not None and m.best.via == "id")
        precision = len(right) / len(filled) if filled else 0.0
        print(f"  {name:>4}: precision {len(right)}/{len(filled)} ({precision:.1%}); "
              f"answerable rows filled {len(right)}/{len(answerable)} "
              f"({len(right) / max(len(answerable), 1):.1%}); filled by id: {by_id}; "
              f"{len(part)} rows")
        if name == "all":
            for m in filled:
                if m not in right and m.best is not None:
                    print(f"        wrong: {m.row.question_id} -> {m.best.answer_id} "
                          f"(hecvat-v3 {', '.join(sorted(refs[m.best.answer_id]))})")


def main() -> int:
    if not SHARED.is_dir():
        print(f"skipped: {SHARED} not present")
        return 0
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        caiq(Path(a))
        hecvat(Path(b))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
