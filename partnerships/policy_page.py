"""A policy version in words, for the page everyone in the partnership reads (and prints):
who holds each stage on each side, its timed step per urgency, and who is told of what.

The words come from the same stage data the deadlines and notifications use, so the page
cannot say one thing while the product does another.
"""

from __future__ import annotations

from dataclasses import dataclass

from partnerships.choices import Category, Event, Role, StepEvent, Urgency
from partnerships.presets.base import URGENCY_ORDER

PARTNERSHIP_STAGE_HOLDERS = "The partnership business manager and chair, then whoever is seated on the arrangement"


@dataclass
class StageInWords:
    number: int
    name: str
    guidance: str
    raising_holders: str
    receiving_holders: str
    joined_by: str  # "" unless another agency joins the two
    timescales: list[tuple[str, str]]  # (urgency, timescale)
    by_other_agency: list[tuple[str, str]]  # (agency type, timescale)
    clock_starts: str
    met_by: str
    acknowledgement_required: bool
    evidence_required: bool
    told: list[tuple[str, list[str]]]  # (event, [audience])
    breach_told: list[str]
    arrangement: str


def _roles(roles) -> str:
    ordered = sorted(roles, key=lambda r: list(Role).index(Role(r)))
    return ", ".join(Role(r).label for r in ordered).capitalize() if ordered else ""


def _holders(stage, side: str) -> str:
    if stage.is_partnership_stage:
        return PARTNERSHIP_STAGE_HOLDERS
    roles = _roles(stage.holder_roles(side))
    if stage.holder_agency_type:
        return f"{roles or 'Its leaders'} in the partnership's {stage.as_preset().holder_agency_type.label.lower()}"
    if side == "receiver" and not stage.receiver_tier:
        return "Takes no part yet"
    return roles


def _joined_by(stage) -> str:
    preset = stage.as_preset()
    if not preset.joined_by_agency_type:
        return ""
    roles = _roles(preset.joining_roles()) or "Its leaders"
    when = "when it is not one of the two"
    if preset.joined_when_about:
        about = " or ".join(Category(c).label.split(" (")[0].lower() for c in preset.joined_when_about)
        when = f"when the disagreement is about {about} and it is not one of the two"
    if preset.joined_at_urgency:
        urgent = " or ".join(Urgency(u).label.lower() for u in preset.joined_at_urgency)
        when = f"when the urgency is {urgent} and " + when.removeprefix("when ")
    return f"{roles} in the partnership's {preset.joined_by_agency_type.label.lower()}, {when}"


def _timescales(policy, stage) -> list[tuple[str, str]]:
    default = policy.default_timescale()
    preset = stage.as_preset()
    found, previous = [], None
    for urgency in URGENCY_ORDER:
        timescale = preset.timescale_for(urgency, default)
        text = timescale.describe()
        if timescale is default:
            text += " (the policy's default: this stage sets none)"
        if previous is not None and timescale == previous:
            text = "as above"
        found.append((Urgency(urgency).label, text))
        previous = timescale
    return found


def stage_in_words(policy, stage) -> StageInWords:
    preset = stage.as_preset()
    return StageInWords(
        number=stage.number,
        name=stage.name,
        guidance=stage.guidance,
        raising_holders=_holders(stage, "raiser"),
        receiving_holders=_holders(stage, "receiver"),
        joined_by=_joined_by(stage),
        timescales=_timescales(policy, stage),
        by_other_agency=[(kind.label, t.describe()) for kind, t in preset.receiving_agency_timescales],
        clock_starts=stage.get_clock_starts_display(),
        met_by=StepEvent(stage.met_by).label,
        acknowledgement_required=stage.acknowledgement_required,
        evidence_required=stage.evidence_of_previous_stage_required,
        told=[(event.label, sorted(a.label for a in preset.audiences(event))) for event in Event],
        breach_told=[t.label for t in preset.breach_targets],
        arrangement=(
            " or ".join([preset.panel_rule.label, *(r.label for r in preset.panel_alternatives)])
            if stage.is_partnership_stage
            else ""
        ),
    )


def policy_in_words(policy) -> list[StageInWords]:
    return [stage_in_words(policy, stage) for stage in policy.stages.order_by("number")]
