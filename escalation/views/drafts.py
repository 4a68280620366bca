"""A person's own drafts: open one to carry on, or delete it. Anyone else's is not found (404)."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render

from escalation import drafts


def _mine(request, draft_id):
    return get_object_or_404(drafts.drafts_of(request.user), public_id=draft_id)


def draft_open(request, draft_id):
    return redirect(_mine(request, draft_id).resume_url())


def draft_delete(request, draft_id):
    draft = _mine(request, draft_id)
    if request.method == "POST":
        draft.delete()
        messages.success(request, "Draft deleted.")
        return redirect("home")
    return render(request, "escalation/draft_delete.html", {"draft": draft})


def draft_restore(request):
    return drafts.restore_timed_out(request)
