"""The deadline watcher: warnings before a stage's deadline, breaches after it, overdue actions.

Modelled on healthchecks' `sendalerts`. Due rows come from partial indexes
(StageOccurrence `open_unbreached_due`, Action `open_actions_due`). Each row is *claimed*
with a conditional UPDATE and acted on only by the watcher whose UPDATE changed it, so two
watchers at once, or a rerun after downtime, never act twice. The claim, the entry on the
child's file and the notification rows are one transaction (an outbox); the notification
table's unique constraints make each row exactly-once even if the claim were bypassed.
Delivery is separate: `escalation.notifications.deliver_pending`.

Nothing here puts a child's name or any other personal detail in a notification: messages
are built from the escalation's reference, the stage, the deadline and a link only.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from celery.exceptions import SoftTimeLimitExceeded
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from cases.models import RecordEntryKind
from escalation import services
from escalation.conversation import managers_involved
from escalation.holders import People, active
from escalation.models import Action, Escalation, Notification, NotificationKind, StageOccurrence
from escalation.states import ActionStatus, State
from escalation.watchdog import record_heartbeat
from escalation.wording import (  # noqa: F401
    day_text,
    email_not_before,
    escalation_link,
    stage_in_text,
    stage_label,
    when,
)
from partnerships.calendar import WorkingCalendar
from partnerships.choices import BreachTarget, StepEvent, Urgency
from partnerships.models import Partnership, Policy, PolicyStage

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
LONDON = ZoneInfo("Europe/London")
URGENT = frozenset({Urgency.CHILD_PROTECTION.value, Urgency.IMMEDIATE_RISK.value})
AUTO_ESCALATE_EVIDENCE = "Moved automatically: the deadline was missed."


@dataclass
class WatchReport:
    warned: int = 0
    breached: int = 0
    auto_escalated: int = 0
    actions_overdue: int = 0
    notices: int = 0  # notification rows offered to the outbox (duplicates are ignored by the database)
    errors: int = 0

    def as_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        return ", ".join(f"{key.replace('_', ' ')} {value}" for key, value in self.as_dict().items())


# --- pure rules (unit-tested without a database) -----------------------------------------


def warning_horizon(calendar: WorkingCalendar, now: datetime, working_days: int) -> datetime:
    """Deadlines before this moment fall within `working_days` working days of today:
    the start of the (working_days + 1)th working day after today."""
    day = now.astimezone(calendar.tz).date()
    for _ in range(working_days + 1):
        day = calendar.next_working_day(day)
    return datetime.combine(day, time(0), tzinfo=calendar.tz)


def in_warning_window(calendar: WorkingCalendar, due_at: datetime, now: datetime, working_days: int) -> bool:
    """Not yet due, and no more than `working_days` working days after today (so with one day,
    a stage due at Monday's close is warned from the start of the Friday before)."""
    if due_at <= now:
        return False
    today = now.astimezone(calendar.tz).date()
    return calendar.working_days_between(today, due_at.astimezone(calendar.tz).date()) <= working_days


# Message builders read only the reference, the public id, the stage and the deadline:
# never the children, the concern or any free text that could name a child.


def warning_message(escalation, occurrence) -> str:
    event = StepEvent(getattr(occurrence.policy_stage, "met_by", StepEvent.STAGE_END) or StepEvent.STAGE_END)
    return (
        f"{escalation.reference}: {stage_label(occurrence)} is due by {when(occurrence.due_at)} (London time). "
        f"Still to do by then: {TO_DO[event]}. Open it: {escalation_link(escalation)}"
    )


# What the people holding a stage still have to do, by the event that meets its deadline.
TO_DO = {
    StepEvent.STAGE_END: "resolve it or move it on",
    StepEvent.ACKNOWLEDGEMENT: "acknowledge it",
    StepEvent.DISCUSSION: "hold the discussion the policy asks for and record it",
    StepEvent.ACKNOWLEDGED_PLAN: "acknowledge it, and agree a plan of action with the other agency and record it",
    StepEvent.ARRANGEMENT: "arrange the panel, mediation or review",
    StepEvent.DECISION: "record the decision",
}


# What had not happened when a step's deadline passed, by the event that meets it.
NOT_YET = {
    StepEvent.STAGE_END: "the stage was resolved or moved on",
    StepEvent.ACKNOWLEDGEMENT: "the stage was acknowledged",
    StepEvent.DISCUSSION: "a discussion was held and recorded",
    StepEvent.ACKNOWLEDGED_PLAN: "the stage was acknowledged and a plan agreed and recorded",
    StepEvent.ARRANGEMENT: "the panel, mediation or review was arranged",
    StepEvent.DECISION: "the decision was recorded",
}


def breach_message(escalation, occurrence, moved_to=None, next_stage=None, *, to_next_tier=False) -> str:
    """What was missed and what happens now: what the stage still needs, and where it goes if
    that cannot be done (the next tier, who are told and addressed as such; or, at the last
    stage, the business manager, who follows it up)."""
    event = StepEvent(getattr(occurrence.policy_stage, "met_by", StepEvent.STAGE_END) or StepEvent.STAGE_END)
    text = (
        f"{escalation.reference}: the deadline for {stage_label(occurrence)} passed at "
        f"{when(occurrence.due_at)} (London time) before {NOT_YET[event]}."
    )
    if moved_to is not None:
        text += (
            f" The policy moved it automatically to {stage_label(moved_to)}, due by "
            f"{when(moved_to.due_at)} (London time)."
        )
    elif next_stage is not None and to_next_tier:
        text += (
            f" You hold the next stage, {stage_in_text(next_stage.number, next_stage.name)}: follow it up with the "
            f"people holding it now and, if they cannot {TO_DO[event]} without delay, take it up at your stage."
        )
    elif next_stage is not None:
        text += (
            f" What happens now: the people holding it should {TO_DO[event]} without delay; if they cannot, "
            f"escalate it to {stage_in_text(next_stage.number, next_stage.name)}."
        )
    else:
        text += (
            f" What happens now: the people holding it should {TO_DO[event]} without delay; the partnership's "
            "business manager follows it up."
        )
    return text + f" Open it: {escalation_link(escalation)}"


def action_overdue_message(escalation, action, *, to_owner: bool = False) -> str:
    """Its owner is asked to do it; the managers are asked to follow it up (Bromley: line managers
    "monitor agreed actions"). Never what the action is: the e-mail carries no detail of the child."""
    due = day_text(action.due_on)
    if to_owner:
        text = (
            f"{escalation.reference}: an action agreed in this escalation and given to you was due on {due} and "
            "is still open. Do it, or agree a new date with the people holding the escalation, and mark it done "
            "on the escalation."
        )
    else:
        owner = action.owner_name or "its owner"
        text = (
            f"{escalation.reference}: an action agreed in this escalation was due on {due} and is still open. "
            f"It is {owner}'s: follow it up with them and see that it is done."
        )
    return text + f" Open it: {escalation_link(escalation)}"


# --- who holds what --------------------------------------------------------------------------


class _Run(People):
    """What one watcher run reads repeatedly: calendars, policy stages and people, cached."""

    def __init__(self, now: datetime):
        super().__init__()
        self.now = now
        self._calendars: dict[int, WorkingCalendar] = {}
        self._stages: dict[int, dict[int, PolicyStage]] = {}

    def calendar(self, partnership: Partnership) -> WorkingCalendar:
        if partnership.pk not in self._calendars:
            self._calendars[partnership.pk] = partnership.working_calendar()
        return self._calendars[partnership.pk]

    def stage(self, policy_id: int, number: int) -> PolicyStage | None:
        if policy_id not in self._stages:
            self._stages[policy_id] = {s.number: s for s in PolicyStage.objects.filter(policy_id=policy_id)}
        return self._stages[policy_id].get(number)

    def breach_recipients(self, escalation: Escalation, stage: PolicyStage, next_stage: PolicyStage | None) -> set[int]:
        targets = set(stage.breach_targets)
        people: set[int] = set()
        if BreachTarget.NEXT_TIER in targets and next_stage is None:
            people |= self.business_managers(escalation)
        elif BreachTarget.NEXT_TIER in targets and not (stage.is_partnership_stage or stage.holder_roles("receiver")):
            # The other agency has taken no part yet (St Helens stage one: consulting your own
            # manager): the miss stays within the raiser's agency, told to those who held it.
            people |= self.raising_side(escalation, next_stage) | self.raising_side(escalation, stage)
        elif BreachTarget.NEXT_TIER in targets:
            people |= self.stage_holders(escalation, next_stage)
        if BreachTarget.RAISER in targets:
            people.add(escalation.raised_by_id)
        if BreachTarget.BUSINESS_MANAGER in targets or escalation.urgency in URGENT or next_stage is None:
            people |= self.business_managers(escalation)
        return people

    def not_before(self, escalation: Escalation) -> datetime:
        return email_not_before(
            self.calendar(escalation.partnership),
            self.now,
            urgent=escalation.urgency in URGENT,
            hold_out_of_hours=escalation.partnership.hold_out_of_hours_email,
        )


_active = active


def write_notices(
    *,
    escalation: Escalation,
    kind: str,
    recipient_ids: Iterable[int],
    message: str,
    not_before: datetime,
    occurrence: StageOccurrence | None = None,
    action: Action | None = None,
) -> int:
    """Offer one outbox row per recipient. ON CONFLICT DO NOTHING against the unique
    constraints (occurrence|action, kind, recipient): a row that exists is never written twice."""
    rows = [
        Notification(
            recipient_id=user_id,
            escalation=escalation,
            occurrence=occurrence,
            action=action,
            kind=kind,
            message=message,
            email_not_before=not_before,
        )
        # Sorted: concurrent inserts take the unique-index locks in one order.
        for user_id in sorted(set(recipient_ids))
    ]
    Notification.objects.bulk_create(rows, ignore_conflicts=True, batch_size=Notification.WRITE_BATCH)
    return len(rows)


# --- the scans -----------------------------------------------------------------------------


def _open_unbreached() -> QuerySet[StageOccurrence]:
    """Stages still being timed: open, not yet missed, and their timed event not yet happened.
    Exactly the partial index `open_unbreached_due`'s condition, so range scans on due_at use it."""
    return StageOccurrence.objects.filter(closed_at__isnull=True, breached_at__isnull=True, step_met_at__isnull=True)


def _pages(queryset: QuerySet, date_field: str, size: int) -> Iterator:
    """Keyset pagination on (date, pk): memory stays bounded during a catch-up, and a row that
    failed (or is not yet due a warning) is not fetched again in the same run."""
    last = None
    while True:
        page = queryset
        if last is not None:
            page = page.filter(**{f"{date_field}__gte": last[0]}).filter(
                Q(**{f"{date_field}__gt": last[0]}) | Q(pk__gt=last[1])
            )
        rows = list(page.order_by(date_field, "pk")[:size])
        yield from rows
        if len(rows) < size:
            return
        last = (getattr(rows[-1], date_field), rows[-1].pk)


def _guarded(report: WatchReport, what: str, pk: int, step, *args) -> None:
    """One bad row must not stop the watcher for every other child: log it, count it, go on.
    A Celery soft time limit still stops the run (the next run carries on from the database)."""
    try:
        step(*args)
    except SoftTimeLimitExceeded:
        raise
    except Exception:
        report.errors += 1
        logger.exception("Deadline watcher: %s %s failed", what, pk)


def _breach(run: _Run, report: WatchReport, occurrence: StageOccurrence) -> None:
    now = run.now
    with transaction.atomic(durable=True):
        # The claim: only the watcher whose UPDATE changes the row records the breach. The
        # deadline is re-checked too, in case a calendar change just moved it later.
        # A stage whose timed event already happened (step_met_at) is never missed.
        claimed = _open_unbreached().filter(pk=occurrence.pk, due_at__lt=now).update(breached_at=now)
        if claimed != 1:
            return
        escalation = Escalation.objects.select_related("partnership", "policy").get(pk=occurrence.escalation_id)
        stage = occurrence.policy_stage
        next_stage = run.stage(escalation.policy_id, occurrence.number + 1)
        recipients = _active(run.breach_recipients(escalation, stage, next_stage))
        services.record_on_files(
            escalation,
            RecordEntryKind.BREACHED,
            f"The deadline for {escalation.reference} {stage_label(occurrence)}, due by {when(occurrence.due_at)}, "
            f"was missed. The system notified {_names(recipients)}.",
            author=None,
        )
        moved_to = None
        if escalation.policy.auto_escalate_on_breach and next_stage is not None:
            moved_to = _auto_escalate(escalation, now)
        # The next tier is addressed as the people it may now come to; everyone else hears what
        # happens now.
        # (Someone who holds this stage too, such as a manager of an agency joining both, is told
        # what happens now, not to follow it up with themselves.)
        next_tier = (
            set(recipients) & (run.stage_holders(escalation, next_stage) - run.stage_holders(escalation, stage))
            if next_stage
            else set()
        )
        notices = 0
        for group, to_next_tier in ((next_tier, True), (set(recipients) - next_tier, False)):
            if group:
                notices += write_notices(
                    escalation=escalation,
                    occurrence=occurrence,
                    kind=NotificationKind.BREACH,
                    recipient_ids=group,
                    message=breach_message(escalation, occurrence, moved_to, next_stage, to_next_tier=to_next_tier),
                    not_before=run.not_before(escalation),
                )
    # Counted once committed.
    report.breached += 1
    report.auto_escalated += moved_to is not None
    report.notices += notices


def _auto_escalate(escalation: Escalation, now: datetime) -> StageOccurrence | None:
    """Through the state machine's service like any other move; the acting user is the system."""
    try:
        with transaction.atomic():
            fresh = Escalation.objects.get(pk=escalation.pk)
            services.escalation_escalate(
                escalation=fresh,
                acting_user=None,
                evidence=AUTO_ESCALATE_EVIDENCE,
                reason_not_met="The deadline was missed.",
                at=now,
            )
    except services.EscalationError as exc:
        logger.warning("Deadline watcher: could not move %s on automatically: %s", escalation.reference, exc)
        return None
    return fresh.current_occurrence()


def _names(user_ids: list[int]) -> str:
    users = get_user_model().objects.filter(pk__in=user_ids).order_by("last_name", "first_name", "username")
    names = [u.get_full_name() or u.get_username() for u in users]
    return ", ".join(names) if names else "nobody (no one holds the next tier)"


def _warn(run: _Run, report: WatchReport, occurrence: StageOccurrence) -> None:
    now = run.now
    escalation = occurrence.escalation
    calendar = run.calendar(escalation.partnership)
    if not in_warning_window(calendar, occurrence.due_at, now, escalation.policy.warning_working_days):
        return
    with transaction.atomic(durable=True):
        # The claim; due_at must be the one we judged, not one a calendar change just moved.
        claimed = (
            _open_unbreached()
            .filter(pk=occurrence.pk, warned_at__isnull=True, due_at=occurrence.due_at)
            .update(warned_at=now)
        )
        if claimed != 1:
            return
        recipients = run.stage_holders(escalation, occurrence.policy_stage) | {escalation.raised_by_id}
        notices = write_notices(
            escalation=escalation,
            occurrence=occurrence,
            kind=NotificationKind.WARNING,
            recipient_ids=_active(recipients),
            message=warning_message(escalation, occurrence),
            not_before=run.not_before(escalation),
        )
    report.warned += 1
    report.notices += notices


def _action_overdue(run: _Run, report: WatchReport, action: Action) -> None:
    with transaction.atomic(durable=True):
        claimed = Action.objects.filter(
            pk=action.pk, status=ActionStatus.OPEN, overdue_notified_at__isnull=True
        ).update(overdue_notified_at=run.now)
        if claimed != 1:
            return
        escalation = action.escalation
        # The managers who held a stage: they monitor agreed actions; with the agencies' people
        # holding it now, or, at the partnership stage, its business manager (who follows up its
        # decision), not every seat of its panel.
        latest = escalation.occurrences.select_related("policy_stage").order_by("-number").first()
        followers = managers_involved(run, escalation)
        if latest is not None and latest.policy_stage.is_partnership_stage:
            followers |= run.business_managers(escalation)
        elif latest is not None:
            followers |= run.stage_holders(escalation, latest.policy_stage)
        owner = {action.owner_id} if action.owner_id else set()
        notices = 0
        for recipients, to_owner in ((owner, True), (followers - owner, False)):
            notices += write_notices(
                escalation=escalation,
                action=action,
                kind=NotificationKind.ACTION_OVERDUE,
                recipient_ids=_active(recipients),
                message=action_overdue_message(escalation, action, to_owner=to_owner),
                not_before=run.not_before(escalation),
            )
    report.actions_overdue += 1
    report.notices += notices


def run_watcher(now: datetime | None = None, *, batch_size: int = BATCH_SIZE, runner: str = "") -> WatchReport:
    """One pass: breaches, then warnings, then overdue actions. Safe to run concurrently and
    to rerun; after downtime it catches up in one pass, `batch_size` rows in memory at a time.
    Each finished pass records the watcher's heartbeat (`runner`: what ran it)."""
    now = now or timezone.now()
    run = _Run(now)
    report = WatchReport()
    related = ("escalation__partnership", "escalation__policy", "policy_stage")

    overdue = _open_unbreached().filter(due_at__lt=now).select_related(*related)
    for occurrence in _pages(overdue, "due_at", batch_size):
        _guarded(report, "breach of stage occurrence", occurrence.pk, _breach, run, report, occurrence)

    longest = Policy.objects.aggregate(longest=Max("warning_working_days"))["longest"]
    if longest is not None:
        horizon = max((warning_horizon(run.calendar(p), now, longest) for p in Partnership.objects.all()), default=now)
        near = (
            _open_unbreached()
            .filter(due_at__gt=now, due_at__lt=horizon, warned_at__isnull=True)
            .select_related(*related)
        )
        for occurrence in _pages(near, "due_at", batch_size):
            _guarded(report, "warning for stage occurrence", occurrence.pk, _warn, run, report, occurrence)

    today = now.astimezone(LONDON).date()
    # The partial index `open_actions_due` (status open) on due_on.
    # A withdrawn disagreement's actions are nobody's to chase: it ended without them.
    late = (
        Action.objects.filter(status=ActionStatus.OPEN, due_on__lt=today, overdue_notified_at__isnull=True)
        .exclude(escalation__state=State.WITHDRAWN)
        .select_related("escalation__partnership")
    )
    for action in _pages(late, "due_on", batch_size):
        _guarded(report, "overdue action", action.pk, _action_overdue, run, report, action)

    if report.warned or report.breached or report.actions_overdue or report.errors:
        logger.info("Deadline watcher at %s: %s", now.isoformat(), report)
    record_heartbeat(runner)
    return report
