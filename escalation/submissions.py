"""Forms that create something are acted on once, however often they are posted.

Each such form carries a key made when the page was drawn (`{% submission_key %}`). The
first POST with that key writes a `Submission` row in the same transaction as what it
creates, and keeps the address of the result; a repeat (a double click, a retry after a
slow answer, the browser's "resend") finds the row and is sent to that result. Two POSTs
at the same moment are decided by the row's unique constraint, not by a check: the second
INSERT waits for the first transaction and fails once it commits, and then reads its result.
If the first fails (a refusal, a database error), its row goes with it and the key can be
used again.

A POST without a key (a page drawn before this was deployed) is acted on as before.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.shortcuts import redirect

from escalation.operations import Submission

FIELD = "submission_key"
REPEAT_MESSAGE = "That form had already been sent, so it was saved once. This is what was saved."


def posted_key(request) -> uuid.UUID | None:
    try:
        return uuid.UUID(request.POST.get(FIELD, ""))
    except (TypeError, ValueError, AttributeError):
        return None


def key_for_page(request) -> str:
    """The key to put in a form: the one posted back (the page redrawn with errors, where
    nothing was saved), otherwise a new one."""
    posted = posted_key(request) if request is not None and request.method == "POST" else None
    return str(posted or uuid.uuid4())


def _earlier(request, key: uuid.UUID) -> str | None:
    return (
        Submission.objects.filter(user=request.user, key=key)
        .exclude(result_url="")
        .values_list("result_url", flat=True)
        .first()
    )


def _repeat(request, url: str):
    messages.info(request, REPEAT_MESSAGE)
    return redirect(url)


def once_per_submission(view):
    """For a view whose form creates something: a POST whose form was already acted on goes
    straight to the first result, before the view checks anything (the case may have moved on
    because of that very first POST)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        key = posted_key(request) if request.method == "POST" else None
        url = _earlier(request, key) if key else None
        return _repeat(request, url) if url else view(request, *args, **kwargs)

    return wrapper


@dataclass
class Outcome:
    url: str
    created: Any = None  # what `create` returned; None when an earlier POST had created it

    @property
    def repeated(self) -> bool:
        return self.created is None

    def response(self, request, success: str = ""):
        """The redirect to the result, with the message that fits (first time or repeat)."""
        if self.repeated:
            return _repeat(request, self.url)
        if success:
            messages.success(request, success)
        return redirect(self.url)


def once(request, create: Callable[[], Any], url_of: Callable[[Any], str]) -> Outcome:
    """Run `create()` unless this form's key was already used; either way, where to go now."""
    key = posted_key(request)
    if key is None:
        created = create()
        return Outcome(url_of(created), created)
    with transaction.atomic():
        try:
            # First, before anything is created: a concurrent POST with the same key waits here.
            with transaction.atomic():
                row = Submission.objects.create(user=request.user, key=key)
        except IntegrityError:
            # The other POST committed (a rolled-back one leaves no row to conflict with).
            return Outcome(Submission.objects.get(user=request.user, key=key).result_url)
        created = create()
        row.result_url = url_of(created)
        row.save(update_fields=["result_url"])
    return Outcome(row.result_url, created)
