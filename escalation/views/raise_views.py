"""Raising a disagreement: find the children (or add one), then describe it."""

import uuid
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from cases.audit import log_children_seen
from cases.selectors import child_search, children_visible_to
from escalation import drafts, routes, services
from escalation.forms import ChildForm, ChildSearchForm, RaiseForm
from escalation.submissions import once, once_per_submission
from escalation.views.common import detail_url
from partnerships.choices import Route
from partnerships.models import Agency
from partnerships.selectors import agency_memberships
from partnerships.services import first_stage_deadlines


def _raising_agency(user):
    """The agency a practitioner raises for: their first agency membership."""
    memberships = agency_memberships(user)
    if not memberships:
        raise PermissionDenied
    return memberships[0].agency


def _selected_ids(request) -> list[str]:
    return [value for value in request.GET.getlist("child") if value][:10]


def _valid_uuids(values) -> list[uuid.UUID]:
    valid = []
    for value in values:
        try:
            valid.append(uuid.UUID(str(value)))
        except ValueError:
            continue
    return valid


def find_child(request):
    agency = _raising_agency(request.user)
    form = ChildSearchForm(request.GET if "q" in request.GET else None)
    results = None
    if form.is_bound and form.is_valid():
        results = list(child_search(request.user, form.cleaned_data["q"])[:50])
        log_children_seen(request, results, "child search results (raise a disagreement)")
    selected = list(children_visible_to(request.user).filter(public_id__in=_valid_uuids(_selected_ids(request))))
    log_children_seen(request, selected, "children chosen (raise a disagreement)")
    return render(
        request,
        "escalation/raise_find_child.html",
        {"form": form, "results": results, "selected": selected, "agency": agency},
    )


def searched_for(q: str) -> dict:
    """What was just searched for, as the new child's details: a date is the date of birth, a
    word with digits a local reference, anything else the name (the last word the last name)."""
    from datetime import datetime

    from escalation.forms import DATE_FORMATS

    q = " ".join(q.split())[:100]
    if not q:
        return {}
    for fmt in DATE_FORMATS:
        try:
            return {"date_of_birth": datetime.strptime(q, fmt).strftime("%d/%m/%Y")}
        except ValueError:
            continue
    if any(c.isdigit() for c in q):
        return {"local_reference": q}
    first, _, last = q.rpartition(" ") if " " in q else (q, "", "")
    return {"first_name": first, "last_name": last}


@once_per_submission
def add_child(request):
    agency = _raising_agency(request.user)
    q = request.GET.get("q", "")
    form = ChildForm(request.POST or None, partnership=agency.partnership, initial=searched_for(q))
    if request.method == "POST" and form.is_valid():
        ids = _selected_ids(request)
        outcome = once(
            request,
            lambda: services.child_add(acting_user=request.user, agency=agency, **form.cleaned_data),
            lambda child: reverse("escalation:raise") + "?" + "&".join(f"child={i}" for i in ids + [child.public_id]),
        )
        return outcome.response(request)
    back = (
        reverse("escalation:find-child")
        + "?"
        + urlencode([("q", q)] * bool(q) + [("child", i) for i in _selected_ids(request)])
    )
    return render(
        request,
        "escalation/raise_add_child.html",
        {"form": form, "selected_ids": _selected_ids(request), "back_href": back.rstrip("?")},
    )


@once_per_submission
def raise_disagreement(request):
    agency = _raising_agency(request.user)
    draft = drafts.draft_in_request(request, drafts.DraftKind.RAISE)
    if request.method == "POST" and "save_draft" in request.POST:
        return drafts.keep_and_go_home(request, drafts.DraftKind.RAISE, draft=draft)
    # Only the children chosen on the previous page (or posted back, or in the draft) are offered.
    chosen = _selected_ids(request) + request.POST.getlist("children")[:10] + (draft.children_ids() if draft else [])
    children_qs = children_visible_to(request.user).filter(public_id__in=_valid_uuids(chosen))
    if request.method == "GET" and not children_qs.exists() and draft is None:
        return redirect("escalation:find-child")
    agencies_qs = Agency.objects.filter(partnership=agency.partnership).exclude(pk=agency.pk)
    initial = draft.initial() if draft else {"children": list(children_qs)}
    policy = agency.partnership.policy
    form = RaiseForm(
        request.POST or None,
        initial=initial,
        children_qs=children_qs,
        agencies_qs=agencies_qs,
        unsafe_routes=[r for r in routes.KEPT_FROM_OWN_AGENCY if policy and policy.allows(r)],
    )
    if request.method == "POST" and form.is_valid():
        unsafe = form.unsafe_route()
        fields = dict(form.cleaned_data)
        reason = fields.pop("unsafe_reason", "")
        for name in ("unsafe_within_agency", "unsafe_goes_to"):
            fields.pop(name, None)

        def create():
            if unsafe == Route.UNSAFE_WITHIN_AGENCY:
                return routes.escalation_raise_to_partnership(
                    raised_by=request.user, raising_agency=agency, reason=reason, **fields
                )
            if unsafe == Route.EXTERNAL_MANAGERS:
                return routes.escalation_raise_to_external_managers(
                    raised_by=request.user, raising_agency=agency, reason=reason, **fields
                )
            return services.escalation_raise(raised_by=request.user, raising_agency=agency, **fields)

        try:
            outcome = once(request, create, detail_url)
        except services.EscalationError as exc:
            form.add_error(None, str(exc))
        else:
            drafts.discard(draft)
            return outcome.response(request, outcome.created and f"Disagreement {outcome.created.reference} raised.")
    log_children_seen(request, children_qs, "raise a disagreement")
    calendar = agency.partnership.working_calendar()
    return render(
        request,
        "escalation/raise.html",
        {
            "form": form,
            "agency": agency,
            "out_of_hours": not calendar.is_within_working_hours(timezone.now()),
            "first_stage_deadlines": first_stage_deadlines(agency.partnership, timezone.now()),
            **drafts.form_context(request, draft),
        },
    )
