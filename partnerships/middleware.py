"""Two-factor sign-in is enforced here, for every page, not view by view.

A signed-in user who has an authenticator app, or whose role requires one, and whose session
has not yet passed the second step, is sent to enter a code (or to set up an app) from every
page except signing out, the second-step pages themselves and static files. That includes
Django's admin, so staff must be verified to use it.

Install after django_otp.middleware.OTPMiddleware (which tells us whether the session is
verified) and after the CSP middleware, so the redirects carry our headers.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponseRedirect
from django.urls import Resolver404, resolve, reverse

from partnerships.two_factor import next_step

# Pages a half-signed-in user may open: signing out, the second step itself and a set-up link.
OPEN_BEFORE_SECOND_STEP = {
    "logout",
    "two_factor:verify",
    "two_factor:recovery",
    "two_factor:set-up",
    "two_factor:enrol",
}


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
        if settings.STATIC_URL and request.path_info.startswith(settings.STATIC_URL):
            return None
        if _url_name(request.path_info) in OPEN_BEFORE_SECOND_STEP:
            return None
        step = next_step(user)
        if step is None:
            return None
        query = urlencode({"next": request.get_full_path()}) if request.method == "GET" else ""
        return HttpResponseRedirect(reverse(f"two_factor:{step}") + (f"?{query}" if query else ""))
