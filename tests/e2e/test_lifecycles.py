"""Whole escalation lifecycles in a real browser, each person signing in to their own session.

(a) five-stage: raised through the pages, acknowledged and escalated at every stage up to
    partnership mediation, decided, resolved and closed; the child's file holds it all.
(b) cumberland: resolved at Level Two with an agreed action.
(c) a withdrawal with a reason.
Plus raising a disagreement with the keyboard alone. axe runs on every distinct page.
"""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from escalation.models import Escalation
from escalation.wording import stage_title
from partnerships.presets.cumberland import PRESET as CUMBERLAND
from partnerships.presets.five_stage import PRESET as FIVE_STAGE
from tests.conftest import build_cast
from tests.e2e.conftest import TIMEOUT_MS, assert_accessible, sign_in
from tests.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SERVICE = "Resolve a professional disagreement"
ACKNOWLEDGE = "Acknowledge"
ESCALATE = "Escalate to the next stage"
RESOLVE = "Record as resolved"
CLOSE = "Close"
WITHDRAW = "Withdraw"
DISCUSS = "Record a discussion"
ARRANGE = "Arrange the partnership stage"
DECIDE = "Record the decision"


# --- people and pages ----------------------------------------------------------------


@pytest.fixture
def sign_in_as(browser, live_server, browser_log):
    """Each person gets their own browser context (their own cookies), signed in by the form."""
    contexts = []

    def open_session(user):
        context = browser.new_context(locale="en-GB", timezone_id="Europe/London")
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.on("console", browser_log.on_console)
        page.on("pageerror", browser_log.on_page_error)
        sign_in(page, live_server, user.username, PASSWORD)
        expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")
        return page

    yield open_session
    for context in contexts:
        context.close()


def sign_out(page):
    with page.expect_navigation():
        page.get_by_role("navigation", name="Menu").get_by_role("button", name="Sign out").click()
    assert urlsplit(page.url).path == "/sign-in/"
    page.context.close()


def follow(page, locator):
    """Click a link or button and wait for the page it leads to."""
    with page.expect_navigation():
        locator.click()


def nav(page, label):
    follow(page, page.get_by_role("navigation", name="Menu").get_by_role("link", name=label, exact=True))


def submit(page, name):
    follow(page, page.locator("main").get_by_role("button", name=name, exact=True))


def action(page, name):
    """One of the buttons (links styled as buttons) on the escalation page."""
    follow(page, page.locator("main .govuk-button-group").get_by_role("link", name=name, exact=True))


def expect_title(page, title):
    expect(page).to_have_title(f"{title} - {SERVICE}")


def expect_h1(page, text):
    expect(page.get_by_role("heading", level=1)).to_contain_text(text)


def expect_banner(page, text):
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(text)


def expect_no_error_banner(page):
    expect(page.locator(".govuk-notification-banner:not(.govuk-notification-banner--success)")).to_have_count(0)


def expect_escalation_page(page, escalation, *, stage=None, total=5, name="", state, buttons):
    """What the escalation page shows: which stage, the state tag, and exactly these buttons."""
    expect_title(page, escalation.reference)
    expect(page.locator("h1 .govuk-tag")).to_have_text(state)
    if stage is None:
        expect(page.locator("main .govuk-inset-text h2")).to_have_count(0)
    else:
        expect(page.locator("main .govuk-inset-text .app-stage-position")).to_have_text(f"Stage {stage} of {total}")
        expect(page.locator("main .govuk-inset-text h2")).to_have_text(name)
    expect_no_error_banner(page)
    shown = page.locator("main .govuk-button-group .govuk-button")
    if buttons:
        expect(shown).to_have_text(buttons)
    else:
        expect(page.locator("main .govuk-button-group")).to_have_count(0)


def open_from_list(page, nav_label, escalation, *, status_in_row=None, check_a11y=False):
    """Find the escalation in one of the lists in the menu and open it."""
    nav(page, nav_label)
    if check_a11y:
        assert_accessible(page)
    row = page.locator("tbody tr", has=page.get_by_role("link", name=escalation.reference))
    expect(row).to_have_count(1)
    if status_in_row:
        expect(row.locator("td").nth(4)).to_have_text(status_in_row)
    follow(page, row.get_by_role("link", name=escalation.reference))


def now_text(delta=timedelta()):
    return timezone.localtime(timezone.now() + delta).strftime("%d/%m/%Y %H:%M")


def date_text(delta):
    return (timezone.localdate() + delta).strftime("%d/%m/%Y")


# --- the steps everyone takes --------------------------------------------------------


def find_children(page, cast, *, check_a11y=False):
    """Raise a disagreement: search "Hart", select Ellie, then Noah too, and continue."""
    nav(page, "Raise a disagreement")
    expect_title(page, "Raise a disagreement: find the child")
    expect_h1(page, "Which children is it about?")
    if check_a11y:
        assert_accessible(page)
        submit(page, "Search")
        expect_title(page, "Error: Raise a disagreement: find the child")
        expect(page.locator(".govuk-error-summary")).to_contain_text("Enter a name, date of birth or local reference")
        assert_accessible(page)

    page.get_by_label("Child's name, date of birth or local reference").fill("Hart")
    submit(page, "Search")
    results = page.locator("main").get_by_role("link", name=re.compile(r"^Select "))
    expect(results).to_have_count(2)
    if check_a11y:
        assert_accessible(page)

    follow(page, page.get_by_role("link", name=re.compile(r"^Select Ellie Hart")))
    selected = page.locator("main ul.govuk-list--bullet li")
    expect(selected).to_have_count(1)
    expect(selected).to_contain_text(["Ellie Hart"])
    # Brothers and sisters go together: the results are still there to add Noah.
    follow(page, page.get_by_role("link", name=re.compile(r"^Select Noah Hart")))
    expect(selected).to_have_count(2)
    expect(selected).to_contain_text(["Ellie Hart", "Noah Hart"])
    expect(results).to_have_count(0)  # both are marked selected instead
    if check_a11y:
        assert_accessible(page)
        # A new search keeps the children already chosen.
        page.get_by_label("Child's name, date of birth or local reference").fill("Noah")
        submit(page, "Search")
        expect(selected).to_have_count(2)

    follow(page, page.get_by_role("link", name="Continue"))
    expect_title(page, "Raise a disagreement")
    expect(page.get_by_role("checkbox", name=re.compile("^Ellie Hart"))).to_be_checked()
    expect(page.get_by_role("checkbox", name=re.compile("^Noah Hart"))).to_be_checked()


def fill_raise_form(page, cast, *, concern="The referral for Ellie and Noah was refused."):
    page.get_by_label("Which agency do you disagree with?").select_option(label=cast.csc.name)
    page.get_by_label("Name and role of the professional (optional)").fill("Sam Duty, team manager")
    page.get_by_label("Threshold (whether a referral meets the criteria for a service)").check()
    page.get_by_label("What is the concern?").fill(concern)
    page.get_by_label("Why do you believe the decision or practice is unsafe or inappropriate?").fill(
        "Bruising has been seen twice this month."
    )
    page.get_by_label("What outcome are you seeking?").fill("A strategy discussion this week.")
    page.get_by_label("Standard", exact=True).check()


def raise_disagreement(page, cast, *, check_a11y=False) -> Escalation:
    """The practitioner raises one about Ellie and Noah with children's social care."""
    find_children(page, cast, check_a11y=check_a11y)
    if check_a11y:
        assert_accessible(page)
        # Something missing: the GOV.UK error summary, a message per field, nothing typed lost.
        page.get_by_label("What is the concern?").fill("Typed before the mistake")
        submit(page, "Raise disagreement")
        expect_title(page, "Error: Raise a disagreement")
        summary = page.locator(".govuk-error-summary")
        expect(summary).to_be_focused()
        expect(summary.get_by_role("link")).to_have_text(
            [
                "Choose the agency you disagree with",
                "Select what the disagreement is about",
                "Enter why you believe it is unsafe or inappropriate",
                "Enter the outcome you are seeking",
            ]
        )
        expect(page.get_by_label("What is the concern?")).to_have_value("Typed before the mistake")
        expect(page.get_by_role("checkbox", name=re.compile("^Noah Hart"))).to_be_checked()
        assert not Escalation.objects.exists()
        assert_accessible(page)
    fill_raise_form(page, cast)
    submit(page, "Raise disagreement")
    escalation = Escalation.objects.get()
    expect_banner(page, f"Disagreement {escalation.reference} raised.")
    return escalation


def acknowledge(page, escalation, *, check_a11y=False):
    action(page, ACKNOWLEDGE)
    expect_title(page, f"Acknowledge this escalation: {escalation.reference}")
    if check_a11y:
        assert_accessible(page)
    submit(page, ACKNOWLEDGE)
    expect_banner(page, f"You acknowledged {escalation.reference}.")


def record_discussion(page, *, agreed_action=None, check_a11y=False):
    action(page, DISCUSS)
    expect_h1(page, "Record a discussion")
    if check_a11y:
        assert_accessible(page)
    page.get_by_label("When did the discussion take place?").fill(now_text(-timedelta(minutes=30)))
    page.get_by_label("Phone", exact=True).check()
    page.get_by_label("Who took part?").fill("The school's practitioner and the social worker")
    page.get_by_label("Areas of agreement (optional)").fill("Both children need to be seen.")
    page.get_by_label("Areas of disagreement (optional)").fill("Whether the threshold is met.")
    page.get_by_label("Outcome or decision").fill("Not agreed: take it to the managers.")
    if agreed_action:
        description, owner, due = agreed_action
        page.get_by_label("Agreed action 1 (optional)").fill(description)
        # A person, not a name: they are told, and reminded if it becomes overdue.
        owners = page.get_by_label("Who will do action 1")
        label = owners.locator("option", has_text=owner.get_full_name()).first.inner_text()
        owners.select_option(label=label)
        page.get_by_label("Action 1 to be done by").fill(due)
    submit(page, "Save discussion")
    expect_banner(page, "Discussion recorded.")
    expect(page.locator(".govuk-summary-card__title").first).to_contain_text("Phone")


def escalate(page, escalation, next_number, next_name, *, evidence=None, check_a11y=False):
    action(page, ESCALATE)
    # The presets' stage names carry their own label ("Stage 2: …", "Level Two: …"): said once.
    expect_h1(page, f"Escalate to {next_name}")
    if check_a11y:
        assert_accessible(page)
    if evidence is not None:
        # The policy asks for what was done at this stage before it moves on.
        submit(page, ESCALATE)
        expect(page.locator(".govuk-error-summary")).to_contain_text("Describe what was done at this stage")
        if check_a11y:
            assert_accessible(page)
        page.get_by_label("What was done to resolve it at this stage?").fill(evidence)
    submit(page, ESCALATE)
    # Never "stage 2: Stage 2: …": a stage named with its own label is named by it.
    expect_banner(page, f"{escalation.reference} is now at {stage_title(next_number, next_name)}.")


def fill_resolution(page, *, outcome, family_told=True):
    page.get_by_label("Agreed written outcome").fill(outcome)
    page.get_by_label("Issues raised (optional)").fill("Different readings of the threshold document.")
    page.get_by_label("Lessons learnt (optional)").fill("Talk by phone on the first day.")
    page.get_by_role("group", name="Main reason for the escalation").get_by_label(
        "Threshold (whether a referral meets the criteria for a service)"
    ).check()
    page.get_by_label("Which practitioners have been informed?").fill("Both practitioners and their managers")
    family = page.get_by_role("group", name="Has the family been told the outcome?")
    if family_told:
        family.get_by_label("Yes", exact=True).check()
    else:
        family.get_by_label("No", exact=True).check()
        page.get_by_label("If not, why not?").fill("A visit is booked to tell them in person.")
    page.get_by_role("group", name="Is a multi-agency case review recommended?").get_by_label("No", exact=True).check()


# --- (a) five-stage ------------------------------------------------------------------


def test_five_stage_lifecycle_up_to_partnership_mediation_and_closed(sign_in_as, browser_log, cast):
    stages = [s.name for s in FIVE_STAGE.stages]
    raisers_side = sign_in_as(cast.practitioner)

    # The practitioner raises it: search, select both children, the error state, then the form.
    escalation = raise_disagreement(raisers_side, cast, check_a11y=True)
    detail_url = raisers_side.url
    expect_escalation_page(
        raisers_side,
        escalation,
        stage=1,
        name=stages[0],
        state="Awaiting acknowledgement",
        buttons=[ESCALATE, WITHDRAW, DISCUSS],
    )
    expect(raisers_side.locator("main")).to_contain_text("Waiting for someone at this stage to acknowledge it.")
    children = raisers_side.locator("main .govuk-summary-list__row", has_text="Children")
    expect(children.get_by_role("link")).to_have_text(["Ellie Hart", "Noah Hart"])
    assert_accessible(raisers_side)

    # Stage 1: the social worker finds it in the list, acknowledges and records a phone call.
    social_worker = sign_in_as(cast.other_practitioner)
    open_from_list(social_worker, "Escalations", escalation, status_in_row="Awaiting acknowledgement", check_a11y=True)
    expect_escalation_page(
        social_worker,
        escalation,
        stage=1,
        name=stages[0],
        state="Awaiting acknowledgement",
        buttons=[ACKNOWLEDGE, ESCALATE, DISCUSS],
    )
    acknowledge(social_worker, escalation, check_a11y=True)
    expect_escalation_page(
        social_worker,
        escalation,
        stage=1,
        name=stages[0],
        state="In discussion",
        buttons=[ESCALATE, RESOLVE, DISCUSS],
    )
    record_discussion(social_worker, check_a11y=True)
    sign_out(social_worker)

    # Stages 2 to 4: the practitioner escalates with evidence; the other side's holder finds it
    # in their inbox and acknowledges.
    holders = [cast.other_manager, cast.other_senior_manager, cast.other_director]
    for number, holder in enumerate(holders, start=2):
        raisers_side.goto(detail_url)
        expect_escalation_page(
            raisers_side,
            escalation,
            stage=number - 1,
            name=stages[number - 2],
            state="In discussion",
            buttons=[ESCALATE, RESOLVE, WITHDRAW, DISCUSS],
        )
        escalate(
            raisers_side,
            escalation,
            number,
            stages[number - 1],
            evidence=f"Stage {number - 1}: spoke by phone twice; no agreement on the threshold.",
            check_a11y=number == 2,
        )
        # Nothing goes on to the partnership stage until someone at stage 4 has acknowledged it.
        before_the_partnership = number == 4
        expect_escalation_page(
            raisers_side,
            escalation,
            stage=number,
            name=stages[number - 1],
            state="Awaiting acknowledgement",
            buttons=[WITHDRAW, DISCUSS] if before_the_partnership else [ESCALATE, WITHDRAW, DISCUSS],
        )
        if before_the_partnership:
            expect(raisers_side.locator("#partnership-waits")).to_contain_text("stage 4 was not")

        other_side = sign_in_as(holder)
        open_from_list(
            other_side, "Inbox", escalation, status_in_row="Awaiting acknowledgement", check_a11y=number == 2
        )
        expect_escalation_page(
            other_side,
            escalation,
            stage=number,
            name=stages[number - 1],
            state="Awaiting acknowledgement",
            buttons=[ACKNOWLEDGE, DISCUSS] if before_the_partnership else [ACKNOWLEDGE, ESCALATE, DISCUSS],
        )
        acknowledge(other_side, escalation)
        expect_escalation_page(
            other_side,
            escalation,
            stage=number,
            name=stages[number - 1],
            state="In discussion",
            buttons=[ESCALATE, RESOLVE, DISCUSS],
        )
        sign_out(other_side)

        if number == 3:
            # The auditor reads it but can do nothing to it.
            auditor = sign_in_as(cast.auditor)
            open_from_list(auditor, "Escalations", escalation)
            expect_escalation_page(auditor, escalation, stage=3, name=stages[2], state="In discussion", buttons=[])
            expect(auditor.get_by_role("link", name=DISCUSS)).to_have_count(0)
            expect(auditor.get_by_role("link", name="Change urgency")).to_have_count(0)
            expect(auditor.get_by_role("button", name="Mark done")).to_have_count(0)
            sign_out(auditor)

    # Stage 5: to the partnership.
    raisers_side.goto(detail_url)
    escalate(raisers_side, escalation, 5, stages[4], evidence="The directors met and could not agree.")
    expect_escalation_page(
        raisers_side, escalation, stage=5, name=stages[4], state="Awaiting acknowledgement", buttons=[WITHDRAW, DISCUSS]
    )

    business_manager = sign_in_as(cast.business_manager)
    open_from_list(
        business_manager, "Partnership stage", escalation, status_in_row="Awaiting acknowledgement", check_a11y=True
    )
    expect_escalation_page(
        business_manager,
        escalation,
        stage=5,
        name=stages[4],
        state="Awaiting acknowledgement",
        # Not withdraw (the disagreement is the raiser's), nor decide before it is arranged.
        buttons=[ACKNOWLEDGE, DISCUSS, ARRANGE],
    )

    # Formal use and mediation chaired by the partnership chair.
    action(business_manager, ARRANGE)
    expect_h1(business_manager, "Arrange the partnership stage")
    assert_accessible(business_manager)
    mediation = business_manager.get_by_label("Mediation", exact=True)
    expect(mediation).to_be_checked()  # what the policy says, offered first
    mediation.check()
    chair_name = cast.chair.get_full_name()
    business_manager.get_by_label("Who chairs, mediates or decides?").select_option(
        label=f"{chair_name}, Partnership chair, {cast.partnership.name}"
    )
    submit(business_manager, "Record formal use and arrangements")
    expect_banner(business_manager, "Formal use recorded and the partnership stage arranged.")
    expect(business_manager.locator("main")).to_contain_text(f"Mediation chaired by {chair_name}")

    # Arranging it took the stage up: it no longer awaits acknowledgement.
    expect_escalation_page(
        business_manager,
        escalation,
        stage=5,
        name=stages[4],
        state="In discussion",
        buttons=[DISCUSS, DECIDE],  # no resolving before the binding decision
    )

    action(business_manager, DECIDE)
    expect_h1(business_manager, "Record the partnership's decision")
    assert_accessible(business_manager)
    decision = "Children's social care will hold a strategy discussion by Friday."
    business_manager.get_by_label("The partnership's binding decision").fill(decision)
    submit(business_manager, "Record decision")
    expect_banner(business_manager, "Decision recorded. You can now record the escalation as resolved.")
    expect(business_manager.locator("main")).to_contain_text(decision)
    expect_escalation_page(
        business_manager,
        escalation,
        stage=5,
        name=stages[4],
        state="In discussion",
        buttons=[RESOLVE, DISCUSS],  # the decision is binding: recorded once, not rewritten
    )
    assert_accessible(business_manager)  # with the partnership stage and the decision on it

    action(business_manager, RESOLVE)
    expect_h1(business_manager, "Record the resolution")
    assert_accessible(business_manager)
    fill_resolution(business_manager, outcome="Strategy discussion held; both children seen.")
    submit(business_manager, "Record resolution")
    expect_banner(business_manager, f"{escalation.reference} is recorded as resolved.")
    expect_escalation_page(business_manager, escalation, state="Resolved", buttons=[CLOSE])
    sign_out(business_manager)

    # The practitioner sees it resolved and closes it.
    raisers_side.goto(detail_url)
    expect_escalation_page(raisers_side, escalation, state="Resolved", buttons=[CLOSE])
    action(raisers_side, CLOSE)
    expect_h1(raisers_side, "Close this escalation")
    assert_accessible(raisers_side)
    submit(raisers_side, "Close escalation")
    expect_banner(raisers_side, f"{escalation.reference} is closed.")
    expect_escalation_page(raisers_side, escalation, state="Closed", buttons=[])
    stages_table = raisers_side.locator("main table", has_text="Timescale met").locator("tbody tr")
    expect(stages_table).to_have_count(5)
    expect(stages_table.last).to_contain_text("(resolved)")
    assert_accessible(raisers_side)

    # The printable documents, filled from the record.
    follow(raisers_side, raisers_side.get_by_role("link", name="Escalation notice (printable)"))
    expect_h1(raisers_side, "Escalation notice")
    expect(raisers_side.get_by_role("row", name=re.compile("^Level of resolution"))).to_contain_text("Stage 5")
    assert_accessible(raisers_side)
    raisers_side.goto(detail_url)
    follow(raisers_side, raisers_side.get_by_role("link", name="Resolution record (printable)"))
    expect_h1(raisers_side, "Escalation resolution record")
    expect(raisers_side.get_by_role("row", name=re.compile("^Stage escalation resolved"))).to_contain_text("Stage 5")
    assert_accessible(raisers_side)

    # Ellie's file holds the whole chronology.
    raisers_side.goto(detail_url)
    follow(raisers_side, raisers_side.get_by_role("link", name="Ellie Hart"))
    expect_title(raisers_side, "Child's file: Ellie Hart")
    expect(raisers_side.locator("main ul.govuk-list li")).to_contain_text([f"{escalation.reference}"])
    kinds = raisers_side.locator(".app-timeline__entry strong").all_inner_texts()
    assert kinds[0] == "Disagreement raised"
    assert kinds[-1] == "Closed"
    assert {kind: kinds.count(kind) for kind in set(kinds)} == {
        "Disagreement raised": 1,
        "Acknowledged": 5,
        "Escalated": 4,
        "Discussion recorded": 1,
        "Note": 1,  # formal use of the procedure recorded
        "Partnership decision": 1,
        "Resolved": 1,
        "Closed": 1,
    }
    timeline = raisers_side.locator(".app-timeline")
    expect(timeline).to_contain_text("recorded a phone discussion")
    expect(timeline).to_contain_text(decision)
    assert_accessible(raisers_side)
    assert browser_log.errors() == []


# --- (b) cumberland --------------------------------------------------------------------


def test_cumberland_resolved_at_level_two_with_an_agreed_action(sign_in_as, browser_log, transactional_db):
    cast = build_cast("cumberland")
    stages = [s.name for s in CUMBERLAND.stages]
    raisers_side = sign_in_as(cast.practitioner)
    escalation = raise_disagreement(raisers_side, cast)
    detail_url = raisers_side.url
    expect_escalation_page(
        raisers_side,
        escalation,
        stage=1,
        name=stages[0],
        state="Awaiting acknowledgement",
        buttons=[ESCALATE, WITHDRAW, DISCUSS],
    )

    social_worker = sign_in_as(cast.other_practitioner)
    open_from_list(social_worker, "Escalations", escalation)
    acknowledge(social_worker, escalation)
    sign_out(social_worker)

    # Level Two needs no evidence of Level One's efforts.
    raisers_side.goto(detail_url)
    escalate(raisers_side, escalation, 2, stages[1])
    expect_escalation_page(
        raisers_side,
        escalation,
        stage=2,
        name=stages[1],
        state="Awaiting acknowledgement",
        buttons=[ESCALATE, WITHDRAW, DISCUSS],
    )

    team_manager = sign_in_as(cast.other_manager)
    open_from_list(team_manager, "Inbox", escalation, status_in_row="Awaiting acknowledgement")
    acknowledge(team_manager, escalation)
    due = date_text(timedelta(days=7))
    agreed = ("Complete a child and family assessment", cast.other_manager, due)
    record_discussion(team_manager, agreed_action=agreed)
    expect(team_manager.get_by_role("button", name=re.compile(rf"^Mark done\W+{agreed[0]}$"))).to_be_visible()
    assert_accessible(team_manager)  # with a discussion and an open action on it
    action(team_manager, RESOLVE)
    fill_resolution(team_manager, outcome="An assessment will be completed.", family_told=False)
    submit(team_manager, "Record resolution")
    expect_banner(team_manager, "and the practitioner who raised it, have been told.")
    sign_out(team_manager)

    raisers_side.goto(detail_url)
    expect_escalation_page(raisers_side, escalation, state="Resolved", buttons=[CLOSE])
    action_row = raisers_side.locator("main table", has_text="Who").locator("tbody tr")
    expect(action_row).to_have_count(1)
    expect(action_row.locator("td")).to_have_text(
        [
            agreed[0],
            cast.other_manager.get_full_name(),
            (timezone.localdate() + timedelta(days=7)).strftime("%-d %b %Y"),
            "Open",
        ]
    )
    follow(raisers_side, raisers_side.get_by_role("link", name="Resolution record (printable)"))
    expect(raisers_side.get_by_role("row", name=re.compile("^Stage escalation resolved"))).to_contain_text("Stage 2")
    expect(raisers_side.get_by_role("row", name=re.compile("^Family told"))).to_contain_text(
        "No: A visit is booked to tell them in person."
    )
    expect(raisers_side.get_by_role("row", name=re.compile("^Procedures case managed under"))).to_contain_text(
        CUMBERLAND.name
    )
    assert browser_log.errors() == []


# --- (c) withdrawal ------------------------------------------------------------------


def test_a_disagreement_is_withdrawn_with_a_reason(sign_in_as, browser_log, cast):
    page = sign_in_as(cast.practitioner)
    escalation = raise_disagreement(page, cast)
    withdraw_link = page.locator("main .govuk-button-group").get_by_role("link", name=WITHDRAW, exact=True)
    expect(withdraw_link).to_have_class(re.compile(r"govuk-button--warning"))

    action(page, WITHDRAW)
    expect_title(page, f"Withdraw this disagreement: {escalation.reference}")
    button = page.locator("main").get_by_role("button", name="Withdraw disagreement")
    expect(button).to_have_class(re.compile(r"govuk-button--warning"))
    assert_accessible(page)

    submit(page, "Withdraw disagreement")
    expect_title(page, f"Error: Withdraw this disagreement: {escalation.reference}")
    summary = page.locator(".govuk-error-summary")
    expect(summary.get_by_role("link")).to_have_text(["Enter why the disagreement is being withdrawn"])
    expect(page.locator(".govuk-error-message")).to_contain_text("Enter why the disagreement is being withdrawn")
    assert_accessible(page)

    reason = "Children's social care has now opened an assessment."
    page.get_by_label("Why is the disagreement being withdrawn?").fill(reason)
    submit(page, "Withdraw disagreement")
    expect_banner(page, f"{escalation.reference} has been withdrawn.")
    expect_escalation_page(page, escalation, state="Withdrawn", buttons=[])
    expect(page.locator("main .govuk-summary-list__row", has_text="Withdrawn because")).to_contain_text(reason)
    expect(page.locator(".app-timeline")).to_contain_text(reason)
    assert_accessible(page)
    assert browser_log.errors() == []


# --- keyboard only -------------------------------------------------------------------


def tab_to(page, locator, limit=80):
    """Press Tab until the element has focus, as someone without a mouse would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if locator.evaluate("element => element === document.activeElement"):
            return
    pytest.fail(f"Tab never reached {locator}")


def test_raising_a_disagreement_with_the_keyboard_alone(sign_in_as, browser_log, cast):
    page = sign_in_as(cast.practitioner)

    # From the menu, find the child.
    tab_to(page, page.get_by_role("navigation", name="Menu").get_by_role("link", name="Raise a disagreement"))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    tab_to(page, page.get_by_label("Child's name, date of birth or local reference"))
    page.keyboard.type("Ellie")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    tab_to(page, page.get_by_role("link", name=re.compile(r"^Select Ellie Hart")))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    tab_to(page, page.get_by_role("link", name="Continue"))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect_title(page, "Raise a disagreement")

    # The form, field by field.
    expect(page.get_by_role("checkbox", name=re.compile("^Ellie Hart"))).to_be_checked()
    agency = page.get_by_label("Which agency do you disagree with?")
    tab_to(page, agency)
    page.keyboard.type("Riverside C")
    expect(agency).to_have_value(str(cast.csc.pk))
    page.keyboard.press("Tab")
    expect(page.get_by_label("Name and role of the professional (optional)")).to_be_focused()
    page.keyboard.type("Sam Duty, team manager")
    page.keyboard.press("Tab")
    threshold = page.get_by_label("Threshold (whether a referral meets the criteria for a service)")
    expect(threshold).to_be_focused()
    page.keyboard.press("Space")
    expect(threshold).to_be_checked()
    concern = page.get_by_label("What is the concern?")
    tab_to(page, concern)
    page.keyboard.type("The referral was refused.")
    page.keyboard.press("Tab")
    page.keyboard.type("Bruising has been seen twice.")
    page.keyboard.press("Tab")
    page.keyboard.type("A strategy discussion.")
    page.keyboard.press("Tab")
    standard = page.get_by_label("Standard", exact=True)
    expect(standard).to_be_focused()
    expect(standard).to_be_checked()
    tab_to(page, page.get_by_role("button", name="Raise disagreement"))
    with page.expect_navigation():
        page.keyboard.press("Enter")

    escalation = Escalation.objects.get()
    expect_banner(page, f"Disagreement {escalation.reference} raised.")
    expect(page.locator("main .govuk-inset-text .app-stage-position")).to_have_text("Stage 1 of 5")
    assert escalation.concern == "The referral was refused."
    assert escalation.why_unsafe == "Bruising has been seen twice."
    assert escalation.outcome_sought == "A strategy discussion."
    assert escalation.receiving_agency == cast.csc
    assert escalation.receiving_professional == "Sam Duty, team manager"
    assert browser_log.errors() == []
