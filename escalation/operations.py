"""Rows that keep the service honest rather than record casework: forms already submitted
(so a double click creates one thing) and the deadline watcher's heartbeat (so a stopped
watcher is noticed). Imported by escalation.models, so Django finds them there."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Submission(models.Model):
    """A form that created something, by the key it carried when it was rendered.

    Unique per person and key, so a second POST of the same form (a double click, a retry
    after a slow answer, two at once) cannot create a second escalation, discussion or
    resolution: the database refuses the second row and the request answers with the first
    result instead (escalation/submissions.py)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.UUIDField()
    result_url = models.CharField(max_length=1000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="one_result_per_submitted_form")]

    def __str__(self) -> str:
        return f"Form {self.key} sent by {self.user}"


class WatcherHeartbeat(models.Model):
    """When the deadline watcher last finished a run, by whom; one row per watcher (today one).

    Every run writes it, however it was started (Celery worker, beat while the broker is down,
    the in-process loop), so its age says whether deadlines are being watched at all. Read by
    /health/, the administrators' banner and the outage e-mail (escalation/watchdog.py)."""

    name = models.CharField(max_length=40, primary_key=True)
    last_run_at = models.DateTimeField()
    runs = models.PositiveBigIntegerField(default=0)
    last_runner = models.CharField(max_length=60, blank=True)
    # The last_run_at the administrators were e-mailed about: once per outage.
    alerted_for = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name}: last run {self.last_run_at:%d %b %Y %H:%M:%S}"
