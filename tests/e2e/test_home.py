"""The home page in a real browser: a manager sees the case waiting for them, and once they
acknowledge it, it no longer waits there. The new and changed pages pass axe."""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from escalation import services
from tests.climbing import climb
from tests.e2e.conftest import assert_accessible, sign_in
from tests.factories import PASSWORD
from tests.integration.test_escalation_lifecycle import raise_one

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def at_stage_2(cast):
    """Raised an hour ago, acknowledged and escalated: stage 2 is the managers' (five-stage)."""
    escalation = raise_one(cast, at=timezone.now() - timedelta(hours=1), children=[cast.child])
    return climb(escalation, 2, by=cast.practitioner, evidence="Two calls with the social worker; no agreement.")


def test_a_managers_home_shows_the_case_waiting_for_them_until_they_acknowledge_it(
    page, live_server, browser_log, cast
):
    escalation = at_stage_2(cast)
    sign_in(page, live_server, cast.other_manager.username, PASSWORD)
    page.goto(f"{live_server.url}/")
    expect(page.get_by_role("heading", level=2, name="What needs you now")).to_be_visible()
    waiting = page.get_by_role("link", name=f"Acknowledge {escalation.reference}")
    expect(waiting).to_be_visible()
    expect(page.get_by_text("1 to acknowledge")).to_be_visible()
    assert_accessible(page)

    waiting.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Acknowledge this escalation")
    with page.expect_navigation():
        page.get_by_role("button", name="Acknowledge").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(f"You acknowledged {escalation.reference}.")

    page.goto(f"{live_server.url}/")
    expect(page.get_by_role("link", name=f"Acknowledge {escalation.reference}")).to_have_count(0)
    expect(page.get_by_text("0 to acknowledge")).to_be_visible()
    # What is left for them is the managers' discussion the stage times.
    expect(page.get_by_role("link", name=f"Record the discussion {escalation.reference}")).to_be_visible()
    assert_accessible(page)
    assert browser_log.csp_violations() == [] and browser_log.errors() == []


def test_a_practitioner_with_nothing_to_do_is_offered_to_raise_one(page, live_server, browser_log, cast):
    sign_in(page, live_server, cast.practitioner.username, PASSWORD)
    page.goto(f"{live_server.url}/")
    expect(page.get_by_text("Nothing needs you now")).to_be_visible()
    page.get_by_role("button", name="Raise a disagreement").click()
    assert urlsplit(page.url).path == "/escalations/raise/find-child/"
    # A name that is not found: "Add a child who is not listed" keeps it, with a way back.
    page.get_by_label("Child's name, date of birth or local reference").fill("Maya Okafor")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Add a child who is not listed").click()
    expect(page.get_by_label("First name")).to_have_value("Maya")
    expect(page.get_by_label("Last name")).to_have_value("Okafor")
    assert_accessible(page)
    page.get_by_role("link", name="Back to the search").click()
    expect(page.get_by_label("Child's name, date of birth or local reference")).to_have_value("Maya Okafor")
    assert browser_log.csp_violations() == [] and browser_log.errors() == []


def test_notifications_open_their_case_and_people_choose_the_daily_digest(page, live_server, browser_log, cast):
    escalation = at_stage_2(cast)
    services.escalation_acknowledge(escalation=escalation, acting_user=cast.other_manager)
    sign_in(page, live_server, cast.practitioner.username, PASSWORD)
    page.goto(f"{live_server.url}/escalations/notifications/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Notifications")
    assert_accessible(page)
    expect(page.locator(".app-count")).to_be_visible()
    page.locator("main table").get_by_role("link").filter(has_text=escalation.reference).first.click()
    assert urlsplit(page.url).path == f"/escalations/{escalation.public_id}/"
    # Every notice was about this case: opening it read them, and the header says so on this page.
    expect(page.locator(".app-count")).to_have_count(0)

    page.goto(f"{live_server.url}/escalations/notifications/")
    page.get_by_role("link", name="Change how you get e-mails").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "When should we e-mail you about notifications that are not urgent?"
    )
    assert_accessible(page)
    page.get_by_label("In one daily digest at 8:30am on working days").check()
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Your e-mail choice is saved.")
    expect(page.get_by_text("one daily digest at 8:30am on working days")).to_be_visible()
    assert browser_log.csp_violations() == [] and browser_log.errors() == []
