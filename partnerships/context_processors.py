"""What the base layout needs on every page: service name, partnership, role-based navigation."""

from functools import lru_cache

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

from partnerships.choices import AGENCY_ROLES, Role
from partnerships.selectors import memberships_of, primary_partnership


@lru_cache(maxsize=16)
def _reversed(name: str, prefix: str, urlconf) -> str:
    return reverse(name, urlconf=urlconf)


def _url(name: str) -> str:
    """The navigation's addresses take no arguments: each is reversed once per script prefix
    and URLconf, not on every page (up to a dozen reverse() calls a page)."""
    return _reversed(name, get_script_prefix(), get_urlconf(settings.ROOT_URLCONF))


def navigation_for(user) -> list[tuple[str, str]]:
    if not getattr(user, "is_authenticated", False):
        return []
    roles = {Role(m.role) for m in memberships_of(user)}
    items = [("Home", _url("home"))]
    if roles:
        items.append(("Policy", _url("policy:home")))
    if roles & AGENCY_ROLES:
        items.append(("Raise a disagreement", _url("escalation:find-child")))
    if roles & AGENCY_ROLES or roles & {Role.BUSINESS_MANAGER, Role.CHAIR, Role.AUDITOR, Role.PANEL_MEMBER}:
        items.append(("Escalations", _url("escalation:list")))
    if roles & (AGENCY_ROLES - {Role.PRACTITIONER}):
        items.append(("Inbox", _url("escalation:inbox")))
    if roles & {Role.BUSINESS_MANAGER, Role.CHAIR, Role.PANEL_MEMBER}:
        items.append(("Partnership stage", _url("escalation:partnership-list")))
    if roles & {Role.BUSINESS_MANAGER, Role.CHAIR, Role.AUDITOR}:
        items.append(("Dashboard", _url("dashboard:index")))
        items.append(("Export records", _url("exports:index")))
    if roles & {Role.BUSINESS_MANAGER, Role.CHAIR}:
        items.append(("Deadline calculator", _url("partnerships:deadline-calculator")))
    if Role.BUSINESS_MANAGER in roles:
        items.append(("Retention review", _url("retention:due")))
    if user.is_staff:
        items.append(("Administration", _url("admin:index")))
    return items


# The layout's own addresses (header, sign-out, the session timeout warning), by the name the
# templates use: `{{ layout_urls.home }}` instead of `{% url 'home' %}`, reversed once.
LAYOUT_URLS = {
    "home": "home",
    "login": "login",
    "logout": "logout",
    "notifications": "escalation:notifications",
    "stay_signed_in": "stay-signed-in",
    "health": "health",
}


class _LayoutUrls:
    """Each address reversed only if a page uses it (most pages show the sign-out form, few the
    health link)."""

    def __getitem__(self, key: str) -> str:
        return _url(LAYOUT_URLS[key])


def service(request):
    user = getattr(request, "user", None)
    return {
        "service_name": settings.SERVICE_NAME,
        "current_partnership": primary_partnership(user) if user else None,
        "navigation": navigation_for(user) if user else [],
        "layout_urls": _LayoutUrls(),
    }
