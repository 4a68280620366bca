"""Reads: which escalations a user may see, and the lists built on that."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from escalation.models import Action, Escalation, Notification, NotificationKind, PartnershipReview
from escalation.states import OPEN_STATES
from partnerships.choices import OVERSIGHT_ROLES, PARTNERSHIP_ACTORS, ROLE_TIER, Role
from partnerships.models import Membership
from partnerships.selectors import MEMBERSHIPS, memberships_of, tier_rank


def _oversight_partnerships(memberships) -> set[int]:
    """Partnerships the person oversees whole (a partnership role in OVERSIGHT_ROLES)."""
    return {m.partnership_id for m in memberships if m.agency_id is None and Role(m.role) in OVERSIGHT_ROLES}


def oversees_a_partnership(user) -> bool:
    """Whether the person sees some partnership's cases whole (escalation/visible_reads.py
    counts their lists differently)."""
    return getattr(user, "is_authenticated", False) and bool(_oversight_partnerships(memberships_of(user)))


def _told_or_seated(user) -> Q:
    """The reasons that live on other rows: the person owns an agreed action on the case, a
    notice about it was addressed to them, or they chair or sit on its partnership review.
    Asked of each candidate case (EXISTS on the case's own rows), not by first listing every
    action, notice and seat the person ever had: a child's file or one page of a list then costs
    a few index probes, however long the person's history."""
    this_case = OuterRef("pk")
    return (
        Q(Exists(Action.objects.filter(escalation_id=this_case, owner=user)))
        | Q(Exists(Notification.objects.filter(escalation_id=this_case, recipient=user)))
        | Q(
            Exists(
                PartnershipReview.objects.filter(occurrence__escalation_id=this_case).filter(
                    Q(chair=user) | Q(members__user=user)
                )
            )
        )
    )


def _holder_mark(role: Role) -> str:
    """How a role that has held a stage is written in raising/receiving_holder_roles."""
    return f"|{role.value}|"


def visibility_filter(user) -> Q:
    """The one rule for seeing an escalation (DESIGN: Security and data protection).

    Only within a partnership where the person is an active member:
    - a partnership role (business manager, chair, auditor) sees its partnership's cases;
      panel members see cases at the partnership stage;
    - agency staff see their agency's cases once their role has held a stage of it on their
      agency's side (escalation.holders), so whoever may act on a stage can see it;
    - anyone seated on a case's panel, mediation or review, the owner of an agreed action and
      anyone the policy told of the case (a notice links to it) see that case;
    - the raiser always sees theirs.

    `may_see` asks the same of one escalation already loaded; a test holds the two together.
    """
    memberships = memberships_of(user)
    # Whole partnerships first: where someone oversees the partnership, every other reason to see
    # one of its cases adds nothing, so those reasons are asked only about other partnerships.
    # (A business manager's list is then "the partnership", which the database reads in order
    # from one index, instead of ORing in three subqueries over the partnership.)
    whole = sorted(_oversight_partnerships(memberships))
    q = Q(partnership_id__in=whole) if whole else Q(raised_by=user)
    if whole and _raised_beyond(user, whole):
        q |= Q(raised_by=user)
    partnerships = sorted({m.partnership_id for m in memberships} - set(whole))
    if partnerships:
        q |= Q(partnership_id__in=partnerships) & _told_or_seated(user)
    for m in memberships:
        role = Role(m.role)
        if m.agency_id is None:
            if role == Role.PANEL_MEMBER and m.partnership_id not in whole:
                q |= Q(partnership_id=m.partnership_id, raising_tier_reached__gte=tier_rank("partnership"))
            continue
        q |= Q(raising_agency_id=m.agency_id, raising_holder_roles__contains=_holder_mark(role))
        q |= Q(receiving_agency_id=m.agency_id, receiving_holder_roles__contains=_holder_mark(role))
    return q


RAISED_BEYOND = "_raised_beyond_oversight"  # on the user object, for the length of a request


def _raised_beyond(user, whole: list[int]) -> bool:
    """Whether the person raised any case outside the partnerships they oversee (asked once a
    request). Usually not: then "raised by me" adds nothing to "the partnership", and leaving
    it out lets a list walk the partnership's own index (an OR of the two made it walk every
    partnership's cases, newest first, to find 25 of its own)."""
    beyond = getattr(user, RAISED_BEYOND, None)
    if beyond is None:
        beyond = Escalation.objects.filter(raised_by=user).exclude(partnership_id__in=whole).exists()
        setattr(user, RAISED_BEYOND, beyond)
    return beyond


def may_see(escalation, user) -> bool:
    """visibility_filter asked of one escalation already loaded (a case's own pages): the
    reasons written on the row are read from it, and only if none applies is the database
    asked about actions, notices and panel seats (one query). Cheaper than filtering by the
    whole rule to fetch one row, whose planning alone cost more than the page's other queries."""
    if not getattr(user, "is_authenticated", False):
        return False
    if escalation.raised_by_id == user.pk:
        return True
    memberships = memberships_of(user)
    whole = _oversight_partnerships(memberships)
    if escalation.partnership_id in whole:
        return True
    for m in memberships:
        role = Role(m.role)
        if m.agency_id is None:
            if (
                role == Role.PANEL_MEMBER
                and m.partnership_id == escalation.partnership_id
                and escalation.raising_tier_reached >= tier_rank("partnership")
            ):
                return True
            continue
        mark = _holder_mark(role)
        if m.agency_id == escalation.raising_agency_id and mark in escalation.raising_holder_roles:
            return True
        if m.agency_id == escalation.receiving_agency_id and mark in escalation.receiving_holder_roles:
            return True
    if not any(m.partnership_id == escalation.partnership_id for m in memberships):
        return False
    return Escalation.objects.filter(pk=escalation.pk).filter(_told_or_seated(user)).exists()


# --- the rule's shape, for compiling it once per shape (escalation/visible_reads.py) ------------
#
# What visibility_filter and inbox_for read of a person: their id, each active membership's
# partnership, agency and role, and (for someone who oversees a partnership) whether they raised
# a case beyond the partnerships they oversee. Two people alike in all but the ids get the same
# SQL with other values; a change to what the rules read must be made here too
# (tests/integration/test_visible_reads.py holds the compiled reads to the rules).

_PERSON = -2_147_480_401
_PARTNERSHIP = -2_147_480_500  # the i-th partnership's placeholder is _PARTNERSHIP - i
_AGENCY = -2_147_480_700


def visibility_shape(user) -> tuple[tuple, dict]:
    """(shape, {placeholder name: this person's id}): the roles, each with the index of its
    partnership and agency among the person's, and whether they raised beyond what they oversee."""
    memberships = memberships_of(user)
    whole = sorted(_oversight_partnerships(memberships))
    beyond = bool(whole) and _raised_beyond(user, whole)
    partnerships: dict[int, int] = {}
    agencies: dict[int, int] = {}
    roles = []
    for m in memberships:
        p = partnerships.setdefault(m.partnership_id, len(partnerships))
        a = None if m.agency_id is None else agencies.setdefault(m.agency_id, len(agencies))
        roles.append((p, a, m.role))
    ids = {"person": user.pk}
    ids.update((f"p{i}", pk) for pk, i in partnerships.items())
    ids.update((f"a{i}", pk) for pk, i in agencies.items())
    return (tuple(roles), beyond), ids


def shape_placeholders(shape) -> dict:
    """The placeholder for each id a person of this shape has (names as visibility_shape's)."""
    roles, _ = shape
    found = {"person": _PERSON}
    for p, a, _role in roles:
        found[f"p{p}"] = _PARTNERSHIP - p
        if a is not None:
            found[f"a{a}"] = _AGENCY - a
    return found


def stand_in(shape, **placeholders):
    """A person of this shape whose ids are the placeholders: the rules build their queries for
    them as for anyone (memberships and "raised beyond" are read from the object, never asked)."""
    roles, beyond = shape
    person = get_user_model()(pk=placeholders["person"])
    memberships = [
        Membership(
            user_id=person.pk,
            partnership_id=placeholders[f"p{p}"],
            agency_id=None if a is None else placeholders[f"a{a}"],
            role=role,
        )
        for p, a, role in roles
    ]
    setattr(person, MEMBERSHIPS, memberships)
    setattr(person, RAISED_BEYOND, beyond)
    return person


def escalations_visible_to(user) -> QuerySet[Escalation]:
    if not getattr(user, "is_authenticated", False):
        return Escalation.objects.none()
    return Escalation.objects.filter(visibility_filter(user))


can_view = may_see  # the name the rule's older callers use


def inbox_for(user) -> QuerySet[Escalation]:
    """What a person's inbox lists: open escalations they may see, raised by someone else, that
    have reached the tier of one of their roles on that agency's side."""
    reached = Q(pk__in=[])
    for m in memberships_of(user):
        if m.agency_id is None:
            continue
        rank = tier_rank(ROLE_TIER[Role(m.role)])
        reached |= Q(raising_agency_id=m.agency_id, raising_tier_reached=rank)
        reached |= Q(receiving_agency_id=m.agency_id, receiving_tier_reached=rank)
    return escalations_visible_to(user).filter(reached, state__in=OPEN_STATES).exclude(raised_by=user)


def action_owner_candidates(escalation) -> QuerySet:
    """Who may own an agreed action: the people of the two agencies in the disagreement and,
    once it reaches the partnership, the partnership's business manager, chair and panel."""
    here = Q(agency_id__in=[escalation.raising_agency_id, escalation.receiving_agency_id])
    if escalation.policy_stage().is_partnership_stage:
        here |= Q(partnership_id=escalation.partnership_id, agency__isnull=True, role__in=list(PARTNERSHIP_ACTORS))
    memberships = Membership.objects.active().filter(here)
    return (
        get_user_model()
        .objects.filter(pk__in=memberships.values("user_id"))
        .prefetch_related(
            Prefetch("memberships", queryset=memberships.select_related("agency", "partnership"), to_attr="roles_here")
        )
        .order_by("first_name", "last_name", "username")
    )


def partnership_copies(escalation) -> list:
    """The notices actually written to the partnership's business manager or chair about this
    escalation, first each: a printed notice says "copy sent to … on …" only from these."""
    roles = [Role.BUSINESS_MANAGER, Role.CHAIR]
    partnership_people = Membership.objects.filter(
        partnership_id=escalation.partnership_id, agency__isnull=True, role__in=roles
    ).values("user_id")
    first_each: dict[int, object] = {}
    # The copy is the notice of the escalation itself (St Helens: "A copy of this notice will be
    # sent to the LSCB Business Manager"), not later news such as the resolution.
    notices = escalation.notifications.filter(
        recipient_id__in=partnership_people, kind=NotificationKind.ESCALATED
    ).select_related("recipient", "occurrence")
    for notice in notices.order_by("created_at", "pk"):
        first_each.setdefault(notice.recipient_id, notice)
    return list(first_each.values())


def notice_signatory(escalation, copies=None):
    """(person, "role, agency", date) of the escalation notice: issued by the move that first
    sent the partnership its copy (St Helens: the line managers forward the notice to the
    service manager, copied to the business manager), and signed and dated then, whatever
    happens after. Before any copy: whoever last took it up a stage, when they did; else the
    raiser, when it was raised. The role is theirs in one of the two agencies."""
    from cases.models import RecordEntry, RecordEntryKind

    copies = partnership_copies(escalation) if copies is None else copies
    moves = RecordEntry.objects.filter(escalation=escalation, kind=RecordEntryKind.ESCALATED, author__isnull=False)
    first_copy = min(copies, key=lambda notice: (notice.created_at, notice.pk), default=None)
    if first_copy is not None:
        moves = moves.filter(at__lte=first_copy.created_at)
    entry = moves.select_related("author").order_by("-at", "-pk").first()
    if entry is None:
        person, dated = escalation.raised_by, escalation.raised_at
    else:
        person = entry.author
        issued = first_copy.occurrence if first_copy is not None and first_copy.occurrence_id else None
        latest = issued or escalation.occurrences.order_by("-number").first()
        dated = latest.started_at if latest else entry.at
    held = Membership.objects.filter(
        user=person, agency_id__in=[escalation.raising_agency_id, escalation.receiving_agency_id]
    ).select_related("agency")
    roles = ", ".join(f"{m.get_role_display()}, {m.agency}" for m in held)
    return person, roles, dated
