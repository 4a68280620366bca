"""The error pages in a real browser: GOV.UK pages, accessible (axe), under our CSP."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import assert_accessible, sign_in
from tests.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SERVICE = "Resolve a professional disagreement"


def test_not_found_and_not_allowed_pages_are_accessible(page, live_server, browser_log, cast):
    sign_in(page, live_server, cast.practitioner.username, PASSWORD)

    response = page.goto(f"{live_server.url}/no-such-page/")
    assert response.status == 404
    expect(page).to_have_title(f"Page not found - {SERVICE}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    assert_accessible(page)

    response = page.goto(f"{live_server.url}/dashboard/")
    assert response.status == 403
    expect(page).to_have_title(f"You cannot do this - {SERVICE}")
    assert_accessible(page)

    page.get_by_role("link", name="Go to your home page").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")
    assert browser_log.csp_violations() == []
    # The two error responses themselves are logged by the browser as failed loads; nothing else.
    assert [e for e in browser_log.errors() if "status of 40" not in e] == []
