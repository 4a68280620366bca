"""What needs a person now: the work list on their home page.

Who holds a stage and who may do what come from their one places (escalation.holders,
escalation.permissions and the state machine's own permission checks); this module only asks
them about the cases a person might hold, with the reads they need done once for all the
cases (one People lookup, each policy's stages once, the open stages and panels in one query
each), so the page costs the same number of queries for two cases or two hundred.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django_fsm import has_transition_perm

from escalation import partnership_stage, permissions
from escalation.figures import missed_q
from escalation.holders import People
from escalation.models import Action, Escalation, Notification, NotificationKind, StageOccurrence
from escalation.rows import deadline_status, with_days_left
from escalation.selectors import escalations_visible_to
from escalation.states import ActionStatus, State
from escalation.wording import stage_title
from partnerships.choices import AGENCY_ROLES, TIMED_DISCUSSIONS, Role, StepEvent
from partnerships.selectors import memberships_of, tier_rank

ORGANISERS = {Role.BUSINESS_MANAGER, Role.CHAIR}
SHOWN = 10  # of what they raised, what they follow and what waits at the partnership stage

# What the person is asked to do, as the home page groups it.
ACKNOWLEDGE, DECIDE, RECORD = "acknowledge", "decide", "record"
WATCHER_KINDS = [NotificationKind.WARNING, NotificationKind.BREACH, NotificationKind.ACTION_OVERDUE]


@dataclass
class WorkItem:
    todo: str  # ACKNOWLEDGE, DECIDE or RECORD
    what: str  # "Acknowledge", "Record the discussion" …
    escalation: Escalation
    url: str
    due_at: datetime | None = None  # a stage's deadline
    due_on: date | None = None  # an agreed action's day
    detail: str = ""

    @property
    def due_day(self) -> date | None:
        return timezone.localtime(self.due_at).date() if self.due_at else self.due_on

    def is_overdue(self, now: datetime) -> bool:
        if self.due_at:
            return self.due_at < now
        return self.due_on is not None and self.due_on < timezone.localtime(now).date()


@dataclass
class WorkGroup:
    key: str
    title: str
    items: list[WorkItem] = field(default_factory=list)


@dataclass
class Waiting:
    count: int
    shown: list[Escalation]


def group_by_deadline(items: list[WorkItem], now: datetime) -> list[WorkGroup]:
    """Overdue, due today, due this week (to Sunday), later: the order a busy person works in.
    Empty groups are left out."""
    today = timezone.localtime(now).date()
    end_of_week = today + timedelta(days=6 - today.weekday())
    groups = {
        "overdue": WorkGroup("overdue", "Overdue"),
        "today": WorkGroup("today", "Due today"),
        "week": WorkGroup("week", "Due this week"),
        "later": WorkGroup("later", "Due later"),
    }
    for item in sorted(
        items, key=lambda i: (i.due_day or date.max, i.due_at or datetime.max.replace(tzinfo=now.tzinfo))
    ):
        day = item.due_day
        if item.is_overdue(now):
            key = "overdue"
        elif day == today:
            key = "today"
        elif day is not None and day <= end_of_week:
            key = "week"
        else:
            key = "later"
        groups[key].items.append(item)
    return [g for g in groups.values() if g.items]


def _candidates(user) -> list[Escalation]:
    """Open cases the person might hold: their agencies' cases, the partnership stage of the
    partnerships they organise or sit for, and cases they were told of (St Helens' Director of
    Children's Services holds a stage whether or not their agency is a party). Within what they
    may see."""
    memberships = memberships_of(user)
    agencies = {m.agency_id for m in memberships if m.agency_id}
    partnerships = {m.partnership_id for m in memberships if m.agency_id is None}
    mine = Q(raising_agency_id__in=agencies) | Q(receiving_agency_id__in=agencies)
    mine |= Q(partnership_id__in=partnerships, raising_tier_reached=tier_rank("partnership"))
    mine |= Q(pk__in=Notification.objects.filter(recipient=user).values("escalation_id"))
    found = list(
        escalations_visible_to(user)
        .open()
        .filter(mine)
        .select_related("partnership", "policy", "raising_agency", "receiving_agency")
        .order_by("current_due_at", "pk")
    )
    _read_once(found)
    return found


def _read_once(escalations: list[Escalation]) -> None:
    """Share what every case would otherwise read for itself: one People lookup (both agencies
    of every case in one query), each policy's stages once, the open stage of each in one
    query, and the panels arranged in two."""
    people = People()
    people.load_agencies(*{a for e in escalations for a in (e.raising_agency_id, e.receiving_agency_id)})
    policies = {}
    for e in escalations:
        e.policy = policies.setdefault(e.policy_id, e.policy)
        e.__dict__["_people"] = people  # what permissions.people() reads
    occurrences = {
        o.escalation_id: o
        for o in StageOccurrence.objects.filter(
            escalation_id__in=[e.pk for e in escalations], closed_at__isnull=True
        ).select_related("policy_stage")
    }
    for e in escalations:
        # What stage_history() leaves for current_occurrence(): the open stage, read already.
        e.__dict__["_stage_history_current"] = ((e.state, e.stage_number), occurrences.get(e.pk))
    people.preload_seats([e for e in escalations if e.current_occurrence() and _at_partnership(e)])


def _at_partnership(escalation) -> bool:
    return escalation.current_occurrence().policy_stage.is_partnership_stage


def _stage_items(escalation, user) -> list[WorkItem]:
    """What this person is asked to do on this case now, by the rules of who may do what."""
    occurrence = escalation.current_occurrence()
    if occurrence is None:
        return []
    stage = occurrence.policy_stage
    url = reverse("escalation:detail", args=[escalation.public_id])
    stage_text = stage_title(occurrence.number, stage.name)
    item = {"escalation": escalation, "due_at": occurrence.due_at, "detail": stage_text}
    if escalation.state == State.RAISED and has_transition_perm(escalation.acknowledge, user):
        return [
            WorkItem(
                ACKNOWLEDGE, "Acknowledge", url=reverse("escalation:acknowledge", args=[escalation.public_id]), **item
            )
        ]
    if stage.is_partnership_stage and not permissions.arranged(escalation):
        if partnership_stage.may_arrange(escalation, user):
            return [WorkItem(DECIDE, "Arrange the partnership's review", url=url, **item)]
        return []
    if (stage.is_partnership_stage or stage.met_by == StepEvent.DECISION) and not occurrence.decision.strip():
        if permissions.may_decide(escalation, user):
            return [WorkItem(DECIDE, "Record the decision", url=url, **item)]
        return []
    if not permissions.can_record_discussion(escalation, user):
        return []
    if (
        stage.met_by in TIMED_DISCUSSIONS
        and occurrence.step_met_at is None
        and permissions.meets_the_step_by_discussion(escalation, user)
    ):
        return [WorkItem(RECORD, "Record the discussion", url=url, **item)]
    if permissions.is_raiser(escalation, user) or escalation.state == State.RAISED:
        return []  # the raiser follows it under "What you raised"; an unacknowledged stage waits
    return [WorkItem(RECORD, "Record what was agreed, then resolve or escalate", url=url, **item)]


def _action_items(user) -> list[WorkItem]:
    actions = (
        Action.objects.filter(owner=user, status=ActionStatus.OPEN)
        .exclude(escalation__state=State.WITHDRAWN)
        .select_related("escalation")
        .order_by("due_on", "pk")
    )
    return [
        WorkItem(
            RECORD,
            "Agreed action",
            escalation=a.escalation,
            url=reverse("escalation:detail", args=[a.escalation.public_id]) + "#actions",
            due_on=a.due_on,
            detail=a.description[:120],
        )
        for a in actions
    ]


def work_for(user) -> list[WorkItem]:
    items = []
    for escalation in _candidates(user):
        items += _stage_items(escalation, user)
    return items + _action_items(user)


def watcher_last_recorded(partnership_ids) -> Notification | None:
    """The latest notice the watcher wrote (a warning, a missed deadline or an overdue action) in
    these partnerships says when it last acted on one of their cases. (Its runs are recorded in
    escalation.watchdog, whether or not it found anything.)"""
    return (
        Notification.objects.filter(kind__in=WATCHER_KINDS, escalation__partnership_id__in=partnership_ids)
        .select_related("escalation")
        .order_by("-created_at")
        .first()
    )


def home_context(user, *, now: datetime | None = None) -> dict:
    """Everything the home page shows, in the order it shows it. Other blocks of the page
    (drafts, …) add their keys here, so the view stays one line."""
    now = now or timezone.now()
    memberships = memberships_of(user)
    roles = {Role(m.role) for m in memberships}
    context = {
        "memberships": memberships,
        "is_agency_staff": bool(roles & AGENCY_ROLES),
        "is_practitioner": Role.PRACTITIONER in roles,
        # Each role's own words where the page has nothing to show it.
        "organises": bool(roles & ORGANISERS),
        "sits_on_panels": Role.PANEL_MEMBER in roles,
        "audits": Role.AUDITOR in roles,
    }
    if not memberships:
        return context
    items = work_for(user)
    in_work = {i.escalation.pk for i in items}
    # With the partnership: each deadline is counted on its own partnership's calendar (below).
    visible = escalations_visible_to(user).open().select_related("receiving_agency", "raising_agency", "partnership")
    raised = visible.filter(raised_by=user).order_by("current_due_at", "pk")
    told = Notification.objects.filter(recipient=user).values("escalation_id")
    following = visible.filter(pk__in=told).exclude(raised_by=user).exclude(pk__in=in_work).order_by("current_due_at")
    context.update(
        {
            "work_groups": group_by_deadline(items, now),
            "work_counts": {todo: sum(1 for i in items if i.todo == todo) for todo in (ACKNOWLEDGE, DECIDE, RECORD)},
            "raised": Waiting(raised.count(), list(raised[:SHOWN])),
            "following": Waiting(following.count(), list(following[:SHOWN])),
            "open_count": visible.count(),
        }
    )
    organised = sorted({m.partnership_id for m in memberships if m.agency_id is None and Role(m.role) in ORGANISERS})
    if organised:
        waiting = visible.filter(partnership_id__in=organised, raising_tier_reached=tier_rank("partnership"))
        context["partnership_waiting"] = Waiting(waiting.count(), list(waiting.order_by("current_due_at")[:SHOWN]))
        context["watcher_last"] = watcher_last_recorded(organised)
        if context["watcher_last"] is None:
            # No notice from the watcher does not mean no missed deadline: some are recorded
            # without one (stages closed late, a history loaded). The dashboard's rule decides.
            context["missed_on_record"] = StageOccurrence.objects.filter(
                missed_q(now), partnership_id__in=organised
            ).exists()
    _with_deadline_status(
        [e for key in ("raised", "following", "partnership_waiting") if key in context for e in context[key].shown]
    )
    return context


def _with_deadline_status(escalations: list[Escalation]) -> None:
    """Each listed case's 'Overdue by N working days', 'Due today' or 'N working days left'
    (`deadline_status`), by the rule and in the words of the escalation lists (escalation.rows),
    every partnership's calendar read in one query."""
    with_days_left(escalations)
    for e in escalations:
        e.deadline_status = deadline_status(e) if e.current_due_at else ""
