"""Writes and calculations for partnerships and their policies."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from partnerships.calendar import Deadline, WorkingCalendar
from partnerships.choices import Urgency
from partnerships.models import Partnership, Policy, PolicyStage, PolicyStatus
from partnerships.presets import PRESETS, get_preset
from partnerships.presets.base import PolicyPreset, StagePreset, Timescale


def _stage_fields(stage: StagePreset) -> dict:
    def split(timescale: Timescale | None):
        return (timescale.amount, timescale.unit.value) if timescale else (None, "")

    amount, unit = split(stage.timescale)
    cp_amount, cp_unit = split(stage.child_protection)
    ir_amount, ir_unit = split(stage.immediate_risk)
    return {
        "name": stage.name,
        "guidance": stage.guidance,
        "raiser_tier": stage.raiser_tier.value,
        "receiver_tier": stage.receiver_tier.value if stage.receiver_tier else "",
        "timescale_amount": amount,
        "timescale_unit": unit,
        "child_protection_amount": cp_amount,
        "child_protection_unit": cp_unit,
        "immediate_risk_amount": ir_amount,
        "immediate_risk_unit": ir_unit,
        "clock_starts": stage.clock_starts.value,
        "met_by": stage.met_by.value,
        "evidence_of_previous_stage_required": stage.evidence_of_previous_stage_required,
        "acknowledgement_required": stage.acknowledgement_required,
        "breach_targets": [t.value for t in stage.breach_targets],
        "is_partnership_stage": stage.is_partnership_stage,
        "panel_rule": stage.panel_rule.value,
        "panel_min_agencies": stage.panel_min_agencies,
        "panel_alternatives": [r.value for r in stage.panel_alternatives],
        "raiser_roles": [r.value for r in stage.raiser_roles],
        "receiver_roles": [r.value for r in stage.receiver_roles],
        "holder_agency_type": stage.holder_agency_type.value if stage.holder_agency_type else "",
        "joined_by_agency_type": stage.joined_by_agency_type.value if stage.joined_by_agency_type else "",
        "joined_when_about": [c.value for c in stage.joined_when_about],
        "joined_at_urgency": [u.value for u in stage.joined_at_urgency],
        "joiner_roles": [r.value for r in stage.joiner_roles],
        "receiving_agency_timescales": {
            kind.value: [t.amount, t.unit.value] for kind, t in stage.receiving_agency_timescales
        },
        "notify": {event.value: [a.value for a in audiences] for event, audiences in stage.notify},
    }


@transaction.atomic
def policy_load_preset(preset: PolicyPreset) -> Policy:
    """The policy whose slug is the preset's, created with its stages if missing. Idempotent,
    and it never overwrites: a policy that exists (perhaps edited by its partnership, perhaps
    with escalations running on its stages) is left exactly as it is. Changes to the presets
    reach existing policies through data migrations, which say what they change."""
    policy, created = Policy.objects.get_or_create(
        slug=preset.slug,
        defaults={
            "name": preset.name,
            "summary": preset.summary,
            "source_document": preset.source_document,
            "source_title": preset.source_title,
            "adopted_on": preset.adopted_on,
            "review_by": preset.review_by,
            "preset": preset.slug,
            "default_timescale_amount": preset.default_timescale.amount,
            "default_timescale_unit": preset.default_timescale.unit.value,
            "email_advice": preset.email_advice,
            "warning_working_days": preset.warning_working_days,
            "routes": [r.value for r in preset.routes],
        },
    )
    if created:
        PolicyStage.objects.bulk_create(
            [
                PolicyStage(policy=policy, number=number, **_stage_fields(stage))
                for number, stage in enumerate(preset.stages, start=1)
            ]
        )
    return policy


def load_all_presets() -> list[Policy]:
    return [policy_load_preset(preset) for preset in PRESETS.values()]


@transaction.atomic
def policy_copy(policy: Policy, *, slug: str, name: str) -> Policy:
    """An editable copy of a policy (typically a preset) for a partnership to adapt."""
    stages = list(policy.stages.all())
    copy = Policy.objects.get(pk=policy.pk)
    copy.pk = None
    copy.slug, copy.name = slug, name
    # Not a version of any partnership's: an administrator's copy, chosen for a partnership in the admin.
    copy.partnership, copy.version, copy.status = None, 1, PolicyStatus.PUBLISHED
    copy.published_at = copy.published_by = copy.replaces = None
    copy.based_on = policy
    copy.save()
    for stage in stages:
        stage.pk = None
        stage.policy = copy
        stage.save()
    return copy


def preset_deadline(
    slug: str, stage: int, start: datetime, urgency: str = Urgency.STANDARD, other_agency: str | None = None
) -> Deadline:
    """A preset's stage deadline on the England and Wales calendar with default hours.

    Reads the preset definitions directly so it works on an empty database.
    """
    preset = get_preset(slug)
    deadline, _ = preset.stage(stage).deadline(
        WorkingCalendar(), start, Urgency(urgency), preset.default_timescale, receiving_agency_type=other_agency
    )
    return deadline


def partnership_deadline(
    partnership: Partnership,
    stage: int,
    start: datetime,
    urgency: str = Urgency.STANDARD,
    other_agency: str | None = None,
) -> Deadline:
    """A partnership's own policy and calendar."""
    policy = partnership.policy
    if policy is None:
        raise LookupError(f"{partnership.name} has no escalation policy.")
    stage_row = policy.stages.filter(number=stage).first()
    if stage_row is None:
        raise IndexError(f"stage {stage} is out of range: {policy.slug} has {policy.stages.count()} stages")
    deadline, _, _ = policy.stage_deadline(
        stage_row, urgency, partnership.working_calendar(), start, receiving_agency_type=other_agency
    )
    return deadline


def first_stage_deadlines(partnership: Partnership, start: datetime) -> list[tuple[str, Deadline]]:
    """[(urgency label, deadline)] for a disagreement raised now at each urgency: the raise
    page's out-of-hours advice states these rather than guessing which urgency runs longer."""
    if partnership.policy is None or not partnership.policy.stages_by_number():
        return []
    return [(urgency.label, partnership_deadline(partnership, 1, start, urgency)) for urgency in Urgency]
