"""Pages: sign-in required everywhere, role-based navigation, the deadline calculator page."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_every_page_asks_an_anonymous_visitor_to_sign_in(client):
    for url in ("/", reverse("escalation:list"), reverse("partnerships:deadline-calculator")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_the_home_page_greets_the_practitioner_and_names_their_partnership(client, cast):
    client.force_login(cast.practitioner)
    page = client.get("/").content.decode()
    assert cast.practitioner.get_full_name() in page
    assert cast.partnership.name in page
    assert "Deadline calculator" not in page


def test_business_managers_see_the_deadline_calculator_in_their_navigation(client, cast):
    client.force_login(cast.business_manager)
    assert "Deadline calculator" in client.get("/").content.decode()


def test_a_practitioner_cannot_open_the_deadline_calculator(client, cast):
    client.force_login(cast.practitioner)
    assert client.get(reverse("partnerships:deadline-calculator")).status_code == 403


def test_the_calculator_gives_a_stage_deadline_on_the_partnerships_calendar(client, cast):
    client.force_login(cast.business_manager)
    response = client.get(
        reverse("partnerships:deadline-calculator"), {"start": "23/12/2026 10:00", "stage": "2", "urgency": "standard"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Due Monday 4 January 2027 at 17:00" in page
    assert "5 working days" in page


def test_the_calculator_explains_what_is_missing_and_keeps_what_was_typed(client, cast):
    client.force_login(cast.business_manager)
    response = client.get(reverse("partnerships:deadline-calculator"), {"start": "next tuesday", "urgency": "standard"})
    page = response.content.decode()
    assert "There is a problem" in page
    assert "Enter the start as a date and time, like 23/12/2026 10:00" in page
    assert "Choose a stage, or give a timescale and its unit" in page
    assert 'value="next tuesday"' in page


def test_security_headers_are_on_every_response(client, cast):
    client.force_login(cast.practitioner)
    response = client.get("/")
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
