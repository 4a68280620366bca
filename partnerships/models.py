"""Partnerships, their agencies, people's roles, calendars and escalation policies."""

from __future__ import annotations

import uuid
from datetime import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from partnerships.choices import (
    AGENCY_ROLES,
    PARTNERSHIP_ROLES,
    ROLE_TIER,
    AgencyType,
    Audience,
    BreachTarget,
    Category,
    ClockStart,
    Event,
    Nation,
    PanelRule,
    Role,
    Route,
    StepEvent,
    Tier,
    TimescaleUnit,
    Urgency,
)
from partnerships.compiled import CompiledQuery


class Partnership(models.Model):
    """A local safeguarding children partnership: the unit every record is scoped to."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=200)
    nation = models.CharField(max_length=32, choices=Nation.choices, default=Nation.ENGLAND_AND_WALES)
    opens = models.TimeField(default=time(9, 0))
    closes = models.TimeField(default=time(17, 0))
    # Out-of-hours warnings and breaches wait for the next opening unless urgent.
    hold_out_of_hours_email = models.BooleanField(default=True)
    policy = models.ForeignKey(
        "partnerships.Policy", on_delete=models.PROTECT, null=True, blank=True, related_name="partnerships"
    )
    # Signposts: where to go for what is not a professional disagreement (shown on the raise and case pages).
    front_door_phone = models.CharField(
        "children's services front door phone",
        max_length=100,
        blank=True,
        help_text="The MASH or children's social care contact number for a child at risk or a new referral.",
    )
    emergency_duty_phone = models.CharField(
        "emergency duty team phone", max_length=100, blank=True, help_text="Children's social care out of hours."
    )
    lado_phone = models.CharField(
        "LADO phone",
        max_length=100,
        blank=True,
        help_text="The Local Authority Designated Officer: concerns about an adult who works with children.",
    )
    lado_email = models.EmailField("LADO e-mail", blank=True)
    whistleblowing_advice = models.TextField(
        blank=True,
        help_text="A sentence or two on whistleblowing. Left blank, people are told to follow their own "
        "organisation's whistleblowing policy.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def working_calendar(self, closure_days=None):
        """The partnership's calendar; its closure days are read unless given
        (partnerships.selectors.working_calendars reads several partnerships' in one query)."""
        from partnerships.calendar import WorkingCalendar

        if closure_days is None:
            closure_days = self.closure_days.values_list("date", flat=True)
        return WorkingCalendar(
            nation=self.nation,
            closure_days=frozenset(closure_days),
            opens=self.opens,
            closes=self.closes,
        )


class ClosureDay(models.Model):
    """A day the partnership's offices are closed beyond bank holidays (e.g. a one-off holiday)."""

    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="closure_days")
    date = models.DateField()
    reason = models.CharField(max_length=200)

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["partnership", "date"], name="one_closure_per_day")]

    def __str__(self) -> str:
        return f"{self.date:%d %B %Y}: {self.reason}"


class Agency(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    partnership = models.ForeignKey(Partnership, on_delete=models.PROTECT, related_name="agencies")
    name = models.CharField(max_length=200)
    type = models.CharField(max_length=32, choices=AgencyType.choices)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "agencies"
        constraints = [
            models.UniqueConstraint(fields=["partnership", "name"], name="agency_name_unique_in_partnership")
        ]

    def __str__(self) -> str:
        return self.name


class MembershipQuerySet(models.QuerySet):
    def active(self):
        """Roles held now: any with an end date set has ended (an administrator sets it when the
        person leaves the role, not ahead of time)."""
        return self.filter(ended__isnull=True, user__is_active=True)


class Membership(models.Model):
    """A user's role: in an agency (practitioner … executive lead) or in the partnership."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    partnership = models.ForeignKey(Partnership, on_delete=models.PROTECT, related_name="memberships")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="memberships")
    role = models.CharField(max_length=32, choices=Role.choices)
    job_title = models.CharField(max_length=200, blank=True)
    started = models.DateField(auto_now_add=True)
    ended = models.DateField(
        null=True,
        blank=True,
        help_text="The day the person left the role. Set it when they leave, not ahead: from then on they no "
        "longer hold it, see its cases or get its notices.",
    )

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["partnership", "agency", "role"]
        constraints = [
            models.UniqueConstraint(fields=["user", "partnership", "agency", "role"], name="one_membership_per_role"),
            # Agency roles need an agency; partnership roles have none.
            models.CheckConstraint(
                condition=(
                    models.Q(role__in=sorted(r.value for r in AGENCY_ROLES), agency__isnull=False)
                    | models.Q(role__in=sorted(r.value for r in PARTNERSHIP_ROLES), agency__isnull=True)
                ),
                name="agency_roles_have_an_agency",
            ),
        ]

    def __str__(self) -> str:
        where = self.agency or self.partnership
        return f"{self.user} — {self.get_role_display()}, {where}"

    @property
    def tier(self) -> Tier | None:
        return ROLE_TIER.get(Role(self.role))

    def clean(self):
        if self.agency_id and self.agency.partnership_id != self.partnership_id:
            raise ValidationError({"agency": "The agency must belong to the same partnership."})
        if self.role in AGENCY_ROLES and not self.agency_id:
            raise ValidationError({"agency": "Choose the agency this person works for."})
        if self.role in PARTNERSHIP_ROLES and self.agency_id:
            raise ValidationError({"agency": "Partnership roles are not held in an agency. Leave the agency empty."})


class PolicyStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "In use"
    SUPERSEDED = "superseded", "Replaced"


class Policy(models.Model):
    """An escalation policy: ordered stages. Presets are copied in; a copy can be edited.

    Each row is one version: a partnership edits a draft (a copy of its current version or of
    a preset) and publishing makes it the partnership's policy. Versions are never changed once
    published, because running escalations (and every child's file) refer to their stages."""

    slug = models.SlugField(unique=True)
    partnership = models.ForeignKey(
        Partnership,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="policy_versions",
        help_text="The partnership whose version this is. Empty: a preset, shared by every partnership using it.",
    )
    version = models.PositiveIntegerField(default=1)
    status = models.CharField(max_length=16, choices=PolicyStatus.choices, default=PolicyStatus.PUBLISHED)
    based_on = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # The version in use until this one was published (perhaps a shared preset): still readable
    # from the partnership's versions, since its escalations keep it.
    replaces = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    change_summary = models.TextField(blank=True, help_text="What this version changes, in a sentence or two.")
    adopted_on = models.DateField(null=True, blank=True, help_text="When the partnership adopted this policy.")
    review_by = models.DateField(null=True, blank=True, help_text="When the partnership must review it.")
    # A draft's proposed calendar and signposts (partnership settings, applied when it is published).
    partnership_settings = models.JSONField(default=dict, blank=True)
    name = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    source_document = models.CharField(max_length=200, blank=True)
    source_title = models.CharField("title of the source document", max_length=300, blank=True)
    preset = models.SlugField(blank=True, help_text="The preset this policy was copied from, if any.")
    default_timescale_amount = models.PositiveIntegerField(default=5)
    default_timescale_unit = models.CharField(
        max_length=32, choices=TimescaleUnit.choices, default=TimescaleUnit.WORKING_DAYS
    )
    email_advice = models.TextField(blank=True, help_text="Shown when a discussion is recorded as held by e-mail.")
    warning_working_days = models.PositiveIntegerField(
        default=1, help_text="How many working days before a deadline the holders are warned."
    )
    auto_escalate_on_breach = models.BooleanField(default=False)
    routes = models.JSONField(
        default=list, blank=True, help_text='Routes past the stages the policy allows, e.g. ["urgent_all_stages"].'
    )

    class Meta:
        ordering = ["name", "version"]
        verbose_name_plural = "policies"
        constraints = [
            models.UniqueConstraint(
                fields=["partnership", "version"],
                condition=models.Q(partnership__isnull=False),
                name="one_policy_version_number_per_partnership",
            ),
            models.UniqueConstraint(
                fields=["partnership"],
                condition=models.Q(status="draft"),
                name="one_policy_draft_per_partnership",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_draft(self) -> bool:
        return self.status == PolicyStatus.DRAFT

    def review_overdue(self, today) -> bool:
        return bool(self.review_by and self.review_by < today)

    def clean(self):
        valid = {r.value for r in Route}
        if not isinstance(self.routes, list) or not set(self.routes) <= valid:
            raise ValidationError({"routes": f"Use a list of: {', '.join(sorted(valid))}."})

    def allows(self, route) -> bool:
        return Route(route).value in (self.routes or [])

    def default_timescale(self):
        from partnerships.presets.base import Timescale

        return Timescale(self.default_timescale_amount, TimescaleUnit(self.default_timescale_unit))

    def timescale_for(self, stage: PolicyStage, urgency: str):
        """(Timescale, uses_default): the stage's timescale at this urgency, or the policy default."""
        default = self.default_timescale()
        timescale = stage.as_preset().timescale_for(Urgency(urgency), default)
        return timescale, timescale is default

    def stage_deadline(self, stage: PolicyStage, urgency: str, calendar, start, receiving_agency_type=None):
        """(Deadline, Timescale, uses_default): the one rule for a stage's deadline. Urgency
        only tightens: the earliest of this urgency's timescale and every less urgent one's
        (and of any the policy sets for the other agency's type)."""
        default = self.default_timescale()
        deadline, timescale = stage.as_preset().deadline(
            calendar, start, Urgency(urgency), default, receiving_agency_type=receiving_agency_type
        )
        return deadline, timescale, timescale is default

    def stage(self, number: int) -> PolicyStage:
        return self.stages.get(number=number)

    def stages_by_number(self) -> dict[int, PolicyStage]:
        """{number: stage}, read once per Policy instance: building one escalation page asks
        about the current and next stage a dozen times (permissions, conditions, template)."""
        memo = self.__dict__.get("_stages_by_number")
        if memo is None:
            memo = {}
            for stage in STAGES_OF_POLICY(policy_id=self.pk):
                stage.policy = self
                memo[stage.number] = stage
            self.__dict__["_stages_by_number"] = memo
        return memo

    @property
    def stage_count(self) -> int:
        return self.stages.count()


class PolicyStage(models.Model):
    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="stages")
    number = models.PositiveIntegerField()
    name = models.CharField(max_length=200)
    guidance = models.TextField(blank=True)
    raiser_tier = models.CharField(max_length=32, choices=Tier.choices)
    receiver_tier = models.CharField(
        max_length=32, choices=Tier.choices, blank=True, help_text="Empty: the other agency takes no part yet."
    )
    timescale_amount = models.PositiveIntegerField(null=True, blank=True)
    timescale_unit = models.CharField(max_length=32, choices=TimescaleUnit.choices, blank=True)
    child_protection_amount = models.PositiveIntegerField(null=True, blank=True)
    child_protection_unit = models.CharField(max_length=32, choices=TimescaleUnit.choices, blank=True)
    immediate_risk_amount = models.PositiveIntegerField(null=True, blank=True)
    immediate_risk_unit = models.CharField(max_length=32, choices=TimescaleUnit.choices, blank=True)
    clock_starts = models.CharField(max_length=32, choices=ClockStart.choices, default=ClockStart.STAGE_START)
    met_by = models.CharField(
        max_length=32,
        choices=StepEvent.choices,
        default=StepEvent.STAGE_END,
        help_text="The event that meets this stage's timescale.",
    )
    evidence_of_previous_stage_required = models.BooleanField(default=False)
    acknowledgement_required = models.BooleanField(default=True)
    breach_targets = models.JSONField(default=list, blank=True)
    is_partnership_stage = models.BooleanField(default=False)
    panel_rule = models.CharField(max_length=32, choices=PanelRule.choices, default=PanelRule.NONE)
    panel_min_agencies = models.PositiveIntegerField(null=True, blank=True)
    panel_alternatives = models.JSONField(
        default=list, blank=True, help_text='Other arrangements the policy allows, e.g. ["direct_liaison"].'
    )
    raiser_roles = models.JSONField(
        default=list,
        blank=True,
        help_text='The roles that may hold this stage in the raising agency, e.g. ["line_manager", '
        '"safeguarding_lead"]. Empty: the role of the tier.',
    )
    receiver_roles = models.JSONField(
        default=list, blank=True, help_text="The same for the receiving agency. Empty: the role of the tier."
    )
    holder_agency_type = models.CharField(
        max_length=32,
        choices=AgencyType.choices,
        blank=True,
        help_text="Held in the partnership's agency of this type, whichever agencies disagree "
        "(e.g. the Director of Children's Services' decision). Empty: the two agencies in the disagreement.",
    )
    joined_by_agency_type = models.CharField(
        max_length=32,
        choices=AgencyType.choices,
        blank=True,
        help_text="The partnership's agency of this type also holds the stage, by the stage's roles, when it "
        "is not one of the two agencies (e.g. a Head of Service in children's social care). Empty: nobody joins.",
    )
    joined_when_about = models.JSONField(
        default=list,
        blank=True,
        help_text='Only for disagreements about these, e.g. ["threshold"]. Empty: every disagreement.',
    )
    joined_at_urgency = models.JSONField(
        default=list,
        blank=True,
        help_text='Only when the disagreement is this urgent, e.g. ["immediate_risk"]. Empty: at every urgency.',
    )
    joiner_roles = models.JSONField(
        default=list,
        blank=True,
        help_text='The joining agency\'s roles that take part, e.g. ["practitioner"]. Empty: the stage\'s own roles.',
    )
    receiving_agency_timescales = models.JSONField(
        default=dict,
        blank=True,
        help_text='A tighter timescale where the other agency is of a type, e.g. {"childrens_social_care": '
        '[1, "working_days"]}.',
    )
    notify = models.JSONField(
        default=dict,
        blank=True,
        help_text='Who else is told of an event at this stage, e.g. {"escalated": ["business_manager", "chair"]}.',
    )

    class Meta:
        ordering = ["policy", "number"]
        constraints = [models.UniqueConstraint(fields=["policy", "number"], name="stage_number_unique_in_policy")]

    def __str__(self) -> str:
        return f"Stage {self.number}: {self.name}"

    def clean(self):
        valid = {t.value for t in BreachTarget}
        if not isinstance(self.breach_targets, list) or not set(self.breach_targets) <= valid:
            raise ValidationError({"breach_targets": f"Use a list of: {', '.join(sorted(valid))}."})
        agency_roles = {r.value for r in AGENCY_ROLES}
        for field in ("raiser_roles", "receiver_roles", "joiner_roles"):
            named = getattr(self, field)
            if not isinstance(named, list) or not set(named) <= agency_roles:
                raise ValidationError({field: f"Use a list of agency roles: {', '.join(sorted(agency_roles))}."})
        arrangements = {r.value for r in PanelRule} - {PanelRule.NONE.value}
        if not isinstance(self.panel_alternatives, list) or not set(self.panel_alternatives) <= arrangements:
            raise ValidationError(
                {"panel_alternatives": f"Use a list of arrangements: {', '.join(sorted(arrangements))}."}
            )
        if self.joined_by_agency_type and (self.holder_agency_type or self.is_partnership_stage):
            raise ValidationError(
                {
                    "joined_by_agency_type": "Only a stage held by the two agencies can be joined by another: "
                    "leave this empty, or the agency that holds it"
                }
            )
        categories = {c.value for c in Category}
        if not isinstance(self.joined_when_about, list) or not set(self.joined_when_about) <= categories:
            raise ValidationError({"joined_when_about": f"Use a list of: {', '.join(sorted(categories))}."})
        urgencies = {u.value for u in Urgency}
        if not isinstance(self.joined_at_urgency, list) or not set(self.joined_at_urgency) <= urgencies:
            raise ValidationError({"joined_at_urgency": f"Use a list of: {', '.join(sorted(urgencies))}."})
        if (self.joined_when_about or self.joined_at_urgency or self.joiner_roles) and not self.joined_by_agency_type:
            raise ValidationError(
                {"joined_by_agency_type": "Choose the agency that joins the stage, or untick when and who joins"}
            )
        if not _valid_agency_timescales(self.receiving_agency_timescales):
            raise ValidationError(
                {
                    "receiving_agency_timescales": "Use agency types with [amount, unit], e.g. "
                    '{"childrens_social_care": [1, "working_days"]}, with an amount of 0 or more.'
                }
            )
        events, audiences = {e.value for e in Event}, {a.value for a in Audience}
        if not isinstance(self.notify, dict) or any(
            event not in events or not isinstance(named, list) or not set(named) <= audiences
            for event, named in self.notify.items()
        ):
            raise ValidationError(
                {
                    "notify": f"Use events ({', '.join(sorted(events))}) each with a list of "
                    f"({', '.join(sorted(audiences))})."
                }
            )
        for amount, unit, label in (
            ("timescale_amount", "timescale_unit", "timescale"),
            ("child_protection_amount", "child_protection_unit", "child protection timescale"),
            ("immediate_risk_amount", "immediate_risk_unit", "immediate risk timescale"),
        ):
            if (getattr(self, amount) is None) != (not getattr(self, unit)):
                raise ValidationError({unit: f"Give both the amount and the unit of the {label}, or neither."})

    def as_preset(self):
        """This stage as the frozen data the deadline rules work on (one rule, two sources)."""
        from partnerships.presets.base import StagePreset, Timescale

        def timescale(amount, unit):
            return Timescale(amount, TimescaleUnit(unit)) if unit else None

        return StagePreset(
            name=self.name,
            guidance=self.guidance,
            raiser_tier=Tier(self.raiser_tier),
            receiver_tier=Tier(self.receiver_tier) if self.receiver_tier else None,
            timescale=timescale(self.timescale_amount, self.timescale_unit),
            child_protection=timescale(self.child_protection_amount, self.child_protection_unit),
            immediate_risk=timescale(self.immediate_risk_amount, self.immediate_risk_unit),
            clock_starts=ClockStart(self.clock_starts),
            met_by=StepEvent(self.met_by),
            evidence_of_previous_stage_required=self.evidence_of_previous_stage_required,
            acknowledgement_required=self.acknowledgement_required,
            breach_targets=tuple(BreachTarget(t) for t in self.breach_targets),
            is_partnership_stage=self.is_partnership_stage,
            panel_rule=PanelRule(self.panel_rule),
            panel_min_agencies=self.panel_min_agencies,
            panel_alternatives=tuple(PanelRule(r) for r in self.panel_alternatives or ()),
            holder_agency_type=AgencyType(self.holder_agency_type) if self.holder_agency_type else None,
            joined_by_agency_type=AgencyType(self.joined_by_agency_type) if self.joined_by_agency_type else None,
            joined_when_about=tuple(Category(c) for c in self.joined_when_about or ()),
            joined_at_urgency=tuple(Urgency(u) for u in self.joined_at_urgency or ()),
            joiner_roles=tuple(Role(r) for r in self.joiner_roles or ()),
            receiving_agency_timescales=tuple(
                (AgencyType(kind), Timescale(amount, TimescaleUnit(unit)))
                for kind, (amount, unit) in sorted((self.receiving_agency_timescales or {}).items())
            ),
            raiser_roles=tuple(Role(r) for r in self.raiser_roles or ()),
            receiver_roles=tuple(Role(r) for r in self.receiver_roles or ()),
            notify=tuple(
                (Event(event), tuple(Audience(a) for a in named))
                for event, named in sorted((self.notify or {}).items())
            ),
        )

    def joined_by(self, category: str | None, urgency: str | None = None):
        """See StagePreset.joined_by."""
        return self._frozen().joined_by(category, urgency)

    def joining_roles(self):
        """See StagePreset.joining_roles."""
        return self._frozen().joining_roles()

    def _frozen(self):
        """as_preset, read once per instance (the people of a stage are asked for many times)."""
        memo = self.__dict__.get("_frozen_preset")
        if memo is None:
            memo = self.__dict__["_frozen_preset"] = self.as_preset()
        return memo

    def holder_roles(self, side: str):
        """See StagePreset.holder_roles; memoised, the page asks for each side many times."""
        memo = self.__dict__.setdefault("_holder_roles", {})
        if side not in memo:
            memo[side] = self.as_preset().holder_roles(side)
        return memo[side]

    @property
    def has_own_timescale(self) -> bool:
        return bool(self.timescale_unit)


def _valid_agency_timescales(value) -> bool:
    if not isinstance(value, dict):
        return False
    types, units = {t.value for t in AgencyType}, {u.value for u in TimescaleUnit}
    for kind, timescale in value.items():
        if kind not in types or not isinstance(timescale, list) or len(timescale) != 2:
            return False
        amount, unit = timescale
        if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0 or unit not in units:
            return False
    return True


class EnrolmentLink(models.Model):
    """A one-time link an administrator issues so that a person whose role requires two-factor
    sign-in can set up their authenticator app (partnerships/enrolment.py). Without one, the
    first person to learn the password could bind their own app to the account.

    Only a hash of the link's secret is stored. Each row is also the record of the link: who
    issued it, for whom, how, when it expires and when it was used."""

    class IssuedVia(models.TextChoices):
        ADMIN = "admin", "The administration pages"
        COMMAND = "command", "The enrolment_link command"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrolment_links")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    issued_via = models.CharField(max_length=16, choices=IssuedVia.choices)
    issued_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-issued_at"]

    def __str__(self) -> str:
        return f"Set-up link for {self.user} issued {self.issued_at:%d %b %Y %H:%M}"


from partnerships.session_model import SignedInSession  # noqa: E402, F401  (registers the model)

# A policy's stages, asked on every page about a case: compiled once (partnerships/compiled.py).
STAGES_OF_POLICY = CompiledQuery(
    lambda policy_id: PolicyStage.objects.filter(policy_id=policy_id).order_by("number"), policy_id=-2_147_480_201
)
