"""Watching the watcher: the worst failure this product can have is a deadline watcher that has
stopped, so that nobody is told of a missed deadline and nobody knows.

- Every watcher run records a heartbeat (`WatcherHeartbeat`), whoever ran it.
- It is *late* when it has not run for LATE_AFTER_INTERVALS watcher intervals (3 minutes at the
  default 60 seconds). Then `/health/` answers 503 (for an uptime monitor), administrators and
  business managers see a banner on every page, and the administrators are e-mailed, once per
  outage (the row remembers which silence it was sent for).
- The e-mail goes straight through the mail server, not the outbox: the outbox is delivered by
  the same worker whose silence this reports. Whoever notices first sends it: the health check
  or a page drawn for an administrator or business manager.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from escalation.operations import WatcherHeartbeat

logger = logging.getLogger(__name__)

WATCHER = "deadline-watcher"
LATE_AFTER_INTERVALS = 3
BROKER_TIMEOUT_SECONDS = 1


def late_after() -> timedelta:
    return timedelta(seconds=LATE_AFTER_INTERVALS * settings.WATCHER_INTERVAL_SECONDS)


def record_heartbeat(runner: str) -> None:
    """The watcher finished a run (wall-clock time, whatever `now` the run judged deadlines at)."""
    now = timezone.now()
    beat = WatcherHeartbeat.objects.filter(pk=WATCHER)
    if beat.update(last_run_at=now, runs=F("runs") + 1, last_runner=runner):
        return
    try:
        with transaction.atomic():
            WatcherHeartbeat.objects.create(name=WATCHER, last_run_at=now, runs=1, last_runner=runner)
    except IntegrityError:  # another watcher's first run, at the same moment
        beat.update(last_run_at=now, runs=F("runs") + 1, last_runner=runner)


@dataclass
class WatcherState:
    last_run_at: datetime | None
    late: bool

    @property
    def age_seconds(self) -> int | None:
        return None if self.last_run_at is None else int((timezone.now() - self.last_run_at).total_seconds())


def watcher_state() -> WatcherState:
    beat = WatcherHeartbeat.objects.filter(pk=WATCHER).first()
    if beat is None:
        return WatcherState(None, late=True)
    return WatcherState(beat.last_run_at, late=timezone.now() - beat.last_run_at > late_after())


def alert_if_late(state: WatcherState | None = None) -> WatcherState:
    """E-mail the administrators if the watcher is late and they have not been told of this
    silence yet. The claim is a conditional UPDATE: two requests noticing at once send one."""
    state = state or watcher_state()
    if not state.late or state.last_run_at is None:
        return state
    silence = state.last_run_at
    claimed = WatcherHeartbeat.objects.filter(pk=WATCHER, last_run_at=silence).exclude(alerted_for=silence)
    previous = claimed.values_list("alerted_for", flat=True).first()
    if claimed.update(alerted_for=silence) != 1:
        return state
    try:
        _send_alert(silence)
    except Exception:
        logger.exception("Could not e-mail the administrators that the deadline watcher stopped")
        # Not told after all: the next check tries again.
        WatcherHeartbeat.objects.filter(pk=WATCHER, alerted_for=silence).update(alerted_for=previous)
    return state


def _send_alert(silence: datetime) -> None:
    people = get_user_model().objects.filter(Q(is_staff=True) | Q(is_superuser=True), is_active=True)
    addresses = sorted({email for email in people.values_list("email", flat=True) if email})
    if not addresses:
        logger.error("The deadline watcher stopped and no administrator has an e-mail address")
        return
    when = timezone.localtime(silence).strftime("%-d %B %Y at %H:%M:%S")
    mail.send_mail(
        f"{settings.SERVICE_NAME}: the deadline watcher has stopped",
        f"The deadline watcher last ran on {when}. Until it runs again, missed and near deadlines are "
        "not recorded and nobody is told of them.\n\n"
        "Check that the Celery worker and beat are running (or, without Redis, the in-process "
        "watcher: manage.py run_watcher_loop) and that they can reach the database. "
        f"The health check at {settings.SITE_URL}/health/ says what is failing.\n\n"
        "You will not be e-mailed again about this stop; the banner stays until the watcher runs.",
        None,
        addresses,
    )


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except DatabaseError:
        return False


def _broker_status() -> str:
    if not settings.REDIS_URL:
        return "not used"
    import redis

    client = redis.Redis.from_url(
        settings.REDIS_URL, socket_connect_timeout=BROKER_TIMEOUT_SECONDS, socket_timeout=BROKER_TIMEOUT_SECONDS
    )
    try:
        client.ping()
        return "ok"
    except redis.RedisError:
        return "unavailable"
    finally:
        client.close()


def health() -> tuple[bool, dict]:
    """(healthy, report) for /health/: statuses and the watcher's age only, nothing else."""
    database = _database_ok()
    broker = _broker_status()
    watcher = {
        "status": "unknown",
        "last_run_seconds_ago": None,
        "late_after_seconds": int(late_after().total_seconds()),
    }
    if database:
        state = alert_if_late()
        watcher["status"] = "never run" if state.last_run_at is None else ("late" if state.late else "ok")
        watcher["last_run_seconds_ago"] = state.age_seconds
    healthy = database and broker != "unavailable" and watcher["status"] == "ok"
    report = {
        "status": "ok" if healthy else "failing",
        "database": "ok" if database else "unavailable",
        "broker": broker,
        "watcher": watcher,
    }
    return healthy, report
