"""What every page costs before it does anything: the benchmark's floor page (one primary-key
lookup behind every middleware) for a signed-in practitioner is two queries (the session read
together with the user, their roles and two-factor facts; the lookup), and the session row is
written at most once a minute, without weakening the idle time-out, two-factor sign-in or
signing out."""

import re
import time
from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from partnerships.choices import Role
from partnerships.models import Membership
from partnerships.session_timeout import RENEWED_AT

pytestmark = pytest.mark.django_db

FLOOR = "/bench/floor/1/"
FLOOR_QUERY_BUDGET = 2  # the session with the user (their roles and two-factor facts), the page's own lookup


@pytest.fixture(autouse=True)
def bench_urls(settings):
    settings.ROOT_URLCONF = "tests.bench.urls"


def queries_of(client, path, method="get"):
    with CaptureQueriesContext(connection) as captured:
        response = getattr(client, method)(path)
    return response, [q["sql"] for q in captured.captured_queries]


def session_writes(sql):
    return [q for q in sql if "django_session" in q and not q.lstrip().upper().startswith("SELECT")]


def age_session(client, seconds):
    """As if the session had last been renewed (written) `seconds` ago."""
    session = client.session
    renewed = int(time.time()) - seconds
    session[RENEWED_AT] = renewed
    session.save()
    end = datetime.fromtimestamp(renewed + settings.SESSION_COOKIE_AGE, tz=UTC)
    Session.objects.filter(session_key=session.session_key).update(expire_date=end)


def floor_queries_signed_in_as(client, user) -> list[str]:
    """The floor's queries for this user, the second time (the first may renew the session)."""
    client.force_login(user)
    client.get(FLOOR)
    response, sql = queries_of(client, FLOOR)
    assert response.status_code == 200
    assert len(sql) <= FLOOR_QUERY_BUDGET, "\n".join(sql)
    return sql


def test_the_floor_page_of_a_signed_in_practitioner_costs_two_queries(client, cast):
    floor_queries_signed_in_as(client, cast.practitioner)


def test_the_session_is_written_at_most_once_a_minute(client, cast):
    client.force_login(cast.practitioner)
    client.get(FLOOR)  # renews it: the sign-in left no renewal time
    for _ in range(3):
        _, sql = queries_of(client, FLOOR)
        assert session_writes(sql) == []
    age_session(client, 61)
    before = Session.objects.get(session_key=client.session.session_key).expire_date
    _, sql = queries_of(client, FLOOR)
    assert len(session_writes(sql)) == 1
    assert Session.objects.get(session_key=client.session.session_key).expire_date > before


def test_stay_signed_in_always_renews_even_within_the_minute(client, cast):
    client.force_login(cast.practitioner)
    client.get(FLOOR)
    response, sql = queries_of(client, reverse("stay-signed-in"), "post")
    assert response.json() == {"idle_seconds": 30 * 60}
    assert len(session_writes(sql)) == 1


def test_the_warning_counts_down_from_the_seconds_really_left(client, cast, settings):
    settings.SESSION_COOKIE_AGE = 30 * 60
    client.force_login(cast.practitioner)
    client.get(FLOOR)
    age_session(client, 45)  # renewed 45 seconds ago: not due again, so the end stays where it was
    body = client.get(reverse("home")).content.decode()
    left = int(re.search(r'data-seconds-left="(\d+)"', body).group(1))
    assert 30 * 60 - 47 <= left <= 30 * 60 - 45
    stored = Session.objects.get(session_key=client.session.session_key).expire_date
    assert abs((stored.timestamp() - time.time()) - left) <= 2  # what the server will do
    age_session(client, 75)  # due: this page renews it, and says the whole idle time is left
    body = client.get(reverse("home")).content.decode()
    assert 'data-seconds-left="1800"' in body


def test_a_short_idle_time_is_renewed_on_every_request(client, cast, settings):
    settings.SESSION_COOKIE_AGE = 20
    client.force_login(cast.practitioner)
    client.get(FLOOR)
    age_session(client, 1)
    _, sql = queries_of(client, FLOOR)
    assert len(session_writes(sql)) == 1


def test_a_role_that_requires_two_factor_counts_from_the_next_page(client, cast):
    client.force_login(cast.practitioner)
    assert client.get(FLOOR).status_code == 200
    Membership.objects.create(user=cast.practitioner, partnership=cast.partnership, role=Role.AUDITOR)
    response = client.get(FLOOR)
    assert response.status_code == 302 and response.url.startswith(reverse("two_factor:set-up"))


def test_an_app_set_up_elsewhere_is_asked_for_from_the_next_page(client, cast):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client.force_login(cast.practitioner)
    assert client.get(FLOOR).status_code == 200
    TOTPDevice.objects.create(user=cast.practitioner, name="Authenticator app", confirmed=True)
    response = client.get(FLOOR)
    assert response.status_code == 302 and response.url.startswith(reverse("two_factor:verify"))


def test_signing_out_ends_the_session_on_the_server(client, cast):
    client.force_login(cast.practitioner)
    client.get(FLOOR)
    key = client.session.session_key
    client.post(reverse("logout"))
    assert not Session.objects.filter(session_key=key).exists()
    client.cookies["sessionid"] = key
    assert client.get(FLOOR).status_code == 302


def test_an_expired_session_cookie_makes_no_new_session(client):
    client.cookies["sessionid"] = "x" * 32
    before = Session.objects.count()
    client.get(reverse("login"))
    client.get(FLOOR)
    assert Session.objects.count() == before


def test_the_bare_floor_is_the_same_lookup_with_no_middleware_at_all(cast):
    """The benchmark's yardstick for the floor (tests/bench/wsgi.py): no session, no headers."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections
    from django.test.client import RequestFactory

    from tests.bench.wsgi import application

    environ = RequestFactory()._base_environ(PATH_INFO="/bench/bare/1/", REQUEST_METHOD="GET")
    started = {}
    # As Django's test client does: a request must not close the test's connection (and with
    # it the transaction the test runs in) when it starts or ends.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        with CaptureQueriesContext(connection) as captured:
            body = b"".join(
                application(environ, lambda status, headers: started.update(status=status, headers=headers))
            )
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    assert started["status"].startswith("200") and body in (b"ok", b"none")
    assert len(captured) == 1
    names = {name.lower() for name, _ in started["headers"]}
    assert "content-security-policy" not in names and "set-cookie" not in names


def test_a_business_manager_past_the_second_step_costs_the_same_two_queries(client, cast):
    """Two-factor sign-in adds no query per page: the user's own query says which app they have."""
    sql = floor_queries_signed_in_as(client, cast.business_manager)
    assert not [q for q in sql if "otp_" in q and "EXISTS" not in q and "SELECT U0" not in q], sql


def test_removing_the_app_the_session_was_verified_with_sends_them_to_the_second_step_at_once(client, cast):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client.force_login(cast.business_manager)
    assert client.get(reverse("home")).status_code == 200
    TOTPDevice.objects.filter(user=cast.business_manager).delete()
    response = client.get(reverse("home"))
    assert response.status_code == 302 and "/two-factor/" in response["Location"], response.get("Location")


def test_a_session_verified_with_a_recovery_code_stays_verified(client, cast):
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_static.models import StaticDevice

    client.force_login(cast.business_manager)
    recovery = StaticDevice.objects.create(user=cast.business_manager, name="Recovery codes", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = recovery.persistent_id
    session.save()
    assert client.get(reverse("home")).status_code == 200
    recovery.delete()
    assert client.get(reverse("home")).status_code == 302
