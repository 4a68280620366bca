"""Writes to escalations. Every change is one transaction that moves the state, opens or
closes the stage occurrence and writes an entry on every child's file.

Views, tasks and the admin call these functions, never the transitions directly.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django_fsm import ConcurrentTransition, can_proceed, has_transition_perm

from cases.models import RecordEntryKind
from escalation.clocks import (  # noqa: F401  (callers import the clock changes from here too)
    _apply_deadline,
    _sync_current_due,
    deadline_after_change,
    escalation_change_urgency,
    recompute_open_deadlines,
    stage_deadline,
    step_met,
)
from escalation.conversation import tell, tell_action_owners, tell_chair_of_policy_gaps
from escalation.errors import STALE_MESSAGE, EscalationError, NotPermitted, StaleEscalation  # noqa: F401
from escalation.holders import RAISER, RECEIVER, People
from escalation.models import (
    Action,
    Discussion,
    Escalation,
    Notification,
    Resolution,
    StageOccurrence,
)
from escalation.record import _due_text, _now, _person, _stage_label, _when, record_on_files  # noqa: F401
from escalation.states import DeliveryMethod, StageOutcome, State
from partnerships.choices import ClockStart, Event, StepEvent, Urgency, roles_text
from partnerships.models import Partnership
from partnerships.selectors import memberships_of, tier_rank

# --- stages open and close -----------------------------------------------------------


def _open_stage(
    escalation: Escalation, *, at: datetime, evidence: str = "", shown_to_holders: bool = True
) -> StageOccurrence:
    policy_stage = escalation.policy.stages.get(number=escalation.stage_number)
    occurrence = StageOccurrence(
        escalation=escalation,
        policy_stage=policy_stage,
        number=policy_stage.number,
        started_at=at,
        evidence_of_previous_efforts=evidence,
    )
    _apply_deadline(occurrence, escalation, at)
    occurrence.save()
    show_stage_to_holders(escalation, policy_stage, occurrence.due_at, shown_to_holders=shown_to_holders)
    return occurrence


def show_stage_to_holders(escalation: Escalation, policy_stage, due_at, *, shown_to_holders: bool = True) -> None:
    """The escalation's denormalised reach once a stage is open: tiers reached only ever rise
    (lists and figures), and every role that has held a side can see the case from now on (not
    a stage passed by a route that keeps it away from the raiser's own agency)."""
    if not escalation.kept_from_own_agency:  # its managers' lists never show it
        escalation.raising_tier_reached = max(escalation.raising_tier_reached, tier_rank(policy_stage.raiser_tier))
    escalation.receiving_tier_reached = max(
        escalation.receiving_tier_reached, tier_rank(policy_stage.receiver_tier or None)
    )
    people = People()
    sides = ((RAISER, "raising_holder_roles"), (RECEIVER, "receiving_holder_roles")) if shown_to_holders else ()
    for side, field in sides:
        held = set(filter(None, getattr(escalation, field).split("|")))
        setattr(escalation, field, roles_text(held | people.holder_roles(escalation, policy_stage, side)))
    escalation.current_due_at = due_at
    Escalation.objects.filter(pk=escalation.pk).update(
        raising_tier_reached=escalation.raising_tier_reached,
        receiving_tier_reached=escalation.receiving_tier_reached,
        raising_holder_roles=escalation.raising_holder_roles,
        receiving_holder_roles=escalation.receiving_holder_roles,
        current_due_at=due_at,
    )


def _close_stage(escalation: Escalation, *, at: datetime, outcome: StageOutcome, reason_not_met: str = ""):
    occurrence = escalation.occurrences.select_for_update().get(closed_at__isnull=True)
    occurrence.closed_at = at
    occurrence.outcome = outcome
    occurrence.timescale_met = occurrence.step_met_on_time(at)
    occurrence.reason_not_met = "" if occurrence.timescale_met else reason_not_met
    occurrence.save(update_fields=["closed_at", "outcome", "timescale_met", "reason_not_met"])
    _sync_current_due(escalation, None)
    return occurrence


TRANSITION_FIELDS = ["state", "stage_number", "resolved_at", "closed_at", "withdrawn_reason"]


def _ensure_allowed(escalation: Escalation, name: str, user) -> None:
    method = getattr(escalation, name)
    if user is not None and not has_transition_perm(method, user):
        raise NotPermitted(f"You cannot {name} this escalation at its current stage.")
    if not can_proceed(method):
        raise EscalationError(f"This escalation cannot be {name}d now: it is {escalation.get_state_display().lower()}.")


def _transition(escalation: Escalation, name: str, user, **kwargs) -> None:
    """Run one transition after its conditions and permission; save with the race guard.

    Only the fields transitions change are written: a copy loaded earlier must not undo
    an urgency or deadline change made since (those columns are not FSM-guarded).
    """
    _ensure_allowed(escalation, name, user)
    getattr(escalation, name)(by=user, **kwargs)
    try:
        escalation.save(update_fields=TRANSITION_FIELDS)
    except ConcurrentTransition as exc:
        raise StaleEscalation(STALE_MESSAGE) from exc


# --- the actions -----------------------------------------------------------------------


@transaction.atomic
def escalation_raise(
    *,
    raised_by,
    raising_agency,
    receiving_agency,
    children,
    category: str,
    concern: str,
    why_unsafe: str,
    outcome_sought: str,
    urgency: str = Urgency.STANDARD,
    receiving_professional: str = "",
    at: datetime | None = None,
    quietly: bool = False,
) -> Escalation:
    """Raise a disagreement at stage 1. `quietly` (a route taking it straight past stage 1, such
    as Bromley's "unsafe within my own agency") tells and shows stage 1's holders nothing."""
    at = _now(at)
    # Read afresh: the version in use at this moment (one published a moment ago counts).
    partnership = Partnership.objects.select_related("policy").get(pk=raising_agency.partnership_id)
    children = list(children)
    if not any(m.agency_id == raising_agency.pk for m in memberships_of(raised_by)):
        raise NotPermitted("You can only raise a disagreement on behalf of an agency you work for.")
    if receiving_agency.pk == raising_agency.pk:
        raise EscalationError("Choose another agency: a disagreement is between two agencies.")
    if receiving_agency.partnership_id != partnership.pk:
        raise EscalationError("The other agency must be in the same safeguarding partnership.")
    if not children:
        raise EscalationError("Name at least one child.")
    if any(child.partnership_id != partnership.pk for child in children):
        raise EscalationError("Every child must belong to this partnership.")
    if partnership.policy_id is None:
        raise EscalationError(f"{partnership} has no escalation policy yet. Ask an administrator to choose one.")

    escalation = Escalation.objects.create(
        reference=Escalation.new_reference(),
        partnership=partnership,
        policy=partnership.policy,
        raised_by=raised_by,
        raising_agency=raising_agency,
        receiving_agency=receiving_agency,
        receiving_professional=receiving_professional,
        category=category,
        concern=concern,
        why_unsafe=why_unsafe,
        outcome_sought=outcome_sought,
        urgency=urgency,
        raised_at=at,
    )
    escalation.children.set(children)
    occurrence = _open_stage(escalation, at=at, shown_to_holders=not quietly)
    record_on_files(
        escalation,
        RecordEntryKind.RAISED,
        f"{_person(raised_by)} ({raising_agency}) raised disagreement {escalation.reference} with "
        f"{receiving_agency} ({escalation.get_category_display().lower()}; "
        f"{escalation.get_urgency_display().lower()}). It starts at {_stage_label(occurrence)}, "
        f"{_due_text(occurrence)}.",
        author=raised_by,
    )
    if not quietly:
        tell(Event.RAISED, escalation=escalation, occurrence=occurrence, acting_user=raised_by, at=at)
    return escalation


@transaction.atomic
def escalation_acknowledge(*, escalation: Escalation, acting_user, at: datetime | None = None) -> Escalation:
    at = _now(at)
    occurrence = _acknowledge(escalation, acting_user, at)
    tell(Event.ACKNOWLEDGED, escalation=escalation, occurrence=occurrence, acting_user=acting_user, at=at)
    return escalation


def acknowledge_by_taking_up(escalation: Escalation, acting_user, at: datetime, how: str) -> None:
    """Arranging the partnership stage, or recording its decision, takes the stage up: one still
    awaiting acknowledgement is acknowledged by it, so a decided case never reads "Awaiting
    acknowledgement". Nobody is told separately: they hear of the arrangement or decision."""
    from escalation.permissions import can_acknowledge

    if (
        escalation.state == State.RAISED
        and escalation.stage_asks_for_acknowledgement()
        and can_acknowledge(escalation, acting_user)
    ):
        _acknowledge(escalation, acting_user, at, how=how)


def _acknowledge(escalation: Escalation, acting_user, at: datetime, how: str = "") -> StageOccurrence:
    _transition(escalation, "acknowledge", acting_user)
    occurrence = escalation.occurrences.select_for_update().get(closed_at__isnull=True)
    occurrence.acknowledged_at = at
    occurrence.acknowledged_by = acting_user
    fields = ["acknowledged_at", "acknowledged_by"]
    if occurrence.policy_stage.clock_starts == ClockStart.ACKNOWLEDGEMENT:
        _apply_deadline(occurrence, escalation, at)
        fields += ["clock_started_at", "due_at", "arrived_out_of_hours", "uses_default_timescale"]
        _sync_current_due(escalation, occurrence.due_at)
    occurrence.save(update_fields=fields)
    step_met(occurrence, StepEvent.ACKNOWLEDGEMENT, at)
    # A plan recorded before the acknowledgement: the step needing both is met now.
    if occurrence.policy_stage.met_by == StepEvent.ACKNOWLEDGED_PLAN and _plan_on_record(escalation, occurrence):
        step_met(occurrence, StepEvent.ACKNOWLEDGED_PLAN, at)
    record_on_files(
        escalation,
        RecordEntryKind.ACKNOWLEDGED,
        f"{_person(acting_user)} acknowledged {escalation.reference} at {_stage_label(occurrence)}"
        + (f" by {how}" if how else "")
        + f"; {_due_text(occurrence)}.",
        author=acting_user,
    )
    return occurrence


def _plan_on_record(escalation: Escalation, occurrence: StageOccurrence) -> bool:
    from escalation.permissions import meets_the_step_by_discussion

    recorders = {d.recorded_by for d in occurrence.discussions.select_related("recorded_by")}
    return any(meets_the_step_by_discussion(escalation, user) for user in recorders)


@transaction.atomic
def escalation_escalate(
    *,
    escalation: Escalation,
    acting_user,
    evidence: str = "",
    reason_not_met: str = "",
    at: datetime | None = None,
) -> Escalation:
    """Move to the next stage. Where the policy asks, evidence of this stage's efforts first."""
    at = _now(at)
    next_stage = escalation.next_policy_stage()
    if next_stage is not None and not escalation.acknowledged_before_the_partnership():
        stages = ", ".join(str(n) for n in escalation.unacknowledged_stages())
        raise EscalationError(
            f"It cannot go to the partnership yet: stage {stages} was not acknowledged. The partnership stage is "
            "for disagreements the agencies' own managers could not resolve."
        )
    _ensure_allowed(escalation, "escalate", acting_user)
    if next_stage is not None and next_stage.evidence_of_previous_stage_required and not evidence.strip():
        raise EscalationError(
            "Describe what was done to resolve the disagreement at this stage: the policy asks for this "
            "evidence before it moves to the next stage."
        )
    _transition(escalation, "escalate", acting_user)
    closed = _close_stage(escalation, at=at, outcome=StageOutcome.ESCALATED, reason_not_met=reason_not_met)
    opened = _open_stage(escalation, at=at, evidence=evidence.strip())
    summary = (
        f"{_person(acting_user)} escalated {escalation.reference} from {_stage_label(closed)} to "
        f"{_stage_label(opened)}, {_due_text(opened)}."
    )
    if evidence.strip():
        summary += f" Efforts at the previous stage: {evidence.strip()}"
    record_on_files(escalation, RecordEntryKind.ESCALATED, summary, author=acting_user)
    tell(Event.ESCALATED, escalation=escalation, occurrence=opened, previous=closed, acting_user=acting_user, at=at)
    return escalation


DECISION_STANDS = (
    "The decision has already been recorded and everyone involved has been told. It is binding and is not "
    "changed: record anything further as a discussion."
)


@transaction.atomic
def stage_record_decision(
    *, escalation: Escalation, acting_user, decision: str, at: datetime | None = None
) -> StageOccurrence:
    """The binding decision at the partnership stage; resolving the final stage needs it."""
    from escalation.permissions import may_decide

    if not decision.strip():
        raise EscalationError("Enter the decision.")
    if not escalation.is_open or not may_decide(escalation, acting_user):
        raise NotPermitted(
            "Only the people seated on the partnership's panel, mediation or review, or its business manager, can "
            "record the decision, once it has been arranged."
        )
    occurrence = escalation.occurrences.select_for_update().get(closed_at__isnull=True)
    stage = occurrence.policy_stage
    if not (stage.is_partnership_stage or stage.met_by == StepEvent.DECISION):
        raise EscalationError("A binding decision is recorded only where the policy says one is made.")
    if occurrence.decision.strip():
        # Everyone was told of it and it is on the children's files: it is not rewritten.
        raise EscalationError(DECISION_STANDS)
    at = _now(at)
    acknowledge_by_taking_up(escalation, acting_user, at, "recording the decision")
    occurrence.decision = decision.strip()
    occurrence.save(update_fields=["decision"])
    step_met(occurrence, StepEvent.DECISION, at)
    record_on_files(
        escalation,
        RecordEntryKind.DECISION,
        f"{_person(acting_user)} recorded the {'partnership' if stage.is_partnership_stage else 'binding'} decision on "
        f"{escalation.reference}: {occurrence.decision}",
        author=acting_user,
    )
    tell(Event.DECIDED, escalation=escalation, occurrence=occurrence, acting_user=acting_user, at=at)
    return occurrence


@transaction.atomic
def escalation_resolve(
    *,
    escalation: Escalation,
    acting_user,
    outcome: str,
    main_reason: str = "",
    issues_raised: str = "",
    lessons_learnt: str = "",
    policy_gaps: str = "",
    practitioners_informed: str = "",
    family_informed: bool | None = None,
    family_not_informed_reason: str = "",
    case_review_recommended: bool = False,
    method_of_delivery: str = DeliveryMethod.SERVICE,
    reason_not_met: str = "",
    at: datetime | None = None,
) -> Escalation:
    """Resolve at the current stage, keep the resolution record and tell the raiser."""
    at = _now(at)
    if not outcome.strip():
        raise EscalationError("Enter the agreed written outcome.")
    _transition(escalation, "resolve", acting_user, at=at)
    closed = _close_stage(escalation, at=at, outcome=StageOutcome.RESOLVED, reason_not_met=reason_not_met)
    Resolution.objects.create(
        escalation=escalation,
        resolved_on=timezone.localtime(at).date(),
        stage_resolved=closed.number,
        agreed_outcome=outcome.strip(),
        issues_raised=issues_raised.strip(),
        lessons_learnt=lessons_learnt.strip(),
        policy_gaps=policy_gaps.strip(),
        main_reason=main_reason or escalation.category,
        practitioners_informed=practitioners_informed.strip(),
        family_informed=family_informed,
        family_not_informed_reason=family_not_informed_reason.strip(),
        case_review_recommended=case_review_recommended,
        method_of_delivery=method_of_delivery,
        recorded_by=acting_user,
    )
    record_on_files(
        escalation,
        RecordEntryKind.RESOLVED,
        f"{_person(acting_user)} recorded {escalation.reference} as resolved at {_stage_label(closed)}. "
        f"Agreed outcome: {outcome.strip()}",
        author=acting_user,
    )
    tell(Event.RESOLVED, escalation=escalation, occurrence=closed, acting_user=acting_user, at=at)
    if policy_gaps.strip():
        tell_chair_of_policy_gaps(escalation=escalation, occurrence=closed, acting_user=acting_user, at=at)
    return escalation


def notify(recipients, *, escalation, kind, message, occurrence=None, action=None) -> None:
    """Outbox rows for people to be told, in the caller's transaction; delivered later.

    The message carries the reference, stage and deadline only, never a child's details.
    """
    Notification.objects.bulk_create(
        [
            Notification(
                recipient=user,
                escalation=escalation,
                occurrence=occurrence,
                action=action,
                kind=kind,
                message=message,
                email_not_before=timezone.now(),
            )
            for user in {u.pk: u for u in recipients if u is not None}.values()
        ],
        ignore_conflicts=True,
        batch_size=Notification.WRITE_BATCH,
    )


@transaction.atomic
def discussion_record(
    *,
    escalation: Escalation,
    acting_user,
    held_at: datetime,
    method: str,
    participants: str,
    outcome: str,
    areas_of_agreement: str = "",
    areas_of_disagreement: str = "",
    actions: list[dict] = (),
    at: datetime | None = None,
) -> Discussion:
    """A discussion at the current stage, with the actions agreed in it, recorded `at` (now)."""
    from escalation.permissions import can_record_discussion, meets_the_step_by_discussion

    if not can_record_discussion(escalation, acting_user):
        raise NotPermitted("Only the people holding this stage can record a discussion.")
    meets_the_step = meets_the_step_by_discussion(escalation, acting_user)
    occurrence = escalation.occurrences.select_related("policy_stage").get(closed_at__isnull=True)
    discussion = Discussion.objects.create(
        occurrence=occurrence,
        held_at=held_at,
        method=method,
        participants=participants.strip(),
        areas_of_agreement=areas_of_agreement.strip(),
        areas_of_disagreement=areas_of_disagreement.strip(),
        outcome=outcome.strip(),
        recorded_by=acting_user,
    )
    # One by one, not bulk: each action's id keys its owner's notice.
    agreed = [
        Action.objects.create(
            escalation=escalation,
            discussion=discussion,
            description=a["description"].strip(),
            owner_name=(a.get("owner_name") or _owner_name(a.get("owner"))).strip(),
            owner=a.get("owner"),
            due_on=a["due_on"],
        )
        for a in actions
    ]
    # The child's file holds the conflict and what was agreed, not only the outcome (Plymouth:
    # "the detail of the conflict and agreements reached should be recorded on the child's file").
    summary = (
        f"{_person(acting_user)} recorded a {discussion.get_method_display().lower()} discussion held "
        f"{_when(held_at)} at {_stage_label(occurrence)}."
        + (f" Not agreed: {discussion.areas_of_disagreement}" if discussion.areas_of_disagreement else "")
        + (f" Agreed: {discussion.areas_of_agreement}" if discussion.areas_of_agreement else "")
        + f" Outcome: {discussion.outcome}"
    )
    if actions:
        summary += " Agreed actions: " + "; ".join(
            f"{action.description} ({action.owner_name}, by {action.due_on:%d/%m/%Y})" for action in agreed
        )
    record_on_files(escalation, RecordEntryKind.DISCUSSION, summary, author=acting_user)
    at = _now(at)
    # Held when it was held (a call made before it was written up), but only a discussion held
    # during this stage meets its step; one dated before the stage began counts from now.
    if meets_the_step:
        held = held_at if occurrence.started_at <= held_at <= at else at
        step_met(occurrence, StepEvent.DISCUSSION, held)
        if occurrence.acknowledged_at is not None:
            step_met(occurrence, StepEvent.ACKNOWLEDGED_PLAN, max(held, occurrence.acknowledged_at))
    context = {"escalation": escalation, "occurrence": occurrence, "acting_user": acting_user, "at": at}
    tell(Event.RECORDED, discussion=discussion, **context)
    tell_action_owners(actions=agreed, **context)
    return discussion


def _owner_name(owner) -> str:
    return _person(owner) if owner is not None else ""


@transaction.atomic
def action_set_status(*, action: Action, acting_user, status: str) -> Action:
    from escalation.permissions import can_record_discussion

    escalation = action.escalation
    if not can_record_discussion(escalation, acting_user) and action.owner_id != acting_user.pk:
        raise NotPermitted("Only the people holding this stage or the action's owner can update it.")
    Action.objects.filter(pk=action.pk).update(status=status)
    action.status = status
    record_on_files(
        escalation,
        RecordEntryKind.NOTE,
        f'{_person(acting_user)} marked the action "{action.description}" as {action.get_status_display().lower()}.',
        author=acting_user,
    )
    return action


@transaction.atomic
def escalation_close(*, escalation: Escalation, acting_user, at: datetime | None = None) -> Escalation:
    at = _now(at)
    _transition(escalation, "close", acting_user, at=at)
    record_on_files(
        escalation, RecordEntryKind.CLOSED, f"{_person(acting_user)} closed {escalation.reference}.", author=acting_user
    )
    return escalation


@transaction.atomic
def escalation_withdraw(*, escalation: Escalation, acting_user, reason: str, at: datetime | None = None) -> Escalation:
    at = _now(at)
    if not reason.strip():
        raise EscalationError("Enter why the disagreement is being withdrawn.")
    _transition(escalation, "withdraw", acting_user, at=at, reason=reason.strip())
    closed = _close_stage(escalation, at=at, outcome=StageOutcome.WITHDRAWN)
    record_on_files(
        escalation,
        RecordEntryKind.WITHDRAWN,
        f"{_person(acting_user)} withdrew {escalation.reference} at {_stage_label(closed)}. Reason: {reason.strip()}",
        author=acting_user,
    )
    tell(Event.WITHDRAWN, escalation=escalation, occurrence=closed, acting_user=acting_user, at=at)
    return escalation


@transaction.atomic
def child_add(*, acting_user, agency, **fields):
    """A child added by a practitioner, visible to their agency from then on."""
    from cases.models import Child

    if not any(m.agency_id == agency.pk for m in memberships_of(acting_user)):
        raise NotPermitted("You can only add a child on behalf of an agency you work for.")
    return Child.objects.create(partnership=agency.partnership, created_by_agency=agency, **fields)
