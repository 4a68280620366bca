"""Who holds a stage, and the other people the policies name: the one place the watcher and
the conversation (escalation.conversation) look people up.

Reads are cached on the instance: one watcher run, or one event, asks about the same agency
and partnership many times.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db.models import Q

from partnerships.choices import ROLE_TIER, TIER_ORDER, TIER_ROLE, Role, Tier
from partnerships.models import Membership
from partnerships.selectors import tier_rank

PARTNERSHIP_STAGE_HOLDERS = (Role.BUSINESS_MANAGER, Role.CHAIR)
RAISER, RECEIVER = "raiser", "receiver"


class People:
    def __init__(self):
        self._agency_ranks: dict[int, dict[int, set[int]]] = {}
        self._partnership_roles: dict[int, dict[str, set[int]]] = {}
        self._agencies_of_type: dict[tuple[int, str], list[int]] = {}
        self._holders: dict[tuple, set[int]] = {}
        # Filled only by preload_seats (a list of many cases); otherwise seats are read fresh.
        self._seats: dict[int, set[int] | None] = {}

    def preload_seats(self, escalations) -> None:
        """Who is seated on the open partnership stage of each of these escalations (None: not
        arranged), in two queries for them all: a list asks about every case it shows."""
        from escalation.models import PanelMember, PartnershipReview

        ids = [e.pk for e in escalations]
        for pk in ids:
            self._seats[pk] = None
        reviews = PartnershipReview.objects.filter(
            occurrence__escalation_id__in=ids, occurrence__closed_at__isnull=True
        )
        by_review = {}
        for review_id, escalation_id, chair_id in reviews.values_list("pk", "occurrence__escalation_id", "chair_id"):
            by_review[review_id] = escalation_id
            self._seats[escalation_id] = {chair_id}
        for review_id, user_id in PanelMember.objects.filter(review_id__in=by_review).values_list(
            "review_id", "user_id"
        ):
            self._seats[by_review[review_id]].add(user_id)
        partnerships = {e.pk: e.partnership_id for e in escalations}
        seated = set().union(*(s for s in self._seats.values() if s))
        active_in = set(Membership.objects.active().filter(user_id__in=seated).values_list("partnership_id", "user_id"))
        for pk, seats in self._seats.items():
            if seats:
                self._seats[pk] = {u for u in seats if (partnerships[pk], u) in active_in}

    def arranged(self, escalation) -> bool | None:
        """Whether its open partnership stage is arranged, if preload_seats read it (else None)."""
        if escalation.pk not in self._seats:
            return None
        return self._seats[escalation.pk] is not None

    def load_agencies(self, *agency_ids: int, of_type: tuple[int, str] | None = None) -> None:
        """Read the people of these agencies by tier, in one query for all not read yet (a case's
        two agencies are always asked about together), and with them those of a partnership's
        agencies of a type (partnership id, type) when a stage is joined by one."""
        missing = [a for a in agency_ids if a is not None and a not in self._agency_ranks]
        of_type = of_type if of_type is not None and of_type not in self._agencies_of_type else None
        if not missing and of_type is None:
            return
        for agency_id in missing:
            self._agency_ranks[agency_id] = {}
        wanted = Q(agency_id__in=missing)
        if of_type is not None:
            wanted |= Q(agency__partnership_id=of_type[0], agency__type=of_type[1])
            self._agencies_of_type[of_type] = []
        rows = Membership.objects.active().filter(wanted)
        if of_type is None:
            rows = rows.values_list("agency_id", "user_id", "role")
        else:  # the type tells the joining agency's people from the parties'
            rows = rows.values_list("agency_id", "user_id", "role", "agency__type")
        for agency_id, user_id, role, *agency_type in rows:
            ranks = self._agency_ranks.setdefault(agency_id, {})
            if agency_type and agency_type[0] == of_type[1] and agency_id not in self._agencies_of_type[of_type]:
                self._agencies_of_type[of_type].append(agency_id)
            agency_tier = ROLE_TIER.get(Role(role))
            if agency_tier is not None:
                ranks.setdefault(tier_rank(agency_tier), set()).add(user_id)

    def agency_tier(self, agency_id: int, tier: str) -> set[int]:
        """People at exactly this tier in the agency. If the agency has nobody at that tier
        (a small nursery has no head of service), the nearest tier above it that is held, so
        that a notice never goes to nobody."""
        self.load_agencies(agency_id)
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

    def members(self, agency_id: int) -> set[int]:
        self.agency_tier(agency_id, Tier.PRACTITIONER)  # fills the cache
        return set().union(*self._agency_ranks[agency_id].values())

    def _raiser_holds(self, escalation) -> bool:
        """The raiser holds their practitioner part while they still work for the raising agency."""
        return escalation.raised_by_id in self.members(escalation.raising_agency_id)

    def holders_on(self, escalation, stage, side: str) -> set[int]:
        """The people holding one side ('raiser' or 'receiver') of a stage: those of the agency
        in the stage's roles for that side. On the raising side a practitioner's part is held by
        the one who raised it, not every practitioner of the agency. If the agency has nobody
        in those roles (a small nursery has no head of service; the raiser has left), the
        nearest tier above holds it, so that a stage is never held by nobody.

        Worked out once per stage and side (a page asks several times: the buttons, the
        permissions, the forms); not at the partnership stage, whose seats a service may
        arrange on the same copy a moment before."""
        if stage.is_partnership_stage:
            self.load_agencies(escalation.raising_agency_id, escalation.receiving_agency_id)
            return self.partnership_stage_holders(escalation)
        key = (escalation.pk, stage.pk, side, escalation.kept_from_own_agency, escalation.category)
        found = self._holders.get(key)
        if found is None:
            found = self._holders[key] = self._holders_on(escalation, stage, side)
        return set(found)

    def _holders_on(self, escalation, stage, side: str) -> set[int]:
        self.load_agencies(
            escalation.raising_agency_id, escalation.receiving_agency_id, of_type=_joined(escalation, stage)
        )
        roles = stage.holder_roles(side)
        if not roles:
            return set()  # this side takes no part at this stage
        if stage.holder_agency_type:
            return self.of_agency_type(escalation, stage.holder_agency_type, roles)
        if side == RAISER and escalation.kept_from_own_agency:
            # Raised around their own agency: the raiser alone speaks for it, at every stage.
            return {escalation.raised_by_id} if self._raiser_holds(escalation) else set()
        agency_id = escalation.raising_agency_id if side == RAISER else escalation.receiving_agency_id
        found = self.agency_roles(agency_id, roles - {Role.PRACTITIONER})
        if Role.PRACTITIONER in roles:
            if side != RAISER:
                found |= self.agency_roles(agency_id, {Role.PRACTITIONER})
            elif self._raiser_holds(escalation):
                found.add(escalation.raised_by_id)
        if found:
            return found
        # On the raising side a practitioner's part falls to their managers, not their colleagues.
        candidates = roles - {Role.PRACTITIONER} if side == RAISER else roles
        lowest = min(candidates, key=lambda r: tier_rank(ROLE_TIER[Role(r)])) if candidates else Role.LINE_MANAGER
        return self.agency_tier(agency_id, ROLE_TIER[Role(lowest)]) - {escalation.raised_by_id}

    def holder_roles(self, escalation, stage, side: str) -> set[Role]:
        """The roles that may see a case because they hold a side of this stage: every role the
        stage names (someone who joins later can open what they may act on), and the fallback
        tier's where it is used. Not the practitioner's part on the raising side, which is the
        raiser's alone (they see their own case anyway)."""
        if stage.is_partnership_stage or stage.holder_agency_type:
            # Held outside the two agencies' own ladders: its holders are told, and may open it.
            return set()
        if side == RAISER and escalation.kept_from_own_agency:
            return set()  # the raiser sees their own case; nobody else in their agency does
        named = set(stage.holder_roles(side))
        if side == RAISER:
            named.discard(Role.PRACTITIONER)
        held = self.holders_on(escalation, stage, side)
        agency_id = escalation.raising_agency_id if side == RAISER else escalation.receiving_agency_id
        by_named = self.agency_roles(agency_id, named) if named else set()
        if held - by_named - {escalation.raised_by_id}:  # the fallback tier holds it
            ranks = self._agency_ranks[agency_id]
            named |= {TIER_ROLE[Tier(TIER_ORDER[rank])] for rank, people in ranks.items() if people & held}
        return named

    def agencies_of_type(self, escalation, agency_type: str) -> list[int]:
        from partnerships.models import Agency

        key = (escalation.partnership_id, agency_type)
        agencies = self._agencies_of_type.get(key)
        if agencies is None:
            agencies = list(
                Agency.objects.filter(partnership_id=escalation.partnership_id, type=agency_type).values_list(
                    "pk", flat=True
                )
            )
            self._agencies_of_type[key] = agencies
        return agencies

    def of_agency_type(self, escalation, agency_type: str, roles) -> set[int]:
        """People in these roles in the partnership's agencies of a type (St Helens: the Director
        of Children's Services), whether or not that agency is a party."""
        agencies = self.agencies_of_type(escalation, agency_type)
        return set().union(set(), *(self.agency_roles(agency_id, roles) for agency_id in agencies))

    def joiners(self, escalation, stage) -> set[int]:
        """The people of the agency a stage is joined by, when that agency is not one of the two
        (Plymouth Stage Three: a Head of Service in Specialist Children's Services considers it
        with the agency in dispute, whichever agencies disagree; Stage Two, about threshold: the
        Early Help officer). They hold it in the joining roles, or, if their agency has nobody
        in them, the nearest tier above; a party's own people hold it on their side already."""
        joined = _joined(escalation, stage)
        if joined is None:
            return set()
        self.load_agencies(escalation.raising_agency_id, escalation.receiving_agency_id, of_type=joined)
        roles = stage.joining_roles()
        lowest = min(roles, key=lambda r: tier_rank(ROLE_TIER[Role(r)])) if roles else Role.LINE_MANAGER
        found: set[int] = set()
        parties = {escalation.raising_agency_id, escalation.receiving_agency_id}
        for agency_id in self._agencies_of_type[joined]:
            if agency_id not in parties:
                found |= self.agency_roles(agency_id, roles) or self.agency_tier(agency_id, ROLE_TIER[Role(lowest)])
        return found

    def partnership_stage_holders(self, escalation) -> set[int]:
        """The business manager and chair, and once it is arranged, the people seated on it."""
        found = self.partnership_people(escalation.partnership_id, PARTNERSHIP_STAGE_HOLDERS)
        return found | self.seated(escalation)

    def seated(self, escalation, occurrence=None) -> set[int]:
        """The chair and members of the panel, mediation or review arranged for a partnership
        stage: the open one, or the given one (just closed by a resolution or withdrawal), while
        still active members of the partnership."""
        from escalation.models import PanelMember, PartnershipReview

        if occurrence is None and escalation.pk in self._seats:
            return set(self._seats[escalation.pk] or ())
        reviews = PartnershipReview.objects.filter(occurrence__escalation_id=escalation.pk)
        if occurrence is not None:
            review = reviews.filter(occurrence_id=occurrence.pk).first()
        else:
            review = reviews.filter(occurrence__closed_at__isnull=True).first()
        if review is None:
            return set()
        seats = {review.chair_id} | set(PanelMember.objects.filter(review=review).values_list("user_id", flat=True))
        active = Membership.objects.active().filter(partnership_id=escalation.partnership_id, user_id__in=seats)
        return set(active.values_list("user_id", flat=True))

    def raising_side(self, escalation, stage) -> set[int]:
        return self.holders_on(escalation, stage, RAISER)

    def receiving_side(self, escalation, stage) -> set[int]:
        return self.holders_on(escalation, stage, RECEIVER)

    def stage_holders(self, escalation, stage) -> set[int]:
        """The people holding a stage on both sides and any agency that joins them; at the
        partnership stage, its business manager(s) and chair."""
        return (
            self.raising_side(escalation, stage)
            | self.receiving_side(escalation, stage)
            | self.joiners(escalation, stage)
        )


def _joined(escalation, stage) -> tuple[int, str] | None:
    """(partnership id, agency type) of the agency that joins this stage for this disagreement,
    if one does."""
    kind = stage.joined_by(escalation.category, escalation.urgency)
    return (escalation.partnership_id, kind.value) if kind else None


def active(user_ids: Iterable[int]) -> list[int]:
    # Someone who has left keeps their history but gets no new notices.
    return sorted(get_user_model().objects.filter(pk__in=set(user_ids), is_active=True).values_list("pk", flat=True))
