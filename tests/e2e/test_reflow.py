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
from dataclasses import dataclass
from datetime import date
from urllib.parse import urljoin

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from escalation import retention, services
from escalation.audit_sample import audit_sample_draw
from escalation.exports.audit import export_record
from escalation.exports.scope import ExportFilter
from escalation.models import Escalation
from escalation.partnership_stage import review_arrange
from partnerships.choices import PanelRule, Role
from partnerships.models import Membership
from tests.e2e.conftest import TIMEOUT_MS, next_code, sign_in
from tests.e2e.reflow_checks import PAGE_WIDTH, PHONE, Findings
from tests.factories import PASSWORD, ChildFactory, person
from tests.functional.test_dashboard_audit import closed_escalations
from tests.integration.test_dashboard import build_fixed_set
from tests.integration.test_escalation_lifecycle import climb_to_partnership_stage, raise_one
from tests.integration.test_retention import finished

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# --- the pages ---------------------------------------------------------------------------------


@dataclass
class World:
    cast: object
    waiting: Escalation  # stage 1, not yet acknowledged
    discussed: Escalation  # stage 1, acknowledged, a discussion with an agreed action
    at_partnership: Escalation  # stage 5, nothing arranged yet
    arranged: Escalation  # stage 5, mediation arranged
    decided: Escalation  # resolved at stage 5 after mediation and a decision
    withdrawn: Escalation
    due_for_review: Escalation
    on_hold: Escalation
    sample: object
    two_factor_newcomer: object  # a business manager with no authenticator app yet
    locked_out: object


LONG_SCHOOL = "St Bartholomew's Church of England Voluntary Aided Primary School and Nursery"


@pytest.fixture
def world(cast, settings) -> World:
    settings.EXPORTS_PER_HOUR = 2
    # A real school's name, long enough to need wrapping in every table and summary list.
    cast.school.name = LONG_SCHOOL
    cast.school.save()
    withdrawn = build_fixed_set(cast)["e3"]  # raised by children's social care, then withdrawn
    waiting = raise_one(cast, at=timezone.now())
    discussed = raise_one(cast, at=timezone.now())
    services.escalation_acknowledge(escalation=discussed, acting_user=cast.other_practitioner)
    services.discussion_record(
        escalation=fresh(discussed),
        acting_user=cast.other_practitioner,
        held_at=timezone.now(),
        method="phone",
        participants="The school's designated safeguarding lead and the duty social worker",
        outcome="Not agreed: take it to the managers.",
        areas_of_agreement="Both children need to be seen.",
        areas_of_disagreement="Whether the threshold is met.",
        actions=[
            {
                "description": "Complete a child and family assessment",
                "owner": cast.other_manager,
                "due_on": timezone.localdate(),
            }
        ],
    )
    # At stage 2, waiting for the team manager: their inbox.
    at_stage_2 = raise_one(cast, at=timezone.now())
    services.escalation_acknowledge(escalation=at_stage_2, acting_user=cast.other_practitioner)
    services.escalation_escalate(escalation=fresh(at_stage_2), acting_user=cast.practitioner, evidence="Two calls.")
    at_partnership = climb_to_partnership_stage(cast, raise_one(cast, at=timezone.now()))
    arranged, decided = (climb_to_partnership_stage(cast, raise_one(cast, at=timezone.now())) for _ in range(2))
    for escalation in (arranged, decided):
        review_arrange(
            escalation=escalation,
            acting_user=cast.business_manager,
            arrangement=PanelRule.MEDIATION,
            chair=Membership.objects.get(user=cast.chair),
        )
    services.stage_record_decision(
        escalation=fresh(decided), acting_user=cast.business_manager, decision="A strategy discussion by Friday."
    )
    services.escalation_resolve(
        escalation=fresh(decided), acting_user=cast.business_manager, outcome="Strategy discussion held."
    )
    grown_up = ChildFactory(
        partnership=cast.partnership, first_name="Amelia", last_name="Hart", date_of_birth=date(1990, 5, 5)
    )
    due_for_review = finished(cast, [grown_up])
    on_hold = finished(cast, [ChildFactory(partnership=cast.partnership, date_of_birth=date(1991, 6, 6))])
    retention.retention_hold(escalation=on_hold, acting_user=cast.business_manager, reason="A solicitor's request.")
    closed_escalations(cast, 3)
    sample = audit_sample_draw(partnership=cast.partnership, acting_user=cast.business_manager, size=2)
    everything = Escalation.objects.all()
    for who, fmt in ((cast.auditor, "csv"), (cast.chair, "json"), (cast.chair, "xlsx")):
        export_record(
            user=who,
            ip_address=None,
            fmt=fmt,
            export_filter=ExportFilter(partnership=cast.partnership, agency=cast.school, category="threshold"),
            queryset=everything,
        )
    return World(
        cast=cast,
        waiting=waiting,
        discussed=fresh(discussed),
        at_partnership=fresh(at_partnership),
        arranged=fresh(arranged),
        decided=fresh(decided),
        withdrawn=fresh(withdrawn),
        due_for_review=due_for_review,
        on_hold=on_hold,
        sample=sample,
        two_factor_newcomer=person("new-business-manager", cast.partnership, Role.BUSINESS_MANAGER),
        locked_out=person("forgetful", cast.partnership, Role.PRACTITIONER, cast.school),
    )


def fresh(escalation):
    return Escalation.objects.get(pk=escalation.pk)


def submit(page, button):
    with page.expect_navigation():
        page.locator("main").get_by_role("button", name=button, exact=True).click()


def submit_as_it_is(page):
    """Send the page's form without filling it in: the error state."""
    with page.expect_navigation():
        page.locator("main").locator("button[type=submit], input[type=submit]").last.click()


def follow(page, link):
    with page.expect_navigation():
        page.locator("main").get_by_role("link", name=link).first.click()


def esc(e, suffix=""):
    return f"/escalations/{e.public_id}/{suffix}"


def agency_pages(w: World) -> list:
    """(label, path or step) for the people of the agencies: practitioners and their managers."""
    children = f"child={w.cast.child.public_id}&child={w.cast.sibling.public_id}"
    return [
        ("home", "/"),
        ("escalations, open", "/escalations/"),
        ("escalations, all", "/escalations/?status=all&sort=deadline"),
        ("inbox", "/escalations/inbox/"),
        ("notifications", "/escalations/notifications/"),
        ("find a child", "/escalations/raise/find-child/"),
        ("find a child, nothing typed", submit_as_it_is),
        ("find a child, results", "/escalations/raise/find-child/?q=Hart"),
        ("find a child, one chosen", f"/escalations/raise/find-child/?q=Hart&child={w.cast.child.public_id}"),
        ("add a child", f"/escalations/raise/add-child/?child={w.cast.child.public_id}"),
        ("add a child, errors", submit_as_it_is),
        ("raise", f"/escalations/raise/?{children}"),
        ("raise, errors", submit_as_it_is),
        ("escalation, waiting", esc(w.waiting)),
        ("escalation, discussed", esc(w.discussed)),
        ("escalation, withdrawn", esc(w.withdrawn)),
        *record_pages(w),
        ("two-factor sign-in", "/two-factor/"),
        ("set up two-factor sign-in", "/two-factor/set-up/"),
    ]


def record_pages(w: World) -> list:
    """A finished case's record: its page, the printable notice and resolution record, a child's file."""
    return [
        ("escalation, decided", esc(w.decided)),
        ("escalation notice", esc(w.decided, "notice/")),
        ("resolution record", esc(w.decided, "resolution-record/")),
        ("child's file", f"/children/{w.cast.child.public_id}/"),
    ]


def raiser_pages(w: World) -> list:
    return [
        ("escalate", esc(w.waiting, "escalate/")),
        ("escalate, errors", submit_as_it_is),
        ("withdraw", esc(w.waiting, "withdraw/")),
        ("withdraw, errors", submit_as_it_is),
        ("change urgency", esc(w.waiting, "urgency/")),
        ("record a discussion", esc(w.waiting, "discussions/new/")),
        ("record a discussion, errors", submit_as_it_is),
        ("close", esc(w.decided, "close/")),
    ]


def other_side_pages(w: World) -> list:
    return [
        ("escalations", "/escalations/"),
        ("acknowledge", esc(w.waiting, "acknowledge/")),
        ("resolve", esc(w.discussed, "resolve/")),
        ("resolve, errors", submit_as_it_is),
        ("notifications", "/escalations/notifications/"),
    ]


def partnership_pages(w: World) -> list:
    """The business manager's and chair's pages."""
    return [
        ("home", "/"),
        ("partnership stage", "/escalations/partnership-stage/"),
        ("escalation at the partnership stage", esc(w.at_partnership)),
        ("dashboard", "/dashboard/"),
        ("dashboard, filtered", f"/dashboard/?agency={w.cast.school.public_id}"),
        ("dashboard list", "/dashboard/list/"),
        ("learning report", "/dashboard/report/?quarter=2026-Q1"),
        ("audit samples", "/dashboard/audit/"),
        ("audit sample", f"/dashboard/audit/{w.sample.public_id}/"),
        ("exports", "/exports/"),
        ("exports, errors", lambda page: fill_and_submit(page, "Raised on or after (optional)", "31/02/2026")),
        ("deadline calculator", "/partnership/deadline-calculator/"),
        (
            "deadline calculator, a result",
            "/partnership/deadline-calculator/?start=05/10/2026+10:00&stage=2&urgency=standard",
        ),
        ("deadline calculator, errors", "/partnership/deadline-calculator/?start=31/02/2026"),
    ]


def business_manager_pages(w: World) -> list:
    sampled = w.sample.checks.select_related("escalation").first()
    return partnership_pages(w) + [
        ("arrange the partnership stage", esc(w.at_partnership, "arrange/")),
        ("arrange, errors", submit_as_it_is),
        ("audit check", f"/dashboard/audit/{w.sample.public_id}/check/?case={sampled.escalation.public_id}"),
        ("retention review", "/retention/"),
        ("legal hold", f"/retention/{w.due_for_review.public_id}/hold/"),
        ("legal hold, errors", submit_as_it_is),
        ("release legal hold", f"/retention/{w.on_hold.public_id}/release/"),
        ("dispose", f"/retention/{w.due_for_review.public_id}/dispose/"),
        ("dispose, errors", submit_as_it_is),
        ("escalation, mediation arranged", esc(w.arranged)),
        ("partnership decision", esc(w.arranged, "decision/")),
        ("partnership decision, errors", submit_as_it_is),
    ]


def chair_pages(w: World) -> list:
    return partnership_pages(w) + [
        ("too many exports", lambda page: download_blocked(page)),
        ("notifications", "/escalations/notifications/"),
    ]


def fill_and_submit(page, label, value):
    page.get_by_label(label).fill(value)
    submit(page, "Download export")


def download_blocked(page):
    """The chair has used up the hour's exports: the next one is refused with a page."""
    page.goto(urljoin(page.url, "/exports/"))
    submit(page, "Download export")


def auditor_pages(w: World) -> list:
    return [
        ("home", "/"),
        ("escalations", "/escalations/?status=all"),
        *record_pages(w),
        ("exports", "/exports/"),
        ("dashboard", "/dashboard/"),
        ("two-factor sign-in", "/two-factor/"),
    ]


def panel_member_pages(w: World) -> list:
    return [
        ("home", "/"),
        ("partnership stage", "/escalations/partnership-stage/"),
        ("notifications", "/escalations/notifications/"),
    ]


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


def test_every_page_reflows_at_320_pixels_and_keeps_its_text_with_wider_spacing(world, phone, live_server):
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
        ("other_manager", [("inbox", "/escalations/inbox/"), ("notifications", "/escalations/notifications/")]),
        ("manager", [("inbox", "/escalations/inbox/")]),
        ("business_manager", business_manager_pages(w)),
        ("chair", chair_pages(w)),
        ("panel_member", panel_member_pages(w)),
        ("auditor", auditor_pages(w)),
    ):
        visit(phone(getattr(cast, who)), findings, live_server, who, pages)

    # Two-factor sign-in, from setting it up to the recovery code.
    newcomer = w.two_factor_newcomer
    page = phone()
    sign_in(page, live_server, newcomer.username, PASSWORD, second_step=False)
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
