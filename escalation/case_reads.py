"""The escalation page's reads, compiled once per process (partnerships/compiled.py).

The escalation page is the one people open most after their lists, and turning its querysets
into SQL on every request (the case with its annotations, the stages, the file entries, the
discussions, actions and files) took about a quarter of its time. Each read here is still
written once with the ORM and gives what that queryset gives (tests/integration/
test_case_reads.py holds them together); the related objects the ORM's reverse managers would
set (each row's escalation) are set here too, so nothing asks the database for them again.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce

from cases.models import RecordEntry, RecordEntryKind
from escalation.attachments import Attachment
from escalation.models import Action, Discussion, Escalation, StageOccurrence
from escalation.notifications import unread_annotations
from partnerships.compiled import CompiledQuery, CompiledRows

# Where the values go in the compiled queries: values no real request carries.
_PUBLIC_ID = uuid.UUID("00000000-0000-4000-8000-0000c0ffee00")
_PERSON = -2_147_480_101
_ESCALATION = -2_147_480_102

# What every page about one case reads with it.
CASE_RELATED = ("partnership", "policy", "raising_agency", "receiving_agency", "raised_by")

_named = Escalation.children.through.objects.filter(escalation=OuterRef("pk")).order_by().values("escalation")
CHILD_COUNT = {"child_count": Coalesce(Subquery(_named.annotate(n=Count("pk")).values("n")), 0)}


def _case(public_id, person):
    return (
        Escalation.objects.select_related(*CASE_RELATED)
        .annotate(**CHILD_COUNT, **unread_annotations(person))
        .filter(public_id=public_id)
    )


def _stages(escalation_id):
    return (
        StageOccurrence.objects.filter(escalation_id=escalation_id)
        .select_related("policy_stage", "acknowledged_by")
        .order_by("number")
    )


def _entries(escalation_id):
    return (
        RecordEntry.objects.filter(escalation_id=escalation_id)
        .order_by("at", "id")
        .values_list(*ENTRY_COLUMNS, *(f"child__{name}" for name in CHILD_COLUMNS))
    )


ENTRY_COLUMNS = ("kind", "summary", "at")
CHILD_COLUMNS = ("id", "public_id", "first_name", "last_name", "date_of_birth")


@dataclass(frozen=True)
class TimelineEntry:
    """What the case page writes of a record entry."""

    kind: str
    summary: str
    at: datetime

    @property
    def get_kind_display(self) -> str:
        return RecordEntryKind(self.kind).label


@dataclass(frozen=True)
class NamedChild:
    """What the case page writes of a child it names."""

    id: int
    public_id: uuid.UUID
    first_name: str
    last_name: str
    date_of_birth: date

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


def _discussions(escalation_id):
    return (
        Discussion.objects.filter(occurrence__escalation_id=escalation_id)
        .select_related("recorded_by")
        .order_by("occurrence__number", "held_at")
    )


def _actions(escalation_id):
    return Action.objects.filter(escalation_id=escalation_id)


def _attachments(escalation_id):
    return Attachment.objects.filter(escalation_id=escalation_id).select_related(
        "uploaded_by", "discussion", "occurrence"
    )


CASE = CompiledQuery(_case, public_id=_PUBLIC_ID, person=_PERSON)
STAGES = CompiledQuery(_stages, escalation_id=_ESCALATION)
ENTRIES = CompiledRows(_entries, escalation_id=_ESCALATION)
DISCUSSIONS = CompiledQuery(_discussions, escalation_id=_ESCALATION)
ACTIONS = CompiledQuery(_actions, escalation_id=_ESCALATION)
ATTACHMENTS = CompiledQuery(_attachments, escalation_id=_ESCALATION)


def case_with_unread(public_id, user) -> Escalation | None:
    """The case by its public id, with what every case page shows of it, how many children it
    names (child_count) and the person's unread notices (notifications.unread_annotations).
    Visibility is the caller's to ask (views.common)."""
    found = CASE(public_id=public_id, person=user.pk)
    return found[0] if found else None


def _of(escalation, rows: list) -> list:
    for row in rows:
        row.escalation = escalation
    return rows


def stages_of(escalation) -> list[StageOccurrence]:
    return _of(escalation, STAGES(escalation_id=escalation.pk))


def entries_of(escalation) -> list[tuple[TimelineEntry, NamedChild]]:
    """Every child's copy of every entry on the case, oldest first, with the child it is on."""
    width = len(ENTRY_COLUMNS)
    return [(TimelineEntry(*row[:width]), NamedChild(*row[width:])) for row in ENTRIES(escalation_id=escalation.pk)]


def discussions_of(escalation) -> list[Discussion]:
    return DISCUSSIONS(escalation_id=escalation.pk)


def actions_of(escalation) -> list[Action]:
    return _of(escalation, ACTIONS(escalation_id=escalation.pk))


def attachments_of(escalation) -> list[Attachment]:
    return _of(escalation, ATTACHMENTS(escalation_id=escalation.pk))
