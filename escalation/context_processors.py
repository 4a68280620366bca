"""The header's unread count, on every page. Here rather than in partnerships, which imports
nothing from escalation. Counted at render time, after the view has marked anything read."""

from escalation.notifications import unread_count


def notifications(request):
    user = getattr(request, "user", None)
    return {"unread_notifications": unread_count(user) if user else 0}
