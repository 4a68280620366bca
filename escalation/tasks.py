"""Celery tasks: thin wrappers that call the watcher and the delivery (cookiecutter style).

Beat sends `watch_deadlines` every WATCHER_INTERVAL_SECONDS (CELERY_BEAT_SCHEDULE in settings).
Both tasks are safe to run twice or concurrently: every row is claimed in the database.
"""

import time

from celery import shared_task
from django.conf import settings
from django.db import transaction

from escalation import drafts
from escalation.deadlines import run_watcher
from escalation.digests import collect_daily_digests
from escalation.notifications import deliver_pending

# A queued tick older than this is dropped rather than run late: the next tick does the same work.
_TICK_EXPIRES = max(5 * settings.WATCHER_INTERVAL_SECONDS, 60)
DELIVERY_BATCH = 100
DELIVERY_BUDGET_SECONDS = 180


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=240, time_limit=300, expires=_TICK_EXPIRES)
def watch_deadlines() -> dict:
    report = run_watcher(runner="Celery worker")
    # Every tick, so a digest missed while beat was down goes out on the next one (written once a day).
    collect_daily_digests()
    # Always: held (out-of-hours) notices and retries fall due without a new breach.
    transaction.on_commit(lambda: deliver_notifications.delay())
    return report.as_dict()


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=240, time_limit=300, expires=_TICK_EXPIRES)
def deliver_notifications() -> int:
    """Batches until the due rows are sent (or the server fails, or the time budget is spent)."""
    sent, started = 0, time.monotonic()
    while True:
        count = deliver_pending(batch=DELIVERY_BATCH)
        sent += count
        if count < DELIVERY_BATCH or time.monotonic() - started > DELIVERY_BUDGET_SECONDS:
            return sent


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=240, time_limit=300, expires=_TICK_EXPIRES)
def send_daily_digests() -> int:
    """Beat's 08:30 entry on weekdays (a bank holiday is skipped by the calendar check)."""
    written = collect_daily_digests()
    transaction.on_commit(lambda: deliver_notifications.delay())
    return written


def delete_old_drafts() -> int:
    """Drafts are kept DRAFT_DAYS after they were last saved (escalation.drafts)."""
    return drafts.delete_old_drafts()
