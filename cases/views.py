from django.shortcuts import get_object_or_404, render

from cases.audit import log_access
from cases.models import AccessAction
from cases.selectors import children_visible_to
from escalation.selectors import escalations_visible_to


def child_file(request, public_id):
    """The whole chronology for one child across the escalations this user may see."""
    child = get_object_or_404(children_visible_to(request.user), public_id=public_id)
    log_access(request, AccessAction.VIEW_CHILD, child)
    visible = escalations_visible_to(request.user)
    entries = (
        child.record_entries.filter(escalation__in=visible).select_related("author", "escalation").order_by("at", "id")
    )
    escalations = visible.filter(children=child).select_related("raising_agency", "receiving_agency")
    return render(request, "cases/child_file.html", {"child": child, "entries": entries, "escalations": escalations})
