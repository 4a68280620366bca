"""Periodic audit samples (Bromley, 003: "periodically audit escalation records").

A business manager draws a random sample of closed escalations; each case then gets a
checklist result (policy followed, partly followed, not followed) with notes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from escalation.models import AuditCheck, AuditResult, AuditSample, Escalation
from escalation.services import EscalationError, NotPermitted
from escalation.states import State
from partnerships.choices import Role
from partnerships.selectors import partnership_roles

MAX_SAMPLE = 50
SAMPLERS = {Role.BUSINESS_MANAGER}

# What the reviewer checks in each record; shown beside the result, kept with the notes.
CHECKLIST = [
    "The disagreement was raised with the right agency, with the concern and the outcome sought recorded.",
    "Each stage was acknowledged and held by the tier the policy names.",
    "Each stage's discussion, decision and agreed actions are recorded.",
    "Timescales were met, or the reason they were not is recorded.",
    "The resolution record is complete: outcome, lessons learnt, who was informed.",
    "Every stage is recorded on each child's file.",
]

_random = random.SystemRandom()


def may_sample(user, partnership) -> bool:
    return bool(partnership_roles(user, partnership.pk) & SAMPLERS)


def sample_population(partnership) -> QuerySet[Escalation]:
    """Closed escalations not yet in an earlier sample: each audit looks at fresh cases."""
    return Escalation.objects.filter(partnership=partnership, state=State.CLOSED).exclude(audit_checks__isnull=False)


@transaction.atomic
def audit_sample_draw(*, partnership, acting_user, size: int, note: str = "", rng=None) -> AuditSample:
    """A simple random sample (without replacement) of `size` closed escalations.

    The ids are read (integers only, even at 100,000 cases) and sampled in Python with a
    system random source: ORDER BY random() would sort the whole table to do the same.
    """
    if not may_sample(acting_user, partnership):
        raise NotPermitted("Only the partnership's business manager can draw an audit sample.")
    if not 1 <= size <= MAX_SAMPLE:
        raise EscalationError(f"Enter a sample size between 1 and {MAX_SAMPLE}.")
    ids = list(sample_population(partnership).order_by("pk").values_list("pk", flat=True))
    if not ids:
        raise EscalationError("There are no closed escalations left to sample.")
    chosen = sorted((rng or _random).sample(ids, min(size, len(ids))))
    sample = AuditSample.objects.create(
        partnership=partnership, created_by=acting_user, size=len(chosen), note=note.strip()[:200]
    )
    AuditCheck.objects.bulk_create([AuditCheck(sample=sample, escalation_id=pk) for pk in chosen])
    return sample


@transaction.atomic
def audit_check_record(*, check: AuditCheck, acting_user, result: str, notes: str = "") -> AuditCheck:
    if not may_sample(acting_user, check.sample.partnership):
        raise NotPermitted("Only the partnership's business manager can record audit results.")
    if result not in AuditResult.values or result == AuditResult.PENDING:
        raise EscalationError("Choose whether the policy was followed.")
    if result != AuditResult.MET and not notes.strip():
        raise EscalationError("Enter notes saying what was missing or not followed.")
    check.result = result
    check.notes = notes.strip()
    check.checked_by = acting_user
    check.checked_at = timezone.now()
    check.save(update_fields=["result", "notes", "checked_by", "checked_at"])
    return check


@dataclass
class SampleProgress:
    sample: AuditSample
    checked: int
    met: int
    partly: int
    not_met: int

    @property
    def pending(self) -> int:
        return self.sample.size - self.checked


def samples_for(partnership) -> list[SampleProgress]:
    """Every sample of the partnership with its tally, newest first, in one query."""
    samples = (
        AuditSample.objects.filter(partnership=partnership)
        .select_related("created_by")
        .annotate(
            checked=Count("checks", filter=~Q(checks__result=AuditResult.PENDING)),
            met=Count("checks", filter=Q(checks__result=AuditResult.MET)),
            partly=Count("checks", filter=Q(checks__result=AuditResult.PARTLY)),
            not_met=Count("checks", filter=Q(checks__result=AuditResult.NOT_MET)),
        )
        .order_by("-created_at", "-pk")
    )
    return [SampleProgress(s, s.checked, s.met, s.partly, s.not_met) for s in samples]


def checks_for(sample: AuditSample) -> QuerySet[AuditCheck]:
    return sample.checks.select_related(
        "escalation__raising_agency", "escalation__receiving_agency", "escalation__resolution", "checked_by"
    ).order_by("escalation__raised_at", "pk")
