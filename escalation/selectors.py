"""Reads: which escalations a user may see, and the lists built on that."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from escalation.models import Escalation
from escalation.permissions import OVERSIGHT_ROLES
from partnerships.choices import ROLE_TIER, Role
from partnerships.selectors import memberships_of, tier_rank


def visibility_filter(user) -> Q:
    """The one rule for seeing an escalation (DESIGN: Security and data protection).

    A partnership role (business manager, chair, auditor) sees its partnership's cases;
    panel members see cases at the partnership stage; agency staff see their agency's
    cases once the case has reached their tier on their side; the raiser always sees theirs.
    """
    q = Q(raised_by=user)
    for m in memberships_of(user):
        role = Role(m.role)
        if m.agency_id is None:
            if role in OVERSIGHT_ROLES:
                q |= Q(partnership_id=m.partnership_id)
            elif role == Role.PANEL_MEMBER:
                q |= Q(partnership_id=m.partnership_id, raising_tier_reached__gte=tier_rank("partnership"))
            continue
        rank = tier_rank(ROLE_TIER[role])
        q |= Q(raising_agency_id=m.agency_id, raising_tier_reached__gte=rank)
        q |= Q(receiving_agency_id=m.agency_id, receiving_tier_reached__gte=rank)
    return q


def escalations_visible_to(user) -> QuerySet[Escalation]:
    if not getattr(user, "is_authenticated", False):
        return Escalation.objects.none()
    return Escalation.objects.filter(visibility_filter(user))


def can_view(escalation, user) -> bool:
    return escalations_visible_to(user).filter(pk=escalation.pk).exists()
