"""The partnership stage: formal use recorded, the panel, mediation or impartial review
arranged as the policy says, and the rules the policies set for who may sit on it.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from cases.models import RecordEntryKind
from escalation.conversation import tell
from escalation.holders import People
from escalation.models import PanelMember, PartnershipReview
from escalation.services import (
    EscalationError,
    NotPermitted,
    _person,
    acknowledge_by_taking_up,
    record_on_files,
    step_met,
)
from partnerships.choices import APPOINTED_BY_THE_CHAIR, ORGANISERS, Event, PanelRule, Role, StepEvent
from partnerships.selectors import partnership_roles

SENIOR_ROLES = {Role.SENIOR_MANAGER, Role.EXECUTIVE_LEAD}
INDEPENDENT_ROLES = {Role.CHAIR, Role.PANEL_MEMBER}
# St Helens: "a meeting of senior managers with operational responsibility for the case".
MEETING_ROLES = SENIOR_ROLES | {Role.SAFEGUARDING_LEAD}
# Who may chair, mediate or decide: a post senior enough for the partnership's binding decision
# (Plymouth: "the Head of Safeguarding"; Cumberland: "an impartial CSCP member"; five-stage: "one of
# the Strategic Leads"; St Helens: "a Board member"), never a practitioner or line manager. Bromley's
# "direct liaison with agency leadership" may be the business manager's own.
DECIDING_ROLES = MEETING_ROLES | INDEPENDENT_ROLES
LIAISON_ROLES = DECIDING_ROLES | {Role.BUSINESS_MANAGER}


# The arrangements that seat members beside their chair.
SEATS_MEMBERS = frozenset({PanelRule.RESOLUTION_PANEL, PanelRule.UNINVOLVED_CHAIR})


def chair_roles(stage) -> frozenset[Role]:
    """Who may be offered to chair, mediate or decide at this stage: the business manager too only
    where the policy allows a direct liaison."""
    return frozenset(LIAISON_ROLES if PanelRule.DIRECT_LIAISON in allowed_arrangements(stage) else DECIDING_ROLES)


def allowed_arrangements(stage) -> list[PanelRule]:
    """The arrangement the policy names for its partnership stage, then any alternative it allows."""
    named = [PanelRule(stage.panel_rule)] if stage.panel_rule != PanelRule.NONE else []
    return named + [PanelRule(r) for r in stage.panel_alternatives or () if PanelRule(r) not in named]


def dispute_parties(escalation) -> set[int]:
    """Everyone who has held an agency stage of this disagreement, and the raiser."""
    people = People()
    found = {escalation.raised_by_id}
    for occurrence in escalation.occurrences.select_related("policy_stage"):
        if not occurrence.policy_stage.is_partnership_stage:
            found |= people.stage_holders(escalation, occurrence.policy_stage)
    return found


def panel_problems(*, escalation, stage, arrangement, chair, members) -> list[str]:
    """What stops this arrangement meeting the policy's panel rule (empty when it does).

    `chair` and `members` are Memberships, so each seat is tied to an agency.
    """
    parties = {escalation.raising_agency_id, escalation.receiving_agency_id}
    allowed = allowed_arrangements(stage)
    problems = []
    if allowed and arrangement not in allowed:
        problems.append("This policy's partnership stage is a " + " or a ".join(a.label.lower() for a in allowed) + ".")
    if members and arrangement not in SEATS_MEMBERS:
        problems.append(
            f"A {PanelRule(arrangement).label.lower()} has no panel members: leave them unticked, or choose a "
            "resolution panel if the policy allows one."
        )
    if any(m.agency_id is None for m in members):
        problems.append("Panel members sit for an agency: choose people who work for one of the agencies.")
    if arrangement == PanelRule.RESOLUTION_PANEL:
        needed = stage.panel_min_agencies or 1
        agencies = {m.agency_id for m in members if m.agency_id}
        if len(agencies) < needed:
            problems.append(
                f"A resolution panel needs senior representatives of at least {needed} different agencies; "
                f"you chose {len(agencies)}."
            )
        junior = [m for m in members if m.agency_id and Role(m.role) not in SENIOR_ROLES]
        if junior:
            names = ", ".join(_person(m.user) for m in junior)
            problems.append(f"Panel members are senior representatives (a senior manager or director): {names} is not.")
        if Role(chair.role) not in SENIOR_ROLES | INDEPENDENT_ROLES:
            problems.append("The panel is chaired by an independent member or a senior partner.")
    elif Role(chair.role) not in (LIAISON_ROLES if arrangement == PanelRule.DIRECT_LIAISON else DECIDING_ROLES):
        problems.append(
            f"{_person(chair.user)} is a {chair.get_role_display().lower()}: the person who chairs, mediates or "
            "decides is the partnership's chair or a panel member, or an agency's safeguarding lead, senior "
            "manager or director."
        )
    # Nobody decides a disagreement they are a party to or raised. A meeting chaired from an
    # uninvolved agency is the exception for its members: it is "a meeting of senior managers with
    # operational responsibility for the case" (St Helens), so the parties' managers sit on it and
    # only its chair must stand apart.
    involved = dispute_parties(escalation)
    judges = [chair] if arrangement == PanelRule.UNINVOLVED_CHAIR else [chair, *members]
    taken = [m for m in judges if m.user_id in involved]
    if taken:
        names = ", ".join(sorted({_person(m.user) for m in taken}))
        problems.append(f"Nobody who is a party to the disagreement, or raised it, sits on the panel: {names}.")
    if arrangement == PanelRule.UNINVOLVED_CHAIR:
        not_managers = [m for m in members if Role(m.role) not in MEETING_ROLES or m.user_id == escalation.raised_by_id]
        if not_managers:
            names = ", ".join(sorted({_person(m.user) for m in not_managers}))
            problems.append(
                "The meeting is of senior managers with operational responsibility for the case (a safeguarding "
                f"lead, senior manager or director), and not the person who raised it: {names} cannot sit on it."
            )
    if arrangement in (PanelRule.UNINVOLVED_CHAIR, PanelRule.IMPARTIAL_MEMBER) and chair.agency_id in parties:
        problems.append(
            "The chair must come from an agency that is not a party to the disagreement: "
            f"{chair.agency.name} is a party."
        )
    if any(m.partnership_id != escalation.partnership_id for m in [chair, *members]):
        problems.append("Everyone on the panel must belong to this partnership.")
    return problems


def may_arrange(escalation, user) -> bool:
    """The business manager or chair arranges the partnership stage; where every arrangement the
    policy allows is the chair's to appoint (Cumberland's impartial member, St Helens' uninvolved
    chair), the chair alone."""
    roles = partnership_roles(user, escalation.partnership_id)
    if not roles & ORGANISERS:
        return False
    allowed = allowed_arrangements(escalation.policy_stage())
    return Role.CHAIR in roles or not allowed or not set(allowed) <= APPOINTED_BY_THE_CHAIR


@transaction.atomic
def review_arrange(
    *, escalation, acting_user, arrangement, chair, members=(), meeting_at=None, at=None
) -> PartnershipReview:
    roles = partnership_roles(acting_user, escalation.partnership_id)
    if not roles & ORGANISERS:
        raise NotPermitted("Only the partnership's business manager or chair can arrange the partnership stage.")
    if PanelRule(arrangement) in APPOINTED_BY_THE_CHAIR and Role.CHAIR not in roles:
        raise NotPermitted(
            f"The policy says the partnership's chair appoints the {PanelRule(arrangement).label.lower()}: "
            "ask the chair to arrange it."
        )
    occurrence = escalation.occurrences.select_for_update().filter(closed_at__isnull=True).first()
    if occurrence is None or not occurrence.policy_stage.is_partnership_stage:
        raise EscalationError("This escalation is not at the partnership stage.")
    if hasattr(occurrence, "review"):
        raise EscalationError("The partnership stage has already been arranged.")
    members = list(members)
    problems = panel_problems(
        escalation=escalation, stage=occurrence.policy_stage, arrangement=arrangement, chair=chair, members=members
    )
    if problems:
        raise EscalationError(" ".join(problems))
    review = PartnershipReview.objects.create(
        occurrence=occurrence,
        formal_use_recorded_at=at or timezone.now(),
        recorded_by=acting_user,
        arrangement=arrangement,
        chair=chair.user,
        chair_agency=chair.agency,
        meeting_at=meeting_at,
    )
    PanelMember.objects.bulk_create([PanelMember(review=review, user=m.user, agency=m.agency) for m in members])
    acknowledge_by_taking_up(escalation, acting_user, review.formal_use_recorded_at, "arranging it")
    # Five-stage: "offer mediation within 5 working days": arranging it is the step the clock times.
    step_met(occurrence, StepEvent.ARRANGEMENT, review.formal_use_recorded_at)
    referred_by = escalation.occurrences.filter(number__lt=occurrence.number).select_related("policy_stage")
    tell(
        Event.ARRANGED,
        escalation=escalation,
        occurrence=occurrence,
        acting_user=acting_user,
        at=review.formal_use_recorded_at,
        previous=referred_by.order_by("-number").first(),
    )
    names = ", ".join(f"{_person(m.user)} ({m.agency})" for m in members)
    record_on_files(
        escalation,
        RecordEntryKind.NOTE,
        f"{_person(acting_user)} recorded formal use of the escalation procedure for {escalation.reference} and "
        f"arranged a {PanelRule(arrangement).label.lower()} chaired by {_person(chair.user)}"
        + (f"; panel: {names}" if names else "")
        + ".",
        author=acting_user,
    )
    return review
