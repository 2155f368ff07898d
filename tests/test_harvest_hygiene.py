"""The checks that keep what is not a reusable answer out of a harvest, case by case.

Each kind has wordings it must catch and near misses it must leave alone, so that the
checks stay general (patterns people type) rather than fitted to one file's strings.
"""

from __future__ import annotations

import pytest

from qfill.harvest.hygiene import clean_row
from qfill.harvest.rows import AnsweredRow, short_value


def row(question: str, narrative: str | None = None, short: str | None = None,
        choice: str | None = None) -> AnsweredRow:
    return AnsweredRow("q.xlsx", "S", 7, question, None, None, None, short=short,  # type: ignore[arg-type]
                       choice=choice, narrative=narrative)


def kinds(r: AnsweredRow) -> tuple[bool, list[str]]:
    """(kept, kinds noted)"""
    cleaned, notes = clean_row(r)
    return cleaned is not None, [n.kind for n in notes]


@pytest.mark.parametrize("text, expected", [
    ("Y", "Yes"), ("yes.", "Yes"), ("TRUE", "Yes"), ("1) Yes", "Yes"), ("No", "No"),
    ("n", "No"), ("FALSE", "No"), ("2) No", "No"), ("NA", "N/A"), ("N/A", "N/A"),
    ("Not Applicable", "N/A"), ("n.a.", "N/A"), ("Tier I", None), ("Yes, quarterly", None),
])
def test_yes_no_values_however_spelt(text: str, expected: str | None) -> None:
    assert short_value(text) == expected


@pytest.mark.parametrize("answer", [
    "[Vendor response]", "<insert answer here>", "Click or tap here to enter text.",
    "Enter your response here", "TBD", "To be confirmed", "Choose an item.", "Select one",
    "Your answer here", "xxx", "...",
])
def test_placeholders_are_never_answers(answer: str) -> None:
    assert kinds(row("Describe your backup process.", answer)) == (False, ["placeholder"])


@pytest.mark.parametrize("answer", [
    "Select customers get a dedicated tenant.", "TBD items are tracked in Jira weekly.",
    "Enter-key rotation is automated through our KMS.",
])
def test_answers_that_merely_start_like_a_placeholder_are_kept(answer: str) -> None:
    assert kinds(row("Describe your approach.", answer)) == (True, [])


@pytest.mark.parametrize("question, answer", [
    ("Date", "45201"), ("Date completed", "2024-03-01"), ("Today's date", "03/01/2024"),
    ("Date of submission of this questionnaire", "2024-03-01"),
    ("Institution name", "State University"), ("Name of the customer", "Acme Corp"),
    ("Questionnaire version", "2.1"), ("Prepared for", "Acme Corp"),
])
def test_fields_about_the_questionnaire_itself(question: str, answer: str) -> None:
    assert kinds(row(question, answer)) == (False, ["about-questionnaire"])


@pytest.mark.parametrize("question, answer", [
    ("What was the date of your last penetration test?", "2024-02-11"),
    ("When was the penetration test completed?", "February 2024, by NCC Group."),
    ("Do you share customer names with third parties?", "No."),
])
def test_questions_about_dates_and_customers_that_are_answers(question: str,
                                                               answer: str) -> None:
    assert kinds(row(question, answer))[0] is True


@pytest.mark.parametrize("question, answer", [
    ("Security contact name", "Jane Doe"),
    ("Primary contact name", "Dr. Maria O'Neil, CISO"),
    ("Contact person email", "maria.oneil@vendor.example"),
    ("Contact phone number", "+44 20 7946 0958"),
    ("Vendor contact title", "Professor"),
    ("Describe how incidents are reported.", "Email j.smith@vendor.example directly."),
])
def test_staff_details_are_not_kept(question: str, answer: str) -> None:
    assert kinds(row(question, answer)) == (False, ["personal-data"])


@pytest.mark.parametrize("question, answer", [
    ("Security contact email", "security@vendor.example"),
    ("Security contact name", "Information Security Office"),
    ("Who is responsible for security?", "Chief Information Security Officer"),
    ("Describe how incidents are reported.", "Email security@vendor.example or call our "
                                             "24x7 line."),
])
def test_role_contacts_are_kept(question: str, answer: str) -> None:
    assert kinds(row(question, answer)) == (True, [])


@pytest.mark.parametrize("question, answer", [
    ("Account contact", "Your dedicated Customer Success Manager."),
    ("Who should we contact about billing?", "Please reach out to your account manager."),
    ("Escalation contact name", "Your assigned sales representative"),
])
def test_contacts_that_depend_on_who_asks(question: str, answer: str) -> None:
    assert kinds(row(question, answer)) == (False, ["relative-contact"])


def test_an_account_manager_mentioned_in_a_real_answer_is_kept() -> None:
    assert kinds(row("Can you share your SOC 2 report?",
                     "Yes, under NDA; your account manager can send it.", "Yes")) == (True, [])


@pytest.mark.parametrize("answer", [
    "See GNRL-08", "Refer to question 4.2", "As above.", "See response to DOCU-01.",
    "Same as A&A-01.1", "see row 12",
])
def test_pointers_to_other_rows_are_dropped(answer: str) -> None:
    cleaned, notes = clean_row(row("Is data encrypted in transit?", answer, "Yes"))
    assert [n.kind for n in notes] == ["cross-reference"]
    assert cleaned is not None and cleaned.narrative is None and cleaned.short == "Yes"


def test_a_pointer_inside_a_real_narrative_is_flagged_not_dropped() -> None:
    text = ("TLS 1.2 or later on every public endpoint, HSTS enforced; for key rotation "
            "see GNRL-08.")
    cleaned, notes = clean_row(row("Is data encrypted in transit?", text, "Yes"))
    assert [n.kind for n in notes] == ["cross-reference"] and not notes[0].skipped
    assert cleaned is not None and cleaned.narrative == text


@pytest.mark.parametrize("answer", [
    "See our SOC 2 report.", "Described in section 4.2 of our security policy.",
    "See ISO 27001 certificate.",
])
def test_pointers_to_documents_are_not_cross_references(answer: str) -> None:
    assert kinds(row("Do you have an information security policy?", answer, "Yes")) == (
        True, [])


@pytest.mark.parametrize("short, narrative, kind, narrative_kept", [
    ("Yes", "NA", "na-narrative", False),
    ("No", "None", "na-narrative", False),
    ("Yes", "-", "na-narrative", False),
    ("No", "Not applicable: we do not process card data.", "not-applicable-no", True),
    ("No", "N/A - no physical offices.", "not-applicable-no", True),
    ("Yes", "No production data is used in testing.", "contradiction", True),
    ("No", "Yes, for administrators only.", "contradiction", True),
])
def test_yes_no_beside_a_narrative_that_says_otherwise(short: str, narrative: str, kind: str,
                                                        narrative_kept: bool) -> None:
    cleaned, notes = clean_row(row("Do you do it?", narrative, short))
    assert [n.kind for n in notes] == [kind]
    assert cleaned is not None and cleaned.short == short
    assert (cleaned.narrative == narrative) is narrative_kept


def test_not_applicable_beside_na_is_the_vendors_own_words() -> None:
    cleaned, notes = clean_row(row("Do you do it?", "Not applicable.", "N/A"))
    assert notes == [] and cleaned is not None and cleaned.narrative == "Not applicable."


@pytest.mark.parametrize("answer, kept, short", [
    ("NA", True, "N/A"), ("Not applicable", True, "N/A"), ("None", True, None),
    ("-", False, None), ("null", False, None), ("#N/A", False, None),
])
def test_a_whole_answer_that_is_na_none_or_an_empty_export_cell(
        answer: str, kept: bool, short: str | None) -> None:
    cleaned, notes = clean_row(row("List your subprocessors.", answer))
    assert (cleaned is not None) is kept
    if cleaned is not None:
        assert cleaned.short == short
    else:
        assert [n.kind for n in notes] == ["blank"]
