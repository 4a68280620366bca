"""Pages for two-factor sign-in: the second step, setting up an app, recovery codes.

The rules and the work live in partnerships/two_factor.py; the middleware decides who is
sent here. These views only check what each page needs and render GOV.UK pages.
"""

from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from partnerships import enrolment, two_factor

SHOWN_CODES_KEY = "two_factor_recovery_codes"
SHOWN_CODES_NEXT_KEY = "two_factor_recovery_codes_next"


class AuthenticatorCodeForm(forms.Form):
    code = forms.CharField(
        label="Security code",
        max_length=20,
        error_messages={"required": "Enter the 6-digit code from your authenticator app"},
    )

    def clean_code(self):
        code = two_factor.normalise_totp_code(self.cleaned_data["code"])
        if not two_factor.TOTP_CODE.match(code):
            raise forms.ValidationError("Enter the code as 6 numbers, like 123456")
        return code


class RecoveryCodeForm(forms.Form):
    code = forms.CharField(
        label="Recovery code",
        max_length=30,
        error_messages={"required": "Enter one of your recovery codes"},
    )

    def clean_code(self):
        code = two_factor.normalise_recovery_code(self.cleaned_data["code"])
        if not two_factor.RECOVERY_CODE.match(code):
            raise forms.ValidationError("Enter a recovery code as 8 letters and numbers, like abcd-2345")
        return code


class ConfirmItIsYouForm(forms.Form):
    """Before the app is replaced or turned off: the password and a current code."""

    password = forms.CharField(
        label="Your password",
        strip=False,
        max_length=200,
        widget=forms.PasswordInput,
        error_messages={"required": "Enter your password"},
    )
    current_code = forms.CharField(
        label="A code from your current app, or a recovery code",
        max_length=30,
        error_messages={"required": "Enter the code your current app shows, or one of your recovery codes"},
    )

    def add_errors(self, errors: dict[str, str]) -> None:
        for field, message in errors.items():
            self.add_error("current_code" if field == "code" else field, message)


class ReplaceAuthenticatorForm(ConfirmItIsYouForm, AuthenticatorCodeForm):
    """Replacing the app: who you are (password, current code), then the new app's first code."""

    field_order = ["password", "current_code", "code"]


# --- helpers -------------------------------------------------------------------------------


def _next_url(request) -> str:
    """The page the person was going to, if it is on this site; otherwise their home page."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    # Only a path on this site: redirect() would take anything else for a view name.
    if candidate.startswith("/") and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("home")


def _with_next(name: str, next_url: str) -> str:
    return f"{reverse(name)}?{urlencode({'next': next_url})}"


def _page(request, template, context, status=200, half_signed_in=False):
    """Render without caching (secrets and codes must not sit in the back/forward cache)."""
    if half_signed_in:
        # Before the second step the menu and the unread count are not theirs to see yet.
        context = {"navigation": [], "unread_notifications": 0, **context}
    response = render(request, template, context, status=status)
    add_never_cache_headers(response)
    return response


def _locked_out(request):
    from axes.helpers import get_lockout_response

    return get_lockout_response(request, None, None)


# --- the second step -----------------------------------------------------------------------


def verify(request):
    """After the password: the 6-digit code from the authenticator app."""
    step = two_factor.next_step(request.user)
    if step != "verify":
        return redirect(_with_next("two_factor:set-up", _next_url(request)) if step else _next_url(request))
    form = AuthenticatorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        outcome = two_factor.verify_authenticator_code(request, form.cleaned_data["code"])
        if outcome.locked_out:
            return _locked_out(request)
        if outcome.ok:
            return redirect(_next_url(request))
        form.add_error("code", outcome.error)
    return _page(
        request,
        "registration/two_factor_verify.html",
        {"form": form, "next": _next_url(request)},
        half_signed_in=True,
    )


def recovery(request):
    """After the password, instead of the app: one of the recovery codes, which then stops working."""
    step = two_factor.next_step(request.user)
    if step != "verify":
        return redirect(_with_next("two_factor:set-up", _next_url(request)) if step else _next_url(request))
    form = RecoveryCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        outcome = two_factor.verify_recovery_code(request, form.cleaned_data["code"])
        if outcome.locked_out:
            return _locked_out(request)
        if outcome.ok:
            left = outcome.remaining
            plural = "" if left == 1 else "s"
            text = (
                "You signed in with a recovery code. It cannot be used again. "
                f"You have {left} recovery code{plural} left."
            )
            if left <= 3:
                text += " Create new recovery codes from the two-factor sign-in page."
            messages.warning(request, text)
            return redirect(_next_url(request))
        form.add_error("code", outcome.error)
    return _page(
        request,
        "registration/two_factor_recovery.html",
        {"form": form, "next": _next_url(request)},
        half_signed_in=True,
    )


# --- setting up ----------------------------------------------------------------------------


def enrol(request, token):
    """An administrator's one-time set-up link: remembered in the session, then on to set up."""
    if enrolment.open_link(request, token):
        return redirect(_with_next("two_factor:set-up", reverse("home")))
    return _page(
        request,
        "registration/two_factor_link_unusable.html",
        {},
        half_signed_in=not two_factor.is_verified(request.user),
    )


def set_up(request):
    """Show a new secret as text and as a QR code; the first code from the app confirms it.

    A first app for a role that requires one needs an administrator's link (opened in this
    session); replacing an app needs the password and a current code."""
    user = request.user
    if two_factor.next_step(user) == "verify":
        # Replacing an app needs a verified session: enter a code from the current one first.
        return redirect(_with_next("two_factor:verify", reverse("two_factor:set-up")))
    half_signed_in = not two_factor.is_verified(user)
    link_id = None
    if two_factor.needs_enrolment_link(user):
        link_id = enrolment.link_in_session(request)
        if link_id is None:
            context = {"link_hours": enrolment.link_hours()}
            return _page(request, "registration/two_factor_needs_link.html", context, half_signed_in=half_signed_in)
    replacing = two_factor.has_two_factor(user)
    device = two_factor.pending_authenticator(user)
    form_class = ReplaceAuthenticatorForm if replacing else AuthenticatorCodeForm
    form = form_class(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        confirmed = two_factor.Outcome(True)
        if replacing:
            confirmed = two_factor.confirm_it_is_them(
                request, form.cleaned_data["password"], form.cleaned_data["current_code"]
            )
            if confirmed.locked_out:
                return _locked_out(request)
            form.add_errors(confirmed.errors or {})
        if confirmed.ok:
            outcome = two_factor.confirm_authenticator(
                request, device, form.cleaned_data["code"], enrolment_link_id=link_id
            )
            if outcome.ok:
                request.session.pop(enrolment.SESSION_KEY, None)
                request.session[SHOWN_CODES_KEY] = outcome.codes
                request.session[SHOWN_CODES_NEXT_KEY] = _next_url(request)
                return redirect("two_factor:recovery-codes")
            form.add_error("code", outcome.error)
    return _page(
        request,
        "registration/two_factor_set_up.html",
        {
            "form": form,
            "next": _next_url(request),
            "secret": two_factor.secret_for_typing(device),
            "qr_code": two_factor.qr_code_svg(device),
            "replacing": replacing,
            "required": two_factor.role_requires_two_factor(user),
        },
        half_signed_in=half_signed_in,
    )


def recovery_codes(request):
    """The new recovery codes, once: they leave the session as the page is shown."""
    codes = request.session.pop(SHOWN_CODES_KEY, None)
    next_url = request.session.pop(SHOWN_CODES_NEXT_KEY, None) or reverse("home")
    if not codes:
        return redirect("two_factor:manage")
    return _page(request, "registration/two_factor_recovery_codes.html", {"codes": codes, "next_url": next_url})


@require_POST
def new_recovery_codes(request):
    if not two_factor.has_two_factor(request.user):
        return redirect("two_factor:manage")
    request.session[SHOWN_CODES_KEY] = two_factor.new_recovery_codes(request.user)
    request.session[SHOWN_CODES_NEXT_KEY] = reverse("two_factor:manage")
    return redirect("two_factor:recovery-codes")


# --- managing ------------------------------------------------------------------------------


def manage(request):
    user = request.user
    device = two_factor.authenticator_of(user)
    return _page(
        request,
        "registration/two_factor_manage.html",
        {
            "device": device,
            "required": two_factor.role_requires_two_factor(user),
            "codes_left": two_factor.recovery_codes_left(user) if device else 0,
        },
    )


def turn_off(request):
    """Only for people whose role does not require two-factor sign-in, with their password and a current code."""
    user = request.user
    if two_factor.role_requires_two_factor(user):
        raise PermissionDenied("Your role requires two-factor sign-in")
    if not two_factor.has_two_factor(user):
        return redirect("two_factor:manage")
    form = ConfirmItIsYouForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        confirmed = two_factor.confirm_it_is_them(
            request, form.cleaned_data["password"], form.cleaned_data["current_code"]
        )
        if confirmed.locked_out:
            return _locked_out(request)
        if confirmed.ok:
            two_factor.turn_off(user)
            messages.success(request, "Two-factor sign-in is turned off")
            return redirect("two_factor:manage")
        form.add_errors(confirmed.errors or {})
    return _page(request, "registration/two_factor_turn_off.html", {"form": form})
