"""The deadline watcher must not depend on the broker, nor die silently.

- Every run records a heartbeat. When it has not run for three intervals: /health/ answers
  503 (for an uptime monitor), administrators and business managers see a banner, and the
  administrators are e-mailed once per stop.
- With the broker down, beat runs the watcher in its own process: breaches are recorded and
  their notices written to the outbox.

The tests with real processes (the in-process watcher loop killed; beat with Redis down) need
PostgreSQL, which they share with the test; they skip on SQLite, except under CI=true.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from celery import Celery
from celery.beat import ScheduleEntry
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from escalation import beat as watcher_beat
from escalation.deadlines import run_watcher
from escalation.models import Notification, NotificationKind, WatcherHeartbeat
from partnerships.choices import Urgency
from tests.functional.test_hostile_input import signed_in
from tests.integration.test_celery_worker import CELERY, ROOT, stop, subprocess_database_url
from tests.integration.test_reliability import closed_port_url
from tests.integration.test_watcher import raise_one

pytestmark = pytest.mark.django_db

INTERVAL = 60  # seconds: the watcher is late after three


@pytest.fixture
def watched(cast, settings, django_user_model):
    settings.WATCHER_INTERVAL_SECONDS = INTERVAL
    settings.REDIS_URL = ""  # no broker to ask about (the in-process set-up)
    admin = django_user_model.objects.create_user("admin", "admin@example.org", "x", is_staff=True, is_superuser=True)
    return cast, admin


def health(client=None):
    response = (client or Client()).get("/health/")
    return response.status_code, json.loads(response.content)


def banner_for(user) -> bool:
    client = signed_in(user)
    home = client.get(reverse("home")).content.decode()
    return 'id="watcher-stopped"' in home


def test_health_needs_no_sign_in_and_reports_only_statuses(watched):
    run_watcher()
    status, report = health()
    assert status == 200
    assert report == {
        "status": "ok",
        "database": "ok",
        "broker": "not used",
        "watcher": {
            "status": "ok",
            "last_run_seconds_ago": report["watcher"]["last_run_seconds_ago"],
            "late_after_seconds": 180,
        },
    }
    assert 0 <= report["watcher"]["last_run_seconds_ago"] < 5
    response = Client().get("/health/")
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]  # a monitor always gets the answer of now


def test_a_watcher_that_never_ran_is_reported(watched):
    assert health() == (
        503,
        {
            "status": "failing",
            "database": "ok",
            "broker": "not used",
            "watcher": {"status": "never run", "last_run_seconds_ago": None, "late_after_seconds": 180},
        },
    )


def test_a_broker_that_does_not_answer_is_reported(watched, settings):
    run_watcher()
    settings.REDIS_URL = closed_port_url()
    status, report = health()
    assert (status, report["status"], report["broker"], report["watcher"]["status"]) == (
        503,
        "failing",
        "unavailable",
        "ok",
    )


def test_with_the_watcher_stopped_health_fails_the_banner_shows_and_administrators_are_e_mailed_once(
    watched, time_machine
):
    cast, admin = watched
    started = timezone.now()
    time_machine.move_to(started, tick=False)
    run_watcher(runner="in-process loop")
    beat = WatcherHeartbeat.objects.get()
    assert (beat.runs, beat.last_runner) == (1, "in-process loop")

    # It stops. Within three intervals nothing is said.
    time_machine.move_to(started + timedelta(seconds=3 * INTERVAL - 1), tick=False)
    assert health()[0] == 200
    assert not banner_for(cast.business_manager)
    assert mail.outbox == []

    # After three intervals: the monitor, the banner and one e-mail, however often it is noticed.
    time_machine.move_to(started + timedelta(seconds=3 * INTERVAL + 1), tick=False)
    status, report = health()
    assert status == 503 and report["watcher"] == {
        "status": "late",
        "last_run_seconds_ago": 3 * INTERVAL + 1,
        "late_after_seconds": 180,
    }
    assert banner_for(cast.business_manager)
    assert banner_for(admin)
    admin_page = signed_in(admin).get(reverse("admin:index")).content.decode()
    assert 'id="watcher-stopped"' in admin_page
    for person in (cast.practitioner, cast.manager, cast.auditor, cast.chair):
        assert not banner_for(person), person  # they cannot act on it
    health()
    assert len(mail.outbox) == 1
    alert = mail.outbox[0]
    assert alert.to == ["admin@example.org"]
    assert "deadline watcher has stopped" in alert.subject
    assert "/health/" in alert.body

    # It runs again: all clear. It stops again: a new stop, a new e-mail.
    run_watcher()
    assert health()[0] == 200 and not banner_for(cast.business_manager)
    time_machine.move_to(started + timedelta(seconds=7 * INTERVAL), tick=False)
    assert health()[0] == 503
    assert len(mail.outbox) == 2


def test_an_alert_that_could_not_be_sent_is_tried_again(watched, time_machine, settings):
    started = timezone.now()
    time_machine.move_to(started, tick=False)
    run_watcher()
    time_machine.move_to(started + timedelta(minutes=10), tick=False)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 1  # nothing listens
    assert health()[0] == 503
    assert WatcherHeartbeat.objects.get().alerted_for is None  # not told: not marked
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    health()
    assert len(mail.outbox) == 1


# --- the broker down: beat runs the watcher itself -------------------------------------------------


def test_beat_that_cannot_reach_the_broker_runs_the_watcher_itself(watched, tmp_path):
    cast, _ = watched
    escalation = raise_one(cast, at=timezone.now() - timedelta(days=30), urgency=Urgency.CHILD_PROTECTION)
    app = Celery("beat-test", broker=closed_port_url(), set_as_current=False)
    app.conf.broker_connection_timeout = 1
    app.conf.broker_connection_max_retries = 0
    scheduler = watcher_beat.WatcherScheduler(app=app, schedule_filename=str(tmp_path / "schedule"), lazy=True)
    entry = ScheduleEntry(
        name="deadline-watcher", task=watcher_beat.WATCHER_TASK, schedule=timedelta(seconds=60), app=app
    )

    scheduler.apply_entry(entry)  # as each tick does; the real publish fails: nothing listens at that port

    breach = Notification.objects.filter(escalation=escalation, kind=NotificationKind.BREACH)
    assert breach.exists()  # recorded, and waiting in the outbox
    assert set(breach.values_list("email_status", flat=True)) == {"pending"}
    assert WatcherHeartbeat.objects.get().last_runner == watcher_beat.RUNNER


# --- real processes ------------------------------------------------------------------------------


def require_postgresql(settings):
    if "postgresql" in settings.DATABASES["default"]["ENGINE"]:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail("CI=true: the watcher process tests must run on PostgreSQL")
    pytest.skip("needs DATABASE_URL=postgres://… (the processes share the test database)")


def process_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EMAIL_", "CELERY_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=subprocess_database_url(),
        DEBUG="1",
        WATCHER_INTERVAL_SECONDS="1",
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


def wait_until(condition, seconds, what, log):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"{what} within {seconds}s\n{log.read_text()[-3000:] if log.exists() else ''}")


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_with_the_watcher_loop_killed(watched, settings, tmp_path):
    require_postgresql(settings)
    cast, admin = watched
    settings.WATCHER_INTERVAL_SECONDS = 1
    log = tmp_path / "loop.log"
    loop = subprocess.Popen(
        [sys.executable, "manage.py", "run_watcher_loop", "--force", "--interval", "1"],
        cwd=ROOT,
        env=process_env(REDIS_URL=""),
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        runs = lambda: WatcherHeartbeat.objects.filter(runs__gte=2).exists()  # noqa: E731
        wait_until(runs, 60, "the loop's heartbeat", log)
        assert health()[0] == 200
        os.killpg(loop.pid, signal.SIGKILL)  # it dies without a word
        loop.wait(timeout=10)
    finally:
        stop(loop)
    stopped_at = WatcherHeartbeat.objects.get().last_run_at
    wait_until(lambda: health()[0] == 503, 10, "/health/ failing after three intervals", log)
    assert WatcherHeartbeat.objects.get().last_run_at == stopped_at  # nothing ran since
    assert banner_for(cast.business_manager)
    health()
    assert [m.to for m in mail.outbox] == [["admin@example.org"]]


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_beat_with_redis_down_records_a_breach_in_the_outbox(watched, settings, tmp_path):
    require_postgresql(settings)
    cast, _ = watched
    escalation = raise_one(cast, at=timezone.now() - timedelta(days=30), urgency=Urgency.CHILD_PROTECTION)
    log = tmp_path / "beat.log"
    beat = subprocess.Popen(
        [
            str(CELERY),
            "-A",
            "config",
            "beat",
            "--loglevel=INFO",
            "--schedule",
            str(tmp_path / "schedule"),
            "--pidfile",
            str(tmp_path / "beat.pid"),
        ],
        cwd=ROOT,
        env=process_env(REDIS_URL=closed_port_url()),
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        breach = Notification.objects.filter(escalation=escalation, kind=NotificationKind.BREACH)
        recorded = lambda: breach.exists() and WatcherHeartbeat.objects.exists()  # noqa: E731  (the run finished)
        wait_until(recorded, 60, "a breach recorded by beat with Redis down", log)
        assert beat.poll() is None, log.read_text()[-3000:]
        assert WatcherHeartbeat.objects.get().last_runner == watcher_beat.RUNNER
        assert set(breach.values_list("email_status", flat=True)) == {"pending"}  # delivery waits for Redis
    finally:
        stop(beat)
