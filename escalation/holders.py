"""Who holds a stage, and the other people the policies name: the one place the watcher and
the conversation (escalation.conversation) look people up.

Reads are cached on the instance: one watcher run, or one event, asks about the same agency
and partnership many times.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model

from partnerships.choices import ROLE_TIER, Role, Tier
from partnerships.models import Membership
from partnerships.selectors import tier_rank

PARTNERSHIP_STAGE_HOLDERS = (Role.BUSINESS_MANAGER, Role.CHAIR)


class People:
    def __init__(self):
        self._agency_ranks: dict[int, dict[int, set[int]]] = {}
        self._partnership_roles: dict[int, dict[str, set[int]]] = {}

    def agency_tier(self, agency_id: int, tier: str) -> set[int]:
        """People at exactly this tier in the agency. If the agency has nobody at that tier
        (a small nursery has no head of service), the nearest tier above it that is held, so
        that a notice never goes to nobody."""
        if agency_id not in self._agency_ranks:
            ranks: dict[int, set[int]] = {}
            for user_id, role in Membership.objects.active().filter(agency_id=agency_id).values_list("user_id", "role"):
                agency_tier = ROLE_TIER.get(Role(role))
                if agency_tier is not None:
                    ranks.setdefault(tier_rank(agency_tier), set()).add(user_id)
            self._agency_ranks[agency_id] = ranks
        ranks = self._agency_ranks[agency_id]
        held = sorted(rank for rank in ranks if rank >= tier_rank(tier))
        return set(ranks[held[0]]) if held else set()

    def partnership_people(self, partnership_id: int, roles: Iterable[Role]) -> set[int]:
        if partnership_id not in self._partnership_roles:
            by_role: dict[str, set[int]] = {}
            rows = Membership.objects.active().filter(partnership_id=partnership_id, agency__isnull=True)
            for user_id, role in rows.values_list("user_id", "role"):
                by_role.setdefault(role, set()).add(user_id)
            self._partnership_roles[partnership_id] = by_role
        found: set[int] = set()
        for role in roles:
            found |= self._partnership_roles[partnership_id].get(role, set())
        return found

    def business_managers(self, escalation) -> set[int]:
        return self.partnership_people(escalation.partnership_id, [Role.BUSINESS_MANAGER])

    def chairs(self, escalation) -> set[int]:
        return self.partnership_people(escalation.partnership_id, [Role.CHAIR])

    def side(self, escalation, agency_id: int, tier: str) -> set[int]:
        if not tier:
            return set()  # the other agency takes no part at this stage
        if tier == Tier.PARTNERSHIP:
            return self.partnership_people(escalation.partnership_id, PARTNERSHIP_STAGE_HOLDERS)
        if agency_id == escalation.raising_agency_id and tier == Tier.PRACTITIONER:
            # On the raising side the practitioner who holds the disagreement is the one who
            # raised it, not every practitioner of their agency.
            return {escalation.raised_by_id}
        return self.agency_tier(agency_id, tier)

    def raising_side(self, escalation, stage) -> set[int]:
        if stage.is_partnership_stage:
            return self.partnership_people(escalation.partnership_id, PARTNERSHIP_STAGE_HOLDERS)
        return self.side(escalation, escalation.raising_agency_id, stage.raiser_tier)

    def receiving_side(self, escalation, stage) -> set[int]:
        if stage.is_partnership_stage:
            return self.partnership_people(escalation.partnership_id, PARTNERSHIP_STAGE_HOLDERS)
        return self.side(escalation, escalation.receiving_agency_id, stage.receiver_tier)

    def stage_holders(self, escalation, stage) -> set[int]:
        """The people holding a stage on both sides; at the partnership stage, its business
        manager(s) and chair."""
        return self.raising_side(escalation, stage) | self.receiving_side(escalation, stage)


def active(user_ids: Iterable[int]) -> list[int]:
    # Someone who has left keeps their history but gets no new notices.
    return sorted(get_user_model().objects.filter(pk__in=set(user_ids), is_active=True).values_list("pk", flat=True))
