"""Every page on a phone-sized screen, at 400 % zoom and with the text spaced out (WCAG 2.2 AA).

A 320 x 640 CSS-pixel viewport is what a 1280-pixel screen shows at 400 % zoom. On every page
the end-to-end tests reach, as each person who uses it:

- 1.4.10 Reflow: the page never scrolls sideways (`document.documentElement.scrollWidth` is at
  most the viewport's width). Only a table may scroll, inside its own container, and such a
  container must be reachable and scrollable with the keyboard and have an accessible name.
- 1.4.12 Text spacing: with the WCAG text-spacing bookmarklet's styles applied (line height 1.5,
  paragraph spacing 2em, letter spacing 0.12em, word spacing 0.16em) nothing that hides its
  overflow cuts text off, and the page still does not scroll sideways.
- 1.4.4 Resize text: with the text at 200 % on a 1280-pixel screen, the same.
- axe finds nothing at 320 pixels.

Every page is checked before the test fails, so one run lists every fault with its page,
person and measured width.
"""

import os
import re
from urllib.parse import urljoin, urlsplit

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from partnerships import enrolment
from tests.e2e.conftest import TIMEOUT_MS, next_code, sign_in
from tests.e2e.reflow_checks import PAGE_WIDTH, PHONE, Findings
from tests.e2e.reflow_pages import (
    World,
    agency_pages,
    auditor_pages,
    build_world,
    business_manager_pages,
    chair_pages,
    esc,
    follow,
    other_side_pages,
    panel_member_pages,
    policy_past_its_review_date,
    raiser_pages,
    submit,
)
from tests.factories import PASSWORD
from tests.integration.test_escalation_lifecycle import climb_to_partnership_stage, raise_one

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(cast, settings) -> World:
    settings.EXPORTS_PER_HOUR = 2
    return build_world(cast)


@pytest.fixture
def phone(browser, live_server):
    """A new phone-sized browser session for each person."""
    contexts = []

    def open_session(user=None):
        context = browser.new_context(locale="en-GB", timezone_id="Europe/London", viewport=PHONE)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        if user is not None:
            sign_in(page, live_server, user.username, PASSWORD)
            assert page.url.rstrip("/") == live_server.url, f"{user.username} did not reach the home page"
        return page

    yield open_session
    for context in contexts:
        context.close()


def visit(page, findings, live_server, who, pages):
    for label, where in pages:
        if callable(where):
            where(page)
        else:
            response = page.goto(live_server.url + where)
            assert response.status == 200, f"{label}: {where} answered {response.status}"
        findings.check(page, who, label)


def test_every_page_reflows_at_320_pixels_and_keeps_its_text_with_wider_spacing(world, phone, live_server, settings):
    w, cast = world, world.cast
    findings = Findings(widths={}, faults=[])

    # Before signing in.
    page = phone()
    page.goto(f"{live_server.url}/sign-in/")
    findings.check(page, "anyone", "sign in")
    sign_in(page, live_server, cast.practitioner.username, "not-the-password")
    findings.check(page, "anyone", "sign in, wrong password")
    for _ in range(5):
        sign_in(page, live_server, w.locked_out.username, "not-the-password")
    assert "locked" in page.title(), page.title()
    findings.check(page, "anyone", "sign-in locked")

    # Everyone who signs in, on the pages they use.
    for who, pages in (
        ("practitioner", agency_pages(w) + raiser_pages(w)),
        ("other_practitioner", other_side_pages(w)),
        (
            "other_manager",
            [
                ("home, a case to acknowledge", "/"),
                ("inbox", "/escalations/inbox/"),
                ("notifications", "/escalations/notifications/"),
            ],
        ),
        ("manager", [("home", "/"), ("inbox", "/escalations/inbox/")]),
        ("business_manager", business_manager_pages(w)),
        ("chair", chair_pages(w)),
        ("panel_member", panel_member_pages(w)),
        ("auditor", auditor_pages(w)),
    ):
        visit(phone(getattr(cast, who)), findings, live_server, who, pages)
    visit(
        phone(w.st_helens_business_manager),
        findings,
        live_server,
        "St Helens' business_manager",
        [("policy, past its review date", policy_past_its_review_date)],
    )

    # Two-factor sign-in, from setting it up to the recovery code.
    newcomer = w.two_factor_newcomer
    page = phone()
    sign_in(page, live_server, newcomer.username, PASSWORD, second_step=False)
    findings.check(page, "new business manager", "you need a set-up link")
    link = urlsplit(enrolment.issue(newcomer)).path
    page.goto(urljoin(page.url, link))
    findings.check(page, "new business manager", "set up two-factor sign-in")
    page.get_by_label("Security code").fill("000000")
    submit(page, "Confirm and continue")
    findings.check(page, "new business manager", "set up two-factor sign-in, errors")
    from django_otp.plugins.otp_totp.models import TOTPDevice

    secret_device = TOTPDevice.objects.get(user=newcomer)
    page.wait_for_timeout(1500)  # the back-off a wrong code earns
    page.get_by_label("Security code").fill(next_code(secret_device))
    submit(page, "Confirm and continue")
    findings.check(page, "new business manager", "recovery codes")
    submit(page, "I have saved my recovery codes")
    findings.check(page, "new business manager", "after the recovery codes")
    page.goto(urljoin(page.url, link))
    findings.check(page, "new business manager", "a set-up link used before")
    page.context.clear_cookies()
    sign_in(page, live_server, newcomer.username, PASSWORD, second_step=False)
    findings.check(page, "new business manager", "enter the code")
    follow(page, "I cannot use my authenticator app")
    findings.check(page, "new business manager", "enter a recovery code")
    submit(page, "Continue")
    findings.check(page, "new business manager", "enter a recovery code, errors")

    # Someone whose role lets them turn it off.
    TOTPDevice.objects.create(user=cast.senior_manager, name="Authenticator app", confirmed=True)
    page = phone(cast.senior_manager)
    visit(page, findings, live_server, "senior_manager", [("turn off two-factor sign-in", "/two-factor/turn-off/")])

    # The idle time-out warning, open: two seconds after the page loads.
    settings.SESSION_COOKIE_AGE, settings.SESSION_WARNING_SECONDS = 60, 58
    page = phone(cast.practitioner)
    expect(page.get_by_role("dialog", name="You’re about to be signed out")).to_be_visible(timeout=8_000)
    findings.check(page, "practitioner", "about to be signed out")

    report = "\n".join(f"  {width:>5}px  {where}" for where, width in findings.widths.items())
    print(f"Page widths at {PHONE['width']}px:\n{report}")
    if os.environ.get("REFLOW_WIDTHS_FILE"):
        with open(os.environ["REFLOW_WIDTHS_FILE"], "w", encoding="utf-8") as out:
            out.write(report + "\n")
    assert not findings.faults, f"{len(findings.faults)} fault(s):\n" + "\n".join(findings.faults)


def test_the_keyboard_reaches_and_scrolls_a_table_wider_than_the_screen(cast, phone, live_server):
    from tests.e2e.test_lifecycles import tab_to

    escalation = climb_to_partnership_stage(cast, raise_one(cast, at=timezone.now()))
    page = phone(cast.practitioner)
    page.goto(live_server.url + esc(escalation))
    stages = page.get_by_role("region", name="Stages this escalation has passed through")
    assert stages.evaluate("box => box.scrollWidth > box.clientWidth"), "the stages table fits: nothing to scroll"
    tab_to(page, stages)
    outline = stages.evaluate("box => getComputedStyle(box).boxShadow")
    assert outline != "none", "the focused box shows no focus"
    for _ in range(10):
        page.keyboard.press("ArrowRight")
    # Keyboard scrolling is animated: wait (up to the usual timeout) for the box to move.
    page.wait_for_function("box => box.scrollLeft > 0", arg=stages.element_handle())
    assert stages.evaluate("box => box.scrollLeft") > 0
    assert page.evaluate(PAGE_WIDTH) <= PHONE["width"]


def test_on_a_phone_each_escalation_in_a_list_is_a_card_that_names_its_fields(cast, phone, live_server):
    escalation = raise_one(cast, at=timezone.now())
    page = phone(cast.other_practitioner)
    page.goto(f"{live_server.url}/escalations/")
    table = page.get_by_role("table", name="Escalations you can see")
    row = table.get_by_role("row").filter(has=page.get_by_role("link", name=escalation.reference))
    held_by = row.get_by_role("cell").nth(3)
    label = "cell => getComputedStyle(cell, '::before').content"
    assert held_by.evaluate("cell => getComputedStyle(cell).display") == "block"
    assert "Held by" in held_by.evaluate(label)
    assert table.locator("thead").evaluate("head => head.getBoundingClientRect().height") <= 1
    assert page.evaluate(PAGE_WIDTH) <= PHONE["width"]

    # On a wider screen it is a table again, with its header row.
    page.set_viewport_size({"width": 1024, "height": 768})
    assert held_by.evaluate("cell => getComputedStyle(cell).display") == "table-cell"
    assert held_by.evaluate(label) == "none"
    expect(table.get_by_role("columnheader", name="Held by")).to_be_visible()


def test_on_a_phone_the_home_pages_work_list_is_cards_under_a_caption_that_reads_across(cast, phone, live_server):
    escalation = raise_one(cast, at=timezone.now())
    page = phone(cast.other_practitioner)
    work = page.locator("table[data-work-group]").first
    caption = work.locator("caption")
    expect(caption).to_have_text(re.compile(r"\(1\)$"))
    # One line, as wide as the list: not one letter a line.
    assert caption.evaluate("c => c.getBoundingClientRect().height < 2 * parseFloat(getComputedStyle(c).lineHeight)")
    assert caption.evaluate("c => c.getBoundingClientRect().width") > PHONE["width"] / 2
    row = work.get_by_role("row").filter(has=page.get_by_role("link", name=escalation.reference))
    deadline = row.get_by_role("cell").nth(3)
    assert "Deadline" in deadline.evaluate("cell => getComputedStyle(cell, '::before').content")
    assert page.evaluate(PAGE_WIDTH) <= PHONE["width"]
