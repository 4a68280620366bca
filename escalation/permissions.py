"""Who may do what to an escalation: the one place these rules live.

Every function is `(escalation, user) -> bool`, the shape django-fsm-2 expects for
transition permissions, and free of side effects. A stage is held on each side by the roles
the policy names for it (escalation.holders: a set, not a minimum rank; the nearest tier
above only where the agency has nobody in those roles). At the partnership stage the business
manager and chair hold it; once the panel, mediation or review is arranged, the people seated
on it hold it with the business manager.
"""

from __future__ import annotations

from escalation.states import StageOutcome
from partnerships.choices import ORGANISERS, Role, StepEvent
from partnerships.selectors import partnership_roles


def _stage(escalation):
    return escalation.policy_stage()


def people(escalation):
    """One People lookup per escalation copy: a page asks who holds the stage many times."""
    from escalation.holders import People

    return escalation.__dict__.setdefault("_people", People())


def seated(escalation, user) -> bool:
    """The chair or a member of the panel, mediation or review arranged for the open
    partnership stage, while still an active member of the partnership. Read fresh each time:
    a service may arrange it on the same copy a moment before."""
    return getattr(user, "is_authenticated", False) and user.pk in people(escalation).seated(escalation)


def arranged(escalation) -> bool:
    from escalation.models import PartnershipReview

    preloaded = people(escalation).arranged(escalation)
    if preloaded is not None:  # a list read every case's arrangement at once (People.preload_seats)
        return preloaded
    return PartnershipReview.objects.filter(
        occurrence__escalation_id=escalation.pk, occurrence__closed_at__isnull=True
    ).exists()


def holds_current_stage(escalation, user) -> bool:
    """The user holds the current stage on either side of the dispute; at the partnership
    stage, its business manager or chair, or someone seated on the arranged panel."""
    stage = _stage(escalation)
    if not getattr(user, "is_authenticated", False):
        return False
    if stage.is_partnership_stage:
        return bool(partnership_roles(user, escalation.partnership_id) & ORGANISERS) or seated(escalation, user)
    return user.pk in people(escalation).stage_holders(escalation, stage)


def may_decide(escalation, user) -> bool:
    """A binding decision. The partnership's: only once the stage is arranged, and only by the
    people seated on it or the business manager. A stage the policy times by its decision (St
    Helens: the Director of Children's Services'): by the people holding it."""
    stage = _stage(escalation)
    if stage.is_partnership_stage:
        if not arranged(escalation):
            return False
        return seated(escalation, user) or Role.BUSINESS_MANAGER in partnership_roles(user, escalation.partnership_id)
    return stage.met_by == StepEvent.DECISION and holds_current_stage(escalation, user)


def is_raiser(escalation, user) -> bool:
    return escalation.raised_by_id == getattr(user, "pk", None)


def can_acknowledge(escalation, user) -> bool:
    """Someone at the stage's tier acknowledges; the raiser cannot acknowledge their own."""
    return not is_raiser(escalation, user) and holds_current_stage(escalation, user)


def can_escalate(escalation, user) -> bool:
    return is_raiser(escalation, user) or holds_current_stage(escalation, user)


def referred_to_partnership(escalation, user) -> bool:
    """At the partnership stage, someone who held the stage that referred it there (Cumberland:
    the executive lead who e-mails the chair, and who "determines the urgency")."""
    stage = _stage(escalation)
    if not stage.is_partnership_stage or not getattr(user, "is_authenticated", False):
        return False
    history = escalation._stage_history_read()
    reached = history if history is not None else list(escalation.occurrences.select_related("policy_stage"))
    before = [o for o in reached if o.number < stage.number and o.outcome != StageOutcome.PASSED]
    return bool(before) and user.pk in people(escalation).stage_holders(escalation, before[-1].policy_stage)


def can_change_urgency(escalation, user) -> bool:
    """Whoever may move it on, and at the partnership stage the managers who referred it."""
    return escalation.is_open and (can_escalate(escalation, user) or referred_to_partnership(escalation, user))


def may_make_less_urgent(escalation, user) -> bool:
    """At the partnership stage the urgency is the referring managers' and the partnership's to
    determine (Cumberland: "the urgency should be determined by the Executive Manager/Lead"): the
    raiser may still make it more urgent, never less. Before it, whoever may change it."""
    if not _stage(escalation).is_partnership_stage or not is_raiser(escalation, user):
        return can_change_urgency(escalation, user)
    return holds_current_stage(escalation, user) or referred_to_partnership(escalation, user)


def can_resolve(escalation, user) -> bool:
    return is_raiser(escalation, user) or holds_current_stage(escalation, user)


def can_close(escalation, user) -> bool:
    return (
        is_raiser(escalation, user)
        or holds_current_stage(escalation, user)
        or bool(partnership_roles(user, escalation.partnership_id) & ORGANISERS)
    )


def can_withdraw(escalation, user) -> bool:
    """The raiser, or a manager of the raising agency (the disagreement is theirs to drop)."""
    from partnerships.choices import Tier
    from partnerships.selectors import best_tier_rank_in_agency, tier_rank

    if is_raiser(escalation, user):
        return True
    if escalation.kept_from_own_agency:
        return False  # raised around their own agency: its managers take no part
    return best_tier_rank_in_agency(user, escalation.raising_agency_id) >= tier_rank(Tier.LINE_MANAGER)


def meets_the_step_by_discussion(escalation, user) -> bool:
    """Whether a discussion this person records is the one the stage's clock times. The policies
    name a discussion between the people holding the stage ("the discussion between managers
    must occur within 5 working days", five-stage stage 2): the raiser's own note of a managers'
    stage is kept on the record but meets nothing. The raiser holds a practitioners' stage, and
    is one of the two people at a stage held inside their own agency (St Helens: consulting
    their manager)."""
    stage = _stage(escalation)
    if holds_current_stage(escalation, user):
        return True
    own_agency_only = not stage.is_partnership_stage and not stage.holder_roles("receiver")
    return own_agency_only and is_raiser(escalation, user)


def can_record_discussion(escalation, user) -> bool:
    return escalation.is_open and (is_raiser(escalation, user) or holds_current_stage(escalation, user))


def can_attach_file(escalation, user) -> bool:
    """Evidence is attached by the people who may record a discussion at the current stage (the
    raiser or its holders), while the disagreement is open. Everyone who sees the case may
    download what is attached."""
    return can_record_discussion(escalation, user)
