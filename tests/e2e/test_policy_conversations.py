"""Each policy's conversation in a real browser: who is told of each event, and what the notice asks.

One test per policy walks a disagreement from raise to close with the people the policy names.
After an event, someone who should have been told opens Notifications from the header in their
own browser session (signed in once, kept for the rest of the test) and reads the newest notice:
its kind, the escalation's reference and what it asks of them ("You hold this stage", "You are
seated on it", "for your information"). Each test also checks that someone the policy leaves out
has heard nothing of it.

- five-stage: every stage in turn up to mediation by the partnership; the business office is
  told when stage 5 starts; opening the case from a notice marks it read; axe on the list.
- cumberland: up to the partnership; its chair and business manager are told, the chair
  appoints the impartial member, who is told only then and decides.
- plymouth: a discussion at stage 1 is fed back to both line managers; resolved at stage 2.
- bromley: a resolution panel needs three agencies; direct liaison is the allowed alternative.
- st-helens: stage 1 is the raiser's own line manager (told, and can open it); another
  practitioner of the school is not; resolved at stage 2 with a copy to the business manager.
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from escalation.wording import stage_in_text
from partnerships.choices import Role
from partnerships.presets.bromley import PRESET as BROMLEY
from partnerships.presets.cumberland import PRESET as CUMBERLAND
from partnerships.presets.five_stage import PRESET as FIVE_STAGE
from partnerships.presets.plymouth import PRESET as PLYMOUTH
from partnerships.presets.st_helens import PRESET as ST_HELENS
from tests.conftest import build_cast
from tests.e2e import test_lifecycles
from tests.e2e.conftest import assert_accessible
from tests.e2e.test_lifecycles import (
    ACKNOWLEDGE,
    ARRANGE,
    CLOSE,
    DECIDE,
    DISCUSS,
    ESCALATE,
    RESOLVE,
    WITHDRAW,
    acknowledge,
    action,
    date_text,
    escalate,
    expect_banner,
    expect_escalation_page,
    expect_h1,
    expect_title,
    fill_resolution,
    follow,
    raise_disagreement,
    record_discussion,
    submit,
)
from tests.factories import person

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# The fixture giving each person their own signed-in browser session.
sign_in_as = test_lifecycles.sign_in_as

HOLD = "You hold this stage"
ACKNOWLEDGE_AND_PLAN = f"{HOLD}: acknowledge it and agree a plan of action with the other agency by"
SEATED = "You are seated on it: hear the disagreement and record the partnership's decision by"
# Five-stage times the mediation's offer ("within 5 working days of notification to the Business
# Office"), not the decision: once it is arranged, nothing on the stage has a deadline.
OFFER_MEDIATION = (
    f"{HOLD}: once the mediation is arranged, the people seated on it (or the business manager) record the "
    "partnership's decision; arrange the mediation by"
)
SEATED_UNTIMED = "You are seated on it: hear the disagreement and record the partnership's decision."
FOR_INFORMATION = "This is for your information: nothing is needed from you now."
# The agencies a panel, mediation or review hears are asked to be ready, not told nothing is needed.
TO_BE_HEARD = "It hears the agencies in the disagreement: be ready to set out your agency's position."
ARRANGE_SUBMIT = "Record formal use and arrangements"
A_WEEK = timedelta(days=7)


def arrange_then_decide(arrangement: str, *, by_the_chair: bool = False) -> str:
    """What the partnership stage's holders are asked to do when it starts (Cumberland's
    impartial member is the chair's to appoint)."""
    who = "the chair appoints" if by_the_chair else "arrange"
    return (
        f"{HOLD}: {who} the {arrangement}; the people seated on it (or the business manager) then record the "
        "partnership's decision by"
    )


def stage(number: int, preset) -> str:
    """A stage as the notices name it: "stage 2 (direct manager to manager discussion)"."""
    return stage_in_text(number, preset.stages[number - 1].name)


def day_text(delta: timedelta) -> str:
    return (timezone.localdate() + delta).strftime("%A %-d %B %Y")


# --- notifications -----------------------------------------------------------------------------


def open_notifications(page):
    """The header link (its name carries the unread count, e.g. "Notifications 2 unread")."""
    menu = page.get_by_role("navigation", name="Menu")
    follow(page, menu.get_by_role("link", name=re.compile(r"^Notifications")))
    expect_title(page, "Notifications")
    expect_h1(page, "Notifications")


def notices_about(page, escalation):
    return page.locator("main tbody tr", has=page.get_by_role("link", name=escalation.reference, exact=True))


def expect_newest_notice(page, escalation, kind, *says):
    """Open Notifications: the newest is about this escalation, of this kind, and says these things."""
    open_notifications(page)
    newest = page.locator("main tbody tr").first
    expect(newest.locator("td").nth(2)).to_have_text(escalation.reference)
    what = newest.locator("td").nth(1)
    expect(what.locator("strong")).to_have_text(kind)
    expect(what).to_contain_text(escalation.reference)
    for text in says:
        expect(what).to_contain_text(text)
    expect(what).not_to_contain_text("Ellie")  # never the child's details
    return newest


def expect_not_told(page, escalation):
    open_notifications(page)
    expect(page.locator("main tbody tr", has_text=escalation.reference)).to_have_count(0)


def open_newest_notice(page, escalation):
    """Follow the newest notice's link to the case, as the notice asks."""
    follow(page, page.locator("main tbody tr").first.get_by_role("link", name=escalation.reference, exact=True))
    expect_title(page, escalation.reference)


# --- the partnership stage and the end --------------------------------------------------------


def arrange(page, *, chair_label, arrangement=None):
    action(page, ARRANGE)
    expect_h1(page, "Arrange the partnership stage")
    if arrangement:
        expect(page.get_by_label(arrangement, exact=True)).to_be_checked()  # what the policy names, offered first
    page.get_by_label("Who chairs, mediates or decides?").select_option(label=chair_label)
    submit(page, ARRANGE_SUBMIT)


def record_decision(page, decision):
    action(page, DECIDE)
    expect_h1(page, "Record the partnership's decision")
    page.get_by_label("The partnership's binding decision").fill(decision)
    submit(page, "Record decision")
    expect_banner(page, "Decision recorded. You can now record the escalation as resolved.")


def resolve(page, escalation, outcome):
    action(page, RESOLVE)
    expect_h1(page, "Record the resolution")
    fill_resolution(page, outcome=outcome)
    submit(page, "Record resolution")
    expect_banner(page, f"{escalation.reference} is recorded as resolved.")


def close(page, escalation):
    expect_escalation_page(page, escalation, state="Resolved", buttons=[CLOSE])
    action(page, CLOSE)
    expect_h1(page, "Close this escalation")
    submit(page, "Close escalation")
    expect_banner(page, f"{escalation.reference} is closed.")
    expect_escalation_page(page, escalation, state="Closed", buttons=[])


def chair_option(user, role_label, partnership):
    return f"{user.get_full_name()}, {role_label}, {partnership.name}"


# --- five-stage --------------------------------------------------------------------------------


def test_five_stage_tells_each_stage_in_turn_and_the_business_office_when_mediation_starts(
    sign_in_as, browser_log, cast
):
    stages = [s.name for s in FIVE_STAGE.stages]
    practitioner = sign_in_as(cast.practitioner)
    escalation = raise_disagreement(practitioner, cast)
    detail_url = practitioner.url

    # Stage 1 is practitioner to practitioner: the team manager hears nothing of it yet.
    team_manager = sign_in_as(cast.other_manager)
    expect_not_told(team_manager, escalation)
    expect(team_manager.locator("main")).to_contain_text("You have no notifications.")

    # The social worker holds stage 1: told what to do and by when, and the header counts it.
    social_worker = sign_in_as(cast.other_practitioner)
    menu = social_worker.get_by_role("navigation", name="Menu")
    expect(menu.locator(".app-count")).to_have_text("1 unread")
    newest = expect_newest_notice(
        social_worker,
        escalation,
        "New disagreement",
        f"{cast.school.name} raised a disagreement with {cast.csc.name}",
        f"It starts at {stage(1, FIVE_STAGE)}.",
        ACKNOWLEDGE_AND_PLAN,
    )
    expect(newest.locator(".govuk-tag", has_text="New")).to_be_visible()
    assert_accessible(social_worker)
    # Opening the case from the notice reads it: the "New" tag and the count go.
    open_newest_notice(social_worker, escalation)
    expect_escalation_page(
        social_worker,
        escalation,
        stage=1,
        name=stages[0],
        state="Awaiting acknowledgement",
        buttons=[ACKNOWLEDGE, ESCALATE, DISCUSS],
    )
    open_notifications(social_worker)
    expect(notices_about(social_worker, escalation)).to_have_count(1)
    expect(notices_about(social_worker, escalation).locator(".govuk-tag", has_text="New")).to_have_count(0)
    expect(menu.locator(".app-count")).to_have_count(0)

    social_worker.goto(detail_url)
    acknowledge(social_worker, escalation)
    expect_newest_notice(
        practitioner, escalation, "Acknowledged", f"Social Worker acknowledged {stage(1, FIVE_STAGE)}. It is due by"
    )

    # An agreed action owned by the team manager: told it is theirs, and by when.
    record_discussion(
        social_worker, agreed_action=("Complete a child and family assessment", cast.other_manager, date_text(A_WEEK))
    )
    expect_newest_notice(
        team_manager,
        escalation,
        "Agreed action for you",
        f"an action agreed at {stage(1, FIVE_STAGE)} is yours, to be done by {day_text(A_WEEK)}",
    )
    expect_newest_notice(
        practitioner,
        escalation,
        "Discussion recorded",
        f"Social Worker recorded a discussion at {stage(1, FIVE_STAGE)}",
    )

    # Stage 2: the managers hold it; the social worker who held stage 1 is told for information.
    practitioner.goto(detail_url)
    escalate(practitioner, escalation, 2, stages[1], evidence="Spoke by phone twice; no agreement on the threshold.")
    expect_newest_notice(
        team_manager,
        escalation,
        "Escalated",
        f"escalated from {stage(1, FIVE_STAGE)} to {stage(2, FIVE_STAGE)} by Practitioner Staff.",
        ACKNOWLEDGE_AND_PLAN,
    )
    expect_newest_notice(social_worker, escalation, "Escalated", f"to {stage(2, FIVE_STAGE)}", FOR_INFORMATION)
    open_newest_notice(team_manager, escalation)
    acknowledge(team_manager, escalation)
    escalate(team_manager, escalation, 3, stages[2], evidence="The managers met; still no agreement.")

    # Stages 3 and 4: each holder finds it in their notifications, acknowledges and takes it on.
    head_of_service = sign_in_as(cast.other_senior_manager)
    expect_newest_notice(
        head_of_service, escalation, "Escalated", f"to {stage(3, FIVE_STAGE)} by Team Manager.", ACKNOWLEDGE_AND_PLAN
    )
    open_newest_notice(head_of_service, escalation)
    acknowledge(head_of_service, escalation)
    escalate(head_of_service, escalation, 4, stages[3], evidence="The senior managers met; still no agreement.")

    director = sign_in_as(cast.other_director)
    expect_newest_notice(
        director, escalation, "Escalated", f"to {stage(4, FIVE_STAGE)} by Head Of Service.", ACKNOWLEDGE_AND_PLAN
    )
    open_newest_notice(director, escalation)
    acknowledge(director, escalation)
    escalate(director, escalation, 5, stages[4], evidence="The directors met and could not agree.")

    # Stage 5: "referred to the Business Office": the business manager is told and arranges mediation.
    business_manager = sign_in_as(cast.business_manager)
    expect_newest_notice(
        business_manager,
        escalation,
        "Escalated",
        f"to {stage(5, FIVE_STAGE)} by Dcs Staff.",
        OFFER_MEDIATION,
    )
    expect_newest_notice(practitioner, escalation, "Escalated", f"to {stage(5, FIVE_STAGE)}", FOR_INFORMATION)
    open_newest_notice(business_manager, escalation)
    expect_escalation_page(
        business_manager,
        escalation,
        stage=5,
        name=stages[4],
        state="Awaiting acknowledgement",
        buttons=[ACKNOWLEDGE, DISCUSS, ARRANGE],
    )
    arrange(
        business_manager,
        arrangement="Mediation",
        chair_label=chair_option(cast.chair, "Partnership chair", cast.partnership),
    )
    expect_banner(business_manager, "Formal use recorded and the partnership stage arranged.")
    expect(business_manager.locator("main")).to_contain_text("Mediation chaired by Chair Staff")

    # The chair, seated as mediator, is told to hear it and decide; the raiser, and the directors
    # who referred it (the mediation is between them), to be ready to be heard.
    chair = sign_in_as(cast.chair)
    expect_newest_notice(
        chair,
        escalation,
        "Partnership stage arranged",
        "Business Manager arranged the partnership stage",
        SEATED_UNTIMED,
    )
    expect_newest_notice(practitioner, escalation, "Partnership stage arranged", TO_BE_HEARD)
    expect_newest_notice(director, escalation, "Partnership stage arranged", TO_BE_HEARD)
    open_newest_notice(chair, escalation)
    # Arranging it took the stage up: nobody need acknowledge it now.
    expect_escalation_page(chair, escalation, stage=5, name=stages[4], state="In discussion", buttons=[DISCUSS, DECIDE])
    record_decision(chair, "Children's social care will hold a strategy discussion by Friday.")
    expect_newest_notice(
        business_manager,
        escalation,
        "Decision recorded",
        f"Chair Staff recorded the partnership's decision at {stage(5, FIVE_STAGE)}. Read it on the escalation.",
    )
    resolve(chair, escalation, "Strategy discussion held; both children seen.")

    expect_newest_notice(
        practitioner, escalation, "Resolved", f"was resolved at {stage(5, FIVE_STAGE)} by Chair Staff."
    )
    open_newest_notice(practitioner, escalation)
    close(practitioner, escalation)
    assert browser_log.errors() == []


# --- cumberland --------------------------------------------------------------------------------


def test_cumberland_tells_the_chair_and_business_manager_and_the_chair_appoints_the_impartial_member(
    sign_in_as, browser_log, transactional_db
):
    cast = build_cast("cumberland")
    stages = [s.name for s in CUMBERLAND.stages]
    practitioner = sign_in_as(cast.practitioner)
    escalation = raise_disagreement(practitioner, cast)

    social_worker = sign_in_as(cast.other_practitioner)
    expect_newest_notice(
        social_worker, escalation, "New disagreement", f"It starts at {stage(1, CUMBERLAND)}.", ACKNOWLEDGE_AND_PLAN
    )
    open_newest_notice(social_worker, escalation)
    acknowledge(social_worker, escalation)
    escalate(social_worker, escalation, 2, stages[1])

    team_manager = sign_in_as(cast.other_manager)
    expect_newest_notice(
        team_manager, escalation, "Escalated", f"to {stage(2, CUMBERLAND)} by Social Worker.", ACKNOWLEDGE_AND_PLAN
    )
    open_newest_notice(team_manager, escalation)
    acknowledge(team_manager, escalation)
    escalate(team_manager, escalation, 3, stages[2])

    # Level Three: "Agreed actions fed back immediately to managers": the line managers who held
    # Level Two hear of it.
    head_of_service = sign_in_as(cast.other_senior_manager)
    expect_newest_notice(
        head_of_service, escalation, "Escalated", f"to {stage(3, CUMBERLAND)} by Team Manager.", ACKNOWLEDGE_AND_PLAN
    )
    open_newest_notice(head_of_service, escalation)
    acknowledge(head_of_service, escalation)
    record_discussion(
        head_of_service,
        agreed_action=("Complete a child and family assessment", cast.other_manager, date_text(A_WEEK)),
    )
    expect_newest_notice(
        team_manager,
        escalation,
        "Agreed action for you",
        f"an action agreed at {stage(3, CUMBERLAND)} is yours, to be done by {day_text(A_WEEK)}",
    )
    school_manager = sign_in_as(cast.manager)
    expect_newest_notice(
        school_manager,
        escalation,
        "Discussion recorded",
        f"Head Of Service recorded a discussion at {stage(3, CUMBERLAND)}. Read the outcome and any agreed actions",
    )
    director = sign_in_as(cast.other_director)
    escalate(head_of_service, escalation, 4, stages[3], evidence="Service leads met; no agreement on the threshold.")

    expect_newest_notice(
        director, escalation, "Escalated", f"to {stage(4, CUMBERLAND)} by Head Of Service.", ACKNOWLEDGE_AND_PLAN
    )
    open_newest_notice(director, escalation)
    acknowledge(director, escalation)
    escalate(director, escalation, 5, stages[4], evidence="The executive leads could not agree a way forward.")

    # Stage Three: "emails the CSCP Chair and copies in the CSCP Business Manager".
    review = arrange_then_decide("review by an impartial partnership member", by_the_chair=True)
    chair = sign_in_as(cast.chair)
    expect_newest_notice(chair, escalation, "Escalated", f"to {stage(5, CUMBERLAND)} by Dcs Staff.", review)
    business_manager = sign_in_as(cast.business_manager)
    expect_newest_notice(business_manager, escalation, "Escalated", f"to {stage(5, CUMBERLAND)} by Dcs Staff.", review)
    # The impartial member is told once appointed, not before.
    panel_member = sign_in_as(cast.panel_member)
    expect_not_told(panel_member, escalation)

    # "An impartial CSCP member appointed by the CSCP Chair."
    open_newest_notice(chair, escalation)
    expect_escalation_page(
        chair,
        escalation,
        stage=5,
        name=stages[4],
        state="Awaiting acknowledgement",
        buttons=[ACKNOWLEDGE, DISCUSS, ARRANGE],
    )
    arrange(
        chair,
        arrangement="Review by an impartial partnership member",
        chair_label=chair_option(cast.panel_member, "Partnership panel member", cast.partnership),
    )
    expect_banner(chair, "Formal use recorded and the partnership stage arranged.")
    expect(chair.locator("main")).to_contain_text("Review by an impartial partnership member chaired by Panel Member")

    expect_newest_notice(
        panel_member, escalation, "Partnership stage arranged", "Chair Staff arranged the partnership stage", SEATED
    )
    open_newest_notice(panel_member, escalation)
    expect_escalation_page(
        panel_member,
        escalation,
        stage=5,
        name=stages[4],
        state="In discussion",  # arranging it took the stage up
        buttons=[DISCUSS, DECIDE],
    )
    record_decision(panel_member, "Children's social care will complete an assessment within 10 working days.")
    expect_newest_notice(
        chair,
        escalation,
        "Decision recorded",
        f"Panel Member recorded the partnership's decision at {stage(5, CUMBERLAND)}",
    )
    resolve(panel_member, escalation, "An assessment will be completed.")
    # The business manager records the formal use and reports it to the Partnership.
    expect_newest_notice(
        business_manager, escalation, "Resolved", f"was resolved at {stage(5, CUMBERLAND)} by Panel Member."
    )

    expect_newest_notice(practitioner, escalation, "Resolved", f"was resolved at {stage(5, CUMBERLAND)}")
    open_newest_notice(practitioner, escalation)
    close(practitioner, escalation)
    assert browser_log.errors() == []


# --- plymouth ----------------------------------------------------------------------------------


def test_plymouth_feeds_a_stage_one_discussion_back_to_the_line_managers(sign_in_as, browser_log, transactional_db):
    cast = build_cast("plymouth")
    stages = [s.name for s in PLYMOUTH.stages]
    practitioner = sign_in_as(cast.practitioner)
    escalation = raise_disagreement(practitioner, cast)
    detail_url = practitioner.url

    social_worker = sign_in_as(cast.other_practitioner)
    expect_newest_notice(
        social_worker, escalation, "New disagreement", f"It starts at {stage(1, PLYMOUTH)}.", ACKNOWLEDGE_AND_PLAN
    )
    open_newest_notice(social_worker, escalation)
    acknowledge(social_worker, escalation)
    expect_newest_notice(practitioner, escalation, "Acknowledged", f"Social Worker acknowledged {stage(1, PLYMOUTH)}")
    social_worker.goto(detail_url)
    record_discussion(
        social_worker, agreed_action=("Complete a child and family assessment", cast.other_manager, date_text(A_WEEK))
    )

    # "Any action agreed should be fed back immediately to the relevant managers involved":
    # the school's line manager is told, and the notice lets them open the case.
    recorded = f"Social Worker recorded a discussion at {stage(1, PLYMOUTH)}"
    line_manager = sign_in_as(cast.manager)
    expect_newest_notice(line_manager, escalation, "Discussion recorded", recorded)
    open_newest_notice(line_manager, escalation)
    expect_escalation_page(line_manager, escalation, stage=1, name=stages[0], state="In discussion", buttons=[WITHDRAW])
    # The team manager too, and the action is theirs.
    team_manager = sign_in_as(cast.other_manager)
    expect_newest_notice(
        team_manager,
        escalation,
        "Agreed action for you",
        f"an action agreed at {stage(1, PLYMOUTH)} is yours, to be done by {day_text(A_WEEK)}",
    )
    expect(notices_about(team_manager, escalation).locator("td:nth-child(2) strong")).to_have_text(
        ["Agreed action for you", "Discussion recorded"]
    )
    expect(notices_about(team_manager, escalation).nth(1)).to_contain_text(recorded)

    # Stage One's second step: the line managers hold it; the social worker is told for information.
    practitioner.goto(detail_url)
    escalate(practitioner, escalation, 2, stages[1])
    expect_newest_notice(
        team_manager,
        escalation,
        "Escalated",
        f"escalated from {stage(1, PLYMOUTH)} to {stage(2, PLYMOUTH)} by Practitioner Staff.",
        ACKNOWLEDGE_AND_PLAN,
    )
    expect_newest_notice(social_worker, escalation, "Escalated", FOR_INFORMATION)
    open_newest_notice(team_manager, escalation)
    acknowledge(team_manager, escalation)
    resolve(team_manager, escalation, "An assessment will be completed this week.")

    expect_newest_notice(line_manager, escalation, "Resolved", f"was resolved at {stage(2, PLYMOUTH)} by Team Manager.")
    # The Board chair hears only of what reaches Stage Four, not of a resolution by the line managers.
    chair = sign_in_as(cast.chair)
    expect_not_told(chair, escalation)

    expect_newest_notice(practitioner, escalation, "Resolved", f"was resolved at {stage(2, PLYMOUTH)}")
    open_newest_notice(practitioner, escalation)
    close(practitioner, escalation)
    assert browser_log.errors() == []


# --- bromley -----------------------------------------------------------------------------------


def test_bromley_resolution_panel_needs_three_agencies_or_direct_liaison_with_agency_leadership(
    sign_in_as, browser_log, transactional_db
):
    cast = build_cast("bromley")
    stages = [s.name for s in BROMLEY.stages]
    practitioner = sign_in_as(cast.practitioner)
    escalation = raise_disagreement(practitioner, cast)

    # Stage 1 is the staff member (or their DSL) and the other professional: not the line manager.
    line_manager = sign_in_as(cast.manager)
    expect_not_told(line_manager, escalation)

    social_worker = sign_in_as(cast.other_practitioner)
    expect_newest_notice(
        social_worker, escalation, "New disagreement", f"It starts at {stage(1, BROMLEY)}.", ACKNOWLEDGE_AND_PLAN
    )
    open_newest_notice(social_worker, escalation)
    acknowledge(social_worker, escalation)
    record_discussion(
        social_worker,
        agreed_action=("Send the school's chronology to the social worker", cast.practitioner, date_text(A_WEEK)),
    )
    expect_newest_notice(
        practitioner,
        escalation,
        "Agreed action for you",
        f"an action agreed at {stage(1, BROMLEY)} is yours, to be done by {day_text(A_WEEK)}",
    )
    open_newest_notice(practitioner, escalation)
    escalate(practitioner, escalation, 2, stages[1])

    # Now it is the managers' (or DSLs'): the line manager is told to act.
    expect_newest_notice(
        line_manager, escalation, "Escalated", f"to {stage(2, BROMLEY)} by Practitioner Staff.", ACKNOWLEDGE_AND_PLAN
    )
    team_manager = sign_in_as(cast.other_manager)
    expect_newest_notice(team_manager, escalation, "Escalated", f"to {stage(2, BROMLEY)}", ACKNOWLEDGE_AND_PLAN)
    open_newest_notice(team_manager, escalation)
    acknowledge(team_manager, escalation)
    escalate(team_manager, escalation, 3, stages[2])

    head_of_service = sign_in_as(cast.other_senior_manager)
    expect_newest_notice(
        head_of_service, escalation, "Escalated", f"to {stage(3, BROMLEY)} by Team Manager.", ACKNOWLEDGE_AND_PLAN
    )
    open_newest_notice(head_of_service, escalation)
    acknowledge(head_of_service, escalation)
    escalate(head_of_service, escalation, 4, stages[3])

    # "Made via the BSCP business manager / partnership office".
    business_manager = sign_in_as(cast.business_manager)
    expect_newest_notice(
        business_manager,
        escalation,
        "Escalated",
        f"to {stage(4, BROMLEY)} by Head Of Service.",
        arrange_then_decide("resolution panel"),
    )
    open_newest_notice(business_manager, escalation)
    expect_escalation_page(
        business_manager,
        escalation,
        stage=4,
        total=4,
        name=stages[3],
        state="Awaiting acknowledgement",
        buttons=[ACKNOWLEDGE, DISCUSS, ARRANGE],
    )

    # A resolution panel of senior representatives of two agencies is not enough.
    chair_label = chair_option(cast.chair, "Partnership chair", cast.partnership)
    action(business_manager, ARRANGE)
    expect_h1(business_manager, "Arrange the partnership stage")
    expect(business_manager.get_by_label("Resolution panel", exact=True)).to_be_checked()
    business_manager.get_by_label("Who chairs, mediates or decides?").select_option(label=chair_label)
    seniors = [cast.police_senior_manager, cast.health_senior_manager]
    for senior in seniors:
        business_manager.get_by_role("checkbox", name=re.compile(f"^{senior.get_full_name()},")).check()
    submit(business_manager, ARRANGE_SUBMIT)
    expect(business_manager.locator(".govuk-error-summary")).to_contain_text(
        "A resolution panel needs senior representatives of at least 3 different agencies; you chose 2."
    )
    # "Alternatively, the BSCP may facilitate resolution through direct liaison with agency leadership."
    business_manager.get_by_label("Direct liaison with agency leadership", exact=True).check()
    for senior in seniors:
        business_manager.get_by_role("checkbox", name=re.compile(f"^{senior.get_full_name()},")).uncheck()
    submit(business_manager, ARRANGE_SUBMIT)
    expect_banner(business_manager, "Formal use recorded and the partnership stage arranged.")
    expect(business_manager.locator("main")).to_contain_text(
        "Direct liaison with agency leadership chaired by Chair Staff"
    )

    # The chair ("BSCP / Chair") was told when it arrived, and now that they lead the liaison.
    chair = sign_in_as(cast.chair)
    expect_newest_notice(
        chair, escalation, "Partnership stage arranged", "Business Manager arranged the partnership stage", SEATED
    )
    expect(notices_about(chair, escalation).locator("td:nth-child(2) strong")).to_have_text(
        ["Partnership stage arranged", "Escalated"]
    )

    # The business manager may record the decision once it is arranged.
    expect_escalation_page(
        business_manager,
        escalation,
        stage=4,
        total=4,
        name=stages[3],
        state="In discussion",  # arranging it took the stage up
        buttons=[DISCUSS, DECIDE],
    )
    record_decision(business_manager, "Children's social care will hold a strategy discussion by Friday.")
    resolve(business_manager, escalation, "Strategy discussion held; both children seen.")

    expect_newest_notice(
        practitioner, escalation, "Resolved", f"was resolved at {stage(4, BROMLEY)} by Business Manager."
    )
    open_newest_notice(practitioner, escalation)
    close(practitioner, escalation)
    assert browser_log.errors() == []


# --- st helens ---------------------------------------------------------------------------------


def test_st_helens_stage_one_is_the_raisers_own_line_manager_and_the_resolution_goes_to_the_business_manager(
    sign_in_as, browser_log, transactional_db
):
    cast = build_cast("st-helens")
    teacher = person("teacher", cast.partnership, Role.PRACTITIONER, cast.school)
    stages = [s.name for s in ST_HELENS.stages]
    practitioner = sign_in_as(cast.practitioner)
    escalation = raise_disagreement(practitioner, cast)

    # "Consult their manager/supervisor ... on the same working day": the line manager is told
    # to act, and can open the case from the notice.
    line_manager = sign_in_as(cast.manager)
    expect_newest_notice(
        line_manager,
        escalation,
        "New disagreement",
        f"It starts at {stage(1, ST_HELENS)}.",
        f"{HOLD}: discuss it and agree what happens next by",
    )
    open_newest_notice(line_manager, escalation)
    expect(line_manager.locator("main .govuk-inset-text h2")).to_have_text(stages[0])
    expect(line_manager.locator("main .govuk-inset-text .app-stage-position")).to_have_text(f"Stage 1 of {len(stages)}")
    # Another practitioner of the school takes no part and is told nothing.
    colleague = sign_in_as(teacher)
    expect_not_told(colleague, escalation)
    expect(colleague.locator("main")).to_contain_text("You have no notifications.")

    # The consultation, with an action for the practitioner.
    tomorrow = timedelta(days=1)
    record_discussion(
        line_manager, agreed_action=("Phone the social worker's team manager", cast.practitioner, date_text(tomorrow))
    )
    expect_newest_notice(
        practitioner,
        escalation,
        "Agreed action for you",
        f"an action agreed at {stage(1, ST_HELENS)} is yours, to be done by {day_text(tomorrow)}",
    )
    open_newest_notice(practitioner, escalation)
    escalate(practitioner, escalation, 2, stages[1])
    expect_newest_notice(
        line_manager,
        escalation,
        "Escalated",
        f"escalated from {stage(1, ST_HELENS)} to {stage(2, ST_HELENS)} by Practitioner Staff.",
        FOR_INFORMATION,
    )

    # Stage Two: the professionals. The social worker hears of it only now.
    social_worker = sign_in_as(cast.other_practitioner)
    expect_newest_notice(social_worker, escalation, "Escalated", f"to {stage(2, ST_HELENS)}", ACKNOWLEDGE_AND_PLAN)
    open_newest_notice(social_worker, escalation)
    acknowledge(social_worker, escalation)
    expect_newest_notice(
        practitioner, escalation, "Acknowledged", f"Social Worker acknowledged {stage(2, ST_HELENS)}. It is due by"
    )
    resolve(social_worker, escalation, "A strategy discussion will be held this week.")

    # "This is to be completed once the Escalation is resolved and sent to the Business Manager."
    business_manager = sign_in_as(cast.business_manager)
    expect_newest_notice(
        business_manager, escalation, "Resolved", f"was resolved at {stage(2, ST_HELENS)} by Social Worker."
    )
    expect_newest_notice(practitioner, escalation, "Resolved", f"was resolved at {stage(2, ST_HELENS)}")
    open_newest_notice(practitioner, escalation)
    close(practitioner, escalation)
    assert browser_log.errors() == []
