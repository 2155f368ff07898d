"""What form of answer a question asks for, and which values fit a short field."""

from __future__ import annotations

import pytest

from qfill.questionform import classify_question, fits_field


@pytest.mark.parametrize(("question", "kind", "field", "about"), [
    ("Is cloud data periodically backed up?", "yes-no", None, False),
    ("Do you either have an internal team or retain an external team?", "yes-no", None, False),
    ("Are risks managed, regardless of whether it occurs internally or externally?",
     "yes-no", None, False),
    ("MFA is enforced for all remote access to production systems.", "yes-no", None, False),
    ("Is intrusion monitoring performed internally or by a third-party service?",
     "either-or", None, False),
    ("Are patches applied manually or automatically?", "either-or", None, False),
    ("Select your hosting option.", "choice", None, False),
    ("How does the application store passwords?", "description", None, False),
    ("Describe your password recovery mechanism:", "description", None, False),
    ("Please describe the capabilities of your solution's AI features.", "description",
     None, False),
    ("Which systems are covered by the security scans?", "description", None, False),
    ("Solution Provider Accessibility Contact Name", "field", "name", False),
    ("Solution Provider Accessibility Contact Title", "field", "title", False),
    ("Solution Provider Accessibility Contact Email", "field", "email", False),
    ("Solution Provider Accessibility Contact Phone Number", "field", "phone", False),
    ("Web Link to Product/Service Privacy Notice", "field", "url", False),
    ("Provide a link to your public security and/or privacy policy.", "field", "url", False),
    ("Country of Company Headquarters", "field", "country", False),
    ("Date Completed", "field", "date", True),
    ("Institution Name", "field", "name", True),
    ("Product version", "field", "version", False),
    ("What is the number of employees?", "field", "number", False),
    ("Solution Description", "label", None, False),
])
def test_the_form_a_question_asks_for(question: str, kind: str, field: str | None,
                                      about: bool) -> None:
    form = classify_question(question)
    assert (form.kind, form.field, form.about_questionnaire) == (kind, field, about)


@pytest.mark.parametrize(("kind", "value", "fits"), [
    ("email", "accessibility@northwind.example", True),
    ("email", "Write to accessibility@northwind.example.", False),
    ("url", "https://northwind.example/privacy", True),
    ("url", "Yes. Our privacy notice is published at https://northwind.example/privacy.",
     False),
    ("phone", "+353 1 555 0100", True),
    ("phone", "Call our support line", False),
    ("name", "Aoife Byrne", True),
    ("name", "+353 1 555 0100", False),  # a phone number is not a name
    ("name", "Our accessibility line is staffed 9-5. Call +353 1 555 0100.", False),
    ("title", "Head of Accessibility", True),
    ("country", "Ireland", True),
    ("country", "Northwind Ledger is a company registered in Ireland, with its head office in "
                "Dublin and engineering teams in Lisbon and Toronto.", False),
    ("country", "Yes", False),
    ("date", "2026-06-01", True),
    ("version", "4.2.1", True),
    ("number", "250 employees", True),
])
def test_a_short_field_takes_only_a_value_that_fits(kind: str, value: str,
                                                     fits: bool) -> None:
    assert fits_field(kind, value) is fits  # type: ignore[arg-type]
