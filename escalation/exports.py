"""Auditor exports: a generator of rows (or full records) plus one formatter per format.

Nothing here loads a whole export into memory. The escalations are read with
`values(…).iterator(chunk_size=…)` (a server-side cursor on PostgreSQL), and each chunk's
related rows are read once per chunk with `IN (ids)`, as prefetch_related does, but as
plain rows with the people and agencies joined in (select_related-style), so no model
instances are built. An export therefore costs a fixed number of queries per chunk however
many escalations it holds, and its memory stays flat. CSV and JSON stream to the client as
they are built; XLSX is written row by row by openpyxl's write-only workbook into a
temporary file, which is then streamed.

Every export is recorded in the access log (action EXPORT, object type "export", object
id the format, detail a short JSON of the partnership, the filter and the record count)
before a byte of it is sent, and a person may export only so many times an hour.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone

from cases.audit import client_ip
from cases.models import AccessAction, AccessLog, RecordEntry
from escalation.models import Action, Discussion, Escalation, PanelMember, PartnershipReview, StageOccurrence
from escalation.permissions import OVERSIGHT_ROLES
from escalation.selectors import escalations_visible_to
from escalation.states import Category, State
from partnerships.choices import Role, Urgency
from partnerships.models import PolicyStage
from partnerships.selectors import memberships_of

SCHEMA_ID = "urn:escalation-tracker:schema:export-v1"
SCHEMA_PATH = settings.BASE_DIR / "escalation" / "schemas" / "export-v1.json"
EXPORT_OBJECT_TYPE = "export"
# Business managers and auditors see the list of past exports (chairs export, but do not read the log).
EXPORT_LOG_READERS = {Role.BUSINESS_MANAGER, Role.AUDITOR}
ROWS_CHUNK_SIZE = 500  # CSV and XLSX: 2 queries per chunk (escalations, stage occurrences)
RECORDS_CHUNK_SIZE = 200  # JSON: at most 8 queries per chunk, larger objects per escalation
STREAM_BUFFER = 64 * 1024  # send the client ~64 KiB at a time rather than a line at a time

FORMATS = {
    "csv": ("CSV", "text/csv; charset=utf-8"),
    "xlsx": ("XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "json": ("JSON", "application/json"),
}


# --- who exports what ------------------------------------------------------------------


def export_partnerships(user) -> list:
    """Partnerships in which the user holds an oversight role (business manager, chair, auditor)."""
    found = {}
    for m in memberships_of(user):
        if m.agency_id is None and Role(m.role) in OVERSIGHT_ROLES:
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


# --- the export record and the hourly limit --------------------------------------------


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


def export_record(*, user, ip_address: str | None, fmt: str, export_filter: ExportFilter, queryset) -> AccessLog:
    """Check the hourly limit, count the records and log the export, in one short transaction.

    Raises ExportLimitReached (and logs nothing) when the user has exported too often.
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
            object_type=EXPORT_OBJECT_TYPE,
            object_id=fmt,
            detail=_detail(export_filter, queryset.count())[:500],
            ip_address=ip_address,
        )


def export_history(partnerships) -> QuerySet[AccessLog]:
    """Past exports of these partnerships, newest first."""
    if not partnerships:
        return AccessLog.objects.none()
    scope = Q()
    for partnership in partnerships:
        scope |= Q(detail__startswith=_detail_prefix(partnership))
    return (
        AccessLog.objects.filter(action=AccessAction.EXPORT, object_type=EXPORT_OBJECT_TYPE)
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

    @classmethod
    def from_log(cls, log: AccessLog) -> PastExport:
        try:
            detail = json.loads(log.detail)
        except ValueError:
            detail = {}
        return cls(
            who=log.user.get_full_name() or log.user.get_username(),
            at=log.at,
            format=FORMATS.get(log.object_id, (log.object_id.upper(),))[0],
            filter=detail.get("filter", {}),
            count=detail.get("count"),
            partnership=detail.get("partnership", ""),
        )

    def filter_summary(self) -> list[str]:
        """The filter in words, for the page."""
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


# --- the row generator (CSV and XLSX) --------------------------------------------------

ROW_COLUMNS = [
    ("reference", "Reference"),
    ("partnership", "Partnership"),
    ("raised_at", "Raised at"),
    ("raising_agency", "Raising agency"),
    ("receiving_agency", "Receiving agency"),
    ("category", "Category"),
    ("urgency", "Urgency"),
    ("state", "State"),
    ("stage_reached", "Stage reached"),
    ("stage_resolved", "Stage resolved"),
    ("current_due_at", "Current deadline"),
    ("resolved_at", "Resolved at"),
    ("closed_at", "Closed at"),
    ("breaches", "Deadlines missed"),
]
TIMESCALE_WORDS = {True: "Met", False: "Not met", None: "Open"}


def stage_columns(queryset) -> int:
    """How many 'stage N timescale' columns: the most stages of any policy the escalations follow."""
    policies = queryset.order_by().values("policy_id").distinct()
    return PolicyStage.objects.filter(policy_id__in=policies).aggregate(most=Max("number"))["most"] or 0


def row_columns(stages: int) -> list[tuple[str, str]]:
    return ROW_COLUMNS + [(f"stage_{n}_timescale", f"Stage {n} timescale") for n in range(1, stages + 1)]


ROW_FIELDS = (
    "pk",
    "reference",
    "partnership__name",
    "raised_at",
    "raising_agency__name",
    "receiving_agency__name",
    "category",
    "urgency",
    "state",
    "stage_number",
    "resolution__stage_resolved",
    "current_due_at",
    "resolved_at",
    "closed_at",
)
CATEGORY_LABELS, URGENCY_LABELS, STATE_LABELS = dict(Category.choices), dict(Urgency.choices), dict(State.choices)


def chunked(iterable: Iterable, size: int) -> Iterator[list]:
    chunk = []
    for item in iterable:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def escalation_rows(queryset, *, chunk_size: int = ROWS_CHUNK_SIZE) -> Iterator[dict]:
    """One flat dict per escalation, read in chunks of `chunk_size`: 2 queries a chunk.

    Plain tuples rather than model instances (a spreadsheet row needs no more), and the
    chunk's stage occurrences in one query, as prefetch_related would but without building
    a queryset per escalation: this is the export that must be quick at 100,000.
    """
    tz = timezone.get_current_timezone()

    def local(moment):
        return moment.astimezone(tz) if moment else None

    escalations = queryset.values_list(*ROW_FIELDS).iterator(chunk_size=chunk_size)
    for chunk in chunked(escalations, chunk_size):
        stages = {}
        occurrences = StageOccurrence.objects.filter(escalation_id__in=[e[0] for e in chunk]).order_by()
        for escalation_id, number, breached_at, closed_at, met in occurrences.values_list(
            "escalation_id", "number", "breached_at", "closed_at", "timescale_met"
        ):
            stages.setdefault(escalation_id, []).append((number, breached_at, met if closed_at else None))
        for (pk, reference, partnership, raised_at, raising, receiving, category, urgency, state, stage,
             resolved_stage, due, resolved_at, closed_at) in chunk:  # fmt: skip
            own = sorted(stages.get(pk, ()))
            row = {
                "reference": reference,
                "partnership": partnership,
                "raised_at": local(raised_at),
                "raising_agency": raising,
                "receiving_agency": receiving,
                "category": CATEGORY_LABELS.get(category, category),
                "urgency": URGENCY_LABELS.get(urgency, urgency),
                "state": STATE_LABELS.get(state, state),
                "stage_reached": stage,
                "stage_resolved": resolved_stage,
                "current_due_at": local(due),
                "resolved_at": local(resolved_at),
                "closed_at": local(closed_at),
                "breaches": sum(1 for _, breached_at, _ in own if breached_at is not None),
            }
            for number, _, met in own:
                row[f"stage_{number}_timescale"] = TIMESCALE_WORDS[met]
            yield row


# --- the record generator (JSON) -------------------------------------------------------


def _person(user) -> dict | None:
    if user is None:
        return None
    return {"username": user.get_username(), "name": user.get_full_name()}


def _iso(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat()
    return value.isoformat()


def _people(*prefixes: str) -> list[str]:
    return [f"{prefix}__{name}" for prefix in prefixes for name in ("username", "first_name", "last_name")]


def _agencies(*prefixes: str) -> list[str]:
    return [f"{prefix}__{name}" for prefix in prefixes for name in ("public_id", "name", "type")]


class _Reader:
    """Turns a values() row into export-v1 pieces: people, agencies, times in London."""

    def __init__(self):
        self.tz = timezone.get_current_timezone()

    def time(self, value) -> str | None:
        if value is None:
            return None
        if isinstance(value, datetime):
            return value.astimezone(self.tz).isoformat()
        return value.isoformat()

    @staticmethod
    def person(row: dict, prefix: str) -> dict | None:
        username = row[f"{prefix}__username"]
        if username is None:
            return None
        # As User.get_full_name() would say it.
        return {"username": username, "name": f"{row[prefix + '__first_name']} {row[prefix + '__last_name']}".strip()}

    @staticmethod
    def agency(row: dict, prefix: str) -> dict | None:
        public_id = row[f"{prefix}__public_id"]
        if public_id is None:
            return None
        return {"public_id": str(public_id), "name": row[f"{prefix}__name"], "type": row[f"{prefix}__type"]}


RECORD_FIELDS = [
    "pk",
    "reference",
    "public_id",
    "partnership__slug",
    "partnership__name",
    "policy__slug",
    "policy__name",
    "state",
    "stage_number",
    "category",
    "urgency",
    "concern",
    "why_unsafe",
    "outcome_sought",
    "raised_at",
    "current_due_at",
    "resolved_at",
    "closed_at",
    "withdrawn_reason",
    "receiving_professional",
    *_people("raised_by", "resolution__recorded_by"),
    *_agencies("raising_agency", "receiving_agency"),
    "resolution__pk",
    "resolution__resolved_on",
    "resolution__stage_resolved",
    "resolution__agreed_outcome",
    "resolution__issues_raised",
    "resolution__lessons_learnt",
    "resolution__main_reason",
    "resolution__practitioners_informed",
    "resolution__family_informed",
    "resolution__family_not_informed_reason",
    "resolution__case_review_recommended",
    "resolution__recorded_at",
]
RECORD_QUERIES_PER_CHUNK = 8  # escalations, children, stages, discussions, reviews, panel members, actions, entries


def escalation_records(queryset, *, chunk_size: int = RECORDS_CHUNK_SIZE) -> Iterator[dict]:
    """The full record of each escalation (export-v1), read in chunks: 8 queries a chunk at most.

    Like prefetch_related, each related table is read once per chunk with `IN (ids)`; unlike
    it, as plain rows joined to the people and agencies they name, so no model instance (nor
    a queryset per escalation) is built: at 100,000 escalations that is most of the time.
    """
    read = _Reader()
    escalations = queryset.values(*RECORD_FIELDS).iterator(chunk_size=chunk_size)
    for chunk in chunked(escalations, chunk_size):
        related = _related(read, [e["pk"] for e in chunk])
        for e in chunk:
            yield _record(read, e, related)


def _group(rows, key: str) -> dict[int, list[dict]]:
    grouped = {}
    for row in rows:
        grouped.setdefault(row[key], []).append(row)
    return grouped


def _related(read: _Reader, ids: list[int]) -> dict:
    """Everything the chunk's escalations hold, grouped by escalation (or stage) id."""
    through = Escalation.children.through.objects.filter(escalation_id__in=ids)
    children = through.order_by("child__last_name", "child__first_name", "child_id").values(
        "escalation_id",
        "child_id",
        "child__public_id",
        "child__first_name",
        "child__last_name",
        "child__date_of_birth",
        "child__local_reference",
    )
    stages = list(
        StageOccurrence.objects.filter(escalation_id__in=ids)
        .order_by("escalation_id", "number")
        .values(
            "pk",
            "escalation_id",
            "number",
            "policy_stage__name",
            "started_at",
            "clock_started_at",
            "due_at",
            "timescale_description",
            "uses_default_timescale",
            "arrived_out_of_hours",
            "evidence_of_previous_efforts",
            "acknowledged_at",
            "warned_at",
            "breached_at",
            "decision",
            "closed_at",
            "outcome",
            "timescale_met",
            "reason_not_met",
            *_people("acknowledged_by"),
        )
    )
    stage_ids = [o["pk"] for o in stages]
    discussions = list(
        Discussion.objects.filter(occurrence_id__in=stage_ids)
        .order_by("held_at", "pk")
        .values(
            "pk",
            "occurrence_id",
            "public_id",
            "held_at",
            "method",
            "participants",
            "areas_of_agreement",
            "areas_of_disagreement",
            "outcome",
            "recorded_at",
            *_people("recorded_by"),
        )
    )
    reviews = list(
        PartnershipReview.objects.filter(occurrence_id__in=stage_ids).values(
            "pk",
            "occurrence_id",
            "arrangement",
            "formal_use_recorded_at",
            "meeting_at",
            *_people("recorded_by", "chair"),
            *_agencies("chair_agency"),
        )
    )
    # Most chunks have no partnership review at all: then there are no panel members to read.
    members = (
        PanelMember.objects.filter(review_id__in=[r["pk"] for r in reviews])
        .order_by("pk")
        .values("review_id", *_people("user"), *_agencies("agency"))
        if reviews
        else []
    )
    actions = (
        Action.objects.filter(escalation_id__in=ids)
        .order_by("due_on", "pk")
        .values(
            "escalation_id",
            "public_id",
            "discussion_id",
            "description",
            "owner_name",
            "due_on",
            "status",
            *_people("owner"),
        )
    )
    entries = (
        RecordEntry.objects.filter(escalation_id__in=ids)
        .order_by("at", "pk")
        .values(
            "pk", "escalation_id", "public_id", "child_id", "kind", "summary", "at", "corrects_id", *_people("author")
        )
    )
    return {
        "children": _group(children, "escalation_id"),
        "stages": _group(stages, "escalation_id"),
        "discussions": _group(discussions, "occurrence_id"),
        "discussion_ids": {d["pk"]: str(d["public_id"]) for d in discussions},
        "reviews": {r["occurrence_id"]: r for r in reviews},
        "members": _group(members, "review_id"),
        "actions": _group(actions, "escalation_id"),
        "entries": _group(entries, "escalation_id"),
    }


def _record(read: _Reader, e: dict, related: dict) -> dict:
    """One escalation as a JSON-ready dict (see escalation/schemas/export-v1.json)."""
    pk = e["pk"]
    children = related["children"].get(pk, [])
    stages = related["stages"].get(pk, [])
    entries = related["entries"].get(pk, [])
    child_ids = {c["child_id"]: str(c["child__public_id"]) for c in children}
    entry_ids = {r["pk"]: str(r["public_id"]) for r in entries}
    return {
        "reference": e["reference"],
        "public_id": str(e["public_id"]),
        "partnership": {"slug": e["partnership__slug"], "name": e["partnership__name"]},
        "policy": {"slug": e["policy__slug"], "name": e["policy__name"]},
        "state": e["state"],
        "stage_reached": e["stage_number"],
        "category": e["category"],
        "urgency": e["urgency"],
        "concern": e["concern"],
        "why_unsafe": e["why_unsafe"],
        "outcome_sought": e["outcome_sought"],
        "raised_at": read.time(e["raised_at"]),
        "current_due_at": read.time(e["current_due_at"]),
        "resolved_at": read.time(e["resolved_at"]),
        "closed_at": read.time(e["closed_at"]),
        "withdrawn_reason": e["withdrawn_reason"],
        "breaches": sum(1 for o in stages if o["breached_at"] is not None),
        "parties": {
            "raised_by": read.person(e, "raised_by"),
            "raising_agency": read.agency(e, "raising_agency"),
            "receiving_agency": read.agency(e, "receiving_agency"),
            "receiving_professional": e["receiving_professional"],
        },
        "children": [
            {
                "public_id": str(c["child__public_id"]),
                "first_name": c["child__first_name"],
                "last_name": c["child__last_name"],
                "date_of_birth": read.time(c["child__date_of_birth"]),
                "local_reference": c["child__local_reference"],
            }
            for c in children
        ],
        "stages": [_stage(read, o, related) for o in stages],
        "actions": [
            {
                "public_id": str(a["public_id"]),
                "discussion": related["discussion_ids"].get(a["discussion_id"]),
                "description": a["description"],
                "owner": read.person(a, "owner"),
                "owner_name": a["owner_name"],
                "due_on": read.time(a["due_on"]),
                "status": a["status"],
            }
            for a in related["actions"].get(pk, [])
        ],
        "resolution": _resolution(read, e) if e["resolution__pk"] is not None else None,
        "record_entries": [
            {
                "public_id": str(r["public_id"]),
                "child": child_ids.get(r["child_id"]),
                "kind": r["kind"],
                "summary": r["summary"],
                "author": read.person(r, "author"),
                "at": read.time(r["at"]),
                "corrects": entry_ids.get(r["corrects_id"]),
            }
            for r in entries
        ],
    }


def _stage(read: _Reader, o: dict, related: dict) -> dict:
    review = related["reviews"].get(o["pk"])
    return {
        "number": o["number"],
        "name": o["policy_stage__name"],
        "started_at": read.time(o["started_at"]),
        "clock_started_at": read.time(o["clock_started_at"]),
        "due_at": read.time(o["due_at"]),
        "timescale": o["timescale_description"],
        "uses_default_timescale": o["uses_default_timescale"],
        "arrived_out_of_hours": o["arrived_out_of_hours"],
        "evidence_of_previous_efforts": o["evidence_of_previous_efforts"],
        "acknowledged_at": read.time(o["acknowledged_at"]),
        "acknowledged_by": read.person(o, "acknowledged_by"),
        "warned_at": read.time(o["warned_at"]),
        "breached_at": read.time(o["breached_at"]),
        "decision": o["decision"],
        "closed_at": read.time(o["closed_at"]),
        "outcome": o["outcome"] or None,
        "timescale_met": o["timescale_met"],
        "reason_not_met": o["reason_not_met"],
        "discussions": [
            {
                "public_id": str(d["public_id"]),
                "held_at": read.time(d["held_at"]),
                "method": d["method"],
                "participants": d["participants"],
                "areas_of_agreement": d["areas_of_agreement"],
                "areas_of_disagreement": d["areas_of_disagreement"],
                "outcome": d["outcome"],
                "recorded_by": read.person(d, "recorded_by"),
                "recorded_at": read.time(d["recorded_at"]),
            }
            for d in related["discussions"].get(o["pk"], [])
        ],
        "partnership_review": _review(read, review, related) if review else None,
    }


def _review(read: _Reader, r: dict, related: dict) -> dict:
    return {
        "arrangement": r["arrangement"],
        "formal_use_recorded_at": read.time(r["formal_use_recorded_at"]),
        "recorded_by": read.person(r, "recorded_by"),
        "chair": read.person(r, "chair"),
        "chair_agency": read.agency(r, "chair_agency"),
        "meeting_at": read.time(r["meeting_at"]),
        "members": [
            {"person": read.person(m, "user"), "agency": read.agency(m, "agency")}
            for m in related["members"].get(r["pk"], [])
        ],
    }


def _resolution(read: _Reader, e: dict) -> dict:
    return {
        "resolved_on": read.time(e["resolution__resolved_on"]),
        "stage_resolved": e["resolution__stage_resolved"],
        "agreed_outcome": e["resolution__agreed_outcome"],
        "issues_raised": e["resolution__issues_raised"],
        "lessons_learnt": e["resolution__lessons_learnt"],
        "main_reason": e["resolution__main_reason"],
        "practitioners_informed": e["resolution__practitioners_informed"],
        "family_informed": e["resolution__family_informed"],
        "family_not_informed_reason": e["resolution__family_not_informed_reason"],
        "case_review_recommended": e["resolution__case_review_recommended"],
        "recorded_by": read.person(e, "resolution__recorded_by"),
        "recorded_at": read.time(e["resolution__recorded_at"]),
    }


# --- formatters ------------------------------------------------------------------------

# A spreadsheet treats a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return str(value)


def csv_chunks(rows: Iterable[dict], columns: list[tuple[str, str]]) -> Iterator[str]:
    """CSV text in ~64 KiB pieces. Starts with a byte-order mark so Excel reads it as UTF-8."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow([label for _, label in columns])
    for row in rows:
        writer.writerow([_csv_cell(row.get(key)) for key, _ in columns])
        if buffer.tell() >= STREAM_BUFFER:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def json_chunks(records: Iterable[dict], header: dict) -> Iterator[str]:
    """The export-v1 document, one escalation at a time: never the whole array in memory."""
    # The header's closing brace gives way to the array, which is written item by item.
    pieces, size = [json.dumps(header, ensure_ascii=False)[:-1] + ', "escalations": ['], 0
    for index, record in enumerate(records):
        text = ("," if index else "") + json.dumps(record, ensure_ascii=False)
        pieces.append(text)
        size += len(text)
        if size >= STREAM_BUFFER:
            yield "".join(pieces)
            pieces, size = [], 0
    pieces.append("]}")
    yield "".join(pieces)


def write_xlsx(rows: Iterable[dict], columns: list[tuple[str, str]], target) -> None:
    """Write rows with openpyxl's write-only workbook: each row goes to disk as it is added."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Escalations")
    sheet.freeze_panes = "A2"
    for index, (key, _) in enumerate(columns):
        sheet.column_dimensions[_column_letter(index)].width = 22 if key.endswith("_at") else 18
    bold = Font(bold=True)
    header = []
    for _, label in columns:
        cell = WriteOnlyCell(sheet, value=label)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in rows:
        sheet.append([_xlsx_cell(sheet, row.get(key), WriteOnlyCell) for key, _ in columns])
    workbook.save(target)


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def _xlsx_cell(sheet, value, cell_class):
    if isinstance(value, datetime):
        # Excel has no time zones: London wall-clock time, as on every page.
        cell = cell_class(sheet, value=value.replace(tzinfo=None))
        cell.number_format = "yyyy-mm-dd hh:mm"
        return cell
    if isinstance(value, str) and value.startswith("="):
        # openpyxl would store it as a formula; force a plain string.
        cell = cell_class(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


def export_filename(partnership, fmt: str, at: datetime | None = None) -> str:
    at = timezone.localtime(at or timezone.now())
    return f"{partnership.slug}-escalations-{at:%Y-%m-%d-%H%M}.{fmt}"


def _attachment(response, filename: str):
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    # Children's records: no browser or proxy may keep a copy.
    response["Cache-Control"] = "no-store"
    return response


def csv_response(queryset, *, filename: str, **_):
    columns = row_columns(stage_columns(queryset))
    response = StreamingHttpResponse(csv_chunks(escalation_rows(queryset), columns), content_type=FORMATS["csv"][1])
    return _attachment(response, filename)


def xlsx_response(queryset, *, filename: str, **_):
    columns = row_columns(stage_columns(queryset))
    # An anonymous temporary file: removed by the OS when FileResponse closes it.
    target = tempfile.TemporaryFile(suffix=".xlsx")
    try:
        write_xlsx(escalation_rows(queryset), columns, target)
    except BaseException:
        target.close()
        raise
    target.seek(0)
    response = FileResponse(target, content_type=FORMATS["xlsx"][1])
    return _attachment(response, filename)


def json_response(queryset, *, filename: str, header: dict):
    response = StreamingHttpResponse(json_chunks(escalation_records(queryset), header), content_type=FORMATS["json"][1])
    return _attachment(response, filename)


FORMATTERS = {"csv": csv_response, "xlsx": xlsx_response, "json": json_response}


def export_response(request, *, fmt: str, export_filter: ExportFilter):
    """Record the export (or refuse it: ExportLimitReached), then return the streaming response."""
    queryset = export_queryset(request.user, export_filter)
    export_record(
        user=request.user, ip_address=client_ip(request), fmt=fmt, export_filter=export_filter, queryset=queryset
    )
    now = timezone.now()
    header = {
        "schema": SCHEMA_ID,
        "exported_at": _iso(now),
        "exported_by": _person(request.user),
        "filter": export_filter.as_dict(),
    }
    return FORMATTERS[fmt](queryset, filename=export_filename(export_filter.partnership, fmt, now), header=header)
