"""The database connection dropped during a request (a failover, a restart, a network blip):
the answer tells the truth about what was saved.

- Dropped after the change was committed, while the session is being saved: the answer is
  the change's own (the redirect to the case), not "400 Bad Request" inviting a retry.
- Dropped before anything was committed: the view runs again on a fresh connection, once,
  and the change is made once.
- Dropped after something was committed: not run again (it could do a thing twice).

The fault is real: the request's PostgreSQL backend is terminated (pg_terminate_backend) at
the chosen moment by a test-only middleware. PostgreSQL only; skipped on SQLite, except
under CI=true, where it fails.
"""

from __future__ import annotations

import os

import pytest
from django.db import OperationalError, connection
from django.test import RequestFactory
from django.urls import reverse

from cases.models import AccessLog, RecordEntry, RecordEntryKind
from config.resilience import RetryBeforeCommitMiddleware
from escalation.models import Escalation
from escalation.states import State
from tests.functional.test_hostile_input import signed_in
from tests.integration.test_delivery import terminate_backend
from tests.integration.test_reliability import raise_one

pytestmark = pytest.mark.django_db(transaction=True)

FAULT = {"at": None}


def terminate_this_connection():
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        terminate_backend(cursor.fetchone()[0])


class DropAfterTheView:
    """Between the view's answer and the session being saved (it sits inside SessionMiddleware)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if FAULT["at"] == "after the view" and request.method == "POST":
            terminate_this_connection()
        return response


class DropBeforeTheView:
    """After every middleware has read what it needs, just before the view runs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, *args):
        if FAULT["at"] == "before the view" and request.method == "POST":
            FAULT["at"] = None  # once: the retry finds the database back
            terminate_this_connection()


@pytest.fixture
def faults(settings):
    if "postgresql" not in settings.DATABASES["default"]["ENGINE"]:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true: the dropped-connection tests must run on PostgreSQL")
        pytest.skip("needs DATABASE_URL=postgres://… (a connection to terminate)")
    middleware = list(settings.MIDDLEWARE)
    middleware.insert(middleware.index("config.resilience.SessionMiddleware") + 1, f"{__name__}.DropAfterTheView")
    middleware.insert(len(middleware) - 1, f"{__name__}.DropBeforeTheView")
    settings.MIDDLEWARE = middleware
    yield FAULT
    FAULT["at"] = None


def acknowledge(client, escalation):
    return client.post(
        reverse("escalation:acknowledge", args=[escalation.public_id]), {"seen_state": State.RAISED, "seen_stage": "1"}
    )


def acknowledgements(escalation):
    return RecordEntry.objects.filter(escalation=escalation, kind=RecordEntryKind.ACKNOWLEDGED).count()


def test_a_connection_dropped_after_the_change_was_saved_answers_with_the_saved_result(cast, faults):
    escalation = raise_one(cast)
    social_worker = signed_in(cast.other_practitioner)
    faults["at"] = "after the view"

    response = acknowledge(social_worker, escalation)

    assert response.status_code == 302  # not 400: the change was saved
    assert response["Location"] == reverse("escalation:detail", args=[escalation.public_id])
    assert Escalation.objects.get(pk=escalation.pk).state == State.IN_DISCUSSION
    assert acknowledgements(escalation) == 2  # one on each child's file
    faults["at"] = None
    assert social_worker.get(response["Location"]).status_code == 200  # still signed in


def test_a_connection_dropped_before_anything_was_saved_is_retried_and_the_change_made_once(cast, faults):
    escalation = raise_one(cast)
    social_worker = signed_in(cast.other_practitioner)
    faults["at"] = "before the view"

    response = acknowledge(social_worker, escalation)

    assert faults["at"] is None  # the fault happened
    assert response.status_code == 302
    assert Escalation.objects.get(pk=escalation.pk).state == State.IN_DISCUSSION
    assert acknowledgements(escalation) == 2


def test_a_view_that_saved_something_before_the_connection_dropped_is_not_run_again(cast, faults):
    calls = []

    def view(request):
        calls.append(1)
        AccessLog.objects.create(
            user=cast.auditor, action="view_escalation", object_type="test", object_id="1", detail="before the drop"
        )
        terminate_this_connection()
        return list(Escalation.objects.all())  # the next query finds the connection gone

    middleware = RetryBeforeCommitMiddleware(lambda request: None)
    with pytest.raises(OperationalError):
        middleware.process_view(RequestFactory().post("/"), view, (), {})
    connection.close()  # as the end of a request does
    assert calls == [1]
    assert AccessLog.objects.filter(detail="before the drop").count() == 1
