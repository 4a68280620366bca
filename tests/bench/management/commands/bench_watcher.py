"""Benchmark: how long one watcher run takes with many open stage occurrences.

    createdb -h 127.0.0.1 -U postgres bench_watcher
    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_watcher .venv/bin/python manage.py migrate
    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_watcher \
        .venv/bin/python manage.py bench_watcher --count 100000

It writes junk escalations, so it refuses a database whose name does not contain "bench"
(unless --force). Rows are bulk-created once and reused by later runs.
"""

import random
import statistics
import time
import uuid
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from escalation.deadlines import _open_unbreached, run_watcher
from escalation.models import Escalation, StageOccurrence
from partnerships.choices import AgencyType, Role
from partnerships.models import Agency, Membership, Partnership
from partnerships.presets import get_preset
from partnerships.services import policy_load_preset

CHUNK = 5000


class Command(BaseCommand):
    help = "Create N open stage occurrences (bulk) and time run_watcher with nothing due."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=100_000)
        parser.add_argument("--runs", type=int, default=5)
        parser.add_argument(
            "--min-days", type=int, default=14, help="Earliest deadline, days ahead (beyond the warning window)."
        )
        parser.add_argument("--max-days", type=int, default=120)
        parser.add_argument(
            "--overdue", type=int, default=0, help="Also time a catch-up: make this many of them overdue first."
        )
        parser.add_argument("--force", action="store_true", help="Allow a database not named *bench*.")

    def handle(self, *args, count, runs, min_days, max_days, overdue, force, **options):
        name = str(connection.settings_dict["NAME"])
        if "bench" not in name and not force:
            raise CommandError(f"Refusing to write benchmark rows into {name!r}: use a *bench* database or --force.")
        if connection.vendor != "postgresql":
            self.stderr.write(f"Note: running on {connection.vendor}, not PostgreSQL.")
        now = timezone.now()
        partnership, agencies, user = self._setup()
        existing = StageOccurrence.objects.filter(
            escalation__partnership=partnership, closed_at__isnull=True, breached_at__isnull=True
        ).count()
        started = time.perf_counter()
        self._create(max(count - existing, 0), partnership, agencies, user, now, min_days, max_days)
        self.stdout.write(
            f"{connection.vendor} database {name}: {max(count - existing, 0)} created in "
            f"{time.perf_counter() - started:.1f}s; "
            f"{_open_unbreached().count()} open, unbreached stage occurrences in all."
        )
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE escalation_stageoccurrence") if connection.vendor == "postgresql" else None

        if overdue:
            self._catch_up(partnership, overdue)
        timings, report = [], None
        for _ in range(runs):
            started = time.perf_counter()
            report = run_watcher()
            timings.append(time.perf_counter() - started)
        self.stdout.write(f"last run: {report}")
        self.stdout.write(
            "run_watcher with nothing due: "
            + ", ".join(f"{t * 1000:.1f}" for t in timings)
            + f" ms (median {statistics.median(timings) * 1000:.1f} ms)"
        )
        if connection.vendor == "postgresql":
            self._explain(now)

    def _catch_up(self, partnership, overdue):
        now = timezone.now()
        ids = list(
            _open_unbreached()
            .filter(escalation__partnership=partnership)
            .order_by("due_at")
            .values_list("pk", flat=True)[:overdue]
        )
        StageOccurrence.objects.filter(pk__in=ids).update(
            clock_started_at=now - timedelta(days=3), due_at=now - timedelta(days=1)
        )
        started = time.perf_counter()
        report = run_watcher()
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"catch-up run: {report} in {elapsed:.2f}s ({elapsed / max(report.breached, 1) * 1000:.1f} ms per breach; "
            "the benchmark's escalations name no children, so no child's-file entries are written)"
        )

    def _setup(self):
        policy = policy_load_preset(get_preset("five-stage"))
        partnership, _ = Partnership.objects.get_or_create(
            slug="bench", defaults={"name": "Benchmark Partnership", "policy": policy}
        )
        agencies = [
            Agency.objects.get_or_create(partnership=partnership, name=name, defaults={"type": AgencyType.OTHER})[0]
            for name in ("Bench School", "Bench Social Care")
        ]
        from django.contrib.auth import get_user_model

        user, _ = get_user_model().objects.get_or_create(username="bench-practitioner")
        Membership.objects.get_or_create(user=user, partnership=partnership, agency=agencies[0], role=Role.PRACTITIONER)
        return partnership, agencies, user

    def _create(self, count, partnership, agencies, user, now, min_days, max_days):
        stage = partnership.policy.stages.get(number=1)
        rng = random.Random(5)
        for offset in range(0, count, CHUNK):
            size = min(CHUNK, count - offset)
            with transaction.atomic():
                escalations = Escalation.objects.bulk_create(
                    Escalation(
                        reference=f"BEN-{uuid.uuid4().hex[:16].upper()}",
                        partnership=partnership,
                        policy=partnership.policy,
                        raised_by=user,
                        raising_agency=agencies[0],
                        receiving_agency=agencies[1],
                        category="other",
                        concern="Benchmark.",
                        why_unsafe="Benchmark.",
                        outcome_sought="Benchmark.",
                        raised_at=now,
                    )
                    for _ in range(size)
                )
                StageOccurrence.objects.bulk_create(
                    StageOccurrence(
                        escalation=escalation,
                        partnership_id=escalation.partnership_id,
                        policy_stage=stage,
                        number=1,
                        started_at=now,
                        clock_started_at=now,
                        due_at=now + timedelta(minutes=rng.randint(min_days * 1440, max_days * 1440)),
                        timescale_description="benchmark",
                    )
                    for escalation in escalations
                )

    def _explain(self, now):
        queries = {
            "breaches": _open_unbreached().filter(due_at__lt=now).order_by("due_at", "pk")[:500],
            "warnings": _open_unbreached()
            .filter(due_at__gt=now, due_at__lt=now + timedelta(days=5), warned_at__isnull=True)
            .order_by("due_at", "pk")[:500],
        }
        for label, queryset in queries.items():
            plan = queryset.explain(analyze=True)
            self.stdout.write(f"--- {label} query plan\n{plan}")
