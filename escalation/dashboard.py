"""Partnership oversight figures: the dashboard, the lists behind its numbers, the learning report.

Every figure is an aggregate query (GROUP BY) on one partnership's escalations, so the
dashboard and the report run a fixed number of queries however many escalations there are.
Python only shapes the grouped rows (and turns raised/resolved date pairs into working days on
the partnership's own calendar for the median).

Definitions, shared by the figures and the drill-down lists so a number and its list agree:
- a stage's deadline was *missed* (a breach) when it closed late, or the watcher recorded a
  breach, or it is still open past its deadline; it was *met* when it closed on time with no
  breach; otherwise it is still running;
- *overdue now*: open, with the open stage's deadline passed;
- the *date range* is when the escalation was raised, in whole London days;
- *agency* means either side of the disagreement; *stage* is the stage reached.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.db.models import Count, Exists, Min, OuterRef, Q, QuerySet
from django.db.models.functions import TruncDate, TruncMonth
from django.urls import reverse
from django.utils import timezone

from escalation.models import Escalation, PartnershipReview, Resolution, StageOccurrence
from escalation.permissions import OVERSIGHT_ROLES
from escalation.states import OPEN_STATES, Category, State
from partnerships.choices import PanelRule, Role, Tier, Urgency
from partnerships.models import PolicyStage
from partnerships.selectors import memberships_of, tier_rank

LONDON = ZoneInfo("Europe/London")
PARTNERSHIP_RANK = tier_rank(Tier.PARTNERSHIP)
URGENCY_ORDER = [Urgency.STANDARD, Urgency.CHILD_PROTECTION, Urgency.IMMEDIATE_RISK]
TOP_PAIRS = 10
REPORT_PAGE_ROWS = 200
PANEL_LABELS = dict(PanelRule.choices)


def oversight_partnerships(user, roles=OVERSIGHT_ROLES) -> list:
    """Partnerships in which the user holds one of these partnership roles, by name."""
    found = {}
    for m in memberships_of(user):
        if m.agency_id is None and Role(m.role) in roles:
            found.setdefault(m.partnership_id, m.partnership)
    return sorted(found.values(), key=lambda p: p.name)


def start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=LONDON)


def uk_date(day: date) -> str:
    return day.strftime("%d/%m/%Y")


# --- what is counted --------------------------------------------------------------------


def missed_q(now: datetime, prefix: str = "") -> Q:
    """On StageOccurrence (or through `prefix`): the stage's deadline was missed."""
    p = prefix
    return (
        Q(**{f"{p}timescale_met": False})
        | Q(**{f"{p}breached_at__isnull": False})
        | Q(**{f"{p}closed_at__isnull": True, f"{p}due_at__lt": now})
    )


def met_q(now: datetime) -> Q:
    return Q(closed_at__isnull=False, timescale_met=True, breached_at__isnull=True)


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

    def q(self, prefix: str = "") -> Q:
        p = prefix
        q = Q(**{f"{p}partnership_id": self.partnership.pk})
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
            parts.append(f"Stage reached: {stage_label(self.stage, stages or {})}")
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
            parts.append(f"Deadline missed at {stage_label(self.missed_stage, stages)}")
        if self.met_stage is not None:
            parts.append(f"Deadline met at {stage_label(self.met_stage, stages)}")
        if self.missed:
            parts.append("A deadline was missed at some stage")
        if self.resolved_stage is not None:
            parts.append(f"Resolved at {stage_label(self.resolved_stage, stages)}")
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


def policy_stages(partnership) -> dict:
    """{number: name} of the partnership's policy (one query, without loading the policy)."""
    rows = PolicyStage.objects.filter(policy_id=partnership.policy_id).order_by("number")
    return dict(rows.values_list("number", "name"))


def stage_label(number: int, stages: dict) -> str:
    return stage_name(number, stages)


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


@dataclass
class Dashboard:
    scope: Scope
    now: datetime
    stages: dict
    headline: list[tuple[str, Cell]] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)


def _cell(scope: Scope, value, **params) -> Cell:
    """A count that links to its list (a zero has nothing to list)."""
    return Cell(value, list_url(scope, **params) if value else "")


def _month_end(first: date) -> date:
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def _local_date(value) -> date:
    if isinstance(value, datetime):
        return (timezone.localtime(value, LONDON) if timezone.is_aware(value) else value).date()
    return value


# --- the dashboard ---------------------------------------------------------------------------


def build_dashboard(scope: Scope, *, now: datetime | None = None, agencies=None, stages=None) -> Dashboard:
    """Every figure of the dashboard in a fixed number of aggregate queries.

    `agencies` ({pk: Agency}) and `stages` ({number: name}) may be passed in when the caller has
    them already (the filter form reads both); otherwise one query each.
    """
    now = now or timezone.now()
    partnership = scope.partnership
    if agencies is None:
        agencies = {a.pk: a for a in partnership.agencies.all()}
    if stages is None:
        stages = policy_stages(partnership)
    dashboard = Dashboard(scope=scope, now=now, stages=stages)
    escalations = scope.escalations()

    statuses = {key: Count("pk", filter=condition(now)) for key, (_, condition) in STATUSES.items()}
    # 1. The escalations grouped by (raising agency, receiving agency, category) with conditional
    #    counts: at most a few hundred rows, summed in Python into the headline, the agencies, the
    #    reasons and the pairs. "Missed a deadline" is an IN over the missed stages, which
    #    PostgreSQL runs as a hashed subplan (one scan of them, not one lookup per escalation).
    missed_ids = StageOccurrence.objects.filter(missed_q(now), escalation__partnership_id=partnership.pk)
    rows = list(
        escalations.values("raising_agency_id", "receiving_agency_id", "category")
        .annotate(
            raised=Count("pk"), **statuses, missed=Count("pk", filter=Q(pk__in=missed_ids.values("escalation_id")))
        )
        .order_by()
    )
    head = {key: sum(r[key] for r in rows) for key in ("raised", *STATUSES)}
    # 2. By month raised (a separate, narrow grouping keeps both as hash aggregates).
    months = list(
        escalations.annotate(month=TruncMonth("raised_at", tzinfo=LONDON))
        .values("month")
        .annotate(raised=Count("pk"), **statuses)
        .order_by()
    )
    # 3. Stage occurrences by stage: met, missed (breaches) and still running.
    by_stage = {
        row["number"]: row
        for row in StageOccurrence.objects.filter(scope.q("escalation__"))
        .values("number")
        .annotate(met=Count("pk", filter=met_q(now)), missed=Count("pk", filter=missed_q(now)))
    }
    # 4. Resolutions: (stage, raised day, resolved day) groups give counts and medians together.
    resolution_rows = (
        Resolution.objects.filter(scope.q("escalation__"))
        .values_list("stage_resolved", TruncDate("escalation__raised_at", tzinfo=LONDON), "resolved_on")
        .annotate(n=Count("pk"))
        .order_by()
    )
    # The calendar is read whether or not anything was resolved: the query count stays fixed.
    days = days_to_resolution(partnership.working_calendar(), resolution_rows)
    overall = merged(days)
    dashboard.headline = [
        ("Raised", Cell(head["raised"], list_url(scope) if head["raised"] else "")),
        ("Open now", _cell(scope, head["open"], status="open")),
        ("Overdue now", _cell(scope, head["overdue"], status="overdue")),
        ("Resolved", _cell(scope, head["resolved"], status="resolved")),
        ("Withdrawn", _cell(scope, head["withdrawn"], status="withdrawn")),
        ("Reached the partnership stage", _cell(scope, head["partnership"], status="partnership")),
        (
            "Median working days from raised to resolved",
            Cell(weighted_median(overall), list_url(scope, status="resolved") if overall else ""),
        ),
    ]
    numbers = sorted(set(stages) | set(by_stage) | set(days))
    dashboard.figures = [
        _open_by_stage(scope, now, escalations, numbers, stages),
        _adherence(scope, by_stage, numbers, stages),
        _stage_resolved(scope, days, numbers, stages, head["resolved"]),
        _by_agency(scope, rows, agencies),
        _reasons(scope, rows, head["raised"]),
        _pairs(scope, rows, agencies),
        *_trends(scope, months),
    ]
    return dashboard


def _short(number: int) -> str:
    return f"Stage {number}"


def _long(number: int, stages: dict) -> str:
    """'Stage 2: direct manager to manager discussion', without saying 'Stage 2' twice."""
    name = stages.get(number)
    if not name:
        return _short(number)
    return name if name.lower().startswith(f"stage {number}:") else f"Stage {number}: {name}"


stage_name = _long


def _open_by_stage(scope, now, escalations, numbers, stages) -> Figure:
    rows = (
        escalations.filter(open_q())
        .values("stage_number", "urgency")
        .annotate(n=Count("pk"), overdue=Count("pk", filter=Q(current_due_at__lt=now)))
    )
    grid = {(r["stage_number"], r["urgency"]): r for r in rows}
    urgencies = [u for u in URGENCY_ORDER if not scope.urgency or u == scope.urgency]
    shown = [n for n in numbers if scope.stage is None or n == scope.stage]
    table = []
    for number in shown:
        counts = [grid.get((number, u), {}).get("n", 0) for u in urgencies]
        overdue = sum(grid.get((number, u), {}).get("overdue", 0) for u in urgencies)
        cells = [
            _cell(scope, n, status="open", stage=number, urgency=u.value)
            for n, u in zip(counts, urgencies, strict=True)
        ]
        cells.append(_cell(scope, sum(counts), status="open", stage=number))
        cells.append(_cell(scope, overdue, status="overdue", stage=number))
        table.append(Row(_long(number, stages), cells, _short(number)))
    totals = [sum(r.cells[i].value for r in table) for i in range(len(urgencies) + 2)]
    total = Row(
        "All stages",
        [_cell(scope, n, status="open", urgency=u.value) for n, u in zip(totals, urgencies, strict=False)]
        + [_cell(scope, totals[-2], status="open"), _cell(scope, totals[-1], status="overdue")],
    )
    return Figure(
        key="open",
        title="Open escalations by stage and urgency",
        summary="Escalations open now, at the stage they have reached, and how many are past their deadline.",
        row_header="Stage",
        columns=[u.label for u in urgencies] + ["All open", "Overdue now"],
        rows=table,
        chart="stacked",
        charted=tuple(range(len(urgencies))),
        total=total,
    )


def _adherence(scope, by_stage, numbers, stages) -> Figure:
    table = []
    for number in numbers:
        row = by_stage.get(number, {"met": 0, "missed": 0})
        met, missed = row["met"], row["missed"]
        table.append(
            Row(
                _long(number, stages),
                [
                    _cell(scope, met, met_stage=number),
                    _cell(scope, missed, missed_stage=number),
                    Cell(percent(met, met + missed), unit="%"),
                ],
                _short(number),
            )
        )
    met = sum(r.cells[0].value for r in table)
    missed = sum(r.cells[1].value for r in table)
    return Figure(
        key="timescales",
        title="Timescales met and missed by stage",
        summary=(
            "For each stage the escalations passed through: deadlines met, deadlines missed (breaches: "
            "closed late, or still open past the deadline) and the share met. Stages still within their "
            "deadline are not counted yet."
        ),
        row_header="Stage",
        columns=["Deadline met", "Deadline missed", "Timescale adherence"],
        rows=table,
        charted=(2,),
        # Stage counts do not add up to a list of escalations (one may miss two deadlines), so the
        # total row gives the overall share only.
        total=Row(
            "All stages", [Cell(None, blank=True), Cell(None, blank=True), Cell(percent(met, met + missed), unit="%")]
        ),
    )


def _stage_resolved(scope, days, numbers, stages, resolved) -> Figure:
    table = []
    for number in numbers:
        counts = days.get(number, {})
        n = sum(counts.values())
        table.append(
            Row(
                _long(number, stages),
                [
                    _cell(scope, n, resolved_stage=number),
                    Cell(percent(n, resolved), unit="%"),
                    Cell(weighted_median(counts)),
                ],
                _short(number),
            )
        )
    return Figure(
        key="resolved",
        title="Stage at which escalations were resolved",
        summary="The policies expect most disagreements to be resolved at the early stages, between practitioners.",
        row_header="Stage",
        columns=["Resolved", "Share of resolved", "Median working days to resolution"],
        rows=table,
        total=Row(
            "All stages",
            [
                _cell(scope, resolved, status="resolved"),
                Cell(100.0 if resolved else None, unit="%"),
                Cell(weighted_median(merged(days))),
            ],
        ),
    )


def _by_agency(scope, rows, agencies) -> Figure:
    counts: dict = defaultdict(lambda: {"raising": 0, "receiving": 0, "missed": 0})
    for row in rows:
        for side in ("raising", "receiving"):
            entry = counts[row[f"{side}_agency_id"]]
            entry[side] += row["raised"]
            # The two sides are different agencies, so an escalation is counted once per agency.
            entry["missed"] += row["missed"]
    ordered = sorted(counts.items(), key=lambda item: (-item[1]["missed"], agencies[item[0]].name))
    table = [
        Row(
            agencies[pk].name,
            [
                _cell(scope, c["raising"], party=agencies[pk].public_id, side="raising"),
                _cell(scope, c["receiving"], party=agencies[pk].public_id, side="receiving"),
                _cell(scope, c["missed"], party=agencies[pk].public_id, missed=1),
            ],
        )
        for pk, c in ordered
    ]
    return Figure(
        key="agencies",
        title="Missed deadlines (breaches) by agency",
        summary=(
            "For each agency: escalations it raised, escalations raised with it, and escalations involving it "
            "in which a stage's deadline was missed."
        ),
        row_header="Agency",
        columns=["Raised by the agency", "Raised with the agency", "With a missed deadline"],
        rows=table,
        chart="horizontal",
        charted=(2,),
    )


def _reasons(scope, rows, raised) -> Figure:
    counts: dict = defaultdict(int)
    for row in rows:
        counts[row["category"]] += row["raised"]
    table = [
        Row(
            Category(category).label,
            [_cell(scope, n, category=category), Cell(percent(n, raised), unit="%")],
            _short_category(category),
        )
        for category, n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    ]
    return Figure(
        key="reasons",
        title="Main reasons for disagreement",
        summary="The category of each escalation raised.",
        row_header="Reason",
        columns=["Escalations", "Share"],
        rows=table,
        chart="horizontal",
    )


def _short_category(value: str) -> str:
    return Category(value).label.split(" (")[0]


def _pairs(scope, rows, agencies) -> Figure:
    pairs: dict = defaultdict(int)
    for r in rows:
        pairs[tuple(sorted((r["raising_agency_id"], r["receiving_agency_id"])))] += r["raised"]
    top = sorted(pairs.items(), key=lambda item: (-item[1], agencies[item[0][0]].name, agencies[item[0][1]].name))
    table = []
    for (a, b), n in top[:TOP_PAIRS]:
        first, second = sorted((agencies[a], agencies[b]), key=lambda agency: agency.name)
        table.append(
            Row(
                f"{first.name} and {second.name}",
                [_cell(scope, n, pair=f"{first.public_id},{second.public_id}")],
            )
        )
    return Figure(
        key="pairs",
        title="Agencies most often in disagreement",
        summary=f"The {TOP_PAIRS} pairs of agencies with the most escalations between them, either way round.",
        row_header="Agencies",
        columns=["Escalations"],
        rows=table,
        chart="horizontal",
    )


def _trends(scope, rows) -> list[Figure]:
    keys = ("raised", "resolved", "withdrawn", "open")
    by_month: dict = {}
    for r in rows:
        first = _local_date(r["month"]).replace(day=1)
        total = by_month.setdefault(first, dict.fromkeys(keys, 0))
        for key in keys:
            total[key] += r[key]
    months, quarters = [], {}
    for first, counts in sorted(by_month.items()):
        months.append((first, _month_end(first), first.strftime("%B %Y"), first.strftime("%b %Y"), counts))
        total = quarters.setdefault(Quarter.of(first), dict.fromkeys(keys, 0))
        for key in keys:
            total[key] += counts[key]

    def row(first, last, label, short, counts) -> Row:
        start, end = scope.within(first, last)
        period = {"raised_from": start, "raised_to": end}
        return Row(
            label,
            [
                _cell(scope, counts["raised"], **period),
                _cell(scope, counts["resolved"], status="resolved", **period),
                _cell(scope, counts["withdrawn"], status="withdrawn", **period),
                _cell(scope, counts["open"], status="open", **period),
            ],
            short,
        )

    columns = ["Raised", "Resolved", "Withdrawn", "Still open"]
    by_month = Figure(
        key="months",
        title="Trend by month",
        summary="Escalations by the month they were raised, and where they stand now.",
        row_header="Month raised",
        columns=columns,
        rows=[row(*m) for m in months],
        chart="line",
        charted=(0, 1),
    )
    by_quarter = Figure(
        key="quarters",
        title="Trend by quarter",
        summary="Escalations by the quarter they were raised, and where they stand now.",
        row_header="Quarter raised",
        columns=columns,
        rows=[row(q.first, q.last, q.label, q.short, counts) for q, counts in sorted(quarters.items())],
        charted=(0, 1),
    )
    return [by_month, by_quarter]


# --- quarters and the learning report -------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int

    @classmethod
    def of(cls, day: date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @classmethod
    def parse(cls, text: str) -> Quarter | None:
        """'2026-Q3' (or '2026-q3'); None if it is not a quarter."""
        year, _, number = (text or "").strip().upper().partition("-Q")
        if not (year.isdigit() and number in {"1", "2", "3", "4"} and 2000 <= int(year) <= 2100):
            return None
        return cls(int(year), int(number))

    @property
    def slug(self) -> str:
        return f"{self.year}-Q{self.number}"

    @property
    def first(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def last(self) -> date:
        return _month_end(date(self.year, 3 * self.number, 1))

    @property
    def short(self) -> str:
        return f"{self.year} Q{self.number}"

    @property
    def label(self) -> str:
        return f"{self.first:%B} to {self.last:%B %Y}"

    def next(self) -> Quarter:
        return Quarter(self.year + self.number // 4, self.number % 4 + 1)

    def moments(self) -> tuple[datetime, datetime]:
        return start_of(self.first), start_of(self.last + timedelta(days=1))


def report_quarters(partnership, today: date) -> list[Quarter]:
    """Quarters from the partnership's first escalation to this one, newest first."""
    first = Escalation.objects.filter(partnership=partnership).aggregate(first=Min("raised_at"))["first"]
    quarter = Quarter.of(_local_date(first) if first else today)
    found = []
    while quarter <= Quarter.of(today):
        found.append(quarter)
        quarter = quarter.next()
    return found[::-1]


@dataclass
class Section:
    key: str
    title: str
    intro: str
    columns: list[str]
    rows: list[list]
    sheet: str = ""  # the worksheet's name in the XLSX (at most 31 characters)
    empty: str = "None in this quarter."
    total: int | None = None  # how many rows there are, when only the first few were read

    def display_rows(self) -> list[list[str]]:
        return [[cell_text(value) for value in row] for row in self.rows]

    @property
    def rows_not_shown(self) -> int:
        return max((self.total or 0) - len(self.rows), 0)


def cell_text(value) -> str:
    """A report value as people read it (CSV, the page): dates as 01/07/2026, 75.0 as 75."""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float):
        return f"{value:.1f}".removesuffix(".0")
    return str(value)


@dataclass
class LearningReport:
    partnership: object
    quarter: Quarter
    generated_at: datetime
    sections: list[Section]

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)


def _between(e) -> str:
    return f"{e.raising_agency.name} with {e.receiving_agency.name}"


def build_learning_report(
    partnership, quarter: Quarter, *, now: datetime | None = None, limit: int | None = None
) -> LearningReport:
    """The partnership's quarter: use of the procedure, themes, timescales, where cases were resolved,
    lessons learnt and case reviews recommended. A fixed number of queries.

    `limit` caps the rows read for each list (the page); the downloads read every row."""
    now = now or timezone.now()
    start, end = quarter.moments()
    stages = policy_stages(partnership)
    escalations = Escalation.objects.filter(partnership=partnership)
    raised = escalations.filter(raised_at__gte=start, raised_at__lt=end)
    themes = list(raised.values("category").annotate(n=Count("pk")).order_by("-n", "category"))
    total_raised = sum(t["n"] for t in themes)
    withdrawn = escalations.filter(state=State.WITHDRAWN, closed_at__gte=start, closed_at__lt=end).count()

    formal_stages = StageOccurrence.objects.filter(
        escalation__partnership=partnership,
        policy_stage__is_partnership_stage=True,
        started_at__gte=start,
        started_at__lt=end,
    )
    formal_count = formal_stages.count()
    formal = list(
        formal_stages.select_related("escalation__raising_agency", "escalation__receiving_agency")
        .annotate(arrangement=PartnershipReview.objects.filter(occurrence=OuterRef("pk")).values("arrangement")[:1])
        .order_by("started_at", "pk")[:limit]
    )
    due = (
        StageOccurrence.objects.filter(escalation__partnership=partnership, due_at__gte=start, due_at__lt=end)
        .values("number")
        .annotate(met=Count("pk", filter=met_q(now)), missed=Count("pk", filter=missed_q(now)))
        .order_by("number")
    )
    resolutions = Resolution.objects.filter(
        escalation__partnership=partnership, resolved_on__gte=quarter.first, resolved_on__lte=quarter.last
    )
    days = days_to_resolution(
        partnership.working_calendar(),
        resolutions.values_list("stage_resolved", TruncDate("escalation__raised_at", tzinfo=LONDON), "resolved_on")
        .annotate(n=Count("pk"))
        .order_by(),
    )
    resolved = sum(sum(c.values()) for c in days.values())
    has_lessons = ~Q(lessons_learnt="")
    counts = resolutions.aggregate(
        lessons=Count("pk", filter=has_lessons), reviews=Count("pk", filter=Q(case_review_recommended=True))
    )
    listed = resolutions.select_related("escalation__raising_agency", "escalation__receiving_agency").order_by(
        "resolved_on", "pk"
    )
    lessons = list(listed.filter(has_lessons)[:limit])
    reviews = list(listed.filter(case_review_recommended=True)[:limit])

    met = sum(r["met"] for r in due)
    missed = sum(r["missed"] for r in due)
    sections = [
        Section(
            "summary",
            "Summary",
            "The quarter at a glance.",
            ["Measure", "Number"],
            [
                ["Escalations raised", total_raised],
                ["Escalations resolved", resolved],
                ["Escalations withdrawn", withdrawn],
                ["Formal use of the procedure (partnership stage reached)", formal_count],
                ["Stage deadlines met", met],
                ["Stage deadlines missed", missed],
                ["Timescale adherence (%)", percent(met, met + missed)],
                ["Median working days from raised to resolved", weighted_median(merged(days))],
                ["Lessons learnt recorded", counts["lessons"]],
                ["Multi-agency case reviews recommended", counts["reviews"]],
            ],
        ),
        Section(
            "formal",
            "Formal use of the procedure",
            "Escalations that reached the partnership stage in the quarter, and how the partnership arranged it.",
            ["Reference", "Between", "Category", "Reached the partnership stage", "Arrangement", "Decision", "Now"],
            [
                [
                    o.escalation.reference,
                    _between(o.escalation),
                    o.escalation.get_category_display(),
                    timezone.localtime(o.started_at, LONDON).date(),
                    PANEL_LABELS.get(o.arrangement, "Not arranged yet"),
                    o.decision or "Not recorded yet",
                    o.escalation.get_state_display(),
                ]
                for o in formal
            ],
            sheet="Formal use",
            total=formal_count,
        ),
        Section(
            "themes",
            "Themes",
            "The reasons for the disagreements raised in the quarter.",
            ["Category", "Escalations", "Share (%)"],
            [[Category(t["category"]).label, t["n"], percent(t["n"], total_raised)] for t in themes],
        ),
        Section(
            "timescales",
            "Timescale adherence",
            "Stage deadlines that fell in the quarter: met, or missed (closed late, or still open past the deadline).",
            ["Stage", "Met", "Missed", "Adherence (%)"],
            [
                [_long(r["number"], stages), r["met"], r["missed"], percent(r["met"], r["met"] + r["missed"])]
                for r in due
                if r["met"] + r["missed"]
            ],
            sheet="Timescales",
        ),
        Section(
            "resolved",
            "Stage at which escalations were resolved",
            "Escalations resolved in the quarter, by the stage they were resolved at.",
            ["Stage", "Resolved", "Share (%)", "Median working days to resolution"],
            [
                [_long(n, stages), sum(days[n].values()), percent(sum(days[n].values()), resolved)]
                + [weighted_median(days[n])]
                for n in sorted(days)
            ],
            sheet="Stage resolved",
        ),
        Section(
            "lessons",
            "Lessons learnt",
            "From the resolution records of escalations resolved in the quarter.",
            ["Reference", "Between", "Resolved on", "Stage", "Main reason", "Issues raised", "Lessons learnt"],
            [
                [
                    r.escalation.reference,
                    _between(r.escalation),
                    r.resolved_on,
                    r.stage_resolved,
                    r.get_main_reason_display(),
                    r.issues_raised,
                    r.lessons_learnt,
                ]
                for r in lessons
            ],
            total=counts["lessons"],
        ),
        Section(
            "reviews",
            "Multi-agency case reviews recommended",
            "Resolutions in the quarter that recommended a multi-agency case review.",
            ["Reference", "Between", "Resolved on", "Stage", "Agreed outcome"],
            [
                [r.escalation.reference, _between(r.escalation), r.resolved_on, r.stage_resolved, r.agreed_outcome]
                for r in reviews
            ],
            sheet="Case reviews",
            total=counts["reviews"],
        ),
    ]
    return LearningReport(partnership=partnership, quarter=quarter, generated_at=now, sections=sections)
