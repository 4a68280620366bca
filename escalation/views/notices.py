"""The in-app list of notifications: shown at once, whenever their e-mail goes."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from escalation.digests import frequency_of, set_email_frequency
from escalation.forms import EmailFrequencyForm
from escalation.models import Notification
from escalation.notifications import mark_read


def notification_list(request):
    notices = Notification.objects.filter(recipient=request.user).select_related("escalation").order_by("-created_at")
    page = Paginator(notices, 25).get_page(request.GET.get("page"))
    return render(request, "escalation/notifications.html", {"page": page, "frequency": frequency_of(request.user)})


def notification_open(request, public_id):
    """Opening a notice reads it, then shows the case it is about (which reads its other notices)."""
    notice = get_object_or_404(
        Notification.objects.select_related("escalation"), public_id=public_id, recipient=request.user
    )
    mark_read(user=request.user, public_ids=[notice.public_id])
    return redirect("escalation:detail", public_id=notice.escalation.public_id)


def email_preferences(request):
    """For notices that are not urgent: an e-mail for each, or one daily digest."""
    form = EmailFrequencyForm(
        request.POST if request.method == "POST" else None, initial={"frequency": frequency_of(request.user)}
    )
    if request.method == "POST" and form.is_valid():
        set_email_frequency(user=request.user, frequency=form.cleaned_data["frequency"])
        messages.success(request, "Your e-mail choice is saved.")
        return redirect("escalation:notifications")
    return render(request, "escalation/email_preferences.html", {"form": form})


@require_POST
def notifications_mark_read(request):
    count = mark_read(user=request.user)
    messages.success(request, f"{count} notification{'s' if count != 1 else ''} marked as read.")
    return redirect("escalation:notifications")
