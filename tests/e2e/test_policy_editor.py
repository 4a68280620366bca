"""The partnership's policy in a real browser: the business manager changes stage 2 of the
five-stage policy from 5 to 3 working days in a draft, previews the deadlines it gives beside
the version in use, publishes it; a practitioner then reads version 2 on the policy page. axe
finds nothing on any of the new pages."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import assert_accessible, sign_in
from tests.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_business_manager_edits_a_timescale_previews_and_publishes_and_a_practitioner_sees_it(
    page, browser, live_server, browser_log, cast
):
    sign_in(page, live_server, cast.business_manager.username, PASSWORD)
    page.get_by_role("link", name="Policy", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Five-stage escalation flowchart")
    expect(page.locator("#stage-2")).to_contain_text("5 working days")
    assert_accessible(page)

    page.get_by_role("link", name="Change the policy").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Start a new version of the policy")
    assert_accessible(page)
    page.get_by_role("button", name="Start a draft").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Draft version 2 of the policy")
    assert_accessible(page)

    page.get_by_role("link", name="Change stage 2").click()
    assert_accessible(page)
    amount = page.get_by_label("Standard timescale: how many")
    expect(amount).to_have_value("5")
    amount.fill("-1")
    page.get_by_role("button", name="Save and return to the draft").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("A timescale cannot be negative")
    expect(page.get_by_label("Stage name")).not_to_have_value("")  # nothing typed is lost
    assert_accessible(page)
    page.get_by_label("Standard timescale: how many").fill("3")
    page.get_by_role("button", name="Save and return to the draft").click()
    expect(page.locator("#stage-2")).to_contain_text("3 working days")

    page.get_by_role("link", name="Preview the deadlines").click()
    page.get_by_label("When does the disagreement start?").fill("11/01/2027 10:00")
    page.get_by_role("button", name="Preview the deadlines").click()
    row = page.get_by_role("row", name=re.compile("^2\\."))
    expect(row).to_contain_text("Thursday 14 January 2027 at 17:00")
    expect(row).to_contain_text("Monday 18 January 2027 at 17:00")
    expect(row).to_contain_text("Changed")
    assert_accessible(page)

    page.get_by_role("link", name="Publish this version").click()
    assert_accessible(page)
    page.get_by_role("button", name="Publish this version").click()
    expect(page.locator(".govuk-notification-banner--success, .govuk-notification-banner")).to_contain_text(
        "Version 2 is published"
    )

    reader = browser.new_context(locale="en-GB", timezone_id="Europe/London").new_page()
    sign_in(reader, live_server, cast.practitioner.username, PASSWORD)
    reader.goto(f"{live_server.url}/policy/")
    expect(reader.locator("#stage-2")).to_contain_text("3 working days")
    expect(reader.get_by_text(re.compile(r"^2 \(in use\)"))).to_be_visible()
    expect(reader.get_by_role("link", name="Change the policy")).to_have_count(0)
    assert_accessible(reader)
    assert browser_log.errors() == []
