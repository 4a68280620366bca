"""The record of every export, the hourly limit, and the list of past exports.

Children's records leave the system only through an export, so each one is written to the
access log (action EXPORT, object type "export", object id the format, detail a short JSON
of the partnership, the filter and the record count) before a byte of it is sent, and a
person may export only so many times an hour. The learning report's CSV and XLSX hold free
text from resolutions, so they are exports too: the same limit, the same log (object type
"learning_report", detail naming the quarter and the format). The same log rows, read back,
are the "Past exports" list that business managers and auditors see.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from cases.models import AccessAction, AccessLog
from escalation.exports.formatters import FORMATS
from escalation.exports.scope import ExportFilter
from escalation.states import Category, State
from partnerships.choices import Urgency

EXPORT_OBJECT_TYPE = "export"
LEARNING_REPORT_OBJECT_TYPE = "learning_report"


class ExportLimitReached(Exception):
    def __init__(self, limit: int, retry_at: datetime):
        super().__init__(f"Export limit of {limit} an hour reached")
        self.limit = limit
        self.retry_at = retry_at


def exports_per_hour() -> int:
    return getattr(settings, "EXPORTS_PER_HOUR", 20)


def _detail(export_filter: ExportFilter, count: int) -> str:
    # Partnership first, always: the export list finds a partnership's rows by this prefix.
    filters = export_filter.as_dict()
    detail = {"partnership": filters.pop("partnership"), "filter": filters, "count": count}
    return json.dumps(detail, ensure_ascii=False, separators=(", ", ": "))


def _detail_prefix(partnership) -> str:
    return json.dumps({"partnership": partnership.slug})[:-1] + ", "


def _log_within_the_limit(*, user, ip_address: str | None, object_type: str, object_id: str, detail) -> AccessLog:
    """Check the hourly limit and log the export, in one short transaction.

    Every export counts, whatever it holds. Raises ExportLimitReached (and logs nothing) when
    the user has exported too often. `detail` is called inside the lock (it may count records).
    """
    limit = exports_per_hour()
    now = timezone.now()
    with transaction.atomic():
        # Lock the user's row: two exports at once by one person cannot both slip under the limit.
        get_user_model().objects.select_for_update(no_key=True).filter(pk=user.pk).first()
        recent = AccessLog.objects.filter(user=user, action=AccessAction.EXPORT, at__gt=now - timedelta(hours=1))
        if recent.count() >= limit:
            oldest = recent.order_by("at").values_list("at", flat=True).first()
            raise ExportLimitReached(limit, (oldest or now) + timedelta(hours=1))
        return AccessLog.objects.create(
            user=user,
            action=AccessAction.EXPORT,
            object_type=object_type,
            object_id=object_id[:64],
            detail=detail()[:500],
            ip_address=ip_address,
        )


def export_record(*, user, ip_address: str | None, fmt: str, export_filter: ExportFilter, queryset) -> AccessLog:
    """Log an export of records (ExportLimitReached when over the hourly limit)."""
    return _log_within_the_limit(
        user=user,
        ip_address=ip_address,
        object_type=EXPORT_OBJECT_TYPE,
        object_id=fmt,
        detail=lambda: _detail(export_filter, queryset.count()),
    )


def learning_report_export_record(*, user, ip_address: str | None, fmt: str, partnership, quarter) -> AccessLog:
    """Log a download of the learning report as CSV or XLSX (ExportLimitReached when over the limit)."""
    detail = {"partnership": partnership.slug, "report": quarter.slug, "format": fmt}
    return _log_within_the_limit(
        user=user,
        ip_address=ip_address,
        object_type=LEARNING_REPORT_OBJECT_TYPE,
        object_id=f"{partnership.slug}:{quarter.slug}",
        detail=lambda: json.dumps(detail, ensure_ascii=False, separators=(", ", ": ")),
    )


def export_history(partnerships) -> QuerySet[AccessLog]:
    """Past exports of these partnerships, newest first."""
    if not partnerships:
        return AccessLog.objects.none()
    scope = Q()
    for partnership in partnerships:
        scope |= Q(detail__startswith=_detail_prefix(partnership))
    return (
        AccessLog.objects.filter(
            action=AccessAction.EXPORT, object_type__in=[EXPORT_OBJECT_TYPE, LEARNING_REPORT_OBJECT_TYPE]
        )
        .filter(scope)
        .select_related("user")
        .order_by("-at", "-pk")
    )


@dataclass
class PastExport:
    who: str
    at: datetime
    format: str
    filter: dict = field(default_factory=dict)
    count: int | None = None
    partnership: str = ""
    report: str = ""  # the learning report's quarter ("2026-Q1"); empty for an export of records

    @classmethod
    def from_log(cls, log: AccessLog) -> PastExport:
        try:
            detail = json.loads(log.detail)
        except ValueError:
            detail = {}
        fmt = detail.get("format") or log.object_id
        return cls(
            who=log.user.get_full_name() or log.user.get_username(),
            at=log.at,
            format=FORMATS.get(fmt, (fmt.upper(),))[0],
            filter=detail.get("filter", {}),
            count=detail.get("count"),
            partnership=detail.get("partnership", ""),
            report=detail.get("report", ""),
        )

    def filter_summary(self) -> list[str]:
        """The filter in words, for the page."""
        if self.report:
            year, _, quarter = self.report.partition("-")
            return [f"Learning report, {quarter} {year}"]
        f = self.filter
        parts = []
        if f.get("raised_from") or f.get("raised_to"):
            start = _uk_date(f.get("raised_from")) or "the start"
            end = _uk_date(f.get("raised_to")) or "today"
            parts.append(f"Raised {start} to {end}")
        if f.get("agency"):
            parts.append(f"Agency: {f['agency']}")
        for key, choices, label in (
            ("category", Category, "Category"),
            ("urgency", Urgency, "Urgency"),
            ("state", State, "State"),
        ):
            if f.get(key):
                parts.append(f"{label}: {_label(choices, f[key])}")
        if f.get("stage") is not None:
            parts.append(f"Stage reached: {f['stage']}")
        return parts or ["All escalations"]


def _uk_date(value: str | None) -> str:
    try:
        return date.fromisoformat(value).strftime("%d/%m/%Y") if value else ""
    except ValueError:
        return value


def _label(choices, value) -> str:
    try:
        return choices(value).label
    except ValueError:
        return value
