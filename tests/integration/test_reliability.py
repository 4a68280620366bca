"""Reliability (issue 7): a worker killed mid-delivery, Redis down, a database error in a
transition.

What the delivery design guarantees (escalation/notifications.py), as these tests pin it:

- No notification is ever lost: a row is SENT only after the SMTP server accepted it; a
  row a dead worker left claimed (`sending`) is taken over after the reclaim time (EMAIL_RECLAIM_SECONDS, 2 minutes);
  a failed one is retried with backoff.
- No notification is sent twice by two workers: each row is claimed with a conditional
  UPDATE before it is sent.
- At-least-once, with one bounded window: if a worker dies after the SMTP server accepted
  a message but before the row was marked SENT, that one message is sent again when its
  claim goes stale (never sooner than the reclaim time), with the same Message-ID. A crash while the server is still
  receiving or acknowledging it (the kill test below) sends each message exactly once.

The worker test needs PostgreSQL and Redis: it skips without them, and fails under CI=true.
"""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from collections import Counter
from datetime import date, timedelta
from email import message_from_bytes

import pytest
import redis
from aiosmtpd.controller import Controller
from celery import Celery
from django.conf import settings
from django.core import mail
from django.db import DatabaseError, IntegrityError
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from cases.models import RecordEntry
from config import celery_app
from escalation import clocks, notifications, services, tasks
from escalation.models import (
    Action,
    Discussion,
    EmailStatus,
    Escalation,
    Notification,
    NotificationKind,
    Resolution,
    StageOccurrence,
)
from escalation.notifications import deliver_pending, reclaim_after
from escalation.states import Category, State
from tests.conftest import london
from tests.functional.test_hostile_input import signed_in
from tests.integration.test_celery_worker import CELERY, ROOT, stop, subprocess_database_url
from tests.integration.test_delivery import free_port

IN_CI = os.environ.get("CI", "").lower() == "true"
SITE = "https://escalations.example.org"


def require(condition: bool, reason: str) -> None:
    if condition:
        return
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: this reliability test must run)")
    pytest.skip(reason)


def raise_one(cast, at=None):
    return services.escalation_raise(
        raised_by=cast.practitioner,
        raising_agency=cast.school,
        receiving_agency=cast.csc,
        children=[cast.child, cast.sibling],
        category=Category.THRESHOLD,
        concern="The referral was refused.",
        why_unsafe="Bruising was seen twice this term.",
        outcome_sought="A strategy discussion.",
        at=at or london(2026, 11, 2, 10, 0),
    )


def fresh(escalation):
    return Escalation.objects.get(pk=escalation.pk)


def pending_notices(cast, escalation, people):
    # Raising the escalation told the social worker (the conversation's "raised" notice). The
    # tests follow the delivery of the rows written here, so that notice is delivered first,
    # explicitly, and its e-mail set aside.
    deliver_pending(now=timezone.now())
    mail.outbox.clear()
    assert not Notification.objects.filter(escalation=escalation).exclude(email_status=EmailStatus.SENT).exists()
    occurrence = escalation.current_occurrence()
    services.notify(
        people,
        escalation=escalation,
        occurrence=occurrence,
        kind=NotificationKind.ESCALATED,
        message=f"{escalation.reference} has reached you. {SITE}/escalations/{escalation.public_id}/",
    )
    return Notification.objects.filter(escalation=escalation, kind=NotificationKind.ESCALATED)


# =====================================================================================
# (a) A worker killed with SIGKILL in the middle of a batch
# =====================================================================================


class SlowSink:
    """An SMTP server that takes `delay` seconds to acknowledge each message and, like a
    real MTA, takes responsibility for a message only when it can acknowledge it: a client
    that vanished meanwhile never gets a 250, and the message is not kept."""

    def __init__(self, delay: float, signal_at: int):
        self.delay = delay
        self.signal_at = signal_at
        self.started = 0
        self.accepted: list = []
        self.in_flight = threading.Event()  # set while message number `signal_at` is being acknowledged

    async def handle_DATA(self, server, session, envelope):
        self.started += 1
        if self.started == self.signal_at:
            self.in_flight.set()
        await asyncio.sleep(self.delay)  # aiosmtpd cancels this if the client goes away
        if server.transport is None or server.transport.is_closing():
            return "421 The client went away"
        self.accepted.append((tuple(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 OK"


def start_worker(env, log, name):
    import subprocess

    return subprocess.Popen(
        [
            str(CELERY),
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--hostname",
            f"{name}-{os.getpid()}@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def wait_for(condition, seconds, what, logs=()):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    tail = "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}" for p in logs if p.exists())
    pytest.fail(f"{what} within {seconds}s\n{tail}")


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_killing_the_worker_mid_batch_loses_no_notification_and_sends_none_twice(cast, tmp_path):
    require("postgresql" in settings.DATABASES["default"]["ENGINE"], "needs DATABASE_URL=postgres://…")
    require(bool(os.environ.get("REDIS_URL")), "needs REDIS_URL (a local Redis)")
    broker_url = "redis://127.0.0.1:6379/7"  # a database of its own, flushed before and after
    broker = redis.Redis.from_url(broker_url)
    broker.flushdb()

    escalation = raise_one(cast)
    people = [
        cast.manager,
        cast.safeguarding_lead,
        cast.senior_manager,
        cast.other_manager,
        cast.other_senior_manager,
        cast.business_manager,
    ]
    notices = pending_notices(cast, escalation, people)
    assert notices.filter(email_status=EmailStatus.PENDING).count() == 6

    port = free_port()
    sink = SlowSink(delay=2.0, signal_at=3)
    smtp = Controller(sink, hostname="127.0.0.1", port=port)
    smtp.start()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EMAIL_", "CELERY_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=subprocess_database_url(),
        REDIS_URL=broker_url,
        DEBUG="1",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(port),
        SITE_URL=SITE,
        PYTHONUNBUFFERED="1",
    )
    producer = Celery(broker=broker_url)
    logs = [tmp_path / "worker-1.log", tmp_path / "worker-2.log"]
    workers = []
    try:
        workers.append(start_worker(env, logs[0], "doomed"))
        producer.send_task("escalation.tasks.deliver_notifications")

        # The third message is on the wire and the server has not acknowledged it: kill -9 now.
        if not sink.in_flight.wait(timeout=90):
            wait_for(lambda: False, 0, "the worker never reached the third message", logs)
        os.killpg(workers[0].pid, signal.SIGKILL)
        workers[0].wait(timeout=10)
        time.sleep(sink.delay + 0.5)  # the server gives up on the vanished client

        statuses = Counter(notices.values_list("email_status", flat=True))
        assert statuses == {EmailStatus.SENT: 2, EmailStatus.SENDING: 1, EmailStatus.PENDING: 3}, statuses
        assert len(sink.accepted) == 2
        stuck = notices.get(email_status=EmailStatus.SENDING)
        assert stuck.email_sent_at is None

        # The reclaim time on, the dead worker's claim is stale (moved back rather than waited for).
        notices.filter(pk=stuck.pk).update(
            email_claimed_at=F("email_claimed_at") - reclaim_after() - timedelta(minutes=1)
        )

        workers.append(start_worker(env, logs[1], "replacement"))
        producer.send_task("escalation.tasks.deliver_notifications")  # as the next beat tick does
        wait_for(
            lambda: not notices.exclude(email_status=EmailStatus.SENT).exists() and len(sink.accepted) >= 6,
            90,
            "every notification sent",
            logs,
        )
        # Once more, as a redelivered task or the next tick would: nothing is sent again.
        producer.send_task("escalation.tasks.deliver_notifications")
        time.sleep(sink.delay + 3)

        received = Counter(rcpt for rcpts, _ in sink.accepted for rcpt in rcpts)
        assert received == Counter(p.email for p in people), received  # one each, none lost
        for _, message in sink.accepted:
            assert message["Subject"] == f"[{escalation.reference}] Escalated: stage 1"
        assert all(n.email_attempts == 1 for n in notices)  # the stuck one's first try never completed
        assert notices.get(pk=stuck.pk).email_sent_at is not None
        assert "escalation.tasks.deliver_notifications" in logs[1].read_text()
    finally:
        for worker in workers:
            stop(worker)
        smtp.stop()
        broker.flushdb()
        broker.close()
        producer.close()


@pytest.mark.django_db
def test_a_crash_after_the_server_accepted_a_message_resends_it_once_and_only_after_the_stale_claim(
    cast, monkeypatch, settings
):
    """The one duplicate the design allows, pinned: the worker dies between the SMTP server's
    250 and marking the row sent. Nothing is resent before the reclaim time; then that one
    message (and no other) goes again."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    escalation = raise_one(cast)
    people = [cast.manager, cast.other_manager, cast.business_manager]
    notices = pending_notices(cast, escalation, people)
    real_send = notifications._send
    sent = []

    class WorkerKilled(BaseException):
        """Not an Exception: like SIGKILL, no handler in deliver_pending gets to record anything."""

    def send_then_die_after_the_second(notice, connection):
        real_send(notice, connection)
        sent.append(notice.pk)
        if len(sent) == 2:
            raise WorkerKilled

    monkeypatch.setattr(notifications, "_send", send_then_die_after_the_second)
    t0 = timezone.now()
    with pytest.raises(WorkerKilled):
        deliver_pending(now=t0)
    monkeypatch.setattr(notifications, "_send", real_send)
    in_flight = notices.get(pk=sent[1])
    assert in_flight.email_status == EmailStatus.SENDING and len(mail.outbox) == 2

    assert deliver_pending(now=t0 + timedelta(minutes=1)) == 1  # the third; the claimed one waits
    assert deliver_pending(now=t0 + reclaim_after() - timedelta(seconds=1)) == 0
    assert deliver_pending(now=t0 + reclaim_after() + timedelta(seconds=1)) == 1  # taken over: sent again
    assert deliver_pending(now=t0 + timedelta(hours=2)) == 0

    per_person = Counter(m.to[0] for m in mail.outbox)
    assert per_person[in_flight.recipient.email] == 2  # the single, bounded duplicate …
    copies = [m for m in mail.outbox if m.to == [in_flight.recipient.email]]
    # … which a mail client shows once: both copies carry the notification's own Message-ID.
    assert {m.message()["Message-ID"] for m in copies} == {notifications.message_id(in_flight)}
    assert all(count == 1 for email, count in per_person.items() if email != in_flight.recipient.email)
    assert set(notices.values_list("email_status", flat=True)) == {EmailStatus.SENT}


# =====================================================================================
# (b) Redis down: the web app works; the outbox waits; delivery when Redis is back
# =====================================================================================


def closed_port_url() -> str:
    return f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there


@pytest.mark.django_db
def test_with_redis_down_people_raise_acknowledge_and_resolve_and_the_notice_waits_for_delivery(
    cast, settings, monkeypatch
):
    down = closed_port_url()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # The conversation's notices are held out of hours and this test runs on the real clock:
    # send them at once, so that "waits" below means waiting for Redis, not for the morning.
    cast.partnership.hold_out_of_hours_email = False
    cast.partnership.save()
    settings.REDIS_URL = settings.CELERY_BROKER_URL = down
    previous_broker = celery_app.conf.broker_url
    celery_app.conf.broker_url = down
    published = []
    real_apply_async = celery_app.Task.apply_async
    monkeypatch.setattr(
        celery_app.Task,
        "apply_async",
        lambda self, *a, **k: published.append(self.name) or real_apply_async(self, *a, **k),
    )
    try:
        # Redis really is down for this process: queueing a task fails.
        with pytest.raises(OperationalError):
            with celery_app.connection_for_write(down) as connection:
                connection.ensure_connection(max_retries=1, timeout=1)
                tasks.deliver_notifications.apply_async(connection=connection, retry=False)
        published.clear()

        practitioner = signed_in(cast.practitioner)
        social_worker = signed_in(cast.other_practitioner)
        response = practitioner.post(
            reverse("escalation:raise") + f"?child={cast.child.public_id}",
            {
                "children": [str(cast.child.public_id)],
                "receiving_agency": cast.csc.pk,
                "category": Category.THRESHOLD,
                "concern": "The referral was refused.",
                "why_unsafe": "Bruising seen twice.",
                "outcome_sought": "A strategy discussion.",
                "urgency": "standard",
            },
        )
        assert response.status_code == 302
        escalation = Escalation.objects.get()
        seen = {"seen_state": escalation.state, "seen_stage": "1"}
        assert (
            social_worker.post(reverse("escalation:acknowledge", args=[escalation.public_id]), seen).status_code == 302
        )
        assert fresh(escalation).state == State.IN_DISCUSSION
        response = social_worker.post(
            reverse("escalation:resolve", args=[escalation.public_id]),
            {
                "seen_state": State.IN_DISCUSSION,
                "seen_stage": "1",
                "agreed_outcome": "A strategy discussion on Friday.",
                "main_reason": Category.THRESHOLD,
                "practitioners_informed": "Both teachers",
                "family_informed": "yes",
                "case_review_recommended": "no",
            },
        )
        assert response.status_code == 302 and fresh(escalation).state == State.RESOLVED
        for url in (reverse("escalation:detail", args=[escalation.public_id]), reverse("escalation:notifications")):
            assert practitioner.get(url).status_code == 200
        assert published == []  # the web app never needs the broker

        # The outbox row waits, visible in the app at once.
        notice = Notification.objects.get(kind=NotificationKind.RESOLVED)
        assert notice.recipient == cast.practitioner and notice.email_status == EmailStatus.PENDING
        assert escalation.reference in practitioner.get(reverse("escalation:notifications")).content.decode()
        assert mail.outbox == []
    finally:
        celery_app.conf.broker_url = previous_broker

    # Redis is back: the delivery task can be queued again (on a real Redis when there is one) …
    if os.environ.get("REDIS_URL"):
        back = "redis://127.0.0.1:6379/8"
        scratch = redis.Redis.from_url(back)
        scratch.flushdb()
        try:
            with celery_app.connection_for_write(back) as connection:
                tasks.deliver_notifications.apply_async(connection=connection, retry=False)
            assert scratch.llen("celery") == 1
        finally:
            scratch.flushdb()
            scratch.close()
    # … and what it runs delivers the waiting notices (raised, acknowledged, resolved), each once.
    waiting = Notification.objects.filter(email_status=EmailStatus.PENDING).count()
    assert waiting == Notification.objects.count()
    assert tasks.deliver_notifications() == waiting
    assert tasks.deliver_notifications() == 0
    assert Notification.objects.get(pk=notice.pk).email_status == EmailStatus.SENT
    assert len(mail.outbox) == waiting
    resolved = f"[{escalation.reference}] {NotificationKind.RESOLVED.label}: stage 1"
    assert [m.to for m in mail.outbox if m.subject == resolved] == [[cast.practitioner.email]]


# =====================================================================================
# (c) A database error inside a transition leaves no half-written escalation
# =====================================================================================


def snapshot(escalation_pk=None):
    rows = Escalation.objects.order_by("pk").values()
    return {
        "escalations": [dict(r) for r in rows],
        "occurrences": [dict(r) for r in StageOccurrence.objects.order_by("pk").values()],
        "entries": RecordEntry.objects.count(),
        "resolutions": Resolution.objects.count(),
        "discussions": Discussion.objects.count(),
        "actions": Action.objects.count(),
        "notifications": Notification.objects.count(),
        "children_links": Escalation.children.through.objects.count(),
    }


def acknowledged(cast):
    escalation = raise_one(cast)
    services.escalation_acknowledge(escalation=escalation, acting_user=cast.other_practitioner)
    return fresh(escalation)


TRANSITIONS = {
    "raise": (None, lambda cast, e: raise_one(cast)),
    "acknowledge": (
        raise_one,
        lambda cast, e: services.escalation_acknowledge(escalation=e, acting_user=cast.other_practitioner),
    ),
    "escalate": (
        acknowledged,
        lambda cast, e: services.escalation_escalate(escalation=e, acting_user=cast.practitioner, evidence="Calls."),
    ),
    "resolve": (
        acknowledged,
        lambda cast, e: services.escalation_resolve(escalation=e, acting_user=cast.practitioner, outcome="Agreed."),
    ),
    "withdraw": (
        raise_one,
        lambda cast, e: services.escalation_withdraw(escalation=e, acting_user=cast.practitioner, reason="Moved."),
    ),
    "urgency": (
        raise_one,
        lambda cast, e: services.escalation_change_urgency(
            escalation=e, acting_user=cast.practitioner, urgency="child-protection", reason="New injury."
        ),
    ),
    "discussion": (
        acknowledged,
        lambda cast, e: services.discussion_record(
            escalation=e,
            acting_user=cast.practitioner,
            held_at=london(2026, 11, 3, 9, 0),
            method="phone",
            participants="Both",
            outcome="Agreed a visit.",
            actions=[{"description": "Visit", "owner_name": "TM", "due_on": date(2026, 11, 10)}],
        ),
    ),
}


def fail_with_a_raised_error(escalation, kind, summary, *, author=None):
    raise IntegrityError("simulated: the database refused the entry on the child's file")


def fail_with_a_real_constraint_violation(escalation, kind, summary, *, author=None):
    """A genuine error from the database itself: a second stage 1 breaks a unique constraint."""
    first = StageOccurrence.objects.filter(escalation=escalation).order_by("number").first()
    StageOccurrence.objects.create(
        escalation=escalation,
        policy_stage=first.policy_stage,
        number=first.number,
        started_at=first.started_at,
        clock_started_at=first.clock_started_at,
        due_at=first.due_at,
        timescale_description="duplicate",
        closed_at=first.started_at,
    )


@pytest.mark.django_db
@pytest.mark.parametrize("failure", [fail_with_a_raised_error, fail_with_a_real_constraint_violation])
@pytest.mark.parametrize("name", list(TRANSITIONS))
def test_a_database_error_inside_a_transition_writes_nothing(cast, monkeypatch, name, failure):
    setup, act = TRANSITIONS[name]
    escalation = setup(cast) if setup else None
    before = snapshot()
    # Every module that writes on the children's files (the clock changes live in their own).
    monkeypatch.setattr(services, "record_on_files", failure)
    monkeypatch.setattr(clocks, "record_on_files", failure)

    with pytest.raises(DatabaseError):  # IntegrityError is a DatabaseError
        act(cast, fresh(escalation) if escalation else None)

    assert snapshot() == before  # state, stage, occurrences, entries, resolution: all as they were
    monkeypatch.undo()
    act(cast, fresh(escalation) if escalation else None)  # and the same action then succeeds
    assert snapshot() != before


@pytest.mark.django_db
def test_a_database_error_during_a_transition_through_the_page_leaves_the_escalation_as_it_was(cast, monkeypatch):
    """Through the web: the error propagates (a 500 page in production), nothing is half-written,
    and the person can simply try again."""
    escalation = raise_one(cast)
    before = snapshot()
    client = signed_in(cast.other_practitioner)
    monkeypatch.setattr(services, "record_on_files", fail_with_a_raised_error)
    with pytest.raises(IntegrityError):
        client.post(
            reverse("escalation:acknowledge", args=[escalation.public_id]),
            {"seen_state": State.RAISED, "seen_stage": "1"},
        )
    assert snapshot() == before
    monkeypatch.undo()
    client.post(
        reverse("escalation:acknowledge", args=[escalation.public_id]), {"seen_state": State.RAISED, "seen_stage": "1"}
    )
    assert fresh(escalation).state == State.IN_DISCUSSION
