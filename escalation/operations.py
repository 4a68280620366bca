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
