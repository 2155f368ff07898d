"""Guards between questionnaire families: qualifiers that matter, scope that does not.

Each case is a pair of wordings met between questionnaire versions (HECVAT 3 and 4, CAIQ):
the question a row asks and a library entry's wording, with what the guards must say.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.worksheet.datavalidation import DataValidation

from qfill.guards import check, read_section
from qfill.library import load_library
from qfill.matching import Match, Matcher
from qfill.questionnaire import FileFormat, Questionnaire, QuestionRow, TargetCell
from qfill.review import plan_decisions, read_decisions
from qfill.terms import shared_analyzer, stem

analyze = shared_analyzer()
REPO = Path(__file__).resolve().parent.parent


def reasons(question: str, entry: str, *, answer: str | None = None,
            short: str | None = None) -> list[str]:
    found = check(analyze(question), analyze(entry), "entry",
                  answer=analyze(answer) if answer is not None else None,
                  main=analyze(entry), short=short)
    return [str(r) for r in found]


# ------------------------------------------------------------------ subject qualifiers


@pytest.mark.parametrize(("question", "entry", "said"), [
    ("Is privacy awareness training mandatory for all employees?",
     "Is security awareness training mandatory for all employees?",
     "the question says 'privacy', 'entry' says 'security' (subject)"),
    ("Are privacy principles designed into the product lifecycle (i.e., privacy-by-design)?",
     "Are information security principles designed into the product lifecycle?",
     "the question says 'privacy', 'entry' says 'security' (subject)"),
    ("Do you have policy and procedure, currently implemented, guiding how privacy risks are "
     "mitigated until they can be resolved?",
     "Do you have policy and procedure, currently implemented, guiding how security risks "
     "are mitigated until patches can be applied?",
     "the question says 'privacy', 'entry' says 'security' (subject)"),
    ("Do you have documented processes and procedures for implementing accessibility into "
     "your development lifecycle?",
     "Do you follow a documented secure software development lifecycle?",
     "the question says 'accessibility', 'entry' says 'secure' (subject)"),
    ("Is AI safety testing performed before release?",
     "Is AI security testing performed before release?",
     "the question says 'safety', 'entry' says 'security' (subject)"),
])
def test_security_privacy_safety_and_accessibility_are_different_subjects(
        question: str, entry: str, said: str) -> None:
    assert f"qualifier-mismatch: {said}" in reasons(question, entry)


def test_a_subject_both_sides_name_is_no_mismatch() -> None:
    assert reasons("Is security and privacy awareness training mandatory?",
                   "Is security awareness training mandatory for all employees?") == []
    # A side that names no subject says nothing against one.
    assert reasons("Is privacy awareness training mandatory for all employees?",
                   "Is awareness training mandatory for all employees?") == []


def test_accessibility_is_not_access() -> None:
    assert stem("accessibility") != stem("access")
    assert stem("accessible") != stem("access")


@pytest.mark.parametrize(("question", "entry", "said"), [
    ("Do contractors sign a confidentiality agreement?",
     "Do employees sign a confidentiality agreement?",
     "the question says 'contractors', 'entry' says 'employees' (population)"),
    ("Do your vendors sign a confidentiality agreement?",
     "Do employees sign a confidentiality agreement?",
     "the question says 'vendors', 'entry' says 'employees' (population)"),
    ("Is MFA required for customer accounts?", "Is MFA required for employees?",
     "the question says 'customer', 'entry' says 'employees' (population)"),
    ("Is production data used in test environments?", "Is production data used in production?",
     "the question says 'test environments', 'entry' says 'production' (environment)"),
    ("Do you have a documented incident response policy?",
     "Do you have documented incident response procedures?",
     "the question says 'policy', 'entry' says 'procedures' (document)"),
    ("Is the access review process audited?", "Is there training on the access review process?",
     "the question says 'audited', 'entry' says 'training' (document)"),
])
def test_whose_where_and_what_kind_of_document_are_qualifiers(question: str, entry: str,
                                                              said: str) -> None:
    assert f"qualifier-mismatch: {said}" in reasons(question, entry)


def test_the_whole_workforce_covers_employees_and_contractors() -> None:
    assert reasons("Do contractors sign a confidentiality agreement?",
                   "Does all staff sign a confidentiality agreement?") == []
    assert reasons("Do employees sign a confidentiality agreement?",
                   "Do employees and contractors sign a confidentiality agreement?") == []


def test_audit_logs_are_not_an_audit() -> None:
    assert reasons("Are audit logs kept for a year?", "Is there a policy on log retention?") == []


# ------------------------------------------------------------------ whose a section is about

# HECVAT 4's consulting section asks about the vendor's consultants in questions that name
# no one; a library entry about customers restricting their own tenant does not answer it.
IP_QUESTION = "Can access be restricted based on source IP address?"
TENANT_IP = """
    answers:
      - id: tenant-ip-allowlist
        question: Can customers restrict access to their tenant by source IP address?
        refs: {hecvat: [CONS-04]}
        answer: Yes. Tenant administrators can allow sign-in only from listed IP ranges.
        short: "Yes"
"""
CONSULTING_SAYS = ("qualifier-mismatch: the section says 'Consulting Services', "
                   "'tenant-ip-allowlist' says 'customers' (population)")


def _row(question: str, section: str, question_id: str | None = None) -> QuestionRow:
    return QuestionRow("Consulting", 5, question, question_id, section, "B5", (
        TargetCell("short", "C5", choices=("Yes", "No")), TargetCell("answer", "D5")))


def _match(write_library: Callable[..., Path], row: QuestionRow) -> Match:
    [match] = Matcher(load_library(write_library({"answers/a.yaml": TENANT_IP}))).match([row])
    return match


def test_a_section_about_consultants_holds_an_entry_about_customers(
        write_library: Callable[..., Path]) -> None:
    held = _match(write_library, _row(IP_QUESTION, "Consulting Services"))
    assert held.status == "review"
    assert [str(r) for r in held.reasons] == [CONSULTING_SAYS]
    # Held, not hidden: the entry is still the suggestion a reviewer sees first.
    assert held.best is not None and held.best.answer_id == "tenant-ip-allowlist"
    # The same question where the section names no one is filled from the same entry.
    free = _match(write_library, _row(IP_QUESTION, "Access Control"))
    assert (free.status, free.reasons) == ("filled", ())
    assert held.confidence < free.confidence


def test_a_section_holds_a_match_by_id_too(write_library: Callable[..., Path]) -> None:
    held = _match(write_library, _row(IP_QUESTION, "Consulting Services", "CONS-04"))
    assert held.best is not None and held.best.via == "id"
    assert held.status == "review"
    assert [str(r) for r in held.reasons] == [CONSULTING_SAYS]
    free = _match(write_library, _row(IP_QUESTION, "Access Control", "CONS-04"))
    assert (free.status, free.reasons) == ("filled", ())


def test_a_persons_decision_meets_the_same_section_guard(
        write_library: Callable[..., Path], tmp_path: Path) -> None:
    library = load_library(write_library({"answers/a.yaml": TENANT_IP}))
    review = tmp_path / "review.csv"
    review.write_text("sheet,row,decision,suggestion\n"
                      "Consulting,5,accept,tenant-ip-allowlist\n",
                      encoding="utf-8")
    problems: dict[str, list[str]] = {}
    for section in ("Consulting Services", "Access Control"):
        questionnaire = Questionnaire(Path("q.filled.xlsx"), FileFormat.XLSX,
                                      (_row(IP_QUESTION, section),))
        plan, [applied] = plan_decisions(read_decisions(review), questionnaire, library,
                                         review_path=review)
        # A person's decision is written, and its problems listed beside it.
        assert [(w.ref, w.value) for w in plan.writes] == [
            ("C5", "Yes"),
            ("D5", "Yes. Tenant administrators can allow sign-in only from listed IP ranges.")]
        problems[section] = [str(p) for p in applied.problems]
    assert problems == {"Consulting Services": [CONSULTING_SAYS], "Access Control": []}


def test_the_questions_own_population_wins_over_its_sections(
        write_library: Callable[..., Path]) -> None:
    match = _match(write_library, _row(
        "Can customers restrict access to their tenant by source IP address?",
        "Consulting Services"))
    assert (match.status, match.reasons) == ("filled", ())
    # And a question naming one population is judged by it, whatever the section says.
    said = check(analyze("Do employees sign a confidentiality agreement?"),
                 analyze("Do contractors sign a confidentiality agreement?"), "entry",
                 section=read_section("Customer Support", analyze("Customer Support")))
    assert [str(r) for r in said] == [
        "qualifier-mismatch: the question says 'employees', 'entry' says 'contractors' "
        "(population)"]


def test_a_section_and_the_questions_own_qualifiers_are_reported_in_qualifier_order() -> None:
    # The question names where the data is, not whose it is: its section says whose.
    said = check(analyze("Is the data encrypted at rest?"),
                 analyze("Is customer data encrypted in transit?"), "entry",
                 section=read_section("Consulting Services", analyze("Consulting Services")))
    assert [str(r) for r in said] == [
        "qualifier-mismatch: the question says 'at rest', 'entry' says 'in transit' "
        "(data state)",
        "qualifier-mismatch: the section says 'Consulting Services', 'entry' says "
        "'customer data' (population)"]


@pytest.mark.parametrize(("heading", "names"), [
    ("Consulting Services", {"contractors": "consulting"}),
    ("Human Resources", {"employees": "human resources", "contractors": "human resources"}),
    ("Personnel Security", {"employees": "personnel", "contractors": "personnel"}),
    ("Assessment of Third Parties", {"vendors": "third parties"}),
    ("Third-Party Risk Management", {"vendors": "third party risk management"}),
    ("Client Services", {"customers": "client"}),
    ("Tenant Isolation", {"customers": "tenant"}),
    ("Access Control", None),
    ("Company Information", None),
    # CAIQ's supply-chain domain asks about the provider's customers as much as its suppliers.
    ("Supply Chain Management, Transparency, and Accountability", None),
])
def test_what_a_section_heading_says_of_whose_it_is(heading: str,
                                                    names: dict[str, str] | None) -> None:
    found = read_section(heading, analyze(heading))
    assert (found.population if found else None) == names
    if found is not None:
        assert found.text == heading


def test_a_section_naming_the_workforce_keeps_entries_about_either_part_of_it() -> None:
    section = read_section("Human Resources", analyze("Human Resources"))
    for entry in ("Do employees sign a confidentiality agreement?",
                  "Do contractors sign a confidentiality agreement?"):
        assert check(analyze("Is a confidentiality agreement signed?"), analyze(entry),
                     "entry", section=section) == ()
    [found] = check(analyze("Is a confidentiality agreement signed?"),
                    analyze("Do your suppliers sign a confidentiality agreement?"), "entry",
                    section=section)
    assert str(found) == ("qualifier-mismatch: the section says 'Human Resources', 'entry' "
                          "says 'suppliers' (population)")


# ------------------------------------------------------------------ field kinds


FIELDS = ["Contact Name", "Contact Title", "Contact Email", "Contact Phone Number",
          "Headquarters Mailing Address", "Web Link to Privacy Notice"]


@pytest.mark.parametrize("question", FIELDS)
@pytest.mark.parametrize("entry", FIELDS)
def test_a_field_of_one_kind_is_not_filled_from_another(question: str, entry: str) -> None:
    mismatched = any(r.endswith("(field)") for r in reasons(question, entry))
    assert mismatched == (question != entry)


def test_learning_one_contact_field_does_not_fill_the_others(
        write_library: Callable[..., Path]) -> None:
    root = write_library({"answers/a.yaml": """
        answers:
          - id: contact-name
            question: Vendor Contact Name
            aliases: [Solution Provider Contact Name]
            answer: Dana Smith
    """})
    matcher = Matcher(load_library(root))
    rows = [QuestionRow("S", n + 2, f"Solution Provider {field}")
            for n, field in enumerate(FIELDS)]
    matches = matcher.match(rows)
    assert matches[0].status == "filled"
    for match in matches[1:]:
        assert match.status != "filled", match.row.question
        [learned] = [c for c in match.candidates if c.answer_id == "contact-name"]
        assert any(r.code == "qualifier-mismatch" and r.message.endswith("(field)")
                   for r in learned.reasons), match.row.question


# ------------------------------------------------------------------ periods, numbers


@pytest.mark.parametrize(("question", "entry"), [
    ("Has a VPAT or ACR been created or updated for the solution and version under "
     "consideration within the past 12 months?",
     "Has a VPAT or ACR been created or updated for the product and version under "
     "consideration within the past year?"),
    ("Is the business continuity plan tested every 12 months?",
     "Is the business continuity plan tested annually?"),
    ("Is the business continuity plan tested once a year?",
     "Is the business continuity plan tested every twelve months?"),
    ("Are access rights reviewed quarterly?", "Are access rights reviewed every three months?"),
    ("Were access rights reviewed in the last 3 months?", "Are access rights reviewed quarterly?"),
])
def test_the_same_period_in_other_words_is_no_mismatch(question: str, entry: str) -> None:
    assert reasons(question, entry) == []


def test_different_periods_still_differ() -> None:
    assert reasons("Are logs retained for 12 months?", "Are logs retained for 13 months?") == [
        "qualifier-mismatch: the question says 12, 'entry' says 13 (number)"]
    assert reasons("Are access rights reviewed quarterly?",
                   "Are access rights reviewed every year?") == [
        "qualifier-mismatch: the question says 'quarterly', 'entry' says 'every year' "
        "(frequency)"]


ACCESS_REVIEWS = "Are user access rights reviewed periodically?"


@pytest.mark.parametrize(("question", "answer", "laxer"), [
    ("Are user access rights reviewed at least quarterly?",
     "Yes. Production access is reviewed every quarter; access to all other applications "
     "is reviewed every six months.", "every six months"),
    ("Are user access rights reviewed quarterly?",
     "Yes. Quarterly for production systems, annually for internal tools.", "annually"),
    ("Are user access rights reviewed every 90 days?",
     "Yes. Every 90 days for administrators and every 180 days for everyone else.",
     "every 180 days"),
    ("Are user access rights reviewed monthly?",
     "Yes. Administrator access monthly, other access every 2 months.", "every 2 months"),
])
def test_an_answer_that_also_states_a_laxer_period_is_held(question: str, answer: str,
                                                          laxer: str) -> None:
    found = reasons(question, ACCESS_REVIEWS, answer=answer, short="Yes")
    assert len(found) == 1 and found[0].startswith("qualifier-mismatch: the question says '")
    assert found[0].endswith(f"'entry' does not and its answer says '{laxer}' (frequency)")
    assert found[0].split("'")[1].lower() in question.lower()  # quoted as written


@pytest.mark.parametrize("answer", [
    "Yes. All access is reviewed every quarter.",
    "Yes. All access is reviewed every 90 days, administrator access monthly.",
    "Yes. Every three months, and within 5 working days of a role change.",
    "Yes. Quarterly; logs of the reviews are kept for 12 months.",
    "Yes. All access is reviewed monthly.",
])
def test_an_answer_at_the_asked_period_or_more_often_is_not_held(answer: str) -> None:
    assert reasons("Are user access rights reviewed at least quarterly?", ACCESS_REVIEWS,
                   answer=answer, short="Yes") == []


def test_an_entry_asking_the_same_period_is_held_when_its_answer_states_a_laxer_one() -> None:
    assert reasons("Are user access rights reviewed at least quarterly?",
                   "Are user access rights reviewed quarterly?",
                   answer="Yes, for production; other access every six months.",
                   short="Yes") == [
        "qualifier-mismatch: the question says 'quarterly', 'entry' too, but its answer says "
        "'every six months' (frequency)"]


def test_a_qualified_answer_leaves_the_yes_no_cell_of_an_at_least_question_empty(
        run_cli: Callable[..., Any], tmp_path: Path) -> None:
    # The sample library's access-reviews: quarterly for production, six-monthly for the rest.
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Question", "Vendor Answer", "Vendor Comments"])
    sheet.append(["Are user access rights reviewed at least quarterly?", None, None])
    sheet.append(["Are user access rights reviewed at least annually?", None, None])
    choices = DataValidation(type="list", formula1='"Yes,No,N/A"')
    sheet.add_data_validation(choices)
    choices.add("B2:B3")
    book.save(tmp_path / "q.xlsx")
    result = run_cli("answer", tmp_path / "q.xlsx", "--library", REPO, "--out",
                     tmp_path / "out.xlsx", "--report", tmp_path / "r.json",
                     "--today", "2026-11-29")
    assert result.exit_code == 0, result.output
    quarterly, annually = json.loads((tmp_path / "r.json").read_text("utf-8"))["rows"]
    assert (quarterly["status"], quarterly["answer_id"]) == ("review", "access-reviews")
    assert quarterly["reasons"] == [
        "qualifier-mismatch: the question says 'quarterly', 'access-reviews' does not and its "
        "answer says 'every six months' (frequency)"]
    assert (annually["status"], annually["answer_id"]) == ("filled", "access-reviews")
    written = openpyxl.load_workbook(tmp_path / "out.xlsx").active
    assert written["B2"].value is None and written["C2"].value is None
    assert written["B3"].value == "Yes"


def test_a_grade_range_and_an_id_are_not_numbers() -> None:
    assert analyze("Is the solution used by K-12 students?").numbers == frozenset()
    assert analyze("AAAI-02 Is SSO supported (see also IAM-14.1)?").numbers == frozenset()
    assert analyze("Are keys AES-256 or SHA-1 hashes kept 12 months?").numbers == {
        "256", "1", "12"}
    assert reasons("Is the solution used by K-12 schools?", "Is the solution used by schools?",
                   answer="Yes, by schools and universities.") == []


def test_continuity_is_not_a_frequency() -> None:
    assert reasons("Do you have a documented continuity plan for your operations?",
                   "Are backups taken annually?") == []
    assert "continuous" not in analyze("Is operational continuity tested?").tokens


# ------------------------------------------------------------------ scope, not negation


@pytest.mark.parametrize("question", [
    "For customers not using SSO, does your solution support local authentication protocols "
    "for user and administrator authentication?",
    "For customers not using SSO, can you enforce password/passphrase complexity "
    "requirements (provided by the institution)?",
    "For customers not using SSO, does the system have password complexity or length "
    "limitations and/or restrictions?",
    "For customers not using SSO, do you have documented password/passphrase reset "
    "procedures that are currently implemented in the system and/or customer support?",
    "For customers not using SSO, does your application support integration with other "
    "authentication and authorization systems?",
    "For customers not using SSO, does your application support directory integration for "
    "user accounts?",
    "Where SSO is not enabled, is MFA available?",
])
def test_a_negation_inside_a_scope_clause_does_not_negate_the_question(question: str) -> None:
    assert analyze(question).negators == 0


def test_a_negated_question_after_a_scope_clause_is_still_negated() -> None:
    assert analyze("For customers using SSO, is MFA not enforced?").negators == 1


# ------------------------------------------------------------------ renamed fields


@pytest.mark.parametrize(("old", "new"), [
    ("Vendor Name", "Solution Provider Name"),
    ("Vendor Name", "Service Provider Name"),
    ("Vendor Name", "Supplier Name"),
    ("Vendor Contact Email", "Solution Provider Contact Email"),
    ("Product Name", "Solution Name"),
    ("Product Name", "Service Name"),
    ("Product Name", "Application Name"),
    ("Product Description", "Solution Description"),
])
def test_renamed_fields_read_as_the_same_terms(old: str, new: str) -> None:
    assert analyze(old).terms == analyze(new).terms


def test_a_vendors_suppliers_are_still_third_parties() -> None:
    assert "third_party" in analyze("Do you assess your suppliers?").terms
    assert "third_party" in analyze("Do you assess your vendors?").terms
    assert "third_party" in analyze("What due diligence is done when onboarding a supplier?"
                                    ).terms
    assert "third_party" not in analyze("Supplier Name").terms


def test_renamed_hecvat_fields_are_matched_to_the_old_ones(
        write_library: Callable[..., Path]) -> None:
    root = write_library({"answers/a.yaml": """
        answers:
          - id: gnrl-01
            question: Vendor Name
            answer: Northwind Ledger Ltd
          - id: gnrl-02
            question: Product Name
            answer: Ledger
          - id: gnrl-06
            question: Vendor Contact Name
            answer: Dana Smith
          - id: gnrl-07
            question: Vendor Contact Title
            answer: CISO
          - id: gnrl-08
            question: Vendor Contact Email
            answer: security@example.com
          - id: gnrl-10
            question: Vendor Accessibility Contact Name
            answer: Sam Lee
    """})
    matcher = Matcher(load_library(root))
    rows = {"Solution Provider Name": "gnrl-01", "Solution Name": "gnrl-02",
            "Solution Provider Contact Name": "gnrl-06",
            "Solution Provider Contact Title": "gnrl-07",
            "Solution Provider Contact Email": "gnrl-08",
            "Solution Provider Accessibility Contact Name": "gnrl-10"}
    matches = matcher.match([QuestionRow("S", n + 2, q) for n, q in enumerate(rows)])
    for match, gold in zip(matches, rows.values(), strict=True):
        assert match.best is not None and match.best.answer_id == gold, match.row.question
        assert match.status == "filled", (match.row.question, match.reasons)


@pytest.mark.parametrize(("said", "also", "term"), [
    ("Are all code changes peer reviewed?", "Is a pull request review required for changes?",
     "code_review"),
    ("Is branch protection enforced?", "Are protected branches used?", "code_review"),
])
def test_the_thesaurus_knows_how_engineers_say_it(said: str, also: str, term: str) -> None:
    assert term in analyze(said).terms
    assert term in analyze(also).terms


# ------------------------------------------------------------------ suggestion order

SAMPLE = Path(__file__).resolve().parent.parent  # the repository's sample library


def _suggested(run_cli: Callable[..., Any], question: str) -> list[dict[str, Any]]:
    result = run_cli("search", question, "-l", SAMPLE, "--json", "-k", "5",
                     "--today", "2026-11-29")
    assert result.exit_code == 0, result.output
    candidates: list[dict[str, Any]] = json.loads(result.stdout)["candidates"]
    return candidates


def test_mfa_for_your_own_administrators_suggests_workforce_mfa_first(
        run_cli: Callable[..., Any]) -> None:
    found = _suggested(run_cli, "Do you require MFA for administrators of your cloud console?")
    ids = [c["answer_id"] for c in found]
    assert ids[:2] == ["mfa-workforce", "mfa-customers"]
    assert "qualifier-mismatch: the question says 'administrators of your', 'mfa-customers' " \
        "says 'customer' (population)" in found[1]["reasons"]
    assert not any(r.startswith("qualifier-mismatch") for r in found[0]["reasons"])


def test_customer_admins_are_not_taken_for_the_companys_own(
        run_cli: Callable[..., Any]) -> None:
    # No "your": the product's admins may be the customer's, and the customer entry stays.
    found = _suggested(run_cli, "Can customer administrators enforce MFA for their users?")
    assert found[0]["answer_id"] == "mfa-customers"
    assert not any(r.endswith("(population)") for r in found[0]["reasons"])


def test_how_long_backups_are_kept_suggests_the_backup_schedule_first(
        run_cli: Callable[..., Any]) -> None:
    found = _suggested(run_cli, "How long do you keep backups and where are they stored?")
    ids = [c["answer_id"] for c in found]
    assert ids[0] == "backup-frequency"  # its answer: snapshots "kept for 35 days"
    tapes = found[ids.index("physical-backup-media")]
    assert "qualifier-mismatch: the question asks how long, 'physical-backup-media' " \
        "states no period (period)" in tapes["reasons"]
    assert not any(r.endswith("(period)") for r in found[0]["reasons"])


def test_a_qualifier_found_through_its_one_search_is_what_each_value_finds() -> None:
    """Each qualifier tries its values only when one search over all of them finds
    something: on every wording of the sample library and its answers, what it finds is
    what trying each value would."""
    from qfill.guards import QUALIFIERS
    from qfill.terms import shared_analyzer

    analyze = shared_analyzer({})
    library = load_library(SAMPLE)
    texts = [analyze(t) for a in library.answers for t in (*a.phrasings, a.answer)]
    named = 0
    for text in texts:
        for qualifier in QUALIFIERS:
            each: dict[str, str] = {}
            for value in qualifier.values:
                words = value.said(text) if value.label not in each else None
                if words is not None:
                    each[value.label] = words
            found = qualifier.said(text)
            assert found == each
            named += bool(found)
    assert named > 100  # the texts do name qualifiers
