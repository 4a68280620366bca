"""Two-factor sign-in: who must use it, setting it up, codes, recovery codes, throttling, lockout.

`client.force_login` (tests/conftest.py) passes the second step for people who need it; these
tests use `force_login_without_second_step` or the real sign-in form to start half signed in.
"""

import re
import time
from base64 import b32decode
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from escalation.models import Action
from partnerships import enrolment, two_factor
from partnerships.models import EnrolmentLink
from tests.factories import PASSWORD
from tests.functional.test_access_every_url import EXPECTED, url_for
from tests.integration.test_escalation_lifecycle import raise_one

pytestmark = pytest.mark.django_db

SET_UP = reverse("two_factor:set-up")
VERIFY = reverse("two_factor:verify")
RECOVERY = reverse("two_factor:recovery")
RECOVERY_CODES = reverse("two_factor:recovery-codes")
MANAGE = reverse("two_factor:manage")
OPEN_BEFORE_SECOND_STEP = {"two_factor:verify", "two_factor:recovery", "two_factor:set-up", "two_factor:enrol"}


@pytest.fixture
def url_args(cast):
    """Objects for every URL pattern that takes one, as the URL walker builds them."""
    escalation = raise_one(cast)
    action = Action.objects.create(escalation=escalation, description="Review", owner_name="TM", due_on="2027-01-08")
    return {
        "escalation": [escalation.public_id],
        "child": [cast.child.public_id],
        "action": [escalation.public_id, action.public_id],
    }


# --- helpers -------------------------------------------------------------------------------


def code_for(device, step_offset=0) -> str:
    """The code the app shows now (or a step later: the server accepts one step either side)."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + step_offset * device.step
    return f"{totp.token():0{device.digits}d}"


def unused_code_for(device) -> str:
    """A valid code whose time step is later than the last one accepted (codes cannot be replayed)."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    for offset in (0, 1):
        totp.time = time.time() + offset * device.step
        if totp.t() > device.last_t:
            return f"{totp.token():0{device.digits}d}"
    pytest.fail("no unused code within the tolerance window")


def wrong_code_for(device) -> str:
    valid = {code_for(device, offset) for offset in (-1, 0, 1)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in valid)


def password_step(client, user):
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]
    assert client.session["_auth_user_id"] == str(user.pk)
    return response


def verified(client) -> bool:
    return DEVICE_ID_SESSION_KEY in client.session


def redirect_path(response) -> str:
    assert response.status_code == 302
    return urlsplit(response["Location"]).path


def app_for(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def open_enrolment_link(client, user, **issue) -> str:
    """An administrator issues a set-up link; the person, signed in with the password, opens it."""
    path = urlsplit(enrolment.issue(user, **issue)).path
    assert redirect_path(client.get(path)) == SET_UP
    return path


def set_up_through_the_pages(client) -> tuple[TOTPDevice, list[str]]:
    """Set up an app as the signed-in person would (opening a set-up link first where the role needs one)."""
    user = get_user_model().objects.get(pk=client.session["_auth_user_id"])
    if two_factor.needs_enrolment_link(user) and enrolment.SESSION_KEY not in client.session:
        open_enrolment_link(client, user)
    page = client.get(SET_UP)
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user_id=client.session["_auth_user_id"], confirmed=False)
    response = client.post(SET_UP, {"code": code_for(device), "next": "/"})
    assert redirect_path(response) == RECOVERY_CODES
    shown = client.get(RECOVERY_CODES).content.decode()
    codes = re.findall(r"<code[^>]*>([a-z2-7]{4}-[a-z2-7]{4})</code>", shown)
    return device, codes


# --- who must use it -----------------------------------------------------------------------


def test_the_rule_partnership_roles_and_staff_must_agency_staff_may(cast):
    must = {"business_manager", "auditor", "chair", "panel_member"}
    for role in ("practitioner", "manager", "safeguarding_lead", "director", "outsider", *must):
        assert two_factor.role_requires_two_factor(getattr(cast, role)) is (role in must), role
    staff = get_user_model().objects.create_user("staff", password=PASSWORD, is_staff=True)
    root = get_user_model().objects.create_superuser("root", "root@example.org", PASSWORD)
    assert two_factor.role_requires_two_factor(staff) and two_factor.role_requires_two_factor(root)


def test_everyone_who_sees_beyond_their_own_agency_or_exports_must_use_it(cast):
    """The rule read from what each role can do: a case between two other agencies at the
    partnership stage, and the export page's partnerships. Whoever sees it or may export must
    use two-factor sign-in; whoever can do neither need not."""
    from escalation.exports import export_partnerships
    from escalation.selectors import escalations_visible_to
    from partnerships.choices import AGENCY_ROLES, Role
    from tests import climbing
    from tests.factories import person

    climbing.climb(raise_one(cast), 5, by=cast.practitioner)  # school against children's social care
    for role in Role:
        agency = cast.health if role in AGENCY_ROLES else None  # an agency not party to it
        user = person(f"someone-{role.value}", cast.partnership, role, agency)
        reaches_beyond = escalations_visible_to(user).exists() or bool(export_partnerships(user))
        assert two_factor.role_requires_two_factor(user) is reaches_beyond, role


def test_business_manager_without_an_app_is_sent_to_set_up_from_every_page(cast, url_args, client):
    args = url_args
    client.force_login_without_second_step(cast.business_manager)
    for name in sorted(set(EXPECTED) - OPEN_BEFORE_SECOND_STEP):
        url = url_for(name, args)
        response = client.get(url)
        assert redirect_path(response) == SET_UP, name
        assert parse_qs(urlsplit(response["Location"]).query) == {"next": [url]}, name
        assert redirect_path(client.post(url, {})) == SET_UP, name
    assert redirect_path(client.get(reverse("admin:index"))) == SET_UP
    # Static files are not pages: the set-up page needs its stylesheet.
    assert client.get("/static/css/app.css").status_code != 302
    assert not TOTPDevice.objects.filter(user=cast.business_manager, confirmed=True).exists()


def test_the_password_alone_leads_a_business_manager_to_set_up_not_home(client, cast):
    password_step(client, cast.business_manager)
    home = client.get("/")
    assert home["Location"] == f"{SET_UP}?next=%2F"
    page = client.get(home["Location"])
    assert page.status_code == 200
    body = page.content.decode()
    assert "Your role requires two-factor sign-in" in body
    # Half signed in: no menu of the service yet.
    assert f'href="{reverse("escalation:list")}"' not in body


def test_auditor_is_sent_to_set_up_too(client, cast):
    password_step(client, cast.auditor)
    assert redirect_path(client.get(reverse("escalation:list"))) == SET_UP


def test_practitioner_is_not_forced(client, cast):
    password_step(client, cast.practitioner)
    assert client.get("/").status_code == 200
    assert client.get(reverse("escalation:list")).status_code == 200
    assert not verified(client)


def test_signing_out_works_half_signed_in(client, cast):
    password_step(client, cast.business_manager)
    response = client.post(reverse("logout"))
    assert redirect_path(response) == reverse("login")
    assert "_auth_user_id" not in client.session


# --- setting up ----------------------------------------------------------------------------


def test_set_up_shows_the_secret_and_an_inline_svg_qr_code_without_script(client, cast):
    password_step(client, cast.business_manager)
    open_enrolment_link(client, cast.business_manager)
    response = client.get(SET_UP)
    body = response.content.decode()
    device = TOTPDevice.objects.get(user=cast.business_manager, confirmed=False)
    shown = re.search(r'id="two-factor-secret"[^>]*>([A-Z2-7 ]+)<', body).group(1)
    assert re.fullmatch(r"([A-Z2-7]{4} )+[A-Z2-7]{1,4}", shown)
    assert b32decode(shown.replace(" ", "")) == device.bin_key
    svg = re.search(r"<svg.*?</svg>", body, re.S).group(0)
    assert 'role="img"' in svg and 'aria-label="QR code' in svg
    assert "<script" not in body.split('<script type="module"')[0]
    assert "style=" not in svg
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert "no-store" in response["Cache-Control"]
    assert device.config_url.startswith("otpauth://totp/Resolve%20a%20professional%20disagreement%3Abusiness-manager?")
    # Reloading keeps the same secret, so a half-typed key stays valid.
    client.get(SET_UP)
    assert TOTPDevice.objects.filter(user=cast.business_manager).count() == 1


def test_set_up_with_the_right_code_verifies_and_shows_ten_recovery_codes_once(client, cast):
    password_step(client, cast.business_manager)
    device, codes = set_up_through_the_pages(client)
    device.refresh_from_db()
    assert device.confirmed
    assert verified(client)
    assert len(codes) == 10 and len(set(codes)) == 10
    stored = set(StaticToken.objects.filter(device__user=cast.business_manager).values_list("token", flat=True))
    assert stored == {c.replace("-", "") for c in codes}
    # Shown once: the page does not show them again.
    assert redirect_path(client.get(RECOVERY_CODES)) == MANAGE
    assert client.get("/").status_code == 200
    assert client.get(reverse("escalation:list")).status_code == 200


def test_set_up_with_a_wrong_code_says_so_and_does_not_verify(client, cast):
    password_step(client, cast.business_manager)
    open_enrolment_link(client, cast.business_manager)
    client.get(SET_UP)
    device = TOTPDevice.objects.get(user=cast.business_manager)
    response = client.post(SET_UP, {"code": wrong_code_for(device)})
    body = response.content.decode()
    assert response.status_code == 200
    assert "<title>Error: " in body
    assert "govuk-error-summary" in body and "govuk-error-message" in body
    assert "The code is not correct or has expired" in body
    assert not verified(client)
    device.refresh_from_db()
    assert not device.confirmed
    assert redirect_path(client.get("/")) == SET_UP


@pytest.mark.parametrize("value", ["", "12345", "abcdef", "1234567"])
def test_a_code_that_is_not_six_numbers_is_a_form_error(client, cast, value):
    password_step(client, cast.business_manager)
    open_enrolment_link(client, cast.business_manager)
    response = client.post(SET_UP, {"code": value})
    assert response.status_code == 200
    assert "govuk-error-message" in response.content.decode()
    assert not verified(client)


def test_practitioner_may_set_up_from_the_manage_page_and_then_needs_a_code(client, cast):
    password_step(client, cast.practitioner)
    assert "Set up two-factor sign-in" in client.get(MANAGE).content.decode()
    device, _ = set_up_through_the_pages(client)
    client.post(reverse("logout"))
    password_step(client, cast.practitioner)
    assert redirect_path(client.get("/")) == VERIFY
    client.post(VERIFY, {"code": unused_code_for(device)})
    assert client.get("/").status_code == 200


def test_replacing_the_app_needs_a_verified_session_and_retires_the_old_one(client, cast):
    old = app_for(cast.business_manager)
    password_step(client, cast.business_manager)
    assert redirect_path(client.get(SET_UP)) == VERIFY
    client.post(VERIFY, {"code": code_for(old)})
    assert verified(client)
    page = client.get(SET_UP)
    assert "Set up a new authenticator app" in page.content.decode()
    new = TOTPDevice.objects.get(user=cast.business_manager, confirmed=False)
    client.post(SET_UP, {"password": PASSWORD, "current_code": unused_code_for(old), "code": code_for(new)})
    assert list(TOTPDevice.objects.filter(user=cast.business_manager)) == [new]
    assert verified(client)


def test_replacing_the_app_needs_the_password_and_a_current_code(client, cast):
    old = app_for(cast.practitioner)
    client.force_login(cast.practitioner)  # a verified session: not enough on its own
    client.get(SET_UP)
    new = TOTPDevice.objects.get(user=cast.practitioner, confirmed=False)
    attempts = [
        ({"code": code_for(new)}, ["Enter your password", "Enter the code your current app shows"]),
        ({"password": "wrong-password", "current_code": code_for(old), "code": code_for(new)}, [WRONG_PASSWORD]),
        (
            {"password": PASSWORD, "current_code": wrong_code_for(old), "code": code_for(new)},
            ["The code is not correct."],
        ),
    ]
    for data, messages_shown in attempts:
        TOTPDevice.objects.filter(user=cast.practitioner).update(throttling_failure_timestamp=None)
        response = client.post(SET_UP, data)
        assert response.status_code == 200
        body = response.content.decode()
        assert "There is a problem" in body
        for message in messages_shown:
            assert message in body.replace("&#x27;", "'"), message
        assert list(TOTPDevice.objects.filter(user=cast.practitioner, confirmed=True)) == [old]
    # A recovery code does instead of the app's code (and is then used up).
    recovery = two_factor.new_recovery_codes(cast.practitioner)
    TOTPDevice.objects.filter(user=cast.practitioner).update(throttling_failure_timestamp=None)
    response = client.post(SET_UP, {"password": PASSWORD, "current_code": recovery[0], "code": code_for(new)})
    assert redirect_path(response) == RECOVERY_CODES
    assert list(TOTPDevice.objects.filter(user=cast.practitioner)) == [new]


WRONG_PASSWORD = two_factor.WRONG_PASSWORD


# --- the administrator's set-up link -------------------------------------------------------


def test_the_password_alone_cannot_set_up_an_app_for_a_role_that_requires_one(client, cast):
    password_step(client, cast.business_manager)
    for response in (client.get(SET_UP), client.post(SET_UP, {"code": "123456"})):
        body = response.content.decode()
        assert response.status_code == 200
        assert "You need a set-up link" in body and "Your role requires two-factor sign-in" in body
        assert "two-factor-secret" not in body and "<svg" not in body
    assert not TOTPDevice.objects.filter(user=cast.business_manager).exists()
    assert not verified(client)


def test_a_set_up_link_works_once_for_its_person_only(client, cast):
    link = urlsplit(enrolment.issue(cast.business_manager)).path
    # Someone else signed in with their own password cannot use it.
    password_step(client, cast.auditor)
    assert "This set-up link cannot be used" in client.get(link).content.decode()
    assert "You need a set-up link" in client.get(SET_UP).content.decode()
    client.post(reverse("logout"))

    password_step(client, cast.business_manager)
    assert redirect_path(client.get(link)) == SET_UP
    device, _ = set_up_through_the_pages(client)
    record = EnrolmentLink.objects.get(user=cast.business_manager)
    assert record.used_at is not None and record.issued_via == EnrolmentLink.IssuedVia.ADMIN
    assert link.split("/")[-2] not in record.token_hash  # only a hash is kept
    # Used: it does not work a second time, even after the app is removed.
    TOTPDevice.objects.filter(user=cast.business_manager).delete()
    client.post(reverse("logout"))
    password_step(client, cast.business_manager)
    assert "This set-up link cannot be used" in client.get(link).content.decode()


def test_a_set_up_link_expires_and_a_newer_one_replaces_it(client, cast, time_machine):
    first = urlsplit(enrolment.issue(cast.business_manager)).path
    second = urlsplit(enrolment.issue(cast.business_manager)).path
    password_step(client, cast.business_manager)
    assert "This set-up link cannot be used" in client.get(first).content.decode()
    time_machine.move_to(timezone.now() + timedelta(hours=24, minutes=1))
    password_step(client, cast.business_manager)
    assert "This set-up link cannot be used" in client.get(second).content.decode()


def test_a_link_opened_then_expired_sets_up_nothing(client, cast):
    password_step(client, cast.business_manager)
    open_enrolment_link(client, cast.business_manager)
    client.get(SET_UP)
    device = TOTPDevice.objects.get(user=cast.business_manager, confirmed=False)
    EnrolmentLink.objects.update(expires_at=timezone.now())
    response = client.post(SET_UP, {"code": code_for(device)})
    assert "You need a set-up link" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=cast.business_manager, confirmed=True).exists()


def test_an_administrator_issues_a_link_from_the_admin_and_the_command_prints_one(client, cast):
    from io import StringIO

    from django.core.management import call_command

    root = get_user_model().objects.create_superuser("root", "root@example.org", PASSWORD)
    client.force_login(root)
    response = client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "issue_enrolment_link", "_selected_action": [cast.chair.pk]},
        follow=True,
    )
    assert "Set-up link for chair" in response.content.decode()
    record = EnrolmentLink.objects.get(user=cast.chair)
    assert record.issued_by == root and record.used_at is None

    out = StringIO()
    call_command("enrolment_link", "auditor", stdout=out, stderr=StringIO())
    assert re.fullmatch(r"https?://[^/]+/two-factor/enrol/[\w-]{40,}/\n", out.getvalue())
    assert EnrolmentLink.objects.get(user=cast.auditor).issued_via == EnrolmentLink.IssuedVia.COMMAND


# --- the second step -----------------------------------------------------------------------


def test_a_user_with_an_app_enters_a_code_and_goes_where_they_were_going(client, cast):
    device = app_for(cast.business_manager)
    password_step(client, cast.business_manager)
    target = reverse("escalation:list")
    response = client.get(target)
    assert response["Location"] == f"{VERIFY}?next=%2Fescalations%2F"
    page = client.get(response["Location"])
    assert page.status_code == 200 and "Enter the code from your authenticator app" in page.content.decode()
    half_signed_in_key = client.session.session_key
    response = client.post(VERIFY, {"code": code_for(device), "next": target})
    assert response["Location"] == target
    assert verified(client)
    assert client.session.session_key != half_signed_in_key
    assert client.get(target).status_code == 200


def test_a_wrong_code_is_an_error_and_not_verified(client, cast):
    device = app_for(cast.auditor)
    password_step(client, cast.auditor)
    response = client.post(VERIFY, {"code": wrong_code_for(device)})
    body = response.content.decode()
    assert response.status_code == 200
    assert "<title>Error: " in body and "The code is not correct or has expired" in body
    assert 'aria-describedby="code-hint code-error"' in body
    assert not verified(client)
    assert redirect_path(client.get("/")) == VERIFY


def test_a_code_cannot_be_used_twice(client, cast):
    device = app_for(cast.business_manager)
    code = code_for(device)
    password_step(client, cast.business_manager)
    client.post(VERIFY, {"code": code})
    assert verified(client)
    client.post(reverse("logout"))
    password_step(client, cast.business_manager)
    response = client.post(VERIFY, {"code": code})
    body = response.content.decode()
    assert "That code has just been used. Wait for the next code and enter it." in body
    assert "The code is not correct" not in body
    assert not verified(client)


def test_a_code_just_used_does_not_count_toward_the_lockout_but_a_wrong_one_still_does(client, cast, settings):
    from axes.models import AccessAttempt

    device = app_for(cast.business_manager)
    code = code_for(device)
    password_step(client, cast.business_manager)
    client.post(VERIFY, {"code": code})
    client.post(reverse("logout"))
    password_step(client, cast.business_manager)
    failures = sum(AccessAttempt.objects.values_list("failures_since_start", flat=True))
    client.post(VERIFY, {"code": code})
    assert sum(AccessAttempt.objects.values_list("failures_since_start", flat=True)) == failures
    device.throttle_reset()
    response = client.post(VERIFY, {"code": wrong_code_for(device)})
    assert "The code is not correct" in response.content.decode()
    assert sum(AccessAttempt.objects.values_list("failures_since_start", flat=True)) == failures + 1


def test_next_cannot_send_people_off_site(client, cast):
    device = app_for(cast.business_manager)
    password_step(client, cast.business_manager)
    response = client.post(VERIFY, {"code": code_for(device), "next": "https://evil.example/"})
    assert response["Location"] == reverse("home")


def test_wrong_codes_are_throttled_per_device_even_across_sign_ins(client, cast):
    device = app_for(cast.business_manager)
    password_step(client, cast.business_manager)
    client.post(VERIFY, {"code": wrong_code_for(device)})
    client.post(reverse("logout"))
    password_step(client, cast.business_manager)
    # Straight after a wrong code even the right one is refused until the back-off passes.
    response = client.post(VERIFY, {"code": code_for(device)})
    assert "You have entered too many wrong codes. Wait" in response.content.decode()
    assert not verified(client)
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=timezone.now() - timedelta(seconds=10))
    client.post(VERIFY, {"code": code_for(device)})
    assert verified(client)
    device.refresh_from_db()
    assert device.throttling_failure_count == 0


def test_five_wrong_codes_lock_the_sign_in_like_wrong_passwords(client, cast, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # only django-axes counts here
    device = app_for(cast.business_manager)
    password_step(client, cast.business_manager)
    for _ in range(4):
        response = client.post(VERIFY, {"code": wrong_code_for(device)})
        assert response.status_code == 200
    response = client.post(VERIFY, {"code": wrong_code_for(device)})
    assert response.status_code == 429
    assert "Sign-in locked for 30 minutes" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # Locked: the right password does not get them in either.
    response = client.post(reverse("login"), {"username": "business-manager", "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


# --- recovery codes ------------------------------------------------------------------------


def test_a_recovery_code_works_once_not_twice(client, cast):
    password_step(client, cast.business_manager)
    _, codes = set_up_through_the_pages(client)
    client.post(reverse("logout"))

    password_step(client, cast.business_manager)
    assert client.get(RECOVERY).status_code == 200
    response = client.post(RECOVERY, {"code": f"  {codes[0].upper()} "}, follow=True)
    assert verified(client)
    assert "You have 9 recovery codes left" in response.content.decode()
    client.post(reverse("logout"))

    password_step(client, cast.business_manager)
    StaticDevice.objects.filter(user=cast.business_manager).update(throttling_failure_timestamp=None)
    response = client.post(RECOVERY, {"code": codes[0]})
    assert "The recovery code is not correct or has already been used" in response.content.decode()
    assert not verified(client)
    assert StaticToken.objects.filter(device__user=cast.business_manager).count() == 9


def test_new_recovery_codes_replace_the_old_ones(client, cast):
    password_step(client, cast.business_manager)
    _, old = set_up_through_the_pages(client)
    response = client.post(reverse("two_factor:new-recovery-codes"))
    assert redirect_path(response) == RECOVERY_CODES
    new = re.findall(r"<code[^>]*>([a-z2-7]{4}-[a-z2-7]{4})</code>", client.get(RECOVERY_CODES).content.decode())
    assert len(new) == 10 and not set(new) & set(old)
    stored = set(StaticToken.objects.filter(device__user=cast.business_manager).values_list("token", flat=True))
    assert stored == {c.replace("-", "") for c in new}
    assert StaticDevice.objects.filter(user=cast.business_manager).count() == 1


# --- turning off, deactivating, the admin --------------------------------------------------


def test_a_business_manager_cannot_turn_it_off(client, cast):
    client.force_login(cast.business_manager)
    assert client.get(reverse("two_factor:turn-off")).status_code == 403
    assert client.post(reverse("two_factor:turn-off")).status_code == 403
    assert TOTPDevice.objects.filter(user=cast.business_manager, confirmed=True).exists()
    assert "Turn off" not in client.get(MANAGE).content.decode()


def test_a_practitioner_can_turn_it_off_with_the_password_and_a_current_code(client, cast):
    password_step(client, cast.practitioner)
    device, _ = set_up_through_the_pages(client)
    assert client.get(reverse("two_factor:turn-off")).status_code == 200
    response = client.post(reverse("two_factor:turn-off"))
    assert "There is a problem" in response.content.decode() and "Enter your password" in response.content.decode()
    response = client.post(reverse("two_factor:turn-off"), {"password": "wrong", "current_code": code_for(device)})
    assert WRONG_PASSWORD in response.content.decode()
    assert TOTPDevice.objects.filter(user=cast.practitioner).exists()
    TOTPDevice.objects.filter(user=cast.practitioner).update(throttling_failure_timestamp=None)
    response = client.post(
        reverse("two_factor:turn-off"), {"password": PASSWORD, "current_code": unused_code_for(device)}
    )
    assert redirect_path(response) == MANAGE
    assert not TOTPDevice.objects.filter(user=cast.practitioner).exists()
    assert not StaticDevice.objects.filter(user=cast.practitioner).exists()
    client.post(reverse("logout"))
    password_step(client, cast.practitioner)
    assert client.get("/").status_code == 200


def test_deactivating_a_device_ends_the_verified_session_at_the_next_request(client, cast):
    client.force_login(cast.business_manager)
    assert client.get("/").status_code == 200
    TOTPDevice.objects.filter(user=cast.business_manager).update(confirmed=False)
    assert redirect_path(client.get("/")) == SET_UP
    assert not verified(client)


def test_an_administrator_resetting_a_practitioners_app_stops_the_code_step(client, cast):
    app_for(cast.practitioner)
    password_step(client, cast.practitioner)
    assert redirect_path(client.get("/")) == VERIFY
    TOTPDevice.objects.filter(user=cast.practitioner).delete()
    assert client.get("/").status_code == 200


def test_the_admin_needs_a_verified_session_for_staff(client, cast):
    root = get_user_model().objects.create_superuser("root", "root@example.org", PASSWORD)
    response = client.post(
        reverse("admin:login"), {"username": "root", "password": PASSWORD, "next": reverse("admin:index")}
    )
    assert response.status_code == 302
    assert redirect_path(client.get(reverse("admin:index"))) == SET_UP
    device = app_for(root)
    assert redirect_path(client.get(reverse("admin:index"))) == VERIFY
    client.post(VERIFY, {"code": code_for(device)})
    assert client.get(reverse("admin:index")).status_code == 200


def test_the_admin_shows_devices_but_not_their_secrets(client, cast):
    root = get_user_model().objects.create_superuser("root", "root@example.org", PASSWORD)
    device = app_for(cast.business_manager)
    client.force_login(root)
    page = client.get(reverse("admin:otp_totp_totpdevice_change", args=[device.pk]))
    assert page.status_code == 200
    assert device.key not in page.content.decode()
