"""Printable documents laid out after the St Helens templates (004): the escalation
notice and the resolution record, filled from the record."""

from django.http import Http404
from django.shortcuts import render

from cases.audit import log_access
from cases.models import AccessAction
from escalation.selectors import notice_signatory, partnership_copies
from escalation.views.common import visible_escalation_or_404


def escalation_notice(request, public_id):
    escalation = visible_escalation_or_404(request, public_id)
    log_access(request, AccessAction.VIEW_DOCUMENT, escalation, "escalation notice")
    return render(
        request,
        "escalation/documents/notice.html",
        {
            "escalation": escalation,
            "children": escalation.children.all(),
            "resolution": _resolution(escalation),
            "copies": (copies := partnership_copies(escalation)),
            "signatory": notice_signatory(escalation, copies),
        },
    )


def resolution_record(request, public_id):
    escalation = visible_escalation_or_404(request, public_id)
    resolution = _resolution(escalation)
    if resolution is None:
        raise Http404("This escalation has no resolution record yet.")
    log_access(request, AccessAction.VIEW_DOCUMENT, escalation, "resolution record")
    occurrences = escalation.occurrences.select_related("policy_stage")
    return render(
        request,
        "escalation/documents/resolution.html",
        {
            "escalation": escalation,
            "children": escalation.children.select_related("lead_agency"),
            "resolution": resolution,
            "occurrences": occurrences,
        },
    )


def _resolution(escalation):
    from escalation.models import Resolution

    return Resolution.objects.filter(escalation=escalation).select_related("recorded_by").first()
