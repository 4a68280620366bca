"""What a number on the oversight pages counts, and the shape it takes.

Shared by the dashboard (`escalation.dashboard`), the lists behind its numbers and the quarterly
learning report (`escalation.learning_report`), so that a number and its list agree and the
report counts as the dashboard does:
- a stage's deadline was *missed* (a breach) when it closed late, or the watcher recorded a
  breach, or it is still open past its deadline; it was *met* when it closed on time with no
  breach; otherwise it is still running;
- *overdue now*: open, with the open stage's deadline passed;
- the *date range* is when the escalation was raised, in whole London days;
- *agency* means either side of the disagreement; *stage* is the stage reached.

Durations are working days on the partnership's own calendar, from a running total
(WorkingDays): grouped raised/resolved date pairs cost one pass, not one calendar walk each.
A dashboard figure is a table (Figure, Row, Cell) whose counts link to their lists and which
also feeds the chart.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from escalation.models import Escalation, StageOccurrence
from escalation.states import OPEN_STATES, Category, State
from escalation.wording import stage_title
from partnerships.choices import Tier, Urgency
from partnerships.models import PolicyStage
from partnerships.selectors import tier_rank

LONDON = ZoneInfo("Europe/London")
PARTNERSHIP_RANK = tier_rank(Tier.PARTNERSHIP)


def start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=LONDON)


def uk_date(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def month_end(first: date) -> date:
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def local_date(value) -> date:
    if isinstance(value, datetime):
        return (timezone.localtime(value, LONDON) if timezone.is_aware(value) else value).date()
    return value


# --- what is counted --------------------------------------------------------------------


def missed_q(now: datetime, prefix: str = "") -> Q:
    """On StageOccurrence (or through `prefix`): the stage's timed step was missed: the event
    the policy times (the discussion held, the mediation offered, the decision, or else the
    stage's end) did not happen by the deadline."""
    p = prefix
    return (
        Q(**{f"{p}timescale_met": False})
        | Q(**{f"{p}breached_at__isnull": False})
        | Q(**{f"{p}closed_at__isnull": True, f"{p}step_met_at__isnull": True, f"{p}due_at__lt": now})
    )


def met_q(now: datetime) -> Q:
    """The stage's timed step was met: closed in time, or its timed event happened in time
    (a stage can go on after its step is done: the plan agreed is being carried out)."""
    closed_in_time = Q(closed_at__isnull=False, timescale_met=True, breached_at__isnull=True)
    step_in_time = Q(closed_at__isnull=True, breached_at__isnull=True, step_met_at__lte=F("due_at"))
    return closed_in_time | step_in_time


def open_q() -> Q:
    return Q(state__in=OPEN_STATES)


def overdue_q(now: datetime) -> Q:
    return Q(state__in=OPEN_STATES, current_due_at__lt=now)


STATUSES = {
    "open": ("Open now", lambda now: open_q()),
    "overdue": ("Overdue now", overdue_q),
    "resolved": ("Resolved", lambda now: Q(resolved_at__isnull=False)),
    "withdrawn": ("Withdrawn", lambda now: Q(state=State.WITHDRAWN)),
    "partnership": ("Reached the partnership stage", lambda now: Q(raising_tier_reached__gte=PARTNERSHIP_RANK)),
}


# --- the filters, and the list behind a number ----------------------------------------------


@dataclass(frozen=True)
class Scope:
    """The dashboard's filters: one partnership, narrowed by the GET form."""

    partnership: object
    raised_from: date | None = None
    raised_to: date | None = None
    agency: object | None = None
    category: str = ""
    urgency: str = ""
    stage: int | None = None
    # For someone overseeing several partnerships, links name the partnership too.
    partnership_in_links: bool = False

    def q(self, prefix: str = "", *, own_partnership: bool = False) -> Q:
        """The filters on escalations, or through `prefix` on rows that lead to them. With
        `own_partnership` the rows name the partnership themselves (StageOccurrence), so a
        scope with no other filter reads them without joining the escalations."""
        p = prefix
        q = (
            Q(partnership_id=self.partnership.pk)
            if own_partnership
            else Q(**{f"{p}partnership_id": self.partnership.pk})
        )
        if self.raised_from:
            q &= Q(**{f"{p}raised_at__gte": start_of(self.raised_from)})
        if self.raised_to:
            q &= Q(**{f"{p}raised_at__lt": start_of(self.raised_to + timedelta(days=1))})
        if self.agency is not None:
            q &= Q(**{f"{p}raising_agency_id": self.agency.pk}) | Q(**{f"{p}receiving_agency_id": self.agency.pk})
        if self.category:
            q &= Q(**{f"{p}category": self.category})
        if self.urgency:
            q &= Q(**{f"{p}urgency": self.urgency})
        if self.stage is not None:
            q &= Q(**{f"{p}stage_number": self.stage})
        return q

    def escalations(self) -> QuerySet[Escalation]:
        return Escalation.objects.filter(self.q())

    def params(self) -> dict[str, str]:
        """The filters as the GET form spells them (for links that keep them)."""
        params = {"partnership": self.partnership.slug} if self.partnership_in_links else {}
        if self.raised_from:
            params["raised_from"] = uk_date(self.raised_from)
        if self.raised_to:
            params["raised_to"] = uk_date(self.raised_to)
        if self.agency is not None:
            params["agency"] = str(self.agency.public_id)
        if self.category:
            params["category"] = self.category
        if self.urgency:
            params["urgency"] = self.urgency
        if self.stage is not None:
            params["stage"] = str(self.stage)
        return params

    def within(self, first: date, last: date) -> tuple[date, date]:
        """A period (a month, a quarter) clipped to the date range."""
        return max(first, self.raised_from or first), min(last, self.raised_to or last)

    def describe(self, agencies=None, stages=None) -> list[str]:
        parts = []
        if self.raised_from or self.raised_to:
            since = f"from {self.raised_from:%-d %B %Y}" if self.raised_from else ""
            until = f"to {self.raised_to:%-d %B %Y}" if self.raised_to else ""
            parts.append(f"Raised {since} {until}".replace("  ", " ").strip())
        if self.agency is not None:
            parts.append(f"Involving {self.agency.name}")
        if self.category:
            parts.append(f"Category: {Category(self.category).label}")
        if self.urgency:
            parts.append(f"Urgency: {Urgency(self.urgency).label}")
        if self.stage is not None:
            parts.append(f"Stage reached: {stage_name(self.stage, stages or {})}")
        return parts


@dataclass(frozen=True)
class Drill:
    """What a number on the dashboard counts, on top of the scope: the list behind it."""

    status: str = ""
    missed_stage: int | None = None
    met_stage: int | None = None
    resolved_stage: int | None = None
    missed: bool = False
    party: object | None = None
    side: str = ""  # "raising" or "receiving", with party
    pair: tuple | None = None  # two agencies, either way round

    def q(self, now: datetime) -> Q:
        q = Q()
        if self.status in STATUSES:
            q &= STATUSES[self.status][1](now)
        for number, condition in ((self.missed_stage, missed_q(now)), (self.met_stage, met_q(now))):
            if number is not None:
                q &= Q(Exists(StageOccurrence.objects.filter(condition, escalation=OuterRef("pk"), number=number)))
        if self.missed:
            q &= Q(Exists(StageOccurrence.objects.filter(missed_q(now), escalation=OuterRef("pk"))))
        if self.resolved_stage is not None:
            q &= Q(resolution__stage_resolved=self.resolved_stage)
        if self.party is not None:
            if self.side == "raising":
                q &= Q(raising_agency_id=self.party.pk)
            elif self.side == "receiving":
                q &= Q(receiving_agency_id=self.party.pk)
            else:
                q &= Q(raising_agency_id=self.party.pk) | Q(receiving_agency_id=self.party.pk)
        if self.pair is not None:
            a, b = self.pair
            q &= Q(raising_agency_id=a.pk, receiving_agency_id=b.pk) | Q(
                raising_agency_id=b.pk, receiving_agency_id=a.pk
            )
        return q

    def describe(self, stages=None) -> list[str]:
        stages = stages or {}
        parts = []
        if self.status in STATUSES:
            parts.append(STATUSES[self.status][0])
        if self.missed_stage is not None:
            parts.append(f"Deadline missed at {stage_name(self.missed_stage, stages)}")
        if self.met_stage is not None:
            parts.append(f"Deadline met at {stage_name(self.met_stage, stages)}")
        if self.missed:
            parts.append("A deadline was missed at some stage")
        if self.resolved_stage is not None:
            parts.append(f"Resolved at {stage_name(self.resolved_stage, stages)}")
        if self.party is not None:
            side = {"raising": "Raised by", "receiving": "Raised with"}.get(self.side, "Involving")
            parts.append(f"{side} {self.party.name}")
        if self.pair is not None:
            parts.append(f"Between {self.pair[0].name} and {self.pair[1].name}")
        return parts


def drill_queryset(scope: Scope, drill: Drill, now: datetime | None = None) -> QuerySet[Escalation]:
    return scope.escalations().filter(drill.q(now or timezone.now()))


def list_url(scope: Scope, **params) -> str:
    """The drill-down list for a number: the scope's filters plus what the number counts.
    Keyword values replace the scope's (e.g. a month's dates); None drops a filter."""
    query = scope.params()
    for key, value in params.items():
        if value is None:
            query.pop(key, None)
        elif isinstance(value, date):
            query[key] = uk_date(value)
        else:
            query[key] = str(value)
    return reverse("dashboard:list") + ("?" + urlencode(sorted(query.items())) if query else "")


# --- stages ------------------------------------------------------------------------------------


def policy_stages(partnership) -> dict:
    """{number: name} of the partnership's policy (one query, without loading the policy)."""
    rows = PolicyStage.objects.filter(policy_id=partnership.policy_id).order_by("number")
    return dict(rows.values_list("number", "name"))


def stage_short(number: int) -> str:
    return f"Stage {number}"


def stage_name(number: int, stages: dict) -> str:
    """'Stage 2: direct manager to manager discussion', without saying 'Stage 2' twice."""
    return stage_title(number, stages.get(number) or "")


# --- working days --------------------------------------------------------------------------


class WorkingDays:
    """Working days between two dates on one calendar, as `working_days_between` counts them,
    from a running total over the span (one pass however many date pairs are asked about)."""

    def __init__(self, calendar, first: date, last: date):
        self.first = first
        self.cumulative = [0]
        day, total = first, 0
        while day < last:
            day += timedelta(days=1)
            total += calendar.is_working_day(day)
            self.cumulative.append(total)

    def between(self, start: date, end: date) -> int:
        return self.cumulative[(end - self.first).days] - self.cumulative[(start - self.first).days]


def weighted_median(counts: dict) -> float | None:
    """Median of values given as {value: how many times}."""
    total = sum(counts.values())
    if not total:
        return None
    ordered = sorted(counts.items())

    def nth(k):
        running = 0
        for value, n in ordered:
            running += n
            if running > k:
                return value

    return (nth((total - 1) // 2) + nth(total // 2)) / 2


def days_to_resolution(calendar, rows) -> dict:
    """rows of (key, raised date, resolved date, count) -> {key: {working days: count}}."""
    rows = list(rows)
    found: dict = defaultdict(lambda: defaultdict(int))
    if not rows:
        return found
    first = min(min(r[1], r[2]) for r in rows)
    last = max(max(r[1], r[2]) for r in rows)
    days = WorkingDays(calendar, first, last)
    for key, raised, resolved, n in rows:
        found[key][max(days.between(raised, resolved), 0)] += n
    return found


def merged(per_key: dict) -> dict:
    total: dict = defaultdict(int)
    for counts in per_key.values():
        for value, n in counts.items():
            total[value] += n
    return total


def percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


# --- the shape of a figure ---------------------------------------------------------------


@dataclass
class Cell:
    value: int | float | None
    url: str = ""
    unit: str = ""  # "%" or ""
    blank: bool = False  # nothing to say here (the cell is left empty)

    @property
    def text(self) -> str:
        if self.blank:
            return ""
        if self.value is None:
            return "Not applicable"
        if isinstance(self.value, float):
            shown = f"{self.value:.1f}".removesuffix(".0")
        else:
            shown = f"{self.value:,}"
        return shown + self.unit


@dataclass
class Row:
    label: str
    cells: list[Cell]
    short: str = ""  # the chart's axis label, if shorter than the table's


@dataclass
class Figure:
    key: str
    title: str
    summary: str
    row_header: str
    columns: list[str]
    rows: list[Row]
    chart: str = "bar"  # bar, stacked, horizontal, line
    charted: tuple[int, ...] = (0,)
    total: Row | None = None
    empty: str = "Nothing to show for these filters."

    def table(self) -> list[tuple[Row, list[tuple[str, Cell]]]]:
        """Each row with its cells named by their column (for the table's hidden link text)."""
        return [(row, list(zip(self.columns, row.cells, strict=True))) for row in self.rows]

    def total_cells(self) -> list[tuple[str, Cell]]:
        return list(zip(self.columns, self.total.cells, strict=True)) if self.total else []

    @property
    def chart_id(self) -> str:
        return f"chart-data-{self.key}"

    def chart_data(self) -> dict:
        return {
            "type": self.chart,
            "title": self.title,
            "labels": [row.short or row.label for row in self.rows],
            "datasets": [
                {
                    "label": self.columns[i],
                    "unit": self.rows[0].cells[i].unit if self.rows else "",
                    "data": [row.cells[i].value for row in self.rows],
                }
                for i in self.charted
            ],
        }
