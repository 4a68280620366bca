"""The idle time-out and its warning (WCAG 2.2.1, "Timing adjustable").

A session ends after SESSION_IDLE_MINUTES without a request (SESSION_COOKIE_AGE). Every request
renews it, but writing the session row on every request was the most expensive part of the
cheapest page, so it is renewed (written, with a new end) only when its last renewal is at
least RENEW_EVERY seconds old: one minute, or a thirtieth of a shorter idle time. A session
therefore ends between 29 and 30 minutes after the last request, never later. The session
notes when it was last renewed (RENEWED_AT), so each page knows the seconds really left.
SESSION_WARNING_SECONDS before the end, the page's script (static/js/session-timeout.js)
opens a dialog offering to stay signed in or to sign out; "Stay signed in" posts here, which
always renews the session. The script makes no other request, so leaving a page open does
not keep anyone signed in.

What was typed is not lost at the time-out either way: a form posted after it is kept as a
draft (escalation.drafts), and the script posts the open form as a draft when time runs out.
"""

import time

from django.conf import settings
from django.http import JsonResponse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_POST

from partnerships.middleware import OPEN_BEFORE_SECOND_STEP
from partnerships.two_factor import is_verified

RENEWED_AT = "_renewed_at"  # in the session: when it was last renewed (seconds since the epoch)


def renew_every() -> int:
    return min(60, settings.SESSION_COOKIE_AGE // 30)


def renew_if_due(request) -> None:
    """Mark the session for saving (and so a new end) when it is due a renewal or already
    changed. A request with no session, or an unknown or expired one, makes none."""
    session = getattr(request, "session", None)
    if session is None:
        return
    if not session.modified and session.session_key is None:
        return
    renewed = session.get(RENEWED_AT)  # loads the session: an expired one loses its key
    if session.is_empty():
        return
    now = int(time.time())
    if session.modified or renewed is None or now - renewed >= renew_every():
        session[RENEWED_AT] = now


def seconds_left(request) -> int:
    """Until the session ends on the server, if no further request renews it."""
    idle = settings.SESSION_COOKIE_AGE
    renew_if_due(request)
    renewed = request.session.get(RENEWED_AT)
    if renewed is None:
        return idle
    return max(0, min(idle, renewed + idle - int(time.time())))


def timeout_settings(request) -> dict:
    """For the base layout: the dialog is on every page of a signed-in person (not on the second
    step of signing in, where "stay signed in" would only be sent on to that step)."""
    idle = settings.SESSION_COOKIE_AGE
    words = {"session_idle_words": idle_in_words(idle)}
    user = getattr(request, "user", None)
    if not getattr(user, "is_authenticated", False):
        return words
    match = getattr(request, "resolver_match", None)
    if match is not None and match.view_name in OPEN_BEFORE_SECOND_STEP and not is_verified(user):
        return words
    warning = min(settings.SESSION_WARNING_SECONDS, idle)
    return {
        **words,
        "session_timeout": {"idle_seconds": idle, "warning_seconds": warning, "seconds_left": seconds_left(request)},
    }


def idle_in_words(seconds: int) -> str:
    """The idle time as people say it: "30 minutes" (or, with the short values tests use, "20 seconds")."""
    if seconds % 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = seconds // 60
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


@require_POST
def stay_signed_in(request):
    """Renews the idle time (a changed session is always saved) and says for how long."""
    request.session.modified = True
    response = JsonResponse({"idle_seconds": settings.SESSION_COOKIE_AGE})
    add_never_cache_headers(response)
    return response
