"""The policies' conversation: who is told of each event, and what the notice says.

Each service calls `tell(event, …)` inside its own transaction, so the outbox rows commit
(or roll back) with the change they describe; delivery is escalation.notifications'. The
unique constraints on Notification (stage, discussion or action; kind; recipient) make each
notice exactly-once: a retried request or a second call writes nothing new.

Who is told comes from the policy: DEFAULT_AUDIENCES (partnerships.choices) plus the stage's
own `notify` (the copies a policy names, e.g. Cumberland's chair and business manager when
the partnership stage starts). The person who acted is never told of their own act.

Messages carry the reference, agencies, category, urgency, stage, deadline and a link: never
a child's details nor free text that could name one (outcomes and actions are read on the case).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from escalation.holders import RAISER, RECEIVER, People, active
from escalation.models import Notification, NotificationKind
from escalation.states import StageOutcome
from escalation.wording import day_text, email_not_before, escalation_link, stage_label, when
from partnerships.choices import APPOINTED_BY_THE_CHAIR, Audience, Event, PanelRule, Role, StepEvent, Urgency
from partnerships.selectors import memberships_of

URGENT = frozenset({Urgency.CHILD_PROTECTION.value, Urgency.IMMEDIATE_RISK.value})
# The events whose notice asks the current stage's holders to do something.
CALLS_TO_ACT = frozenset({Event.RAISED, Event.ESCALATED, Event.ARRANGED, Event.URGENCY_CHANGED})
# Events that may happen more than once on a stage: their notices are not tied to the stage, whose
# constraint allows one notice of a kind per person.
REPEATABLE = frozenset({Event.URGENCY_CHANGED})


def _name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else "The system"


def _actor_agency_ids(user) -> set[int]:
    return {m.agency_id for m in memberships_of(user) if m.agency_id}


def next_step(stage, *, arranged: bool = False) -> str:
    """What the people holding a stage must do next, in the policy's terms."""
    if stage.is_partnership_stage:
        if arranged:
            return "hear the disagreement and record the partnership's decision"
        arrangement = PanelRule(stage.panel_rule).label.lower() if stage.panel_rule != PanelRule.NONE else "review"
        who = "the chair appoints" if stage.panel_rule in APPOINTED_BY_THE_CHAIR else "arrange"
        if stage.met_by == StepEvent.ARRANGEMENT:
            # Five-stage: "offer mediation within 5 working days": the deadline is the arranging's.
            return (
                f"once the {arrangement} is arranged, the people seated on it (or the business manager) record "
                f"the partnership's decision; {who} the {arrangement}"
            )
        return (
            f"{who} the {arrangement}; the people seated on it (or the business manager) then record the "
            "partnership's decision"
        )
    if stage.met_by == StepEvent.DECISION:
        return "make the binding decision and record it"
    if stage.acknowledgement_required:
        return "acknowledge it and agree a plan of action with the other agency"
    return "discuss it and agree what happens next"


def audience_members(
    audience: Audience,
    *,
    people: People,
    escalation,
    occurrence,
    acting_user=None,
    previous=None,
    action=None,
) -> set[int]:
    stage = occurrence.policy_stage
    match audience:
        case Audience.HOLDERS:
            return people.stage_holders(escalation, stage)
        case Audience.OTHER_SIDE:
            acted_for = _actor_agency_ids(acting_user)
            # An agency that joins the stage hears from both sides.
            if escalation.receiving_agency_id in acted_for and escalation.raising_agency_id not in acted_for:
                return people.raising_side(escalation, stage) | people.joiners(escalation, stage)
            if escalation.raising_agency_id in acted_for and escalation.receiving_agency_id not in acted_for:
                other = people.receiving_side(escalation, stage) | people.joiners(escalation, stage)
                # Where the other agency takes no part yet (St Helens: consulting the line
                # manager), what the raiser records goes to the managers consulted.
                return other or people.raising_side(escalation, stage)
            return people.stage_holders(escalation, stage)
        case Audience.PREVIOUS_HOLDERS:
            return people.stage_holders(escalation, previous.policy_stage) if previous else set()
        case Audience.NEXT_TIER:
            following = escalation.policy.stages_by_number().get(occurrence.number + 1)
            return people.stage_holders(escalation, following) if following else set()
        case Audience.PARTIES:
            return _holders_so_far(people, escalation)
        case Audience.MANAGERS_INVOLVED:
            return managers_involved(people, escalation)
        case Audience.RAISER:
            return {escalation.raised_by_id}
        case Audience.BUSINESS_MANAGER:
            return people.business_managers(escalation)
        case Audience.CHAIR:
            return people.chairs(escalation)
        case Audience.ACTION_OWNER:
            return {action.owner_id} if action is not None and action.owner_id else set()
        case Audience.SEATED:
            return people.seated(escalation, occurrence)
    raise ValueError(f"unknown audience {audience!r}")  # pragma: no cover


def managers_involved(people: People, escalation) -> set[int]:
    """Everyone who has held a stage above the practitioners."""
    return _holders_so_far(people, escalation, managers_only=True)


def _holders_so_far(people: People, escalation, *, managers_only: bool = False) -> set[int]:
    """Everyone who has held a stage the disagreement reached, this one included; with
    `managers_only`, of the stages held above the practitioners ("agreed actions fed back
    immediately to managers", Cumberland Level Three; Plymouth's "second tier management staff
    involved", at any stage)."""
    found: set[int] = set()
    reached_stages = escalation.occurrences.select_related("policy_stage")
    # A stage a route passed around the raiser's own agency (Bromley) was held by nobody; one the
    # urgent route passed (Plymouth) was shown and told to its holders (tell_passed_over).
    if escalation.kept_from_own_agency:
        reached_stages = reached_stages.exclude(outcome=StageOutcome.PASSED)
    for reached in reached_stages:
        stage = reached.policy_stage
        if managers_only and stage.holder_roles(RAISER) | stage.holder_roles(RECEIVER) <= {Role.PRACTITIONER}:
            continue
        found |= people.stage_holders(escalation, stage)
    return found


# --- the words ---------------------------------------------------------------------------------


def _due(occurrence) -> str:
    return f"{when(occurrence.due_at)} (London time)"


# The part a reader has in an event that calls people to act.
SEATED, HOLDS, INFORMED = "seated", "holds", ""


def message(
    event: Event,
    *,
    escalation,
    occurrence,
    acting_user=None,
    previous=None,
    action=None,
    part=INFORMED,
    at=None,
    arranged=None,
) -> str:
    """What happened, what the reader must do and by when, and the link. `part`: the reader is
    seated on the partnership stage's panel, mediation or review, holds the stage, or is told;
    `arranged`: whether that panel is arranged, if the caller knows (asked otherwise)."""
    ref, stage = escalation.reference, stage_label(occurrence)
    who = _name(acting_user)
    match event:
        case Event.RAISED:
            text = (
                f"{ref}: {escalation.raising_agency} raised a disagreement with {escalation.receiving_agency} "
                f"({escalation.get_category_display().lower()}; {escalation.get_urgency_display().lower()}). "
                f"It starts at {stage}."
            )
        case Event.ESCALATED:
            text = f"{ref} has been escalated"
            if previous is not None:
                text += f" from {stage_label(previous)}"
            text += f" to {stage} by {who}."
        case Event.ACKNOWLEDGED:
            text = f"{ref}: {who} acknowledged {stage}. It is due by {_due(occurrence)}."
        case Event.RECORDED:
            text = (
                f"{ref}: {who} recorded a discussion at {stage}. Read the outcome and any agreed actions on "
                f"the escalation, and follow up anything that is yours."
            )
        case Event.ACTION_ASSIGNED:
            text = (
                f"{ref}: an action agreed at {stage} is yours, to be done by {day_text(action.due_on)}. "
                f"Open the escalation to see what was agreed, and mark it done when it is."
            )
        case Event.ARRANGED:
            text = f"{ref}: {who} arranged the partnership stage ({stage})."
            review = getattr(occurrence, "review", None)
            if review is not None and review.meeting_at:
                text += f" It meets on {when(review.meeting_at)} (London time)."
        case Event.DECIDED:
            whose = "the partnership's" if occurrence.policy_stage.is_partnership_stage else "the binding"
            text = f"{ref}: {who} recorded {whose} decision at {stage}. Read it on the escalation."
        case Event.RESOLVED:
            text = f"{ref} was resolved at {stage} by {who}. Read the agreed outcome on the escalation."
        case Event.WITHDRAWN:
            text = f"{ref} was withdrawn at {stage} by {who}. Nothing more is needed from you."
        case Event.URGENCY_CHANGED:
            text = f"{ref}: {who} changed the urgency to {escalation.get_urgency_display().lower()} at {stage}."
            if occurrence.breached_at:
                text += " Its deadline had already passed."
        case _:  # pragma: no cover
            raise ValueError(f"unknown event {event!r}")
    if event in CALLS_TO_ACT:
        # Once the step the stage's clock times has happened (five-stage: the mediation offered),
        # nothing else on the stage has a deadline.
        by = "" if occurrence.step_met_at or occurrence.breached_at else f" by {_due(occurrence)}"
        if by and event == Event.URGENCY_CHANGED and at is not None and occurrence.due_at <= at:
            # A new urgency counts from when the stage's clock started: its deadline may be past.
            by = f" now: its deadline, {_due(occurrence)}, has passed"
        if part == SEATED:
            text += f" You are seated on it: {next_step(occurrence.policy_stage, arranged=True)}{by}."
        elif part == HOLDS and (_arranged(occurrence) if arranged is None else arranged):
            text += f" You hold this stage: see that the people seated on it record the partnership's decision{by}."
        elif part == HOLDS:
            text += f" You hold this stage: {next_step(occurrence.policy_stage)}{by}."
        elif event == Event.ARRANGED:
            # The panel, mediation or review hears the agencies that referred it (Bromley: "to hear
            # representations"; Cumberland: the member "consults with the other Executive Leads").
            due = f" It is due{by}." if by else ""
            text += f"{due} It hears the agencies in the disagreement: be ready to set out your agency's position."
        else:
            due = f" It is due{by}." if by else ""
            text += f"{due} This is for your information: nothing is needed from you now."
    return f"{text} Open it: {escalation_link(escalation)}"


def _arranged(occurrence) -> bool:
    """Whether the partnership stage's panel, mediation or review has been arranged."""
    return occurrence.policy_stage.is_partnership_stage and hasattr(occurrence, "review")


def _email_not_before(escalation, at: datetime, *, urgent: bool) -> datetime:
    partnership = escalation.partnership
    return email_not_before(
        partnership.working_calendar(), at, urgent=urgent, hold_out_of_hours=partnership.hold_out_of_hours_email
    )


# --- telling -----------------------------------------------------------------------------------


def tell(
    event: Event,
    *,
    escalation,
    occurrence,
    acting_user=None,
    at: datetime,
    previous=None,
    discussion=None,
    action=None,
    people: People | None = None,
) -> list[int]:
    """Write the outbox rows for one event, in the caller's transaction. Returns who was told."""
    people = people or People()
    stage = occurrence.policy_stage
    context = {"escalation": escalation, "occurrence": occurrence, "acting_user": acting_user, "previous": previous}
    told: set[int] = set()
    for audience in sorted(stage.as_preset().audiences(event)):
        told |= audience_members(audience, people=people, action=action, **context)
    told.discard(getattr(acting_user, "pk", None))
    recipients = active(told)
    seated, holding = set(), set()
    arranged = event in CALLS_TO_ACT and _arranged(occurrence)  # asked once, for the seats and the words
    if event == Event.ARRANGED:
        seated = people.seated(escalation, occurrence)
        # The business manager and chair hold it with them: they see that the seated decide.
        holding = people.partnership_stage_holders(escalation) - seated
    elif event in CALLS_TO_ACT:
        seated = people.seated(escalation, occurrence) if arranged else set()
        holding = people.stage_holders(escalation, stage) - seated
    not_before = _email_not_before(escalation, at, urgent=escalation.urgency in URGENT)
    rows = []
    for part in (SEATED, HOLDS, INFORMED):
        group = [pk for pk in recipients if part == (SEATED if pk in seated else HOLDS if pk in holding else INFORMED)]
        if not group:
            continue
        text = message(event, action=action, part=part, at=at, arranged=arranged, **context)
        rows += [
            Notification(
                recipient_id=pk,
                escalation=escalation,
                occurrence=occurrence if action is None and event not in REPEATABLE else None,
                discussion=discussion,
                action=action,
                kind=event.value,
                message=text,
                email_not_before=not_before,
            )
            for pk in group
        ]
    # Sorted: concurrent inserts take the unique-index locks in one order.
    rows.sort(key=lambda row: row.recipient_id)
    Notification.objects.bulk_create(rows, ignore_conflicts=True, batch_size=Notification.WRITE_BATCH)
    return recipients


def tell_passed_over(*, escalation, passed: Iterable, arrived, acting_user, at: datetime, route_label: str) -> None:
    """The holders of each stage a route took the case through at once (Plymouth: "it may be
    required to instigate all of the stages within a short period of time") hear that it went
    past them and where it is now: they may open it, and the stage it reached holds it. Those
    who hold the stage it reached have their own notice."""
    people = People()
    already = people.stage_holders(escalation, arrived.policy_stage) | {getattr(acting_user, "pk", None)}
    not_before = _email_not_before(escalation, at, urgent=escalation.urgency in URGENT)
    rows = []
    for occurrence in passed:
        recipients = active(people.stage_holders(escalation, occurrence.policy_stage) - already)
        already |= set(recipients)
        text = (
            f"{escalation.reference}: {_name(acting_user)} took it through {stage_label(occurrence)} to "
            f"{stage_label(arrived)} at once, by the policy's route ({route_label.lower()}). It is due there by "
            f"{_due(arrived)}, and the people at that stage hold it. This is for your information: nothing is "
            f"needed from you now. Open it: {escalation_link(escalation)}"
        )
        rows += [
            Notification(
                recipient_id=pk,
                escalation=escalation,
                occurrence=occurrence,
                kind=Event.ESCALATED.value,
                message=text,
                email_not_before=not_before,
            )
            for pk in recipients
        ]
    rows.sort(key=lambda row: (row.recipient_id, row.occurrence_id))
    Notification.objects.bulk_create(rows, ignore_conflicts=True, batch_size=Notification.WRITE_BATCH)


def tell_action_owners(*, escalation, occurrence, actions: Iterable, acting_user, at: datetime, people=None) -> None:
    people = people or People()
    for action in actions:
        if action.owner_id:
            tell(
                Event.ACTION_ASSIGNED,
                escalation=escalation,
                occurrence=occurrence,
                acting_user=acting_user,
                at=at,
                action=action,
                people=people,
            )


def tell_chair_of_policy_gaps(*, escalation, occurrence, acting_user, at: datetime, people=None) -> list[int]:
    """A resolution that names gaps or weaknesses in the partnership's policies or procedures is
    brought to the attention of its chair (St Helens: "this must be brought to the attention of
    the chair of the Board"), whatever the policy: the chair answers for every policy."""
    people = people or People()
    recipients = active(people.chairs(escalation) - {getattr(acting_user, "pk", None)})
    text = (
        f"{escalation.reference}: the resolution recorded at {stage_label(occurrence)} by {_name(acting_user)} "
        "names gaps or weaknesses in the partnership's policies or procedures, for the chair's attention. "
        f"Read them on the resolution record. Open it: {escalation_link(escalation)}"
    )
    not_before = _email_not_before(escalation, at, urgent=False)
    Notification.objects.bulk_create(
        [
            Notification(
                recipient_id=pk,
                escalation=escalation,
                occurrence=occurrence,
                kind=NotificationKind.POLICY_GAPS,
                message=text,
                email_not_before=not_before,
            )
            for pk in sorted(recipients)
        ],
        ignore_conflicts=True,
        batch_size=Notification.WRITE_BATCH,
    )
    return sorted(recipients)
