"""Small helpers the escalation views share: object lookup with the visibility rule,
the stale-page check, and turning a service's refusal into a page message."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse

from escalation.case_reads import CASE_RELATED, case_with_unread
from escalation.models import Escalation
from escalation.selectors import may_see
from escalation.services import STALE_MESSAGE


def visible_escalation_or_404(request, public_id) -> Escalation:
    """Anything a user may not see is simply not found (no hint that it exists). The row is
    read by its public id and the visibility rule asked of it (selectors.may_see)."""
    queryset = Escalation.objects.select_related(*CASE_RELATED)
    return _visible_or_404(get_object_or_404(queryset, public_id=public_id), request.user)


def visible_case_page_or_404(request, public_id) -> Escalation:
    """The same for the escalation page itself, read by its compiled query with the child count
    and the person's unread notices (escalation/case_reads.py)."""
    return _visible_or_404(case_with_unread(public_id, request.user), request.user)


def _visible_or_404(escalation, user) -> Escalation:
    if escalation is None or not may_see(escalation, user):
        raise Http404
    return escalation


def page_is_stale(request, escalation) -> bool:
    """The form carries the stage and state the person saw; refuse if it has moved since."""
    seen = (request.POST.get("seen_state"), request.POST.get("seen_stage"))
    if seen != (escalation.state, str(escalation.stage_number)):
        messages.error(request, STALE_MESSAGE)
        return True
    return False


def detail_url(escalation) -> str:
    return reverse("escalation:detail", args=[escalation.public_id])


def back_to(escalation):
    return redirect(detail_url(escalation))


def require(allowed: bool):
    """For actions: the escalation is visible but this person may not do this (403)."""
    if not allowed:
        raise PermissionDenied
