"""Who may export, and which escalations an export holds.

An export is an oversight tool: only business managers, chairs and auditors of a
partnership may take one, and only of escalations they can already see there. This module
answers those two questions (which partnerships, which escalations under a filter) and
holds the filter itself, so the page, the access log and the JSON header describe an export
in the same words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from escalation.models import Escalation
from escalation.selectors import escalations_visible_to
from partnerships.choices import EXPORT_ROLES, Role
from partnerships.selectors import memberships_of

# Business managers and auditors see the list of past exports (chairs export, but do not read the log).
EXPORT_LOG_READERS = {Role.BUSINESS_MANAGER, Role.AUDITOR}


def export_partnerships(user) -> list:
    """Partnerships in which the user holds an oversight role (business manager, chair, auditor)."""
    found = {}
    for m in memberships_of(user):
        if m.agency_id is None and Role(m.role) in EXPORT_ROLES:
            found.setdefault(m.partnership_id, m.partnership)
    return sorted(found.values(), key=lambda p: p.name)


def export_log_partnerships(user) -> list:
    """Partnerships whose export record this user may read (business manager or auditor there)."""
    found = {}
    for m in memberships_of(user):
        if m.agency_id is None and Role(m.role) in EXPORT_LOG_READERS:
            found.setdefault(m.partnership_id, m.partnership)
    return sorted(found.values(), key=lambda p: p.name)


@dataclass(frozen=True)
class ExportFilter:
    """What to export. `partnership` is required; every other field narrows it."""

    partnership: object
    raised_from: date | None = None
    raised_to: date | None = None
    agency: object | None = None
    category: str = ""
    urgency: str = ""
    state: str = ""
    stage: int | None = None

    def as_dict(self) -> dict:
        """The filter as recorded in the access log and at the top of a JSON export."""
        data = {"partnership": self.partnership.slug}
        if self.raised_from:
            data["raised_from"] = self.raised_from.isoformat()
        if self.raised_to:
            data["raised_to"] = self.raised_to.isoformat()
        if self.agency is not None:
            data["agency"] = self.agency.name[:100]
        for key in ("category", "urgency", "state"):
            if getattr(self, key):
                data[key] = getattr(self, key)
        if self.stage is not None:
            data["stage"] = self.stage
        return data


def export_queryset(user, export_filter: ExportFilter) -> QuerySet[Escalation]:
    """The escalations this user may export: visible to them AND in a partnership they oversee."""
    partnership = export_filter.partnership
    if partnership.pk not in {p.pk for p in export_partnerships(user)}:
        return Escalation.objects.none()
    queryset = escalations_visible_to(user).filter(partnership_id=partnership.pk)
    tz = timezone.get_current_timezone()
    if export_filter.raised_from:
        # Whole days in London time: from the start of the first day ...
        queryset = queryset.filter(raised_at__gte=datetime.combine(export_filter.raised_from, time.min, tzinfo=tz))
    if export_filter.raised_to:
        # ... to the start of the day after the last one.
        day_after = export_filter.raised_to + timedelta(days=1)
        queryset = queryset.filter(raised_at__lt=datetime.combine(day_after, time.min, tzinfo=tz))
    if export_filter.agency is not None:
        queryset = queryset.filter(
            Q(raising_agency_id=export_filter.agency.pk) | Q(receiving_agency_id=export_filter.agency.pk)
        )
    if export_filter.category:
        queryset = queryset.filter(category=export_filter.category)
    if export_filter.urgency:
        queryset = queryset.filter(urgency=export_filter.urgency)
    if export_filter.state:
        queryset = queryset.filter(state=export_filter.state)
    if export_filter.stage is not None:
        queryset = queryset.filter(stage_number=export_filter.stage)
    return queryset.order_by("raised_at", "pk")
