"""The partnership's quarterly learning report: use of the procedure, themes, timescales, where
escalations were resolved, lessons learnt and case reviews recommended.

Apart from the dashboard because it answers another question (one calendar quarter, read by
the partnership's board and downloaded as CSV or XLSX), but it counts the same way: missed,
met and working days come from `escalation.figures`. Like the dashboard it is a fixed number
of queries however many escalations there are; the page reads only the first
REPORT_PAGE_ROWS of each list, the downloads every row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, Min, OuterRef, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from escalation.figures import (
    LONDON,
    days_to_resolution,
    local_date,
    merged,
    met_q,
    missed_q,
    month_end,
    percent,
    policy_stages,
    stage_name,
    start_of,
    weighted_median,
)
from escalation.models import Escalation, PartnershipReview, Resolution, StageOccurrence
from escalation.states import Category, State
from partnerships.choices import PanelRule

REPORT_PAGE_ROWS = 200
PANEL_LABELS = dict(PanelRule.choices)


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
        return month_end(date(self.year, 3 * self.number, 1))

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
    quarter = Quarter.of(local_date(first) if first else today)
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
        StageOccurrence.objects.filter(partnership=partnership, due_at__gte=start, due_at__lt=end)
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
            "Timed steps whose deadline fell in the quarter (each stage's step: the event its policy times, such "
            "as the managers' discussion or the partnership's decision, otherwise the stage's end): met, or "
            "missed (it had not happened by the deadline).",
            ["Stage", "Met", "Missed", "Adherence (%)"],
            [
                [stage_name(r["number"], stages), r["met"], r["missed"], percent(r["met"], r["met"] + r["missed"])]
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
                [stage_name(n, stages), sum(days[n].values()), percent(sum(days[n].values()), resolved)]
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
