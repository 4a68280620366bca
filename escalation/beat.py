"""Celery beat that keeps the deadline watcher running when the broker is down.

Beat normally sends `watch_deadlines` through the broker (Redis) to a worker. If it cannot
(Redis down or unreachable), it runs the watcher itself, in its own process, so breaches are
still recorded and their notices written to the outbox (in-app at once; e-mail waits for the
worker to deliver when the broker is back). Every run records the watcher's heartbeat, so a
beat or worker that has stopped altogether is noticed (escalation/watchdog.py).

Selected by CELERY_BEAT_SCHEDULER in settings.
"""

from __future__ import annotations

import logging

from celery.beat import PersistentScheduler, SchedulingError
from django.db import close_old_connections, connection

logger = logging.getLogger(__name__)

WATCHER_TASK = "escalation.tasks.watch_deadlines"
RUNNER = "beat (broker unreachable)"


class WatcherScheduler(PersistentScheduler):
    _connected_producer = None

    @property
    def producer(self):
        """Celery's waits for the broker for as long as it takes (broker_connection_max_retries),
        and beat with it. Here one quick try per tick; without a connection each task is sent
        with the app's own short retries, and the watcher falls back to running here."""
        if self._connected_producer is None:
            try:
                connection = self.connection.ensure_connection(max_retries=1)
            except Exception as exc:
                logger.warning("Cannot reach the broker: %s", exc)
                return None
            self._connected_producer = self.Producer(connection, auto_declare=False)
        return self._connected_producer

    def apply_async(self, entry, producer=None, advance=True, **kwargs):
        try:
            return super().apply_async(entry, producer=producer, advance=advance, **kwargs)
        except SchedulingError:
            if entry.task != WATCHER_TASK:
                raise
            logger.warning("Cannot reach the broker: running the deadline watcher in beat's own process")
        run_watcher_here()
        return None


def run_watcher_here() -> None:
    from escalation.deadlines import run_watcher

    # Beat is long-lived: a connection the database dropped since the last run is replaced.
    if not connection.in_atomic_block:
        close_old_connections()
    try:
        report = run_watcher(runner=RUNNER)
    except Exception:  # beat must keep ticking; the next tick tries again
        logger.exception("The deadline watcher failed in beat's process")
        return
    logger.info("Deadline watcher (in beat, broker unreachable): %s", report)
