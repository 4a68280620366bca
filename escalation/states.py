"""States and categories of an escalation."""

from django.db import models

from partnerships.choices import Category  # noqa: F401  (the escalation's category; a policy may name it)


class State(models.TextChoices):
    RAISED = "raised", "Awaiting acknowledgement"
    IN_DISCUSSION = "in_discussion", "In discussion"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"
    WITHDRAWN = "withdrawn", "Withdrawn"


OPEN_STATES = [State.RAISED, State.IN_DISCUSSION]


class StageOutcome(models.TextChoices):
    ESCALATED = "escalated", "Escalated to the next stage"
    RESOLVED = "resolved", "Resolved"
    WITHDRAWN = "withdrawn", "Withdrawn"
    # Passed by a route the policy allows (escalation.routes): no acknowledgement was awaited.
    PASSED = "passed", "Passed by the policy's route"


class DiscussionMethod(models.TextChoices):
    PHONE = "phone", "Phone"
    FACE_TO_FACE = "face_to_face", "Face to face"
    VIRTUAL_MEETING = "virtual_meeting", "Virtual meeting"
    EMAIL = "email", "E-mail"


class ActionStatus(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


class Side(models.TextChoices):
    RAISING = "raising", "Raising agency"
    RECEIVING = "receiving", "Receiving agency"


class DeliveryMethod(models.TextChoices):
    """How the resolution record went to the business manager (St Helens template: "Method of
    delivery (delete as appropriate)")."""

    SERVICE = "service", "Through this service (the business manager is notified)"
    SECURE_EMAIL = "secure_email", "Secure e-mail"
    POST = "post", "Post"
    BY_HAND = "by_hand", "By hand"


class EmailStatus(models.TextChoices):
    """Where an outbox row's e-mail is (a notification's or a daily digest's)."""

    PENDING = "pending", "Waiting to be sent"
    SENDING = "sending", "Being sent"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed, will retry"
    CANCELLED = "cancelled", "Not sent (stage closed)"
    DIGEST = "digest", "In the daily digest"
