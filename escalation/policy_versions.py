"""Publishing a version of a partnership's policy, and moving open cases onto it.

An escalation keeps the version it started on: its stages and deadlines were set by that
version, and its page names it. Only when the business manager chooses does an open case move
onto the new version; its open stage is then timed by the new version from when its clock
started, and the move is written on every child's file. Nothing already on a file changes:
closed stages keep the version they ran under.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from cases.models import RecordEntryKind
from escalation.clocks import _apply_deadline, recompute_open_deadlines
from escalation.models import Escalation, StageOccurrence
from escalation.record import _due_text, _person, record_on_files
from escalation.services import show_stage_to_holders
from partnerships.models import Partnership, Policy, PolicyStatus
from partnerships.versions import NotPublishable, apply_settings, draft_problems


@dataclass
class Published:
    version: Policy
    moved: list[str] = field(default_factory=list)
    kept: list[tuple[str, str]] = field(default_factory=list)  # (reference, why it stayed)
    calendar_changes: int = 0


def version_label(policy: Policy) -> str:
    return f"version {policy.version} of {policy.name}"


def why_not_movable(escalation: Escalation, occurrence: StageOccurrence, version: Policy) -> str | None:
    stage = version.stages_by_number().get(occurrence.number)
    if stage is None:
        return f"the new version has no stage {occurrence.number}"
    if stage.is_partnership_stage != occurrence.policy_stage.is_partnership_stage:
        return f"stage {occurrence.number} is the partnership stage in one version and not the other"
    return None


def move_onto(escalation: Escalation, version: Policy, *, by) -> str | None:
    """Move one open escalation onto a version; the reason it cannot move, or None."""
    occurrence = escalation.occurrences.select_for_update().select_related("policy_stage").get(closed_at__isnull=True)
    reason = why_not_movable(escalation, occurrence, version)
    if reason:
        return reason
    before = escalation.policy
    escalation.policy = version
    Escalation.objects.filter(pk=escalation.pk).update(policy=version)
    occurrence.policy_stage = version.stages_by_number()[occurrence.number]
    fields = ["policy_stage"]
    if occurrence.breached_at is None and occurrence.step_met_at is None:
        _apply_deadline(occurrence, escalation, occurrence.clock_started_at)
        fields += ["due_at", "arrived_out_of_hours", "uses_default_timescale", "timescale_description"]
    occurrence.save(update_fields=fields)
    due = occurrence.due_at if occurrence.breached_at is None and occurrence.step_met_at is None else None
    show_stage_to_holders(escalation, occurrence.policy_stage, due if due else escalation.current_due_at)
    timing = (
        f"Stage {occurrence.number} ({occurrence.policy_stage.name}) is now {_due_text(occurrence)}."
        if due
        else f"Stage {occurrence.number} ({occurrence.policy_stage.name}) keeps its recorded deadline."
    )
    record_on_files(
        escalation,
        RecordEntryKind.POLICY_CHANGED,
        f"{_person(by)} moved {escalation.reference} from {version_label(before)} onto {version_label(version)}. "
        f"{timing}",
        author=by,
    )
    return None


@transaction.atomic
def publish_policy(draft: Policy, *, by, move_open_cases: bool = False) -> Published:
    """The draft becomes the partnership's policy; the version it replaces stays readable."""
    partnership = Partnership.objects.select_for_update().get(pk=draft.partnership_id)
    draft = Policy.objects.select_for_update().get(pk=draft.pk)
    if not draft.is_draft:
        raise NotPublishable(["This version has already been published."])
    problems = draft_problems(draft)
    if problems:
        raise NotPublishable(problems)
    previous = partnership.policy
    draft.status = PolicyStatus.PUBLISHED
    draft.published_at = timezone.now()
    draft.published_by = by
    draft.replaces = previous
    draft.save(update_fields=["status", "published_at", "published_by", "replaces"])
    if previous is not None and previous.partnership_id == partnership.pk:
        Policy.objects.filter(pk=previous.pk).update(status=PolicyStatus.SUPERSEDED)
    partnership.policy = draft
    calendar_changed = apply_settings(partnership, draft.partnership_settings)
    result = Published(version=draft)
    if calendar_changed:
        result.calendar_changes = recompute_open_deadlines(
            partnership=partnership,
            reason=f"the partnership's calendar changed with {version_label(draft)}.",
            acting_user=by,
        )
    if move_open_cases:
        open_cases = (
            Escalation.objects.open()
            .select_for_update(of=("self",))
            .filter(partnership=partnership)
            .exclude(policy=draft)
            .select_related("policy", "partnership", "receiving_agency", "raised_by")
            .order_by("pk")
        )
        for escalation in open_cases:
            reason = move_onto(escalation, draft, by=by)
            if reason:
                result.kept.append((escalation.reference, reason))
            else:
                result.moved.append(escalation.reference)
    return result


def open_cases_on_other_versions(partnership: Partnership) -> int:
    return Escalation.objects.open().filter(partnership=partnership).exclude(policy_id=partnership.policy_id).count()
