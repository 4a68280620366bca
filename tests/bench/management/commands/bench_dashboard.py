"""Benchmark: the partnership dashboard with 100,000 escalations in one partnership.

    createdb -h 127.0.0.1 -U postgres bench_dashboard
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_dashboard DEBUG=1
    .venv/bin/python manage.py migrate
    .venv/bin/python manage.py bench_dashboard --escalations 100000
    dropdb -h 127.0.0.1 -U postgres bench_dashboard

It bulk-creates escalations with their stage occurrences and resolution records (bulk_create,
not the services: the services would take hours) in a partnership of its own, plus a small
partnership of 1,000 for comparison, then times the dashboard's aggregates, the page itself,
the drill-down lists and the learning report, counting queries. Rows already there are reused,
so a second run only times. It refuses a database whose name does not contain "bench".
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.models import Child
from escalation import dashboard, figures, learning_report
from escalation.models import Escalation, Resolution, StageOccurrence
from escalation.states import Category, StageOutcome, State
from partnerships.choices import AgencyType, Role, Urgency, roles_up_to_rank
from partnerships.models import Agency, Membership, Partnership
from partnerships.presets import get_preset
from partnerships.selectors import tier_rank
from partnerships.services import policy_load_preset

CHUNK = 5000
AGENCIES = [
    ("Primary School", AgencyType.EDUCATION),
    ("Children's Social Care", AgencyType.CHILDRENS_SOCIAL_CARE),
    ("Police", AgencyType.POLICE),
    ("NHS Trust", AgencyType.HEALTH),
    ("Nursery", AgencyType.EARLY_YEARS),
    ("Probation Service", AgencyType.PROBATION),
]
CATEGORIES = [c.value for c in Category]
URGENCIES = [(Urgency.STANDARD, 76), (Urgency.CHILD_PROTECTION, 18), (Urgency.IMMEDIATE_RISK, 6)]
REACHED = [(1, 58), (2, 25), (3, 10), (4, 4), (5, 3)]


def _weighted(rng, pairs):
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


class Command(BaseCommand):
    help = "Bulk-create N escalations in one partnership (a *bench* database only) and time the dashboard."

    def add_arguments(self, parser):
        parser.add_argument("--escalations", type=int, default=100_000)
        parser.add_argument("--small", type=int, default=1_000, help="A second partnership of this size, to compare.")
        parser.add_argument("--runs", type=int, default=5)
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args, escalations, small, runs, seed, **options):
        name = str(connection.settings_dict["NAME"])
        if "bench" not in name:
            raise CommandError(f"Refusing to write benchmark rows into {name!r}: use a database named *bench*.")
        if connection.vendor != "postgresql":
            self.stderr.write(f"Note: {connection.vendor}, not PostgreSQL: the figures will not be representative.")
        self.now = timezone.now()
        large = self.partnership("bench-dashboard", "Benchmark", escalations, seed)
        compare = self.partnership("bench-dashboard-small", "Small Benchmark", small, seed + 1) if small else None
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        self.stdout.write("")
        for partnership in [p for p in (compare, large) if p is not None]:
            self.time_partnership(partnership, runs)

    # --- data ---------------------------------------------------------------------------------

    def partnership(self, slug: str, town: str, count: int, seed: int) -> Partnership:
        with transaction.atomic():
            policy = policy_load_preset(get_preset("five-stage"))
            partnership, _ = Partnership.objects.get_or_create(
                slug=slug, defaults={"name": f"{town} Safeguarding Children Partnership", "policy": policy}
            )
            agencies = [
                Agency.objects.get_or_create(partnership=partnership, name=f"{town} {n}", defaults={"type": t})[0]
                for n, t in AGENCIES
            ]
            User = get_user_model()
            people = {}
            for agency in agencies:
                user, _ = User.objects.get_or_create(username=f"{slug}-{agency.pk}-practitioner")
                Membership.objects.get_or_create(
                    user=user, partnership=partnership, agency=agency, role=Role.PRACTITIONER
                )
                people[agency.pk] = user
            manager, _ = User.objects.get_or_create(username=f"{slug}-business-manager")
            Membership.objects.get_or_create(user=manager, partnership=partnership, role=Role.BUSINESS_MANAGER)
            if not Child.objects.filter(partnership=partnership).exists():
                Child.objects.bulk_create(
                    Child(partnership=partnership, first_name="Child", last_name=str(i), date_of_birth="2015-01-01")
                    for i in range(200)
                )
        self.manager = manager
        existing = Escalation.objects.filter(partnership=partnership).count()
        if existing < count:
            started = time.perf_counter()
            self.create(partnership, agencies, people, manager, existing, count, seed)
            self.stdout.write(
                f"{partnership.slug}: created {count - existing:,} escalations in {time.perf_counter() - started:.0f}s"
            )
        return partnership

    def create(self, partnership, agencies, people, manager, start, count, seed) -> None:
        stages = list(partnership.policy.stages.order_by("number"))
        calendar = partnership.working_calendar()
        timescales = {s.number: partnership.policy.timescale_for(s, Urgency.STANDARD)[0] for s in stages}
        for offset in range(start, count, CHUNK):
            rng = random.Random(seed * 1_000_003 + offset)
            plans = []
            for _ in range(min(CHUNK, count - offset)):
                raising, receiving = rng.sample(agencies, 2)
                raised_at = self.now - timedelta(minutes=rng.randint(60, 365 * 24 * 60))
                reach = _weighted(rng, REACHED)
                moment, occurrences = raised_at, []
                for number in range(1, reach + 1):
                    timescale = timescales[number]
                    due = calendar.deadline(moment, timescale.amount, timescale.unit).due
                    end = moment + (due - moment) * rng.uniform(0.2, 0.9 if rng.random() < 0.78 else 2.5)
                    occurrences.append((number, moment, due, end))
                    moment = end
                last_end = occurrences[-1][3]
                ending = "open" if last_end > self.now else _weighted(rng, [("resolved", 90), ("withdrawn", 10)])
                plans.append((raising, receiving, raised_at, reach, occurrences, ending, rng.random()))
            self.write_chunk(partnership, stages, people, manager, plans, rng, offset)

    @transaction.atomic
    def write_chunk(self, partnership, stages, people, manager, plans, rng, offset) -> None:
        rows = []
        # Numbered references: 100,000 random 8-hex-digit ones would very likely collide once.
        prefix = "BD" + "".join(word[0] for word in partnership.slug.split("-")[2:]).upper()
        for index, (raising, receiving, raised_at, reach, occurrences, ending, _) in enumerate(plans, start=offset):
            stage = stages[reach - 1]
            last_end = occurrences[-1][3]
            rows.append(
                Escalation(
                    reference=f"{prefix}-{index:07d}",
                    partnership=partnership,
                    policy_id=partnership.policy_id,
                    raised_by=people[raising.pk],
                    raising_agency=raising,
                    receiving_agency=receiving,
                    category=rng.choice(CATEGORIES),
                    concern="Benchmark",
                    why_unsafe="Benchmark",
                    outcome_sought="Benchmark",
                    urgency=_weighted(rng, URGENCIES),
                    state={"open": State.IN_DISCUSSION, "resolved": State.CLOSED, "withdrawn": State.WITHDRAWN}[ending],
                    stage_number=reach,
                    raising_tier_reached=tier_rank(stage.raiser_tier),
                    receiving_tier_reached=tier_rank(stage.receiver_tier or None),
                    raising_holder_roles=roles_up_to_rank(tier_rank(stage.raiser_tier)),
                    receiving_holder_roles=roles_up_to_rank(tier_rank(stage.receiver_tier or None)),
                    current_due_at=occurrences[-1][2] if ending == "open" else None,
                    raised_at=raised_at,
                    resolved_at=last_end if ending == "resolved" else None,
                    closed_at=last_end + timedelta(days=2) if ending != "open" else None,
                )
            )
        Escalation.objects.bulk_create(rows)
        stage_rows, resolutions = [], []
        for escalation, (_, _, _, reach, occurrences, ending, chance) in zip(rows, plans, strict=True):
            for number, started, due, end in occurrences:
                final = number == reach
                closed = None if final and ending == "open" else end
                stage_rows.append(
                    StageOccurrence(
                        escalation=escalation,
                        partnership_id=escalation.partnership_id,
                        policy_stage=stages[number - 1],
                        number=number,
                        started_at=started,
                        clock_started_at=started,
                        due_at=due,
                        timescale_description="benchmark",
                        acknowledged_at=started + (end - started) / 4,
                        breached_at=due + timedelta(minutes=1) if (closed or self.now) > due else None,
                        closed_at=closed,
                        outcome=(
                            ""
                            if closed is None
                            else StageOutcome.ESCALATED
                            if not final
                            else StageOutcome.RESOLVED
                            if ending == "resolved"
                            else StageOutcome.WITHDRAWN
                        ),
                        timescale_met=None if closed is None else closed <= due,
                    )
                )
            if ending == "resolved":
                resolutions.append(
                    Resolution(
                        escalation=escalation,
                        resolved_on=timezone.localtime(occurrences[-1][3]).date(),
                        stage_resolved=reach,
                        agreed_outcome="Benchmark outcome.",
                        lessons_learnt="Benchmark lesson." if chance < 0.7 else "",
                        main_reason=escalation.category,
                        case_review_recommended=chance < 0.02,
                        recorded_by=manager,
                    )
                )
        StageOccurrence.objects.bulk_create(stage_rows)
        Resolution.objects.bulk_create(resolutions)

    # --- timing ----------------------------------------------------------------------------------------

    def measure(self, label: str, runs: int, call) -> None:
        """Wall time (median and best of `runs`), of which in the database, and the query count."""
        times, sql, counts = [], [], set()
        for _ in range(runs):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                call()
                times.append(time.perf_counter() - started)
            counts.add(len(captured))
            sql.append(sum(float(q["time"]) for q in captured.captured_queries))
        self.stdout.write(
            f"  {label:<52} queries {'/'.join(map(str, sorted(counts))):>4}   "
            f"median {statistics.median(times) * 1000:6.0f} ms (SQL {statistics.median(sql) * 1000:5.0f})   "
            f"best {min(times) * 1000:6.0f} ms"
        )

    def time_partnership(self, partnership, runs: int) -> None:
        from escalation.views.dashboard import dashboard_page, drill_list, report_page

        total = Escalation.objects.filter(partnership=partnership).count()
        self.stdout.write(f"{partnership.name}: {total:,} escalations")
        agencies = {a.pk: a for a in partnership.agencies.all()}
        stages = figures.policy_stages(partnership)
        police = next(a for a in agencies.values() if a.name.endswith("Police"))
        today = timezone.localdate()
        scope = figures.Scope(partnership)
        filtered = figures.Scope(partnership, raised_from=today - timedelta(days=180), agency=police)
        self.measure(
            "build_dashboard (all figures, aggregates)",
            runs,
            lambda: dashboard.build_dashboard(scope, agencies=agencies, stages=stages),
        )
        self.measure(
            "build_dashboard, filtered (agency, last 6 months)",
            runs,
            lambda: dashboard.build_dashboard(filtered, agencies=agencies, stages=stages),
        )
        for label, drill in (
            ("drill-down count: overdue now", figures.Drill(status="overdue")),
            ("drill-down count: deadline missed at stage 2", figures.Drill(missed_stage=2)),
            ("drill-down count: with a missed deadline, one agency", figures.Drill(missed=True, party=police)),
        ):
            self.measure(label, runs, lambda d=drill: figures.drill_queryset(scope, d).count())
        quarter = learning_report.Quarter.of(today)
        self.measure(
            f"learning report {quarter.short} (page: lists cut at {learning_report.REPORT_PAGE_ROWS})",
            runs,
            lambda: learning_report.build_learning_report(partnership, quarter, limit=learning_report.REPORT_PAGE_ROWS),
        )
        self.measure(
            f"learning report {quarter.short} (downloads: every row)",
            runs,
            lambda: learning_report.build_learning_report(partnership, quarter),
        )
        factory = RequestFactory()
        manager = Membership.objects.get(partnership=partnership, role=Role.BUSINESS_MANAGER).user

        def page(view, path, **params):
            request = factory.get(path, params)
            request.user = manager
            manager.__dict__.pop("_memberships_cache", None)
            response = view(request)
            assert response.status_code == 200, response.status_code

        self.measure("GET /dashboard/ (the view, template rendered)", runs, lambda: page(dashboard_page, "/dashboard/"))
        self.measure(
            "GET /dashboard/list/?missed_stage=2 (first page)",
            runs,
            lambda: page(drill_list, "/dashboard/list/", missed_stage="2"),
        )
        self.measure(
            f"GET /dashboard/report/?quarter={quarter.slug}",
            runs,
            lambda: page(report_page, "/dashboard/report/", quarter=quarter.slug),
        )
        self.stdout.write("")
