"""The words of the child's file: every change to an escalation is recorded on each child's
file (append-only), and the helpers that phrase who, when and which stage."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from cases.models import RecordEntry, RecordEntryKind
from escalation.figures_cache import figures_changed
from escalation.models import Escalation, StageOccurrence
from escalation.wording import stage_label


def _now(at: datetime | None) -> datetime:
    return at or timezone.now()


def _when(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%-d %B %Y at %-I:%M%p").replace("AM", "am").replace("PM", "pm")


def _person(user) -> str:
    return user.get_full_name() or user.get_username() if user else "The system"


def record_on_files(escalation: Escalation, kind: RecordEntryKind, summary: str, *, author=None) -> None:
    """One entry per child named in the escalation (siblings each keep a whole file).

    Every change to an escalation is recorded here, so this is also where the partnership's
    cached dashboard figures are marked stale."""
    figures_changed(escalation.partnership_id)
    RecordEntry.objects.bulk_create(
        [
            RecordEntry(child=child, escalation=escalation, kind=kind, summary=summary, author=author)
            for child in escalation.children.all()
        ]
    )


def _stage_label(occurrence: StageOccurrence) -> str:
    return stage_label(occurrence)


def _due_text(occurrence: StageOccurrence) -> str:
    text = f"due by {_when(occurrence.due_at)}"
    if occurrence.uses_default_timescale:
        text += " (the policy sets no timescale for this stage; the partnership's default applies)"
    if occurrence.arrived_out_of_hours:
        text += " (raised outside working hours)"
    return text
