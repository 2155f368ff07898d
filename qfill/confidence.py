"""How a confidence is shown: two places, rounded down, the same in every output.

Rounded to nearest, a review row at 0.896 read "best match 0.90 is below 0.90". Rounded
down, a shown value never reaches a threshold that the value itself did not, so a message
comparing a confidence with a threshold reads true as printed.
"""

from __future__ import annotations

import math


def shown_confidence(value: float) -> float:
    """``value`` to two places, rounded down (the tiny epsilon keeps 0.29 from 0.28999...)."""
    return math.floor(value * 100.0 + 1e-9) / 100.0


def confidence_text(value: float) -> str:
    return f"{shown_confidence(value):.2f}"
