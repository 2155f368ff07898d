"""qfill.yaml: defaults in one place, unknown keys refused with a hint."""

from __future__ import annotations

import pytest

from qfill.errors import SettingsError
from qfill.settings import MatchSettings, load_settings, parse_settings


def test_defaults_when_absent(tmp_path) -> None:
    assert load_settings(tmp_path).matching == MatchSettings()


def test_reads_thresholds_synonyms_and_lint() -> None:
    settings = parse_settings(b"version: 1\nmatching:\n  fill_threshold: 0.9\n"
                              b"synonyms:\n  mfa: [two-step login]\n"
                              b"lint:\n  rules: {stale-answer: error}\n  required: [owner]\n")
    assert settings.matching.fill_threshold == 0.9
    assert settings.synonyms == {"mfa": ("two-step login",)}
    assert settings.lint.rules == {"stale-answer": "error"}
    assert settings.lint.required == ("owner",)


@pytest.mark.parametrize(("text", "message"), [
    (b"matchng: {}\n", "qfill.yaml:1:1: unknown key 'matchng' in qfill.yaml; did you mean "
                       "'matching'?"),
    (b"matching:\n  fill_threshold: 2\n", "qfill.yaml:2:19: matching.fill_threshold must be "
                                          "a number from 0 to 1"),
    (b"lint:\n  rules: {stale-answer: loud}\n", "qfill.yaml:2:25: lint.rules.stale-answer "
                                                "must be off, warning or error"),
    (b"a: [\n", "qfill.yaml:2:1: YAML syntax error"),
])
def test_invalid_settings_are_one_line_errors(text: bytes, message: str) -> None:
    with pytest.raises(SettingsError) as caught:
        parse_settings(text)
    assert str(caught.value).startswith(message)


def test_a_flag_over_qfill_yaml_replaces_one_setting_and_keeps_the_rest() -> None:
    settings = parse_settings(b"matching:\n  review_threshold: 0.3\n  margin: 0.1\n")
    on = settings.with_matching(semantic=True)
    assert on.matching == MatchSettings(review_threshold=0.3, margin=0.1, semantic=True)
    assert settings.matching.semantic is False  # the original is untouched
    # A fill threshold below the review threshold brings it down: such a row is reviewed,
    # not left unanswered; a higher one leaves it alone.
    assert settings.with_matching(fill_threshold=0.25).matching.review_threshold == 0.25
    assert settings.with_matching(fill_threshold=0.95).matching.review_threshold == 0.3
