"""The routes past the stages that a policy allows (issue 12 §5), recorded stage by stage.

- Plymouth: "it may be required to instigate all of the stages within a short period of time":
  an immediate-risk case may be taken up several stages at once, without waiting for each
  stage's acknowledgement. Every stage passed is opened and closed on the record, with the reason.
- Bromley: "If staff feel unsafe raising concerns within their own agency, they may escalate
  directly to external managers, or request escalation via BSCP": the raiser takes it straight
  to the partnership stage, or to the first stage the other agency's managers hold, with a
  recorded reason. Either way their own agency is kept out: on their side they alone hold
  every stage after, and their managers are neither told nor shown it.

Each route is one transaction through the state machine's `pass_stage`, so the usual rules hold:
one stage open at a time, every move on each child's file, the new stage's holders told.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from cases.models import RecordEntryKind
from escalation.conversation import tell, tell_passed_over
from escalation.models import Escalation
from escalation.permissions import can_escalate, is_raiser
from escalation.services import (
    EscalationError,
    NotPermitted,
    _close_stage,
    _due_text,
    _now,
    _open_stage,
    _person,
    _stage_label,
    _transition,
    escalation_raise,
    record_on_files,
)
from escalation.states import StageOutcome
from partnerships.choices import Event, Route, Tier, Urgency
from partnerships.selectors import tier_rank

# The routes taken because it is unsafe to raise within the raiser's own agency.
KEPT_FROM_OWN_AGENCY = frozenset({Route.UNSAFE_WITHIN_AGENCY, Route.EXTERNAL_MANAGERS})


def routes_open_to(escalation: Escalation, user) -> list[Route]:
    """The routes this person may take on this escalation now."""
    policy = escalation.policy
    if not escalation.is_open or escalation.next_policy_stage() is None:
        return []
    found = []
    if (
        policy.allows(Route.URGENT_ALL_STAGES)
        and escalation.urgency == Urgency.IMMEDIATE_RISK
        and can_escalate(escalation, user)
    ):
        found.append(Route.URGENT_ALL_STAGES)
    if policy.allows(Route.UNSAFE_WITHIN_AGENCY) and is_raiser(escalation, user):
        found.append(Route.UNSAFE_WITHIN_AGENCY)
    if (
        policy.allows(Route.EXTERNAL_MANAGERS)
        and is_raiser(escalation, user)
        and external_managers_stage(escalation) is not None
    ):
        found.append(Route.EXTERNAL_MANAGERS)
    return found


def external_managers_stage(escalation: Escalation) -> int | None:
    """The first stage after this one that the other agency's managers hold (Bromley: Stage 2,
    manager to manager), if the case has not reached one yet."""
    for number, stage in sorted(escalation.policy.stages_by_number().items()):
        if stage.is_partnership_stage or stage.holder_agency_type or not stage.receiver_tier:
            continue
        if tier_rank(stage.receiver_tier) > tier_rank(Tier.PRACTITIONER):
            return number if number > escalation.stage_number else None
    return None


def _target_is_allowed(escalation: Escalation, route: Route, to_stage: int) -> None:
    last = escalation.stage_count
    if route == Route.UNSAFE_WITHIN_AGENCY and to_stage != last:
        raise EscalationError("This route goes straight to the partnership stage.")
    if route == Route.EXTERNAL_MANAGERS and to_stage != external_managers_stage(escalation):
        raise EscalationError("This route goes straight to the stage the other agency's managers hold.")
    if not escalation.stage_number < to_stage <= last:
        raise EscalationError(f"Choose a stage after stage {escalation.stage_number} and no later than stage {last}.")


@transaction.atomic
def escalation_take_route(
    *, escalation: Escalation, acting_user, route: str, to_stage: int, reason: str, at: datetime | None = None
) -> Escalation:
    at = _now(at)
    route = Route(route)
    if not reason.strip():
        raise EscalationError(
            "Enter why it cannot wait for each stage in turn."
            if route == Route.URGENT_ALL_STAGES
            else "Enter why it is not safe to raise this within your own agency."
        )
    if route not in routes_open_to(escalation, acting_user):
        raise NotPermitted("This route is not open to you on this escalation.")
    _target_is_allowed(escalation, route, to_stage)
    evidence = f"{route.label}: {reason.strip()}"
    # Unsafe within the agency: the stages passed are on the record, but their holders (the
    # raiser's own managers among them) are neither told nor shown it; only where it arrives is.
    quietly = route in KEPT_FROM_OWN_AGENCY
    if quietly and not escalation.kept_from_own_agency:
        escalation.kept_from_own_agency = True
        Escalation.objects.filter(pk=escalation.pk).update(kept_from_own_agency=True)
    first_passed = None
    passed_through = []
    while escalation.stage_number < to_stage:
        _transition(escalation, "pass_stage", None)
        closed = _close_stage(escalation, at=at, outcome=StageOutcome.PASSED)
        arrives = escalation.stage_number == to_stage
        opened = _open_stage(escalation, at=at, evidence=evidence, shown_to_holders=arrives or not quietly)
        record_on_files(
            escalation,
            RecordEntryKind.ESCALATED,
            f"{_person(acting_user)} took {escalation.reference} from {_stage_label(closed)} to {_stage_label(opened)} "
            f"by the policy's route ({route.label.lower()}), {_due_text(opened)}. Reason: {reason.strip()}",
            author=acting_user,
        )
        first_passed = first_passed or closed
        if not arrives:
            passed_through.append(opened)
        if arrives:
            # One notice, for the stage it arrives at: the holders act; where the route kept it
            # from the raiser's agency, nobody it passed over is told.
            tell(
                Event.ESCALATED,
                escalation=escalation,
                occurrence=opened,
                previous=None if quietly else first_passed,
                acting_user=acting_user,
                at=at,
            )
            if not quietly:
                tell_passed_over(
                    escalation=escalation,
                    passed=passed_through,
                    arrived=opened,
                    acting_user=acting_user,
                    at=at,
                    route_label=route.label,
                )
    return escalation


@transaction.atomic
def escalation_raise_to_partnership(*, reason: str, at: datetime | None = None, **raise_fields) -> Escalation:
    """Bromley's route at the moment of raising: raised, then straight to the partnership stage."""
    return _raise_around_own_agency(Route.UNSAFE_WITHIN_AGENCY, reason=reason, at=at, **raise_fields)


@transaction.atomic
def escalation_raise_to_external_managers(
    *, reason: str, at: datetime | None = None, **raise_fields
) -> Escalation:
    """Bromley's other route at the moment of raising: raised, then straight to the other
    agency's managers, the raiser's own agency kept out."""
    return _raise_around_own_agency(Route.EXTERNAL_MANAGERS, reason=reason, at=at, **raise_fields)


def _raise_around_own_agency(route: Route, *, reason: str, at: datetime | None, **raise_fields) -> Escalation:
    at = _now(at)
    if not reason.strip():
        raise EscalationError("Enter why it is not safe to raise this within your own agency.")
    escalation = escalation_raise(at=at, quietly=True, **raise_fields)
    if not escalation.policy.allows(route):
        raise EscalationError(
            "This partnership's policy has no route straight to the partnership."
            if route == Route.UNSAFE_WITHIN_AGENCY
            else "This partnership's policy has no route straight to the other agency's managers."
        )
    to_stage = escalation.stage_count if route == Route.UNSAFE_WITHIN_AGENCY else external_managers_stage(escalation)
    if to_stage is None:
        raise EscalationError("This partnership's policy has no stage held by the other agency's managers.")
    return escalation_take_route(
        escalation=escalation, acting_user=escalation.raised_by, route=route, to_stage=to_stage, reason=reason, at=at
    )
