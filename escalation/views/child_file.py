from django.shortcuts import render

from cases.audit import log_access
from cases.models import AccessAction
from escalation.child_file import entry_rows, escalation_rows, file_entries, visible_child_or_404


def child_file(request, public_id):
    """The whole chronology for one child across the escalations this user may see."""
    child, escalations = visible_child_or_404(request.user, public_id)
    log_access(request, AccessAction.VIEW_CHILD, child)
    entries = file_entries(child, request.user, escalations)
    return render(
        request,
        "cases/child_file.html",
        {"child": child, "entries": entry_rows(entries), "escalations": escalation_rows(escalations)},
    )
