"""Every step tells the people who must act, once (issue 12 §1), read against the policies.

The cast is Riverside's (tests/conftest.py): a school practitioner raises a disagreement with
children's social care; each side has a full management ladder; the partnership has a business
manager, a chair, a panel member and an auditor.
"""

from datetime import date

import pytest
from django.urls import reverse

from escalation import services
from escalation.conversation import tell
from escalation.models import Escalation, Notification, NotificationKind
from escalation.states import Category, DiscussionMethod
from partnerships.choices import Event, Urgency
from tests import climbing
from tests.conftest import build_cast, london

pytestmark = pytest.mark.django_db

RAISED_AT = london(2026, 11, 3, 10, 0)  # a Tuesday morning


def raise_one(cast, at=RAISED_AT, urgency=Urgency.STANDARD):
    return services.escalation_raise(
        raised_by=cast.practitioner,
        raising_agency=cast.school,
        receiving_agency=cast.csc,
        children=[cast.child],
        category=Category.THRESHOLD,
        concern="Ellie Hart's referral was refused.",
        why_unsafe="Bruising was seen twice this term.",
        outcome_sought="A strategy discussion.",
        urgency=urgency,
        at=at,
    )


def fresh(escalation):
    return Escalation.objects.get(pk=escalation.pk)


def told(escalation, kind) -> list[str]:
    rows = Notification.objects.filter(escalation=escalation, kind=kind).select_related("recipient")
    return sorted(row.recipient.username for row in rows)


def notice(escalation, kind, user) -> Notification:
    return Notification.objects.get(escalation=escalation, kind=kind, recipient=user)


def escalate(cast, escalation, by, at=RAISED_AT):
    services.escalation_escalate(escalation=fresh(escalation), acting_user=by, evidence="We met twice.", at=at)
    return fresh(escalation)


def climb(cast, escalation, to_stage):
    return climbing.climb(escalation, to_stage, by=cast.practitioner, at=RAISED_AT)


# --- raised -------------------------------------------------------------------------------------


def test_a_raised_disagreement_tells_the_receiving_practitioner_what_to_do_and_by_when(cast):
    escalation = raise_one(cast)
    # Stage 1 of the five-stage policy is practitioner to practitioner: the social worker
    # holds it in the receiving agency. The raiser is not told of their own act, and the
    # school's other staff and managers have nothing to do yet.
    assert told(escalation, NotificationKind.RAISED) == ["social-worker"]
    text = notice(escalation, NotificationKind.RAISED, cast.other_practitioner).message
    assert escalation.reference in text
    assert "Riverside Primary School raised a disagreement with Riverside Children's Social Care" in text
    assert "You hold this stage: acknowledge it and agree a plan of action" in text
    assert "by Thursday 5 November 2026 at 5:00pm" in text  # 2 working days
    assert f"/escalations/{escalation.public_id}/" in text


def test_no_notice_carries_the_childs_name_or_the_concern(cast):
    escalation = raise_one(cast)
    services.escalation_acknowledge(escalation=fresh(escalation), acting_user=cast.other_practitioner)
    escalate(cast, escalation, cast.practitioner)
    for row in Notification.objects.filter(escalation=escalation):
        for private in ("Ellie", "Hart", "Bruising", "referral was refused"):
            assert private not in row.message


def test_raising_again_by_a_retry_writes_no_second_notice(cast):
    escalation = raise_one(cast)
    occurrence = fresh(escalation).current_occurrence()
    before = Notification.objects.count()
    tell(Event.RAISED, escalation=fresh(escalation), occurrence=occurrence, acting_user=cast.practitioner, at=RAISED_AT)
    assert Notification.objects.count() == before


# --- acknowledged -------------------------------------------------------------------------------


def test_an_acknowledgement_tells_the_raiser_and_not_the_person_who_acknowledged(cast):
    escalation = raise_one(cast)
    services.escalation_acknowledge(escalation=fresh(escalation), acting_user=cast.other_practitioner)
    assert told(escalation, NotificationKind.ACKNOWLEDGED) == ["practitioner"]
    assert "acknowledged stage 1" in notice(escalation, NotificationKind.ACKNOWLEDGED, cast.practitioner).message


# --- escalated ----------------------------------------------------------------------------------


def test_escalating_to_stage_2_tells_both_line_managers_to_act_and_the_social_worker_for_information(cast):
    escalation = raise_one(cast)
    escalate(cast, escalation, cast.practitioner)
    # "the line managers/safeguarding children leads": the school's DSL holds stage 2 with its line manager.
    assert told(escalation, NotificationKind.ESCALATED) == ["dsl", "manager", "social-worker", "team-manager"]
    to_act = notice(escalation, NotificationKind.ESCALATED, cast.other_manager).message
    assert "You hold this stage" in to_act and "5 working days" not in to_act
    assert "Tuesday 10 November 2026 at 5:00pm" in to_act  # 5 working days from Tuesday 3rd
    for_information = notice(escalation, NotificationKind.ESCALATED, cast.other_practitioner).message
    assert "for your information" in for_information and "You hold this stage" not in for_information


def test_the_business_office_is_notified_when_the_five_stage_partnership_stage_starts(cast):
    escalation = climb(cast, raise_one(cast), 5)
    stage_5 = fresh(escalation).current_occurrence()
    recipients = sorted(
        n.recipient.username for n in Notification.objects.filter(occurrence=stage_5, kind=NotificationKind.ESCALATED)
    )
    # The business manager and chair hold the partnership stage; the directors who held stage 4 are told.
    assert {"business-manager", "chair", "director", "dcs"} <= set(recipients)
    bm = Notification.objects.get(occurrence=stage_5, kind=NotificationKind.ESCALATED, recipient=cast.business_manager)
    # Five-stage: "offer mediation within 5 working days": the deadline is the arranging's.
    assert (
        "You hold this stage: once the mediation is arranged, the people seated on it (or the business manager) "
        "record the partnership's decision; arrange the mediation by"
    ) in bm.message


def test_arranging_the_partnership_stage_tells_the_people_seated_to_decide(cast):
    from escalation.partnership_stage import review_arrange
    from partnerships.choices import PanelRule
    from partnerships.models import Membership

    escalation = climb(cast, raise_one(cast), 5)
    review_arrange(
        escalation=fresh(escalation),
        acting_user=cast.business_manager,
        arrangement=PanelRule.MEDIATION,
        chair=Membership.objects.get(user=cast.police_senior_manager),
    )
    # The directors who referred it are told too: the mediation is between them.
    assert told(escalation, NotificationKind.ARRANGED) == ["dcs", "director", "police-senior", "practitioner"]
    seated = notice(escalation, NotificationKind.ARRANGED, cast.police_senior_manager).message
    # Arranging it met the stage's only deadline: the decision has none of its own.
    assert "You are seated on it: hear the disagreement and record the partnership's decision." in seated
    referred = notice(escalation, NotificationKind.ARRANGED, cast.other_director).message
    assert "be ready to set out your agency's position" in referred and "due" not in referred


def test_at_cumberland_the_executive_leads_hear_who_the_chair_appointed_to_decide():
    from escalation.partnership_stage import review_arrange
    from partnerships.choices import PanelRule
    from partnerships.models import Membership

    cast = build_cast("cumberland")
    escalation = climb(cast, raise_one(cast), 5)
    review_arrange(
        escalation=fresh(escalation),
        acting_user=cast.chair,
        arrangement=PanelRule.IMPARTIAL_MEMBER,
        chair=Membership.objects.get(user=cast.health_senior_manager),
    )
    # "An impartial CSCP member, appointed by the CSCP Chair, reviews the case and consults with
    # the other Executive Leads before making a final decision."
    assert {"director", "dcs", "health-senior", "practitioner"} <= set(told(escalation, NotificationKind.ARRANGED))
    assert "be ready to set out your agency's position" in (
        notice(escalation, NotificationKind.ARRANGED, cast.other_director).message
    )


def test_each_stage_of_a_climb_is_told_once(cast):
    escalation = climb(cast, raise_one(cast), 3)
    stage_3 = fresh(escalation).current_occurrence()
    holders = set(
        Notification.objects.filter(occurrence=stage_3, kind=NotificationKind.ESCALATED).values_list(
            "recipient__username", flat=True
        )
    )
    assert {"senior", "head-of-service"} <= holders
    assert Notification.objects.filter(occurrence=stage_3, kind=NotificationKind.ESCALATED).count() == len(holders)


# --- recorded and agreed actions ----------------------------------------------------------------


def record(cast, escalation, by, owner=None, due=date(2026, 11, 6)):
    actions = [{"description": "Visit at home", "owner": owner, "due_on": due}] if owner else []
    return services.discussion_record(
        escalation=fresh(escalation),
        acting_user=by,
        held_at=london(2026, 11, 4, 11, 0),
        method=DiscussionMethod.PHONE,
        participants="Both practitioners",
        outcome="Agreed to review.",
        actions=actions,
    )


def test_an_agreed_action_tells_its_owner_and_overdue_notices_then_reach_them(cast):
    from escalation.deadlines import run_watcher

    escalation = raise_one(cast)
    services.escalation_acknowledge(escalation=fresh(escalation), acting_user=cast.other_practitioner)
    record(cast, escalation, cast.other_practitioner, owner=cast.other_manager)
    action = fresh(escalation).actions.get()
    assert action.owner == cast.other_manager and action.owner_name == cast.other_manager.get_full_name()
    assigned = Notification.objects.get(action=action, kind=NotificationKind.ACTION_ASSIGNED)
    assert assigned.recipient == cast.other_manager
    assert "is yours, to be done by Friday 6 November 2026" in assigned.message
    run_watcher(now=london(2026, 11, 9, 10, 0))
    assert Notification.objects.filter(
        action=action, kind=NotificationKind.ACTION_OVERDUE, recipient=cast.other_manager
    ).exists()


def test_a_recorded_discussion_tells_the_raiser_and_the_other_side(cast):
    escalation = raise_one(cast)
    services.escalation_acknowledge(escalation=fresh(escalation), acting_user=cast.other_practitioner)
    discussion = record(cast, escalation, cast.other_practitioner)
    rows = Notification.objects.filter(discussion=discussion, kind=NotificationKind.RECORDED)
    assert sorted(r.recipient.username for r in rows) == ["practitioner"]
    second = record(cast, escalation, cast.other_practitioner)
    # A second discussion at the same stage is a second event: told again, once.
    assert Notification.objects.filter(discussion=second, kind=NotificationKind.RECORDED).count() == 1


def test_at_plymouth_agreed_actions_are_fed_back_immediately_to_the_managers():
    cast = build_cast("plymouth")
    escalation = raise_one(cast)
    services.escalation_acknowledge(escalation=fresh(escalation), acting_user=cast.other_practitioner)
    discussion = record(cast, escalation, cast.other_practitioner, owner=cast.other_practitioner)
    recipients = set(
        Notification.objects.filter(discussion=discussion, kind=NotificationKind.RECORDED).values_list(
            "recipient__username", flat=True
        )
    )
    # Stage One's "relevant managers involved": the line managers who hold the next step.
    assert {"manager", "team-manager", "practitioner"} <= recipients


def recorded_to(discussion) -> set[str]:
    rows = Notification.objects.filter(discussion=discussion, kind=NotificationKind.RECORDED)
    return set(rows.values_list("recipient__username", flat=True))


def test_at_cumberland_level_three_agreed_actions_are_fed_back_to_the_managers_who_held_it():
    cast = build_cast("cumberland")
    escalation = raise_one(cast)
    services.escalation_acknowledge(escalation=fresh(escalation), acting_user=cast.other_practitioner)
    level_one = record(cast, escalation, cast.other_practitioner)
    assert recorded_to(level_one) == {"practitioner"}
    escalation = climb(cast, escalation, 3)
    services.escalation_acknowledge(escalation=fresh(escalation), acting_user=cast.other_senior_manager)
    level_three = record(cast, escalation, cast.other_senior_manager)
    # "Agreed actions fed back immediately to managers": both sides' line managers (Level Two,
    # with the designated lead) and service leads, and the raiser; the executive leads hear
    # only when it reaches them.
    assert {"manager", "team-manager", "dsl", "senior", "practitioner"} <= recorded_to(level_three)
    assert not {"director", "dcs", "social-worker"} & recorded_to(level_three)


def test_at_cumberland_stage_two_the_decision_and_actions_are_communicated_to_everyone_involved():
    cast = build_cast("cumberland")
    escalation = climb(cast, raise_one(cast), 4)
    services.escalation_acknowledge(escalation=fresh(escalation), acting_user=cast.other_director)
    discussion = record(cast, escalation, cast.other_director)
    # "Record and communicate the decision and required actions."
    assert {"practitioner", "social-worker", "manager", "team-manager", "senior", "director"} <= recorded_to(discussion)


def test_at_plymouth_actions_agreed_at_any_later_stage_go_back_to_the_second_tier_managers_involved():
    cast = build_cast("plymouth")
    escalation = climb(cast, raise_one(cast), 4)
    services.escalation_acknowledge(escalation=fresh(escalation), acting_user=cast.other_senior_manager)
    head_of_service = record(cast, escalation, cast.other_senior_manager)
    # Second-tier management (the designated leads and senior managers who held Stage Two) and
    # the line managers before them are told; so is the raiser.
    assert {"dsl", "senior", "manager", "team-manager", "practitioner"} <= recorded_to(head_of_service)
    escalation = climb(cast, escalation, 5)
    head_of_safeguarding = record(cast, escalation, cast.business_manager)
    assert {"dsl", "senior", "head-of-service", "team-manager"} <= recorded_to(head_of_safeguarding)


def test_at_bromley_the_stage_3_outcome_goes_back_to_everyone_involved_and_the_raiser():
    cast = build_cast("bromley")
    escalation = climb(cast, raise_one(cast), 3)
    services.escalation_acknowledge(escalation=fresh(escalation), acting_user=cast.other_senior_manager)
    plan = record(cast, escalation, cast.other_senior_manager)
    # "Outcome should be communicated back to all relevant parties, including the practitioner
    # who raised the concern."
    assert {"practitioner", "social-worker", "manager", "team-manager"} <= recorded_to(plan)


# --- partnership stage copies ------------------------------------------------------------------


def test_at_cumberland_the_chair_and_business_manager_are_told_when_the_partnership_stage_starts():
    cast = build_cast("cumberland")
    escalation = climb(cast, raise_one(cast), 5)
    stage_5 = fresh(escalation).current_occurrence()
    recipients = set(
        Notification.objects.filter(occurrence=stage_5, kind=NotificationKind.ESCALATED).values_list(
            "recipient__username", flat=True
        )
    )
    assert {"chair", "business-manager"} <= recipients


def test_at_st_helens_the_escalation_notice_is_copied_to_the_business_manager_and_the_notice_says_so(client):
    cast = build_cast("st-helens")
    escalation = climb(cast, raise_one(cast), 3)
    client.force_login(cast.practitioner)
    page = client.get(reverse("escalation:notice", args=[escalation.public_id])).content.decode()
    assert "No copy has been sent to the partnership yet." in page
    escalation = escalate(cast, escalation, cast.practitioner, at=london(2026, 11, 5, 10, 0))
    stage_4 = fresh(escalation).current_occurrence()
    copy = Notification.objects.get(
        occurrence=stage_4, kind=NotificationKind.ESCALATED, recipient=cast.business_manager
    )
    page = client.get(reverse("escalation:notice", args=[escalation.public_id])).content.decode()
    name = cast.business_manager.get_full_name()
    assert f"Copy sent to {name}" in page and copy.created_at.strftime("%-d %B %Y") in page


# --- decision and resolution -------------------------------------------------------------------


def test_a_resolution_tells_every_party_and_the_raiser_but_not_the_person_who_resolved(cast):
    escalation = climb(cast, raise_one(cast), 2)
    services.escalation_acknowledge(escalation=fresh(escalation), acting_user=cast.other_manager)
    services.escalation_resolve(escalation=fresh(escalation), acting_user=cast.other_manager, outcome="Assessment.")
    # Everyone who held stage 1 or 2 on either side (the school's DSL holds stage 2 with its manager).
    assert told(escalation, NotificationKind.RESOLVED) == ["dsl", "manager", "practitioner", "social-worker"]


def test_at_st_helens_the_resolution_goes_to_the_business_manager():
    cast = build_cast("st-helens")
    escalation = climb(cast, raise_one(cast), 2)
    services.escalation_acknowledge(escalation=fresh(escalation), acting_user=cast.other_practitioner)
    services.escalation_resolve(escalation=fresh(escalation), acting_user=cast.other_practitioner, outcome="Agreed.")
    assert "business-manager" in told(escalation, NotificationKind.RESOLVED)


def test_at_st_helens_gaps_in_the_boards_policies_are_brought_to_the_chairs_attention(client):
    cast = build_cast("st-helens")
    quiet = climb(cast, raise_one(cast), 2)
    services.escalation_acknowledge(escalation=fresh(quiet), acting_user=cast.other_practitioner)
    services.escalation_resolve(escalation=fresh(quiet), acting_user=cast.other_practitioner, outcome="Agreed.")
    assert told(quiet, NotificationKind.POLICY_GAPS) == []
    escalation = climb(cast, raise_one(cast), 2)
    services.escalation_acknowledge(escalation=fresh(escalation), acting_user=cast.other_practitioner)
    services.escalation_resolve(
        escalation=fresh(escalation),
        acting_user=cast.other_practitioner,
        outcome="Agreed.",
        policy_gaps="The threshold document does not say who decides on a re-referral.",
    )
    # "If this process discloses gaps or weaknesses in the policies and procedures of St Helens
    # Safeguarding Children Board this must be brought to the attention of the chair of the Board."
    assert told(escalation, NotificationKind.POLICY_GAPS) == ["chair"]
    gaps = notice(escalation, NotificationKind.POLICY_GAPS, cast.chair)
    assert "gaps or weaknesses in the partnership's policies or procedures" in gaps.message
    assert "re-referral" not in gaps.message  # free text stays on the record, not in notices
    client.force_login(cast.chair)
    record = client.get(reverse("escalation:resolution-record", args=[escalation.public_id])).content.decode()
    assert "who decides on a re-referral" in record and "(for the partnership's chair)" in record


def test_a_withdrawal_tells_the_people_holding_the_stage(cast):
    escalation = raise_one(cast)
    services.escalation_withdraw(
        escalation=fresh(escalation), acting_user=cast.practitioner, reason="Resolved locally."
    )
    assert told(escalation, NotificationKind.WITHDRAWN) == ["social-worker"]


# --- reading ------------------------------------------------------------------------------------


def test_opening_the_case_marks_its_notices_read_and_leaves_others_unread(client, cast):
    first, second = raise_one(cast), raise_one(cast)
    client.force_login(cast.other_practitioner)
    client.get(reverse("escalation:detail", args=[first.public_id]))
    assert notice(first, NotificationKind.RAISED, cast.other_practitioner).read_at is not None
    assert notice(second, NotificationKind.RAISED, cast.other_practitioner).read_at is None


def test_the_printed_notice_counts_only_the_escalation_notices_copy_not_a_later_resolution(client):
    cast = build_cast("st-helens")
    escalation = climb(cast, raise_one(cast), 2)
    climbing.acknowledge(escalation)
    services.escalation_resolve(escalation=fresh(escalation), acting_user=cast.other_practitioner, outcome="Agreed.")
    assert "business-manager" in told(escalation, NotificationKind.RESOLVED)
    client.force_login(cast.practitioner)
    page = client.get(reverse("escalation:notice", args=[escalation.public_id])).content.decode()
    assert "No copy has been sent to the partnership yet." in page


def test_the_people_seated_are_told_of_the_resolution(cast):
    from escalation.partnership_stage import review_arrange
    from partnerships.choices import PanelRule
    from partnerships.models import Membership

    escalation = climb(cast, raise_one(cast), 5)
    review_arrange(
        escalation=fresh(escalation),
        acting_user=cast.business_manager,
        arrangement=PanelRule.MEDIATION,
        chair=Membership.objects.get(user=cast.police_senior_manager),
    )
    services.stage_record_decision(escalation=fresh(escalation), acting_user=cast.police_senior_manager, decision="X.")
    # No separate acknowledgement is needed once the decision is on record.
    services.escalation_resolve(escalation=fresh(escalation), acting_user=cast.police_senior_manager, outcome="Done.")
    assert "business-manager" in told(escalation, NotificationKind.RESOLVED)
    assert not Notification.objects.filter(
        escalation=escalation, kind=NotificationKind.RESOLVED, recipient=cast.police_senior_manager
    ).exists()  # they acted: not told of their own act
    assert "practitioner" in told(escalation, NotificationKind.DECIDED)


def test_the_people_seated_are_told_when_the_raiser_withdraws(cast):
    from escalation.partnership_stage import review_arrange
    from partnerships.choices import PanelRule
    from partnerships.models import Membership

    escalation = climb(cast, raise_one(cast), 5)
    review_arrange(
        escalation=fresh(escalation),
        acting_user=cast.business_manager,
        arrangement=PanelRule.MEDIATION,
        chair=Membership.objects.get(user=cast.police_senior_manager),
    )
    services.escalation_withdraw(escalation=fresh(escalation), acting_user=cast.practitioner, reason="Accepted.")
    assert "police-senior" in told(escalation, NotificationKind.WITHDRAWN)


def test_each_change_of_urgency_tells_the_holders_the_new_deadline_and_the_same_urgency_is_refused(cast):
    """A stage's urgency may change more than once (standard, then child protection, then
    immediate risk): each change reaches the people holding the stage with its new deadline."""
    escalation = raise_one(cast)
    from escalation.wording import when

    for urgency in (Urgency.CHILD_PROTECTION, Urgency.IMMEDIATE_RISK):
        services.escalation_change_urgency(
            escalation=fresh(escalation),
            acting_user=cast.practitioner,
            urgency=urgency,
            reason="New disclosure.",
            at=london(2026, 11, 3, 11, 0),
        )
        latest = Notification.objects.filter(
            escalation=escalation, kind=NotificationKind.URGENCY_CHANGED, recipient=cast.other_practitioner
        ).first()
        assert f"changed the urgency to {urgency.label.lower()}" in latest.message
        due = when(fresh(escalation).current_occurrence().due_at)
        assert f"You hold this stage: acknowledge it and agree a plan of action with the other agency by {due}" in (
            latest.message
        )
    assert told(escalation, NotificationKind.URGENCY_CHANGED) == ["social-worker", "social-worker"]
    # A copy read before the last change cannot make it again: one change, one notice each.
    read_before = fresh(escalation)
    read_before.urgency = Urgency.CHILD_PROTECTION
    with pytest.raises(services.StaleEscalation):
        services.escalation_change_urgency(
            escalation=read_before, acting_user=cast.practitioner, urgency=Urgency.IMMEDIATE_RISK, reason="Again."
        )
    assert told(escalation, NotificationKind.URGENCY_CHANGED) == ["social-worker", "social-worker"]
    with pytest.raises(services.EscalationError, match="It is already immediate risk"):
        services.escalation_change_urgency(
            escalation=fresh(escalation), acting_user=cast.practitioner, urgency=Urgency.IMMEDIATE_RISK, reason="x"
        )


def test_a_new_urgency_whose_deadline_has_already_passed_says_so(cast):
    """The new deadline counts from when the stage's clock started, so a late change can set one
    that has passed: the holders are told it is due now, not "by" a past day."""
    escalation = raise_one(cast)
    services.escalation_change_urgency(
        escalation=fresh(escalation),
        acting_user=cast.practitioner,
        urgency=Urgency.CHILD_PROTECTION,
        reason="A disclosure this morning.",
        at=london(2026, 11, 10, 9, 0),
    )
    text = notice(escalation, NotificationKind.URGENCY_CHANGED, cast.other_practitioner).message
    assert (
        "You hold this stage: acknowledge it and agree a plan of action with the other agency now: its deadline,"
    ) in text
    assert "has passed." in text
