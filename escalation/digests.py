"""The daily digest: non-urgent notices for people who chose it, gathered into one e-mail at
08:30 on working days.

Delivery (escalation.notifications) sets a notice aside for the digest instead of sending it,
when its case is not urgent, its recipient chose the digest, and it does not ask them to act on a
stage due before the next digest would reach them. `collect_daily_digests` runs
on every watcher tick (Celery beat's and the in-process loop's) and on its own beat entry at
08:30: from 08:30 on a working day it writes each person's digest row for the day, and the
delivery sends it like any outbox row. The unique constraint (person, day) keeps it to one a
day, however many watchers collect at once; only the run that created the row attaches the
notices, so none is in two digests.
"""

from __future__ import annotations

from datetime import datetime, time

from django.db import IntegrityError, transaction
from django.utils import timezone

from escalation.digest_models import EmailDigest, EmailFrequency, EmailPreference
from escalation.models import Notification, NotificationKind
from escalation.states import EmailStatus
from escalation.wording import LONDON
from partnerships.choices import Urgency
from partnerships.models import Partnership
from partnerships.selectors import working_calendars

DIGEST_TIME = time(8, 30)
# Notices that ask their reader to act by the stage's deadline.
CALLS_FOR_ACTION = frozenset(
    {
        NotificationKind.RAISED,
        NotificationKind.ESCALATED,
        NotificationKind.ARRANGED,
        NotificationKind.WARNING,
        NotificationKind.BREACH,
    }
)


def frequency_of(user) -> str:
    found = EmailPreference.objects.filter(user=user).values_list("frequency", flat=True).first()
    return found or EmailFrequency.AT_ONCE


@transaction.atomic
def set_email_frequency(*, user, frequency: str) -> None:
    """Choosing 'straight away' releases anything waiting for a digest, so it goes at once."""
    EmailPreference.objects.update_or_create(user=user, defaults={"frequency": EmailFrequency(frequency)})
    if frequency == EmailFrequency.AT_ONCE:
        Notification.objects.filter(recipient=user, email_status=EmailStatus.DIGEST, digest__isnull=True).update(
            email_status=EmailStatus.PENDING, email_not_before=timezone.now()
        )


def digest_readers(user_ids) -> set[int]:
    """Of these people, those who chose the daily digest (one query for a delivery batch)."""
    return set(
        EmailPreference.objects.filter(user_id__in=set(user_ids), frequency=EmailFrequency.DAILY).values_list(
            "user_id", flat=True
        )
    )


def next_digest_at(calendar, now: datetime) -> datetime:
    """When the next digest goes: 08:30 today if today is a working day and it is not yet
    08:30, otherwise 08:30 on the next working day (today's digest, once written, is closed)."""
    local = now.astimezone(LONDON)
    day = local.date()
    if not (calendar.is_working_day(day) and local.time() < DIGEST_TIME):
        day = calendar.next_working_day(day)
    return datetime.combine(day, DIGEST_TIME, tzinfo=LONDON)


def waits_for_digest(notice: Notification, readers: set[int], now: datetime) -> bool:
    """Urgent cases (child protection, immediate risk) are always e-mailed at once, and so is news
    of a stage starting, arranged, warned of or missed when that stage is due before the next
    digest would arrive (St Helens' same-working-day first stage; a warning on the day itself)."""
    if notice.recipient_id not in readers or notice.escalation.urgency != Urgency.STANDARD:
        return False
    return not _due_before_next_digest(notice, now)


def _due_before_next_digest(notice: Notification, now: datetime) -> bool:
    stage = notice.occurrence
    if notice.kind not in CALLS_FOR_ACTION or stage is None or stage.closed_at or stage.due_at is None:
        return False
    return stage.due_at <= next_digest_at(notice.escalation.partnership.working_calendar(), now)


def _waiting():
    return Notification.objects.filter(email_status=EmailStatus.DIGEST, digest__isnull=True)


def collect_daily_digests(now: datetime | None = None) -> int:
    """From 08:30 on a working day (the person's partnership's calendar), one digest row per
    person with notices set aside. Returns how many rows this run wrote."""
    now = now or timezone.now()
    local = now.astimezone(LONDON)
    if local.time() < DIGEST_TIME:
        return 0
    first_partnership: dict[int, int] = {}
    for recipient_id, partnership_id in (
        _waiting().order_by("recipient_id", "created_at").values_list("recipient_id", "escalation__partnership_id")
    ):
        first_partnership.setdefault(recipient_id, partnership_id)
    calendars = working_calendars(Partnership.objects.filter(pk__in=set(first_partnership.values())))
    written = 0
    for recipient_id, partnership_id in first_partnership.items():
        if not calendars[partnership_id].is_working_day(local.date()):
            continue  # they wait for the next working morning
        written += _collect_one(recipient_id, local.date(), now)
    return written


def _collect_one(recipient_id: int, day, now: datetime) -> int:
    try:
        with transaction.atomic():
            digest = EmailDigest.objects.create(recipient_id=recipient_id, day=day, email_not_before=now)
            # Only the run that wrote the day's row attaches the notices waiting until now.
            attached = _waiting().filter(recipient_id=recipient_id, created_at__lte=now).update(digest=digest)
            if not attached:
                raise _NothingToSend
    except (IntegrityError, _NothingToSend):
        return 0  # another watcher wrote today's digest (later notices wait for tomorrow's)
    return 1


class _NothingToSend(Exception):
    pass


def render_digest(digest: EmailDigest, notices: list[Notification]) -> tuple[str, str]:
    """(subject, body): each notice's reference, kind and stored message (which carries the link,
    never a child's details)."""
    count = len(notices)
    subject = f"Your daily summary: {count} notification{'s' if count != 1 else ''}"
    parts = [f"{n.escalation.reference}: {n.get_kind_display()}\n{n.message}" for n in notices]
    return subject, "\n\n---\n\n".join(parts)


def digest_notices(digest: EmailDigest) -> list[Notification]:
    """What the digest says: its notices, oldest first, less any warning about a stage that has
    closed since (it is moot, as delivery would cancel it)."""
    notices = digest.notices.select_related("escalation", "occurrence").order_by("created_at", "pk")
    return [
        n
        for n in notices
        if not (n.kind == NotificationKind.WARNING and n.occurrence_id and n.occurrence.closed_at is not None)
    ]
