"""Question text as terms: what normalisation, the thesaurus and term weights promise."""

from __future__ import annotations

from pathlib import Path

import pytest

from qfill.terms import Analyzer, TermWeights, load_thesaurus, shared_analyzer, stem


@pytest.fixture(scope="module")
def analyze() -> Analyzer:
    return Analyzer(load_thesaurus())


def test_porter_stems_join_inflections_but_not_different_concepts() -> None:
    assert stem("encrypted") == stem("encryption") == stem("encrypting")
    assert stem("policies") == stem("policy")
    assert stem("accessibility") != stem("access")
    assert stem("generic") != stem("generate")
    assert stem("27001") == "27001"


@pytest.mark.parametrize(("one", "other"), [
    ("Do you enforce MFA?", "Do you enforce multi-factor authentication?"),
    ("Do you enforce 2FA?", "Do you enforce two-factor authentication?"),
    ("Do you have a BCP?", "Do you have a business continuity plan?"),
    ("Is there a DR plan?", "Is there a disaster recovery plan?"),
    ("What are your RTO targets?", "What are your recovery time objective targets?"),
    ("Do you follow an SDLC?", "Do you follow a secure development lifecycle?"),
    ("Is EDR deployed?", "Is endpoint detection and response deployed?"),
    ("Do you use a SIEM?", "Do you use security information and event management?"),
    ("Do you use DLP?", "Do you use data loss prevention?"),
    ("Is a WAF in place?", "Is a web application firewall in place?"),
    ("Do you support SSO?", "Do you support single sign-on?"),
    ("Does your organisation encrypt data?", "Does your organization encrypt data?"),
    ("Are logs kept for seven years?", "Are logs kept for 7 years?"),
    # wording real questionnaires use for the same thing
    ("Are policies reviewed and updated annually?",
     "Are policies revisited and brought up to date once a year?"),
    ("What is the telephone number of your security team?",
     "What is the phone number of your security team?"),
    ("Have you appointed a privacy officer?", "Have you designated a data protection officer?"),
    ("Is the sub-processing of personal data controlled?",
     "Is the subprocessing of personal data controlled?"),
    ("Are audit records protected?", "Are audit logs protected?"),
    ("Is BYOK supported?", "Are customer-managed keys supported?"),
    ("Do you support data subject requests?", "Do you support DSARs?"),
    ("Are backups stored off-site?", "Are backups stored at a secondary site?"),
    ("Do you run phishing simulations?", "Do you run phishing campaigns?"),
    ("Is the SOC staffed 24 hours a day, seven days a week?", "Is the SOC staffed 24x7?"),
    ("Can AI features be turned off?", "Can AI features be disabled?"),
])
def test_variants_analyse_to_the_same_terms(analyze: Analyzer, one: str, other: str) -> None:
    assert analyze(one).terms == analyze(other).terms


def test_qualifiers_become_single_terms(analyze: Analyzer) -> None:
    assert "at_rest" in analyze("Is data encrypted at rest?").terms
    assert "in_transit" in analyze("Is data encrypted in transit?").terms
    assert "annual" in analyze("Is it tested once a year?").terms
    assert "quarterly" in analyze("Is it tested every three months?").terms


def test_negators_are_counted_but_neutral_phrases_are_not(analyze: Analyzer) -> None:
    assert analyze("Is data not encrypted?").negators == 1
    assert analyze("Don't you encrypt data?").negators == 1
    assert analyze("Include all systems, including but not limited to servers.").negators == 0
    assert analyze("If not, why not?").negators == 0
    assert analyze("Is access removed when a person no longer needs it?").negators == 0


def test_numbers_are_kept_for_the_guards(analyze: Analyzer) -> None:
    assert analyze("Is TLS 1.2 or higher required with 12-character passwords?").numbers == \
        frozenset({"1.2", "12"})
    assert analyze("Do you hold a SOC 2 report?").numbers == frozenset()  # soc2 is a term
    # "within 24 hours" is a deadline, not round-the-clock cover
    assert analyze("Will you notify us within 24 hours?").numbers == frozenset({"24"})


def test_library_synonyms_extend_and_override_the_thesaurus() -> None:
    analyze = Analyzer(load_thesaurus({"sso": ["okta login"], "customer": ["member"]}))
    assert analyze("Do staff use Okta login?").terms == analyze("Do staff use SSO?").terms
    assert analyze("Can members export data?").terms == \
        analyze("Can customers export data?").terms


def test_rare_terms_weigh_more_than_common_and_boilerplate_ones() -> None:
    weights = TermWeights.learn([{"waf", "policy"}, {"policy", "backup"},
                                 {"policy", "organ"}, {"policy", "log"}])
    assert weights.weight("waf") > weights.weight("policy")
    assert weights.weight("organ") < weights.weight("backup")  # "organization" is boilerplate
    assert 0 < weights.weight("never-seen") < weights.weight("waf")


def test_one_analyzer_is_shared_per_thesaurus() -> None:
    assert shared_analyzer() is shared_analyzer({})
    assert shared_analyzer({"sso": ("okta login",)}) is shared_analyzer({"sso": ["okta login"]})
    assert shared_analyzer({"sso": ("okta login",)}) is not shared_analyzer()
    text = "Do staff use Okta login?"
    assert "sso" in shared_analyzer({"sso": ("okta login",)})(text).terms
    assert "sso" not in shared_analyzer()(text).terms


def test_a_tabletop_exercise_is_still_a_test(analyze: Analyzer) -> None:
    assert analyze("Do you run tabletop exercises?").terms[-1] == \
        analyze("Is the plan tested?").terms[-1]


def test_the_shipped_thesaurus_reads_the_same_with_libyaml_as_without() -> None:
    import yaml

    from qfill.terms import shipped_thesaurus_data

    text = (Path(__file__).resolve().parent.parent / "qfill" / "data" /
            "thesaurus.yaml").read_text(encoding="utf-8")
    assert shipped_thesaurus_data() == yaml.load(text, Loader=yaml.SafeLoader)
    assert shipped_thesaurus_data()["synonyms"]
