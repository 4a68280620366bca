"""Children and the child's file: an append-only chronology of what happened and when."""

from __future__ import annotations

import uuid

import pgtrigger
from django.conf import settings
from django.db import models


class ContinuumOfNeed(models.TextChoices):
    UNIVERSAL = "1", "Level 1: universal"
    EARLY_HELP = "2", "Level 2: early help"
    TARGETED = "3", "Level 3: targeted or complex needs"
    SPECIALIST = "4", "Level 4: specialist or acute (statutory)"


class Child(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    partnership = models.ForeignKey("partnerships.Partnership", on_delete=models.PROTECT, related_name="children")
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    local_reference = models.CharField(max_length=50, blank=True, help_text="For example an LCS or NHS number.")
    parents_carers = models.TextField(blank=True)
    lead_practitioner = models.CharField(max_length=200, blank=True)
    lead_agency = models.ForeignKey(
        "partnerships.Agency", on_delete=models.PROTECT, null=True, blank=True, related_name="lead_for_children"
    )
    continuum_of_need = models.CharField(max_length=2, choices=ContinuumOfNeed.choices, blank=True)
    created_by_agency = models.ForeignKey(
        "partnerships.Agency", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["last_name", "first_name"]
        verbose_name_plural = "children"
        indexes = [
            models.Index(fields=["partnership", "last_name", "first_name"]),
            models.Index(fields=["partnership", "date_of_birth"]),
            models.Index(fields=["partnership", "local_reference"]),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class AppendOnlyError(Exception):
    """Raised when code tries to change or delete an entry on a child's file."""


class RecordEntryKind(models.TextChoices):
    NOTE = "note", "Note"
    RAISED = "raised", "Disagreement raised"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    DISCUSSION = "discussion", "Discussion recorded"
    ESCALATED = "escalated", "Escalated"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"
    WITHDRAWN = "withdrawn", "Withdrawn"
    DEADLINE_CHANGED = "deadline_changed", "Deadline changed"
    POLICY_CHANGED = "policy_changed", "Policy version changed"
    URGENCY_CHANGED = "urgency_changed", "Urgency changed"
    BREACHED = "breached", "Deadline missed"
    DECISION = "decision", "Partnership decision"
    CORRECTION = "correction", "Correction"


class AppendOnlyQuerySet(models.QuerySet):
    """Bulk UPDATE and DELETE are refused too, not only per-object save and delete."""

    def update(self, **kwargs):
        raise AppendOnlyError("Entries on a child's file cannot be changed; add a correction instead.")

    def delete(self):
        raise AppendOnlyError("Entries on a child's file cannot be deleted.")


class RecordEntry(models.Model):
    """One line of a child's chronology. Never changed or deleted: corrections are new entries."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="record_entries")
    escalation = models.ForeignKey(
        "escalation.Escalation", on_delete=models.PROTECT, null=True, blank=True, related_name="record_entries"
    )
    kind = models.CharField(max_length=32, choices=RecordEntryKind.choices)
    summary = models.TextField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty when the system wrote it (e.g. a missed deadline).",
    )
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    corrects = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrections")

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]
        verbose_name_plural = "record entries"
        indexes = [models.Index(fields=["child", "at"]), models.Index(fields=["escalation", "at"])]
        # On PostgreSQL the database itself refuses: no code path can rewrite a child's file.
        triggers = [pgtrigger.Protect(name="record_entry_append_only", operation=pgtrigger.Update | pgtrigger.Delete)]

    def __str__(self) -> str:
        return f"{self.at:%d %b %Y %H:%M} {self.get_kind_display()}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise AppendOnlyError("Entries on a child's file cannot be changed; add a correction instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Entries on a child's file cannot be deleted.")


class AccessAction(models.TextChoices):
    VIEW_ESCALATION = "view_escalation", "Viewed an escalation"
    VIEW_CHILD = "view_child", "Viewed a child's file"
    # Name, date of birth or local reference shown anywhere else: the child search, the raise
    # page, the admin. The detail says where.
    SAW_CHILD = "saw_child", "Saw a child's details"
    VIEW_DOCUMENT = "view_document", "Viewed a printable document"
    EXPORT = "export", "Exported records"
    DOWNLOAD_ATTACHMENT = "download_file", "Downloaded an attached file"


class AccessLog(models.Model):
    """Who looked at which child's record, when and from where. Never edited or deleted."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    action = models.CharField(max_length=20, choices=AccessAction.choices)
    object_type = models.CharField(max_length=40)
    object_id = models.CharField(max_length=64, help_text="The public id of what was seen.")
    detail = models.CharField(max_length=500, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["object_type", "object_id"]), models.Index(fields=["user", "at"])]
        triggers = [pgtrigger.Protect(name="access_log_append_only", operation=pgtrigger.Update | pgtrigger.Delete)]

    def __str__(self) -> str:
        return f"{self.user} {self.get_action_display().lower()} at {self.at:%d %b %Y %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise AppendOnlyError("The access log cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("The access log cannot be deleted.")
