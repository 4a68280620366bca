"""Attaching a file to a case and downloading it. Downloads only through here: the case's
visibility rule first (404 for anyone who may not see it), then the access log."""

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render
from django.utils.cache import add_never_cache_headers

from cases.audit import log_access
from cases.models import AccessAction
from escalation import attachments
from escalation.attachment_forms import DISAGREEMENT, AttachmentForm, attach_choices
from escalation.models import Discussion
from escalation.permissions import can_attach_file
from escalation.views.common import back_to, require, visible_escalation_or_404

# The file is data to save, never a page: nothing in it may run, even if a browser were asked to show it.
DOWNLOAD_CSP = "default-src 'none'; sandbox"
INTRO = (
    "Attach meeting minutes, letters or e-mails that show what was done to resolve the disagreement. Everyone "
    "who can see this disagreement can download what you attach, and it is kept as long as its record."
)


def attach(request, public_id):
    escalation = visible_escalation_or_404(request, public_id)
    require(can_attach_file(escalation, request.user))
    discussions = list(Discussion.objects.filter(occurrence__escalation=escalation).order_by("held_at"))
    occurrences = escalation.stage_history()
    choices = attach_choices(escalation, discussions, occurrences)
    initial = request.GET.get("to") if request.GET.get("to") in dict(choices) else DISAGREEMENT
    form = AttachmentForm(
        request.POST or None, request.FILES or None, choices=choices, initial={"attached_to": initial}
    )
    if request.method == "POST" and form.is_valid():
        try:
            added = attachments.attachment_add(
                escalation=escalation,
                acting_user=request.user,
                upload=form.cleaned_data["file"],
                **form.chosen_target(discussions, occurrences),
            )
        except attachments.AttachmentRefused as exc:
            form.add_error("file", str(exc))
        except attachments.EscalationError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"{added.name} is attached to {added.described()}.")
            return back_to(escalation)
    return render(
        request,
        "escalation/action_form.html",
        {"escalation": escalation, "form": form, "title": "Attach a file", "intro": INTRO, "multipart": True},
    )


def download(request, public_id, file_id):
    escalation = visible_escalation_or_404(request, public_id)
    attachment = get_object_or_404(escalation.attachments.filter(removed_at__isnull=True), public_id=file_id)
    try:
        stored = attachments.attachment_storage().open(attachment.stored_as, "rb")
    except FileNotFoundError as exc:
        raise Http404("The file is no longer stored") from exc
    log_access(request, AccessAction.DOWNLOAD_ATTACHMENT, attachment, f"{escalation.reference}: {attachment.name}")
    response = FileResponse(stored, as_attachment=True, filename=attachment.name, content_type=attachment.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = DOWNLOAD_CSP
    add_never_cache_headers(response)  # includes no-store: a shared laptop's cache keeps nothing
    return response
