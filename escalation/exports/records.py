"""The full record of each escalation, as the JSON export writes it (schema export-v1).

Where a spreadsheet row is a summary, the JSON export is the whole file of an escalation:
children, stages, discussions, partnership reviews and their panels, actions, the
resolution and the child's-record entries. Each related table is read once per chunk
with `IN (ids)` as plain rows with the people and agencies joined in, so a chunk costs a
fixed number of queries and no model instance is built. The records follow the JSON Schema
in escalation/schemas/export-v1.json (SCHEMA_PATH), which the tests validate against.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from cases.models import RecordEntry
from escalation.exports.rows import chunked
from escalation.models import Action, Discussion, Escalation, PanelMember, PartnershipReview, StageOccurrence

SCHEMA_ID = "urn:escalation-tracker:schema:export-v1"
SCHEMA_PATH = settings.BASE_DIR / "escalation" / "schemas" / "export-v1.json"
RECORDS_CHUNK_SIZE = 200  # JSON: at most 8 queries per chunk, larger objects per escalation


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
    "resolution__policy_gaps",
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
        "policy_gaps": e["resolution__policy_gaps"],
        "main_reason": e["resolution__main_reason"],
        "practitioners_informed": e["resolution__practitioners_informed"],
        "family_informed": e["resolution__family_informed"],
        "family_not_informed_reason": e["resolution__family_not_informed_reason"],
        "case_review_recommended": e["resolution__case_review_recommended"],
        "recorded_by": read.person(e, "resolution__recorded_by"),
        "recorded_at": read.time(e["resolution__recorded_at"]),
    }
