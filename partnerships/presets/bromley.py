"""Bromley Safeguarding Children Partnership escalation policy (Ready Steady Grow Pre-School).

Source: seeds/003_d9505a490c0acb91.txt. Four stages: front-line professionals, managers or
designated safeguarding leads, senior managers, then the partnership (BSCP), which may convene
a resolution panel of senior representatives from at least three agencies.
"""

from partnerships.choices import Audience, BreachTarget, Event, PanelRule, Role, Route, StepEvent, Tier, TimescaleUnit
from partnerships.presets.base import PolicyPreset, StagePreset, Timescale

# "Timescales must be appropriate to the risk - always 'as soon as possible,' and within a week
# unless risk demands faster action." The policy gives no figure for "faster".
_NO_TIMESCALE = (
    "The policy sets no timescale for this stage; the tracker uses 5 working days, its general rule "
    "of within a week, or, because risk may demand faster action, 24 hours for child protection "
    "and the same working day for immediate risk."
)
_SAME_WORKING_DAY = Timescale(0, TimescaleUnit.SAME_WORKING_DAY)
_24_HOURS = Timescale(24, TimescaleUnit.CALENDAR_HOURS)

PRESET = PolicyPreset(
    slug="bromley",
    name="Bromley Safeguarding Children Partnership escalation policy (Ready Steady Grow Pre-School)",
    source_document="003_d9505a490c0acb91.txt",
    source_title="Safeguarding and Welfare Requirement: Child Protection, Escalation (Ready Steady Grow Pre-School)",
    summary=(
        "Resolve disagreements at the lowest level possible, as soon as possible and within a week "
        "unless risk demands faster action: front-line professionals first, then managers or "
        "designated safeguarding leads, then senior managers, and finally the Bromley Safeguarding "
        "Children Partnership."
    ),
    default_timescale=Timescale(5, TimescaleUnit.WORKING_DAYS),
    # "If staff feel unsafe raising concerns within their own agency, they may escalate directly to
    # external managers, or request escalation via BSCP."
    routes=(Route.UNSAFE_WITHIN_AGENCY, Route.EXTERNAL_MANAGERS),
    stages=(
        StagePreset(
            name="Stage 1: front-line professional to professional",
            guidance=(
                "Talk to the other professional by phone, in person or virtually as soon as possible, "
                "explaining the concern, why you believe the decision or practice is unsafe, and the "
                "outcome you want. "
                "Aim to resolve it within 1 working week, or sooner if the child is at risk. "
                "Record the discussion, decisions and next steps on the child's record. "
                "The policy asks for a shorter timescale when the child is at risk but sets no figure; "
                "the tracker uses 24 hours for child protection and the same working day for "
                "immediate risk."
            ),
            raiser_tier=Tier.PRACTITIONER,
            receiver_tier=Tier.PRACTITIONER,
            timescale=Timescale(5, TimescaleUnit.WORKING_DAYS),
            child_protection=_24_HOURS,
            immediate_risk=_SAME_WORKING_DAY,
            # "The staff member (or DSL) raising the concern should initiate a discussion."
            raiser_roles=(Role.PRACTITIONER, Role.SAFEGUARDING_LEAD),
        ),
        StagePreset(
            name="Stage 2: manager to manager / DSL to DSL",
            guidance=(
                "Escalate through each agency's line management: the manager or designated "
                "safeguarding lead (DSL) contacts their counterpart, and together they review the "
                "case and agree a course of action with timescales. "
                "Record the conversation and agreed action on the child's file and tell the original "
                "referrer. " + _NO_TIMESCALE
            ),
            raiser_tier=Tier.LINE_MANAGER,
            receiver_tier=Tier.LINE_MANAGER,
            timescale=None,
            child_protection=_24_HOURS,
            immediate_risk=_SAME_WORKING_DAY,
            # "Manager to Manager / DSL to DSL"
            raiser_roles=(Role.LINE_MANAGER, Role.SAFEGUARDING_LEAD),
            receiver_roles=(Role.LINE_MANAGER, Role.SAFEGUARDING_LEAD),
        ),
        StagePreset(
            name="Stage 3: senior manager / agency safeguarding lead",
            guidance=(
                "Senior managers from the agencies involved, such as a Head of Service, Director or "
                "equivalent senior safeguarding lead, meet to review the disagreement and agree a "
                "way forward. "
                "Document the action plan, name a lead manager to carry it out and monitor it (record "
                "them as the owner of an agreed action to do so: they are told, and reminded if it "
                "becomes overdue), and tell everyone involved, including the practitioner who raised "
                "the concern. " + _NO_TIMESCALE
            ),
            raiser_tier=Tier.SENIOR_MANAGER,
            receiver_tier=Tier.SENIOR_MANAGER,
            timescale=None,
            child_protection=_24_HOURS,
            immediate_risk=_SAME_WORKING_DAY,
            # "Head of Service, Director, or equivalent senior safeguarding lead"
            raiser_roles=(Role.SENIOR_MANAGER, Role.EXECUTIVE_LEAD, Role.SAFEGUARDING_LEAD),
            receiver_roles=(Role.SENIOR_MANAGER, Role.EXECUTIVE_LEAD, Role.SAFEGUARDING_LEAD),
            # "Outcome should be communicated back to all relevant parties, including the
            # practitioner who raised the concern."
            notify=((Event.RECORDED, (Audience.PARTIES,)),),
        ),
        StagePreset(
            name="Stage 4: Bromley Safeguarding Children Partnership (BSCP) / Chair",
            guidance=(
                "If senior managers cannot resolve it, or the child remains at serious risk, refer "
                "the matter to the BSCP through its business manager or partnership office. "
                "The BSCP may convene a Resolution Panel, chaired by an independent or senior partner "
                "and including senior representatives from at least three agencies, or may work "
                "directly with agency leaders; the outcome is formally recorded and a summary placed "
                "on the child's record. " + _NO_TIMESCALE
            ),
            raiser_tier=Tier.PARTNERSHIP,
            receiver_tier=Tier.PARTNERSHIP,
            timescale=None,
            child_protection=_24_HOURS,
            immediate_risk=_SAME_WORKING_DAY,
            breach_targets=(BreachTarget.NEXT_TIER, BreachTarget.RAISER, BreachTarget.BUSINESS_MANAGER),
            is_partnership_stage=True,
            panel_rule=PanelRule.RESOLUTION_PANEL,
            panel_min_agencies=3,
            # "Alternatively, the BSCP may facilitate resolution through direct liaison with agency leadership."
            panel_alternatives=(PanelRule.DIRECT_LIAISON,),
            # "made via the BSCP business manager / partnership office"; the stage is "BSCP / Chair".
            notify=((Event.ESCALATED, (Audience.BUSINESS_MANAGER, Audience.CHAIR)),),
            # The partnership stage ends in a recorded outcome
            met_by=StepEvent.DECISION,
        ),
    ),
)
