"""The flat rows of the CSV and XLSX exports: one dict per escalation, and its columns.

A spreadsheet row needs labels and local times, not the full record, and this is the
export that must stay quick at 100,000 escalations, so the rows are built from plain
`values_list` tuples, two queries a chunk, with no model instances. `chunked` lives here
too, as the JSON record generator reads its escalations in chunks the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.db.models import Max
from django.utils import timezone

from escalation.models import StageOccurrence
from escalation.states import Category, State
from partnerships.choices import Urgency
from partnerships.models import PolicyStage

ROWS_CHUNK_SIZE = 500  # CSV and XLSX: 2 queries per chunk (escalations, stage occurrences)

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
