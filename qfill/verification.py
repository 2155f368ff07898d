"""Verification before writing (placeholder until the full checks land)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from qfill.library import Library
from qfill.matching import Match


def verify_matches(matches: Sequence[Match], library: Library, *, today: date) -> list[Match]:
    return list(matches)
