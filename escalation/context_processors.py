"""What every page's layout needs from the escalations: the header's unread count (counted
at render time, after the view has marked anything read, unless the view counted them while
marking: escalation.notifications.read_on_opening), and the banner administrators and
business managers see when the deadline watcher has stopped (escalation/watchdog.py; nobody
else: they cannot act on it). Here rather than in partnerships, which imports nothing from
escalation."""

from escalation import watchdog
from escalation.notifications import unread_count
from partnerships.choices import Role
from partnerships.selectors import memberships_of

UNREAD = "unread_notifications"  # on the request, when the view has counted them already


def notifications(request):
    counted = getattr(request, UNREAD, None)
    if counted is not None:
        return {"unread_notifications": counted}
    user = getattr(request, "user", None)
    return {"unread_notifications": unread_count(user) if user else 0}


def watches_the_watcher(user) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return user.is_staff or user.is_superuser or any(m.role == Role.BUSINESS_MANAGER for m in memberships_of(user))


def watcher(request):
    if not watches_the_watcher(getattr(request, "user", None)):
        return {}
    state = watchdog.alert_if_late()
    if state.last_run_at is None or not state.late:
        return {}
    return {"watcher_stopped_at": state.last_run_at, "watcher_admin": request.user.is_staff}
