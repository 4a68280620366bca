# ruff: noqa: E501
"""Acceptance tests written from the five seed policies and the README's promises, against the
public service functions, by someone reading them for the first time.

Each test is named after a sentence of a policy (quoted in its docstring).

Cast: tests/conftest.py's Riverside cast (a school practitioner raises a disagreement with
children's social care), built under each policy's slug, plus a few extra people:
a second social worker, a fellow practitioner at the school, a designated safeguarding lead
in children's social care, and a fifth agency (probation) with a senior manager.
"""

from dataclasses import dataclass
from datetime import timedelta

import pytest
import time_machine

from cases.models import RecordEntry, RecordEntryKind
from escalation import services
from escalation.deadlines import run_watcher
from escalation.errors import EscalationError, NotPermitted
from escalation.models import Escalation, Notification, NotificationKind, StageOccurrence
from escalation.partnership_stage import review_arrange
from escalation.routes import escalation_take_route
from escalation.selectors import may_see
from escalation.states import Category, DiscussionMethod
from partnerships.choices import AgencyType, PanelRule, Role, Route, Urgency
from partnerships.models import Membership
from tests import climbing
from tests.conftest import build_cast, london
from tests.factories import AgencyFactory, person

pytestmark = pytest.mark.django_db

TUESDAY = london(2026, 11, 3, 10, 0)  # Tuesday 3 November 2026, 10:00 London


# --- set-up -------------------------------------------------------------------------------------


@dataclass
class Extra:
    second_social_worker: object
    school_colleague: object
    csc_dsl: object
    probation: object
    probation_senior: object


def cast_for(slug):
    cast = build_cast(slug)
    p = cast.partnership
    probation = AgencyFactory(partnership=p, name="Riverside Probation", type=AgencyType.PROBATION)
    extra = Extra(
        second_social_worker=person("second-social-worker", p, Role.PRACTITIONER, cast.csc),
        school_colleague=person("school-colleague", p, Role.PRACTITIONER, cast.school),
        csc_dsl=person("csc-dsl", p, Role.SAFEGUARDING_LEAD, cast.csc),
        probation=probation,
        probation_senior=person("probation-senior", p, Role.SENIOR_MANAGER, probation),
    )
    return cast, extra


def raise_one(cast, *, receiving=None, at=TUESDAY, urgency=Urgency.STANDARD, category=Category.THRESHOLD):
    return services.escalation_raise(
        raised_by=cast.practitioner,
        raising_agency=cast.school,
        receiving_agency=receiving or cast.csc,
        children=[cast.child],
        category=category,
        concern="The referral was refused.",
        why_unsafe="Bruising seen twice.",
        outcome_sought="A strategy discussion.",
        urgency=urgency,
        at=at,
    )


def fresh(escalation):
    return Escalation.objects.get(pk=escalation.pk)


def current(escalation) -> StageOccurrence:
    return StageOccurrence.objects.select_related("policy_stage").get(escalation=escalation, closed_at__isnull=True)


def climb(cast, escalation, to_stage, at=TUESDAY):
    return climbing.climb(escalation, to_stage, by=cast.practitioner, at=at)


def told(escalation, kind, **where) -> set[str]:
    rows = Notification.objects.filter(escalation=escalation, kind=kind, **where)
    return set(rows.values_list("recipient__username", flat=True))


def told_to_act(occurrence, kind=NotificationKind.ESCALATED) -> set[str]:
    rows = Notification.objects.filter(occurrence=occurrence, kind=kind, message__contains="You hold this stage")
    return set(rows.values_list("recipient__username", flat=True))


def discuss(escalation, by, held_at, actions=()):
    return services.discussion_record(
        escalation=fresh(escalation),
        acting_user=by,
        held_at=held_at,
        method=DiscussionMethod.PHONE,
        participants="As recorded",
        outcome="Agreed a plan with timescales.",
        actions=list(actions),
    )


def recorded_to(discussion) -> set[str]:
    rows = Notification.objects.filter(discussion=discussion, kind=NotificationKind.RECORDED)
    return set(rows.values_list("recipient__username", flat=True))


def seat(user, partnership, agency=None, role=Role.SENIOR_MANAGER):
    found = Membership.objects.filter(user=user, partnership=partnership, agency=agency, role=role).first()
    return found or Membership.objects.create(user=user, partnership=partnership, agency=agency, role=role)


def breaches(escalation) -> int:
    return RecordEntry.objects.filter(escalation=escalation, kind=RecordEntryKind.BREACHED).count()


# === Five-stage flowchart (seed 002) ============================================================


def test_five_stage_stage_1_must_occur_immediately_with_a_mutually_agreed_plan_within_48_hours_2_working_days():
    """ "This must occur immediately with an acknowledgement and mutually agreed plan of action,
    including timescales within 48 hours (2 working days)." Missed: the next tier is told."""
    cast, _ = cast_for("five-stage")
    escalation = raise_one(cast)
    assert current(escalation).due_at == london(2026, 11, 5, 17, 0)
    services.escalation_acknowledge(escalation=fresh(escalation), acting_user=cast.other_practitioner, at=TUESDAY)
    # Acknowledged but no plan (discussion) recorded: the 48 hours are missed.
    assert run_watcher(now=london(2026, 11, 6, 9, 0)).breached == 1
    # Next tier of both agencies (stage 2: line managers / safeguarding leads) and the raiser.
    assert {"manager", "dsl", "team-manager", "csc-dsl", "practitioner"} <= told(escalation, NotificationKind.BREACH)


def test_five_stage_stage_1_a_plan_agreed_within_48_hours_is_never_recorded_as_missed():
    """ "... a mutually agreed plan of action, including timescales within 48 hours (2 working days)." """
    cast, _ = cast_for("five-stage")
    with time_machine.travel(TUESDAY, tick=False):
        escalation = raise_one(cast, at=None)
    with time_machine.travel(london(2026, 11, 4, 12, 0), tick=False):
        services.escalation_acknowledge(escalation=fresh(escalation), acting_user=cast.other_practitioner)
        discuss(escalation, cast.other_practitioner, held_at=london(2026, 11, 4, 11, 0))
    assert run_watcher(now=london(2026, 11, 9, 9, 0)).breached == 0
    assert breaches(escalation) == 0


def test_five_stage_before_progressing_evidence_should_be_provided_that_all_efforts_at_the_previous_stage_have_been_explored():
    """ "Before progressing an escalation through the stages of this process, evidence should be
    provided that all efforts at the previous stage have been explored." """
    cast, _ = cast_for("five-stage")
    escalation = raise_one(cast)
    with pytest.raises(EscalationError):
        services.escalation_escalate(escalation=fresh(escalation), acting_user=cast.practitioner, evidence="  ")
    assert fresh(escalation).stage_number == 1


def test_five_stage_stage_2_each_professionals_own_line_manager_should_discuss_with_their_opposite_number():
    """ "the problem should be referred to each professionals' own line manager in their
    organisation, who should review the concerns and discuss with their opposite number"; the
    discussion "must occur within 5 working days of stage 1"."""
    cast, _ = cast_for("five-stage")
    escalation = climb(cast, raise_one(cast), 2)
    stage_2 = current(escalation)
    assert {"manager", "team-manager"} <= told_to_act(stage_2)
    assert stage_2.due_at == london(2026, 11, 10, 17, 0)
    assert stage_2.policy_stage.met_by == "discussion"


def test_five_stage_stage_2_the_discussion_between_managers_must_occur_within_5_working_days_of_stage_1():
    """ "The discussion between managers must occur within 5 working days of stage 1." A note the
    raising practitioner records on their own is not the managers' discussion: the clock should
    keep running, and the miss be recorded."""
    cast, _ = cast_for("five-stage")
    with time_machine.travel(TUESDAY, tick=False):
        escalation = climb(cast, raise_one(cast, at=None), 2)
    with time_machine.travel(london(2026, 11, 5, 10, 0), tick=False):
        discuss(escalation, cast.practitioner, held_at=london(2026, 11, 5, 9, 0))
    assert current(escalation).step_met_at is None
    assert run_watcher(now=london(2026, 11, 11, 9, 0)).breached == 1


def test_five_stage_stage_4_a_mutually_agreeable_plan_should_be_in_place_within_48_hours_2_working_days():
    """ "Should a disagreement reach this stage a mutually agreeable plan of action including
    timescales should be in place within 48 hours (2 working days)." """
    cast, _ = cast_for("five-stage")
    escalation = climb(cast, raise_one(cast), 4)
    stage_4 = current(escalation)
    assert stage_4.due_at == london(2026, 11, 5, 17, 0)
    assert {"director", "dcs"} <= told_to_act(stage_4)


def test_five_stage_stage_5_a_strategic_lead_will_offer_mediation_within_5_working_days_of_notification_to_the_business_office():
    """ "the matter will be referred to the Business Office of the Safeguarding Children Partnership
    where one of the Strategic Leads will offer mediation within 5 working days of notification to
    the Business Office". Not offered in time: recorded as missed and the business office told."""
    cast, _ = cast_for("five-stage")
    escalation = climb(cast, raise_one(cast), 5)
    stage_5 = current(escalation)
    assert "business-manager" in told_to_act(stage_5)
    assert stage_5.due_at == london(2026, 11, 10, 17, 0)
    assert run_watcher(now=london(2026, 11, 11, 9, 0)).breached == 1
    assert "business-manager" in told(escalation, NotificationKind.BREACH)


def test_five_stage_stage_1_this_must_occur_immediately_with_an_acknowledgement():
    """ "This must occur immediately with an acknowledgement and mutually agreed plan of action":
    the raiser hears that the other professional acknowledged it, and when it is due."""
    cast, _ = cast_for("five-stage")
    escalation = raise_one(cast)
    services.escalation_acknowledge(escalation=fresh(escalation), acting_user=cast.other_practitioner, at=TUESDAY)
    assert "practitioner" in told(escalation, NotificationKind.ACKNOWLEDGED)
    assert "social-worker" not in told(escalation, NotificationKind.ACKNOWLEDGED)
    text = Notification.objects.get(
        escalation=escalation, kind=NotificationKind.ACKNOWLEDGED, recipient=cast.practitioner
    ).message
    assert "Thursday 5 November 2026" in text


# === Bromley (seed 003) =========================================================================


def test_bromley_stage_1_aim_to_resolve_within_1_working_week_or_a_shorter_timescale_if_the_child_is_at_risk():
    """ "They should aim to resolve within 1 working week or a shorter timescale if the child is at risk." """
    cast, _ = cast_for("bromley")
    standard = raise_one(cast)
    cp = raise_one(cast, urgency=Urgency.CHILD_PROTECTION)
    immediate = raise_one(cast, urgency=Urgency.IMMEDIATE_RISK)
    assert current(standard).due_at == london(2026, 11, 10, 17, 0)
    assert current(cp).due_at == TUESDAY + timedelta(hours=24)
    assert current(immediate).due_at == london(2026, 11, 3, 17, 0)


def test_bromley_stage_2_the_dsl_or_manager_should_contact_their_counterpart_in_the_other_agency():
    """ "Stage 2: Manager to Manager / DSL to DSL ... The DSL or manager should contact their
    counterpart in the other agency." Both agencies' managers and DSLs hold it."""
    cast, extra = cast_for("bromley")
    escalation = climb(cast, raise_one(cast), 2)
    assert {"manager", "dsl", "team-manager", "csc-dsl"} <= told_to_act(current(escalation))
    services.escalation_acknowledge(escalation=fresh(escalation), acting_user=extra.csc_dsl)


def test_bromley_stage_2_record_the_conversation_decisions_and_agreed_course_of_action_and_inform_the_original_referrer():
    """ "Record the conversation, decisions, and the agreed course of action. Place this on the
    child's file and inform the original referrer." Whichever side records it."""
    cast, _ = cast_for("bromley")
    escalation = climb(cast, raise_one(cast), 2)
    climbing.acknowledge(escalation)
    by_them = discuss(escalation, cast.other_manager, held_at=london(2026, 11, 4, 10, 0))
    by_us = discuss(escalation, cast.manager, held_at=london(2026, 11, 4, 11, 0))
    assert "practitioner" in recorded_to(by_them)
    assert "practitioner" in recorded_to(by_us)
    assert RecordEntry.objects.filter(escalation=escalation, kind=RecordEntryKind.DISCUSSION).count() >= 2


def test_bromley_stage_3_outcome_should_be_communicated_back_to_all_relevant_parties_including_the_practitioner_who_raised_the_concern():
    """ "Outcome should be communicated back to all relevant parties, including the practitioner who
    raised the concern." (The resolution at stage 3.)"""
    cast, _ = cast_for("bromley")
    escalation = climb(cast, raise_one(cast), 3)
    climbing.acknowledge(escalation)
    services.escalation_resolve(
        escalation=fresh(escalation), acting_user=cast.other_senior_manager, outcome="Assessment agreed."
    )
    assert {"practitioner", "social-worker", "manager", "team-manager", "senior"} <= told(
        escalation, NotificationKind.RESOLVED
    )


def test_bromley_stage_4_the_escalation_should_be_made_via_the_bscp_business_manager():
    """ "The escalation should be made via the BSCP business manager / partnership office." """
    cast, _ = cast_for("bromley")
    escalation = climb(cast, raise_one(cast), 4)
    assert {"business-manager", "chair"} <= told_to_act(current(escalation))


def test_bromley_panels_should_include_senior_representatives_from_at_least_three_different_agencies():
    """ "Convene a Resolution Panel ... chaired by an independent or senior partner ... (Panels should
    include senior representatives from at least three different agencies.)" """
    cast, extra = cast_for("bromley")
    escalation = climb(cast, raise_one(cast), 4)
    p = cast.partnership
    police = Membership.objects.get(user=cast.police_senior_manager)
    health = Membership.objects.get(user=cast.health_senior_manager)
    probation = Membership.objects.get(user=extra.probation_senior)
    chair = Membership.objects.get(user=cast.chair)
    with pytest.raises(EscalationError):
        review_arrange(
            escalation=fresh(escalation),
            acting_user=cast.business_manager,
            arrangement=PanelRule.RESOLUTION_PANEL,
            chair=chair,
            members=[police, health],
        )
    review_arrange(
        escalation=fresh(escalation),
        acting_user=cast.business_manager,
        arrangement=PanelRule.RESOLUTION_PANEL,
        chair=chair,
        members=[police, health, probation],
    )
    assert p.pk == escalation.partnership_id
    assert {"police-senior", "health-senior", "probation-senior"} <= told(escalation, NotificationKind.ARRANGED)


def test_bromley_the_process_and_outcome_should_be_formally_recorded_and_a_summary_placed_on_the_childs_record():
    """ "The process and outcome should be formally recorded, and a summary report placed on the
    child's record." """
    cast, extra = cast_for("bromley")
    escalation = climb(cast, raise_one(cast), 4)
    review_arrange(
        escalation=fresh(escalation),
        acting_user=cast.business_manager,
        arrangement=PanelRule.DIRECT_LIAISON,
        chair=Membership.objects.get(user=cast.chair),
    )
    services.stage_record_decision(
        escalation=fresh(escalation), acting_user=cast.chair, decision="Social care will assess."
    )
    entries = RecordEntry.objects.filter(escalation=escalation, kind=RecordEntryKind.DECISION)
    assert entries.filter(child=cast.child).exists()
    assert "practitioner" in told(escalation, NotificationKind.DECIDED)


def test_bromley_if_staff_feel_unsafe_within_their_own_agency_they_may_request_escalation_via_bscp_unseen_by_own_managers():
    """ "If staff feel unsafe raising concerns within their own agency, they may ... request
    escalation via BSCP." Their own managers are neither told nor shown it (README)."""
    from escalation.routes import escalation_raise_to_partnership

    cast, _ = cast_for("bromley")
    # The route is chosen on the raise page (README: "ticks the box on the raise page").
    escalation = escalation_raise_to_partnership(
        reason="My manager is the subject of the concern.",
        raised_by=cast.practitioner,
        raising_agency=cast.school,
        receiving_agency=cast.csc,
        children=[cast.child],
        category=Category.THRESHOLD,
        concern="The referral was refused.",
        why_unsafe="Bruising seen twice.",
        outcome_sought="A strategy discussion.",
        at=TUESDAY,
    )
    escalation = fresh(escalation)
    assert escalation.stage_number == 4
    assert {"business-manager", "chair"} <= told_to_act(current(escalation))
    everyone = set(Notification.objects.filter(escalation=escalation).values_list("recipient__username", flat=True))
    assert not {"manager", "dsl", "senior", "director"} & everyone
    assert not may_see(escalation, cast.manager)
    assert not may_see(escalation, cast.safeguarding_lead)


def test_cumberland_stage_three_if_the_issue_relates_to_child_protection_this_should_be_determined_within_24_hours():
    """ "The urgency should be determined by the Executive Manager/Lead, no longer than 7 working
    days. If the issue relates to child protection, this should be determined with 24 hours." """
    cast, _ = cast_for("cumberland")
    standard = climb(cast, raise_one(cast), 5)
    cp = climb(cast, raise_one(cast, urgency=Urgency.CHILD_PROTECTION), 5)
    assert current(standard).due_at == london(2026, 11, 12, 17, 0)
    assert current(cp).due_at == TUESDAY + timedelta(hours=24)
    assert current(cp).policy_stage.met_by == "decision"


def test_cumberland_executive_manager_emails_the_cscp_chair_and_copies_in_the_cscp_business_manager():
    """ "Executive Manager/Lead emails the CSCP Chair and copies in the CSCP Business Manager
    setting out the issue and what has been done to try and resolve the issue informally." The
    executive leads who referred it are told too."""
    cast, _ = cast_for("cumberland")
    escalation = climb(cast, raise_one(cast), 5)
    stage_3 = current(escalation)
    assert {"chair", "business-manager", "director", "dcs"} <= told(
        escalation, NotificationKind.ESCALATED, occurrence=stage_3
    )
    assert stage_3.evidence_of_previous_efforts  # "what has been done to try and resolve"


def test_cumberland_the_urgency_should_be_determined_by_the_executive_manager_lead():
    """ "The urgency should be determined by the Executive Manager/Lead." At Stage Three the raising
    practitioner should not be able to lower a child-protection case to standard (a 24-hour
    decision becomes a 7-working-day one)."""
    cast, _ = cast_for("cumberland")
    escalation = climb(cast, raise_one(cast, urgency=Urgency.CHILD_PROTECTION), 5)
    with pytest.raises(NotPermitted):
        services.escalation_change_urgency(
            escalation=fresh(escalation),
            acting_user=cast.practitioner,
            urgency=Urgency.STANDARD,
            reason="I think it can wait.",
        )


def test_cumberland_an_impartial_cscp_member_appointed_by_the_cscp_chair_reviews_the_case():
    """ "An impartial CSCP member, appointed by the CSCP Chair, reviews the case and consults with
    the other Executive Leads before making a final decision." The business manager cannot appoint;
    a member of a party agency is not impartial."""
    cast, _ = cast_for("cumberland")
    escalation = climb(cast, raise_one(cast), 5)
    police = Membership.objects.get(user=cast.police_senior_manager)
    with pytest.raises(NotPermitted):
        review_arrange(
            escalation=fresh(escalation),
            acting_user=cast.business_manager,
            arrangement=PanelRule.IMPARTIAL_MEMBER,
            chair=police,
        )
    csc_seat = seat(cast.chair, cast.partnership, agency=cast.csc)
    with pytest.raises(EscalationError):
        review_arrange(
            escalation=fresh(escalation), acting_user=cast.chair, arrangement=PanelRule.IMPARTIAL_MEMBER, chair=csc_seat
        )
    review_arrange(
        escalation=fresh(escalation), acting_user=cast.chair, arrangement=PanelRule.IMPARTIAL_MEMBER, chair=police
    )
    assert {"police-senior", "director", "dcs"} <= told(escalation, NotificationKind.ARRANGED)


def test_cumberland_the_cscp_business_manager_records_formal_use_and_reports_it_to_the_partnership():
    """ "The CSCP Business Manager records formal use of the escalation procedure and reports it to
    the Partnership so that learning and actions can be identified." The business manager hears
    of the decision and the resolution."""
    cast, _ = cast_for("cumberland")
    escalation = climb(cast, raise_one(cast), 5)
    review_arrange(
        escalation=fresh(escalation),
        acting_user=cast.chair,
        arrangement=PanelRule.IMPARTIAL_MEMBER,
        chair=Membership.objects.get(user=cast.police_senior_manager),
    )
    services.stage_record_decision(
        escalation=fresh(escalation), acting_user=cast.police_senior_manager, decision="Assess."
    )
    services.escalation_resolve(escalation=fresh(escalation), acting_user=cast.police_senior_manager, outcome="Done.")
    assert "business-manager" in told(escalation, NotificationKind.DECIDED)
    assert "business-manager" in told(escalation, NotificationKind.RESOLVED)
    assert "practitioner" in told(escalation, NotificationKind.DECIDED)


def test_cumberland_stage_two_strategic_equivalent_from_the_other_agency_is_also_engaged():
    """ "Escalate to Executive Manager/Lead (e.g., Assistant Director) involved. Strategic equivalent
    from the other agency is also engaged." ... "Record and communicate the decision and required
    actions." """
    cast, _ = cast_for("cumberland")
    escalation = climb(cast, raise_one(cast), 4)
    assert {"director", "dcs"} <= told_to_act(current(escalation))
    climbing.acknowledge(escalation)
    d = discuss(escalation, cast.other_director, held_at=london(2026, 11, 4, 10, 0))
    assert {"practitioner", "director", "manager", "team-manager", "senior", "head-of-service"} <= recorded_to(d)


# === Plymouth (seed 001) ========================================================================


def test_plymouth_the_professionals_should_attempt_to_resolve_differences_through_discussion_within_one_working_day():
    """ "The professionals involved should attempt to resolve differences through discussion within
    one working day, but if they are unable to do so, their disagreement must be reported by them to
    their line managers." Missed: the line managers are told."""
    cast, _ = cast_for("plymouth")
    escalation = raise_one(cast)
    assert current(escalation).due_at == london(2026, 11, 4, 17, 0)
    assert run_watcher(now=london(2026, 11, 5, 9, 0)).breached == 1
    assert {"manager", "team-manager", "practitioner"} <= told(escalation, NotificationKind.BREACH)


def test_plymouth_the_line_managers_contact_should_take_place_within_twenty_four_hours():
    """ "With respect to most day-to-day issues, the relevant line managers will be able to resolve
    the disagreement. This contact should take place within twenty-four hours." """
    cast, _ = cast_for("plymouth")
    escalation = climb(cast, raise_one(cast), 2)
    stage = current(escalation)
    assert stage.due_at == TUESDAY + timedelta(hours=24)
    assert stage.policy_stage.met_by == "discussion"
    assert {"manager", "team-manager"} <= told_to_act(stage)


def test_plymouth_stage_three_the_matter_will_be_referred_to_a_head_of_service_within_specialist_childrens_services():
    """ "If despite following the Stage Two process the disagreement remains, the matter will be
    referred to an appropriate Head of Service within Specialist Children's Services, who will
    consider the matter with their equivalent level of management within the concerned agency who
    is in dispute." A school–police dispute at Stage Three still goes to the Head of Service in
    children's social care."""
    cast, _ = cast_for("plymouth")
    escalation = climb(cast, raise_one(cast, receiving=cast.police), 4)
    stage_three = current(escalation)
    assert "Head of Service" in stage_three.policy_stage.name
    assert "head-of-service" in told_to_act(stage_three)


def test_plymouth_at_stage_three_the_head_of_service_considers_it_with_the_equivalent_management_in_the_agency_in_dispute():
    """ "... a Head of Service within Specialist Children's Services, who will consider the matter
    with their equivalent level of management within the concerned agency who is in dispute." """
    cast, _ = cast_for("plymouth")
    escalation = climb(cast, raise_one(cast), 4)
    assert {"head-of-service", "senior"} <= told_to_act(current(escalation))


def test_plymouth_at_any_stage_any_action_agreed_should_be_fed_back_immediately_to_the_second_tier_management_staff_involved():
    """ "At any stage of the process, any action agreed should be fed back immediately to the second
    tier management staff involved and the detail of the conflict and agreements reached should be
    recorded on the child's file." At Stage Two itself, one side's agreed action reaches the other
    side's second tier and its own."""
    cast, extra = cast_for("plymouth")
    escalation = climb(cast, raise_one(cast), 3)
    climbing.acknowledge(escalation)
    d = discuss(
        escalation,
        extra.csc_dsl,
        held_at=london(2026, 11, 4, 10, 0),
        actions=[{"description": "Visit", "owner": cast.other_practitioner, "due_on": london(2026, 11, 6).date()}],
    )
    assert {"dsl", "senior", "head-of-service"} <= recorded_to(d)
    assert RecordEntry.objects.filter(escalation=escalation, kind=RecordEntryKind.DISCUSSION, child=cast.child).exists()


def test_plymouth_the_head_of_safeguarding_will_determine_a_course_of_action_including_reporting_to_the_board_chair():
    """ "the matter must be referred to the Head of Safeguarding, who will determine a course of
    action including reporting the matter to the Safeguarding Children Board Chair." """
    cast, _ = cast_for("plymouth")
    escalation = climb(cast, raise_one(cast), 5)
    assert "chair" in told(escalation, NotificationKind.ESCALATED)
    review_arrange(
        escalation=fresh(escalation),
        acting_user=cast.business_manager,
        arrangement=PanelRule.HEAD_OF_SAFEGUARDING,
        chair=Membership.objects.get(user=cast.health_senior_manager),
    )
    services.stage_record_decision(
        escalation=fresh(escalation), acting_user=cast.health_senior_manager, decision="Case review."
    )
    assert {"chair", "practitioner"} <= told(escalation, NotificationKind.DECIDED)


def test_plymouth_it_may_be_required_to_instigate_all_of_the_stages_within_a_short_period_of_time():
    """ "In some situations, it may be required to instigate all of the stages within a short period
    of time or to escalate the process so that the safety of the child is not compromised." """
    cast, _ = cast_for("plymouth")
    escalation = raise_one(cast, urgency=Urgency.IMMEDIATE_RISK)
    escalation_take_route(
        escalation=fresh(escalation),
        acting_user=cast.practitioner,
        route=Route.URGENT_ALL_STAGES,
        to_stage=4,
        reason="The child is at home with the alleged abuser tonight.",
        at=TUESDAY,
    )
    escalation = fresh(escalation)
    assert escalation.stage_number == 4
    assert current(escalation).due_at == london(2026, 11, 3, 17, 0)  # same working day
    assert StageOccurrence.objects.filter(escalation=escalation).count() == 4
    assert "head-of-service" in told_to_act(current(escalation))


# === St Helens (seed 004) =======================================================================


def test_st_helens_consult_their_manager_on_the_same_working_day_that_the_disagreement_arises():
    """ "Any professional who feels that a decision made by another agency is inappropriate or unsafe
    should initially consult their manager/supervisor ... This should be done on the same working
    day that the disagreement arises." """
    cast, extra = cast_for("st-helens")
    morning = raise_one(cast)
    evening = raise_one(cast, at=london(2026, 11, 3, 18, 30))
    assert current(morning).due_at == london(2026, 11, 3, 17, 0)
    assert current(evening).due_at == london(2026, 11, 4, 17, 0)
    assert current(evening).arrived_out_of_hours
    # Told: the raiser's own line manager and safeguarding lead, not the other agency yet.
    assert {"manager", "dsl"} <= told(morning, NotificationKind.RAISED)
    assert not {"social-worker", "team-manager"} & told(morning, NotificationKind.RAISED)
    # The raiser's fellow practitioners take no part (README).
    assert "school-colleague" not in told(morning, NotificationKind.RAISED)
    assert not may_see(fresh(morning), extra.school_colleague)


def test_st_helens_stage_one_missed_when_nobody_was_consulted_by_the_close_of_the_working_day():
    """ "This should be done on the same working day that the disagreement arises." """
    cast, _ = cast_for("st-helens")
    escalation = raise_one(cast)
    assert run_watcher(now=london(2026, 11, 3, 17, 30)).breached == 1
    assert {"manager", "dsl", "practitioner"} <= told(escalation, NotificationKind.BREACH)
    assert not {"social-worker", "team-manager"} & told(escalation, NotificationKind.BREACH)


def test_st_helens_at_every_stage_all_decisions_must_be_recorded_in_writing_and_shared_with_relevant_personnel():
    """ "At every stage of the process all decisions must be recorded in writing and shared with
    relevant personnel, including the professional who raised the initial concern." At Stage One
    the relevant personnel are the manager/supervisor consulted."""
    cast, _ = cast_for("st-helens")
    escalation = raise_one(cast)
    d = discuss(escalation, cast.practitioner, held_at=london(2026, 11, 3, 11, 0))
    assert "manager" in recorded_to(d)


def test_st_helens_all_decisions_shared_with_the_professional_who_raised_the_initial_concern():
    """ "At every stage of the process all decisions must be recorded in writing and shared with
    relevant personnel, including the professional who raised the initial concern." A decision
    recorded at stage two (by the social worker) and the resolution reach the raiser."""
    cast, _ = cast_for("st-helens")
    escalation = climb(cast, raise_one(cast), 2)
    climbing.acknowledge(escalation)
    d = discuss(escalation, cast.other_practitioner, held_at=london(2026, 11, 3, 14, 0))
    assert "practitioner" in recorded_to(d)
    services.escalation_resolve(escalation=fresh(escalation), acting_user=cast.other_practitioner, outcome="Agreed.")
    assert {"practitioner", "business-manager", "manager"} <= told(escalation, NotificationKind.RESOLVED)


def test_st_helens_for_cases_involving_social_care_the_team_manager_should_be_alerted_within_one_working_day():
    """ "For cases involving Social Care the concerns should be discussed initially with the social
    worker, If this does not resolve the problem the Team Manager should be alerted – by phone or in
    writing within one working day." """
    cast, _ = cast_for("st-helens")
    escalation = climb(cast, raise_one(cast), 2)
    assert "social-worker" in told_to_act(current(escalation))
    assert current(escalation).due_at == london(2026, 11, 4, 17, 0)
    escalation = climb(cast, escalation, 3)
    assert "team-manager" in told_to_act(current(escalation))


def test_st_helens_the_escalation_notice_will_be_forwarded_within_5_working_days_with_a_copy_to_the_lscb_business_manager():
    """ "The Escalation Notice ... will be forwarded to the Service Manager or agency equivalent)
    within 5 working days. A copy of this notice will be sent to the LSCB Business Manager." """
    cast, _ = cast_for("st-helens")
    escalation = climb(cast, raise_one(cast), 3)
    assert current(escalation).due_at == london(2026, 11, 10, 17, 0)
    escalation = climb(cast, escalation, 4)
    stage_4 = current(escalation)
    assert "business-manager" in told(escalation, NotificationKind.ESCALATED, occurrence=stage_4)
    assert {"senior", "dsl", "head-of-service", "csc-dsl"} <= told_to_act(stage_4)


def test_st_helens_any_professional_who_considers_a_child_at_immediate_risk_must_escalate_on_the_same_working_day():
    """ "Any professional who considers that a child is at immediate risk of significant harm must
    ensure that concerns are escalated in a timely manner on the same working day." """
    cast, _ = cast_for("st-helens")
    escalation = raise_one(cast, urgency=Urgency.IMMEDIATE_RISK)
    for stage in range(1, 8):
        escalation = climb(cast, escalation, stage)
        assert current(escalation).due_at == london(2026, 11, 3, 17, 0), stage


def test_st_helens_the_director_of_childrens_services_will_make_the_final_binding_decision():
    """ "If the comparable Service Managers cannot achieve resolution then the issue will be referred
    to the comparable agency Directors If resolution is not achieved then this will be referred to
    the Director of Children's Services who will make the final binding decision." A school–police
    dispute: the DCS (children's social care) decides, not the school's director."""
    cast, _ = cast_for("st-helens")
    escalation = climb(cast, raise_one(cast, receiving=cast.police), 5)
    school_director = cast.director
    escalation = climb(cast, escalation, 6)
    stage_6 = current(escalation)
    assert "dcs" in told_to_act(stage_6)
    assert may_see(fresh(escalation), cast.other_director)
    with pytest.raises(NotPermitted):
        services.stage_record_decision(
            escalation=fresh(escalation), acting_user=school_director, decision="My own decision."
        )
    with pytest.raises(EscalationError):
        services.escalation_resolve(escalation=fresh(escalation), acting_user=cast.practitioner, outcome="Agreed.")
    services.stage_record_decision(
        escalation=fresh(escalation), acting_user=cast.other_director, decision="Police will share the report."
    )
    assert {"practitioner", "director"} <= told(escalation, NotificationKind.DECIDED)


def test_st_helens_the_chair_will_identify_a_board_member_from_an_uninvolved_agency_to_chair_a_meeting():
    """ "the case should be referred to the business coordinator of St Helens Safeguarding Children
    Board, who will notify the chair of the Board. The chair will identify a Board member from an
    uninvolved agency to chair a meeting of senior managers with operational responsibility for the
    case. ... The chair of this meeting will report back to the chair of the Safeguarding Children
    Board." """
    cast, _ = cast_for("st-helens")
    escalation = climb(cast, raise_one(cast), 6)
    climbing.acknowledge(escalation)
    services.stage_record_decision(escalation=fresh(escalation), acting_user=cast.other_director, decision="Assess.")
    escalation = climb(cast, escalation, 7)
    assert {"business-manager", "chair"} <= told_to_act(current(escalation))
    health = Membership.objects.get(user=cast.health_senior_manager)
    with pytest.raises(NotPermitted):
        review_arrange(
            escalation=fresh(escalation),
            acting_user=cast.business_manager,
            arrangement=PanelRule.UNINVOLVED_CHAIR,
            chair=health,
        )
    school_seat = seat(cast.chair, cast.partnership, agency=cast.school)
    with pytest.raises(EscalationError):
        review_arrange(
            escalation=fresh(escalation),
            acting_user=cast.chair,
            arrangement=PanelRule.UNINVOLVED_CHAIR,
            chair=school_seat,
        )
    review_arrange(
        escalation=fresh(escalation), acting_user=cast.chair, arrangement=PanelRule.UNINVOLVED_CHAIR, chair=health
    )
    services.stage_record_decision(escalation=fresh(escalation), acting_user=cast.health_senior_manager, decision="X.")
    assert "chair" in told(escalation, NotificationKind.DECIDED)


def test_st_helens_when_the_disagreement_is_resolved_the_agencies_must_agree_a_written_statement_of_the_outcome():
    """ "When the disagreement is resolved the agencies involved must agree a written statement of the
    outcome, including any consequent action to be taken." ... "This is to be completed once the
    Escalation is resolved and sent to the Business Manager." """
    cast, _ = cast_for("st-helens")
    escalation = raise_one(cast)
    with pytest.raises(EscalationError):
        services.escalation_resolve(escalation=fresh(escalation), acting_user=cast.manager, outcome="   ")
    services.escalation_resolve(escalation=fresh(escalation), acting_user=cast.manager, outcome="Not a dispute.")
    assert {"business-manager", "practitioner"} <= told(escalation, NotificationKind.RESOLVED)


# === Every policy: warnings and missed deadlines ================================================


def test_bromley_timescales_must_be_appropriate_to_the_risk_the_holders_are_warned_before_a_deadline():
    """ "Timeliness: Escalation should not be delayed." The watcher warns the people holding the
    stage (and the raiser) shortly before its deadline (README)."""
    cast, _ = cast_for("bromley")
    escalation = climb(cast, raise_one(cast), 2)
    assert run_watcher(now=london(2026, 11, 9, 9, 0)).warned == 1
    assert {"manager", "dsl", "team-manager", "csc-dsl", "practitioner"} <= told(escalation, NotificationKind.WARNING)


def test_cumberland_throughout_the_process_disputes_must_be_resolved_promptly_a_missed_partnership_decision_is_reported():
    """ "Throughout the process, disputes must be resolved promptly" and Stage Three "no longer than
    7 working days": a missed decision is recorded on the child's file and told to the business
    manager and the raiser."""
    cast, _ = cast_for("cumberland")
    escalation = climb(cast, raise_one(cast), 5)
    assert run_watcher(now=london(2026, 11, 13, 9, 0)).breached == 1
    assert {"business-manager", "practitioner"} <= told(escalation, NotificationKind.BREACH)
    assert RecordEntry.objects.filter(escalation=escalation, kind=RecordEntryKind.BREACHED, child=cast.child).exists()


def test_bromley_escalation_should_not_be_delayed_a_missed_child_protection_deadline_reaches_the_business_manager():
    """ "Timescales must be appropriate to the risk – always 'as soon as possible,' and within a week
    unless risk demands faster action." A child-protection stage 1 missed after 24 hours is told to
    the next tier, the raiser and (urgent) the business manager (README)."""
    cast, _ = cast_for("bromley")
    escalation = raise_one(cast, urgency=Urgency.CHILD_PROTECTION)
    assert run_watcher(now=TUESDAY + timedelta(hours=25)).breached == 1
    assert {"business-manager", "practitioner", "manager", "team-manager"} <= told(escalation, NotificationKind.BREACH)
