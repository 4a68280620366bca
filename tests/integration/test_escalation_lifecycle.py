"""The state machine and its services, read against the five-stage policy (002)."""

import pytest
from django_fsm import ConcurrentTransition

from cases.models import RecordEntry, RecordEntryKind
from escalation import services
from escalation.models import Escalation
from escalation.partnership_stage import review_arrange
from escalation.states import Category, StageOutcome, State
from partnerships.choices import PanelRule, Urgency
from partnerships.models import Membership
from tests.conftest import london

pytestmark = pytest.mark.django_db


def raise_one(cast, at=None, urgency=Urgency.STANDARD, children=None):
    return services.escalation_raise(
        raised_by=cast.practitioner,
        raising_agency=cast.school,
        receiving_agency=cast.csc,
        children=children or [cast.child, cast.sibling],
        category=Category.THRESHOLD,
        concern="The referral was refused.",
        why_unsafe="Bruising was seen twice this term.",
        outcome_sought="A strategy discussion.",
        urgency=urgency,
        at=at or london(2026, 12, 23, 10, 0),
    )


def fresh(escalation):
    return Escalation.objects.get(pk=escalation.pk)


def test_raising_opens_stage_1_due_two_working_days_later_over_christmas(cast):
    escalation = raise_one(cast)
    occurrence = escalation.current_occurrence()
    assert escalation.state == State.RAISED
    assert occurrence.number == 1
    # Wed 23 Dec 10:00 + 2 working days: Thu 24, (Christmas, weekend, Boxing Day substitute), Tue 29.
    assert occurrence.due_at == london(2026, 12, 29, 17, 0)
    assert occurrence.timescale_description == "2 working days"


def test_raising_writes_an_entry_on_every_childs_file(cast):
    escalation = raise_one(cast)
    entries = RecordEntry.objects.filter(escalation=escalation, kind=RecordEntryKind.RAISED)
    assert {e.child for e in entries} == {cast.child, cast.sibling}
    assert all(escalation.reference in e.summary for e in entries)


def test_stage_2_of_the_five_stage_policy_is_due_5_working_days_after_it_starts(cast):
    escalation = raise_one(cast)
    services.escalation_acknowledge(escalation=escalation, acting_user=cast.other_practitioner)
    services.escalation_escalate(
        escalation=fresh(escalation),
        acting_user=cast.practitioner,
        evidence="Two phone calls with the social worker on 23 and 24 December.",
        at=london(2027, 1, 5, 9, 30),
    )
    escalation = fresh(escalation)
    occurrence = escalation.current_occurrence()
    assert (escalation.state, escalation.stage_number) == (State.RAISED, 2)
    assert occurrence.due_at == london(2027, 1, 12, 17, 0)
    assert occurrence.evidence_of_previous_efforts.startswith("Two phone calls")
    first = escalation.occurrences.get(number=1)
    assert first.outcome == StageOutcome.ESCALATED
    assert first.timescale_met is False  # 5 January is after 29 December


def test_the_five_stage_policy_asks_for_evidence_before_moving_on(cast):
    escalation = raise_one(cast)
    with pytest.raises(services.EscalationError, match="evidence"):
        services.escalation_escalate(escalation=escalation, acting_user=cast.practitioner, evidence="  ")
    assert fresh(escalation).stage_number == 1
    assert not RecordEntry.objects.filter(kind=RecordEntryKind.ESCALATED).exists()


def test_the_raiser_cannot_acknowledge_their_own_disagreement(cast):
    escalation = raise_one(cast)
    with pytest.raises(services.NotPermitted):
        services.escalation_acknowledge(escalation=escalation, acting_user=cast.practitioner)
    assert fresh(escalation).state == State.RAISED


def test_a_line_manager_acknowledges_only_once_the_case_reaches_their_tier(cast):
    escalation = raise_one(cast)
    # Stage 1 is practitioner to practitioner: a stage is held by the roles the policy names,
    # not by anyone who outranks them, so the other side's manager cannot act on it yet.
    with pytest.raises(services.NotPermitted):
        services.escalation_acknowledge(escalation=escalation, acting_user=cast.other_manager)
    assert services.escalation_acknowledge(escalation=fresh(escalation), acting_user=cast.other_practitioner)
    escalation = fresh(escalation)
    services.escalation_escalate(escalation=escalation, acting_user=cast.practitioner, evidence="Tried.")
    escalation = fresh(escalation)
    # Stage 2 is manager to manager: a practitioner on the other side no longer holds it.
    with pytest.raises(services.NotPermitted):
        services.escalation_acknowledge(escalation=escalation, acting_user=cast.other_practitioner)
    services.escalation_acknowledge(escalation=escalation, acting_user=cast.other_manager)
    assert fresh(escalation).state == State.IN_DISCUSSION


def test_someone_from_another_partnership_can_do_nothing(cast):
    escalation = raise_one(cast)
    for action in (services.escalation_acknowledge, services.escalation_close):
        with pytest.raises(services.EscalationError):
            action(escalation=escalation, acting_user=cast.outsider)
    with pytest.raises(services.NotPermitted):
        services.escalation_withdraw(escalation=escalation, acting_user=cast.outsider, reason="x")


def climb_to_partnership_stage(cast, escalation):
    holders = {
        1: cast.other_practitioner,
        2: cast.other_manager,
        3: cast.other_senior_manager,
        4: cast.other_director,
        5: cast.business_manager,
    }
    for number in range(1, 6):
        escalation = fresh(escalation)
        services.escalation_acknowledge(escalation=escalation, acting_user=holders[number])
        if number < 5:
            services.escalation_escalate(
                escalation=fresh(escalation), acting_user=cast.practitioner, evidence=f"Efforts at stage {number}."
            )
    return fresh(escalation)


def test_there_is_no_stage_after_the_partnership_stage(cast):
    escalation = climb_to_partnership_stage(cast, raise_one(cast))
    assert escalation.stage_number == 5
    with pytest.raises(services.EscalationError):
        services.escalation_escalate(escalation=escalation, acting_user=cast.business_manager, evidence="More.")
    assert fresh(escalation).stage_number == 5


def test_the_final_stage_resolves_only_after_the_decision_is_recorded(cast):
    escalation = climb_to_partnership_stage(cast, raise_one(cast))
    with pytest.raises(services.EscalationError):
        services.escalation_resolve(escalation=escalation, acting_user=cast.business_manager, outcome="Agreed.")
    # The decision comes from the mediation once it is arranged, not before.
    with pytest.raises(services.NotPermitted):
        services.stage_record_decision(escalation=escalation, acting_user=cast.business_manager, decision="Early.")
    review_arrange(
        escalation=fresh(escalation),
        acting_user=cast.business_manager,
        arrangement=PanelRule.MEDIATION,
        chair=Membership.objects.get(user=cast.police_senior_manager),
    )
    services.stage_record_decision(
        escalation=fresh(escalation),
        acting_user=cast.business_manager,
        decision="A strategy discussion within 24 hours.",
    )
    services.escalation_resolve(escalation=fresh(escalation), acting_user=cast.business_manager, outcome="Agreed.")
    escalation = fresh(escalation)
    assert escalation.state == State.RESOLVED
    services.escalation_close(escalation=escalation, acting_user=cast.practitioner)
    escalation = fresh(escalation)
    assert escalation.state == State.CLOSED
    assert not escalation.occurrences.filter(closed_at__isnull=True).exists()
    kinds = list(RecordEntry.objects.filter(escalation=escalation, child=cast.child).values_list("kind", flat=True))
    assert kinds == (
        ["raised"] + ["acknowledged", "escalated"] * 4 + ["acknowledged", "note", "decision", "resolved", "closed"]
    )


def test_resolving_needs_acknowledgement_first_where_the_stage_requires_it(cast):
    escalation = raise_one(cast)
    with pytest.raises(services.EscalationError):
        services.escalation_resolve(escalation=escalation, acting_user=cast.practitioner, outcome="Sorted.")
    services.escalation_acknowledge(escalation=escalation, acting_user=cast.other_practitioner)
    services.escalation_resolve(escalation=fresh(escalation), acting_user=cast.practitioner, outcome="Sorted.")
    assert fresh(escalation).occurrences.get().outcome == StageOutcome.RESOLVED


def test_withdrawal_needs_a_reason_and_closes_the_open_stage(cast):
    escalation = raise_one(cast)
    with pytest.raises(services.EscalationError):
        services.escalation_withdraw(escalation=escalation, acting_user=cast.practitioner, reason="")
    services.escalation_withdraw(escalation=escalation, acting_user=cast.practitioner, reason="Referral accepted.")
    escalation = fresh(escalation)
    assert escalation.state == State.WITHDRAWN
    assert escalation.occurrences.get().outcome == StageOutcome.WITHDRAWN
    with pytest.raises(services.EscalationError):
        services.escalation_escalate(escalation=escalation, acting_user=cast.practitioner, evidence="x")


def test_raising_to_child_protection_mid_stage_recomputes_the_deadline_and_says_why(cast):
    escalation = raise_one(cast, at=london(2026, 11, 23, 10, 0))
    assert escalation.current_occurrence().due_at == london(2026, 11, 25, 17, 0)
    cumberland_like = escalation.policy.stages.get(number=1)
    cumberland_like.child_protection_amount, cumberland_like.child_protection_unit = 24, "calendar_hours"
    cumberland_like.save()
    services.escalation_change_urgency(
        escalation=fresh(escalation),
        acting_user=cast.practitioner,
        urgency=Urgency.CHILD_PROTECTION,
        reason="New disclosure at school.",
    )
    escalation = fresh(escalation)
    assert escalation.current_occurrence().due_at == london(2026, 11, 24, 10, 0)
    entry = RecordEntry.objects.get(escalation=escalation, child=cast.child, kind=RecordEntryKind.URGENCY_CHANGED)
    assert "New disclosure at school." in entry.summary


def test_a_stale_copy_cannot_move_the_stage_a_second_time(cast):
    escalation = raise_one(cast)
    first, second = fresh(escalation), fresh(escalation)
    services.escalation_escalate(escalation=first, acting_user=cast.practitioner, evidence="Tried twice.")
    with pytest.raises(ConcurrentTransition, match="Someone else changed"):
        services.escalation_escalate(escalation=second, acting_user=cast.practitioner, evidence="Tried twice.")
    escalation = fresh(escalation)
    assert escalation.stage_number == 2
    assert escalation.occurrences.count() == 2


def test_a_partnership_closure_day_moves_open_deadlines_and_is_logged(cast):
    escalation = raise_one(cast, at=london(2026, 11, 23, 10, 0))
    cast.partnership.closure_days.create(date=london(2026, 11, 24).date(), reason="Staff training day")
    changed = services.recompute_open_deadlines(partnership=cast.partnership, reason="Closure day added")
    assert changed == 1
    assert fresh(escalation).current_occurrence().due_at == london(2026, 11, 26, 17, 0)
    assert RecordEntry.objects.filter(escalation=escalation, kind=RecordEntryKind.DEADLINE_CHANGED).count() == 2


def test_a_transition_from_an_older_copy_keeps_a_newer_urgency_and_deadline(cast):
    escalation = raise_one(cast, at=london(2026, 11, 23, 10, 0))
    stage = escalation.policy.stages.get(number=1)
    stage.child_protection_amount, stage.child_protection_unit = 24, "calendar_hours"
    stage.save()
    page_opened_earlier = fresh(escalation)
    services.escalation_change_urgency(
        escalation=fresh(escalation),
        acting_user=cast.practitioner,
        urgency=Urgency.CHILD_PROTECTION,
        reason="Disclosure.",
    )
    services.escalation_acknowledge(escalation=page_opened_earlier, acting_user=cast.other_practitioner)
    escalation = fresh(escalation)
    assert escalation.urgency == Urgency.CHILD_PROTECTION
    assert escalation.current_due_at == london(2026, 11, 24, 10, 0)
