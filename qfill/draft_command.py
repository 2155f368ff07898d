"""Drafts from another program (a local model, a script), verified before anyone sees them.

``evidence.draft_command`` in ``qfill.yaml`` names the program. For each question qfill
runs it (no shell; working folder: the library root) with this JSON on stdin::

    {"version": 1, "question": "...",
     "passages": [{"id": "P1", "path": "evidence/...", "title": "...",
                   "headings": ["..."], "location": "page 2", "text": "..."}]}

and reads from stdout::

    {"sentences": [{"text": "...", "cites": ["P1"]}], "short": "Yes" | "No" | "N/A" | null}

Every sentence must cite passages by their ``id``. What comes back is only a claim: the
draft is checked by :func:`qfill.draft_verification.verify_draft` like any other, and
refused, sentence named, when a sentence is not supported by what it cites.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from qfill.drafts import Draft, DraftSentence
from qfill.errors import QfillError
from qfill.library import SHORT_VALUES, Short
from qfill.passage_ranking import RankedPassage

PROTOCOL_VERSION = 1
MAX_OUTPUT_BYTES = 1024 * 1024


class DraftCommandError(QfillError):
    """The draft command failed, timed out, or answered something that is not a draft."""


def draft_request(question: str, ranked: Sequence[RankedPassage]) -> dict[str, Any]:
    return {"version": PROTOCOL_VERSION, "question": question, "passages": [
        {"id": f"P{n}", "path": r.passage.path, "title": r.passage.title,
         "headings": list(r.passage.headings), "location": r.passage.location,
         "text": r.passage.text}
        for n, r in enumerate(ranked, start=1)]}


def run_draft_command(command: Sequence[str], question: str, ranked: Sequence[RankedPassage],
                      *, cwd: Path, timeout: float) -> Draft:
    """Ask ``command`` for a draft; raise :class:`DraftCommandError` on any failure."""
    name = command[0] if command else "draft command"
    payload = json.dumps(draft_request(question, ranked), ensure_ascii=False).encode("utf-8")
    try:
        done = subprocess.run(list(command), input=payload, capture_output=True, cwd=cwd,
                              timeout=timeout, check=False)
    except FileNotFoundError:
        raise DraftCommandError(f"evidence.draft_command: {name} not found; install it or "
                                "fix the path in qfill.yaml") from None
    except subprocess.TimeoutExpired:
        raise DraftCommandError(f"evidence.draft_command: {name} took more than {timeout:g} s;"
                                " raise evidence.draft_timeout or make it faster") from None
    except OSError as e:
        raise DraftCommandError(f"evidence.draft_command: cannot run {name} "
                                f"({e.strerror})") from None
    if done.returncode != 0:
        last = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
        raise DraftCommandError(f"evidence.draft_command: {name} exited with "
                                f"{done.returncode}" + (f": {last[0][:200]}" if last[0] else ""))
    if len(done.stdout) > MAX_OUTPUT_BYTES:
        raise DraftCommandError(f"evidence.draft_command: {name} wrote more than "
                                f"{MAX_OUTPUT_BYTES} bytes")
    return parse_draft_reply(done.stdout, ranked, name)


def parse_draft_reply(data: bytes, ranked: Sequence[RankedPassage], name: str) -> Draft:
    """The command's reply as a :class:`Draft` citing the passages it was given."""
    try:
        reply = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise DraftCommandError(f"evidence.draft_command: {name} did not print JSON; see the "
                                "protocol in the README") from None
    if not isinstance(reply, dict) or not isinstance(reply.get("sentences"), list):
        raise DraftCommandError(f"evidence.draft_command: {name} printed no 'sentences' list")
    by_id = {f"P{n}": r.passage for n, r in enumerate(ranked, start=1)}
    sentences: list[DraftSentence] = []
    for item in reply["sentences"]:
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            raise DraftCommandError(f"evidence.draft_command: {name}: each sentence needs "
                                    "'text' and 'cites'")
        cites = item.get("cites")
        cited = cites if isinstance(cites, list) else []
        unknown = [c for c in cited if c not in by_id]
        if unknown:
            raise DraftCommandError(f"evidence.draft_command: {name} cites {unknown[0]!r}, "
                                    "which is not one of the passages it was given")
        sentences.append(DraftSentence(item["text"], tuple(by_id[c] for c in cited)))
    short = reply.get("short")
    chosen: Short | None = next((s for s in SHORT_VALUES if s == short), None)
    return Draft(tuple(sentences), chosen, "command")
