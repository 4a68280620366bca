"""Evidence attached to a disagreement, a discussion or a stage's evidence.

Policies ask for "evidence that every effort at the previous stage was explored": minutes,
letters, e-mails saved as PDF. A file is accepted by what it is, not what it is called
(escalation.file_types), up to ATTACHMENT_MAX_BYTES, and stored through Django's storage API
under a random name in the "attachments" storage (settings.STORAGES: a folder outside the web
root by default, an S3-compatible bucket through django-storages when configured). Nothing
serves that storage directly: the download view checks the case's visibility rule, logs the
download in the access log and sends the file as an attachment that browsers may not sniff
or cache. A file belongs to its case's retention: disposal deletes it (`attachments_dispose`).
"""

from __future__ import annotations

import hashlib
import logging
import uuid

from django.conf import settings
from django.core.files.storage import storages
from django.db import models, transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from cases.models import RecordEntryKind
from escalation.errors import EscalationError, NotPermitted
from escalation.file_types import CONTENT_TYPES, FileType, Refused, clean_name, limit_in_words, sniff

logger = logging.getLogger(__name__)
STORAGE = "attachments"
REMOVED_NAME = "Removed on disposal"


class AttachmentRefused(EscalationError):
    """The file cannot be attached; the message is for the form's file field."""


class AttachedTo(models.TextChoices):
    DISAGREEMENT = "disagreement", "The disagreement"
    DISCUSSION = "discussion", "A discussion"
    EVIDENCE = "evidence", "A stage's evidence"


class Attachment(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    escalation = models.ForeignKey("escalation.Escalation", on_delete=models.PROTECT, related_name="attachments")
    attached_to = models.CharField(max_length=20, choices=AttachedTo.choices, default=AttachedTo.DISAGREEMENT)
    discussion = models.ForeignKey(
        "escalation.Discussion", on_delete=models.PROTECT, null=True, blank=True, related_name="attachments"
    )
    occurrence = models.ForeignKey(
        "escalation.StageOccurrence", on_delete=models.PROTECT, null=True, blank=True, related_name="attachments"
    )
    # The person's file name, cleaned, with the extension of what the file really is.
    name = models.CharField(max_length=120)
    file_type = models.CharField(max_length=10, choices=FileType.choices)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    # The random name in the attachments storage; empty once disposal has deleted the file.
    stored_as = models.CharField(max_length=200, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["uploaded_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(attached_to="disagreement", discussion__isnull=True, occurrence__isnull=True)
                | models.Q(attached_to="discussion", discussion__isnull=False, occurrence__isnull=True)
                | models.Q(attached_to="evidence", discussion__isnull=True, occurrence__isnull=False),
                name="attachment_attached_to_one_thing",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[FileType(self.file_type)]

    def described(self) -> str:
        """What it is attached to, as the case page and the child's file say it."""
        if self.attached_to == AttachedTo.DISCUSSION:
            return f"the discussion of {timezone.localtime(self.discussion.held_at):%-d %B %Y}"
        if self.attached_to == AttachedTo.EVIDENCE:
            return f"the evidence of stage {self.occurrence.number}"
        return "the disagreement"


def attachment_storage():
    return storages[STORAGE]


def check_upload(upload) -> tuple[FileType, str, str]:
    """(type, clean name, sha256) of an acceptable upload; AttachmentRefused with the reason otherwise."""
    limit = settings.ATTACHMENT_MAX_BYTES
    if upload is None:
        raise AttachmentRefused("Select a file")
    if upload.size == 0:
        raise AttachmentRefused("The selected file is empty")
    if upload.size > limit:
        raise AttachmentRefused(f"The selected file must be smaller than {limit_in_words(limit)}")
    try:
        file_type = sniff(upload)
        name = clean_name(upload.name, file_type)
    except Refused as exc:
        raise AttachmentRefused(str(exc)) from exc
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return file_type, name, digest.hexdigest()


def attachment_add(*, escalation, acting_user, upload, discussion=None, occurrence=None) -> Attachment:
    """Check the file, store it under a random name and record it on each child's file."""
    from escalation.permissions import can_attach_file
    from escalation.record import _person, record_on_files

    if not can_attach_file(escalation, acting_user):
        raise NotPermitted("Only the people working on this disagreement at its current stage can attach files.")
    if discussion is not None and discussion.occurrence.escalation_id != escalation.pk:
        raise EscalationError("Choose a discussion of this disagreement.")
    if occurrence is not None and occurrence.escalation_id != escalation.pk:
        raise EscalationError("Choose a stage of this disagreement.")
    file_type, name, sha256 = check_upload(upload)
    attached_to = (
        AttachedTo.DISCUSSION if discussion else AttachedTo.EVIDENCE if occurrence else AttachedTo.DISAGREEMENT
    )
    storage = attachment_storage()
    # A random name: nothing about the case, the child or the person's file name reaches storage.
    stored_as = storage.save(f"{uuid.uuid4().hex[:2]}/{uuid.uuid4().hex}", upload)
    try:
        with transaction.atomic():
            attachment = Attachment.objects.create(
                escalation=escalation,
                attached_to=attached_to,
                discussion=discussion,
                occurrence=occurrence,
                name=name,
                file_type=file_type,
                size=upload.size,
                sha256=sha256,
                stored_as=stored_as,
                uploaded_by=acting_user,
            )
            record_on_files(
                escalation,
                RecordEntryKind.NOTE,
                f"{_person(acting_user)} attached {name} ({FileType(file_type).label}, "
                f"{filesizeformat(upload.size)}) to {attachment.described()} of {escalation.reference}.",
                author=acting_user,
            )
    except Exception:
        storage.delete(stored_as)  # the row was not written: leave no file behind
        raise
    return attachment


def attachments_dispose(escalation, *, at) -> int:
    """At disposal (escalation.retention): the files are deleted from storage once the disposal
    has committed; the rows stay (dates, sizes, checksums) without their names."""
    found = list(Attachment.objects.filter(escalation=escalation, removed_at__isnull=True))
    Attachment.objects.filter(pk__in=[a.pk for a in found]).update(removed_at=at, name=REMOVED_NAME, stored_as="")
    keys = [a.stored_as for a in found if a.stored_as]

    def delete_files():
        storage = attachment_storage()
        for key in keys:
            try:
                storage.delete(key)
            except Exception:  # the disposal stands; the file is named in the log for an administrator
                logger.exception("Retention: could not delete attachment %s of %s", key, escalation.reference)

    transaction.on_commit(delete_files)
    return len(found)
