"""Accounts and sessions: lockout, hashing, expiry, deactivation."""

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse

from partnerships.session_timeout import renew_every
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def sign_in(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(client, cast):
    for _ in range(5):
        response = sign_in(client, "practitioner", "wrong-password")
    assert response.status_code == 429
    assert "Sign-in locked for 30 minutes" in response.content.decode()
    response = sign_in(client, "practitioner", PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_one_address_trying_a_password_on_every_username_is_locked_out(cast):
    """Password spraying: 20 failures from one address, one per username, lock the address for
    everyone (each username alone is far below its own limit of 5); another address is not affected."""
    from django.test import Client

    assert settings.LOGIN_ADDRESS_FAILURE_LIMIT == 20
    sprayer = Client(REMOTE_ADDR="203.0.113.7")
    for n in range(19):
        response = sign_in(sprayer, f"guessed-name-{n}", "Summer2026!")
        assert response.status_code == 200, n  # the form again: wrong username or password
    assert sign_in(sprayer, "guessed-name-19", "Summer2026!").status_code == 429  # the 20th locks
    response = sign_in(sprayer, "practitioner", PASSWORD)
    assert response.status_code == 429
    assert "Sign-in locked for 30 minutes" in response.content.decode()
    assert "_auth_user_id" not in sprayer.session
    colleague = Client(REMOTE_ADDR="198.51.100.4")
    assert sign_in(colleague, "practitioner", PASSWORD).status_code == 302


def test_a_few_failures_from_a_shared_address_lock_nobody_else(cast):
    from django.test import Client

    office = Client(REMOTE_ADDR="192.0.2.10")
    for n in range(4):
        sign_in(office, f"mistyped-{n}", "wrong-password")
        sign_in(office, "manager", "wrong-password")
    assert sign_in(office, "practitioner", PASSWORD).status_code == 302


def test_the_right_password_signs_in_and_a_wrong_one_says_what_to_do(client, cast):
    response = sign_in(client, "practitioner", "nope")
    assert "Please enter a correct username and password" in response.content.decode()
    response = sign_in(client, "practitioner", PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(cast.practitioner.pk)


def test_an_overlong_username_is_explained_and_nothing_is_recorded(client, cast):
    from axes.models import AccessAttempt

    response = sign_in(client, "A" * 300, "anything")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Enter a username of 150 characters or fewer" in page
    assert 'href="#id_username"' in page
    assert not AccessAttempt.objects.exists()


def test_passwords_are_hashed_with_argon2():
    # The suite swaps in a fast hasher per test; the configured one is read from the module.
    from config import settings as configured

    assert configured.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_sessions_expire_after_30_idle_minutes_and_when_the_browser_closes():
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    # Every request renews the idle time; the row is rewritten at most once a minute
    # (partnerships/session_timeout.py; tests/functional/test_per_request_cost.py).
    assert "config.resilience.SessionMiddleware" in settings.MIDDLEWARE
    assert renew_every() == 60
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True


def test_a_deactivated_user_is_signed_out_at_their_next_request(client, cast):
    client.force_login(cast.practitioner)
    assert client.get("/").status_code == 200
    get_user_model().objects.filter(pk=cast.practitioner.pk).update(is_active=False)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
