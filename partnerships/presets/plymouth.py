"""Plymouth (Pelican Childcare) policy on escalation.

Source: seeds/001_0eef874128e23fbb.txt. Stage One (preventing disputes) has two steps: the
professionals' own discussion within one working day, then their line managers within 24
hours. Stage Two is second-tier management (informal), Stage Three a Head of Service (formal),
Stage Four the Head of Safeguarding, who may report to the Safeguarding Children Board Chair.
The Early Help officer joins Stage Two when the dispute is about threshold.
"""

from partnerships.choices import (
    AgencyType,
    Audience,
    BreachTarget,
    Category,
    Event,
    PanelRule,
    Role,
    Route,
    StepEvent,
    Tier,
    TimescaleUnit,
)
from partnerships.presets.base import PolicyPreset, StagePreset, Timescale

# The policy asks only that disputes be "resolved in a timely way" and referred "without
# delay"; one working week is the standard the other seed policies use for management stages.
_NO_TIMESCALE = (
    "The policy sets no timescale for this stage; the tracker uses 5 working days, "
    "because the policy asks for disputes to be resolved in a timely way."
)
# "In some situations, it may be required to instigate all of the stages within a short period
# of time or to escalate the process so that the safety of the child is not compromised."
_URGENT = (
    "The policy sets no figure for urgent cases but says all stages may need to happen within a "
    "short period, so the tracker uses 24 hours for child protection and the same working day for "
    "immediate risk."
)
_IMMEDIATE_RISK = (
    "The policy says all stages may need to happen within a short period, so for immediate risk "
    "the tracker uses the same working day."
)
_SAME_WORKING_DAY = Timescale(0, TimescaleUnit.SAME_WORKING_DAY)
# "Any action agreed should be fed back immediately to the relevant managers involved" (Stage
# One) and, "at any stage of the process, ... to the second tier management staff involved":
# every recorded discussion goes to the managers who have held the disagreement and, until
# second-tier management holds it, to the managers at the next tier.
_FED_BACK = (Event.RECORDED, (Audience.MANAGERS_INVOLVED,))
_FED_BACK_UP = (Event.RECORDED, (Audience.MANAGERS_INVOLVED, Audience.NEXT_TIER))
_24_HOURS = Timescale(24, TimescaleUnit.CALENDAR_HOURS)

PRESET = PolicyPreset(
    slug="plymouth",
    name="Plymouth escalation policy (Pelican Childcare)",
    source_document="001_0eef874128e23fbb.txt",
    source_title="Policy on escalation (Pelican Childcare, Plymouth)",
    summary=(
        "Professionals try to resolve a disagreement within one working day, then their line "
        "managers within 24 hours; after that it goes to second-tier management, a Head of Service "
        "and finally the Head of Safeguarding. It does not cover disagreements about convening an "
        "Initial Child Protection Conference or implementing a Child Protection Plan."
    ),
    default_timescale=Timescale(5, TimescaleUnit.WORKING_DAYS),
    # "In some situations, it may be required to instigate all of the stages within a short period
    # of time or to escalate the process so that the safety of the child is not compromised."
    routes=(Route.URGENT_ALL_STAGES,),
    stages=(
        StagePreset(
            name="Stage One: professionals' discussion",
            guidance=(
                "The professionals who disagree should try to resolve it through discussion within "
                "one working day. "
                "If they cannot, they must report the disagreement to their line managers or "
                "equivalent. "
                "Record the conflict and anything agreed on the child's file. " + _IMMEDIATE_RISK
            ),
            raiser_tier=Tier.PRACTITIONER,
            receiver_tier=Tier.PRACTITIONER,
            timescale=Timescale(1, TimescaleUnit.WORKING_DAYS),
            immediate_risk=_SAME_WORKING_DAY,
            notify=(_FED_BACK_UP,),
            # "attempt to resolve differences through discussion within one working day"
            met_by=StepEvent.DISCUSSION,
        ),
        StagePreset(
            name="Stage One: line managers",
            guidance=(
                "The relevant line managers make contact within 24 hours to review the information "
                "and resolve the concern; most day-to-day issues are settled here. "
                "It may help to involve the designated or named professional instead of line "
                "management. "
                "Feed any agreed action back to the managers involved immediately and record it on "
                "the child's file. " + _IMMEDIATE_RISK
            ),
            raiser_tier=Tier.LINE_MANAGER,
            receiver_tier=Tier.LINE_MANAGER,
            timescale=_24_HOURS,
            immediate_risk=_SAME_WORKING_DAY,
            notify=(_FED_BACK_UP,),
            # "This contact should take place within twenty-four hours"
            met_by=StepEvent.DISCUSSION,
            # "consider the involvement of the designated or named professional ... in preference
            # to use of line management"
            raiser_roles=(Role.LINE_MANAGER, Role.SAFEGUARDING_LEAD),
            receiver_roles=(Role.LINE_MANAGER, Role.SAFEGUARDING_LEAD),
        ),
        StagePreset(
            name="Stage Two: informal dispute procedure (second-tier management)",
            guidance=(
                "If front-line managers cannot resolve it, refer the matter without delay to "
                "second-tier management, who talk directly with the agency's designated or named "
                "safeguarding professional and may involve the Team Around the Family. "
                "If the dispute is about whether a case meets the threshold for Children's Social "
                "Care, the Early Help Assessment/TAC Implementation Officer joins the discussion. "
                + _NO_TIMESCALE
                + " "
                + _URGENT
            ),
            raiser_tier=Tier.SAFEGUARDING_LEAD,
            receiver_tier=Tier.SAFEGUARDING_LEAD,
            timescale=None,
            child_protection=_24_HOURS,
            immediate_risk=_SAME_WORKING_DAY,
            notify=(_FED_BACK,),
            # Second tier management "and/or ... the designated professional or named professional"
            raiser_roles=(Role.SAFEGUARDING_LEAD, Role.SENIOR_MANAGER),
            receiver_roles=(Role.SAFEGUARDING_LEAD, Role.SENIOR_MANAGER),
            # "If the area of conflict relates to whether a case meets the threshold for a referral
            # or service from Children's social care, then the Early Help Assessment/TAC
            # Implementation Officer will also be involved in this discussion."
            joined_by_agency_type=AgencyType.EARLY_HELP,
            joined_when_about=(Category.THRESHOLD,),
            joiner_roles=(Role.PRACTITIONER,),
        ),
        StagePreset(
            name="Stage Three: formal dispute procedure (Head of Service)",
            guidance=(
                "A Head of Service in Specialist Children's Services considers the matter with the "
                "equivalent level of management in the agency in dispute. "
                "They take every professional opinion into account, check whether the dispute comes "
                "from a lack of clarity or understanding, and agree a way forward in which the "
                "child's interests take precedence over a professional stalemate. " + _NO_TIMESCALE + " " + _URGENT
            ),
            raiser_tier=Tier.SENIOR_MANAGER,
            receiver_tier=Tier.SENIOR_MANAGER,
            timescale=None,
            child_protection=_24_HOURS,
            immediate_risk=_SAME_WORKING_DAY,
            # "referred to an appropriate Head of Service within Specialist Children's Services,
            # who will consider the matter with their equivalent level of management within the
            # concerned agency": children's social care takes part even when it is not a party.
            joined_by_agency_type=AgencyType.CHILDRENS_SOCIAL_CARE,
            notify=(_FED_BACK,),
        ),
        StagePreset(
            name="Stage Four: Head of Safeguarding and Safeguarding Children Board Chair",
            guidance=(
                "If the disagreement is still unresolved, refer it to the Head of Safeguarding, who "
                "decides a course of action, including reporting it to the Safeguarding Children "
                "Board Chair. "
                "Where differences could not be resolved or there are lessons for future practice, "
                "consider a multi-agency case review. " + _NO_TIMESCALE + " " + _URGENT
            ),
            raiser_tier=Tier.PARTNERSHIP,
            receiver_tier=Tier.PARTNERSHIP,
            timescale=None,
            child_protection=_24_HOURS,
            immediate_risk=_SAME_WORKING_DAY,
            breach_targets=(BreachTarget.NEXT_TIER, BreachTarget.RAISER, BreachTarget.BUSINESS_MANAGER),
            is_partnership_stage=True,
            # "the matter must be referred to the Head of Safeguarding, who will determine a course
            # of action": one person's decision, whichever agency they sit in.
            panel_rule=PanelRule.HEAD_OF_SAFEGUARDING,
            # The Head of Safeguarding determines a course of action "including reporting the
            # matter to the Safeguarding Children Board Chair".
            notify=(
                _FED_BACK,
                (Event.ESCALATED, (Audience.BUSINESS_MANAGER, Audience.CHAIR)),
                (Event.DECIDED, (Audience.CHAIR,)),
                (Event.RESOLVED, (Audience.CHAIR,)),
            ),
            # The Head of Safeguarding "will determine a course of action"
            met_by=StepEvent.DECISION,
        ),
    ),
)
