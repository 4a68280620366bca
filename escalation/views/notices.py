"""The in-app list of notifications: shown at once, whenever their e-mail goes."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from escalation.models import Notification
from escalation.notifications import mark_read


def notification_list(request):
    notices = Notification.objects.filter(recipient=request.user).select_related("escalation").order_by("-created_at")
    page = Paginator(notices, 25).get_page(request.GET.get("page"))
    return render(request, "escalation/notifications.html", {"page": page})


@require_POST
def notifications_mark_read(request):
    count = mark_read(user=request.user)
    messages.success(request, f"{count} notification{'s' if count != 1 else ''} marked as read.")
    return redirect("escalation:notifications")
