"""What the base layout needs on every page: service name, partnership, role-based navigation."""

from django.conf import settings
from django.urls import reverse

from partnerships.choices import AGENCY_ROLES, Role
from partnerships.selectors import memberships_of, primary_partnership


def navigation_for(user) -> list[tuple[str, str]]:
    if not getattr(user, "is_authenticated", False):
        return []
    roles = {Role(m.role) for m in memberships_of(user)}
    items = [("Home", reverse("home"))]
    if roles:
        items.append(("Policy", reverse("policy:home")))
    if roles & AGENCY_ROLES:
        items.append(("Raise a disagreement", reverse("escalation:find-child")))
    if roles & AGENCY_ROLES or roles & {Role.BUSINESS_MANAGER, Role.CHAIR, Role.AUDITOR, Role.PANEL_MEMBER}:
        items.append(("Escalations", reverse("escalation:list")))
    if roles & (AGENCY_ROLES - {Role.PRACTITIONER}):
        items.append(("Inbox", reverse("escalation:inbox")))
    if roles & {Role.BUSINESS_MANAGER, Role.CHAIR, Role.PANEL_MEMBER}:
        items.append(("Partnership stage", reverse("escalation:partnership-list")))
    if roles & {Role.BUSINESS_MANAGER, Role.CHAIR, Role.AUDITOR}:
        items.append(("Dashboard", reverse("dashboard:index")))
        items.append(("Export records", reverse("exports:index")))
    if roles & {Role.BUSINESS_MANAGER, Role.CHAIR}:
        items.append(("Deadline calculator", reverse("partnerships:deadline-calculator")))
    if Role.BUSINESS_MANAGER in roles:
        items.append(("Retention review", reverse("retention:due")))
    if user.is_staff:
        items.append(("Administration", reverse("admin:index")))
    return items


def service(request):
    user = getattr(request, "user", None)
    return {
        "service_name": settings.SERVICE_NAME,
        "current_partnership": primary_partnership(user) if user else None,
        "navigation": navigation_for(user) if user else [],
    }
