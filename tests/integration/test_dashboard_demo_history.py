"""The demo year: made through the services, back-dated, idempotent, and rich enough for the dashboard."""

from collections import Counter
from datetime import datetime, time

import pytest

from cases.models import RecordEntry, RecordEntryKind
from escalation.dashboard import build_dashboard
from escalation.demo.history import FIRST_DAY, LAST_MOMENT, LONDON, load_demo_history
from escalation.demo.partnerships import PARTNERSHIPS, load_demo
from escalation.figures import Scope
from escalation.models import Discussion, EmailStatus, Escalation, Notification, Resolution, StageOccurrence
from escalation.states import State
from partnerships.models import Partnership

pytestmark = pytest.mark.django_db

PER_PARTNERSHIP = 12


@pytest.fixture
def demo():
    load_demo(with_history=False)
    made = load_demo_history(per_partnership=PER_PARTNERSHIP)
    return made


def test_every_partnership_gets_its_year_once(demo):
    assert demo == PER_PARTNERSHIP * len(PARTNERSHIPS)
    assert load_demo_history(per_partnership=PER_PARTNERSHIP) == 0  # idempotent
    for partnership in Partnership.objects.all():
        assert Escalation.objects.filter(partnership=partnership).count() == PER_PARTNERSHIP


def test_everything_happened_within_the_year_and_is_on_the_childs_file(demo):
    start = datetime.combine(FIRST_DAY, time.min, tzinfo=LONDON)
    escalations = Escalation.objects.all()
    assert all(start <= e.raised_at <= LAST_MOMENT for e in escalations)
    entries = RecordEntry.objects.filter(escalation__isnull=False)
    # Back-dated: the child's file reads as it happened, not as the day the demo was loaded.
    assert all(start <= entry.at <= LAST_MOMENT for entry in entries)
    # One entry per child named (sibling groups), so count the escalations behind them.
    kinds = Counter(kind for kind, _ in set(entries.values_list("kind", "escalation_id")))
    assert kinds[RecordEntryKind.RAISED] == demo
    assert kinds[RecordEntryKind.RESOLVED] == Resolution.objects.count()
    assert (
        kinds[RecordEntryKind.BREACHED]
        == StageOccurrence.objects.filter(breached_at__isnull=False).values("escalation").distinct().count()
    )
    for e in escalations.prefetch_related("occurrences"):
        first_entry = RecordEntry.objects.filter(escalation=e).order_by("at", "pk").first()
        assert first_entry.kind == RecordEntryKind.RAISED and first_entry.at == e.raised_at


def test_the_records_are_consistent(demo):
    for e in Escalation.objects.prefetch_related("occurrences"):
        stages = list(e.occurrences.all())
        assert [s.number for s in stages] == list(range(1, e.stage_number + 1))
        assert sum(s.closed_at is None for s in stages) == (1 if e.is_open else 0)
        for s in stages:
            if s.closed_at is not None:
                # Each clock times the policy's event (a discussion held…), else the stage's end.
                assert s.timescale_met == ((s.step_met_at or s.closed_at) <= s.due_at)
            if s.breached_at is not None:
                assert s.breached_at > s.due_at  # recorded as the watcher would have
        if e.state in (State.RESOLVED, State.CLOSED):
            assert e.resolution.stage_resolved == e.stage_number
    assert not StageOccurrence.objects.filter(closed_at__gt=LAST_MOMENT).exists()
    # A stage's discussion is written up while the stage is open, never after it moved on.
    for discussion in Discussion.objects.select_related("occurrence"):
        closed = discussion.occurrence.closed_at
        assert discussion.held_at <= discussion.recorded_at
        assert closed is None or discussion.recorded_at <= closed
    # The past year's notices went out at the time: nobody is e-mailed about them today.
    assert not Notification.objects.exclude(email_status=EmailStatus.SENT).exists()


def test_the_dashboard_has_something_to_show(demo):
    partnership = Partnership.objects.get(slug="five-stage")
    board = build_dashboard(Scope(partnership))
    headline = {label: cell.value for label, cell in board.headline}
    assert headline["Raised"] == PER_PARTNERSHIP
    assert headline["Resolved"] > 0
    months = next(f for f in board.figures if f.key == "months")
    assert len(months.rows) >= 4


def test_the_year_runs_up_to_today_and_nothing_open_is_months_overdue(demo):
    """The demo reads as a partnership that works, whatever day it is loaded: what is still open
    was raised lately, and none of it is more than a few weeks past its deadline."""
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    assert now - timedelta(hours=2) <= LAST_MOMENT <= now
    latest = Escalation.objects.order_by("-raised_at").first().raised_at
    assert latest >= now - timedelta(days=60)
    for e in Escalation.objects.filter(state__in=[State.RAISED, State.IN_DISCUSSION]):
        assert e.raised_at >= now - timedelta(days=60), e.reference
        if e.current_due_at:
            assert e.current_due_at >= now - timedelta(days=30), e.reference


def test_loading_says_what_it_is_doing():
    told = []
    load_demo(with_history=False)
    load_demo_history(per_partnership=1, progress=told.append)
    assert len(told) == len(PARTNERSHIPS)
    assert told[0].startswith("Demo history 1 of 5: 1 disagreements over the past year in ")
