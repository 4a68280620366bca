"""Escalations, the stages they pass through, discussions and agreed actions.

The state machine is django-fsm-2. `stage_number` is a second FSM field on purpose:
ConcurrentTransitionMixin then guards UPDATEs on (state, stage_number), so two people
escalating the same case at once cannot both move it (raised -> raised keeps the state).
"""

from __future__ import annotations

import uuid

import pgtrigger
from django.conf import settings
from django.db import models
from django_fsm import ConcurrentTransitionMixin, FSMField, FSMIntegerField, FSMModelMixin, transition

from escalation import permissions
from escalation.states import (
    ActionStatus,
    Category,
    DeliveryMethod,
    DiscussionMethod,
    EmailStatus,
    StageOutcome,
    State,
)
from partnerships.choices import PanelRule, StepEvent, Urgency


class EscalationQuerySet(models.QuerySet):
    def open(self):
        return self.filter(state__in=[State.RAISED, State.IN_DISCUSSION])


class Escalation(ConcurrentTransitionMixin, FSMModelMixin, models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(max_length=20, unique=True, editable=False)
    partnership = models.ForeignKey("partnerships.Partnership", on_delete=models.PROTECT, related_name="escalations")
    policy = models.ForeignKey("partnerships.Policy", on_delete=models.PROTECT, related_name="escalations")
    children = models.ManyToManyField("cases.Child", related_name="escalations")
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="escalations_raised")
    raising_agency = models.ForeignKey(
        "partnerships.Agency", on_delete=models.PROTECT, related_name="escalations_raised"
    )
    receiving_agency = models.ForeignKey(
        "partnerships.Agency", on_delete=models.PROTECT, related_name="escalations_received"
    )
    receiving_professional = models.CharField(max_length=200, blank=True)
    category = models.CharField(max_length=40, choices=Category.choices)
    concern = models.TextField()
    why_unsafe = models.TextField()
    outcome_sought = models.TextField()
    urgency = models.CharField(max_length=32, choices=Urgency.choices, default=Urgency.STANDARD)
    state = FSMField(choices=State.choices, default=State.RAISED, protected=True)
    stage_number = FSMIntegerField(default=1)
    # Highest tier rank each side has reached (see partnerships.selectors.tier_rank):
    # people in a party agency see the case once it reaches their tier, by index.
    raising_tier_reached = models.SmallIntegerField(default=0)
    receiving_tier_reached = models.SmallIntegerField(default=-1)
    # Every role that has held a stage on each side ("|line_manager|practitioner|", see
    # partnerships.choices.roles_text): agency staff see a case once their role has held it,
    # so whoever may act on a stage can see it, and nobody else in the agency.
    raising_holder_roles = models.CharField(max_length=200, blank=True, default="")
    # Raised by a route that keeps it from the raiser's own agency (Bromley: "If staff feel
    # unsafe raising concerns within their own agency, they may escalate directly to external
    # managers"): on the raising side the raiser alone holds each stage; their managers are
    # neither told nor shown it (escalation.holders).
    kept_from_own_agency = models.BooleanField(default=False)
    receiving_holder_roles = models.CharField(max_length=200, blank=True, default="")
    # The open stage's deadline, copied here so lists sort and filter by it with an index.
    current_due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    raised_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    withdrawn_reason = models.TextField(blank=True)
    # Retention: kept until the youngest child is 25, then reviewed; a hold stops disposal.
    legal_hold = models.BooleanField(default=False)
    disposed_at = models.DateTimeField(null=True, blank=True)

    objects = EscalationQuerySet.as_manager()

    class Meta:
        ordering = ["-raised_at"]
        indexes = [
            models.Index(fields=["partnership", "state"]),
            models.Index(fields=["raising_agency", "state"]),
            models.Index(fields=["receiving_agency", "state"]),
            # "Raised by me" among the open ones: a practitioner's list reads only those rows.
            models.Index(fields=["raised_by", "state"]),
            # The default order and "Newest first": without it a page sorts the whole partnership.
            models.Index(fields=["-raised_at", "-id"], name="escalation_raised_desc"),
            # The same order within one partnership: what its business manager, chair and auditor
            # list, at the same cost however many other partnerships share the database.
            models.Index(fields=["partnership", "-raised_at", "-id"], name="escalation_partnership_raised"),
        ]

    def __str__(self) -> str:
        return self.reference

    @staticmethod
    def new_reference() -> str:
        # 12 hex digits: a clash needs ~16 million escalations for even odds (8 had ~65,000).
        return "ESC-" + uuid.uuid4().hex[:12].upper()

    @property
    def is_open(self) -> bool:
        return self.state in (State.RAISED, State.IN_DISCUSSION)

    def current_occurrence(self) -> StageOccurrence | None:
        """The open stage: from stage_history() if this copy has read it (and the state and
        stage have not moved since), otherwise from the database."""
        read = self.__dict__.get("_stage_history_current")
        if read is not None and read[0] == (self.state, self.stage_number):
            return read[1]
        return self.occurrences.filter(closed_at__isnull=True).select_related("policy_stage").first()

    def resolution_or_none(self):
        """The resolution record. Only resolving writes one, so only a resolved (or since
        closed) escalation is worth the query."""
        if self.state not in (State.RESOLVED, State.CLOSED):
            return None
        return getattr(self, "resolution", None)

    def stage_history(self) -> list[StageOccurrence]:
        """Every stage so far, in order, in one query that then answers current_occurrence()
        and unacknowledged_stages() for this copy: the escalation page's permission and
        condition checks ask for them many times. Only pages read it; services always ask
        the database."""
        from escalation.case_reads import stages_of  # compiled once; that module reads these models

        found = stages_of(self)
        current = next((o for o in reversed(found) if o.closed_at is None), None)
        self.__dict__["_stage_history_current"] = ((self.state, self.stage_number), current)
        self.__dict__["_stage_history"] = ((self.state, self.stage_number), found)
        return found

    def _stage_history_read(self) -> list[StageOccurrence] | None:
        """What stage_history() read, if this copy has read it and its state and stage have not moved since."""
        read = self.__dict__.get("_stage_history")
        return read[1] if read is not None and read[0] == (self.state, self.stage_number) else None

    def policy_stage(self, number: int | None = None):
        """The policy's stage (the current one by default); DoesNotExist past the last."""
        found = self.policy.stages_by_number().get(number or self.stage_number)
        if found is None:
            raise self.policy.stages.model.DoesNotExist(f"{self.policy} has no stage {number or self.stage_number}")
        return found

    def next_policy_stage(self):
        return self.policy.stages_by_number().get(self.stage_number + 1)

    @property
    def stage_count(self) -> int:
        return len(self.policy.stages_by_number())

    # --- conditions: side-effect free, read the policy ---------------------------------

    def has_next_stage(self) -> bool:
        return self.next_policy_stage() is not None

    def acknowledged_or_not_required(self) -> bool:
        """Acknowledged, or the stage asks for none, or its binding decision is on record (those
        who decided have plainly taken it up)."""
        occurrence = self.current_occurrence()
        return occurrence is not None and (
            occurrence.acknowledged_at is not None
            or not occurrence.policy_stage.acknowledgement_required
            or bool(occurrence.decision.strip())
        )

    def unacknowledged_stages(self) -> list[int]:
        """Agency stages so far that needed acknowledging and were not (the open one included)."""
        read = self._stage_history_read()
        if read is not None:
            return [
                o.number
                for o in read
                if o.acknowledged_at is None
                and o.policy_stage.acknowledgement_required
                and not o.policy_stage.is_partnership_stage
                and o.outcome != StageOutcome.PASSED
            ]
        return list(
            self.occurrences.filter(
                acknowledged_at__isnull=True,
                policy_stage__acknowledgement_required=True,
                policy_stage__is_partnership_stage=False,
            )
            .exclude(outcome=StageOutcome.PASSED)  # a route the policy allows waited for nobody
            .order_by("number")
            .values_list("number", flat=True)
        )

    def acknowledged_before_the_partnership(self) -> bool:
        """Nothing goes to the partnership unless someone at each agency stage acknowledged it:
        the partnership stage is for what the agencies' own managers could not resolve. (The
        policies' own routes past the stages use `pass_stage`, which records why.)"""
        following = self.next_policy_stage()
        if following is None or not following.is_partnership_stage:
            return True
        return not self.unacknowledged_stages()

    def decision_recorded_if_final(self) -> bool:
        """At the final (partnership) stage, or one the policy times by its decision, the binding
        decision must be on record first."""
        occurrence = self.current_occurrence()
        if occurrence is None:
            return False
        decides = occurrence.policy_stage.met_by == StepEvent.DECISION
        if self.has_next_stage() and not decides:
            return True
        return bool(occurrence.decision.strip())

    # --- transitions: only the model changes here; services do the rest ----------------

    def status_label(self) -> str:
        """The state as the page names it: a stage that asks for no acknowledgement (St Helens
        stage one) is not "awaiting acknowledgement"."""
        if self.state == State.RAISED and not self.stage_asks_for_acknowledgement():
            return "Open"
        return self.get_state_display()

    def stage_asks_for_acknowledgement(self) -> bool:
        """St Helens stage one (consulting your own manager) asks for none: nothing to acknowledge."""
        return self.policy_stage().acknowledgement_required

    @transition(
        field=state,
        source=State.RAISED,
        target=State.IN_DISCUSSION,
        conditions=[stage_asks_for_acknowledgement],
        permission=permissions.can_acknowledge,
    )
    def acknowledge(self, *, by=None):
        pass

    @transition(
        field=state,
        source=[State.RAISED, State.IN_DISCUSSION],
        target=State.RAISED,
        conditions=[has_next_stage, acknowledged_before_the_partnership],
        permission=permissions.can_escalate,
    )
    def escalate(self, *, by=None):
        self.stage_number += 1

    @transition(
        field=state, source=[State.RAISED, State.IN_DISCUSSION], target=State.RAISED, conditions=[has_next_stage]
    )
    def pass_stage(self, *, by=None):
        """A route the policy allows past a stage (escalation.routes checks who may take it)."""
        self.stage_number += 1

    @transition(
        field=state,
        source=[State.RAISED, State.IN_DISCUSSION],
        target=State.RESOLVED,
        conditions=[acknowledged_or_not_required, decision_recorded_if_final],
        permission=permissions.can_resolve,
    )
    def resolve(self, *, at, by=None):
        self.resolved_at = at

    @transition(field=state, source=State.RESOLVED, target=State.CLOSED, permission=permissions.can_close)
    def close(self, *, at, by=None):
        self.closed_at = at

    @transition(
        field=state,
        source=[State.RAISED, State.IN_DISCUSSION],
        target=State.WITHDRAWN,
        permission=permissions.can_withdraw,
    )
    def withdraw(self, *, at, reason, by=None):
        self.withdrawn_reason = reason
        self.closed_at = at


class StageOccurrence(models.Model):
    """One stage an escalation passed through: who held it, when it was due, how it ended."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    escalation = models.ForeignKey(Escalation, on_delete=models.PROTECT, related_name="occurrences")
    # The escalation's partnership, copied here (save() fills it in) so the dashboard counts a
    # partnership's stages without reading every stage of every partnership through the escalations.
    partnership = models.ForeignKey(
        "partnerships.Partnership", on_delete=models.PROTECT, related_name="+", editable=False
    )
    policy_stage = models.ForeignKey("partnerships.PolicyStage", on_delete=models.PROTECT, related_name="+")
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    clock_started_at = models.DateTimeField()
    due_at = models.DateTimeField()
    arrived_out_of_hours = models.BooleanField(default=False)
    uses_default_timescale = models.BooleanField(default=False)
    timescale_description = models.CharField(max_length=100)
    evidence_of_previous_efforts = models.TextField(blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    warned_at = models.DateTimeField(null=True, blank=True)
    # When the event the policy times happened (PolicyStage.met_by), if it is not the stage's end.
    step_met_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    decision = models.TextField(blank=True, help_text="The binding decision at a partnership stage.")
    closed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=20, choices=StageOutcome.choices, blank=True)
    timescale_met = models.BooleanField(null=True)
    reason_not_met = models.TextField(blank=True)

    class Meta:
        ordering = ["escalation", "number"]
        constraints = [
            # At most one open stage per escalation, whatever the code above does.
            models.UniqueConstraint(
                fields=["escalation"], condition=models.Q(closed_at__isnull=True), name="one_open_stage_per_escalation"
            ),
            models.UniqueConstraint(fields=["escalation", "number"], name="each_stage_once_per_escalation"),
            models.CheckConstraint(
                condition=models.Q(due_at__gte=models.F("clock_started_at")), name="due_not_before_start"
            ),
        ]
        # A closed stage is history: PostgreSQL refuses to change or delete it.
        triggers = [
            pgtrigger.Protect(name="stage_occurrence_no_delete", operation=pgtrigger.Delete),
            pgtrigger.Protect(
                name="closed_stage_occurrence_frozen",
                operation=pgtrigger.Update,
                condition=pgtrigger.Q(old__closed_at__isnull=False),
            ),
        ]
        indexes = [
            # The watcher's scans: stages still timed (open, unbreached, step not met) by deadline.
            models.Index(
                fields=["due_at"],
                condition=models.Q(closed_at__isnull=True, breached_at__isnull=True, step_met_at__isnull=True),
                name="open_unbreached_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.escalation} stage {self.number}"

    def save(self, *args, **kwargs):
        if self.partnership_id is None:
            self.partnership_id = self.escalation.partnership_id
        super().save(*args, **kwargs)

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    def step_met_on_time(self, ended_at) -> bool:
        """Met if the policy's timed event (or, failing that, the stage's end) came in time."""
        return (self.step_met_at or ended_at) <= self.due_at


class Discussion(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    occurrence = models.ForeignKey(StageOccurrence, on_delete=models.PROTECT, related_name="discussions")
    held_at = models.DateTimeField()
    method = models.CharField(max_length=20, choices=DiscussionMethod.choices)
    participants = models.TextField()
    areas_of_agreement = models.TextField(blank=True)
    areas_of_disagreement = models.TextField(blank=True)
    outcome = models.TextField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["held_at"]

    def __str__(self) -> str:
        return f"{self.get_method_display()} discussion, {self.held_at:%d %b %Y}"


class Action(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    escalation = models.ForeignKey(Escalation, on_delete=models.PROTECT, related_name="actions")
    discussion = models.ForeignKey(Discussion, on_delete=models.PROTECT, null=True, blank=True, related_name="actions")
    description = models.TextField()
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    owner_name = models.CharField(max_length=200, blank=True)
    due_on = models.DateField()
    status = models.CharField(max_length=20, choices=ActionStatus.choices, default=ActionStatus.OPEN)
    overdue_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on"]
        indexes = [
            models.Index(
                fields=["due_on"],
                condition=models.Q(status="open", overdue_notified_at__isnull=True),
                name="open_actions_due",
            ),
            # The visibility rule's "owns an agreed action on this case", answered from the index alone.
            models.Index(fields=["owner", "escalation"], name="actions_by_owner"),
        ]

    def __str__(self) -> str:
        return self.description[:60]


class Resolution(models.Model):
    """The resolution record (the St Helens template, 004): what was agreed and learnt."""

    escalation = models.OneToOneField(Escalation, on_delete=models.PROTECT, related_name="resolution")
    resolved_on = models.DateField()
    stage_resolved = models.PositiveIntegerField()
    agreed_outcome = models.TextField()
    issues_raised = models.TextField(blank=True)
    lessons_learnt = models.TextField(blank=True)
    # "If this process discloses gaps or weaknesses in the policies and procedures of [the
    # Board] this must be brought to the attention of the chair" (St Helens): the chair is told.
    policy_gaps = models.TextField(blank=True)
    main_reason = models.CharField(max_length=40, choices=Category.choices)
    practitioners_informed = models.TextField(blank=True)
    family_informed = models.BooleanField(null=True)
    family_not_informed_reason = models.TextField(blank=True)
    case_review_recommended = models.BooleanField(default=False)
    method_of_delivery = models.CharField(
        max_length=20, choices=DeliveryMethod.choices, default=DeliveryMethod.SERVICE, blank=True
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        triggers = [pgtrigger.Protect(name="resolution_frozen", operation=pgtrigger.Update | pgtrigger.Delete)]

    def __str__(self) -> str:
        return f"Resolution of {self.escalation}"


class PartnershipReview(models.Model):
    """How the partnership stage reaches its decision: panel, mediation or impartial review."""

    occurrence = models.OneToOneField(StageOccurrence, on_delete=models.PROTECT, related_name="review")
    formal_use_recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    arrangement = models.CharField(max_length=32, choices=PanelRule.choices)
    chair = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    chair_agency = models.ForeignKey(
        "partnerships.Agency", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    meeting_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.get_arrangement_display()} for {self.occurrence}"


class PanelMember(models.Model):
    review = models.ForeignKey(PartnershipReview, on_delete=models.PROTECT, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey("partnerships.Agency", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["review", "user"], name="one_seat_per_person")]

    def __str__(self) -> str:
        return f"{self.user} ({self.agency})"


class NotificationKind(models.TextChoices):
    # The watcher's.
    WARNING = "warning", "Deadline approaching"
    BREACH = "breach", "Deadline missed"
    ACTION_OVERDUE = "action_overdue", "Agreed action overdue"
    # A resolution that names gaps or weaknesses in the partnership's policies, for its chair.
    POLICY_GAPS = "policy_gaps", "Gaps in policies or procedures"
    # The conversation's: one per event (partnerships.choices.Event), same values.
    RAISED = "raised", "New disagreement"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    ESCALATED = "escalated", "Escalated"
    RECORDED = "recorded", "Discussion recorded"
    ARRANGED = "arranged", "Partnership stage arranged"
    ACTION_ASSIGNED = "action_assigned", "Agreed action for you"
    DECIDED = "decided", "Decision recorded"
    RESOLVED = "resolved", "Resolved"
    WITHDRAWN = "withdrawn", "Withdrawn"
    URGENCY_CHANGED = "urgency_changed", "Urgency changed"


class Notification(models.Model):
    """An outbox row: written in the transaction that caused it, delivered afterwards.

    Unique per (stage occurrence, discussion or action; kind; recipient), so two watchers, a
    rerun after downtime or a retried request cannot notify anyone twice.
    """

    # Rows written per INSERT: a prepared statement carries at most 65,535 values, and an agency
    # whose whole tier holds a stage can be thousands of people.
    WRITE_BATCH = 1000

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="notifications")
    escalation = models.ForeignKey(Escalation, on_delete=models.PROTECT, related_name="notifications")
    occurrence = models.ForeignKey(
        StageOccurrence, on_delete=models.PROTECT, null=True, blank=True, related_name="notifications"
    )
    action = models.ForeignKey(Action, on_delete=models.PROTECT, null=True, blank=True, related_name="notifications")
    discussion = models.ForeignKey(
        Discussion, on_delete=models.PROTECT, null=True, blank=True, related_name="notifications"
    )
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    message = models.TextField(help_text="Reference, stage and deadline only: never a child's details.")
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    email_status = models.CharField(max_length=10, choices=EmailStatus.choices, default=EmailStatus.PENDING)
    email_not_before = models.DateTimeField(help_text="Out-of-hours notices wait for the next opening.")
    email_attempts = models.PositiveIntegerField(default=0)
    email_claimed_at = models.DateTimeField(null=True, blank=True)
    email_sent_at = models.DateTimeField(null=True, blank=True)
    email_last_error = models.TextField(blank=True)
    # A non-urgent notice to someone who chose the daily digest is e-mailed in it (escalation.digests).
    digest = models.ForeignKey(
        "escalation.EmailDigest", on_delete=models.PROTECT, null=True, blank=True, related_name="notices"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["occurrence", "kind", "recipient"],
                condition=models.Q(occurrence__isnull=False, discussion__isnull=True),
                name="one_notice_per_stage_kind_recipient",
            ),
            # A stage can have many discussions: each is told once.
            models.UniqueConstraint(
                fields=["discussion", "kind", "recipient"],
                condition=models.Q(discussion__isnull=False),
                name="one_notice_per_discussion_kind_recipient",
            ),
            models.UniqueConstraint(
                fields=["action", "kind", "recipient"],
                condition=models.Q(action__isnull=False),
                name="one_notice_per_action_kind_recipient",
            ),
        ]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="unread_by_recipient"),
            # The visibility rule's "was told of this case", asked of each candidate case in a list.
            models.Index(fields=["escalation", "recipient"], name="notices_by_case"),
            models.Index(
                fields=["email_not_before"],
                condition=models.Q(email_status__in=["pending", "failed", "sending"]),
                name="undelivered_email",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.recipient}"

    @property
    def message_on_page(self) -> str:
        """The message without the e-mail's closing link: on the page the case is a link beside it."""
        text, _, _ = self.message.rpartition(" Open it: ")
        return text or self.message


class AuditResult(models.TextChoices):
    PENDING = "pending", "Not checked yet"
    MET = "met", "Policy followed"
    PARTLY = "partly", "Policy partly followed"
    NOT_MET = "not_met", "Policy not followed"


class AuditSample(models.Model):
    """A random sample of closed escalations for quality assurance (Bromley, 003)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    partnership = models.ForeignKey("partnerships.Partnership", on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    size = models.PositiveIntegerField()
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Audit sample of {self.size}, {self.created_at:%d %b %Y}"


class AuditCheck(models.Model):
    sample = models.ForeignKey(AuditSample, on_delete=models.PROTECT, related_name="checks")
    escalation = models.ForeignKey(Escalation, on_delete=models.PROTECT, related_name="audit_checks")
    result = models.CharField(max_length=10, choices=AuditResult.choices, default=AuditResult.PENDING)
    notes = models.TextField(blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["sample", "id"]
        constraints = [models.UniqueConstraint(fields=["sample", "escalation"], name="escalation_once_per_sample")]

    def __str__(self) -> str:
        return f"{self.escalation}: {self.get_result_display()}"


class RetentionDecisionKind(models.TextChoices):
    DISPOSE = "dispose", "Disposal confirmed"
    HOLD = "hold", "Legal hold placed"
    RELEASE = "release", "Legal hold released"


class RetentionDecision(models.Model):
    """Every retention decision, kept for good (never changed or deleted)."""

    escalation = models.ForeignKey(Escalation, on_delete=models.PROTECT, related_name="retention_decisions")
    decision = models.CharField(max_length=10, choices=RetentionDecisionKind.choices)
    reason = models.TextField()
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["decided_at"]
        triggers = [pgtrigger.Protect(name="retention_decision_frozen", operation=pgtrigger.Update | pgtrigger.Delete)]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} for {self.escalation}"


# Models kept in their own modules, imported here so Django finds them: attachments, drafts,
# e-mail preferences and the daily digest, and operational rows (submitted forms, the
# watcher's heartbeat).
from escalation.attachments import Attachment  # noqa: E402, F401
from escalation.digest_models import EmailDigest, EmailFrequency, EmailPreference  # noqa: E402, F401
from escalation.drafts import Draft  # noqa: E402, F401
from escalation.operations import Submission, WatcherHeartbeat  # noqa: E402,F401
