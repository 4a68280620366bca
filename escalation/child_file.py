"""What the child's file page reads and shows: the child, the escalations about them the person
may see, and the chronology of those escalations.

The page asked the visibility rule three times (the child through an EXISTS over it, the
escalations, the entries through an IN over it), and building those queries took more time
than the database did. It is now asked once, for the escalations naming the child, with a query
compiled once per shape of person (escalation/visible_reads.py); the child's own reasons are
read from the child's row (cases.selectors.may_see_child) and the entries are kept to those
escalations. The child and the entries are read with queries compiled once per process
(partnerships/compiled.py), and each row's link, labels and dates are worked out here rather
than by template tags in each row. The page reads as it did
(tests/functional/test_child_file_page.py).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db.models import Exists, OuterRef
from django.http import Http404

from cases.models import Child, RecordEntry, RecordEntryKind
from cases.selectors import may_see_child
from escalation.dates import DateWriter
from escalation.models import Escalation
from escalation.rows import STATE_LABELS, TemplateRow, url_for_each
from escalation.selectors import escalations_visible_to
from escalation.visible_reads import ShapedReads
from partnerships.compiled import CompiledQuery

# Where the values go in the compiled queries: values no real request carries.
_PUBLIC_ID = uuid.UUID("00000000-0000-4000-8000-00000c41d000")
_CHILD = -2_147_480_201

KIND_LABELS = dict(RecordEntryKind.choices)

CHILD = CompiledQuery(lambda public_id: Child.objects.filter(public_id=public_id), public_id=_PUBLIC_ID)
# Every entry on the child's file about an escalation, oldest first, and whether that escalation
# names the child; the page keeps those about escalations the person may see (file_entries).
_NAMES_CHILD = Escalation.children.through.objects.filter(
    escalation_id=OuterRef("escalation_id"), child_id=OuterRef("child_id")
)
ENTRIES = CompiledQuery(
    lambda child_id: RecordEntry.objects.filter(child_id=child_id, escalation__isnull=False)
    .annotate(names_child=Exists(_NAMES_CHILD))
    .only("escalation_id", "kind", "summary", "at")
    .order_by("at", "id"),
    child_id=_CHILD,
)
# The escalations naming the child that the person may see, newest first.
NAMING = ShapedReads(
    lambda person, child_id: escalations_visible_to(person)
    .filter(children=child_id)
    .select_related("raising_agency", "receiving_agency"),
    child_id=_CHILD,
)


@dataclass(frozen=True, slots=True)
class EscalationRow(TemplateRow):
    reference: str
    url: str
    between: str
    state: str  # in lower case, as the page writes it


@dataclass(frozen=True, slots=True)
class EntryRow(TemplateRow):
    kind: str
    at: str
    reference: str
    summary: str


def visible_child_or_404(user, public_id):
    """(child, the escalations naming them that the person may see, newest first), or 404 for a
    child the person may not see (cases.selectors.children_visible_to), as for one who does not exist."""
    found = CHILD(public_id=public_id)
    if not found:
        raise Http404
    child = found[0]
    escalations = NAMING(user, child_id=child.pk)
    if not may_see_child(child, user, named_in_a_visible_escalation=bool(escalations)):
        raise Http404
    return child, escalations


def file_entries(child, user, escalations) -> list[RecordEntry]:
    """The entries on the child's file about escalations the person may see, oldest first, each
    with `reference` (its escalation's). `escalations` are the visible ones naming the child:
    entries are only written for the children an escalation names (escalation.record), and
    should an entry be about another escalation, the visibility rule is asked about it."""
    references = {e.pk: e.reference for e in escalations}
    entries = ENTRIES(child_id=child.pk)
    # An escalation naming the child that is not among `escalations` may not be seen.
    others = {entry.escalation_id for entry in entries if not entry.names_child} - references.keys()
    if others:
        references.update(escalations_visible_to(user).filter(pk__in=others).values_list("pk", "reference"))
    shown = []
    for entry in entries:
        reference = references.get(entry.escalation_id)
        if reference is not None:
            entry.reference = reference
            shown.append(entry)
    return shown


def escalation_rows(escalations) -> list[EscalationRow]:
    url = url_for_each("escalation:detail")
    return [
        EscalationRow(
            reference=e.reference,
            url=url(e.public_id),
            between=f"{e.raising_agency.name} and {e.receiving_agency.name}",
            state=STATE_LABELS.get(e.state, e.state).lower(),
        )
        for e in escalations
    ]


def entry_rows(entries) -> list[EntryRow]:
    dates = DateWriter()
    return [
        EntryRow(
            kind=KIND_LABELS.get(entry.kind, entry.kind),
            at=dates.long(entry.at),
            reference=entry.reference,
            summary=entry.summary,
        )
        for entry in entries
    ]
