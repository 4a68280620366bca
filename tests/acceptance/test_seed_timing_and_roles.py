# ruff: noqa: E501
"""Acceptance tests for the five seed policies' TIMING (what starts and stops each stage's clock,
its length, what counts as a working day, urgency) and ROLES (who may act at each stage, and
who may not), one per policy sentence, quoted in each docstring.

Reuses the Riverside cast and helpers of test_seed_policy_sentences.py: a school practitioner
raises a disagreement with children's social care (CSC); each side has a full ladder.
"""

from datetime import timedelta

import pytest

from escalation import services
from escalation.deadlines import run_watcher
from escalation.errors import EscalationError, NotPermitted
from escalation.partnership_stage import review_arrange
from escalation.states import Category
from partnerships.choices import PanelRule, Role, Urgency
from partnerships.models import Membership
from tests import climbing
from tests.acceptance.test_seed_policy_sentences import (
    TUESDAY,
    breaches,
    cast_for,
    current,
    discuss,
    fresh,
    raise_one,
)
from tests.conftest import london
from tests.factories import person

pytestmark = pytest.mark.django_db


def climb(cast, escalation, to_stage, at=TUESDAY):
    return climbing.climb(escalation, to_stage, by=cast.practitioner, at=at)


def acknowledge(escalation, user, at=TUESDAY):
    return services.escalation_acknowledge(escalation=fresh(escalation), acting_user=user, at=at)


def refused_to_acknowledge(escalation, user) -> bool:
    try:
        acknowledge(escalation, user)
    except NotPermitted:
        return True
    return False


def refused_to_decide(escalation, user) -> bool:
    try:
        services.stage_record_decision(escalation=fresh(escalation), acting_user=user, decision="Ours.")
    except NotPermitted:
        return True
    return False


def refused_to_arrange_or_decide(escalation, user, arrangement, chair) -> bool:
    """Refused both the arrangement of the partnership stage and its decision."""
    try:
        review_arrange(
            escalation=fresh(escalation),
            acting_user=user,
            arrangement=arrangement,
            chair=Membership.objects.get(user=chair),
        )
    except NotPermitted:
        return refused_to_decide(escalation, user)
    return False


def refused_to_escalate(escalation, user) -> bool:
    try:
        services.escalation_escalate(
            escalation=fresh(escalation), acting_user=user, evidence="We met and could not agree.", at=TUESDAY
        )
    except NotPermitted:
        return True
    return False


# === Five-stage flowchart (seed 002) ============================================================


def test_five_stage_stage_1_within_48_hours_2_working_days_raised_on_a_thursday_is_due_on_monday():
    """ "This must occur immediately with an acknowledgement and mutually agreed plan of action,
    including timescales within 48 hours (2 working days)." The weekend is not a working day."""
    cast, _ = cast_for("five-stage")
    escalation = raise_one(cast, at=london(2026, 11, 5, 10, 0))  # Thursday
    assert current(escalation).due_at == london(2026, 11, 9, 17, 0)  # Monday close


def test_five_stage_stage_3_each_manager_to_manager_discussion_within_5_working_days_skips_the_english_late_summer_bank_holiday():
    """ "Each Manager to Manager discussion should take place within 5 working days of the previous
    stage." Counted from when stage 3 starts; Monday 31 August 2026 (summer bank holiday, England)
    is not a working day."""
    cast, _ = cast_for("five-stage")
    start = london(2026, 8, 25, 10, 0)  # Tuesday
    escalation = climb(cast, raise_one(cast, at=start), 3, at=start)
    stage_3 = current(escalation)
    assert stage_3.clock_started_at == start
    assert stage_3.due_at == london(2026, 9, 2, 17, 0)
    assert stage_3.policy_stage.met_by == "discussion"


def test_five_stage_stage_3_the_discussion_of_the_senior_managers_stops_the_clock():
    """ "In all circumstances of escalation through a management structure the case should be
    reviewed with agreed actions and timescales agreed. Each Manager to Manager discussion should
    take place within 5 working days of the previous stage." Held in time: never recorded missed."""
    cast, _ = cast_for("five-stage")
    escalation = climb(cast, raise_one(cast), 3)
    acknowledge(escalation, cast.other_senior_manager)
    discuss(escalation, cast.other_senior_manager, held_at=london(2026, 11, 6, 10, 0))
    assert current(escalation).step_met_at == london(2026, 11, 6, 10, 0)
    assert run_watcher(now=london(2026, 11, 12, 9, 0)).breached == 0
    assert breaches(escalation) == 0


def test_five_stage_stage_2_the_line_managers_or_safeguarding_children_leads_hold_it_not_the_practitioners():
    """ "If unresolved the problem should be referred to each professionals' own line manager in
    their organisation, who should review the concerns and discuss with their opposite number in
    the other agency. At this stage it may be useful for the line managers/safeguarding children
    leads to agree a meeting." The social worker (a practitioner) does not acknowledge stage 2 nor
    move it on; the other agency's team manager does."""
    cast, extra = cast_for("five-stage")
    escalation = climb(cast, raise_one(cast), 2)
    assert refused_to_acknowledge(escalation, cast.other_practitioner)
    assert refused_to_acknowledge(escalation, cast.other_senior_manager)
    assert refused_to_escalate(escalation, cast.other_practitioner)
    acknowledge(escalation, extra.csc_dsl)


def test_five_stage_stage_3_the_line_managers_will_refer_to_their_line_managers_senior_managers_hold_it():
    """ "If the problem remains unresolved the line managers will refer to their line managers for
    consideration." The line managers move it on; at stage 3 the senior managers hold it, not the
    line managers nor the directors."""
    cast, _ = cast_for("five-stage")
    escalation = climb(cast, raise_one(cast), 2)
    climbing.acknowledge(escalation)
    services.escalation_escalate(
        escalation=fresh(escalation), acting_user=cast.other_manager, evidence="Two calls, no agreement.", at=TUESDAY
    )
    assert fresh(escalation).stage_number == 3
    assert refused_to_acknowledge(escalation, cast.other_manager)
    assert refused_to_acknowledge(escalation, cast.other_director)
    acknowledge(escalation, cast.other_senior_manager)


def test_five_stage_stage_4_director_chief_executive_discussion_is_held_by_directors_only():
    """ "The final stage for escalation with agencies will be to Directors / Chief Executive level
    of partners." Senior managers do not acknowledge it; the other agency's director does."""
    cast, _ = cast_for("five-stage")
    escalation = climb(cast, raise_one(cast), 4)
    assert refused_to_acknowledge(escalation, cast.other_senior_manager)
    acknowledge(escalation, cast.other_director)


def test_five_stage_stage_5_the_business_office_arranges_mediation_not_the_agencies_in_dispute():
    """ "the matter will be referred to the Business Office of the Safeguarding Children
    Partnership where one of the Strategic Leads will offer mediation". A director of an agency in
    dispute cannot arrange the mediation nor record its decision."""
    cast, _ = cast_for("five-stage")
    escalation = climb(cast, raise_one(cast), 5)
    assert refused_to_arrange_or_decide(
        escalation, cast.other_director, PanelRule.MEDIATION, cast.police_senior_manager
    )


# === Cumberland (seed 000) ======================================================================


def test_cumberland_stage_three_no_longer_than_7_working_days_counts_st_andrews_day_as_a_working_day_in_england():
    """ "The urgency should be determined by the Executive Manager/Lead, no longer than 7 working
    days." Cumberland is in England: St Andrew's Day (Monday 30 November 2026, a Scottish bank
    holiday) is a working day."""
    cast, _ = cast_for("cumberland")
    start = london(2026, 11, 26, 10, 0)  # Thursday
    escalation = climb(cast, raise_one(cast, at=start), 5, at=start)
    assert current(escalation).due_at == london(2026, 12, 7, 17, 0)


def test_cumberland_if_the_issue_relates_to_child_protection_determined_within_24_hours_even_over_a_weekend():
    """ "If the issue relates to child protection, this should be determined with 24 hours." 24
    elapsed hours from the referral to the CSCP, a Friday afternoon's due on the Saturday."""
    cast, _ = cast_for("cumberland")
    friday = london(2026, 11, 6, 15, 0)
    escalation = climb(cast, raise_one(cast, at=friday, urgency=Urgency.CHILD_PROTECTION), 5, at=friday)
    assert current(escalation).due_at == london(2026, 11, 7, 15, 0)


def test_cumberland_immediate_risk_is_never_given_longer_than_child_protections_24_hours():
    """ "If the issue relates to child protection, this should be determined with 24 hours." A
    child at immediate risk of significant harm is a child protection issue: no longer than 24 hours."""
    cast, _ = cast_for("cumberland")
    escalation = climb(cast, raise_one(cast, urgency=Urgency.IMMEDIATE_RISK), 5)
    assert current(escalation).due_at <= TUESDAY + timedelta(hours=24)


def test_cumberland_stage_three_arranging_the_impartial_member_does_not_stop_the_clock_the_decision_does():
    """ "An impartial CSCP member, appointed by the CSCP Chair, reviews the case and consults with
    the other Executive Leads before making a final decision" ... "no longer than 7 working days".
    Appointed but no decision in 7 working days: recorded as missed."""
    cast, _ = cast_for("cumberland")
    escalation = climb(cast, raise_one(cast), 5)
    review_arrange(
        escalation=fresh(escalation),
        acting_user=cast.chair,
        arrangement=PanelRule.IMPARTIAL_MEMBER,
        chair=Membership.objects.get(user=cast.police_senior_manager),
        at=london(2026, 11, 4, 10, 0),
    )
    assert current(escalation).step_met_at is None
    assert run_watcher(now=london(2026, 11, 13, 9, 0)).breached == 1


def test_cumberland_level_two_line_managers_or_a_designated_practitioner_not_the_practitioners():
    """ "Level Two – Line Manager to Line Manager. Relevant line managers review the concern ...
    Consider involving a Designated or Named Practitioner at this point if helpful." """
    cast, extra = cast_for("cumberland")
    escalation = climb(cast, raise_one(cast), 2)
    assert refused_to_acknowledge(escalation, cast.other_practitioner)
    assert refused_to_escalate(escalation, cast.other_practitioner)
    acknowledge(escalation, extra.csc_dsl)


def test_cumberland_level_three_service_leads_or_designated_practitioners_not_line_managers_or_directors():
    """ "Level Three – Service Lead / Designated Practitioner. Escalate to senior leads (e.g.,
    Headteachers, Service Managers, Designated Nurses, Designated GPs)." """
    cast, _ = cast_for("cumberland")
    escalation = climb(cast, raise_one(cast), 3)
    assert refused_to_acknowledge(escalation, cast.other_manager)
    assert refused_to_acknowledge(escalation, cast.other_director)
    acknowledge(escalation, cast.other_senior_manager)


def test_cumberland_stage_two_escalate_to_executive_manager_lead_not_the_service_leads():
    """ "Stage Two: Formal Dispute Procedure ... Escalate to Executive Manager/Lead (e.g., Assistant
    Director) involved. Strategic equivalent from the other agency is also engaged." """
    cast, _ = cast_for("cumberland")
    escalation = climb(cast, raise_one(cast), 4)
    assert refused_to_acknowledge(escalation, cast.other_senior_manager)
    acknowledge(escalation, cast.other_director)
    assert refused_to_escalate(escalation, cast.other_senior_manager)
    services.escalation_escalate(
        escalation=fresh(escalation), acting_user=cast.other_director, evidence="Met twice; no agreement.", at=TUESDAY
    )
    assert fresh(escalation).stage_number == 5


def test_cumberland_stage_three_the_cscp_member_appointed_decides_not_an_executive_lead_of_a_party():
    """ "An impartial CSCP member, appointed by the CSCP Chair, reviews the case and consults with
    the other Executive Leads before making a final decision." The executive leads in dispute
    cannot record the final decision, before or after the member is appointed."""
    cast, _ = cast_for("cumberland")
    escalation = climb(cast, raise_one(cast), 5)
    assert refused_to_decide(escalation, cast.other_director)
    review_arrange(
        escalation=fresh(escalation),
        acting_user=cast.chair,
        arrangement=PanelRule.IMPARTIAL_MEMBER,
        chair=Membership.objects.get(user=cast.police_senior_manager),
    )
    assert refused_to_decide(escalation, cast.other_director)
    with pytest.raises(EscalationError):
        services.escalation_resolve(escalation=fresh(escalation), acting_user=cast.other_director, outcome="Agreed.")


# === Plymouth (seed 001) ========================================================================


def test_plymouth_the_professionals_within_one_working_day_raised_on_friday_is_due_on_monday():
    """ "The professionals involved should attempt to resolve differences through discussion
    within one working day". A Friday's disagreement is due at Monday's close, not Saturday."""
    cast, _ = cast_for("plymouth")
    escalation = raise_one(cast, at=london(2026, 11, 6, 10, 0))
    assert current(escalation).due_at == london(2026, 11, 9, 17, 0)


def test_plymouth_stage_one_a_discussion_between_the_professionals_stops_the_one_working_day_clock():
    """ "The professionals involved should attempt to resolve differences through discussion within
    one working day". The discussion held on time meets the step; the watcher records nothing."""
    cast, _ = cast_for("plymouth")
    escalation = raise_one(cast)
    acknowledge(escalation, cast.other_practitioner)
    discuss(escalation, cast.other_practitioner, held_at=london(2026, 11, 4, 12, 0))
    assert run_watcher(now=london(2026, 11, 5, 9, 0)).breached == 0


def test_plymouth_stage_two_second_tier_management_or_the_designated_professional_not_front_line_managers():
    """ "Where it is not possible to resolve the matter at front line management level, the matter
    should be referred without delay to second tier management level. The issue will then be
    considered at second tier management level ... with direct communication taking place with the
    designated professional or named professional for safeguarding"."""
    cast, extra = cast_for("plymouth")
    escalation = climb(cast, raise_one(cast, category=Category.ACTION_INACTION), 3)
    assert refused_to_acknowledge(escalation, cast.other_manager)
    assert refused_to_acknowledge(escalation, cast.other_practitioner)
    acknowledge(escalation, extra.csc_dsl)


def test_plymouth_stage_three_head_of_service_with_the_equivalent_level_of_management_not_line_managers():
    """ "the matter will be referred to an appropriate Head of Service within Specialist Children's
    Services, who will consider the matter with their equivalent level of management within the
    concerned agency who is in dispute." School–police: the police senior manager and CSC's Head of
    Service may act; a police practitioner may not."""
    cast, _ = cast_for("plymouth")
    p = cast.partnership
    police_officer = person("police-officer", p, Role.PRACTITIONER, cast.police)
    escalation = climb(cast, raise_one(cast, receiving=cast.police), 4)
    assert refused_to_acknowledge(escalation, police_officer)
    assert refused_to_acknowledge(escalation, cast.other_manager)
    acknowledge(escalation, cast.police_senior_manager)
    discuss(escalation, cast.other_senior_manager, held_at=london(2026, 11, 4, 10, 0))


# === Bromley (seed 003) =========================================================================


def test_bromley_stage_2_within_a_week_skips_the_english_spring_bank_holiday():
    """ "Timescales must be appropriate to the risk – always 'as soon as possible,' and within a
    week unless risk demands faster action." Stage 2 from Friday 22 May 2026: Monday 25 May is
    the spring bank holiday in England, so it is due Monday 1 June."""
    cast, _ = cast_for("bromley")
    friday = london(2026, 5, 22, 10, 0)
    escalation = climb(cast, raise_one(cast, at=friday), 2, at=friday)
    assert current(escalation).due_at == london(2026, 6, 1, 17, 0)


def test_bromley_stage_2_unless_risk_demands_faster_action_child_protection_is_never_later_than_standard():
    """ "within a week unless risk demands faster action": a child protection case at stage 2 is
    due no later than a standard one raised at the same moment, an immediate-risk one no later
    than a child-protection one."""
    cast, _ = cast_for("bromley")
    friday_evening = london(2026, 11, 6, 18, 0)
    standard = climb(cast, raise_one(cast, at=friday_evening), 2, at=friday_evening)
    cp = climb(cast, raise_one(cast, at=friday_evening, urgency=Urgency.CHILD_PROTECTION), 2, at=friday_evening)
    immediate = climb(cast, raise_one(cast, at=friday_evening, urgency=Urgency.IMMEDIATE_RISK), 2, at=friday_evening)
    assert current(immediate).due_at <= current(cp).due_at <= current(standard).due_at


def test_bromley_stage_1_the_staff_member_or_dsl_raising_the_concern_the_other_professional_acknowledges():
    """ "The staff member (or DSL) raising the concern should initiate a discussion (by phone, in
    person, or virtual) with the other professional as soon as possible." The school's DSL may
    speak for the school at stage 1; the other agency's managers do not hold it yet."""
    cast, _ = cast_for("bromley")
    escalation = raise_one(cast)
    discuss(escalation, cast.safeguarding_lead, held_at=london(2026, 11, 3, 11, 0))
    assert refused_to_acknowledge(escalation, cast.other_manager)
    acknowledge(escalation, cast.other_practitioner)


def test_bromley_stage_2_escalate_through_each_agencys_line_management_not_the_practitioners():
    """ "If Stage 1 does not resolve the issue, escalate the concern through each agency's line
    management. The DSL or manager should contact their counterpart in the other agency." The
    social worker cannot acknowledge, resolve or move on stage 2."""
    cast, _ = cast_for("bromley")
    escalation = climb(cast, raise_one(cast), 2)
    assert refused_to_acknowledge(escalation, cast.other_practitioner)
    acknowledge(escalation, cast.other_manager)
    with pytest.raises(NotPermitted):
        services.escalation_resolve(escalation=fresh(escalation), acting_user=cast.other_practitioner, outcome="Ok.")
    assert refused_to_escalate(escalation, cast.other_practitioner)


def test_bromley_stage_3_head_of_service_director_or_equivalent_senior_safeguarding_lead_not_line_managers():
    """ "If Stage 2 fails to reach resolution, the issue must escalate to senior-level management
    (e.g., Head of Service, Director, or equivalent senior safeguarding lead)." """
    cast, _ = cast_for("bromley")
    escalation = climb(cast, raise_one(cast), 3)
    assert refused_to_acknowledge(escalation, cast.other_manager)
    acknowledge(escalation, cast.other_director)
    discuss(escalation, cast.other_senior_manager, held_at=london(2026, 11, 4, 10, 0))


def test_bromley_the_dsl_may_escalate_to_bscp_if_needed():
    """ "Designated Safeguarding Lead (DSL): Lead on managing and supporting escalation; ensure
    records are kept; liaise with external agencies; escalate to BSCP if needed." """
    cast, _ = cast_for("bromley")
    escalation = climb(cast, raise_one(cast), 3)
    acknowledge(escalation, cast.other_senior_manager)
    services.escalation_escalate(
        escalation=fresh(escalation), acting_user=cast.safeguarding_lead, evidence="Senior managers met.", at=TUESDAY
    )
    assert fresh(escalation).stage_number == 4


def test_bromley_the_resolution_panel_is_chaired_by_an_independent_or_senior_partner_not_a_line_manager():
    """ "Convene a Resolution Panel (or similar), chaired by an independent or senior partner, to
    hear representations, examine evidence, and issue recommendations." """
    cast, extra = cast_for("bromley")
    p = cast.partnership
    police_sergeant = person("police-sergeant", p, Role.LINE_MANAGER, cast.police)
    escalation = climb(cast, raise_one(cast), 4)
    members = [
        Membership.objects.get(user=cast.police_senior_manager),
        Membership.objects.get(user=cast.health_senior_manager),
        Membership.objects.get(user=extra.probation_senior),
    ]
    with pytest.raises(EscalationError):
        review_arrange(
            escalation=fresh(escalation),
            acting_user=cast.business_manager,
            arrangement=PanelRule.RESOLUTION_PANEL,
            chair=Membership.objects.get(user=police_sergeant),
            members=members,
        )


def test_bromley_stage_4_the_bscp_decides_not_the_senior_managers_in_dispute():
    """ "If senior managers cannot resolve the concern ... the matter should be referred to the
    BSCP." At stage 4 the senior managers and directors of the agencies in dispute no longer hold
    it: they cannot acknowledge it, arrange it or record its outcome."""
    cast, _ = cast_for("bromley")
    escalation = climb(cast, raise_one(cast), 4)
    assert refused_to_acknowledge(escalation, cast.other_senior_manager)
    assert refused_to_arrange_or_decide(escalation, cast.other_director, PanelRule.DIRECT_LIAISON, cast.chair)


# === St Helens (seed 004) =======================================================================


def test_st_helens_consult_the_manager_on_the_same_working_day_a_good_friday_disagreement_is_due_on_tuesday():
    """ "This should be done on the same working day that the disagreement arises." Good Friday
    (3 April 2026) and Easter Monday are bank holidays in England: the next working day is Tuesday,
    and the page says it arrived out of hours."""
    cast, _ = cast_for("st-helens")
    escalation = raise_one(cast, at=london(2026, 4, 3, 10, 0))
    stage = current(escalation)
    assert stage.due_at == london(2026, 4, 7, 17, 0)
    assert stage.arrived_out_of_hours


def test_st_helens_stage_one_the_manager_consulted_records_it_and_meets_the_same_working_day():
    """ "Any professional who feels that a decision made by another agency is inappropriate or
    unsafe should initially consult their manager/supervisor to clarify their thinking ... on the
    same working day". The manager records the consultation: met, never missed. A fellow
    practitioner and the other agency take no part."""
    cast, extra = cast_for("st-helens")
    escalation = raise_one(cast)
    with pytest.raises(NotPermitted):
        discuss(escalation, extra.school_colleague, held_at=london(2026, 11, 3, 11, 0))
    with pytest.raises(NotPermitted):
        discuss(escalation, cast.other_practitioner, held_at=london(2026, 11, 3, 11, 0))
    discuss(escalation, cast.manager, held_at=london(2026, 11, 3, 11, 0))
    assert current(escalation).step_met_at == london(2026, 11, 3, 11, 0)
    assert run_watcher(now=london(2026, 11, 3, 17, 30)).breached == 0


def test_st_helens_in_all_other_circumstances_within_one_working_week():
    """ "In all other circumstances professionals should attempt to resolve disagreements within
    one working week." The professionals' stage with the police (not social care): 5 working days."""
    cast, _ = cast_for("st-helens")
    escalation = climb(cast, raise_one(cast, receiving=cast.police), 2)
    assert current(escalation).due_at == london(2026, 11, 10, 17, 0)


def test_st_helens_the_team_manager_should_be_alerted_within_one_working_day_from_a_friday_is_monday():
    """ "For cases involving Social Care the concerns should be discussed initially with the social
    worker, If this does not resolve the problem the Team Manager should be alerted – by phone or in
    writing within one working day." From a Friday: Monday's close."""
    cast, _ = cast_for("st-helens")
    friday = london(2026, 11, 6, 10, 0)
    escalation = climb(cast, raise_one(cast, at=friday), 2, at=friday)
    assert current(escalation).due_at == london(2026, 11, 9, 17, 0)


def test_st_helens_immediate_risk_same_working_day_even_when_social_care_is_not_involved():
    """ "Any professional who considers that a child is at immediate risk of significant harm must
    ensure that concerns are escalated in a timely manner on the same working day." """
    cast, _ = cast_for("st-helens")
    escalation = climb(cast, raise_one(cast, receiving=cast.police, urgency=Urgency.IMMEDIATE_RISK), 2)
    assert current(escalation).due_at == london(2026, 11, 3, 17, 0)


def test_st_helens_stage_three_each_notify_their_manager_supervisor_who_discuss_with_the_equivalent_manager():
    """ "If the problem is not resolved at Stage Two the two professionals should each notify their
    manager/supervisor who will discuss the issues with the equivalent manager/supervisor in the
    other agency." The team manager holds it; the social worker does not."""
    cast, _ = cast_for("st-helens")
    escalation = climb(cast, raise_one(cast), 3)
    assert refused_to_acknowledge(escalation, cast.other_practitioner)
    acknowledge(escalation, cast.other_manager)


def test_st_helens_stage_four_named_or_designated_safeguarding_lead_or_service_manager_not_line_managers():
    """ "If the problem is not resolved at Stage Three each manager/supervisor will report to their
    respective named or designated safeguarding lead or service manager. These two managers will
    attempt to resolve the disagreement." """
    cast, extra = cast_for("st-helens")
    escalation = climb(cast, raise_one(cast), 4)
    assert refused_to_acknowledge(escalation, cast.other_manager)
    acknowledge(escalation, extra.csc_dsl)


def test_st_helens_referred_to_the_comparable_agency_directors_not_the_service_managers():
    """ "If the comparable Service Managers cannot achieve resolution then the issue will be
    referred to the comparable agency Directors"."""
    cast, _ = cast_for("st-helens")
    escalation = climb(cast, raise_one(cast, receiving=cast.police), 5)
    assert refused_to_acknowledge(escalation, cast.police_senior_manager)
    p = cast.partnership
    police_director = person("chief-constable", p, Role.EXECUTIVE_LEAD, cast.police)
    acknowledge(escalation, police_director)
