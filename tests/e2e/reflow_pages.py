"""The pages the reflow test (tests/e2e/test_reflow.py) opens, as each person who uses them,
the cases and records they show, and the steps that reach a page by a form.

Each list holds (label, path or step): a path is opened and must answer 200; a step is called
with the page and leaves it on the page to measure.
"""

from dataclasses import dataclass
from datetime import date
from urllib.parse import urljoin

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from playwright.sync_api import expect

from escalation import retention, services
from escalation.attachments import attachment_add
from escalation.audit_sample import audit_sample_draw
from escalation.drafts import Draft, DraftKind, draft_save
from escalation.exports.audit import export_record
from escalation.exports.scope import ExportFilter
from escalation.models import Escalation
from escalation.partnership_stage import review_arrange
from partnerships.choices import PanelRule, Role
from partnerships.models import Membership
from tests import attachment_samples as samples
from tests.factories import ChildFactory, PartnershipFactory, person
from tests.functional.test_dashboard_audit import closed_escalations
from tests.integration.test_dashboard import build_fixed_set
from tests.integration.test_escalation_lifecycle import climb_to_partnership_stage, raise_one
from tests.integration.test_retention import finished


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
    raise_draft: Draft  # the practitioner's half-written disagreement
    discussion_draft: Draft  # and discussion record, of the waiting case
    st_helens_business_manager: object  # St Helens' policy is past its review date


LONG_SCHOOL = "St Bartholomew's Church of England Voluntary Aided Primary School and Nursery"
LONG_FILE_NAME = "Strategy-meeting-minutes-and-chronology-for-the-childrens-social-care-referral.pdf"
CONCERN = "The referral was refused although bruising was seen twice at school this term."


def build_world(cast) -> World:
    """The cases, people and records the pages show, in every state the pages have."""
    # A real school's name, long enough to need wrapping in every table and summary list.
    cast.school.name = LONG_SCHOOL
    cast.school.save()
    withdrawn = build_fixed_set(cast)["e3"]  # raised by children's social care, then withdrawn
    waiting = raise_one(cast, at=timezone.now())
    # Files listed on its page, one with a name long enough to need wrapping.
    for name in (LONG_FILE_NAME, "Referral.pdf"):
        attachment_add(escalation=waiting, acting_user=cast.practitioner, upload=SimpleUploadedFile(name, samples.PDF))
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
        raise_draft=draft_save(
            author=cast.practitioner,
            kind=DraftKind.RAISE,
            data={"children": [str(cast.child.public_id)], "concern": [CONCERN]},
        ),
        discussion_draft=draft_save(
            author=cast.practitioner,
            kind=DraftKind.DISCUSSION,
            escalation=waiting,
            data={"outcome": ["Agreed to hold a strategy discussion."]},
        ),
        st_helens_business_manager=person(
            "st-helens-business-manager", PartnershipFactory(slug="st-helens"), Role.BUSINESS_MANAGER
        ),
    )


def fresh(escalation):
    return Escalation.objects.get(pk=escalation.pk)


def submit(page, button):
    with page.expect_navigation():
        page.locator("main").get_by_role("button", name=button, exact=True).click()


def submit_as_it_is(page):
    """Send the page's form without filling it in: the error state (not "Save as draft", which
    keeps what was typed and goes home)."""
    with page.expect_navigation():
        page.locator("main").locator(
            "button[type=submit]:not([name=save_draft]), input[type=submit]:not([name=save_draft])"
        ).last.click()


def follow(page, link):
    with page.expect_navigation():
        page.locator("main").get_by_role("link", name=link).first.click()


def esc(e, suffix=""):
    return f"/escalations/{e.public_id}/{suffix}"


def agency_pages(w: World) -> list:
    """(label, path or step) for the people of the agencies: practitioners and their managers."""
    children = f"child={w.cast.child.public_id}&child={w.cast.sibling.public_id}"
    return [
        ("home, with work and drafts", "/"),
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
        ("e-mail choice", "/escalations/notifications/e-mail/"),
        *draft_pages(w),
        *policy_pages(w),
        ("page not found", lambda page: expect_status(page, "/no-such-page/", 404)),
        ("not allowed", lambda page: expect_status(page, "/dashboard/", 403)),
    ]


def draft_pages(w: World) -> list:
    """The practitioner's drafts (listed on their home page): opened again, deleted."""
    return [
        ("a draft disagreement", f"/escalations/drafts/{w.raise_draft.public_id}/"),
        ("a draft discussion record", f"/escalations/drafts/{w.discussion_draft.public_id}/"),
        ("delete a draft", f"/escalations/drafts/{w.raise_draft.public_id}/delete/"),
    ]


def policy_pages(w: World) -> list:
    """The partnership's policy as everyone reads it: the version in use and an earlier one."""
    slug = w.cast.partnership.slug
    return [("policy", f"/policy/{slug}/"), ("policy, version 1", f"/policy/{slug}/versions/1/")]


def policy_editor_pages(w: World) -> list:
    """The business manager's editor, from starting a draft to publishing or discarding it."""
    draft = f"/policy/{w.cast.partnership.slug}/draft/"
    return [
        *policy_pages(w),
        ("start a new version", f"{draft}start/"),
        ("draft version", lambda page: submit(page, "Start a draft")),
        ("change a stage", f"{draft}stages/2/"),
        ("change a stage, errors", refuse_a_negative_timescale),
        ("change the details", f"{draft}details/"),
        ("change the calendar", f"{draft}calendar/"),
        ("change the signposts", f"{draft}signposts/"),
        ("preview", f"{draft}preview/"),
        ("preview, the deadlines", preview_the_deadlines),
        ("publish", f"{draft}publish/"),
        ("discard", f"{draft}discard/"),
        ("remove a stage", f"{draft}stages/2/remove/"),
    ]


def refuse_a_negative_timescale(page):
    page.get_by_label("Standard timescale: how many").fill("-1")
    submit(page, "Save and return to the draft")
    expect(page.locator(".govuk-error-summary")).to_contain_text("A timescale cannot be negative")


def preview_the_deadlines(page):
    page.get_by_label("When does the disagreement start?").fill("11/01/2027 10:00")
    submit(page, "Preview the deadlines")
    expect(page.locator("main table")).to_be_visible()


def expect_status(page, path, status):
    response = page.goto(urljoin(page.url, path))
    assert response.status == status, f"{path} answered {response.status}, not {status}"


def policy_past_its_review_date(page):
    """St Helens' policy ("Next Policy Review Date: July 2019"): its business manager is told."""
    page.goto(urljoin(page.url, "/policy/st-helens/"))
    expect(page.locator("main")).to_contain_text("This policy was due for review on 31 July 2019")


def open_newest_notification(page):
    """Notifications, then the newest one's link: it marks it read and opens its case."""
    page.goto(urljoin(page.url, "/escalations/notifications/"))
    with page.expect_navigation():
        page.locator("main tbody tr").first.get_by_role("link").first.click()
    assert "/escalations/notifications/" not in page.url, page.url


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
        ("attach a file", esc(w.waiting, "files/new/")),
        ("attach a file, errors", submit_as_it_is),
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
        ("a notification opened", open_newest_notification),
        ("home, cases to acknowledge", "/"),
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
        *policy_editor_pages(w),
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
