"""Two watchers at once on PostgreSQL: each breach and warning is acted on once.

Both threads are held at a barrier until each has read the same page of due stages, so they
really do race for the same rows: the conditional UPDATE (the claim) lets one win each row,
and the unique constraints would refuse a duplicate notice even if the claim were bypassed.
"""

import threading

import pytest
from django.conf import settings
from django.db import connections, transaction

from cases.models import RecordEntry, RecordEntryKind
from escalation import deadlines
from escalation.deadlines import run_watcher, write_notices
from escalation.models import Notification, NotificationKind, StageOccurrence
from tests.conftest import london
from tests.integration.test_watcher import raise_one

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"],
        reason="concurrent writers need PostgreSQL: set DATABASE_URL=postgres://…",
    ),
]


def in_threads(target, count=2):
    results, errors = [], []

    def run():
        try:
            results.append(target())
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert len(results) == count
    return results


def both_read_before_either_claims(monkeypatch, step_name):
    """Each thread waits at the barrier before its first claim, i.e. after reading its page."""
    barrier = threading.Barrier(2, timeout=30)
    original = getattr(deadlines, step_name)
    seen = threading.local()

    def step(*args):
        if not getattr(seen, "waited", False):
            seen.waited = True
            barrier.wait()
        return original(*args)

    monkeypatch.setattr(deadlines, step_name, step)


def test_two_watchers_at_once_record_and_notify_each_breach_once(cast, monkeypatch):
    for minute in range(20):
        raise_one(cast, at=london(2026, 11, 2, 10, minute))  # two children each; due Wed 4 Nov 17:00
    both_read_before_either_claims(monkeypatch, "_breach")
    now = london(2026, 11, 16, 10, 0)

    reports = in_threads(lambda: run_watcher(now=now, batch_size=50))

    assert sum(r.breached for r in reports) == 20
    assert sum(r.errors for r in reports) == 0
    # Each to the next tier of both agencies (stage 2: the two line managers and the school's
    # safeguarding lead, who holds it with its line manager) and the raiser.
    assert Notification.objects.filter(kind=NotificationKind.BREACH).count() == 20 * 4
    rows = Notification.objects.values_list("occurrence", "kind", "recipient")
    assert len(set(rows)) == len(rows)
    # Each breach once on each child's file.
    assert RecordEntry.objects.filter(kind=RecordEntryKind.BREACHED, child=cast.child).count() == 20
    assert RecordEntry.objects.filter(kind=RecordEntryKind.BREACHED, child=cast.sibling).count() == 20
    assert StageOccurrence.objects.filter(breached_at=now).count() == 20


def test_two_watchers_at_once_warn_each_stage_once(cast, monkeypatch):
    for minute in range(20):
        raise_one(cast, at=london(2026, 11, 2, 10, minute), children=[cast.child])
    both_read_before_either_claims(monkeypatch, "_warn")

    reports = in_threads(lambda: run_watcher(now=london(2026, 11, 3, 10, 0)))

    assert sum(r.warned for r in reports) == 20
    assert Notification.objects.filter(kind=NotificationKind.WARNING).count() == 20 * 2


def test_the_constraint_alone_stops_duplicates_when_two_writers_bypass_the_claim(cast):
    escalation = raise_one(cast, at=london(2026, 11, 2, 10, 0))
    occurrence = escalation.current_occurrence()
    people = [cast.manager.pk, cast.other_manager.pk, cast.practitioner.pk]
    barrier = threading.Barrier(2, timeout=30)

    def write():
        with transaction.atomic():
            barrier.wait()
            write_notices(
                escalation=escalation,
                occurrence=occurrence,
                kind=NotificationKind.BREACH,
                recipient_ids=people,
                message="m",
                not_before=london(2026, 11, 5, 9, 0),
            )

    in_threads(write)
    assert Notification.objects.filter(kind=NotificationKind.BREACH).count() == 3
