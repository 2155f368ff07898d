"""Ref schemes: which questionnaire's ids an entry's ``refs`` name.

Templates renumber between versions (HECVAT 4 reuses HECVAT 3 ids for other questions;
CAIQ v3 and v4 number controls differently), so an id means something only together with
the template version that gave it. A scheme naming a known template family with a version
(``caiq-v4``, ``hecvat-v3``) is *pinned*: its ids are matched only in a questionnaire
recognised as that template version. Any other scheme (``caiq``, ``hecvat``, ``sig``,
``soc2``, ``iso27001``, a team's own) is matched in every questionnaire, as refs always
were.
"""

from __future__ import annotations

import re

FAMILIES = ("caiq", "hecvat")
_PINNED = re.compile(r"^(?P<family>[a-z]+)-v(?P<version>\d+)$")
_TEMPLATE = re.compile(r"^(?P<family>[A-Za-z]+)\s+v?(?P<version>\d+)\b")


def scheme_for_template(template: str | None) -> str | None:
    """The pinned scheme of a recognised template ("CAIQ v4" -> "caiq-v4", "HECVAT 3" ->
    "hecvat-v3"); None when the template or its version is unknown, since an id without
    its version cannot be trusted elsewhere."""
    if not template:
        return None
    match = _TEMPLATE.match(template.strip())
    if match is None or match.group("family").lower() not in FAMILIES:
        return None
    return f"{match.group('family').lower()}-v{match.group('version')}"


def pinned(scheme: str) -> bool:
    """Whether ``scheme`` names a template version (its ids hold only there)."""
    match = _PINNED.match(scheme.strip().lower())
    return match is not None and match.group("family") in FAMILIES


def scheme_applies(scheme: str, template: str | None) -> bool:
    """Whether ids under ``scheme`` may be matched in a questionnaire of ``template``."""
    if not pinned(scheme):
        return True
    return scheme_for_template(template) == scheme.strip().lower()
