"""Generated questionnaires and answer libraries of realistic questions, for the timing
scripts (not a test fixture).

Random words make a poor timing corpus: every term is rare, so retrieval never meets a
long posting list and lint's expensive path never runs. Here every question is
*recombined* from real ones, at run time: the sample library's questions and aliases, and
the published questionnaires in ``../shared/questionnaires`` when that folder is beside
the repository (their text is read, never written into the repository). A generated
question is the opening of one real question joined at a word boundary to the rest of
another, so term frequencies, lengths and boilerplate are those of real questionnaires.

* :func:`generate_library` writes a library folder (answer files of 50 entries, each
  entry with 1-3 aliases, evidence, refs and review dates); with ``twins`` every other
  entry has a *near twin*, the same question with one word changed, the case that makes
  a naive similarity join quadratic.
* :func:`generate_workbook` writes an ``.xlsx`` questionnaire (ID, Question, a Yes/No
  dropdown, Comments): half the rows reword a library entry (a fresh opening), half are
  recombined questions the library may or may not answer.
"""

from __future__ import annotations

import csv
import random
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "questionnaires"
_SPACE = re.compile(r"\s+")


@lru_cache(maxsize=1)
def source_questions() -> tuple[str, ...]:
    """Real question texts: the sample library's phrasings, plus the published
    questionnaires' questions when ``../shared`` is present."""
    import yaml

    found: list[str] = []
    for path in sorted((REPO / "answers").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for entry in data.get("answers") or []:
            found.append(str(entry["question"]))
            found.extend(str(a) for a in entry.get("aliases") or [])
    if SHARED.is_dir():
        for path in sorted(SHARED.glob("*/*_questions.csv")):
            with path.open(encoding="utf-8", newline="") as handle:
                found.extend(row["question"] for row in csv.DictReader(handle)
                             if row.get("question"))
    clean = {_SPACE.sub(" ", q).strip() for q in found}
    return tuple(sorted(q for q in clean if 4 <= len(q.split()) <= 60))


def recombine(rng: random.Random, sources: Sequence[str]) -> str:
    """The opening of one real question, a run of words from a second and the ending of
    a third, joined at word boundaries."""
    head = rng.choice(sources).rstrip("?.").split()
    middle = rng.choice(sources).rstrip("?.").split()
    tail = rng.choice(sources).split()
    start = rng.randint(0, max(0, len(middle) - 3))
    words = (head[: rng.randint(2, min(5, len(head)))]
             + middle[start:start + rng.randint(3, 8)]
             + tail[-rng.randint(2, min(6, len(tail))):])
    text = " ".join(words)
    return text if text.endswith(("?", ".")) else text + "?"


def reopen(rng: random.Random, question: str, sources: Sequence[str]) -> str:
    """``question`` with its opening words replaced by another question's opening: the
    same ask in a questionnaire's house style."""
    words = question.split()
    keep = rng.randint(2, min(4, max(2, len(words) - 2)))
    opening = rng.choice(sources).split()[: rng.randint(2, 4)]
    return " ".join(opening + words[keep:])


def _twin(rng: random.Random, question: str, sources: Sequence[str]) -> str:
    """``question`` with one word replaced by a word of another question."""
    words = question.rstrip("?.").split()
    donor = rng.choice(sources).rstrip("?.").split()
    words[rng.randrange(len(words))] = rng.choice(donor)
    return " ".join(words) + "?"


def library_questions(entries: int, *, twins: bool = False, seed: int = 7
                      ) -> list[tuple[str, list[str]]]:
    """``entries`` (question, aliases) pairs; with ``twins`` every odd entry is a near
    twin of the one before it."""
    rng = random.Random(seed)
    sources = source_questions()
    out: list[tuple[str, list[str]]] = []
    seen: set[str] = set()
    while len(out) < entries:
        if twins and len(out) % 2 == 1:
            question = _twin(rng, out[-1][0], sources)
        else:
            question = recombine(rng, sources)
        if question in seen:
            continue
        seen.add(question)
        aliases = [reopen(rng, question, sources) for _ in range(rng.randint(1, 3))]
        out.append((question, [a for a in dict.fromkeys(aliases) if a != question]))
    return out


def _yaml_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def generate_library(root: Path, entries: int, *, twins: bool = False, seed: int = 7) -> Path:
    """Write a library of ``entries`` answers under ``root`` (created); return ``root``."""
    rng = random.Random(seed + 1)
    questions = library_questions(entries, twins=twins, seed=seed)
    (root / "answers").mkdir(parents=True, exist_ok=True)
    (root / "evidence" / "policies").mkdir(parents=True, exist_ok=True)
    for i in range(20):
        (root / "evidence" / "policies" / f"policy-{i}.md").write_text(f"# Policy {i}\n")
    (root / "qfill.yaml").write_text("version: 1\n")
    per_file = 50
    for start in range(0, entries, per_file):
        lines = [f"owner: team-{start // per_file}@example.com", "answers:"]
        for k in range(start, min(start + per_file, entries)):
            question, aliases = questions[k]
            short = rng.choice(("Yes", "Yes", "No", "N/A"))
            opening = {"Yes": "Yes", "No": "No", "N/A": "Not applicable"}[short]
            body = rng.choice(questions)[0].rstrip("?.")
            lines += [f"  - id: entry-{k:05d}", f"    question: {_yaml_text(question)}",
                      "    aliases:"]
            lines += [f"      - {_yaml_text(a)}" for a in aliases] or ["      []"]
            lines += [
                f"    answer: {_yaml_text(f'{opening}. {body}, as our policy requires.')}",
                f'    short: "{short}"',
                "    evidence:",
                f"      - evidence/policies/policy-{k % 20}.md",
                "    refs:",
                f"      caiq: [GEN-{k:05d}]",
                f"    reviewed: 2026-{1 + k % 12:02d}-01",
            ]
        name = root / "answers" / f"area-{start // per_file:04d}.yaml"
        name.write_text("\n".join(lines).replace("aliases:\n      []", "aliases: []") + "\n",
                        encoding="utf-8")
    return root


def workbook_questions(rows: int, entries: int, *, twins: bool = False, seed: int = 7
                       ) -> list[str]:
    """Question texts for a questionnaire against the library of the same ``seed``."""
    rng = random.Random(seed + 2)
    sources = source_questions()
    library = library_questions(entries, twins=twins, seed=seed)
    out = []
    for _ in range(rows):
        if rng.random() < 0.5:
            out.append(reopen(rng, rng.choice(library)[0], sources))
        else:
            out.append(recombine(rng, sources))
    return out


def generate_workbook(path: Path, rows: int, entries: int, *, twins: bool = False,
                      seed: int = 7) -> Path:
    """Write an ``.xlsx`` questionnaire of ``rows`` question rows to ``path``.

    Shaped like the questionnaires customers send: an instructions sheet, then a title
    block above the header; per row an id, the domain, the question, the guidance a
    vendor is given (two or three sentences), a Yes/No dropdown, a comments cell, and
    wrapped, bordered cells.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.worksheet.datavalidation import DataValidation

    rng = random.Random(seed + 3)
    sources = source_questions()
    wb = Workbook()
    cover = wb.active
    cover.title = "Instructions"
    cover["A1"] = "Vendor security assessment"
    cover["A1"].font = Font(bold=True, size=14)
    for n, line in enumerate(rng.sample(sources, 12), start=3):
        cover.cell(n, 1, line)
    ws = wb.create_sheet("Security Questions")
    ws["A1"] = "Vendor security assessment"
    ws["A1"].font = Font(bold=True, size=14)
    ws["A2"] = "Answer every question; explain any 'No' in the comments."
    ws.append([])
    ws.append(["ID", "Domain", "Question", "Guidance", "Response", "Comments"])
    head = PatternFill("solid", fgColor="1F4E78")
    for cell in ws[4]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = head
    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap = Alignment(wrap_text=True, vertical="top")
    questions = workbook_questions(rows, entries, twins=twins, seed=seed)
    for n, question in enumerate(questions):
        guidance = " ".join(rng.choice(sources) for _ in range(rng.randint(2, 3)))
        ws.append([f"Q-{n + 1:05d}", f"Domain {1 + n // 50}", question, guidance, None,
                   None])
        for cell in ws[ws.max_row]:
            cell.border = border
            cell.alignment = wrap
    for column, width in zip("ABCDEF", (10, 14, 60, 60, 12, 40), strict=True):
        ws.column_dimensions[column].width = width
    dropdown = DataValidation(type="list", formula1='"Yes,No,N/A"', allow_blank=True)
    dropdown.add(f"E5:E{rows + 4}")
    ws.add_data_validation(dropdown)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path
