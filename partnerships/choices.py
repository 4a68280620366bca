"""Enumerations shared by the policy engine, the calendar and the models.

Kept free of Django model imports so the pure modules (calendar maths, presets) can use
them in unit tests without a database.
"""

from django.db import models


class Nation(models.TextChoices):
    """UK nations with their own bank holidays (England and Wales share one list)."""

    ENGLAND_AND_WALES = "england-and-wales", "England and Wales"
    SCOTLAND = "scotland", "Scotland"
    NORTHERN_IRELAND = "northern-ireland", "Northern Ireland"


class TimescaleUnit(models.TextChoices):
    WORKING_DAYS = "working_days", "working days"
    WORKING_HOURS = "working_hours", "working hours"
    CALENDAR_HOURS = "calendar_hours", "hours"
    SAME_WORKING_DAY = "same_working_day", "same working day"


class ClockStart(models.TextChoices):
    """What a stage's timescale counts from."""

    STAGE_START = "stage_start", "when the stage starts"
    ACKNOWLEDGEMENT = "acknowledgement", "when the stage is acknowledged"


class Urgency(models.TextChoices):
    STANDARD = "standard", "Standard"
    CHILD_PROTECTION = "child-protection", "Child protection"
    IMMEDIATE_RISK = "immediate-risk", "Immediate risk of significant harm"


class Tier(models.TextChoices):
    """Who handles a stage on one side of the disagreement, lowest first."""

    PRACTITIONER = "practitioner", "Practitioner"
    LINE_MANAGER = "line_manager", "Line manager"
    SAFEGUARDING_LEAD = "safeguarding_lead", "Designated or named safeguarding lead"
    SENIOR_MANAGER = "senior_manager", "Senior manager or head of service"
    EXECUTIVE = "executive", "Executive lead or director"
    PARTNERSHIP = "partnership", "Safeguarding partnership"


TIER_ORDER = [t.value for t in Tier]


class BreachTarget(models.TextChoices):
    """Who is told when a stage's deadline passes."""

    NEXT_TIER = "next_tier", "The next tier in both agencies"
    RAISER = "raiser", "The practitioner who raised it"
    BUSINESS_MANAGER = "business_manager", "The partnership business manager"


class PanelRule(models.TextChoices):
    """How a partnership stage reaches its binding decision."""

    NONE = "none", "Not a partnership stage"
    RESOLUTION_PANEL = "resolution_panel", "Resolution panel"
    MEDIATION = "mediation", "Mediation"
    IMPARTIAL_MEMBER = "impartial_member", "Review by an impartial partnership member"
    UNINVOLVED_CHAIR = "uninvolved_chair", "Meeting chaired by a member from an uninvolved agency"
    DIRECT_LIAISON = "direct_liaison", "Direct liaison with agency leadership"
    HEAD_OF_SAFEGUARDING = "head_of_safeguarding", "Decision by the Head of Safeguarding"


# "An impartial CSCP member, appointed by the CSCP Chair"; "The chair will identify a Board member
# from an uninvolved agency to chair a meeting": the partnership chair alone arranges these.
APPOINTED_BY_THE_CHAIR = frozenset({PanelRule.IMPARTIAL_MEMBER, PanelRule.UNINVOLVED_CHAIR})


class AgencyType(models.TextChoices):
    CHILDRENS_SOCIAL_CARE = "childrens_social_care", "Children's social care"
    POLICE = "police", "Police"
    HEALTH = "health", "Health"
    EDUCATION = "education", "Education"
    EARLY_YEARS = "early_years", "Early years"
    # The local authority's early help service (Plymouth Stage Two: "the Early Help
    # Assessment/TAC Implementation Officer will also be involved").
    EARLY_HELP = "early_help", "Early help"
    PROBATION = "probation", "Probation"
    # The local authority's Safeguarding Children Unit (St Helens: its managers "will always follow
    # up cases where there are immediate concerns about a child").
    SAFEGUARDING_UNIT = "safeguarding_unit", "Safeguarding children unit"
    OTHER = "other", "Other"


class Category(models.TextChoices):
    """What a disagreement is about. Here, not with the escalation, because a policy may name
    it: Plymouth brings in the Early Help officer only when the dispute is about threshold."""

    THRESHOLD = "threshold", "Threshold (whether a referral meets the criteria for a service)"
    INFORMATION_SHARING = "information_sharing", "Information sharing"
    ACTION_INACTION = "action_inaction", "Action or inaction"
    ASSESSMENT_OR_PLAN = "assessment_or_plan", "Assessment outcome or plan"
    ROLES = "roles", "Roles and responsibilities"
    COMMUNICATION = "communication", "Communication"
    CHILD_PROTECTION_PROCEDURES = "child_protection_procedures", "Whether child protection procedures should be invoked"
    OTHER = "other", "Other"


class Role(models.TextChoices):
    """A user's role. Agency roles map to tiers; partnership roles do not."""

    PRACTITIONER = "practitioner", "Practitioner"
    LINE_MANAGER = "line_manager", "Line manager"
    SAFEGUARDING_LEAD = "safeguarding_lead", "Designated or named safeguarding lead"
    SENIOR_MANAGER = "senior_manager", "Senior manager or head of service"
    EXECUTIVE_LEAD = "executive_lead", "Executive lead or director"
    BUSINESS_MANAGER = "business_manager", "Partnership business manager"
    CHAIR = "chair", "Partnership chair"
    PANEL_MEMBER = "panel_member", "Partnership panel member"
    AUDITOR = "auditor", "Auditor"


AGENCY_ROLES = {
    Role.PRACTITIONER,
    Role.LINE_MANAGER,
    Role.SAFEGUARDING_LEAD,
    Role.SENIOR_MANAGER,
    Role.EXECUTIVE_LEAD,
}
PARTNERSHIP_ROLES = {Role.BUSINESS_MANAGER, Role.CHAIR, Role.PANEL_MEMBER, Role.AUDITOR}

# What each partnership role may see and do beyond one agency. escalation.selectors and
# escalation.exports apply these; partnerships.two_factor requires a second sign-in step of
# everyone they reach beyond their own agency (defined here because partnerships imports
# nothing from the other apps).
OVERSIGHT_ROLES = frozenset({Role.BUSINESS_MANAGER, Role.CHAIR, Role.AUDITOR})
"""See every case of their partnership, its dashboard, and export its records."""
EXPORT_ROLES = OVERSIGHT_ROLES
"""May export records (escalation.exports.scope)."""
PARTNERSHIP_ACTORS = frozenset({Role.BUSINESS_MANAGER, Role.CHAIR, Role.PANEL_MEMBER})
"""Act at the partnership stage; panel members see every case of their partnership that reaches it."""
ORGANISERS = frozenset({Role.BUSINESS_MANAGER, Role.CHAIR})
"""Hold and arrange the partnership stage."""
SIGHT_BEYOND_OWN_AGENCY = OVERSIGHT_ROLES | PARTNERSHIP_ACTORS
"""Roles that see cases between agencies that are not their own."""

ROLE_TIER = {
    Role.PRACTITIONER: Tier.PRACTITIONER,
    Role.LINE_MANAGER: Tier.LINE_MANAGER,
    Role.SAFEGUARDING_LEAD: Tier.SAFEGUARDING_LEAD,
    Role.SENIOR_MANAGER: Tier.SENIOR_MANAGER,
    Role.EXECUTIVE_LEAD: Tier.EXECUTIVE,
    Role.BUSINESS_MANAGER: Tier.PARTNERSHIP,
    Role.CHAIR: Tier.PARTNERSHIP,
    Role.PANEL_MEMBER: Tier.PARTNERSHIP,
}


class Event(models.TextChoices):
    """The moments of an escalation at which people are told something (issue 12 §1)."""

    RAISED = "raised", "Disagreement raised"
    ACKNOWLEDGED = "acknowledged", "Stage acknowledged"
    ESCALATED = "escalated", "Escalated"
    RECORDED = "recorded", "Discussion or agreed actions recorded"
    ARRANGED = "arranged", "Partnership stage arranged"
    ACTION_ASSIGNED = "action_assigned", "Agreed action given an owner"
    DECIDED = "decided", "Decision recorded"
    RESOLVED = "resolved", "Resolved"
    WITHDRAWN = "withdrawn", "Withdrawn"
    # Cumberland: "The urgency should be determined by the Executive Manager/Lead ... If the issue
    # relates to child protection, this should be determined with 24 hours"; Bromley: "Timescales
    # must be appropriate to the risk". A new urgency can bring the deadline forward.
    URGENCY_CHANGED = "urgency_changed", "Urgency changed"


class Audience(models.TextChoices):
    """Who may be told of an event, as the policies name them."""

    HOLDERS = "holders", "The people holding the stage in both agencies"
    OTHER_SIDE = "other_side", "The people holding the stage on the other side from whoever acted"
    PREVIOUS_HOLDERS = "previous_holders", "The people who held the stage before this one"
    NEXT_TIER = "next_tier", "The managers at the next tier in both agencies"
    PARTIES = "parties", "Everyone who has held a stage of the disagreement"
    MANAGERS_INVOLVED = "managers_involved", "The managers who have held a stage of the disagreement"
    RAISER = "raiser", "The practitioner who raised it"
    BUSINESS_MANAGER = "business_manager", "The partnership business manager"
    CHAIR = "chair", "The partnership chair"
    ACTION_OWNER = "action_owner", "The owner of an agreed action"
    SEATED = "seated", "The people seated on the partnership's panel, mediation or review"


# Who is told of each event whatever the policy says; a stage's own `notify` adds to these.
DEFAULT_AUDIENCES: dict[Event, tuple[Audience, ...]] = {
    Event.RAISED: (Audience.HOLDERS,),
    Event.ACKNOWLEDGED: (Audience.RAISER, Audience.OTHER_SIDE),
    Event.ESCALATED: (Audience.HOLDERS, Audience.PREVIOUS_HOLDERS, Audience.RAISER),
    Event.RECORDED: (Audience.RAISER, Audience.OTHER_SIDE),
    # The people who referred it are heard by the panel, mediation or review (Bromley: "to hear
    # representations"; five-stage: mediation between them; St Helens: "a meeting of senior
    # managers with operational responsibility for the case"), so they hear it was arranged.
    # The business manager records formal use and follows the stage up, whoever arranged it
    # (Cumberland: "The CSCP Business Manager records formal use"; the chair appoints).
    Event.ARRANGED: (Audience.SEATED, Audience.PREVIOUS_HOLDERS, Audience.RAISER, Audience.BUSINESS_MANAGER),
    Event.ACTION_ASSIGNED: (Audience.ACTION_OWNER,),
    Event.DECIDED: (Audience.PARTIES, Audience.SEATED, Audience.RAISER),
    Event.RESOLVED: (Audience.PARTIES, Audience.SEATED, Audience.RAISER),
    # A withdrawal ends it as a resolution does: everyone who took part hears (St Helens: "all
    # decisions must be recorded in writing and shared with relevant personnel").
    Event.WITHDRAWN: (Audience.PARTIES, Audience.SEATED, Audience.RAISER),
    Event.URGENCY_CHANGED: (Audience.HOLDERS, Audience.SEATED, Audience.RAISER),
}


class StepEvent(models.TextChoices):
    """What meets a stage's timed step: the event the policy names, not always the stage's end
    (five-stage stage 2: "the discussion between managers must occur within 5 working days")."""

    STAGE_END = "stage_end", "the stage is resolved or moved on"
    ACKNOWLEDGEMENT = "acknowledgement", "the stage is acknowledged"
    DISCUSSION = "discussion", "a discussion is held and recorded"
    # Five-stage stage 1: "an acknowledgement and mutually agreed plan of action ... within 48
    # hours": both, the later of the two meeting it.
    ACKNOWLEDGED_PLAN = "acknowledged_plan", "the stage is acknowledged and a discussion agreeing a plan is recorded"
    ARRANGEMENT = "arrangement", "the panel, mediation or review is arranged"
    DECISION = "decision", "the decision is recorded"


# The steps a recorded discussion meets (with the acknowledgement, for ACKNOWLEDGED_PLAN).
TIMED_DISCUSSIONS = frozenset({StepEvent.DISCUSSION, StepEvent.ACKNOWLEDGED_PLAN})


# The agency role that holds each agency tier unless a stage names a wider set.
TIER_ROLE = {tier: role for role, tier in ROLE_TIER.items() if role in AGENCY_ROLES}
# Lowest tier first (TIER_ORDER's order).
AGENCY_ROLE_ORDER = [TIER_ROLE[Tier(t)] for t in TIER_ORDER if Tier(t) in TIER_ROLE]


def roles_text(roles) -> str:
    """Roles as stored on an escalation for the visibility rule: "|line_manager|practitioner|".
    Bars on both sides, so a LIKE '%|role|%' matches a whole role and works on every database."""
    values = sorted({Role(r).value for r in roles})
    return "|" + "|".join(values) + "|" if values else ""


def roles_up_to_rank(rank: int) -> str:
    """roles_text of every agency role up to a tier rank: who sees a case that climbed through
    each tier in turn with no wider role sets (generated history, migrated data)."""
    return roles_text(AGENCY_ROLE_ORDER[: max(min(rank, len(AGENCY_ROLE_ORDER) - 1) + 1, 0)]) if rank >= 0 else ""


class Route(models.TextChoices):
    """Ways a policy lets a disagreement past its stages (issue 12 §5); every stage passed is
    still recorded, with the reason."""

    URGENT_ALL_STAGES = "urgent_all_stages", "An immediate-risk case may go through several stages at once"
    UNSAFE_WITHIN_AGENCY = (
        "unsafe_within_agency",
        "Straight to the partnership when it is unsafe to raise within your own agency",
    )
    # Bromley: "they may escalate directly to external managers": the managers of the agency
    # disagreed with take it up, and the raiser's own agency is kept out of every stage after.
    EXTERNAL_MANAGERS = (
        "external_managers",
        "Straight to the other agency's managers when it is unsafe to raise within your own agency",
    )
