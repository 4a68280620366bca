"""Lists: my escalations, a manager's inbox, the partnership stage list."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone

from escalation import keyset
from escalation.keyset import Key, newest_first
from escalation.selectors import escalations_visible_to, inbox_for
from escalation.states import OPEN_STATES, State
from escalation.views.remembered import is_remembered, remembered
from partnerships.choices import TIER_ORDER, Role, Tier
from partnerships.selectors import memberships_of, tier_rank, working_calendars

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


def _page(request, queryset, keys=BY_DEADLINE):
    return keyset.paginate(queryset, keys, after=request.GET.get("after", ""), before=request.GET.get("before", ""))


def page_query(request) -> str:
    """The list's own query (status, sort) for the next/previous links, without the position."""
    query = request.GET.copy()
    for name in ("after", "before", "page"):
        query.pop(name, None)
    return query.urlencode()


def holders(escalation) -> str:
    """Who holds the current stage, from the tiers each side has reached (no extra query)."""
    sides = [rank for rank in (escalation.raising_tier_reached, escalation.receiving_tier_reached) if rank >= 0]
    labels = []
    for rank in sides:
        label = Tier(TIER_ORDER[rank]).label
        if label not in labels:
            labels.append(label)
    return " and ".join(labels)


def _with_days_left(page):
    """Working days left (negative: overdue) on each row's own partnership calendar."""
    today = timezone.localdate()
    # One closure-days query for every partnership on the page, whether or not a row is timed.
    calendars = working_calendars(e.partnership for e in page.object_list)
    for e in page.object_list:
        e.holders = holders(e)
        if e.current_due_at:
            calendar = calendars[e.partnership_id]
            e.days_left = calendar.working_days_between(today, timezone.localtime(e.current_due_at).date())
            e.overdue = e.current_due_at < timezone.now()
    return page


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
            "page": _with_days_left(_page(request, queryset, keys)),
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
            "page": _with_days_left(_page(request, queryset, keys)),
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
        {"page": _with_days_left(_page(request, queryset)), "page_query": page_query(request)},
    )
