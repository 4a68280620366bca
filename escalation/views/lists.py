"""Lists: my escalations, a manager's inbox, the partnership stage list."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from escalation.keyset import Key, newest_first
from escalation.rows import table_rows
from escalation.selectors import escalations_visible_to, inbox_for
from escalation.states import OPEN_STATES, State
from escalation.views.remembered import is_remembered, remembered
from escalation.visible_reads import CompiledList
from partnerships.choices import Role
from partnerships.presets.base import URGENCY_ORDER
from partnerships.selectors import memberships_of, tier_rank

# Most urgent first: the stored text would sort child protection before immediate risk.
URGENCY_ORDER_MOST_FIRST = tuple(u.value for u in reversed(URGENCY_ORDER))
SORTS = {
    "deadline": (newest_first(Key("current_due_at", nullable=True)), "Deadline"),
    "raised": (newest_first(), "Newest first"),
    "stage": (newest_first(Key("stage_number", descending=True)), "Stage"),
    "urgency": (newest_first(Key("urgency", rank=URGENCY_ORDER_MOST_FIRST)), "Urgency"),
}
BY_DEADLINE = SORTS["deadline"][0]


LIST_RELATED = ("raising_agency", "receiving_agency", "partnership")


def _base(user):
    return escalations_visible_to(user).select_related(*LIST_RELATED)


def _partnership_stage_partnerships(user) -> list[int]:
    return [
        m.partnership_id
        for m in memberships_of(user)
        if m.agency_id is None and Role(m.role) in {Role.BUSINESS_MANAGER, Role.CHAIR, Role.PANEL_MEMBER}
    ]


# Each list's escalations for a person, its pages read with queries compiled per shape of person
# (escalation/visible_reads.py).
BY_STATUS = {
    "open": CompiledList(lambda user: _base(user).filter(state__in=OPEN_STATES)),
    "mine": CompiledList(lambda user: _base(user).filter(raised_by=user)),
}
ALL = CompiledList(_base)
INBOX = CompiledList(lambda user: inbox_for(user).select_related(*LIST_RELATED))
AT_PARTNERSHIP_STAGE = CompiledList(
    lambda user: (
        _base(user)
        .filter(partnership_id__in=_partnership_stage_partnerships(user), raising_tier_reached=tier_rank("partnership"))
        .filter(state__in=OPEN_STATES)
    )
)


def _page(request, listing: CompiledList, keys=BY_DEADLINE) -> dict:
    """The page and its rows as escalation/_table.html shows them (escalation.rows), and its
    number for the title and the pagination: `page` in the link is a label, not a position."""
    page = listing.page(request.user, keys, after=request.GET.get("after", ""), before=request.GET.get("before", ""))
    return {"page": page, "rows": table_rows(page.object_list), "numbering": page.numbered(request.GET.get("page"))}


def page_query(request) -> str:
    """The list's own query (status, sort) for the next/previous links, without the position."""
    query = request.GET.copy()
    for name in ("after", "before", "page"):
        query.pop(name, None)
    return query.urlencode()


def escalation_list(request):
    if back := remembered(request, "escalations", ("status", "sort")):
        return back
    sort = request.GET.get("sort", "deadline")
    keys, _ = SORTS.get(sort, SORTS["deadline"])
    status = request.GET.get("status", "open")
    return render(
        request,
        "escalation/list.html",
        {
            **_page(request, BY_STATUS.get(status, ALL), keys),
            "page_query": page_query(request),
            "sort": sort,
            "sorts": SORTS,
            "status": status,
            "filtered": is_remembered(request, "escalations"),
        },
    )


def inbox(request):
    """Escalations that have reached this person's tier in their agency, oldest deadline first
    unless they chose another order."""
    if back := remembered(request, "inbox", ("sort",)):
        return back
    sort = request.GET.get("sort", "deadline")
    keys, _ = SORTS.get(sort, SORTS["deadline"])
    return render(
        request,
        "escalation/inbox.html",
        {
            **_page(request, INBOX, keys),
            "page_query": page_query(request),
            "awaiting": State.RAISED,
            "sort": sort,
            "sorts": SORTS,
            "filtered": is_remembered(request, "inbox"),
        },
    )


def partnership_stage_list(request):
    """Final-stage referrals for the business manager, chair and panel members."""
    if not _partnership_stage_partnerships(request.user):
        raise PermissionDenied
    return render(
        request,
        "escalation/partnership_list.html",
        {**_page(request, AT_PARTNERSHIP_STAGE), "page_query": page_query(request)},
    )
