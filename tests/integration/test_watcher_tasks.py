"""The Celery tasks are thin: the watcher runs, then delivery is queued once the work is committed.

Not run eagerly (cookiecutter-django's advice): the task body is called directly and the
queueing is checked with django_capture_on_commit_callbacks. test_celery_worker.py runs the
real worker and beat.
"""

import pytest
from django.core import mail

from config import celery_app
from escalation import tasks
from escalation.models import EmailStatus, Notification
from tests.conftest import london
from tests.integration.test_watcher import raise_one, watcher_notices

pytestmark = pytest.mark.django_db


def test_the_beat_schedule_runs_the_watcher_task_by_name(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["deadline-watcher"]
    assert entry["task"] == tasks.watch_deadlines.name == "escalation.tasks.watch_deadlines"
    assert entry["schedule"] == settings.WATCHER_INTERVAL_SECONDS
    assert "escalation.tasks.deliver_notifications" in celery_app.tasks
    assert tasks.deliver_notifications.acks_late and tasks.watch_deadlines.acks_late
    assert tasks.watch_deadlines.time_limit and tasks.watch_deadlines.soft_time_limit


def test_watch_deadlines_records_breaches_and_queues_delivery_after_commit(
    cast, monkeypatch, django_capture_on_commit_callbacks
):
    raise_one(cast, at=london(2026, 1, 5, 10, 0))  # long overdue by the real clock
    queued = []
    monkeypatch.setattr(tasks.deliver_notifications, "delay", lambda *a, **k: queued.append((a, k)))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        report = tasks.watch_deadlines()
    assert report["breached"] == 1
    assert watcher_notices().count() == 4  # the next tier (line managers, the school's safeguarding lead), the raiser
    assert queued == []  # nothing is queued before the transaction commits
    # On commit: delivery is queued once (and the dashboard's kept figures are marked stale).
    for callback in callbacks:
        callback()
    assert queued == [((), {})]


def test_deliver_notifications_sends_what_is_due(cast, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    cast.partnership.hold_out_of_hours_email = False
    cast.partnership.save()
    raise_one(cast, at=london(2026, 1, 5, 10, 0))
    # Raising it told the social worker: that notice is delivered (and its e-mail set aside)
    # first, so what is due below is the watcher's.
    tasks.deliver_notifications()
    mail.outbox.clear()
    tasks.run_watcher()
    assert tasks.deliver_notifications() == 4
    assert len(mail.outbox) == 4
    assert set(Notification.objects.values_list("email_status", flat=True)) == {EmailStatus.SENT}
