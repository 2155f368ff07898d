"""The matcher: fills only when sure, and says why it held a row back.

Each guard is pinned with a concrete pair of questions that plain fuzzy scores confuse.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from qfill.library import load_library
from qfill.lint.ambiguity import near_twins
from qfill.matching import Match, Matcher, confidence_of, ref_key
from qfill.questionnaire import QuestionRow
from qfill.reasons import Reason, codes_of
from qfill.settings import load_settings

LIBRARY = """
    answers:
      - id: mfa-workforce
        question: Is multi-factor authentication required for all workforce access?
        answer: Yes. Every employee signs in through our identity provider with a second factor.
        short: "Yes"
      - id: mfa-customers
        question: Does the application support multi-factor authentication for customer users?
        answer: Yes. Customers can require TOTP or WebAuthn for all of their users.
        short: "Yes"
      - id: encryption-at-rest
        question: Is customer data encrypted at rest?
        answer: Yes. Databases and object storage are encrypted with AES-256.
        short: "Yes"
      - id: backup-frequency
        question: How often is customer data backed up?
        answer: Databases are backed up continuously with point-in-time recovery.
      - id: backup-restore-testing
        question: Do you regularly test restoring data from backups?
        answer: Yes. Restores are tested every quarter.
        short: "Yes"
      - id: unique-user-ids
        question: Are shared or generic user accounts prohibited?
        answer: Yes. Every person has their own named account.
        short: "Yes"
      - id: incident-response-plan
        question: Do you have a documented incident response plan?
        answer: Yes. It is reviewed every year.
        short: "Yes"
      - id: business-continuity-plan
        question: Does your organization have a documented business continuity plan?
        answer: Yes. Our business continuity plan covers the loss of an office or region.
        short: "Yes"
      - id: penetration-testing
        question: Are penetration tests performed annually by an independent firm?
        answer: Yes. An independent firm tests the platform every year.
        short: "Yes"
      - id: password-length
        question: Are workforce passwords at least 12 characters long?
        answer: Yes. Our identity provider enforces 12 characters or more.
        short: "Yes"
      - id: sso-customers
        question: Does the application support single sign-on for customer users?
        answer: Yes. SAML 2.0 and OpenID Connect are supported.
        short: "Yes"
      - id: secure-sdlc
        question: Do you follow a documented secure software development lifecycle?
        answer: Yes. Security requirements, threat modelling and review are part of it.
        short: "Yes"
        refs:
          caiq: [AIS-02.2]
"""


@pytest.fixture
def matcher(write_library: Callable[..., Path]) -> Matcher:
    root = write_library({"answers/security.yaml": LIBRARY})
    return Matcher(load_library(root), load_settings(root))


def match_one(matcher: Matcher, question: str, question_id: str | None = None,
              section: str | None = None) -> Match:
    row = QuestionRow("Security", 2, question, question_id, section)
    return matcher.match([row])[0]


def codes(match: Match) -> list[str]:
    return codes_of(match.reasons)


def texts(reasons: tuple[Reason, ...]) -> list[str]:
    return [str(r) for r in reasons]


# --------------------------------------------------------------------------- filling


def test_a_close_paraphrase_is_filled_with_the_right_answer(matcher: Matcher) -> None:
    match = match_one(matcher, "Is MFA required for all workforce access?")
    assert match.status == "filled"
    assert match.best is not None and match.best.answer_id == "mfa-workforce"
    assert match.reasons == ()


def test_an_unrelated_question_is_unanswered_with_a_reason(matcher: Matcher) -> None:
    match = match_one(matcher, "What is the maximum file upload size?")
    assert match.status == "unanswered"
    assert codes(match) == ["low-score"]


def test_acronyms_and_their_expansions_are_one_term(matcher: Matcher) -> None:
    # MFA / 2FA / two-factor all mean multi-factor authentication.
    for question in ("Do you enforce 2FA for your workforce?",
                     "Is two-factor authentication required for workforce access?"):
        assert matcher.search(question, 1)[0].answer_id == "mfa-workforce"
    # BCP means business continuity plan.
    assert matcher.search("Do you have a documented BCP?", 1)[0].answer_id == \
        "business-continuity-plan"
    assert matcher.search("Do you support SSO for customer users?", 1)[0].answer_id == \
        "sso-customers"


def test_boilerplate_does_not_outweigh_the_words_that_matter(matcher: Matcher) -> None:
    # "Does your organization have a documented ... plan?" is shared with the BCP entry;
    # "incident response" is what the question is about.
    found = matcher.search("Does your organization have a documented incident response plan?",
                           2)
    assert found[0].answer_id == "incident-response-plan"
    assert found[0].confidence > found[1].confidence


def test_british_spelling_matches_american(matcher: Matcher) -> None:
    found = matcher.search("Does your organisation have a documented business continuity plan?",
                           1)
    assert found[0].answer_id == "business-continuity-plan"


# --------------------------------------------------------------------------- guards


def test_negation_prohibit_vs_allow_goes_to_review(matcher: Matcher) -> None:
    match = match_one(matcher, "Do you allow shared or generic user accounts?")
    assert match.status == "review"
    assert match.best is not None and match.best.answer_id == "unique-user-ids"
    assert "negation: the question says 'allow', 'unique-user-ids' says 'prohibited'" in \
        texts(match.reasons)


def test_a_negated_question_goes_to_review(matcher: Matcher) -> None:
    match = match_one(matcher, "Is customer data not encrypted at rest?")
    assert match.status == "review"
    assert "negation" in codes(match)


def test_encrypted_at_rest_is_not_encrypted_in_transit(matcher: Matcher) -> None:
    match = match_one(matcher, "Is customer data encrypted in transit?")
    assert match.status != "filled"
    candidate = next(c for c in match.candidates if c.answer_id == "encryption-at-rest")
    assert "qualifier-mismatch: the question says 'in transit', 'encryption-at-rest' says " \
        "'at rest' (data state)" in texts(candidate.reasons)


def test_mfa_for_customers_is_not_mfa_for_the_workforce(matcher: Matcher) -> None:
    match = match_one(matcher, "Is multi-factor authentication required for all employees?")
    assert match.best is not None and match.best.answer_id == "mfa-workforce"
    customers = next(c for c in match.candidates if c.answer_id == "mfa-customers")
    assert "qualifier-mismatch: the question says 'employees', 'mfa-customers' says " \
        "'customer' (population)" in texts(customers.reasons)
    assert customers.confidence < match.best.confidence


def test_mfa_for_customers_only_in_library_is_held_back_for_staff(
        write_library: Callable[..., Path]) -> None:
    root = write_library({"answers/a.yaml": """
        answers:
          - id: mfa-customers
            question: Does the application support multi-factor authentication for customers?
            answer: Yes.
            short: "Yes"
    """})
    matcher = Matcher(load_library(root))
    match = match_one(matcher, "Does the application support multi-factor authentication "
                      "for employees?")
    assert match.status == "review"
    assert texts(match.reasons) == ["qualifier-mismatch: the question says 'employees', "
                                    "'mfa-customers' says 'customers' (population)"]


def test_backup_frequency_is_not_restore_testing(matcher: Matcher) -> None:
    assert matcher.search("How often do you back up customer data?", 1)[0].answer_id == \
        "backup-frequency"
    assert matcher.search("How often do you test restoring from backups?", 1)[0].answer_id == \
        "backup-restore-testing"


def test_a_different_frequency_goes_to_review(matcher: Matcher) -> None:
    match = match_one(matcher, "Are penetration tests performed quarterly by an independent "
                      "firm?")
    assert match.status == "review"
    assert "qualifier-mismatch: the question says 'quarterly', 'penetration-testing' says " \
        "'annually' (frequency)" in texts(match.reasons)


def test_a_different_number_goes_to_review(matcher: Matcher) -> None:
    match = match_one(matcher, "Are workforce passwords at least 8 characters long?")
    assert match.status == "review"
    assert "qualifier-mismatch: the question says 8, 'password-length' says 12 (number)" in \
        texts(match.reasons)


def test_a_frequency_only_the_answer_states_is_checked_too(matcher: Matcher) -> None:
    # The entry's question says "regularly"; its answer says every quarter.
    match = match_one(matcher, "Do you test restoring data from backups daily?")
    assert match.status == "review"
    assert "qualifier-mismatch: the question says 'daily', 'backup-restore-testing' does not " \
        "and its answer says 'every quarter' (frequency)" in texts(match.reasons)


def test_close_runner_up_goes_to_review(write_library: Callable[..., Path]) -> None:
    root = write_library({"answers/a.yaml": """
        answers:
          - id: logs-kept
            question: How long do you keep security logs?
            answer: One year.
          - id: logs-kept-again
            question: What is your log retention period?
            aliases: [How long do you keep security logs?]
            answer: Thirteen months.
    """})
    match = match_one(Matcher(load_library(root)), "How long do you keep security logs?")
    assert match.status == "review"
    assert codes(match) == ["close-runner-up"]


# --------------------------------------------------------------------------- ids, context


def test_an_id_in_refs_alone_never_fills_a_row_that_asks_something_else(
        matcher: Matcher) -> None:
    # CAIQ v3.0.1 really writes this id with a space.
    match = match_one(matcher, "Completely different words here", question_id="AIS- 02.2")
    assert match.status == "review"
    assert codes(match) == ["id-unsupported"]
    assert match.best is not None
    assert (match.best.answer_id, match.best.via) == ("secure-sdlc", "id")
    assert ref_key("ais- 02.2") == ref_key("AIS-02.2")


def test_library_synonyms_from_qfill_yaml_extend_the_thesaurus(
        write_library: Callable[..., Path]) -> None:
    root = write_library({
        "qfill.yaml": "synonyms:\n  sso: [okta login]\n",
        "answers/a.yaml": """
            answers:
              - id: sso-workforce
                question: Do employees use single sign-on for internal systems?
                answer: Yes.
              - id: vpn
                question: Do employees use a VPN for internal systems?
                answer: Yes.
        """})
    with_synonyms = Matcher(load_library(root), load_settings(root))
    assert with_synonyms.search("Do employees use Okta login for internal systems?", 1)[0] \
        .answer_id == "sso-workforce"


def test_section_is_a_tie_breaker(write_library: Callable[..., Path]) -> None:
    root = write_library({
        "answers/backup.yaml": """
            tags: [backup]
            answers:
              - id: backup-policy-review
                question: Is the policy reviewed annually?
                answer: Yes, the backup policy is.
        """,
        "answers/access.yaml": """
            tags: [access-control]
            answers:
              - id: access-policy-review
                question: Is the policy reviewed annually?
                answer: Yes, the access control policy is.
        """})
    matcher = Matcher(load_library(root))
    [first] = matcher.rank(["Is the policy reviewed annually?"], sections=["Backup"])
    assert first[0].answer_id == "backup-policy-review"
    [second] = matcher.rank(["Is the policy reviewed annually?"], sections=["Access Control"])
    assert second[0].answer_id == "access-policy-review"


# --------------------------------------------------------------------------- entry points


def test_rank_runs_the_library_against_itself(matcher: Matcher) -> None:
    texts = [a.question for a in matcher.library.answers]
    ranked = matcher.rank(texts)
    assert len(ranked) == len(texts)
    for answer, candidates in zip(matcher.library.answers, ranked, strict=True):
        assert candidates[0].answer_id == answer.id
        assert [c.confidence for c in candidates] == sorted(
            (c.confidence for c in candidates), reverse=True) or candidates[0].via == "id"


def test_match_reports_progress_in_chunks(matcher: Matcher) -> None:
    rows = [QuestionRow("S", n, "Is customer data encrypted at rest?") for n in range(250)]
    seen: list[int] = []
    matches = matcher.match(rows, progress=seen.append)
    assert len(matches) == 250
    assert seen == sorted(seen) and seen[-1] == 250 and len(seen) > 1


def test_search_returns_at_most_k_candidates_best_first(matcher: Matcher) -> None:
    found = matcher.search("encryption", 3)
    assert 1 <= len(found) <= 3
    assert found[0].answer_id == "encryption-at-rest"
    assert matcher.search("", 3) == []


TOPICS = ["firewall rules", "backup encryption", "antivirus software", "badge readers",
          "password hashing", "vendor contracts", "log retention", "key rotation",
          "privacy training"]


def _ref_library(write_library: Callable[..., Path]) -> Matcher:
    entries = "".join(f"""
      - id: topic-{n}
        question: Do you manage {topic}?
        answer: Yes.
        refs:
          hecvat: [TOP-0{n}]
""" for n, topic in enumerate(TOPICS))
    root = write_library({"answers/a.yaml": "answers:" + entries})
    return Matcher(load_library(root))


def test_ids_from_another_version_of_the_questionnaire_are_not_used(
        write_library: Callable[..., Path]) -> None:
    # The same ids, but each row asks about another entry's topic: the refs were
    # written for a different version that numbered its questions differently.
    matcher = _ref_library(write_library)
    rows = [QuestionRow("S", n + 2, f"Do you manage {TOPICS[(n + 1) % len(TOPICS)]}?",
                        f"TOP-0{n}") for n in range(len(TOPICS))]
    matches = matcher.match(rows)
    for n, match in enumerate(matches):
        assert match.best is not None and match.best.via == "text"
        assert match.best.answer_id == f"topic-{(n + 1) % len(TOPICS)}"


def test_ids_that_fit_the_questionnaire_are_trusted_even_for_odd_wording(
        write_library: Callable[..., Path]) -> None:
    matcher = _ref_library(write_library)
    rows = [QuestionRow("S", n + 2, f"Do you manage {topic}?", f"TOP-0{n}")
            for n, topic in enumerate(TOPICS)]
    rows[0] = QuestionRow("S", 2, "How do you manage " + TOPICS[0] + " at your company?",
                          "TOP-00")
    rows[1] = QuestionRow("S", 3, "Something worded quite differently", "TOP-01")
    matches = matcher.match(rows)
    assert all(m.best is not None and m.best.via == "id" for m in matches)
    assert [m.status for m in matches] == ["filled", "review", *["filled"] * (len(rows) - 2)]
    assert codes(matches[1]) == ["id-unsupported"]


def test_no_to_required_is_not_no_to_exists(write_library: Callable[..., Path]) -> None:
    root = write_library({"answers/a.yaml": """
        answers:
          - id: vpn-remote-access
            question: Is a VPN required for remote access to production?
            answer: No. Access goes through an identity-aware proxy instead.
            short: "No"
    """})
    match = match_one(Matcher(load_library(root)),
                      "Do you operate a VPN for remote access to production?")
    assert match.status == "review"
    assert texts(match.reasons) == ["qualifier-mismatch: 'vpn-remote-access' answers No to "
                                    "whether it is 'required', not to whether it exists"]


def test_kept_or_deleted_is_not_processed(write_library: Callable[..., Path]) -> None:
    root = write_library({"answers/a.yaml": """
        answers:
          - id: ai-data-retention
            question: Is customer data retained by the AI service after processing?
            answer: No. Prompts and outputs are discarded once a request completes.
            short: "No"
    """})
    match = match_one(Matcher(load_library(root)),
                      "Does the AI service do the processing of customer data?")
    assert match.status == "review"
    assert "qualifier-mismatch: 'ai-data-retention' asks whether data is 'retained'; the " \
        "question does not" in texts(match.reasons)


def test_near_duplicates_pairs_wordings_of_different_entries(
        write_library: Callable[..., Path]) -> None:
    root = write_library({"answers/a.yaml": """
    answers:
      - id: at-rest
        question: Is customer data encrypted at rest?
        answer: Yes.
      - id: storage-encryption
        question: Are disks and backups encrypted?
        aliases:
          - Is all customer data encrypted at rest?
        answer: Yes.
      - id: pen-test
        question: Do you run yearly penetration tests?
        aliases:
          - Do you run penetration tests every year?
        answer: Yes.
"""})
    matcher = Matcher(load_library(root), load_settings(root))
    [(first, second, dice)] = matcher.near_duplicates(0.7)
    assert (first, second) == ("Is customer data encrypted at rest?",
                               "Is all customer data encrypted at rest?")
    assert dice == pytest.approx(1.0)  # "all" is a function word
    assert matcher.near_duplicates(1.01) == []
    # Lint's ambiguity rule picks its phrasings, and each one's rival entries, with the
    # same join.
    assert near_twins(matcher.library, matcher.settings, 0.7) == {first: {1}, second: {0}}
    assert set(near_twins(matcher.library, matcher.settings, 0.5)) == {
        text for pair in matcher.near_duplicates(0.5) for text in pair[:2]}


def test_the_customers_own_name_weighs_as_boilerplate(matcher: Matcher) -> None:
    rows = [QuestionRow("S", i + 2, q) for i, q in enumerate([
        "Is Contoso data encrypted at rest in your databases?",
        "Must Contoso staff use multi-factor authentication for every workforce login?",
        "Can Contoso require multi-factor authentication for its own application users?",
        "How often is Contoso data backed up?",
        "Are restores from backup tested for Contoso?"])]
    assert matcher.questionnaire_boilerplate([r.question for r in rows]) == {"contoso"}
    # A generic word the questionnaire favours keeps its weight: only names are damped.
    assert matcher.questionnaire_boilerplate(
        ["Do you implement encryption?", "Do you implement MFA?", "Do you implement backups?",
         "Do you implement logging?"]) == frozenset()
    damped = matcher.score(rows[0].question, damped=frozenset({"contoso"}))[0]
    plain = matcher.score(rows[0].question)[0]
    assert matcher.library.answers[damped.entry].id == "encryption-at-rest"
    # The model's confidence, before the ranking lifts both to just under the threshold.
    assert confidence_of(damped.values) > confidence_of(plain.values)


def test_the_questions_telling_word_used_only_by_another_entry_goes_to_review(
        write_library: Callable[..., Path]) -> None:
    root = write_library({"answers/a.yaml": """
        answers:
          - id: office-security
            question: Are your offices physically secured with access control?
            answer: Yes. Badge readers on every door and CCTV at entrances.
            short: "Yes"
          - id: datacenter-security
            question: How is physical security ensured at the data centres?
            aliases: [Do data centres use biometric access control?]
            answer: AWS data centres use biometric scanners and guards.
          - id: office-locations
            question: Where are your offices?
            answer: London and Lisbon.
        """})
    matcher = Matcher(load_library(root))
    question = "Do your offices use biometric access control?"
    reasons = {matcher.library.answers[s.entry].id: s.reasons
               for s in matcher.score(question)}
    assert texts(reasons["office-security"]) == [
        "uncovered-term: 'office-security' never mentions 'biometric', the question's most "
        "telling word"]
    assert reasons["datacenter-security"] == ()
    assert match_one(matcher, question).status != "filled"


def test_words_tied_for_most_telling_the_entry_needs_one_of_them(
        write_library: Callable[..., Path]) -> None:
    # "offices" and "biometric" are each used by one entry: equally rare, equally telling.
    # No set order may pick one of them; an entry with either is not held for lacking the
    # other, and an entry with neither is held, naming the first in alphabetical order.
    root = write_library({"answers/a.yaml": """
        answers:
          - id: office-security
            question: Are your offices physically secured with access control?
            answer: Yes. Badge readers on every door.
          - id: datacenter-security
            question: Do data centres use biometric access control?
            answer: Yes. Scanners and guards.
          - id: access-reviews
            question: Are access control lists reviewed?
            answer: Quarterly.
        """})
    matcher = Matcher(load_library(root))
    weight = matcher.weights.weight
    assert weight("offic") == weight("biometr")
    reasons = {matcher.library.answers[s.entry].id: s.reasons
               for s in matcher.score("Do your offices use biometric access control?")}
    assert reasons["office-security"] == ()
    assert reasons["datacenter-security"] == ()
    assert texts(reasons["access-reviews"]) == [
        "uncovered-term: 'access-reviews' never mentions 'biometric', the question's most "
        "telling word"]


# --------------------------------------------------------------------------- pruning


def _scored(matcher: Matcher, question: str, section: str | None, needed: int | None,
            ) -> list[tuple[object, ...]]:
    return [(s.entry, s.phrasing, s.values, s.confidence, s.rank_key, s.reasons, s.via)
            for s in matcher.score(question, section, needed=needed)]


# Questions whose shortlists mix entries the guards hold back with entries they pass.
TRICKY = (
    "Is MFA required for all workforce access?",
    "Do you allow shared or generic user accounts?",
    "Is customer data encrypted in transit?",
    "Does the application support MFA for customer users?",
    "Are backups tested every month?",
    "Are workforce passwords at least 8 characters long?",
    "Do you lack a documented business continuity plan?",
    "Are penetration tests performed every year by an independent firm?",
    "How long do you keep backups?",
    "Do you have a documented incident response and business continuity plan?",
)


@pytest.mark.parametrize("needed", [1, 2])
def test_the_best_entries_are_the_same_when_hopeless_ones_skip_their_guards(
        matcher: Matcher, needed: int) -> None:
    skipped = 0
    for question in TRICKY:
        everything = _scored(matcher, question, None, None)
        best = _scored(matcher, question, None, needed)
        assert best[:needed] == everything[:needed], question
        skipped += len(everything) - len(best)
    assert skipped > 0  # some entries could not rank among the best and were left out


def test_skipping_guards_changes_no_ranking_on_real_questionnaires(
        shared_questionnaires: Path) -> None:
    """Every question of CAIQ v4 and HECVAT 4 against the sample library: the best three
    entries, their confidences, ranks and reasons are those of scoring every entry."""
    import csv

    root = Path(__file__).resolve().parent.parent
    matcher = Matcher(load_library(root), load_settings(root))
    checked = skipped = 0
    for name in ("csa-caiq/caiq_v4.0.3_questions.csv", "hecvat/hecvat_v4.1.4_questions.csv"):
        with (shared_questionnaires / name).open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                everything = _scored(matcher, row["question"], row["section"], None)
                best = _scored(matcher, row["question"], row["section"], 3)
                assert best[:3] == everything[:3], row["id"]
                checked += 1
                skipped += len(everything) - len(best)
    assert checked > 500
    assert skipped > checked  # the guards of more than one entry a row were skipped
