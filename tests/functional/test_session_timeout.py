"""The idle time-out and its warning (WCAG 2.2.1): what the pages carry and what "Stay signed in" does.

The dialog itself is driven by static/js/session-timeout.js; tests/e2e/test_lose_nothing.py
opens it in a browser.
"""

import re
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

STAY = reverse("stay-signed-in")


def test_every_page_of_a_signed_in_person_carries_the_warning_with_the_configured_times(client, cast, settings):
    settings.SESSION_COOKIE_AGE = 30 * 60
    settings.SESSION_WARNING_SECONDS = 120
    client.force_login(cast.practitioner)
    body = client.get(reverse("home")).content.decode()
    dialog = re.search(r"<dialog[^>]*>", body).group(0)
    assert 'data-idle-seconds="1800"' in dialog and 'data-warning-seconds="120"' in dialog
    assert 'aria-labelledby="app-timeout-heading"' in dialog
    assert "You’re about to be signed out" in body
    assert "Stay signed in" in body and "Sign out" in body
    assert '<script type="module" src="/static/js/app.js"></script>' in body
    assert 'import "./session-timeout.js";' in (settings.BASE_DIR / "static" / "js" / "app.js").read_text()


def test_the_warning_is_never_longer_than_the_time_out(client, cast, settings):
    settings.SESSION_COOKIE_AGE = 20
    settings.SESSION_WARNING_SECONDS = 120
    client.force_login(cast.practitioner)
    body = client.get(reverse("home")).content.decode()
    assert 'data-idle-seconds="20"' in body and 'data-warning-seconds="20"' in body


def test_the_sign_in_page_has_no_warning(client):
    assert "<dialog" not in client.get(reverse("login")).content.decode()


def test_half_signed_in_the_second_step_has_no_warning(client, cast):
    from tests.functional.test_two_factor import app_for, password_step

    app_for(cast.business_manager)
    password_step(client, cast.business_manager)
    assert "<dialog" not in client.get(reverse("two_factor:verify")).content.decode()


def test_stay_signed_in_renews_the_idle_time(client, cast):
    client.force_login(cast.practitioner)
    # As if the person had been idle for all but five seconds of the half hour.
    soon = timezone.now() + timedelta(seconds=5)
    Session.objects.filter(session_key=client.session.session_key).update(expire_date=soon)
    response = client.post(STAY)
    assert response.status_code == 200
    assert response.json() == {"idle_seconds": 30 * 60}
    assert "no-store" in response["Cache-Control"]
    assert Session.objects.get(session_key=client.session.session_key).expire_date > soon + timedelta(minutes=29)


def test_stay_signed_in_is_a_post_and_needs_a_session(client, cast):
    assert client.post(STAY).status_code == 302  # signed out: to the sign-in page, nothing renewed
    client.force_login(cast.practitioner)
    assert client.get(STAY).status_code == 405


def test_after_the_time_out_the_sign_in_page_says_why(client, settings):
    settings.SESSION_COOKIE_AGE = 30 * 60
    body = client.get(reverse("login") + "?timed_out=1&next=/").content.decode()
    assert "You were signed out because you had not done anything for 30 minutes." in body
    assert "You were signed out" not in client.get(reverse("login")).content.decode()


def test_a_session_idle_for_longer_than_the_time_out_is_over(client, cast, settings):
    client.post(reverse("login"), {"username": cast.practitioner.username, "password": PASSWORD})
    assert client.get(reverse("home")).status_code == 200
    past = timezone.now() - timedelta(seconds=1)
    Session.objects.filter(session_key=client.session.session_key).update(expire_date=past)
    assert client.get(reverse("home")).status_code == 302
