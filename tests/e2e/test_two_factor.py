"""Two-factor sign-in in a real browser: a business manager, with an administrator's set-up link,
sets it up, signs out, signs in with a code.

The secret is read from the page, as a person would type it into their app; axe runs on every
two-factor page, under our CSP (the QR code is inline SVG, no script).
"""

import re
import time
from base64 import b32decode
from urllib.parse import urlsplit

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from partnerships import enrolment
from tests.e2e.conftest import assert_accessible, next_code, sign_in
from tests.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SERVICE = "Resolve a professional disagreement"


def path_of(page) -> str:
    return urlsplit(page.url).path


def code_from_secret(secret: str, step_offset: int = 0) -> str:
    totp = TOTP(b32decode(secret.replace(" ", "")))
    totp.time = time.time() + step_offset * 30
    return f"{totp.token():06d}"


def test_business_manager_sets_up_two_factor_and_signs_in_again_with_a_code(page, live_server, browser_log, cast):
    manager = cast.business_manager
    sign_in(page, live_server, manager.username, PASSWORD, second_step=False)

    # Sent to set up an app before anything else; the password alone is not enough to do it.
    assert path_of(page) == "/two-factor/set-up/"
    expect(page).to_have_title(f"You need a set-up link - {SERVICE}")
    expect(page.get_by_text("Your role requires two-factor sign-in")).to_be_visible()
    assert page.locator("#two-factor-secret").count() == 0
    assert_accessible(page)

    # An administrator issues a one-time set-up link; the manager opens it.
    link = urlsplit(enrolment.issue(manager)).path
    page.goto(f"{live_server.url}{link}")
    assert path_of(page) == "/two-factor/set-up/"
    expect(page).to_have_title(f"Set up two-factor sign-in - {SERVICE}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-factor sign-in")
    expect(page.get_by_role("img", name="QR code to scan with your authenticator app")).to_be_visible()
    secret = page.locator("#two-factor-secret").inner_text().strip()
    assert re.fullmatch(r"([A-Z2-7]{4} )+[A-Z2-7]{1,4}", secret)
    assert_accessible(page)
    page.goto(f"{live_server.url}/escalations/")
    assert path_of(page) == "/two-factor/set-up/"

    # A wrong code: the GOV.UK error summary, focused, and the message by the field.
    wrong = next(c for c in ("000000", "111111") if c not in {code_from_secret(secret, o) for o in (-1, 0, 1)})
    page.get_by_label("Security code").fill(wrong)
    with page.expect_navigation():
        page.get_by_role("button", name="Confirm and continue").click()
    expect(page).to_have_title(f"Error: Set up two-factor sign-in - {SERVICE}")
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_contain_text("The code is not correct or has expired")
    expect(page.locator("#code-error")).to_contain_text("The code is not correct or has expired")
    assert page.locator("#two-factor-secret").inner_text().strip() == secret
    assert_accessible(page)

    # The right code, after the one-second back-off a wrong code earns.
    time.sleep(1.5)
    page.get_by_label("Security code").fill(code_from_secret(secret))
    with page.expect_navigation():
        page.get_by_role("button", name="Confirm and continue").click()
    assert path_of(page) == "/two-factor/recovery-codes/"
    expect(page.get_by_role("heading", level=1)).to_have_text("Save your recovery codes")
    codes = page.locator("#recovery-codes li")
    expect(codes).to_have_count(10)
    assert all(re.fullmatch(r"[a-z2-7]{4}-[a-z2-7]{4}", c.strip()) for c in codes.all_inner_texts())
    assert_accessible(page)
    with page.expect_navigation():
        page.get_by_role("button", name="I have saved my recovery codes").click()
    # On to the page they were trying to open.
    assert path_of(page) == "/escalations/"

    # The set-up link worked once.
    page.goto(f"{live_server.url}{link}")
    expect(page).to_have_title(f"This set-up link cannot be used - {SERVICE}")
    assert_accessible(page)

    # The codes were shown once.
    page.goto(f"{live_server.url}/two-factor/recovery-codes/")
    assert path_of(page) == "/two-factor/"
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-factor sign-in")
    expect(page.locator(".govuk-summary-list")).to_contain_text("10")
    assert_accessible(page)

    with page.expect_navigation():
        page.get_by_role("navigation", name="Menu").get_by_role("button", name="Sign out").click()
    assert path_of(page) == "/sign-in/"

    # Signing in again: the password, then a code.
    sign_in(page, live_server, manager.username, PASSWORD, second_step=False)
    assert path_of(page) == "/two-factor/verify/"
    expect(page).to_have_title(f"Enter the code from your authenticator app - {SERVICE}")
    assert_accessible(page)

    page.get_by_role("link", name="I cannot use my authenticator app").click()
    assert path_of(page) == "/two-factor/recovery/"
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter a recovery code")
    assert_accessible(page)
    page.get_by_role("link", name="Use your authenticator app instead").click()
    assert path_of(page) == "/two-factor/verify/"

    device = TOTPDevice.objects.get(user=manager, confirmed=True)
    page.get_by_label("Security code").fill(next_code(device))
    with page.expect_navigation():
        page.get_by_role("button", name="Continue").click()
    assert path_of(page) == "/"
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")

    assert browser_log.csp_violations() == []
    assert browser_log.errors() == []


def test_the_sign_in_helper_passes_the_second_step_for_an_auditor(page, live_server, browser_log, cast):
    sign_in(page, live_server, cast.auditor.username, PASSWORD)
    assert path_of(page) == "/"
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")
    page.goto(f"{live_server.url}/two-factor/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-factor sign-in")
    expect(page.get_by_text("Your role requires two-factor sign-in, so you cannot turn it off.")).to_be_visible()
    assert_accessible(page)
    assert browser_log.errors() == []
