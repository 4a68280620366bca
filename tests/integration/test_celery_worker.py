"""The real thing: a Celery worker and beat as subprocesses, on the local Redis and the test
PostgreSQL database, e-mailing a real SMTP sink. An overdue stage is committed; within 60
seconds beat has run the watcher, the worker has recorded the breach, the in-app notices
exist and each e-mail has arrived exactly once. Every process started here is stopped.

Skipped without PostgreSQL and REDIS_URL, except under CI=true, where it fails instead.
"""

import os
import signal
import subprocess
import time
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from aiosmtpd.controller import Controller
from django.conf import settings
from django.utils import timezone

from cases.models import RecordEntry, RecordEntryKind
from escalation.models import EmailStatus, Notification, NotificationKind
from partnerships.choices import Urgency
from tests.integration.test_delivery import Sink, free_port
from tests.integration.test_watcher import raise_one

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]

ROOT = Path(__file__).resolve().parents[2]
CELERY = ROOT / ".venv" / "bin" / "celery"
TEST_REDIS_URL = "redis://127.0.0.1:6379/5"  # a database of its own, flushed before and after
WAIT_SECONDS = 60


def require(condition: bool, reason: str) -> None:
    if condition:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: the worker integration test must run)")
    pytest.skip(reason)


def subprocess_database_url() -> str:
    db = settings.DATABASES["default"]
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def start(args, env, log: Path) -> subprocess.Popen:
    # A session of its own, so the whole process group can be stopped.
    return subprocess.Popen(
        [str(CELERY), "-A", "config", *args],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def test_beat_and_a_worker_notify_a_breach_in_app_and_by_e_mail_within_a_minute(cast, tmp_path):
    require("postgresql" in settings.DATABASES["default"]["ENGINE"], "needs DATABASE_URL=postgres://…")
    require(bool(os.environ.get("REDIS_URL")), "needs REDIS_URL (a local Redis)")
    broker = redis.Redis.from_url(TEST_REDIS_URL)
    broker.flushdb()

    # Child protection: its e-mail goes at once whatever the time of day the test runs.
    escalation = raise_one(cast, at=timezone.now() - timedelta(days=30), urgency=Urgency.CHILD_PROTECTION)
    occurrence = escalation.current_occurrence()
    assert occurrence.due_at < timezone.now()

    port = free_port()
    sink = Sink()
    smtp = Controller(sink, hostname="127.0.0.1", port=port)
    smtp.start()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EMAIL_", "CELERY_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=subprocess_database_url(),  # the test database, not the main one
        REDIS_URL=TEST_REDIS_URL,
        DEBUG="1",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(port),
        WATCHER_INTERVAL_SECONDS="2",
        SITE_URL="https://escalations.example.org",
        PYTHONUNBUFFERED="1",
    )
    worker_log, beat_log = tmp_path / "worker.log", tmp_path / "beat.log"
    processes = []
    try:
        processes.append(
            start(
                [
                    "worker",
                    "--pool=solo",
                    "--loglevel=INFO",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    "--hostname",
                    f"watcher-test-{os.getpid()}@%h",
                ],
                env,
                worker_log,
            )
        )
        processes.append(
            start(
                [
                    "beat",
                    "--loglevel=INFO",
                    "--schedule",
                    str(tmp_path / "celerybeat-schedule"),
                    "--pidfile",
                    str(tmp_path / "beat.pid"),
                ],
                env,
                beat_log,
            )
        )
        notices = Notification.objects.filter(occurrence=occurrence, kind=NotificationKind.BREACH)
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            for process in processes:
                assert process.poll() is None, f"a Celery process exited:\n{logs(worker_log, beat_log)}"
            expected = notices.count()
            if expected and len(missed(sink)) >= expected and not notices.exclude(email_status=EmailStatus.SENT):
                break
            time.sleep(0.5)
        else:
            pytest.fail(
                f"no e-mail within {WAIT_SECONDS}s: {len(sink.received)} received, notices "
                f"{list(notices.values_list('email_status', 'email_last_error'))}\n{logs(worker_log, beat_log)}"
            )
        time.sleep(5)  # two more beats: nothing is sent twice

        # Both line managers, the raiser and (child protection) the business manager.
        people = sorted(notices.values_list("recipient__email", flat=True))
        assert people == [
            "business-manager@example.org",
            "dsl@example.org",  # the school's safeguarding lead holds stage 2 with its line manager
            "manager@example.org",
            "practitioner@example.org",
            "team-manager@example.org",
        ]
        assert sorted(rcpt for rcpts, _ in missed(sink) for rcpt in rcpts) == people
        # The only other e-mail: the social worker was told when it was raised.
        others = [(rcpts, m["Subject"]) for rcpts, m in sink.received if "Deadline missed" not in m["Subject"]]
        assert others == [(["social-worker@example.org"], f"[{escalation.reference}] New disagreement: stage 1")]
        for _, message in missed(sink):
            assert message["Subject"] == f"[{escalation.reference}] Deadline missed: stage 1"
            body = message.get_payload(decode=True).decode()
            assert f"https://escalations.example.org/escalations/{escalation.public_id}/" in body
            assert "Ellie" not in body and "Hart" not in body
        assert RecordEntry.objects.filter(escalation=escalation, kind=RecordEntryKind.BREACHED).count() == 2
        assert "escalation.tasks.watch_deadlines" in worker_log.read_text()
    finally:
        for process in processes:
            stop(process)
        smtp.stop()
        broker.flushdb()
        broker.close()


def missed(sink) -> list:
    """The "Deadline missed" e-mails the sink received (the conversation's notices go too)."""
    return [(rcpts, message) for rcpts, message in sink.received if "Deadline missed" in message["Subject"]]


def logs(*paths: Path) -> str:
    return "\n".join(f"--- {p.name}\n{p.read_text()[-4000:]}" for p in paths if p.exists())
