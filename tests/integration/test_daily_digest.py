"""People choose, for notices that are not urgent, an e-mail each or one daily digest at 08:30
on working days; urgent ones always go at once. The digest goes through the same outbox,
exactly once a day (a database constraint)."""

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import IntegrityError

from escalation.deadlines import run_watcher
from escalation.digest_models import EmailDigest, EmailFrequency
from escalation.digests import collect_daily_digests, next_digest_at, set_email_frequency
from escalation.models import Notification, NotificationKind
from escalation.notifications import deliver_pending
from escalation.states import EmailStatus
from partnerships.choices import Urgency
from tests.conftest import build_cast, london
from tests.integration.test_escalation_lifecycle import raise_one

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def outbox(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def raised_at(cast, at, urgency=Urgency.STANDARD):
    with time_machine.travel(at):
        return raise_one(cast, at=at, urgency=urgency, children=[cast.child])


def to(user):
    return [m for m in mail.outbox if m.to == [user.email]]


def test_a_digest_reader_gets_nothing_at_once_and_one_e_mail_at_half_past_eight_next_working_day(cast):
    set_email_frequency(user=cast.other_practitioner, frequency=EmailFrequency.DAILY)
    first = raised_at(cast, london(2026, 12, 1, 10, 0))
    second = raised_at(cast, london(2026, 12, 1, 14, 0))
    deliver_pending(now=london(2026, 12, 1, 15, 0))
    assert to(cast.other_practitioner) == []
    assert set(
        Notification.objects.filter(recipient=cast.other_practitioner).values_list("email_status", flat=True)
    ) == {EmailStatus.DIGEST}
    assert collect_daily_digests(london(2026, 12, 2, 8, 29)) == 0  # not before 08:30
    assert collect_daily_digests(london(2026, 12, 2, 8, 30)) == 1
    assert collect_daily_digests(london(2026, 12, 2, 8, 31)) == 0  # one a day
    assert deliver_pending(now=london(2026, 12, 2, 8, 31)) == 1
    assert deliver_pending(now=london(2026, 12, 2, 9, 0)) == 0
    [digest] = to(cast.other_practitioner)
    assert digest.subject == "Your daily summary: 2 notifications"
    assert first.reference in digest.body and second.reference in digest.body
    assert cast.child.first_name not in digest.body  # never a child's details
    assert EmailDigest.objects.get().email_status == EmailStatus.SENT


def test_urgent_notices_go_at_once_to_a_digest_reader(cast):
    set_email_frequency(user=cast.other_practitioner, frequency=EmailFrequency.DAILY)
    escalation = raised_at(cast, london(2026, 12, 1, 10, 0), urgency=Urgency.CHILD_PROTECTION)
    deliver_pending(now=london(2026, 12, 1, 10, 1))
    [sent] = to(cast.other_practitioner)
    assert escalation.reference in sent.subject
    assert collect_daily_digests(london(2026, 12, 2, 8, 30)) == 0


def test_people_who_chose_nothing_get_each_notice_at_once(cast):
    raised_at(cast, london(2026, 12, 1, 10, 0))
    deliver_pending(now=london(2026, 12, 1, 10, 1))
    assert len(to(cast.other_practitioner)) == 1


def test_no_digest_on_a_weekend_it_waits_for_monday(cast):
    set_email_frequency(user=cast.other_practitioner, frequency=EmailFrequency.DAILY)
    raised_at(cast, london(2026, 12, 4, 10, 0))  # a Friday
    deliver_pending(now=london(2026, 12, 4, 10, 1))
    assert collect_daily_digests(london(2026, 12, 5, 9, 0)) == 0  # Saturday
    assert collect_daily_digests(london(2026, 12, 7, 8, 30)) == 1  # Monday
    assert EmailDigest.objects.get().day == london(2026, 12, 7).date()


def test_the_database_allows_one_digest_per_person_and_day(cast):
    EmailDigest.objects.create(
        recipient=cast.manager, day=london(2026, 12, 2).date(), email_not_before=london(2026, 12, 2)
    )
    with pytest.raises(IntegrityError):
        EmailDigest.objects.create(
            recipient=cast.manager, day=london(2026, 12, 2).date(), email_not_before=london(2026, 12, 2)
        )


def test_choosing_straight_away_again_sends_what_was_waiting(cast):
    set_email_frequency(user=cast.other_practitioner, frequency=EmailFrequency.DAILY)
    raised_at(cast, london(2026, 12, 1, 10, 0))
    deliver_pending(now=london(2026, 12, 1, 10, 1))
    set_email_frequency(user=cast.other_practitioner, frequency=EmailFrequency.AT_ONCE)
    deliver_pending()
    assert len(to(cast.other_practitioner)) == 1
    assert not EmailDigest.objects.exists()


def test_the_in_process_watcher_loop_writes_and_sends_the_digest(cast, settings, monkeypatch):
    from escalation.management.commands import run_watcher_loop

    settings.REDIS_URL = ""
    # Travelling a day ahead makes each tick close the test's own connection (CONN_MAX_AGE) on PostgreSQL.
    monkeypatch.setattr(run_watcher_loop, "close_old_connections", lambda: None)
    set_email_frequency(user=cast.other_practitioner, frequency=EmailFrequency.DAILY)
    escalation = raised_at(cast, london(2026, 12, 1, 10, 0))
    with time_machine.travel(london(2026, 12, 1, 10, 5)):
        call_command("run_watcher_loop", "--once")
    assert to(cast.other_practitioner) == []
    with time_machine.travel(london(2026, 12, 2, 8, 35)):
        call_command("run_watcher_loop", "--once")
        call_command("run_watcher_loop", "--once")
    [digest] = to(cast.other_practitioner)
    assert escalation.reference in digest.body


def test_beat_sends_the_digest_at_half_past_eight_on_weekdays(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["daily-digest"]
    assert entry["task"] == "escalation.tasks.send_daily_digests"
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({8}, {30})
    assert entry["schedule"].day_of_week == {1, 2, 3, 4, 5}


def test_a_stage_due_before_the_next_digest_is_e_mailed_at_once_to_a_digest_reader():
    cast = build_cast("st-helens")
    set_email_frequency(user=cast.manager, frequency=EmailFrequency.DAILY)
    # St Helens' first stage (consult your line manager) is due the same working day.
    escalation = raised_at(cast, london(2026, 12, 1, 10, 0))
    assert escalation.current_occurrence().due_at == london(2026, 12, 1, 17, 0)
    deliver_pending(now=london(2026, 12, 1, 10, 1))
    [sent] = to(cast.manager)
    assert escalation.reference in sent.subject
    assert Notification.objects.get(recipient=cast.manager).email_status == EmailStatus.SENT


def test_a_warning_goes_at_once_to_a_digest_reader_while_news_of_a_later_deadline_waits(cast):
    set_email_frequency(user=cast.other_practitioner, frequency=EmailFrequency.DAILY)
    escalation = raised_at(cast, london(2026, 12, 1, 10, 0))  # stage 1 is due Thursday at 17:00
    deliver_pending(now=london(2026, 12, 1, 10, 1))
    assert to(cast.other_practitioner) == []
    run_watcher(now=london(2026, 12, 3, 9, 0))
    deliver_pending(now=london(2026, 12, 3, 9, 1))
    [warning] = to(cast.other_practitioner)
    assert escalation.reference in warning.subject
    kinds = dict(Notification.objects.filter(recipient=cast.other_practitioner).values_list("kind", "email_status"))
    assert kinds == {NotificationKind.RAISED: EmailStatus.DIGEST, NotificationKind.WARNING: EmailStatus.SENT}


def test_the_next_digest_is_half_past_eight_on_the_next_working_morning():
    calendar = build_cast().partnership.working_calendar()
    assert next_digest_at(calendar, london(2026, 12, 1, 8, 0)) == london(2026, 12, 1, 8, 30)
    assert next_digest_at(calendar, london(2026, 12, 1, 8, 30)) == london(2026, 12, 2, 8, 30)
    assert next_digest_at(calendar, london(2026, 12, 4, 12, 0)) == london(2026, 12, 7, 8, 30)  # Friday
    assert next_digest_at(calendar, london(2026, 12, 24, 9, 0)) == london(2026, 12, 29, 8, 30)  # Christmas
