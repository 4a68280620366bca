"""The shape of a policy preset: plain frozen data, readable without a database.

`manage.py deadline --policy SLUG` reads these directly, so they must not import models.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from partnerships.choices import BreachTarget, ClockStart, PanelRule, Tier, TimescaleUnit, Urgency


@dataclass(frozen=True)
class Timescale:
    amount: int
    unit: TimescaleUnit

    def describe(self) -> str:
        if self.unit == TimescaleUnit.SAME_WORKING_DAY:
            return "the same working day"
        label = self.unit.label
        if self.amount == 1:
            label = {"working days": "working day", "working hours": "working hour", "hours": "hour"}[label]
        return f"{self.amount} {label}"


@dataclass(frozen=True)
class StagePreset:
    name: str
    guidance: str
    raiser_tier: Tier
    # None: the other agency takes no part at this stage (e.g. consulting your own manager).
    receiver_tier: Tier | None
    # None: the document sets no timescale; the policy's default applies.
    timescale: Timescale | None
    child_protection: Timescale | None = None
    immediate_risk: Timescale | None = None
    clock_starts: ClockStart = ClockStart.STAGE_START
    evidence_of_previous_stage_required: bool = False
    acknowledgement_required: bool = True
    breach_targets: tuple[BreachTarget, ...] = (BreachTarget.NEXT_TIER, BreachTarget.RAISER)
    is_partnership_stage: bool = False
    panel_rule: PanelRule = PanelRule.NONE
    panel_min_agencies: int | None = None

    def timescale_for(self, urgency: Urgency, default: Timescale) -> Timescale:
        """The timescale that applies at this urgency: the tightest one the policy sets."""
        if urgency == Urgency.IMMEDIATE_RISK and self.immediate_risk:
            return self.immediate_risk
        if urgency in (Urgency.IMMEDIATE_RISK, Urgency.CHILD_PROTECTION) and self.child_protection:
            return self.child_protection
        return self.timescale or default


@dataclass(frozen=True)
class PolicyPreset:
    slug: str
    name: str
    source_document: str
    summary: str
    stages: tuple[StagePreset, ...]
    default_timescale: Timescale
    email_advice: str = ""
    warning_working_days: int = 1
    extra: dict = field(default_factory=dict)

    def stage(self, number: int) -> StagePreset:
        """Stage by its 1-based number, as policies and `--stage` count them."""
        if not 1 <= number <= len(self.stages):
            raise IndexError(f"stage {number} is out of range: {self.slug} has {len(self.stages)} stages")
        return self.stages[number - 1]
