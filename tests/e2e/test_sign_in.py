"""Signing in and out in a real browser: GOV.UK pages, accessible, under our CSP."""

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import assert_accessible, sign_in
from tests.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SERVICE = "Resolve a professional disagreement"
FRONTEND_SCRIPTS = ("/static/js/app.js", "/static/govuk/govuk-frontend.min.js")


def path_of(page) -> str:
    return urlsplit(page.url).path


def assert_frontend_ran_under_csp(page, response, browser_log):
    """The page came with a CSP, GOV.UK Frontend loaded as a module from /static/ and ran."""
    assert "default-src 'self'" in response.headers.get("content-security-policy", "")
    expect(page.locator('script[type="module"]')).to_have_attribute("src", "/static/js/app.js")
    # Only the module script can have added these: the CSP forbids inline script.
    expect(page.locator("body")).to_have_class(re.compile(r"(^|\s)govuk-frontend-supported(\s|$)"))
    expect(page.locator("body")).to_have_class(re.compile(r"(^|\s)js-enabled(\s|$)"))
    loaded = {urlsplit(r.url).path: r.status for r in browser_log.responses}
    for script in FRONTEND_SCRIPTS:
        assert loaded.get(script) == 200, f"{script} not loaded: {loaded}"
    assert browser_log.csp_violations() == []
    assert browser_log.errors() == []


def test_practitioner_signs_in_sees_their_home_page_and_signs_out(page, live_server, browser_log, cast):
    practitioner, partnership = cast.practitioner, cast.partnership
    full_name = f"{practitioner.first_name} {practitioner.last_name}"

    response = page.goto(f"{live_server.url}/sign-in/")
    expect(page).to_have_title(f"Sign in - {SERVICE}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    assert_frontend_ran_under_csp(page, response, browser_log)
    assert_accessible(page)

    response = sign_in(page, live_server, practitioner.username, PASSWORD)

    assert path_of(page) == "/"
    expect(page).to_have_title(f"Home - {SERVICE}")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Welcome, {full_name}")
    expect(page.locator(".govuk-header")).to_contain_text(partnership.name)
    roles = page.locator(".govuk-summary-list")
    expect(roles).to_contain_text("Practitioner")
    expect(roles).to_contain_text(f"{cast.school.name}, {partnership.name}")
    assert_frontend_ran_under_csp(page, response, browser_log)
    assert_accessible(page)

    with page.expect_navigation():
        page.get_by_role("navigation", name="Menu").get_by_role("button", name="Sign out").click()
    assert path_of(page) == "/sign-in/"
    expect(page).to_have_title(f"Sign in - {SERVICE}")
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)

    page.goto(f"{live_server.url}/")
    assert path_of(page) == "/sign-in/"
    assert urlsplit(page.url).query == "next=/"
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    assert browser_log.errors() == []


def test_wrong_password_shows_the_error_summary_and_keeps_the_username(page, live_server, browser_log, cast):
    response = sign_in(page, live_server, cast.practitioner.username, "not-the-password")

    assert path_of(page) == "/sign-in/"
    expect(page).to_have_title(f"Error: Sign in - {SERVICE}")
    summary = page.locator(".govuk-error-summary")
    expect(summary.get_by_role("heading", level=2)).to_have_text("There is a problem")
    expect(summary.get_by_role("link")).to_contain_text("Please enter a correct username and password")
    expect(page.get_by_label("Username")).to_have_value(cast.practitioner.username)
    expect(page.get_by_label("Password")).to_have_value("")
    # GOV.UK Frontend's error summary moves focus to itself so screen readers announce it.
    expect(summary).to_be_focused()
    assert_frontend_ran_under_csp(page, response, browser_log)
    assert_accessible(page)

    summary.get_by_role("link").click()
    expect(page.get_by_label("Username")).to_be_focused()
