"""The shape of a policy preset: plain frozen data, readable without a database.

`manage.py deadline --policy SLUG` reads these directly, so they must not import models.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from partnerships.calendar import Deadline
from partnerships.choices import (
    DEFAULT_AUDIENCES,
    TIER_ROLE,
    AgencyType,
    Audience,
    BreachTarget,
    Category,
    ClockStart,
    Event,
    PanelRule,
    Role,
    Route,
    StepEvent,
    Tier,
    TimescaleUnit,
    Urgency,
)

# Least urgent first.
URGENCY_ORDER = [Urgency.STANDARD, Urgency.CHILD_PROTECTION, Urgency.IMMEDIATE_RISK]


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
    # The event that meets the stage's timescale; "Deadline missed" means it had not happened.
    met_by: StepEvent = StepEvent.STAGE_END
    evidence_of_previous_stage_required: bool = False
    acknowledgement_required: bool = True
    breach_targets: tuple[BreachTarget, ...] = (BreachTarget.NEXT_TIER, BreachTarget.RAISER)
    is_partnership_stage: bool = False
    panel_rule: PanelRule = PanelRule.NONE
    panel_min_agencies: int | None = None
    # Bromley: "Alternatively, the BSCP may facilitate resolution through direct liaison".
    panel_alternatives: tuple[PanelRule, ...] = ()
    # The roles that may hold the stage on each side (a set, not a minimum rank); empty: the
    # role of the side's tier. Cumberland Level Three: service leads or designated practitioners.
    raiser_roles: tuple[Role, ...] = ()
    receiver_roles: tuple[Role, ...] = ()
    # Held in the partnership's agency of this type, whichever agencies disagree (St Helens: the
    # Director of Children's Services' final binding decision), by the roles named above.
    holder_agency_type: AgencyType | None = None
    # The partnership's agency of this type takes part too, by the roles named above, when it is
    # not one of the two agencies (Plymouth Stage Three: "referred to an appropriate Head of
    # Service within Specialist Children's Services, who will consider the matter with their
    # equivalent level of management within the concerned agency").
    joined_by_agency_type: AgencyType | None = None
    # Only for disagreements about these (empty: every one). Plymouth Stage Two: "If the area of
    # conflict relates to whether a case meets the threshold ..., then the Early Help
    # Assessment/TAC Implementation Officer will also be involved in this discussion."
    joined_when_about: tuple[Category, ...] = ()
    # Only at these urgencies (empty: every one). St Helens: "Safeguarding Children Unit managers
    # will always follow up cases where there are immediate concerns about a child".
    joined_at_urgency: tuple[Urgency, ...] = ()
    # The joining agency's roles that take part (empty: the stage's own roles, as above).
    joiner_roles: tuple[Role, ...] = ()
    # A tighter timescale where the other agency is of a type (St Helens stage two: "For cases
    # involving Social Care ... the Team Manager should be alerted ... within one working day").
    receiving_agency_timescales: tuple[tuple[AgencyType, Timescale], ...] = ()
    # Who else the policy says is told of an event at this stage, on top of DEFAULT_AUDIENCES:
    # ((event, (audience, ...)), ...), a tuple so the preset stays frozen and hashable.
    notify: tuple[tuple[Event, tuple[Audience, ...]], ...] = ()

    def holder_roles(self, side: str) -> frozenset[Role]:
        """The roles that hold this stage on 'raiser' or 'receiver' side (none at the partnership
        stage, whose holders are partnership roles, nor on a side that takes no part)."""
        named = self.raiser_roles if side == "raiser" else self.receiver_roles
        tier = self.raiser_tier if side == "raiser" else self.receiver_tier
        if named:
            return frozenset(named)
        return frozenset({TIER_ROLE[tier]}) if tier in TIER_ROLE else frozenset()

    def joined_by(self, category: str | None, urgency: str | None = None) -> AgencyType | None:
        """The agency type that joins the two at this stage for a disagreement about this, this
        urgent (read afresh: a case made more urgent brings the agency in from then on)."""
        if not self.joined_by_agency_type or self.is_partnership_stage or self.holder_agency_type:
            return None
        if self.joined_when_about and category not in self.joined_when_about:
            return None
        if self.joined_at_urgency and urgency not in self.joined_at_urgency:
            return None
        return self.joined_by_agency_type

    def joining_roles(self) -> frozenset[Role]:
        """The roles in which the joining agency's people take part: those the stage names for
        them, else the stage's own roles above practitioner (its practitioners are not all told
        of a managers' stage)."""
        if self.joiner_roles:
            return frozenset(self.joiner_roles)
        return (self.holder_roles("raiser") | self.holder_roles("receiver")) - {Role.PRACTITIONER}

    def audiences(self, event: Event) -> frozenset[Audience]:
        """Everyone told of this event at this stage: the defaults plus the policy's own."""
        extra = [audience for named, audiences in self.notify if named == event for audience in audiences]
        return frozenset(DEFAULT_AUDIENCES.get(Event(event), ())) | frozenset(extra)

    def timescale_for(self, urgency: Urgency, default: Timescale) -> Timescale:
        """The timescale the policy names for this urgency (the nearest less urgent one it
        names, else the stage's own, else the policy's default)."""
        if urgency == Urgency.IMMEDIATE_RISK and self.immediate_risk:
            return self.immediate_risk
        if urgency in (Urgency.IMMEDIATE_RISK, Urgency.CHILD_PROTECTION) and self.child_protection:
            return self.child_protection
        return self.timescale or default

    def timescales_up_to(self, urgency: Urgency, default: Timescale) -> list[Timescale]:
        """This urgency's timescale first, then those of every less urgent level: a deadline
        is the earliest of them, so a more urgent case is never due later than a less urgent
        one raised at the same moment (out of hours, "the same working day" runs to the next
        working day's close, which can be later than "24 hours")."""
        levels = URGENCY_ORDER[: URGENCY_ORDER.index(Urgency(urgency)) + 1]
        found: list[Timescale] = []
        for level in reversed(levels):
            timescale = self.timescale_for(level, default)
            if timescale not in found:
                found.append(timescale)
        return found

    def deadline(
        self, calendar, start, urgency: Urgency, default: Timescale, receiving_agency_type: str | None = None
    ) -> tuple[Deadline, Timescale]:
        """(Deadline, the timescale that gave it) at this urgency: the earliest of the
        urgency's own timescale, those of every less urgent level and any the policy sets for
        the other agency's type."""
        best = None
        candidates = self.timescales_up_to(urgency, default) + [
            timescale for kind, timescale in self.receiving_agency_timescales if kind == receiving_agency_type
        ]
        for timescale in candidates:
            found = calendar.deadline(start, timescale.amount, timescale.unit)
            # Strictly earlier only: on a tie the urgency's own timescale is the one named.
            if best is None or found.due < best[0].due:
                best = (found, timescale)
        return best


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
    routes: tuple[Route, ...] = ()
    extra: dict = field(default_factory=dict)
    # The document's own title (source_document is the seed file it was read from) and, where
    # the document states them, when it was adopted and when it is due for review.
    source_title: str = ""
    adopted_on: date | None = None
    review_by: date | None = None

    def stage(self, number: int) -> StagePreset:
        """Stage by its 1-based number, as policies and `--stage` count them."""
        if not 1 <= number <= len(self.stages):
            raise IndexError(f"stage {number} is out of range: {self.slug} has {len(self.stages)} stages")
        return self.stages[number - 1]
