"""Who holds a stage, and the other people the policies name: the one place the watcher and
the conversation (escalation.conversation) look people up.

Reads are cached on the instance: one watcher run, or one event, asks about the same agency
and partnership many times.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model

from partnerships.choices import ROLE_TIER, TIER_ORDER, TIER_ROLE, Role, Tier
from partnerships.models import Membership
from partnerships.selectors import tier_rank

PARTNERSHIP_STAGE_HOLDERS = (Role.BUSINESS_MANAGER, Role.CHAIR)
RAISER, RECEIVER = "raiser", "receiver"


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

    def agency_roles(self, agency_id: int, roles) -> set[int]:
        """People of the agency holding any of these roles."""
        self.agency_tier(agency_id, Tier.PRACTITIONER)  # fills the cache
        wanted = {tier_rank(ROLE_TIER[Role(r)]) for r in roles}
        return set().union(*(self._agency_ranks[agency_id].get(rank, set()) for rank in wanted))

    def holders_on(self, escalation, stage, side: str) -> set[int]:
        """The people holding one side ('raiser' or 'receiver') of a stage: those of the agency
        in the stage's roles for that side. On the raising side a practitioner's part is held by
        the one who raised it, not every practitioner of the agency. If the agency has nobody
        in those roles (a small nursery has no head of service), the nearest tier above holds
        it, so that a stage is never held by nobody."""
        if stage.is_partnership_stage:
            return self.partnership_people(escalation.partnership_id, PARTNERSHIP_STAGE_HOLDERS)
        roles = stage.holder_roles(side)
        if not roles:
            return set()  # this side takes no part at this stage
        agency_id = escalation.raising_agency_id if side == RAISER else escalation.receiving_agency_id
        found = self.agency_roles(agency_id, roles - {Role.PRACTITIONER})
        if Role.PRACTITIONER in roles:
            found |= {escalation.raised_by_id} if side == RAISER else self.agency_roles(agency_id, {Role.PRACTITIONER})
        if found:
            return found
        lowest = min(roles, key=lambda r: tier_rank(ROLE_TIER[Role(r)]))
        return self.agency_tier(agency_id, ROLE_TIER[Role(lowest)])

    def holder_roles(self, escalation, stage, side: str) -> set[Role]:
        """The roles that actually hold a side of a stage (the stage's own, or the fallback
        tier's): stored on the escalation so that these people can see it."""
        held = self.holders_on(escalation, stage, side)
        if not held or stage.is_partnership_stage:
            return set()
        agency_id = escalation.raising_agency_id if side == RAISER else escalation.receiving_agency_id
        roles = {r for r in stage.holder_roles(side) if held & self.agency_roles(agency_id, {r})}
        if side == RAISER and escalation.raised_by_id in held and Role.PRACTITIONER in stage.holder_roles(side):
            roles.add(Role.PRACTITIONER)
        if not roles:  # the fallback tier
            ranks = self._agency_ranks[agency_id]
            roles = {TIER_ROLE[Tier(TIER_ORDER[rank])] for rank, people in ranks.items() if people & held}
        return roles

    def raising_side(self, escalation, stage) -> set[int]:
        return self.holders_on(escalation, stage, RAISER)

    def receiving_side(self, escalation, stage) -> set[int]:
        return self.holders_on(escalation, stage, RECEIVER)

    def stage_holders(self, escalation, stage) -> set[int]:
        """The people holding a stage on both sides; at the partnership stage, its business
        manager(s) and chair."""
        return self.raising_side(escalation, stage) | self.receiving_side(escalation, stage)


def active(user_ids: Iterable[int]) -> list[int]:
    # Someone who has left keeps their history but gets no new notices.
    return sorted(get_user_model().objects.filter(pk__in=set(user_ids), is_active=True).values_list("pk", flat=True))
