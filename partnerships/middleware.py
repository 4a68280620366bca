"""Two-factor sign-in is enforced here, for every page, not view by view.

A signed-in user who has an authenticator app, or whose role requires one, and whose session
has not yet passed the second step, is sent to enter a code (or to set up an app) from every
page except signing out, the second-step pages themselves and static files. That includes
Django's admin, so staff must be verified to use it.

Install after django_otp.middleware.OTPMiddleware (which tells us whether the session is
verified) and after the CSP middleware, so the redirects carry our headers.
"""

from functools import partial
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponseRedirect
from django.urls import Resolver404, resolve, reverse
from django.utils.functional import SimpleLazyObject, empty
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.middleware import OTPMiddleware as DjangoOTPMiddleware
from django_otp.plugins.otp_totp.models import TOTPDevice

from partnerships.two_factor import AUTHENTICATOR_ID, next_step

# Pages a half-signed-in user may open: signing out, the second step itself and a set-up link.
OPEN_BEFORE_SECOND_STEP = {
    "logout",
    "two_factor:verify",
    "two_factor:recovery",
    "two_factor:set-up",
    "two_factor:enrol",
}


def _loaded(user):
    if isinstance(user, SimpleLazyObject):
        if user._wrapped is empty:
            user._setup()
        return user._wrapped
    return user


def _url_name(path: str) -> str | None:
    try:
        return resolve(path).view_name
    except Resolver404:
        return None


class TwoFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        redirect = self.second_step_redirect(request)
        return redirect or self.get_response(request)

    def second_step_redirect(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        # Asked first: for nearly every request there is no step to take, and the path need not
        # be resolved.
        step = next_step(user)
        if step is None:
            return None
        if settings.STATIC_URL and request.path_info.startswith(settings.STATIC_URL):
            return None
        if _url_name(request.path_info) in OPEN_BEFORE_SECOND_STEP:
            return None
        query = urlencode({"next": request.get_full_path()}) if request.method == "GET" else ""
        return HttpResponseRedirect(reverse(f"two_factor:{step}") + (f"?{query}" if query else ""))


class OTPMiddleware(DjangoOTPMiddleware):
    """django-otp's, without reading the device on every page in the usual case.

    django-otp reads the device the session passed the second step with (to check it still
    exists, is confirmed and is this user's) on every request: a query per page for everyone
    who uses two-factor sign-in. The signed-in user's own query already carries the id of their
    confirmed authenticator app (partnerships.backends), read afresh in this request; when the
    session's device is that app, the same checks have passed, and the device row itself is
    read only if a page asks for it. Any other device (recovery codes) takes django-otp's way.
    """

    def _verify_user_sync(self, request, user):
        # The user behind AuthenticationMiddleware's lazy object: request.user is then one lazy
        # object, not two, for the many times a request reads it.
        user = _loaded(user)
        self._init_user_fields(user)
        if not user.is_authenticated:
            return user
        known = getattr(user, AUTHENTICATOR_ID, None)
        persistent_id = request.session.get(DEVICE_ID_SESSION_KEY)
        if (
            known is not None
            and persistent_id
            and self._normalize_persistent_id(persistent_id) == (TOTPDevice(pk=known).persistent_id)
        ):
            user.otp_device = SimpleLazyObject(partial(TOTPDevice.objects.get, pk=known, user=user, confirmed=True))
            return user
        return super()._verify_user_sync(request, user)
