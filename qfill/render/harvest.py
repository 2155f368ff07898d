"""The harvest report: what became entries, aliases and conflicts, and what was set aside.

Plain text for a person at a terminal (or a pull-request description), JSON for scripts.
Every skipped or flagged row is listed under its kind with its source row.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from qfill.harvest.harvesting import HarvestResult, kind_meaning
from qfill.harvest.hygiene import KINDS, Note


def _relative(result: HarvestResult, path: Any) -> str:
    try:
        return str(path.relative_to(result.root).as_posix())
    except ValueError:
        return str(path)


def render_text(result: HarvestResult, lint: Sequence[Note] = (), *, dry_run: bool = False
                ) -> str:
    """The report a person reads after a harvest (or before one, with ``dry_run``)."""
    verb = "would add" if dry_run else "added"
    lines = [f"harvest: {len(result.files)} file(s), {result.rows_read} question rows read"]
    for name, template in zip(result.files, result.templates, strict=True):
        lines.append(f"  {name}: {template or 'layout detected'}")
    skipped = result.skipped()
    lines += [
        "",
        f"  new entries    {len(result.new):>5}  ({verb} to "
        f"{_relative(result, result.into)})",
        f"  new aliases    {sum(len(a.texts) for a in result.aliases):>5}  "
        f"(on {len(result.aliases)} existing entries)",
        f"  conflicts      {len(result.conflicts):>5}",
        f"  already known  {result.known:>5}",
        f"  rows skipped   {sum(skipped.values()):>5}"
        + (f"  ({', '.join(f'{k} {n}' for k, n in sorted(skipped.items()))})" if skipped
           else ""),
    ]
    if not result.edits:
        lines.append("  no file changes")
    else:
        for path in result.edits:
            lines.append(f"  {'would change' if dry_run else 'changed'} "
                         f"{_relative(result, path)}")
    if dry_run and result.new:
        lines += ["", "new entries:"]
        lines += [f"  {d.id}  <- {d.sources[0]}" + (f" (+{len(d.sources) - 1})"
                                                   if len(d.sources) > 1 else "")
                  for d in result.new]
    if result.aliases:
        lines += ["", "aliases:"]
        for add in result.aliases:
            what = f"{len(add.texts)} alias(es)" if add.texts else "nothing new"
            product = f", now also for {add.product}" if add.product else ""
            lines.append(f"  {add.entry.id} ({add.entry.source}): {what}{product} <- "
                         f"{add.draft.sources[0]}")
    if result.conflicts:
        lines += ["", "conflicts (not merged; settle each by hand):"]
        for c in result.conflicts:
            lines += [f"  {'; '.join(c.draft.sources[:3])}",
                      f"    question:  {c.draft.question}",
                      f"    library:   {c.entry.id} ({c.entry.source}): "
                      f"{_answer(c.entry.short, c.entry.answer)}",
                      f"    harvested: {_answer(c.draft.short, c.draft.answer)}"]
    notes = [n for n in result.notes if n.kind != "conflict"]
    for kind in KINDS:
        group = [n for n in [*notes, *lint] if n.kind == kind]
        if not group:
            continue
        lines += ["", f"{kind} ({len(group)}): {kind_meaning(kind)}"]
        lines += [f"  {where}: {message}" for where, message in _grouped(group)]
    return "\n".join(lines) + "\n"


def _grouped(notes: Sequence[Note]) -> list[tuple[str, str]]:
    """Notes with one message on rows of one sheet shown once, rows as ranges (3-7, 9)."""
    order: list[tuple[str, str]] = []
    rows: dict[tuple[str, str], list[int]] = {}
    for note in notes:
        if note.place and note.row:
            key = (note.place, note.message)
            if key not in rows:
                order.append(key)
                rows[key] = []
            rows[key].append(note.row)
        else:
            order.append((note.where, note.message))
    result: list[tuple[str, str]] = []
    for key in order:
        if key in rows:
            numbers = rows[key]
            label = "row" if len(numbers) == 1 else "rows"
            result.append((f"{key[0]} {label} {_ranges(numbers)}", key[1]))
        else:
            result.append(key)
    return result


def _ranges(numbers: Sequence[int]) -> str:
    parts: list[str] = []
    ordered = sorted(set(numbers))
    start = previous = ordered[0]
    for n in [*ordered[1:], None]:
        if n is not None and n == previous + 1:
            previous = n
            continue
        parts.append(str(start) if start == previous else f"{start}-{previous}")
        if n is not None:
            start = previous = n
    return ", ".join(parts)


def _answer(short: str | None, text: str) -> str:
    flat = " ".join(text.split())
    flat = flat if len(flat) <= 120 else flat[:117] + "..."
    return f"[{short}] {flat}" if short and flat != short else flat


def render_json(result: HarvestResult, lint: Sequence[Note] = (), *, dry_run: bool = False
                ) -> str:
    """The same for scripts: counts, entries, aliases, conflicts and every note."""
    data: dict[str, Any] = {
        "version": 1,
        "dry_run": dry_run,
        "files": [{"file": f, "template": t}
                  for f, t in zip(result.files, result.templates, strict=True)],
        "summary": {"rows": result.rows_read, "new": len(result.new),
                    "aliases": sum(len(a.texts) for a in result.aliases),
                    "conflicts": len(result.conflicts), "known": result.known,
                    "skipped": dict(sorted(result.skipped().items()))},
        "into": _relative(result, result.into),
        "changed": [_relative(result, p) for p in result.edits],
        "new": [{"id": d.id, "question": d.question, "short": d.short,
                 "source": d.sources} for d in result.new],
        "aliases": [{"id": a.entry.id, "file": a.entry.source, "aliases": list(a.texts),
                     "product": a.product, "source": a.draft.sources}
                    for a in result.aliases],
        "conflicts": [c.to_dict() for c in result.conflicts],
        "notes": [n.to_dict() for n in [*result.notes, *lint]],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
