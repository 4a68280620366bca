"""Which children a user may find and see."""

from django.db.models import Exists, OuterRef, Q, QuerySet

from cases.models import Child
from partnerships.choices import OVERSIGHT_ROLES, Role
from partnerships.selectors import memberships_of


def children_visible_to(user) -> QuerySet[Child]:
    """Oversight roles see their partnership's children; agency staff see children their
    agency added or leads for, and children in escalations they can see."""
    from escalation.selectors import escalations_visible_to

    q = Q(pk__in=[])
    agency_ids = []
    for m in memberships_of(user):
        if m.agency_id is None and Role(m.role) in OVERSIGHT_ROLES:
            q |= Q(partnership_id=m.partnership_id)
        elif m.agency_id is not None:
            agency_ids.append(m.agency_id)
    if agency_ids:
        q |= Q(created_by_agency_id__in=agency_ids) | Q(lead_agency_id__in=agency_ids)
    # EXISTS rather than a join: no DISTINCT over the result, and for one child (their file)
    # only that child's escalations are asked about.
    q |= Q(Exists(escalations_visible_to(user).filter(children=OuterRef("pk"))))
    return Child.objects.filter(q)


def may_see_child(child, user, *, named_in_a_visible_escalation: bool) -> bool:
    """children_visible_to asked of one child already loaded (their file): the reasons written
    on the child's row are read from it, and the last one, an escalation the person may see that
    names the child, is the caller's to say (the file reads those escalations anyway). Cheaper
    than filtering children by the whole rule, whose EXISTS over the visibility rule cost more
    to build and plan than the file's other reads. A test holds the two together."""
    if not getattr(user, "is_authenticated", False):
        return False
    agency_ids = set()
    for m in memberships_of(user):
        if m.agency_id is None and Role(m.role) in OVERSIGHT_ROLES and m.partnership_id == child.partnership_id:
            return True
        if m.agency_id is not None:
            agency_ids.add(m.agency_id)
    if child.created_by_agency_id in agency_ids or child.lead_agency_id in agency_ids:
        return True
    return named_in_a_visible_escalation


def child_search(user, text: str) -> QuerySet[Child]:
    from datetime import datetime

    text = text.strip()
    children = children_visible_to(user)
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return children.filter(date_of_birth=datetime.strptime(text, fmt).date())
        except ValueError:
            pass
    by_name = Q()
    for word in text.split():
        by_name &= Q(first_name__icontains=word) | Q(last_name__icontains=word)
    return children.filter(Q(local_reference__iexact=text) | by_name)
