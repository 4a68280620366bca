"""One-time links to set up two-factor sign-in, for the roles that require it.

An administrator issues a link (the admin's action on people, or `manage.py enrolment_link
USERNAME`); it expires after ENROLMENT_LINK_HOURS (default 24), works once, and replaces any
earlier unused link for the same person. The person signs in with their password, opens the
link, and may then set up an app. The link is consumed in the same transaction that confirms
the app, so one link binds one app. Each link's row records who issued it, for whom, how,
and when it was used; issuing and using are also written to the log.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from partnerships.models import EnrolmentLink

logger = logging.getLogger(__name__)

SESSION_KEY = "two_factor_enrolment_link"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def link_hours() -> int:
    return getattr(settings, "ENROLMENT_LINK_HOURS", 24)


def issue(user, *, issued_by=None, via=EnrolmentLink.IssuedVia.ADMIN) -> str:
    """A new link's address (the only time its secret exists in the clear)."""
    now = timezone.now()
    EnrolmentLink.objects.filter(user=user, used_at__isnull=True, expires_at__gt=now).update(expires_at=now)
    token = secrets.token_urlsafe(32)
    EnrolmentLink.objects.create(
        user=user,
        token_hash=_hash(token),
        issued_by=issued_by,
        issued_via=via,
        expires_at=now + timedelta(hours=link_hours()),
    )
    logger.info("Two-factor set-up link issued for %s by %s (%s)", user.get_username(), issued_by or "-", via)
    return settings.SITE_URL.rstrip("/") + reverse("two_factor:enrol", args=[token])


def _usable():
    return EnrolmentLink.objects.filter(used_at__isnull=True, expires_at__gt=timezone.now())


def open_link(request, token: str) -> bool:
    """Remember a valid link of the signed-in person in their session; False if it cannot be used."""
    link = _usable().filter(user=request.user, token_hash=_hash(token or "")).first()
    if link is None:
        return False
    request.session[SESSION_KEY] = link.pk
    return True


def link_in_session(request) -> int | None:
    """The id of the usable link this session opened, if any."""
    link_id = request.session.get(SESSION_KEY)
    if link_id and _usable().filter(pk=link_id, user=request.user).exists():
        return link_id
    return None


def consume(user, link_id: int) -> bool:
    """Use the link up. The conditional UPDATE decides: only one request can use a given link."""
    used = _usable().filter(pk=link_id, user=user).update(used_at=timezone.now()) == 1
    if used:
        logger.info("Two-factor set-up link used by %s", user.get_username())
    return used
