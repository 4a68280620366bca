"""`/health/` for an uptime monitor: no sign-in, statuses only (no counts, names or records).

200 when the database and the broker answer and the deadline watcher ran within its last
three intervals; 503 otherwise, with which part is failing (escalation/watchdog.py).
"""

from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from escalation.watchdog import health as health_report


@login_not_required
@never_cache
@require_safe
def health(request):
    healthy, report = health_report()
    return JsonResponse(report, status=200 if healthy else 503)
