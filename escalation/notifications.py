"""Delivering the outbox: e-mail through Django's backend, and the in-app unread count.

The watcher (escalation.deadlines) writes Notification rows in the transaction that caused
them; this module sends them afterwards. Each row is claimed with a conditional UPDATE to
`sending` before it is sent, so two delivery workers never send the same row; a failure is
recorded on the row (attempts, last error) and retried with backoff, never dropped. A row
left in `sending` by a worker that died is taken over after `EMAIL_RECLAIM_SECONDS`
(default 120).

E-mail is at-least-once, and duplicates are kept rare:
- the row is locked while its message is sent and marked sent in that same short
  transaction, so a takeover waits for a slow send rather than sending it a second time;
- if the database connection drops after the SMTP server accepted the message, marking it
  sent (idempotent: only while the claim is still ours) is retried on a fresh connection
  for a few seconds before giving up;
- only then, if the database stays away, is the message sent again after the reclaim time,
  with the same `Message-ID` (derived from the notification), so a mail client that gets
  it twice shows it once.
"""

from __future__ import annotations

import logging
import smtplib
import time
from collections.abc import Iterable
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core import mail
from django.db import DatabaseError, connection, transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from escalation import digests
from escalation.models import EmailDigest, EmailStatus, Notification, NotificationKind
from partnerships.compiled import CompiledCount

logger = logging.getLogger(__name__)

DEFAULT_RECLAIM_SECONDS = 120
# Waits between tries at marking a sent message sent on a fresh database connection.
MARK_SENT_RETRY_WAITS = (0.2, 0.5, 1, 2, 4)
MAX_BACKOFF = timedelta(minutes=60)

FOOTER = (
    "You are receiving this because of your part in this escalation. Sign in to see the details: "
    "for the child's privacy this e-mail never contains them.\n\n{service}"
)

# Errors about one message (a refused recipient or sender, rejected data): the server is up,
# so the rest of the batch goes on. Anything else (refused connection, timeout, lost
# connection, failed login) means the server is unusable now: stop and let the backoff work.
MESSAGE_ERRORS = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError, ValueError)


def backoff(attempts: int) -> timedelta:
    """Wait after the 1st, 2nd, 3rd … failure: 1, 2, 4 … minutes, never more than an hour."""
    return min(timedelta(minutes=2 ** min(max(attempts - 1, 0), 6)), MAX_BACKOFF)


def reclaim_after() -> timedelta:
    """How long a claimed row may stay `sending` before another worker takes it over: longer
    than one message can take to send (a few EMAIL_TIMEOUTs), short enough that a worker that
    died delays its notice by minutes, not ten."""
    return timedelta(seconds=getattr(settings, "EMAIL_RECLAIM_SECONDS", DEFAULT_RECLAIM_SECONDS))


def _due(now: datetime, model=Notification) -> QuerySet:
    # The first filter is the `undelivered_email` (`undelivered_digest`) partial index's condition plus its column.
    return model.objects.filter(
        email_status__in=[EmailStatus.PENDING, EmailStatus.FAILED, EmailStatus.SENDING],
        email_not_before__lte=now,
    ).filter(
        Q(email_status__in=[EmailStatus.PENDING, EmailStatus.FAILED])
        | Q(email_status=EmailStatus.SENDING, email_claimed_at__lt=now - reclaim_after())
    )


def render_email(notice: Notification) -> tuple[str, str]:
    """(subject, body): the reference, the kind, the stage, and the stored message with its link."""
    subject = f"[{notice.escalation.reference}] {notice.get_kind_display()}"
    if notice.occurrence_id:
        subject += f": stage {notice.occurrence.number}"
    body = notice.message + "\n\n" + FOOTER.format(service=getattr(settings, "SERVICE_NAME", ""))
    return subject, body


def message_id(row) -> str:
    """The same for every attempt at one notification (or one person's digest of a day), so a
    duplicate is shown once."""
    domain = urlsplit(getattr(settings, "SITE_URL", "")).hostname or "localhost"
    if isinstance(row, Notification):
        return f"<notification-{row.public_id}@{domain}>"
    return f"<digest-{row.recipient_id}-{row.day:%Y%m%d}@{domain}>"


def _send(row, smtp) -> None:
    """Send one outbox row: a notification, or a daily digest (its notices read by _prepare_digest)."""
    if not row.recipient.email:
        raise ValueError("The recipient has no e-mail address; add one and it will be sent on the next retry.")
    if isinstance(row, Notification):
        subject, body = render_email(row)
    else:
        subject, body = digests.render_digest(row, row.shown)
        body += "\n\n" + FOOTER.format(service=getattr(settings, "SERVICE_NAME", ""))
    headers = {"Message-ID": message_id(row)}
    mail.EmailMessage(subject, body, to=[row.recipient.email], connection=smtp, headers=headers).send(
        fail_silently=False
    )


def _stage_closed_warning(notice: Notification) -> bool:
    """A warning about a stage that has since closed (resolved, withdrawn, moved on) is moot."""
    return bool(
        notice.kind == NotificationKind.WARNING and notice.occurrence_id and notice.occurrence.closed_at is not None
    )


def _mine(row, now: datetime) -> QuerySet:
    # Finish only a claim that is still ours (not taken over as stale meanwhile).
    return type(row).objects.filter(pk=row.pk, email_status=EmailStatus.SENDING, email_claimed_at=now)


def _prepare_notice(notice: Notification, now: datetime, readers: set[int]) -> bool:
    """Whether a claimed notice is sent on its own: not when moot, or set aside for its
    recipient's daily digest."""
    if _stage_closed_warning(notice):
        _mine(notice, now).update(
            email_status=EmailStatus.CANCELLED,
            email_claimed_at=None,
            email_last_error=f"Not sent: stage {notice.occurrence.number} closed before the warning went out.",
        )
        return False
    if digests.waits_for_digest(notice, readers, now):
        _mine(notice, now).update(email_status=EmailStatus.DIGEST, email_claimed_at=None)
        return False
    return True


def _prepare_digest(digest, now: datetime, readers: set[int]) -> bool:
    digest.shown = digests.digest_notices(digest)
    if not digest.shown:
        _mine(digest, now).update(
            email_status=EmailStatus.CANCELLED,
            email_claimed_at=None,
            email_last_error="Not sent: every warning in it was about a stage that closed first.",
        )
        return False
    return True


def _label(row) -> str:
    return f"notification {row.public_id}" if isinstance(row, Notification) else f"digest {row.pk}"


def _mark_sent(notice, now: datetime) -> int:
    return _mine(notice, now).update(
        email_status=EmailStatus.SENT,
        email_attempts=notice.email_attempts + 1,
        email_claimed_at=None,
        email_sent_at=now,
    )


def _mark_sent_on_a_fresh_connection(notice, now: datetime) -> None:
    """The server has the message but the database connection dropped before the row said so.
    Marking it is idempotent (only while the claim is ours), so try again on a new connection
    before leaving it to be reclaimed and sent a second time."""
    for wait in MARK_SENT_RETRY_WAITS:
        time.sleep(wait)
        try:
            connection.close()  # the broken one; the next query opens a new one
            _mark_sent(notice, now)
            return
        except DatabaseError:
            logger.warning("Could not yet mark %s as sent; trying again", _label(notice))
    logger.error(
        "%s was sent but could not be marked sent; it will be sent again after %s", _label(notice), reclaim_after()
    )
    raise DatabaseError(f"{_label(notice)} sent but not marked sent")


class _ServerUnusable(Exception):
    """The SMTP server cannot be used now: the rest of the batch waits for the next run."""


def _deliver_one(notice, now: datetime, smtp) -> bool:
    """Send one claimed row and mark it sent in the same short transaction. True if sent."""
    sent, failure = False, None
    try:
        with transaction.atomic():
            # Locked while it is sent: a worker taking the claim over as stale waits for this
            # transaction, then finds the row sent and leaves it.
            if not _mine(notice, now).select_for_update().exists():
                return False
            try:
                _send(notice, smtp)
            except Exception as exc:
                failure = exc
                _record_failure(notice, now, exc)
            else:
                sent = True
                _mark_sent(notice, now)
    except DatabaseError:
        if not sent:
            raise  # nothing went out: the row is reclaimed and sent later, once
        _mark_sent_on_a_fresh_connection(notice, now)
    if failure is not None and not isinstance(failure, MESSAGE_ERRORS):
        raise _ServerUnusable from failure
    return sent


def _record_failure(notice, now: datetime, exc: Exception) -> None:
    attempts = notice.email_attempts + 1
    _mine(notice, now).update(
        email_status=EmailStatus.FAILED,
        email_attempts=attempts,
        email_claimed_at=None,
        email_last_error=f"{type(exc).__name__}: {exc}"[:2000],
        email_not_before=now + backoff(attempts),
    )
    logger.warning("E-mail for %s failed (attempt %s): %s", _label(notice), attempts, exc)


def deliver_pending(now: datetime | None = None, batch: int = 100) -> int:
    """Send up to `batch` due e-mails, then up to `batch` due daily digests (the same outbox
    rules for both); returns how many were sent."""
    now = now or timezone.now()
    sent, carry_on = _deliver(Notification, _prepare_notice, now, batch)
    if carry_on:
        sent += _deliver(EmailDigest, _prepare_digest, now, batch)[0]
    return sent


def _deliver(model, prepare, now: datetime, batch: int) -> tuple[int, bool]:
    """(sent, whether the server is still usable). Each row is claimed before it is sent."""
    due = list(_due(now, model).order_by("email_not_before", "pk").values_list("pk", "recipient_id")[:batch])
    if not due:
        return 0, True
    readers = digests.digest_readers(recipient for _, recipient in due) if model is Notification else set()
    related = ("recipient", "escalation__partnership", "occurrence") if model is Notification else ("recipient",)
    sent = 0
    smtp = mail.get_connection(fail_silently=False)
    try:
        for pk, _ in due:
            # The claim: only the worker whose UPDATE changes the row sends it.
            if _due(now, model).filter(pk=pk).update(email_status=EmailStatus.SENDING, email_claimed_at=now) != 1:
                continue
            row = model.objects.select_related(*related).get(pk=pk)
            if not prepare(row, now, readers):
                continue
            try:
                sent += _deliver_one(row, now, smtp)
            except _ServerUnusable:
                return sent, False  # the server is unreachable: the rest stay due for the next run
    finally:
        smtp.close()
    return sent, True


# --- in-app ------------------------------------------------------------------------------------


# Every signed-in page asks it (the header's count): compiled once (partnerships/compiled.py).
UNREAD = CompiledCount(
    lambda recipient_id: Notification.objects.filter(recipient_id=recipient_id, read_at__isnull=True),
    recipient_id=-2_147_480_901,
)


def unread_count(user) -> int:
    """For the header: the in-app list shows notices at once, whenever their e-mail goes."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return UNREAD(recipient_id=user.pk)


def unread_annotations(user) -> dict:
    """For an escalation query: whether the user has unread notices about each escalation, and
    how many they have unread in all, so opening one costs no query of its own once its
    notices are read (read_on_opening)."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    in_all = unread.order_by().values("recipient").annotate(n=Count("pk")).values("n")
    return {
        "user_unread_here": Exists(unread.filter(escalation=OuterRef("pk"))),
        "user_unread_in_all": Coalesce(Subquery(in_all), 0),
    }


def read_on_opening(user, escalation) -> int:
    """Opening an escalation (read with unread_annotations) reads the user's notices about it;
    returns how many of theirs are still unread, for the header. No query unless some were
    about it."""
    marked = mark_read(user=user, escalation=escalation) if escalation.user_unread_here else 0
    return escalation.user_unread_in_all - marked


def mark_read(*, user, public_ids: Iterable | None = None, escalation=None, at: datetime | None = None) -> int:
    """Mark the user's own notices read: the given ones, those about one escalation (opening
    it reads them), or all of them. Returns how many."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if public_ids is not None:
        unread = unread.filter(public_id__in=[str(p) for p in public_ids])
    if escalation is not None:
        unread = unread.filter(escalation=escalation)
    return unread.update(read_at=at or timezone.now())
