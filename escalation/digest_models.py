"""How each person takes non-urgent e-mails: at once, or one daily digest at 08:30 on working
days. Urgent notices (child protection, immediate risk) always go at once."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from escalation.states import EmailStatus


class EmailFrequency(models.TextChoices):
    AT_ONCE = "at_once", "Straight away, one e-mail for each notification"
    DAILY = "daily", "In one daily digest at 8:30am on working days"


class EmailPreference(models.Model):
    """No row: straight away (the default, so nobody misses a notice by not choosing)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="email_preference")
    frequency = models.CharField(max_length=10, choices=EmailFrequency.choices, default=EmailFrequency.AT_ONCE)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.user}: {self.get_frequency_display()}"


class EmailDigest(models.Model):
    """One e-mail gathering a person's non-urgent notices of a day: an outbox row like a
    Notification (claimed, sent, retried, never dropped), unique per person and day."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="email_digests")
    day = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)
    email_status = models.CharField(max_length=10, choices=EmailStatus.choices, default=EmailStatus.PENDING)
    email_not_before = models.DateTimeField()
    email_attempts = models.PositiveIntegerField(default=0)
    email_claimed_at = models.DateTimeField(null=True, blank=True)
    email_sent_at = models.DateTimeField(null=True, blank=True)
    email_last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-day"]
        constraints = [
            # Exactly one digest per person and day, however many watchers collect it.
            models.UniqueConstraint(fields=["recipient", "day"], name="one_digest_per_person_per_day"),
        ]
        indexes = [
            models.Index(
                fields=["email_not_before"],
                condition=models.Q(email_status__in=["pending", "failed", "sending"]),
                name="undelivered_digest",
            ),
        ]

    def __str__(self) -> str:
        return f"Daily digest for {self.recipient}, {self.day:%d %b %Y}"
