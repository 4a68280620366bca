"""The idle time-out and its warning (WCAG 2.2.1, "Timing adjustable").

A session ends after SESSION_IDLE_MINUTES without a request (SESSION_COOKIE_AGE; every request
renews it, SESSION_SAVE_EVERY_REQUEST). SESSION_WARNING_SECONDS before that, the page's
script (static/js/session-timeout.js) opens a dialog offering to stay signed in or to sign
out; "Stay signed in" posts here, which renews the session like any request. The script
makes no other request, so leaving a page open does not keep anyone signed in.

What was typed is not lost at the time-out either way: a form posted after it is kept as a
draft (escalation.drafts), and the script posts the open form as a draft when time runs out.
"""

from django.conf import settings
from django.http import JsonResponse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_POST

from partnerships.middleware import OPEN_BEFORE_SECOND_STEP
from partnerships.two_factor import is_verified


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
    return {**words, "session_timeout": {"idle_seconds": idle, "warning_seconds": warning}}


def idle_in_words(seconds: int) -> str:
    """The idle time as people say it: "30 minutes" (or, with the short values tests use, "20 seconds")."""
    if seconds % 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = seconds // 60
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


@require_POST
def stay_signed_in(request):
    """Renews the idle time (the session middleware saves it on every request) and says for how long."""
    request.session.modified = True
    response = JsonResponse({"idle_seconds": settings.SESSION_COOKIE_AGE})
    add_never_cache_headers(response)
    return response
