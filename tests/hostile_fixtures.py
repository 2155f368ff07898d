"""What the hostile-input tests share: how a refusal must look, and a one-entry library
whose entry an id row (S-1) and its own wording both reach."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

ENCRYPTION_LIBRARY = {
    "answers/security.yaml": """
        owner: security@example.com
        answers:
          - id: encryption-at-rest
            question: Is customer data encrypted at rest?
            aliases: [Do you run security control number 1?]  # an id needs agreeing words
            answer: Yes. AES-256 through AWS KMS on every data store.
            short: "Yes"
            refs: {custom: [S-1]}
        """,
}
ENCRYPTION_ANSWER = "Yes. AES-256 through AWS KMS on every data store."


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "<dir>"


def assert_refused(result: Any, code: int, *needles: str) -> str:
    """Exit ``code``, nothing on stdout, one line on stderr naming each of ``needles``."""
    assert result.exit_code == code, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert lines[0].startswith("qfill: error: "), lines[0]
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]
