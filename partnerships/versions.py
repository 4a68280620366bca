"""Versions of a partnership's policy: drafts, what may be published, and the settings a
published version brings with it.

A published version is never changed: escalations that started on it keep their deadlines and
their stages, and every child's file names them. A change is a draft (a copy of the current
version, of a preset or of a file) that the business manager edits and then publishes; the
publishing itself lives with the escalations (`escalation.policy_versions`), since it may move
open cases onto the new version.
"""

from __future__ import annotations

from datetime import time

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils.text import slugify

from partnerships.models import ClosureDay, Partnership, Policy, PolicyStage, PolicyStatus
from partnerships.policy_file import (
    SIGNPOSTS,
    PolicyData,
    calendar_document,
    signposts_document,
    structure_problems,
)

POLICY_FIELDS = (
    "name",
    "summary",
    "source_document",
    "source_title",
    "preset",
    "adopted_on",
    "review_by",
    "default_timescale_amount",
    "default_timescale_unit",
    "warning_working_days",
    "auto_escalate_on_breach",
    "email_advice",
    "routes",
)


class DraftExists(ValueError):
    def __init__(self, draft: Policy):
        self.draft = draft
        super().__init__(
            f"{draft.partnership} already has a draft (version {draft.version}). Publish or discard it first."
        )


class NotPublishable(ValueError):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


def versions_of(partnership: Partnership) -> list[Policy]:
    """Newest first: the partnership's own versions, the one it uses and any it used before
    (perhaps a preset shared with other partnerships)."""
    replaced = Policy.objects.filter(partnership=partnership, replaces__isnull=False).values("replaces")
    return list(
        Policy.objects.filter(Q(partnership=partnership) | Q(pk=partnership.policy_id) | Q(pk__in=replaced))
        .select_related("published_by")
        .order_by("-version", "-pk")
    )


def draft_of(partnership: Partnership) -> Policy | None:
    return Policy.objects.filter(partnership=partnership, status=PolicyStatus.DRAFT).first()


def _next_version(partnership: Partnership) -> int:
    own = Policy.objects.filter(partnership=partnership).aggregate(top=Max("version"))["top"] or 0
    current = partnership.policy.version if partnership.policy_id else 0
    return max(own, current) + 1


def _slug(partnership: Partnership, version: int) -> str:
    suffix = f"-v{version}"
    base = slugify(partnership.slug)[: 50 - len(suffix)]
    slug, n = f"{base}{suffix}", 1
    while Policy.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base[: 50 - len(suffix) - 3]}{suffix}-{n}"
    return slug


def partnership_settings(partnership: Partnership) -> dict:
    return {"calendar": calendar_document(partnership), "signposts": signposts_document(partnership)}


@transaction.atomic
def _new_draft(partnership: Partnership, *, fields: dict, stages: list[dict], settings: dict, based_on=None) -> Policy:
    Partnership.objects.select_for_update().get(pk=partnership.pk)
    existing = draft_of(partnership)
    if existing is not None:
        raise DraftExists(existing)
    version = _next_version(partnership)
    try:
        with transaction.atomic():
            draft = Policy.objects.create(
                slug=_slug(partnership, version),
                partnership=partnership,
                version=version,
                status=PolicyStatus.DRAFT,
                based_on=based_on,
                partnership_settings=settings,
                **fields,
            )
    except IntegrityError:
        raise DraftExists(draft_of(partnership)) from None
    PolicyStage.objects.bulk_create(
        [PolicyStage(policy=draft, number=number, **stage) for number, stage in enumerate(stages, start=1)]
    )
    return draft


def _stage_rows(policy: Policy) -> list[dict]:
    skip = {"id", "policy", "number"}
    return [
        {f.name: getattr(stage, f.name) for f in PolicyStage._meta.concrete_fields if f.name not in skip}
        for stage in policy.stages.order_by("number")
    ]


def start_draft(partnership: Partnership, source: Policy) -> Policy:
    """A draft copied from the current version or a preset; the partnership's calendar and
    signposts come with it, to be edited together."""
    fields = {name: getattr(source, name) for name in POLICY_FIELDS}
    fields["change_summary"] = ""
    return _new_draft(
        partnership,
        fields=fields,
        stages=_stage_rows(source),
        settings=partnership_settings(partnership),
        based_on=source,
    )


def draft_from_file(partnership: Partnership, data: PolicyData) -> Policy:
    """A draft from a checked policy file; what the file leaves out of the calendar and
    signposts stays as the partnership has it."""
    settings = partnership_settings(partnership)
    settings.update(data.partnership_settings)
    return _new_draft(
        partnership, fields=data.policy, stages=data.stages, settings=settings, based_on=partnership.policy
    )


def discard_draft(draft: Policy) -> None:
    if not draft.is_draft:
        raise ValueError("Only a draft can be discarded.")
    with transaction.atomic():
        draft.stages.all().delete()
        draft.delete()


def draft_problems(draft: Policy) -> list[str]:
    """What stops a draft being published, in words for the business manager."""
    stages = list(draft.stages.order_by("number"))
    problems = []
    for index, message in structure_problems([{"is_partnership_stage": s.is_partnership_stage} for s in stages]):
        problems.append(
            f"Stage {stages[index].number}: {message}." if index is not None else f"{message.capitalize()}."
        )
    for stage in stages:
        try:
            stage.clean()
        except ValidationError as error:
            for messages in error.message_dict.values():
                problems.extend(f"Stage {stage.number}: {m}" for m in messages)
    return problems


@transaction.atomic
def add_stage_to(draft: Policy) -> PolicyStage:
    """A new stage at the end of the ladder, or just before the partnership stage, which stays last."""
    stages = list(draft.stages.order_by("number"))
    last = stages[-1] if stages else None
    number = len(stages) + 1
    if last is not None and last.is_partnership_stage:
        PolicyStage.objects.filter(pk=last.pk).update(number=number)
        number = last.number
    tier = last.raiser_tier if last is not None and not last.is_partnership_stage else "practitioner"
    return PolicyStage.objects.create(policy=draft, number=number, name=f"Stage {number}", raiser_tier=tier)


def renumber(draft: Policy) -> None:
    """Stages numbered 1, 2, 3… in their order, after one is added, moved or removed."""
    stages = list(draft.stages.order_by("number", "pk"))
    with transaction.atomic():
        for offset, stage in enumerate(stages, start=1000):
            PolicyStage.objects.filter(pk=stage.pk).update(number=offset)
        for number, stage in enumerate(stages, start=1):
            PolicyStage.objects.filter(pk=stage.pk).update(number=number)


def apply_settings(partnership: Partnership, settings: dict) -> bool:
    """Put a published version's calendar and signposts on the partnership; True if the
    calendar changed (open deadlines are then worked out again by the caller)."""
    calendar, signposts = settings.get("calendar"), settings.get("signposts")
    changed = False
    if calendar:
        before = calendar_document(partnership)
        partnership.nation = calendar["nation"]
        partnership.opens = time.fromisoformat(calendar["opens"])
        partnership.closes = time.fromisoformat(calendar["closes"])
        partnership.hold_out_of_hours_email = calendar["hold_out_of_hours_email"]
        wanted = {(d["date"], d["reason"]) for d in calendar["closure_days"]}
        have = {(d["date"], d["reason"]) for d in before["closure_days"]}
        if wanted != have:
            ClosureDay.objects.filter(partnership=partnership).delete()
            ClosureDay.objects.bulk_create(
                [ClosureDay(partnership=partnership, date=d, reason=r) for d, r in sorted(wanted)]
            )
        after = {**calendar, "closure_days": sorted(wanted)}
        changed = {**before, "closure_days": sorted(have)} != after
    if signposts:
        for name in SIGNPOSTS:
            setattr(partnership, name, signposts.get(name, getattr(partnership, name)))
    partnership.save()
    return changed
