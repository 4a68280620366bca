"""Two-factor sign-in (TOTP with django-otp): who must use it, and the services behind its pages.

The rules
- Everyone who can see beyond their own agency or export anything must use two-factor
  sign-in: every partnership role (business manager, chair, panel member, auditor: the role
  groups in partnerships.choices that escalation's visibility and export rules read), and
  staff or superusers (administrators). Everyone else may switch it on for themselves.
- A user with a confirmed authenticator app (TOTP device) must enter a code after their
  password, whatever their role. A user who must use it but has no app yet sets one up first.
  `partnerships.middleware.TwoFactorMiddleware` enforces both on every page.
- Setting up an app for the first time, for a role that requires it, needs a one-time link an
  administrator issues (partnerships/enrolment.py): the password alone does not let anyone
  bind their own app to the account. Replacing the app or turning it off needs the password
  and a current code (or a recovery code), even in a verified session.
- Recovery codes: ten one-time codes (a django-otp static device), shown once when the app is
  set up or when new ones are made; using one deletes it.
- Wrong codes: each device throttles itself (django-otp's exponential back-off, kept on the
  device in the database, so signing out and in again does not reset it), and every wrong code
  at the second step of signing in is also reported to django-axes as a failed sign-in, so
  together with wrong passwords it counts toward the lockout of that username from that
  address (the half-signed-in session is then ended). Wrong codes while setting up a new app
  are only throttled: guessing them gains nothing, the key is on the screen.
"""

from __future__ import annotations

import re
import time
from base64 import b32encode
from dataclasses import dataclass
from xml.etree import ElementTree

from django.contrib.auth import logout
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django_otp import login as otp_login
from django_otp.models import VerifyNotAllowed
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from partnerships.choices import EXPORT_ROLES, SIGHT_BEYOND_OWN_AGENCY, Role
from partnerships.models import Membership
from partnerships.selectors import memberships_of

# The one rule: sight beyond one's own agency, or any export right, needs a second step.
ROLES_REQUIRING_TWO_FACTOR = frozenset(SIGHT_BEYOND_OWN_AGENCY | EXPORT_ROLES)
RECOVERY_CODE_COUNT = 10
AUTHENTICATOR_NAME = "Authenticator app"
RECOVERY_CODES_NAME = "Recovery codes"
TOTP_CODE = re.compile(r"^\d{6}$")
RECOVERY_CODE = re.compile(r"^[a-z2-7]{8}$")


# --- the rules ---------------------------------------------------------------------------


# Read once per request: the signed-in user is loaded with both (partnerships/backends.py).
HOLDS_REQUIRING_ROLE = "_holds_role_requiring_two_factor"
HAS_AUTHENTICATOR = "_has_authenticator"
AUTHENTICATOR_ID = "_authenticator_id"  # its primary key, or None


def authenticators() -> QuerySet:
    """Confirmed authenticator apps."""
    return TOTPDevice.objects.filter(confirmed=True)


def authenticator_id(user) -> Subquery:
    """The id of the user's confirmed authenticator app (user: an OuterRef to the user's id), as a
    column of the query that loads the user: the second-step middleware then knows the session's
    device without reading it (partnerships.middleware.OTPMiddleware)."""
    return Subquery(authenticators().filter(user=user).order_by("-pk").values("pk")[:1])


def with_two_factor_facts(users: QuerySet) -> QuerySet:
    """The users, each with the two facts next_step reads, as EXISTS columns of the same query."""
    return users.annotate(
        **{
            HAS_AUTHENTICATOR: Exists(authenticators().filter(user=OuterRef("pk"))),
            AUTHENTICATOR_ID: authenticator_id(OuterRef("pk")),
            HOLDS_REQUIRING_ROLE: Exists(
                Membership.objects.active().filter(user=OuterRef("pk"), role__in=ROLES_REQUIRING_TWO_FACTOR)
            ),
        }
    )


def role_requires_two_factor(user) -> bool:
    """Administrators (staff, superusers) and anyone holding a role in ROLES_REQUIRING_TWO_FACTOR."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_staff or user.is_superuser:
        return True
    held = getattr(user, HOLDS_REQUIRING_ROLE, None)
    if held is None:
        held = any(Role(m.role) in ROLES_REQUIRING_TWO_FACTOR for m in memberships_of(user))
    return held


def authenticator_of(user) -> TOTPDevice | None:
    """The user's confirmed authenticator app, if they have set one up."""
    if not getattr(user, "is_authenticated", False):
        return None
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).order_by("-pk").first()


def has_two_factor(user) -> bool:
    known = getattr(user, HAS_AUTHENTICATOR, None)
    return known if known is not None else authenticator_of(user) is not None


def is_verified(user) -> bool:
    """True when this session has passed the second step (django-otp's OTPMiddleware says so)."""
    check = getattr(user, "is_verified", None)
    return bool(check and check())


def next_step(user) -> str | None:
    """Where a signed-in user must go before anything else: "verify", "set-up" or None."""
    if not getattr(user, "is_authenticated", False) or is_verified(user):
        return None
    if has_two_factor(user):
        return "verify"
    if role_requires_two_factor(user):
        return "set-up"
    return None


# --- setting up an authenticator app -----------------------------------------------------


def needs_enrolment_link(user) -> bool:
    """A first app for a role that requires one is set up only through an administrator's link."""
    return role_requires_two_factor(user) and not has_two_factor(user)


def pending_authenticator(user) -> TOTPDevice:
    """The unconfirmed device being set up: the same secret until it is confirmed."""
    device = TOTPDevice.objects.devices_for_user(user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)
    return device


def secret_for_typing(device: TOTPDevice) -> str:
    """The secret in base32, in groups of four, as authenticator apps accept it typed in."""
    secret = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_code_svg(device: TOTPDevice) -> SafeString:
    """The otpauth:// set-up address as an inline SVG QR code: no script, no style attributes."""
    import qrcode
    from qrcode.image.svg import SvgPathFillImage

    image = qrcode.make(device.config_url, image_factory=SvgPathFillImage, box_size=10, border=4)
    svg = image._img
    svg.attrib.update(
        {
            "width": "200",
            "height": "200",
            "role": "img",
            "aria-label": "QR code to scan with your authenticator app",
            "focusable": "false",
        }
    )
    # ElementTree escapes attribute values; the only content is the path data qrcode drew.
    return mark_safe(ElementTree.tostring(svg, encoding="unicode"))


@dataclass
class Outcome:
    ok: bool
    error: str = ""
    locked_out: bool = False
    device: object = None
    remaining: int | None = None
    codes: list[str] | None = None
    errors: dict[str, str] | None = None  # by form field, when more than one answer was checked


WRONG_CODE = "The code is not correct or has expired. Enter the 6-digit code your authenticator app shows now"
WRONG_RECOVERY_CODE = "The recovery code is not correct or has already been used"
JUST_USED_CODE = "That code has just been used. Wait for the next code and enter it."


def code_just_used(device: TOTPDevice, code: str) -> bool:
    """A code refused only because it was already accepted: right for now, but its time step is
    not after the last one the device took (django-otp's `last_t`, which stops replays). Said
    apart from a wrong code, because typing it again will never work and the next one will."""
    try:
        token = int(code)
    except (TypeError, ValueError):
        return False
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return totp.verify(token, device.tolerance) and totp.t() <= device.last_t


def _too_many(info) -> str:
    if info and info.get("reason") == VerifyNotAllowed.N_FAILED_ATTEMPTS and info.get("locked_until"):
        seconds = max(1, int((info["locked_until"] - timezone.now()).total_seconds()) + 1)
        wait = f"{seconds} seconds" if seconds < 120 else f"{seconds // 60} minutes"
        return f"You have entered too many wrong codes. Wait {wait}, then try again"
    return "You have entered too many wrong codes. Wait a few minutes, then try again"


LINK_USED_UP = "This set-up link has expired or has already been used. Ask an administrator for a new one"


def confirm_authenticator(request, device: TOTPDevice, code: str, *, enrolment_link_id: int | None = None) -> Outcome:
    """Check the first code from a new app; on success it replaces any old app and gets new recovery codes.

    With `enrolment_link_id`, the link is used up in the same transaction: one link, one app."""
    from partnerships import enrolment

    user = request.user
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(pk=device.pk, user=user, confirmed=False).first()
        if device is None:  # confirmed or replaced meanwhile, in another tab
            return Outcome(False, "This key is no longer waiting to be set up. Reload the page to start again")
        allowed, info = device.verify_is_allowed()
        if not allowed:
            return Outcome(False, _too_many(info))
        if not device.verify_token(code):
            return Outcome(False, WRONG_CODE)
        if enrolment_link_id is not None and not enrolment.consume(user, enrolment_link_id):
            return Outcome(False, LINK_USED_UP)
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.name = AUTHENTICATOR_NAME
        device.save(update_fields=["confirmed", "name"])
        codes = new_recovery_codes(user)
    setattr(user, HAS_AUTHENTICATOR, True)
    setattr(user, AUTHENTICATOR_ID, device.pk)
    _passed_second_step(request, device)
    return Outcome(True, device=device, remaining=len(codes), codes=codes)


def new_recovery_codes(user) -> list[str]:
    """Replace the user's recovery codes with ten new ones and return them (the only time they are shown)."""
    with transaction.atomic():
        devices = list(StaticDevice.objects.select_for_update().filter(user=user).order_by("pk"))
        device = devices[0] if devices else StaticDevice(user=user)
        for extra in devices[1:]:
            extra.delete()
        device.name = RECOVERY_CODES_NAME
        device.confirmed = True
        device.throttle_reset(commit=False)
        device.save()
        device.token_set.all().delete()
        codes = set()
        while len(codes) < RECOVERY_CODE_COUNT:
            codes.add(StaticToken.random_token())
        StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return [format_recovery_code(code) for code in sorted(codes)]


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def format_recovery_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def normalise_recovery_code(value: str) -> str:
    return re.sub(r"[\s-]", "", value or "").lower()


def normalise_totp_code(value: str) -> str:
    return re.sub(r"\s", "", value or "")


def _passed_second_step(request, device) -> None:
    """Mark the session verified (django_otp.login) under a new session key, as Django does at sign-in."""
    otp_login(request, device)
    request.session.cycle_key()


# --- the second step of signing in ---------------------------------------------------------


def _credentials(user) -> dict:
    return {"username": user.get_username()}


def _locked_out(request, user) -> bool:
    from axes.handlers.proxy import AxesProxyHandler

    return AxesProxyHandler.is_locked(request, _credentials(user))


def _report_failure(request, user) -> bool:
    """Count a wrong code as a failed sign-in for django-axes; True if that locks the user out."""
    user_login_failed.send(sender=__name__, credentials=_credentials(user), request=request)
    return bool(getattr(request, "axes_locked_out", False)) or _locked_out(request, user)


def _end_half_signed_in_session(request) -> Outcome:
    logout(request)
    return Outcome(False, locked_out=True)


def verify_authenticator_code(request, code: str) -> Outcome:
    """The second step with a code from the app. Wrong codes throttle the device and count toward lockout."""
    user = request.user
    if _locked_out(request, user):
        return _end_half_signed_in_session(request)
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).order_by("-pk").first()
        if device is None:
            return Outcome(False, "You have not set up an authenticator app")
        allowed, info = device.verify_is_allowed()
        if not allowed:
            return Outcome(False, _too_many(info))
        verified = device.verify_token(code)
        just_used = not verified and code_just_used(device, code)
    if just_used:
        # The person knows the code (they just used it): throttled by the device like any
        # refused code, but not counted toward the sign-in lockout.
        return Outcome(False, JUST_USED_CODE)
    if not verified:
        if _report_failure(request, user):
            return _end_half_signed_in_session(request)
        return Outcome(False, WRONG_CODE)
    _passed_second_step(request, device)
    return Outcome(True, device=device)


def _use_recovery_code(user, code: str) -> tuple[bool, str]:
    """Use up one of the user's recovery codes: (used, why not if throttled)."""
    with transaction.atomic():
        device = StaticDevice.objects.select_for_update().filter(user=user, confirmed=True).order_by("pk").first()
        if device is None:
            return False, ""
        allowed, info = device.verify_is_allowed()
        if not allowed:
            return False, _too_many(info)
        # The DELETE's row count decides: only one request can remove a given code.
        used, _ = StaticToken.objects.filter(device=device, token=code).delete()
        if used:
            device.throttle_reset(commit=False)
            device.set_last_used_timestamp(commit=False)
            device.save()
        else:
            device.throttle_increment(commit=True)
    return bool(used), ""


def verify_recovery_code(request, code: str) -> Outcome:
    """The second step with a recovery code. Each code works once, even for two requests at the same moment."""
    user = request.user
    if _locked_out(request, user):
        return _end_half_signed_in_session(request)
    used, throttled = _use_recovery_code(user, normalise_recovery_code(code))
    if throttled:
        return Outcome(False, throttled)
    if not used:
        if _report_failure(request, user):
            return _end_half_signed_in_session(request)
        return Outcome(False, WRONG_RECOVERY_CODE)
    device = StaticDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
    _passed_second_step(request, device)
    return Outcome(True, device=device, remaining=recovery_codes_left(user))


WRONG_PASSWORD = "Your password is not correct"
WRONG_CURRENT_CODE = "The code is not correct. Enter the code your current app shows now, or one of your recovery codes"


def confirm_it_is_them(request, password: str, code: str) -> Outcome:
    """Before the app is replaced or turned off: the password and a current code (from the app
    now in use, or a recovery code, which is then used up). Wrong answers count toward the
    sign-in lockout, as at sign-in; a lockout ends the session."""
    user = request.user
    if _locked_out(request, user):
        return _end_half_signed_in_session(request)
    errors = {}
    if not user.check_password(password or ""):
        errors["password"] = WRONG_PASSWORD
    code_ok, throttled = False, ""
    if TOTP_CODE.match(normalise_totp_code(code)):
        with transaction.atomic():
            device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).order_by("-pk").first()
            if device is not None:
                allowed, info = device.verify_is_allowed()
                if allowed:
                    code_ok = device.verify_token(normalise_totp_code(code))
                else:
                    throttled = _too_many(info)
    elif not errors:  # a recovery code is used up only when the password is right
        code_ok, throttled = _use_recovery_code(user, normalise_recovery_code(code))
    if not code_ok:
        errors["code"] = throttled or WRONG_CURRENT_CODE
    if errors:
        if not throttled and _report_failure(request, user):
            return _end_half_signed_in_session(request)
        return Outcome(False, errors=errors)
    return Outcome(True)


def turn_off(user) -> None:
    """Remove the app and the recovery codes (only for people whose role does not require them,
    and only after confirm_it_is_them)."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
    setattr(user, HAS_AUTHENTICATOR, False)
    setattr(user, AUTHENTICATOR_ID, None)
