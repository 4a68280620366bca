"""Lists: my escalations, a manager's inbox, the partnership stage list."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from escalation import keyset
from escalation.keyset import Key, newest_first
from escalation.rows import table_rows
from escalation.selectors import escalations_visible_to, inbox_for
from escalation.states import OPEN_STATES, State
from escalation.views.remembered import is_remembered, remembered
from partnerships.choices import Role
from partnerships.selectors import memberships_of, tier_rank

SORTS = {
    "deadline": (newest_first(Key("current_due_at", nullable=True)), "Deadline"),
    "raised": (newest_first(), "Newest first"),
    "stage": (newest_first(Key("stage_number", descending=True)), "Stage"),
    "urgency": (newest_first(Key("urgency")), "Urgency"),
}
BY_DEADLINE = SORTS["deadline"][0]


LIST_RELATED = ("raising_agency", "receiving_agency", "partnership")


def _base(user):
    return escalations_visible_to(user).select_related(*LIST_RELATED)


def _page(request, queryset, keys=BY_DEADLINE) -> dict:
    """The page and its rows as escalation/_table.html shows them (escalation.rows)."""
    page = keyset.paginate(queryset, keys, after=request.GET.get("after", ""), before=request.GET.get("before", ""))
    return {"page": page, "rows": table_rows(page.object_list)}


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
    queryset = _base(request.user)
    if status == "open":
        queryset = queryset.filter(state__in=OPEN_STATES)
    elif status == "mine":
        queryset = queryset.filter(raised_by=request.user)
    return render(
        request,
        "escalation/list.html",
        {
            **_page(request, queryset, keys),
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
    queryset = inbox_for(request.user).select_related(*LIST_RELATED)
    return render(
        request,
        "escalation/inbox.html",
        {
            **_page(request, queryset, keys),
            "page_query": page_query(request),
            "awaiting": State.RAISED,
            "sort": sort,
            "sorts": SORTS,
            "filtered": is_remembered(request, "inbox"),
        },
    )


def partnership_stage_list(request):
    """Final-stage referrals for the business manager, chair and panel members."""
    partnership_ids = [
        m.partnership_id
        for m in memberships_of(request.user)
        if m.agency_id is None and Role(m.role) in {Role.BUSINESS_MANAGER, Role.CHAIR, Role.PANEL_MEMBER}
    ]
    if not partnership_ids:
        raise PermissionDenied
    queryset = (
        _base(request.user)
        .filter(partnership_id__in=partnership_ids, raising_tier_reached=tier_rank("partnership"))
        .filter(state__in=OPEN_STATES)
    )
    return render(
        request,
        "escalation/partnership_list.html",
        {**_page(request, queryset), "page_query": page_query(request)},
    )
