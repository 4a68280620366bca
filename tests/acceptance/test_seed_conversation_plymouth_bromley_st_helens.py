# ruff: noqa: E501
"""The conversation of the Plymouth (seed 001), Bromley (seed 003) and St Helens (seed 004)
policies: who is told, who holds each stage, what each clock times, who may see the case, for
sentences the other acceptance tests do not cover.

Each test is named after a sentence of a seed policy (quoted in its docstring). Set-up reuses
the acceptance tests' Riverside cast (tests/acceptance/test_seed_policy_sentences.py).
"""

from datetime import timedelta

import pytest

from escalation import services
from escalation.deadlines import run_watcher
from escalation.errors import EscalationError
from escalation.models import Notification, NotificationKind
from escalation.partnership_stage import review_arrange
from escalation.routes import escalation_raise_to_external_managers, escalation_take_route
from escalation.selectors import may_see
from escalation.states import Category
from partnerships.choices import AgencyType, PanelRule, Role, Route, Urgency
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
from tests.factories import AgencyFactory, person

pytestmark = pytest.mark.django_db


def everyone_told(escalation) -> set[str]:
    return set(Notification.objects.filter(escalation=escalation).values_list("recipient__username", flat=True))


def membership(user):
    return Membership.objects.get(user=user, agency__isnull=False)


def early_help(cast):
    agency = AgencyFactory(partnership=cast.partnership, name="Riverside Early Help", type=AgencyType.EARLY_HELP)
    return person("early-help-officer", cast.partnership, Role.PRACTITIONER, agency)


# === Plymouth (seed 001) ========================================================================


def test_plymouth_stage_one_any_action_agreed_should_be_fed_back_immediately_to_the_relevant_managers_involved():
    """ "Any action agreed should be fed back immediately to the relevant managers involved and the
    detail of the conflict and agreements reached should be recorded on the child's file."
    (Stage One, the professionals' own discussion: their line managers hear of it.)"""
    cast, _ = cast_for("plymouth")
    escalation = raise_one(cast)
    climbing.acknowledge(escalation)
    d = discuss(
        escalation,
        cast.other_practitioner,
        held_at=london(2026, 11, 3, 11, 0),
        actions=[{"description": "Visit", "owner": cast.other_practitioner, "due_on": london(2026, 11, 6).date()}],
    )
    assert {"manager", "team-manager", "practitioner"} <= recorded_to(d)
    assert current(escalation).step_met_at is not None


def test_plymouth_line_managers_contact_fed_back_to_managers_involved_and_second_tier():
    """ "Any action agreed should be fed back immediately to the relevant managers involved" at the
    line managers' step; and "at any stage ... to the second tier management staff involved"."""
    cast, extra = cast_for("plymouth")
    escalation = climb(cast, raise_one(cast), 2)
    climbing.acknowledge(escalation)
    d = discuss(escalation, cast.other_manager, held_at=london(2026, 11, 3, 12, 0))
    assert {"manager", "dsl", "csc-dsl", "practitioner"} <= recorded_to(d)
    assert {"senior", "head-of-service"} <= recorded_to(d)


def test_plymouth_it_may_be_helpful_to_consider_the_involvement_of_the_designated_or_named_professional_at_this_stage():
    """ "It may be helpful to consider the involvement of the designated or named professional at
    this stage in preference to use of line management." The designated professional holds the
    line managers' step, and their contact meets its 24 hours."""
    cast, extra = cast_for("plymouth")
    escalation = climb(cast, raise_one(cast), 2)
    assert {"dsl", "csc-dsl", "manager", "team-manager"} <= told_to_act(current(escalation))
    services.escalation_acknowledge(escalation=fresh(escalation), acting_user=extra.csc_dsl, at=TUESDAY)
    discuss(escalation, cast.safeguarding_lead, held_at=london(2026, 11, 3, 15, 0))
    assert current(escalation).step_met_at is not None
    assert run_watcher(now=london(2026, 11, 5, 9, 0)).breached == 0


def test_plymouth_if_the_conflict_relates_to_threshold_the_early_help_officer_will_also_be_involved():
    """ "If the area of conflict relates to whether a case meets the threshold for a referral or
    service from Children's social care, then the Early Help Assessment/TAC Implementation Officer
    will also be involved in this discussion." Told to act, may open it, warned before the
    deadline; and not brought into a dispute about something else."""
    cast, _ = cast_for("plymouth")
    officer = early_help(cast)
    threshold = climb(cast, raise_one(cast, category=Category.THRESHOLD), 3)
    other = climb(cast, raise_one(cast, category=Category.INFORMATION_SHARING), 3)
    assert "early-help-officer" in told_to_act(current(threshold))
    assert may_see(fresh(threshold), officer)
    assert "early-help-officer" not in everyone_told(other)
    assert not may_see(fresh(other), officer)
    # Stage Two sets no timescale: 5 working days, so warned on Monday 9 November.
    run_watcher(now=london(2026, 11, 9, 9, 0))
    assert "early-help-officer" in told(threshold, NotificationKind.WARNING)


def test_plymouth_stage_two_missed_the_head_of_service_in_specialist_childrens_services_is_told():
    """ "If despite following the Stage Two process the disagreement remains, the matter will be
    referred to an appropriate Head of Service within Specialist Children's Services": a missed
    Stage Two between a school and the police reaches the Head of Service (the next tier)."""
    cast, _ = cast_for("plymouth")
    escalation = climb(cast, raise_one(cast, receiving=cast.police), 3)
    assert run_watcher(now=london(2026, 11, 11, 9, 0)).breached == 1
    assert {"head-of-service", "senior", "police-senior", "practitioner"} <= told(escalation, NotificationKind.BREACH)
    assert may_see(fresh(escalation), cast.other_senior_manager)


def test_plymouth_the_head_of_safeguarding_reporting_the_matter_to_the_board_chair_the_resolution():
    """ "... the Head of Safeguarding, who will determine a course of action including reporting
    the matter to the Safeguarding Children Board Chair." The Head of Safeguarding is told what
    to do and by when; the chair hears of the resolution too."""
    cast, _ = cast_for("plymouth")
    escalation = climb(cast, raise_one(cast), 5)
    review_arrange(
        escalation=fresh(escalation),
        acting_user=cast.business_manager,
        arrangement=PanelRule.HEAD_OF_SAFEGUARDING,
        chair=Membership.objects.get(user=cast.health_senior_manager),
    )
    notice = Notification.objects.get(
        escalation=escalation, kind=NotificationKind.ARRANGED, recipient=cast.health_senior_manager
    )
    assert "record the partnership's decision by" in notice.message
    services.stage_record_decision(
        escalation=fresh(escalation), acting_user=cast.health_senior_manager, decision="Case review."
    )
    services.escalation_resolve(escalation=fresh(escalation), acting_user=cast.health_senior_manager, outcome="Done.")
    assert {"chair", "practitioner", "business-manager"} <= told(escalation, NotificationKind.RESOLVED)


# === Bromley (seed 003) =========================================================================


def test_bromley_they_may_escalate_directly_to_external_managers_unseen_and_untold_by_own_managers():
    """ "If staff feel unsafe raising concerns within their own agency, they may escalate directly to
    external managers." The other agency's managers hold Stage 2; the raiser's own managers are
    neither told nor shown it, not when it is warned, missed, moved on or resolved."""
    cast, _ = cast_for("bromley")
    escalation = escalation_raise_to_external_managers(
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
    assert fresh(escalation).stage_number == 2
    assert {"team-manager", "csc-dsl"} <= told_to_act(current(escalation))
    run_watcher(now=london(2026, 11, 9, 9, 0))  # warned
    run_watcher(now=london(2026, 11, 11, 9, 0))  # missed: the next tier is told
    assert {"head-of-service", "dcs"} <= told(escalation, NotificationKind.BREACH)
    climbing.acknowledge(escalation)
    escalation = climb(cast, escalation, 3)
    climbing.acknowledge(escalation)
    services.escalation_resolve(escalation=fresh(escalation), acting_user=cast.other_senior_manager, outcome="Agreed.")
    own = {"manager", "dsl", "senior", "director", "school-colleague"}
    assert not own & everyone_told(escalation)
    for user in (cast.manager, cast.safeguarding_lead, cast.senior_manager, cast.director):
        assert not may_see(fresh(escalation), user)
    assert "practitioner" in told(escalation, NotificationKind.RESOLVED)


def bromley_stage_3_agreeing_an_action(cast, description, owner, due_day):
    """The senior managers' Stage 3 discussion agrees one action, due on a day of November 2026."""
    escalation = climb(cast, raise_one(cast), 3)
    climbing.acknowledge(escalation)
    action = {"description": description, "owner": owner, "due_on": london(2026, 11, due_day).date()}
    discuss(escalation, cast.other_senior_manager, held_at=london(2026, 11, 4, 10, 0), actions=[action])
    return escalation


def test_bromley_stage_3_a_lead_manager_identified_to_implement_and_monitor_is_told_what_and_by_when():
    """ "Action plan should be documented, and a 'lead manager' identified to implement and
    monitor." The lead manager (the action's owner) is told it is theirs and by when."""
    cast, _ = cast_for("bromley")
    escalation = bromley_stage_3_agreeing_an_action(cast, "Monitor the plan", cast.other_manager, 20)
    notice = Notification.objects.get(
        escalation=escalation, kind=NotificationKind.ACTION_ASSIGNED, recipient=cast.other_manager
    )
    assert "Friday 20 November 2026" in notice.message
    assert may_see(fresh(escalation), cast.other_manager)


def test_bromley_line_managers_monitor_agreed_actions_an_overdue_action_at_stage_3_reaches_them():
    """ "Line Managers / Supervisors: Support staff in raising concerns; liaise with equivalent
    managers in other agencies; monitor agreed actions." An action agreed at Stage 3 and not done
    by its date reaches the line managers who held Stage 2, asking them to follow it up; its
    owner is asked to do it."""
    cast, _ = cast_for("bromley")
    escalation = bromley_stage_3_agreeing_an_action(cast, "Visit", cast.other_practitioner, 6)
    assert run_watcher(now=london(2026, 11, 9, 9, 0)).actions_overdue == 1
    line_managers = {cast.manager.username, cast.other_manager.username}
    assert line_managers <= told(escalation, NotificationKind.ACTION_OVERDUE)
    to_manager = Notification.objects.get(
        escalation=escalation, kind=NotificationKind.ACTION_OVERDUE, recipient=cast.other_manager
    )
    assert f"It is {cast.other_practitioner.get_full_name()}'s: follow it up with them" in to_manager.message
    to_owner = Notification.objects.get(
        escalation=escalation, kind=NotificationKind.ACTION_OVERDUE, recipient=cast.other_practitioner
    )
    assert "given to you was due on Friday 6 November 2026" in to_owner.message


def test_bromley_a_more_senior_manager_sees_the_case_only_once_it_reaches_their_stage():
    """ "Management Involvement: As needed, escalate via line managers, designated safeguarding
    leads (DSLs), and senior managers." Senior managers see it when Stage 3 reaches them."""
    cast, _ = cast_for("bromley")
    escalation = raise_one(cast)
    assert not may_see(fresh(escalation), cast.senior_manager)
    assert not may_see(fresh(escalation), cast.other_manager)
    escalation = climb(cast, escalation, 2)
    assert may_see(fresh(escalation), cast.other_manager)
    assert not may_see(fresh(escalation), cast.senior_manager)
    escalation = climb(cast, escalation, 3)
    assert may_see(fresh(escalation), cast.senior_manager)
    assert may_see(fresh(escalation), cast.other_director)


def test_bromley_stage_2_missed_the_senior_managers_and_the_referrer_are_told():
    """ "If Stage 2 fails to reach resolution, the issue must escalate to senior-level management
    (e.g., Head of Service, Director, or equivalent senior safeguarding lead)." A missed Stage 2
    reaches the next tier of both agencies and the raiser."""
    cast, _ = cast_for("bromley")
    escalation = climb(cast, raise_one(cast), 2)
    assert run_watcher(now=london(2026, 11, 11, 9, 0)).breached == 1
    assert {"senior", "director", "head-of-service", "dcs", "practitioner"} <= told(escalation, NotificationKind.BREACH)


def test_bromley_panel_seats_see_the_case_only_once_seated():
    """ "Convene a Resolution Panel ... (Panels should include senior representatives from at least
    three different agencies.)" The representatives may open the case once seated."""
    cast, extra = cast_for("bromley")
    escalation = climb(cast, raise_one(cast), 4)
    assert not may_see(fresh(escalation), cast.police_senior_manager)
    review_arrange(
        escalation=fresh(escalation),
        acting_user=cast.business_manager,
        arrangement=PanelRule.RESOLUTION_PANEL,
        chair=Membership.objects.get(user=cast.chair),
        members=[
            membership(cast.police_senior_manager),
            membership(cast.health_senior_manager),
            membership(extra.probation_senior),
        ],
    )
    assert may_see(fresh(escalation), cast.police_senior_manager)
    assert may_see(fresh(escalation), cast.panel_member)


def test_bromley_a_withdrawal_is_told_to_the_original_referrer():
    """ "Record the conversation, decisions, and the agreed course of action. Place this on the
    child's file and inform the original referrer." A manager's decision to withdraw it reaches
    the practitioner who raised it, and the stage's holders."""
    cast, _ = cast_for("bromley")
    escalation = climb(cast, raise_one(cast), 2)
    services.escalation_withdraw(escalation=fresh(escalation), acting_user=cast.manager, reason="Resolved informally.")
    assert {"practitioner", "team-manager", "csc-dsl", "dsl"} <= told(escalation, NotificationKind.WITHDRAWN)


def test_bromley_timescales_appropriate_to_the_risk_a_raised_urgency_reaches_the_holders_with_the_new_deadline():
    """ "Timescales must be appropriate to the risk – always 'as soon as possible,' and within a
    week unless risk demands faster action." Made child protection at Stage 2, the new 24-hour
    deadline reaches the people holding it (by the watcher's next tick)."""
    cast, _ = cast_for("bromley")
    escalation = climb(cast, raise_one(cast), 2)
    services.escalation_change_urgency(
        escalation=fresh(escalation),
        acting_user=cast.practitioner,
        urgency=Urgency.CHILD_PROTECTION,
        reason="New disclosure.",
        at=london(2026, 11, 3, 11, 0),
    )
    assert current(escalation).due_at == TUESDAY + timedelta(hours=24)
    run_watcher(now=london(2026, 11, 3, 11, 1))
    assert {"manager", "dsl", "team-manager", "csc-dsl"} <= told(escalation, NotificationKind.WARNING)
    warning = Notification.objects.get(
        escalation=escalation, kind=NotificationKind.WARNING, recipient=cast.other_manager
    )
    assert "4 November 2026" in warning.message


# === St Helens (seed 004) =======================================================================


def test_st_helens_stage_one_the_other_agency_takes_no_part_and_does_not_see_it_until_the_professionals_discuss():
    """ "Any professional who feels that a decision made by another agency is inappropriate or
    unsafe should initially consult their manager/supervisor to clarify their thinking" (Stage
    One), then "The professionals who disagree should discuss the issues" (Stage Two)."""
    cast, _ = cast_for("st-helens")
    escalation = raise_one(cast)
    assert not may_see(fresh(escalation), cast.other_practitioner)
    assert not may_see(fresh(escalation), cast.other_manager)
    notice = Notification.objects.get(escalation=escalation, kind=NotificationKind.RAISED, recipient=cast.manager)
    assert "You hold this stage" in notice.message and "3 November 2026" in notice.message
    escalation = climb(cast, escalation, 2)
    assert may_see(fresh(escalation), cast.other_practitioner)
    assert "social-worker" in told_to_act(current(escalation))
    assert {"manager", "dsl"} <= told(escalation, NotificationKind.ESCALATED, occurrence=current(escalation))


def test_st_helens_stage_three_the_two_professionals_should_each_notify_their_manager_supervisor():
    """ "If the problem is not resolved at Stage Two the two professionals should each notify their
    manager/supervisor who will discuss the issues with the equivalent manager/supervisor in the
    other agency." Both line managers hold it; the raiser hears when it is acknowledged."""
    cast, _ = cast_for("st-helens")
    escalation = climb(cast, raise_one(cast), 3)
    assert {"manager", "team-manager"} <= told_to_act(current(escalation))
    assert {"social-worker"} <= told(escalation, NotificationKind.ESCALATED, occurrence=current(escalation))
    services.escalation_acknowledge(escalation=fresh(escalation), acting_user=cast.other_manager, at=TUESDAY)
    assert {"practitioner", "manager"} <= told(escalation, NotificationKind.ACKNOWLEDGED)


def test_st_helens_if_the_comparable_service_managers_cannot_achieve_resolution_referred_to_the_comparable_agency_directors():
    """ "If the comparable Service Managers cannot achieve resolution then the issue will be referred
    to the comparable agency Directors." A school–police dispute: both agencies' directors."""
    cast, _ = cast_for("st-helens")
    police_director = person("police-director", cast.partnership, Role.EXECUTIVE_LEAD, cast.police)
    escalation = climb(cast, raise_one(cast, receiving=cast.police), 5)
    assert {"director", "police-director"} <= told_to_act(current(escalation))
    assert "dcs" not in told_to_act(current(escalation))
    assert may_see(fresh(escalation), police_director)


def test_st_helens_if_this_process_discloses_gaps_or_weaknesses_in_the_policies_this_must_be_brought_to_the_chair():
    """ "If this process discloses gaps or weaknesses in the policies and procedures of St Helens
    Safeguarding Children Board this must be brought to the attention of the chair of the Board." """
    cast, _ = cast_for("st-helens")
    escalation = climb(cast, raise_one(cast), 3)
    climbing.acknowledge(escalation)
    services.escalation_resolve(
        escalation=fresh(escalation),
        acting_user=cast.other_manager,
        outcome="Agreed.",
        policy_gaps="The Board's threshold document does not cover children placed out of area.",
    )
    assert "chair" in told(escalation, NotificationKind.POLICY_GAPS)
    quiet = raise_one(cast)
    services.escalation_resolve(escalation=fresh(quiet), acting_user=cast.manager, outcome="Agreed.")
    assert "chair" not in told(quiet, NotificationKind.POLICY_GAPS)


def test_st_helens_the_director_of_childrens_services_is_told_what_to_do_and_by_when():
    """ "... referred to the Director of Children's Services who will make the final binding
    decision." The DCS is told to make and record the decision, and by when; a missed decision
    reaches the Board's business manager and chair (the next tier) and the raiser."""
    cast, _ = cast_for("st-helens")
    escalation = climb(cast, raise_one(cast, receiving=cast.police), 6)
    notice = Notification.objects.get(
        escalation=escalation,
        kind=NotificationKind.ESCALATED,
        recipient=cast.other_director,
        occurrence=current(escalation),
    )
    assert "make the binding decision and record it by" in notice.message
    assert run_watcher(now=london(2026, 11, 11, 9, 0)).breached == 1
    assert {"business-manager", "chair", "practitioner"} <= told(escalation, NotificationKind.BREACH)


def test_st_helens_same_working_day_consultation_reaches_a_manager_who_chose_the_daily_digest_at_once():
    """ "This should be done on the same working day that the disagreement arises." A manager who
    takes a daily digest still gets the e-mail straight away (README)."""
    from django.core import mail

    from escalation.digests import set_email_frequency
    from escalation.notifications import deliver_pending

    cast, _ = cast_for("st-helens")
    set_email_frequency(user=cast.manager, frequency="daily")
    mail.outbox.clear()
    raise_one(cast)
    deliver_pending(now=london(2026, 11, 3, 10, 1))
    assert any("manager@example.org" in m.to for m in mail.outbox)


def test_st_helens_for_cases_involving_social_care_a_missed_day_alerts_the_team_manager():
    """ "For cases involving Social Care ... If this does not resolve the problem the Team Manager
    should be alerted – by phone or in writing within one working day." Not moved on within the
    day: the team manager (next tier) and the raiser are told."""
    cast, _ = cast_for("st-helens")
    escalation = climb(cast, raise_one(cast), 2)
    run_watcher(now=london(2026, 11, 3, 10, 5))
    assert run_watcher(now=london(2026, 11, 5, 9, 0)).breached == 1
    assert {"team-manager", "manager", "practitioner"} <= told(escalation, NotificationKind.BREACH)
    assert "social-worker" in told(escalation, NotificationKind.WARNING)


def test_st_helens_the_meeting_is_of_senior_managers_not_the_practitioner_who_raised_it():
    """ "... to chair a meeting of senior managers with operational responsibility for the case." """
    cast, _ = cast_for("st-helens")
    escalation = climb(cast, raise_one(cast), 6)
    climbing.acknowledge(escalation)
    services.stage_record_decision(escalation=fresh(escalation), acting_user=cast.other_director, decision="Assess.")
    escalation = climb(cast, escalation, 7)
    for member in (cast.practitioner, cast.other_practitioner):
        with pytest.raises(EscalationError, match="The meeting is of senior managers"):
            review_arrange(
                escalation=fresh(escalation),
                acting_user=cast.chair,
                arrangement=PanelRule.UNINVOLVED_CHAIR,
                chair=membership(cast.health_senior_manager),
                members=[membership(cast.senior_manager), membership(member)],
            )


def test_st_helens_a_meeting_of_senior_managers_with_operational_responsibility_for_the_case():
    """ "The chair will identify a Board member from an uninvolved agency to chair a meeting of
    senior managers with operational responsibility for the case." The senior managers of the two
    agencies (who hold operational responsibility) sit in the meeting."""
    cast, _ = cast_for("st-helens")
    escalation = climb(cast, raise_one(cast), 6)
    climbing.acknowledge(escalation)
    services.stage_record_decision(escalation=fresh(escalation), acting_user=cast.other_director, decision="Assess.")
    escalation = climb(cast, escalation, 7)
    review_arrange(
        escalation=fresh(escalation),
        acting_user=cast.chair,
        arrangement=PanelRule.UNINVOLVED_CHAIR,
        chair=membership(cast.health_senior_manager),
        members=[membership(cast.senior_manager), membership(cast.other_senior_manager)],
    )
    assert {"senior", "head-of-service"} <= told(escalation, NotificationKind.ARRANGED)


def test_bromley_convene_a_resolution_panel_to_hear_representations_the_parties_are_told():
    """ "Convene a Resolution Panel (or similar), chaired by an independent or senior partner, to
    hear representations, examine evidence, and issue recommendations." The senior managers who
    referred it (whose representations it hears) are told it was convened."""
    cast, extra = cast_for("bromley")
    escalation = climb(cast, raise_one(cast), 4)
    review_arrange(
        escalation=fresh(escalation),
        acting_user=cast.business_manager,
        arrangement=PanelRule.RESOLUTION_PANEL,
        chair=Membership.objects.get(user=cast.chair),
        members=[
            membership(cast.police_senior_manager),
            membership(cast.health_senior_manager),
            membership(extra.probation_senior),
        ],
        meeting_at=london(2026, 11, 19, 14, 0),
        at=london(2026, 11, 5, 10, 0),
    )
    assert {"senior", "head-of-service"} <= told(escalation, NotificationKind.ARRANGED)
    # They are told when it meets, and that it will hear them, not that nothing is needed of them.
    to_party = Notification.objects.get(
        escalation=escalation, kind=NotificationKind.ARRANGED, recipient__username="senior"
    )
    assert "It meets on Thursday 19 November 2026 at 2:00pm (London time)." in to_party.message
    assert "be ready to set out your agency's position" in to_party.message
    assert "nothing is needed from you" not in to_party.message


def test_bromley_the_bscp_may_facilitate_resolution_through_direct_liaison_with_agency_leadership():
    """ "Alternatively, the BSCP may facilitate resolution through direct liaison with agency
    leadership." The agencies' leadership (their directors, who held Stage 3) are told."""
    cast, _ = cast_for("bromley")
    escalation = climb(cast, raise_one(cast), 4)
    review_arrange(
        escalation=fresh(escalation),
        acting_user=cast.business_manager,
        arrangement=PanelRule.DIRECT_LIAISON,
        chair=Membership.objects.get(user=cast.chair),
    )
    assert {"director", "dcs"} <= told(escalation, NotificationKind.ARRANGED)


def test_st_helens_all_decisions_shared_with_relevant_personnel_a_withdrawal_reaches_the_professionals():
    """ "At every stage of the process all decisions must be recorded in writing and shared with
    relevant personnel." Withdrawn by the line managers at Stage Three: the social worker who
    discussed it at Stage Two hears it was dropped."""
    cast, _ = cast_for("st-helens")
    escalation = climb(cast, raise_one(cast), 3)
    services.escalation_withdraw(escalation=fresh(escalation), acting_user=cast.manager, reason="Agreed informally.")
    assert {"social-worker", "practitioner", "team-manager"} <= told(escalation, NotificationKind.WITHDRAWN)


def test_plymouth_their_disagreement_must_be_reported_by_them_to_their_line_managers_the_breach_says_what_to_do():
    """ "... but if they are unable to do so, their disagreement must be reported by them to their
    line managers or equivalent." A missed first day tells the line managers, and (README: "a
    notice says what happened, what the reader must do and by when") what they must do."""
    cast, _ = cast_for("plymouth")
    escalation = raise_one(cast)
    run_watcher(now=london(2026, 11, 5, 9, 0))
    notice = Notification.objects.get(escalation=escalation, kind=NotificationKind.BREACH, recipient=cast.manager)
    assert "You hold the next stage, stage 2 (Stage One: line managers): follow it up" in notice.message
    assert "take it up at your stage" in notice.message
    raiser = Notification.objects.get(escalation=escalation, kind=NotificationKind.BREACH, recipient=cast.practitioner)
    assert "What happens now: the people holding it should hold the discussion" in raiser.message


def taken_up_to_stage_three_at_once():
    """Plymouth, immediate risk: the raiser takes it from Stage One straight to Stage Three (the
    policy's fourth stage), passing the line managers' step and Stage Two."""
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
    return cast, escalation


def test_plymouth_instigate_all_of_the_stages_within_a_short_period_the_managers_of_each_stage_are_told():
    """ "In some situations, it may be required to instigate all of the stages within a short period
    of time." Taken up to Stage Three at once, the line managers and second-tier managers of the
    stages it passed (who may open it) are told."""
    cast, escalation = taken_up_to_stage_three_at_once()
    assert may_see(fresh(escalation), cast.manager)
    assert {"manager", "team-manager", "dsl", "csc-dsl"} <= everyone_told(escalation)
    [passed] = Notification.objects.filter(escalation=escalation, recipient=cast.manager)
    assert "took it through stage 2" in passed.message and "to stage 4" in passed.message
    assert "This is for your information" in passed.message


def test_plymouth_at_any_stage_action_fed_back_to_second_tier_after_the_urgent_route():
    """ "At any stage of the process, any action agreed should be fed back immediately to the second
    tier management staff involved." After the urgent route to Stage Three, an action agreed
    there reaches the second tier (designated professionals) of both agencies."""
    cast, escalation = taken_up_to_stage_three_at_once()
    climbing.acknowledge(escalation)
    d = discuss(
        escalation,
        cast.other_senior_manager,
        held_at=london(2026, 11, 3, 12, 0),
        actions=[{"description": "Visit", "owner": cast.other_practitioner, "due_on": london(2026, 11, 4).date()}],
    )
    assert {"dsl", "csc-dsl"} <= recorded_to(d)
