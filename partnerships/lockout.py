"""The sign-in lockout: django-axes, with one addition against password spraying.

django-axes counts failures per username and address (LOGIN_FAILURE_LIMIT, 5 in 30 minutes
locks that username from that address), so on its own one address could try one password on
every username. The handler below also counts every failure from the address, whatever the
username: LOGIN_ADDRESS_FAILURE_LIMIT (default 20) in the same 30 minutes locks the address
for everyone. Higher than the per-username limit because an office's staff may share one
address; low enough that spraying a password across a partnership's users stops after 20.
Wrong two-factor codes count too (partnerships.two_factor reports them to django-axes).
"""

from __future__ import annotations

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum


def address_failure_limit() -> int:
    return settings.LOGIN_ADDRESS_FAILURE_LIMIT


class UsernameAndAddressHandler(AxesDatabaseHandler):
    """django-axes's database handler, also locking an address after too many failures across usernames."""

    def failures_from_address(self, request) -> int:
        address = getattr(request, "axes_ip_address", None)
        if not address:
            return 0
        recent = AccessAttempt.objects.filter(ip_address=address)
        if settings.AXES_COOLOFF_TIME is not None:
            recent = recent.filter(attempt_time__gte=get_cool_off_threshold(request))
        return recent.aggregate(total=Sum("failures_since_start"))["total"] or 0

    def get_failures(self, request, credentials: dict | None = None) -> int:
        """The per-username count, raised to the lockout limit once the address has reached its own."""
        failures = super().get_failures(request, credentials)
        if self.failures_from_address(request) >= address_failure_limit():
            return max(failures, get_failure_limit(request, credentials))
        return failures
