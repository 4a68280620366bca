# ruff: noqa: E501
"""The conversation of the Cumberland (seed 000) and five-stage flowchart (seed 002)
policies: who is told, who holds each stage, what each clock times, who may see the case.

Each test is named after the policy sentence it checks (quoted in its docstring). Set-up reuses
the acceptance tests' Riverside cast (tests/acceptance/test_seed_policy_sentences.py): a school
practitioner raises a disagreement with children's social care on Tuesday 3 November 2026, 10:00.
"""

from datetime import timedelta

import pytest
from django.urls import reverse

from escalation import services
from escalation.deadlines import run_watcher
from escalation.models import Notification, NotificationKind
from escalation.partnership_stage import review_arrange
from escalation.selectors import may_see
from partnerships.choices import PanelRule, Urgency
from partnerships.models import Membership
from tests import climbing
from tests.acceptance.test_seed_policy_sentences import (
    TUESDAY,
    cast_for,
    climb,
    current,
    discuss,
    fresh,
    raise_one,
    recorded_to,
    told,
    told_to_act,
)
from tests.conftest import london

pytestmark = pytest.mark.django_db


def notices_to(user, escalation, kind=None):
    rows = Notification.objects.filter(escalation=escalation, recipient=user)
    if kind is not None:
        rows = rows.filter(kind=kind)
    return list(rows.order_by("created_at", "pk"))


def seen(escalation):
    """The hidden fields every action form carries (the state and stage the person saw)."""
    escalation = fresh(escalation)
    return {"seen_state": escalation.state, "seen_stage": str(escalation.stage_number)}


def arrange_impartial(cast, escalation, at=TUESDAY):
    """Cumberland Stage Three: the chair appoints an impartial member (a police senior manager,
    police being no party to the school's disagreement with social care)."""
    return review_arrange(
        escalation=fresh(escalation),
        acting_user=cast.chair,
        arrangement=PanelRule.IMPARTIAL_MEMBER,
        chair=Membership.objects.get(user=cast.police_senior_manager),
        at=at,
    )


def member_appointed_at_cumberland():
    """Stage Three, the chair having appointed the impartial member."""
    cast, _ = cast_for("cumberland")
    escalation = climb(cast, raise_one(cast), 5)
    arrange_impartial(cast, escalation)
    return cast, escalation


# === Five-stage flowchart (seed 002) ============================================================


def test_five_stage_stage_2_referred_to_each_professionals_own_line_manager_who_is_told_and_acknowledges_on_the_web(
    client,
):
    """ "If unresolved the problem should be referred to each professionals' own line manager in
    their organisation, who should review the concerns and discuss with their opposite number in the
    other agency." The other agency's team manager finds it on the Notifications page, opens it,
    acknowledges it, and the raiser and the school's line manager hear of it."""
    cast, _ = cast_for("five-stage")
    escalation = climb(cast, raise_one(cast), 2)
    client.force_login(cast.other_manager)
    page = client.get(reverse("escalation:notifications")).content.decode()
    assert escalation.reference in page and "You hold this stage" in page
    detail = client.get(reverse("escalation:detail", args=[escalation.public_id])).content.decode()
    assert reverse("escalation:acknowledge", args=[escalation.public_id]) in detail
    response = client.post(reverse("escalation:acknowledge", args=[escalation.public_id]), seen(escalation))
    assert response.status_code == 302
    assert fresh(escalation).state == "in_discussion"
    assert {"practitioner", "manager"} <= told(escalation, NotificationKind.ACKNOWLEDGED)


def test_five_stage_stage_2_the_discussion_between_managers_within_5_working_days_the_line_manager_is_told_by_when():
    """ "The discussion between managers must occur within 5 working days of stage 1." The
    other agency's line manager is told they hold the stage, and by when."""
    cast, _ = cast_for("five-stage")
    escalation = climb(cast, raise_one(cast), 2)
    [notice] = notices_to(cast.other_manager, escalation, NotificationKind.ESCALATED)
    assert "You hold this stage" in notice.message
    assert "Tuesday 10 November 2026" in notice.message


def test_five_stage_stage_2_the_line_managers_home_page_asks_them_to_acknowledge(client):
    """ "...referred to each professionals' own line manager in their organisation, who should
    review the concerns": the case is on the line manager's home page, to acknowledge."""
    cast, _ = cast_for("five-stage")
    escalation = climb(cast, raise_one(cast), 2)
    client.force_login(cast.other_manager)
    page = client.get("/").content.decode()
    assert escalation.reference in page
    assert "Acknowledge" in page


def test_five_stage_stage_3_the_line_managers_will_refer_to_their_line_managers_only_the_parties_senior_managers_hear_and_see_it():
    """ "If the problem remains unresolved the line managers will refer to their line managers for
    consideration." Senior managers see it only once it reaches them, and only those of the two
    agencies (not police or health, nor the directors yet)."""
    cast, _ = cast_for("five-stage")
    escalation = climb(cast, raise_one(cast), 2)
    assert not may_see(fresh(escalation), cast.senior_manager)
    assert not may_see(fresh(escalation), cast.other_senior_manager)
    escalation = climb(cast, escalation, 3)
    assert {"senior", "head-of-service"} <= told_to_act(current(escalation))
    assert may_see(fresh(escalation), cast.senior_manager)
    assert may_see(fresh(escalation), cast.other_senior_manager)
    everyone = set(Notification.objects.filter(escalation=escalation).values_list("recipient__username", flat=True))
    assert not {"police-senior", "health-senior", "director", "dcs"} & everyone
    assert not may_see(fresh(escalation), cast.police_senior_manager)
    assert not may_see(fresh(escalation), cast.director)


def test_five_stage_stage_3_the_line_managers_refer_it_and_the_raiser_and_the_other_side_are_told():
    """ "If the problem remains unresolved the line managers will refer to their line managers for
    consideration." When the school's line manager refers it, the raiser and the other agency's
    stage 2 holders hear of it."""
    cast, _ = cast_for("five-stage")
    escalation = climb(cast, raise_one(cast), 2)
    climbing.acknowledge(escalation)
    services.escalation_escalate(escalation=fresh(escalation), acting_user=cast.manager, evidence="We met twice.")
    stage_3 = current(escalation)
    assert {"practitioner", "team-manager", "csc-dsl"} <= told(
        escalation, NotificationKind.ESCALATED, occurrence=stage_3
    )


def test_five_stage_stage_3_each_manager_to_manager_discussion_within_5_working_days_is_the_senior_managers():
    """ "Each Manager to Manager discussion should take place within 5 working days of the
    previous stage." At stage 3 the senior managers' discussion meets the clock; the line managers
    who held stage 2 no longer record at this stage."""
    cast, _ = cast_for("five-stage")
    escalation = climb(cast, raise_one(cast), 3)
    climbing.acknowledge(escalation)
    with pytest.raises(services.NotPermitted):
        discuss(escalation, cast.manager, held_at=london(2026, 11, 4, 10, 0))
    discuss(escalation, cast.other_senior_manager, held_at=london(2026, 11, 4, 10, 0))
    assert current(escalation).step_met_at is not None
    assert run_watcher(now=london(2026, 11, 11, 9, 0)).breached == 0


def test_five_stage_any_escalation_should_follow_the_steps_within_the_maximum_timescales_a_missed_stage_3_or_4_reaches_the_next_tier():
    """ "Any escalation should follow the steps below within the maximum timescales stated." A
    missed stage 3 is told to both directors; a missed stage 4 to the Business Office and chair;
    never to agencies that are not parties."""
    cast, _ = cast_for("five-stage")
    stage_3 = climb(cast, raise_one(cast), 3)
    stage_4 = climb(cast, raise_one(cast), 4)
    run_watcher(now=london(2026, 11, 11, 9, 0))
    assert {"director", "dcs", "practitioner"} <= told(stage_3, NotificationKind.BREACH)
    assert {"business-manager", "chair", "practitioner"} <= told(stage_4, NotificationKind.BREACH)
    assert not {"police-senior", "health-senior"} & told(stage_3, NotificationKind.BREACH)


def test_five_stage_stage_5_referred_to_the_business_office_the_business_manager_and_chair_are_told_to_arrange_mediation_by_the_deadline():
    """ "The matter will be referred to the Business Office of the Safeguarding Children
    Partnership where one of the Strategic Leads will offer mediation within 5 working days of
    notification to the Business Office." """
    cast, _ = cast_for("five-stage")
    escalation = climb(cast, raise_one(cast), 5)
    assert {"business-manager", "chair"} <= told_to_act(current(escalation))
    [notice] = notices_to(cast.business_manager, escalation, NotificationKind.ESCALATED)
    assert "arrange the mediation" in notice.message
    assert "Tuesday 10 November 2026" in notice.message


# === Cumberland (seed 000) ======================================================================


def test_cumberland_level_one_if_unresolved_report_to_line_managers_a_missed_level_one_is_told_to_them():
    """ "If unresolved → report to line managers." Level One has no timescale of its own (the
    tracker's default of 5 working days, "promptly"); when it is missed the line managers of both
    agencies and the raiser are told."""
    cast, _ = cast_for("cumberland")
    escalation = raise_one(cast)
    assert current(escalation).due_at == london(2026, 11, 10, 17, 0)
    assert run_watcher(now=london(2026, 11, 11, 9, 0)).breached == 1
    assert {"manager", "team-manager", "practitioner"} <= told(escalation, NotificationKind.BREACH)


def test_cumberland_level_two_consider_involving_a_designated_or_named_practitioner_at_this_point():
    """ "Relevant line managers review the concern. ... Consider involving a Designated or Named
    Practitioner at this point if helpful." and Level Three "Designated/Named Safeguarding
    Practitioner may be directly involved." Service leads see it only from Level Three."""
    cast, _ = cast_for("cumberland")
    escalation = climb(cast, raise_one(cast), 2)
    assert {"manager", "dsl", "team-manager", "csc-dsl"} <= told_to_act(current(escalation))
    assert not may_see(fresh(escalation), cast.senior_manager)
    assert not may_see(fresh(escalation), cast.other_senior_manager)
    escalation = climb(cast, escalation, 3)
    assert {"senior", "head-of-service", "dsl", "csc-dsl"} <= told_to_act(current(escalation))


def test_cumberland_level_three_agreed_actions_fed_back_immediately_to_managers():
    """ "Agreed actions fed back immediately to managers." A Level Three discussion with an agreed
    action reaches the line managers and designated practitioners of both agencies who held Level
    Two, in the app at once, and the action's owner is told it is theirs."""
    cast, _ = cast_for("cumberland")
    escalation = climb(cast, raise_one(cast), 3)
    climbing.acknowledge(escalation)
    d = discuss(
        escalation,
        cast.other_senior_manager,
        held_at=london(2026, 11, 4, 10, 0),
        actions=[{"description": "Visit", "owner": cast.other_manager, "due_on": london(2026, 11, 6).date()}],
    )
    assert {"manager", "dsl", "team-manager", "senior", "practitioner"} <= recorded_to(d)
    assert notices_to(cast.other_manager, escalation, NotificationKind.ACTION_ASSIGNED)


def test_cumberland_stage_two_record_and_communicate_the_decision_a_resolution_reaches_everyone_who_held_it():
    """ "Record and communicate the decision and required actions." Resolved at Stage Two, everyone
    who held a stage of it, and the raiser, are told."""
    cast, _ = cast_for("cumberland")
    escalation = climb(cast, raise_one(cast), 4)
    climbing.acknowledge(escalation)
    services.escalation_resolve(escalation=fresh(escalation), acting_user=cast.other_director, outcome="Agreed.")
    assert {"practitioner", "director", "manager", "dsl", "team-manager", "senior", "head-of-service"} <= told(
        escalation, NotificationKind.RESOLVED
    )


def test_cumberland_an_impartial_cscp_member_appointed_by_the_cscp_chair_only_the_chair_is_offered_to_arrange_it(
    client,
):
    """ "An impartial CSCP member, appointed by the CSCP Chair, reviews the case." The case page
    offers "Arrange the partnership stage" to the chair, not to the business manager."""
    cast, _ = cast_for("cumberland")
    escalation = climb(cast, raise_one(cast), 5)
    url = reverse("escalation:arrange", args=[escalation.public_id])
    client.force_login(cast.chair)
    assert url in client.get(reverse("escalation:detail", args=[escalation.public_id])).content.decode()
    client.force_login(cast.business_manager)
    assert url not in client.get(reverse("escalation:detail", args=[escalation.public_id])).content.decode()


def test_cumberland_an_impartial_cscp_member_reviews_the_case_sees_it_only_once_appointed():
    """ "An impartial CSCP member, appointed by the CSCP Chair, reviews the case and consults with
    the other Executive Leads." The member sees it once appointed (not before, and no other
    uninvolved agency does); the executive leads they consult still see it."""
    cast, _ = cast_for("cumberland")
    escalation = climb(cast, raise_one(cast), 5)
    assert not may_see(fresh(escalation), cast.police_senior_manager)
    assert may_see(fresh(escalation), cast.director) and may_see(fresh(escalation), cast.other_director)
    arrange_impartial(cast, escalation)
    assert may_see(fresh(escalation), cast.police_senior_manager)
    assert not may_see(fresh(escalation), cast.health_senior_manager)


def test_cumberland_an_impartial_cscp_member_reviews_the_case_is_told_what_to_do_and_by_when():
    """ "An impartial CSCP member ... reviews the case ... before making a final decision" and "no
    longer than 7 working days": the member is told to record the decision by Thursday 12 November."""
    cast, escalation = member_appointed_at_cumberland()
    [notice] = notices_to(cast.police_senior_manager, escalation, NotificationKind.ARRANGED)
    assert "record the partnership's decision" in notice.message
    assert "12 November 2026" in notice.message


def test_cumberland_the_cscp_business_manager_records_formal_use_and_hears_when_the_chair_appoints_the_member():
    """ "The CSCP Business Manager records formal use of the escalation procedure and reports it to
    the Partnership": when the chair appoints the impartial member, the business manager hears it."""
    cast, escalation = member_appointed_at_cumberland()
    [notice] = notices_to(cast.business_manager, escalation, NotificationKind.ARRANGED)
    assert (
        "You hold this stage: see that the people seated on it record the partnership's decision by" in notice.message
    )
    assert "12 November 2026" in notice.message
    # The executive leads who referred it are heard by the member ("consults with the other Executive Leads").
    [to_lead] = notices_to(cast.director, escalation, NotificationKind.ARRANGED)
    assert "be ready to set out your agency's position" in to_lead.message
    assert not notices_to(cast.chair, escalation, NotificationKind.ARRANGED)  # nobody is told of their own act


def test_cumberland_the_impartial_member_makes_the_final_decision_on_the_web_and_everyone_is_told(client):
    """ "...reviews the case and consults with the other Executive Leads before making a final
    decision." The member finds the notice, opens the case, records the decision on the page, and
    the raiser, both executive leads, the chair and the business manager are told."""
    cast, escalation = member_appointed_at_cumberland()
    client.force_login(cast.police_senior_manager)
    assert escalation.reference in client.get(reverse("escalation:notifications")).content.decode()
    detail = client.get(reverse("escalation:detail", args=[escalation.public_id])).content.decode()
    assert reverse("escalation:decision", args=[escalation.public_id]) in detail
    response = client.post(
        reverse("escalation:decision", args=[escalation.public_id]), {**seen(escalation), "decision": "Assess now."}
    )
    assert response.status_code == 302
    assert current(escalation).decision == "Assess now."
    assert {"practitioner", "director", "dcs", "chair", "business-manager"} <= told(
        escalation, NotificationKind.DECIDED
    )


def test_cumberland_stage_three_no_longer_than_7_working_days_the_impartial_member_is_warned():
    """ "The urgency should be determined by the Executive Manager/Lead, no longer than 7 working
    days." The day before, the impartial member, chair, business manager and raiser are warned,
    and told what is still to do."""
    cast, escalation = member_appointed_at_cumberland()
    assert run_watcher(now=london(2026, 11, 11, 9, 0)).warned == 1
    assert {"police-senior", "chair", "business-manager", "practitioner"} <= told(escalation, NotificationKind.WARNING)
    [notice] = notices_to(cast.police_senior_manager, escalation, NotificationKind.WARNING)
    assert "record the decision" in notice.message


def test_cumberland_if_the_issue_relates_to_child_protection_determined_within_24_hours_the_holders_are_warned_at_the_next_tick():
    """ "If the issue relates to child protection, this should be determined with 24 hours." When
    the executive lead makes it child protection at Stage Three, the deadline becomes 24 hours and
    the next watcher run warns the impartial member, chair and business manager."""
    cast, escalation = member_appointed_at_cumberland()
    at = TUESDAY + timedelta(hours=2)
    services.escalation_change_urgency(
        escalation=fresh(escalation),
        acting_user=cast.director,
        urgency=Urgency.CHILD_PROTECTION,
        reason="CP now.",
        at=at,
    )
    assert current(escalation).due_at == TUESDAY + timedelta(hours=24)
    assert run_watcher(now=at + timedelta(minutes=1)).warned == 1
    assert {"police-senior", "chair", "business-manager"} <= told(escalation, NotificationKind.WARNING)


def arrange_mediation(cast, escalation, by=None, at=TUESDAY):
    return review_arrange(
        escalation=fresh(escalation),
        acting_user=by or cast.business_manager,
        arrangement=PanelRule.MEDIATION,
        chair=Membership.objects.get(user=cast.chair),
        at=at,
    )


def test_five_stage_stage_5_one_of_the_strategic_leads_will_offer_mediation_the_agencies_in_dispute_are_told():
    """ "...where one of the Strategic Leads will offer mediation within 5 working days of
    notification to the Business Office." Mediation is offered to the parties: the directors who
    held stage 4 hear that it has been arranged."""
    cast, _ = cast_for("five-stage")
    escalation = climb(cast, raise_one(cast), 5)
    arrange_mediation(cast, escalation)
    assert {"director", "dcs"} <= told(escalation, NotificationKind.ARRANGED)


def test_five_stage_stage_5_the_clock_times_the_offer_of_mediation_not_the_decision():
    """ "...will offer mediation within 5 working days of notification to the Business Office."
    The notices tie the deadline to offering (arranging) mediation, not to a decision."""
    cast, _ = cast_for("five-stage")
    escalation = climb(cast, raise_one(cast), 5)
    [notice] = notices_to(cast.business_manager, escalation, NotificationKind.ESCALATED)
    assert "record the partnership's decision by" not in notice.message
    assert "arrange the mediation by Tuesday 10 November" in notice.message
    arrange_mediation(cast, escalation)
    [seated] = notices_to(cast.chair, escalation, NotificationKind.ARRANGED)
    assert "record the partnership's decision by" not in seated.message
    assert "record the partnership's decision." in seated.message


def test_the_page_after_the_raiser_records_the_resolution_does_not_say_they_were_told(client):
    """Newcomer path: the raiser resolves their own disagreement. Nobody is told of their own act,
    so the page says who was told, not that the raiser was."""
    cast, _ = cast_for("five-stage")
    escalation = raise_one(cast)
    climbing.acknowledge(escalation)
    client.force_login(cast.practitioner)
    response = client.post(
        reverse("escalation:resolve", args=[escalation.public_id]),
        {
            **seen(escalation),
            "agreed_outcome": "Agreed.",
            "main_reason": "threshold",
            "practitioners_informed": "Both",
            "family_informed": "yes",
            "case_review_recommended": "no",
        },
        follow=True,
    )
    assert fresh(escalation).state == "resolved"
    page = response.content.decode()
    assert "Everyone who has held a stage of it has been told." in page
    assert "and the practitioner who raised it, have been told" not in page
    assert not notices_to(cast.practitioner, escalation, NotificationKind.RESOLVED)
    assert "social-worker" in told(escalation, NotificationKind.RESOLVED)


def test_cumberland_the_urgency_should_be_determined_by_the_executive_manager_lead_if_child_protection_24_hours_the_holders_are_told():
    """ "The urgency should be determined by the Executive Manager/Lead ... If the issue relates to
    child protection, this should be determined with 24 hours." When the executive lead makes it
    child protection, the impartial member who decides, the chair and the business manager hear
    the new deadline at once, not only from the watcher's later warning."""
    cast, escalation = member_appointed_at_cumberland()
    before = set(Notification.objects.filter(escalation=escalation).values_list("pk", flat=True))
    services.escalation_change_urgency(
        escalation=fresh(escalation),
        acting_user=cast.director,
        urgency=Urgency.CHILD_PROTECTION,
        reason="CP now.",
        at=TUESDAY + timedelta(hours=1),
    )
    assert current(escalation).due_at == TUESDAY + timedelta(hours=24)
    new = Notification.objects.filter(escalation=escalation, kind=NotificationKind.URGENCY_CHANGED).exclude(
        pk__in=before
    )
    told_now = {n.recipient.username: n.message for n in new}
    assert {"police-senior", "chair", "business-manager", "practitioner"} <= set(told_now)
    assert "director" not in told_now  # who changed it is not told of their own act
    assert "changed the urgency to child protection" in told_now["police-senior"]
    assert (
        "You are seated on it: hear the disagreement and record the partnership's decision by Wednesday 4 November"
        in (told_now["police-senior"])
    )
    assert "This is for your information" in told_now["practitioner"]
    # The business manager and chair hold the stage but are not seated: they see that it is decided.
    assert (
        "You hold this stage: see that the people seated on it record the partnership's decision by"
        in (told_now["business-manager"])
    )
    assert "You are seated on it" not in told_now["chair"]
