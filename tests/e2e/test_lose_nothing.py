"""Lose nothing, in a real browser: the idle time-out warning (WCAG 2.2.1) and drafts.

The time-out and warning are settings (SESSION_IDLE_MINUTES, SESSION_WARNING_SECONDS); here
they are seconds long so the browser can wait for them. pytest-django's live server runs in
this process, so the `settings` fixture reaches it.
"""

import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from escalation.drafts import Draft
from tests.e2e.conftest import assert_accessible, sign_in
from tests.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WARNING = "You’re about to be signed out"


def path_of(page) -> str:
    return urlsplit(page.url).path


def test_the_warning_appears_before_the_time_out_and_stay_signed_in_keeps_the_session(
    page, live_server, browser_log, cast, settings
):
    settings.SESSION_COOKIE_AGE = 16
    settings.SESSION_WARNING_SECONDS = 13
    sign_in(page, live_server, cast.practitioner.username, PASSWORD)
    loaded = time.monotonic()
    assert path_of(page) == "/"

    dialog = page.get_by_role("dialog", name=WARNING)
    expect(dialog).to_be_visible(timeout=8_000)
    expect(dialog).to_contain_text("we will sign you out in")
    # Focus moves into the dialog, onto its first choice.
    expect(page.get_by_role("button", name="Stay signed in")).to_be_focused()
    assert_accessible(page)

    with page.expect_response(lambda r: urlsplit(r.url).path == "/session/stay-signed-in/") as stay:
        page.get_by_role("button", name="Stay signed in").click()
    assert stay.value.status == 200
    expect(dialog).to_be_hidden()

    # It comes back before the renewed time-out; Escape also means "stay signed in".
    expect(dialog).to_be_visible(timeout=8_000)
    with page.expect_response(lambda r: urlsplit(r.url).path == "/session/stay-signed-in/") as again:
        page.keyboard.press("Escape")
    assert again.value.status == 200
    expect(dialog).to_be_hidden()

    # Past the first time-out (16 s after the home page), the person is still signed in.
    time.sleep(max(0.0, loaded + 17.5 - time.monotonic()))
    page.goto(f"{live_server.url}/")
    assert path_of(page) == "/"
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")
    assert browser_log.csp_violations() == [] and browser_log.errors() == []


def test_without_an_answer_the_person_is_signed_out_and_told_why(page, live_server, browser_log, cast, settings):
    settings.SESSION_COOKIE_AGE = 6
    settings.SESSION_WARNING_SECONDS = 4
    sign_in(page, live_server, cast.practitioner.username, PASSWORD)
    page.goto(f"{live_server.url}/escalations/")
    expect(page.get_by_role("dialog", name=WARNING)).to_be_visible(timeout=6_000)
    page.wait_for_url(re.compile(r"/sign-in/\?timed_out=1"), timeout=10_000)
    assert parse_qs(urlsplit(page.url).query)["next"] == ["/escalations/"]
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "You were signed out because you had not done anything for 6 seconds."
    )
    assert_accessible(page)
    page.goto(f"{live_server.url}/")
    assert path_of(page) == "/sign-in/"  # the session really ended
    assert browser_log.csp_violations() == []


def test_a_half_written_disagreement_survives_the_time_out_and_signing_in_returns_to_it(
    page, live_server, browser_log, cast, settings
):
    settings.SESSION_COOKIE_AGE = 10
    settings.SESSION_WARNING_SECONDS = 4
    sign_in(page, live_server, cast.practitioner.username, PASSWORD)
    page.goto(f"{live_server.url}/escalations/raise/?child={cast.child.public_id}")
    page.get_by_label("What is the concern?").fill("The referral was refused although bruising was seen.")
    page.get_by_label("Why do you believe the decision or practice is unsafe or inappropriate?").fill("Seen twice.")

    # Nobody answers the warning: when time runs out the form is kept, and sign-in says so.
    page.wait_for_url(re.compile(r"/sign-in/\?next=/escalations/drafts/restore/"), timeout=15_000)
    expect(page.locator(".govuk-notification-banner")).to_contain_text("What you typed has been kept")
    assert not Draft.objects.exists()
    page.get_by_label("Username").fill(cast.practitioner.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.wait_for_url(re.compile(r"/escalations/raise/\?draft="))
    draft = Draft.objects.get()
    assert draft.author == cast.practitioner
    expect(page.get_by_label("What is the concern?")).to_have_value(
        "The referral was refused although bruising was seen."
    )
    expect(page.get_by_label("Why do you believe the decision or practice is unsafe or inappropriate?")).to_have_value(
        "Seen twice."
    )
    expect(page.get_by_role("checkbox", name=re.compile(cast.child.first_name))).to_be_checked()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("kept as a draft")
    assert_accessible(page)

    # On the home page, with a way back to it and a way to delete it.
    page.goto(f"{live_server.url}/")
    drafts = page.get_by_role("table", name="Your drafts")
    expect(drafts).to_contain_text("Disagreement")
    assert_accessible(page)
    drafts.get_by_role("link", name="Delete this draft").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete your draft")
    assert_accessible(page)
    page.get_by_role("button", name="Delete draft").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Draft deleted.")
    assert not Draft.objects.exists()
    assert browser_log.csp_violations() == [] and browser_log.errors() == []
