"""The clocks of open stages: a stage's deadline, the moment its timed step is met, and the
changes that move a deadline (urgency, the partnership's calendar). Each change is recorded on
every child's file."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from cases.models import RecordEntryKind
from escalation.conversation import tell
from escalation.errors import STALE_MESSAGE, EscalationError, NotPermitted, StaleEscalation
from escalation.models import Escalation, StageOccurrence
from escalation.record import _due_text, _person, _stage_label, _when, record_on_files
from partnerships.choices import Event, StepEvent, Urgency


def stage_deadline(escalation: Escalation, policy_stage, clock_start: datetime):
    """(Deadline, Timescale, uses_default) for a stage at the escalation's urgency."""
    return escalation.policy.stage_deadline(
        policy_stage,
        escalation.urgency,
        escalation.partnership.working_calendar(),
        clock_start,
        receiving_agency_type=escalation.receiving_agency.type,
    )


def _apply_deadline(occurrence: StageOccurrence, escalation: Escalation, clock_start: datetime) -> None:
    deadline, timescale, uses_default = stage_deadline(escalation, occurrence.policy_stage, clock_start)
    occurrence.clock_started_at = clock_start
    occurrence.due_at = deadline.due
    occurrence.arrived_out_of_hours = deadline.arrived_out_of_hours
    occurrence.uses_default_timescale = uses_default
    occurrence.timescale_description = timescale.describe()


def _sync_current_due(escalation: Escalation, due: datetime | None) -> None:
    escalation.current_due_at = due
    Escalation.objects.filter(pk=escalation.pk).update(current_due_at=due)


def step_met(occurrence: StageOccurrence, event: StepEvent, at: datetime) -> bool:
    """Record that the event this stage's timescale is met by has happened (the first time
    only). The watcher then never records the stage as missed."""
    if occurrence.policy_stage.met_by != event or occurrence.step_met_at is not None:
        return False
    updated = StageOccurrence.objects.filter(pk=occurrence.pk, step_met_at__isnull=True, closed_at__isnull=True).update(
        step_met_at=at
    )
    if updated:
        occurrence.step_met_at = at
        # Nothing is due on this stage any more: lists stop counting it down or calling it overdue.
        Escalation.objects.filter(pk=occurrence.escalation_id).update(current_due_at=None)
    return bool(updated)


@transaction.atomic
def escalation_change_urgency(
    *, escalation: Escalation, acting_user, urgency: str, reason: str, at: datetime | None = None
) -> Escalation:
    """A change of urgency recomputes the open stage's deadline from when its clock started."""
    from escalation.permissions import can_change_urgency, may_make_less_urgent
    from escalation.selectors import may_see
    from partnerships.presets.base import URGENCY_ORDER

    if not reason.strip():
        raise EscalationError("Enter why the urgency has changed.")
    if not (may_see(escalation, acting_user) and can_change_urgency(escalation, acting_user)):
        raise NotPermitted("You cannot change the urgency of this escalation.")
    less_urgent = URGENCY_ORDER.index(Urgency(urgency)) < URGENCY_ORDER.index(Urgency(escalation.urgency))
    if less_urgent and not may_make_less_urgent(escalation, acting_user):
        raise NotPermitted(
            "At the partnership stage only the managers who referred it or the partnership can make it less urgent."
        )
    if Urgency(urgency) == Urgency(escalation.urgency):
        raise EscalationError(f"It is already {escalation.get_urgency_display().lower()}: choose another urgency.")
    old = escalation.get_urgency_display()
    # The urgency it was read with, too: two submissions of one change make one change.
    updated = Escalation.objects.filter(
        pk=escalation.pk, state=escalation.state, stage_number=escalation.stage_number, urgency=escalation.urgency
    ).update(urgency=urgency)
    if not updated:
        raise StaleEscalation(STALE_MESSAGE)
    escalation.urgency = urgency
    occurrence = escalation.occurrences.select_for_update().get(closed_at__isnull=True)
    before = occurrence.due_at
    if occurrence.breached_at is None and occurrence.step_met_at is None:
        _apply_deadline(occurrence, escalation, occurrence.clock_started_at)
        occurrence.save()
        _sync_current_due(escalation, occurrence.due_at)
    record_on_files(
        escalation,
        RecordEntryKind.URGENCY_CHANGED,
        f"{_person(acting_user)} changed the urgency of {escalation.reference} from {old.lower()} to "
        f"{escalation.get_urgency_display().lower()}: {reason.strip()} {deadline_after_change(occurrence, before)}",
        author=acting_user,
    )
    # The people who must act by the deadline hear the new one (and the raiser, of the change).
    tell(
        Event.URGENCY_CHANGED,
        escalation=escalation,
        occurrence=occurrence,
        acting_user=acting_user,
        at=at or timezone.now(),
    )
    return escalation


def deadline_after_change(occurrence: StageOccurrence, before: datetime | None = None) -> str:
    """What a change of urgency did to the open stage's deadline (`before`: the deadline it had).
    Once the step it timed has been taken, or the deadline missed, the deadline stays as it was:
    it is history, not a target."""
    if occurrence.step_met_at is not None:
        return (
            f"Stage {occurrence.number}'s deadline stays as it was: what it timed was done on "
            f"{_when(occurrence.step_met_at)}."
        )
    if occurrence.breached_at is not None:
        return f"Stage {occurrence.number}'s deadline stays as it was: it passed on {_when(occurrence.due_at)}."
    if before is not None and occurrence.due_at == before:
        return (
            f"Stage {occurrence.number} is still {_due_text(occurrence)}: the policy sets the same timescale "
            "at this urgency."
        )
    return f"Stage {occurrence.number} is now {_due_text(occurrence)}."


@transaction.atomic
def recompute_open_deadlines(*, partnership, reason: str, acting_user=None) -> int:
    """After a calendar change: open, unbreached stages get their deadlines again. Logged."""
    changed = 0
    occurrences = (
        StageOccurrence.objects.select_for_update(of=("self",))
        .filter(escalation__partnership=partnership, closed_at__isnull=True)
        .filter(breached_at__isnull=True, step_met_at__isnull=True)
        .select_related("escalation__policy", "escalation__partnership", "policy_stage")
    )
    for occurrence in occurrences:
        before = occurrence.due_at
        _apply_deadline(occurrence, occurrence.escalation, occurrence.clock_started_at)
        if occurrence.due_at != before:
            occurrence.save(update_fields=["due_at", "arrived_out_of_hours", "uses_default_timescale"])
            _sync_current_due(occurrence.escalation, occurrence.due_at)
            record_on_files(
                occurrence.escalation,
                RecordEntryKind.DEADLINE_CHANGED,
                f"The deadline of {occurrence.escalation.reference} {_stage_label(occurrence)} moved from "
                f"{_when(before)} to {_when(occurrence.due_at)}: {reason}",
                author=acting_user,
            )
            changed += 1
    return changed
