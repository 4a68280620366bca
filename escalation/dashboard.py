"""The partnership dashboard: who oversees which partnership, and every figure on the page.

Every figure is an aggregate query (GROUP BY) on one partnership's escalations, so the
dashboard runs a fixed number of queries however many escalations there are. Python only
shapes the grouped rows (and turns raised/resolved date pairs into working days on the
partnership's own calendar for the median).

What each number counts (the filters, the definitions, the list behind it) is in
`escalation.figures`, shared with the quarterly learning report (`escalation.learning_report`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Count, Q
from django.db.models.functions import TruncDate, TruncMonth
from django.utils import timezone

from escalation.figures import (
    LONDON,
    STATUSES,
    Cell,
    Figure,
    Row,
    Scope,
    days_to_resolution,
    list_url,
    local_date,
    merged,
    met_q,
    missed_q,
    month_end,
    open_q,
    percent,
    policy_stages,
    stage_name,
    stage_short,
    weighted_median,
)
from escalation.learning_report import Quarter
from escalation.models import Resolution, StageOccurrence
from escalation.states import Category
from partnerships.choices import OVERSIGHT_ROLES, Role, Urgency
from partnerships.selectors import memberships_of

URGENCY_ORDER = [Urgency.STANDARD, Urgency.CHILD_PROTECTION, Urgency.IMMEDIATE_RISK]
TOP_PAIRS = 10


def oversight_partnerships(user, roles=OVERSIGHT_ROLES) -> list:
    """Partnerships in which the user holds one of these partnership roles, by name."""
    found = {}
    for m in memberships_of(user):
        if m.agency_id is None and Role(m.role) in roles:
            found.setdefault(m.partnership_id, m.partnership)
    return sorted(found.values(), key=lambda p: p.name)


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
    missed_ids = StageOccurrence.objects.filter(missed_q(now), partnership_id=partnership.pk)
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
        for row in StageOccurrence.objects.filter(scope.q("escalation__", own_partnership=True))
        .values("number")
        .annotate(met=Count("pk", filter=met_q(now)), missed=Count("pk", filter=missed_q(now)))
        .order_by()  # the model's ordering (by escalation) would join every escalation for nothing
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
            # Not a list of cases: it leads to the medians stage by stage, in "Resolved at each stage".
            Cell(weighted_median(overall), "#figure-resolved" if overall else ""),
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
        table.append(Row(stage_name(number, stages), cells, stage_short(number)))
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
                stage_name(number, stages),
                [
                    _cell(scope, met, met_stage=number),
                    _cell(scope, missed, missed_stage=number),
                    Cell(percent(met, met + missed), unit="%"),
                ],
                stage_short(number),
            )
        )
    met = sum(r.cells[0].value for r in table)
    missed = sum(r.cells[1].value for r in table)
    return Figure(
        key="timescales",
        title="Timed steps met and missed by stage",
        summary=(
            "For each stage the escalations passed through, its timed step: the event the policy times "
            "(for example the managers' discussion, the offer of mediation or the partnership's decision; "
            "otherwise the stage's end) met by its deadline, missed (it had not happened by then) and the "
            "share met. Steps still within their deadline are not counted yet."
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
                stage_name(number, stages),
                [
                    _cell(scope, n, resolved_stage=number),
                    Cell(percent(n, resolved), unit="%"),
                    Cell(weighted_median(counts)),
                ],
                stage_short(number),
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


def months_between(found: dict, scope) -> list[date]:
    """Every month from the first to the last with escalations (or the filter's dates, up to this
    month), so a quiet month is a 0 in the trend rather than missing from it."""
    this_month = timezone.localdate().replace(day=1)
    ends = list(found)
    if scope.raised_from:
        ends.append(min(scope.raised_from.replace(day=1), this_month))
    if scope.raised_to:
        ends.append(min(scope.raised_to.replace(day=1), this_month))
    if not ends:
        return []
    first, last = min(ends), max(ends)
    months = []
    while first <= last:
        months.append(first)
        first = month_end(first) + timedelta(days=1)
    return months


def _trends(scope, rows) -> list[Figure]:
    keys = ("raised", "resolved", "withdrawn", "open")
    by_month: dict = {}
    for r in rows:
        first = local_date(r["month"]).replace(day=1)
        total = by_month.setdefault(first, dict.fromkeys(keys, 0))
        for key in keys:
            total[key] += r[key]
    for first in months_between(by_month, scope):
        by_month.setdefault(first, dict.fromkeys(keys, 0))  # a month with none raised shows as 0
    months, quarters = [], {}
    for first, counts in sorted(by_month.items()):
        months.append((first, month_end(first), first.strftime("%B %Y"), first.strftime("%b %Y"), counts))
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
