"""Reads about people's roles. Cached on the user object for the length of a request."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from partnerships.choices import ROLE_TIER, TIER_ORDER, Role, Tier
from partnerships.compiled import CompiledQuery
from partnerships.models import ClosureDay, Membership

MEMBERSHIPS = "_memberships_cache"  # on the user object, for the length of a request


def active_memberships():
    return Membership.objects.active().select_related("agency", "partnership")


def memberships_of(user) -> list[Membership]:
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, MEMBERSHIPS, None)
    if cached is None:
        cached = list(active_memberships().filter(user=user))
        setattr(user, MEMBERSHIPS, cached)
    return cached


def tier_rank(tier: Tier | str | None) -> int:
    """Position in the ladder practitioner (0) … partnership (5); -1 for no tier."""
    return TIER_ORDER.index(tier) if tier else -1


def best_tier_rank_in_agency(user, agency_id: int) -> int:
    ranks = [tier_rank(ROLE_TIER[Role(m.role)]) for m in memberships_of(user) if m.agency_id == agency_id]
    return max(ranks, default=-1)


def partnership_roles(user, partnership_id: int) -> set[Role]:
    return {Role(m.role) for m in memberships_of(user) if m.partnership_id == partnership_id and m.agency_id is None}


def agency_memberships(user) -> list[Membership]:
    return [m for m in memberships_of(user) if m.agency_id is not None]


def partnerships_of(user) -> list:
    seen = {}
    for m in memberships_of(user):
        seen.setdefault(m.partnership_id, m.partnership)
    return list(seen.values())


def primary_partnership(user):
    found = partnerships_of(user)
    return found[0] if found else None


def may_read_policy(user, partnership) -> bool:
    """Everyone in the partnership reads its policy (and administrators)."""
    if getattr(user, "is_superuser", False):
        return True
    return any(m.partnership_id == partnership.pk for m in memberships_of(user))


def may_edit_policy(user, partnership) -> bool:
    """Only the partnership's own business manager (and administrators) edits its policy."""
    if getattr(user, "is_superuser", False) and getattr(user, "is_active", False):
        return True
    return Role.BUSINESS_MANAGER in partnership_roles(user, partnership.pk)


# The closure days of n partnerships, compiled once per n (partnerships/compiled.py): a list
# asks on every page, and building the query cost more than running it.
_CLOSURES: dict[int, CompiledQuery] = {}
_PARTNERSHIP = -2_147_480_900  # the i-th partnership's placeholder is _PARTNERSHIP - i


def _closures_of(n: int) -> CompiledQuery:
    query = _CLOSURES.get(n)
    if query is None:
        query = _CLOSURES[n] = CompiledQuery(
            lambda **ids: ClosureDay.objects.filter(partnership_id__in=list(ids.values())),
            **{f"p{i}": _PARTNERSHIP - i for i in range(n)},
        )
    return query


def working_calendars(partnerships: Iterable) -> dict:
    """Each partnership's working calendar by id, their closure days read in one query (none
    for no partnerships): a list of cases from several partnerships costs the same as one."""
    by_id = {p.pk: p for p in partnerships}
    if not by_id:
        return {}
    days = defaultdict(set)
    for closure in _closures_of(len(by_id))(**{f"p{i}": pk for i, pk in enumerate(by_id)}):
        days[closure.partnership_id].add(closure.date)
    return {pk: p.working_calendar(closure_days=days[pk]) for pk, p in by_id.items()}
