"""The embedded default: the deadline watcher and e-mail delivery in one process, no Redis.

`make run` starts it in the background next to runserver. With REDIS_URL set, Celery beat
and a worker do this job instead (`celery -A config beat`, `celery -A config worker`).
Running both at once is safe (every row is claimed in the database), just wasteful.
"""

import os
import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from escalation.deadlines import run_watcher
from escalation.digests import collect_daily_digests
from escalation.drafts import delete_old_drafts
from escalation.notifications import deliver_pending

DELIVERY_BATCH = 100


class Command(BaseCommand):
    help = "Run the deadline watcher and deliver notifications every WATCHER_INTERVAL_SECONDS, in-process."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, help="Seconds between runs (default WATCHER_INTERVAL_SECONDS).")
        parser.add_argument("--once", action="store_true", help="One run, then exit.")
        parser.add_argument(
            "--exit-with-parent",
            action="store_true",
            help="Stop when the process that started this one exits (so `make run` leaves nothing behind).",
        )
        parser.add_argument("--force", action="store_true", help="Run even though REDIS_URL is set.")

    def handle(self, *args, interval=None, once=False, exit_with_parent=False, force=False, **options):
        if settings.REDIS_URL and not force:
            self.stdout.write(
                "REDIS_URL is set, so Celery runs the watcher: start `celery -A config worker` and "
                "`celery -A config beat`. (Use --force to run the in-process loop anyway.)"
            )
            return
        interval = interval or settings.WATCHER_INTERVAL_SECONDS
        stop = threading.Event()
        parent = os.getppid()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        self.stdout.write(f"Deadline watcher running in-process every {interval:g} seconds.")
        while not stop.is_set():
            self._tick()
            if once or (exit_with_parent and os.getppid() != parent):
                break
            stop.wait(interval)
        self.stdout.write("Deadline watcher stopped.")

    def _tick(self):
        close_old_connections()
        try:
            report = run_watcher(runner="in-process loop")
            if report.warned or report.breached or report.actions_overdue or report.errors:
                self.stdout.write(f"Deadline watcher: {report}")
            # From 08:30 on a working day: each person's daily digest, once (escalation.digests).
            if collect_daily_digests():
                self.stdout.write("Daily digests written.")
            while deliver_pending(batch=DELIVERY_BATCH) == DELIVERY_BATCH:
                pass
            # Drafts past their 30 days (one indexed DELETE; Celery beat does this hourly instead).
            delete_old_drafts()
        except Exception as exc:  # a locked SQLite file or a dropped connection: try again next tick
            self.stderr.write(f"Deadline watcher run failed: {exc!r}")
