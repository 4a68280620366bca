"""The Celery app. Settings come from Django's under the CELERY_ prefix (config/settings.py).

    celery -A config worker -l info      # runs the tasks (escalation/tasks.py)
    celery -A config beat -l info        # sends watch_deadlines every WATCHER_INTERVAL_SECONDS

Without REDIS_URL the broker is in-memory and nothing is queued: `manage.py run_watcher_loop`
runs the same watcher and delivery in one process instead.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
