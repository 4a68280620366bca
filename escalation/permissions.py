"""Who may do what to an escalation: the one place these rules live.

Every function is `(escalation, user) -> bool`, the shape django-fsm-2 expects for
transition permissions, and free of side effects. Tiers compare by rank, so a more
senior person in a party agency may act at a lower tier (a head of service can
acknowledge what reached a line manager).
"""

from __future__ import annotations

from partnerships.choices import Role
from partnerships.selectors import best_tier_rank_in_agency, partnership_roles, tier_rank

PARTNERSHIP_ACTORS = {Role.BUSINESS_MANAGER, Role.CHAIR, Role.PANEL_MEMBER}
OVERSIGHT_ROLES = {Role.BUSINESS_MANAGER, Role.CHAIR, Role.AUDITOR}


def _stage(escalation):
    return escalation.policy_stage()


def _holds(user, agency_id, tier) -> bool:
    return bool(tier) and best_tier_rank_in_agency(user, agency_id) >= tier_rank(tier)


def holds_current_stage(escalation, user) -> bool:
    """The user holds the current stage's tier (or above) on either side of the dispute."""
    stage = _stage(escalation)
    if stage.is_partnership_stage:
        return bool(partnership_roles(user, escalation.partnership_id) & PARTNERSHIP_ACTORS)
    return _holds(user, escalation.raising_agency_id, stage.raiser_tier) or _holds(
        user, escalation.receiving_agency_id, stage.receiver_tier
    )


def is_raiser(escalation, user) -> bool:
    return escalation.raised_by_id == getattr(user, "pk", None)


def can_acknowledge(escalation, user) -> bool:
    """Someone at the stage's tier acknowledges; the raiser cannot acknowledge their own."""
    return not is_raiser(escalation, user) and holds_current_stage(escalation, user)


def can_escalate(escalation, user) -> bool:
    return is_raiser(escalation, user) or holds_current_stage(escalation, user)


def can_resolve(escalation, user) -> bool:
    return is_raiser(escalation, user) or holds_current_stage(escalation, user)


def can_close(escalation, user) -> bool:
    return (
        is_raiser(escalation, user)
        or holds_current_stage(escalation, user)
        or bool(partnership_roles(user, escalation.partnership_id) & {Role.BUSINESS_MANAGER, Role.CHAIR})
    )


def can_withdraw(escalation, user) -> bool:
    """The raiser, a manager in the raising agency, or the partnership's business manager."""
    from partnerships.choices import Tier

    return (
        is_raiser(escalation, user)
        or _holds(user, escalation.raising_agency_id, Tier.LINE_MANAGER)
        or Role.BUSINESS_MANAGER in partnership_roles(user, escalation.partnership_id)
    )


def can_record_discussion(escalation, user) -> bool:
    return escalation.is_open and (is_raiser(escalation, user) or holds_current_stage(escalation, user))
