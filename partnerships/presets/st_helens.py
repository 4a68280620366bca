"""St Helens Safeguarding Children Board escalation policy (Penkford School).

Source: seeds/004_7a52ed19ae6e7c66.txt. The practitioner first consults their own manager the
same working day; then the professionals, their line managers (escalation notice within 5
working days) and the safeguarding leads or service managers try in turn; then, as the policy's
"All agencies" section says, the comparable agency Directors and the Director of Children's
Services' final binding decision; finally a Board member from an uninvolved agency chairs a
meeting. Immediate risk: the same working day.
"""

from datetime import date

from partnerships.choices import (
    AgencyType,
    Audience,
    BreachTarget,
    Event,
    PanelRule,
    Role,
    StepEvent,
    Tier,
    TimescaleUnit,
    Urgency,
)
from partnerships.presets.base import PolicyPreset, StagePreset, Timescale

# "Any professional who considers that a child is at immediate risk of significant harm must
# ensure that concerns are escalated in a timely manner on the same working day. In all other
# circumstances professionals should attempt to resolve disagreements within one working week."
_SAME_WORKING_DAY = Timescale(0, TimescaleUnit.SAME_WORKING_DAY)
_NO_TIMESCALE = (
    "The policy sets no timescale for this stage; the tracker uses 5 working days, its general rule "
    "of resolving disagreements within one working week."
)
# "This is to be completed once the Escalation is resolved and sent to the Business Manager."
_RESOLUTION_TO_BUSINESS_MANAGER = (Event.RESOLVED, (Audience.BUSINESS_MANAGER,))
_IMMEDIATE_RISK = "If the child is at immediate risk of significant harm, escalate on the same working day."
# "However Safeguarding Children Unit managers will always follow up cases where there are
# immediate concerns about a child – they will not be left until a Service Manager is available."
# At every stage the two agencies hold, an immediate-risk disagreement is joined by the unit's
# managers: told it needs them from the moment it is raised (or made that urgent), and able to open it.
_UNIT_FOLLOWS_UP = {
    "joined_by_agency_type": AgencyType.SAFEGUARDING_UNIT,
    "joined_at_urgency": (Urgency.IMMEDIATE_RISK,),
    "joiner_roles": (Role.LINE_MANAGER, Role.SENIOR_MANAGER),
}

PRESET = PolicyPreset(
    slug="st-helens",
    name="St Helens Safeguarding Children Board escalation policy (Penkford School)",
    source_document="004_7a52ed19ae6e7c66.txt",
    source_title="Escalation Policy (Penkford School; statutory, ratified by the Chair of Governors in September 2017)",
    adopted_on=date(2014, 3, 26),  # "Date first approved by Governing Body: 26th March 2014"
    review_by=date(2019, 7, 31),  # "Next Policy Review Date: July 2019"
    summary=(
        "Consult your own manager first, then discuss with the other professional, then your line "
        "managers, then the safeguarding leads or service managers, then the agencies' Directors and "
        "the Director of Children's Services' final binding decision, and finally a meeting chaired "
        "by a Board member from an uninvolved agency. Resolve disagreements within one working "
        "week, or on the same working day if a child is at immediate risk of significant harm, and "
        "record every decision in writing."
    ),
    default_timescale=Timescale(5, TimescaleUnit.WORKING_DAYS),
    stages=(
        StagePreset(
            name="Stage One: consulting the line manager",
            guidance=(
                "Before approaching the other agency, consult your own manager or supervisor to "
                "clarify your thinking and the outcome you want. "
                "Do this on the same working day that the disagreement arises. "
                "Managers should support professionals who may need help to pursue a disagreement, "
                "particularly where there are big differences in status or experience."
            ),
            raiser_tier=Tier.PRACTITIONER,
            receiver_tier=None,
            timescale=_SAME_WORKING_DAY,
            immediate_risk=_SAME_WORKING_DAY,
            # The other agency is not involved yet, so nobody on the receiving side acknowledges.
            acknowledgement_required=False,
            notify=(_RESOLUTION_TO_BUSINESS_MANAGER,),
            # "consult their manager/supervisor ... on the same working day": the consultation recorded
            met_by=StepEvent.DISCUSSION,
            # "consult their manager/supervisor": the raiser's own manager (or safeguarding lead)
            # holds this stage with them; other practitioners of the agency take no part.
            raiser_roles=(Role.LINE_MANAGER, Role.SAFEGUARDING_LEAD),
            **_UNIT_FOLLOWS_UP,
        ),
        StagePreset(
            name="Stage Two: discussion between the professionals",
            guidance=(
                "The professionals who disagree discuss the issues, identify where they agree and "
                "disagree, and agree how far the disagreement matters to the risk to the child. "
                "For cases involving social care, speak to the social worker first and, if that does "
                "not resolve it, alert the team manager by phone or in writing within one working "
                "day. " + _NO_TIMESCALE + " " + _IMMEDIATE_RISK
            ),
            raiser_tier=Tier.PRACTITIONER,
            receiver_tier=Tier.PRACTITIONER,
            timescale=None,
            immediate_risk=_SAME_WORKING_DAY,
            notify=(_RESOLUTION_TO_BUSINESS_MANAGER,),
            # "For cases involving Social Care the concerns should be discussed initially with the
            # social worker, If this does not resolve the problem the Team Manager should be alerted
            # - by phone or in writing within one working day": moved on to the line managers.
            receiving_agency_timescales=((AgencyType.CHILDRENS_SOCIAL_CARE, Timescale(1, TimescaleUnit.WORKING_DAYS)),),
            **_UNIT_FOLLOWS_UP,
        ),
        StagePreset(
            name="Stage Three: escalation to line manager",
            guidance=(
                "Each professional notifies their manager or supervisor, who discusses the issues "
                "with the equivalent manager in the other agency. "
                "If they cannot resolve it, complete an escalation notice and send it to the service "
                "manager or agency equivalent within 5 working days, with a copy to the Safeguarding "
                "Children Board business manager. " + _IMMEDIATE_RISK
            ),
            raiser_tier=Tier.LINE_MANAGER,
            receiver_tier=Tier.LINE_MANAGER,
            timescale=Timescale(5, TimescaleUnit.WORKING_DAYS),
            immediate_risk=_SAME_WORKING_DAY,
            notify=(_RESOLUTION_TO_BUSINESS_MANAGER,),
            **_UNIT_FOLLOWS_UP,
        ),
        StagePreset(
            name="Stage Four: escalation to safeguarding leads or senior manager",
            guidance=(
                "Each manager or supervisor reports to their named or designated safeguarding lead "
                "or service manager, and these two try to resolve the disagreement, working from the "
                "escalation notice. "
                "The Safeguarding Children Unit can advise and will always follow up a case with "
                "immediate concerns about a child. " + _NO_TIMESCALE + " " + _IMMEDIATE_RISK
            ),
            raiser_tier=Tier.SAFEGUARDING_LEAD,
            receiver_tier=Tier.SAFEGUARDING_LEAD,
            timescale=None,
            immediate_risk=_SAME_WORKING_DAY,
            evidence_of_previous_stage_required=True,
            # "A copy of this notice will be sent to the LSCB Business Manager."
            notify=((Event.ESCALATED, (Audience.BUSINESS_MANAGER,)), _RESOLUTION_TO_BUSINESS_MANAGER),
            # "their respective named or designated safeguarding lead or service manager"
            raiser_roles=(Role.SAFEGUARDING_LEAD, Role.SENIOR_MANAGER),
            receiver_roles=(Role.SAFEGUARDING_LEAD, Role.SENIOR_MANAGER),
            **_UNIT_FOLLOWS_UP,
        ),
        StagePreset(
            name="Directors of the agencies",
            guidance=(
                "If the comparable service managers cannot resolve it, the issue is referred to the "
                "comparable agency Directors, who try to resolve it. " + _NO_TIMESCALE + " " + _IMMEDIATE_RISK
            ),
            raiser_tier=Tier.EXECUTIVE,
            receiver_tier=Tier.EXECUTIVE,
            timescale=None,
            immediate_risk=_SAME_WORKING_DAY,
            evidence_of_previous_stage_required=True,
            notify=(_RESOLUTION_TO_BUSINESS_MANAGER,),
            **_UNIT_FOLLOWS_UP,
        ),
        StagePreset(
            name="Director of Children's Services: final binding decision",
            guidance=(
                "If the Directors do not resolve it, it is referred to the Director of Children's "
                "Services, who makes the final binding decision. Record the decision here; if the "
                "agencies still cannot act on it together, refer it to the Board for mediation. "
                + _NO_TIMESCALE
                + " "
                + _IMMEDIATE_RISK
            ),
            raiser_tier=Tier.EXECUTIVE,
            receiver_tier=Tier.EXECUTIVE,
            timescale=None,
            immediate_risk=_SAME_WORKING_DAY,
            evidence_of_previous_stage_required=True,
            # "referred to the Director of Children's Services who will make the final binding
            # decision": the executive lead of the partnership's children's social care.
            holder_agency_type=AgencyType.CHILDRENS_SOCIAL_CARE,
            raiser_roles=(Role.EXECUTIVE_LEAD,),
            receiver_roles=(Role.EXECUTIVE_LEAD,),
            met_by=StepEvent.DECISION,
            notify=(_RESOLUTION_TO_BUSINESS_MANAGER,),
        ),
        StagePreset(
            name="Mediation by a third party agency",
            guidance=(
                "Refer the case to the business coordinator of the St Helens Safeguarding Children "
                "Board, who tells the Board chair; the chair picks a Board member from an uninvolved "
                "agency to chair a meeting of the senior managers responsible for the case. "
                "This meeting is the final opportunity to reach a decision, and its chair reports "
                "back to the Board chair. " + _NO_TIMESCALE + " " + _IMMEDIATE_RISK
            ),
            raiser_tier=Tier.PARTNERSHIP,
            receiver_tier=Tier.PARTNERSHIP,
            timescale=None,
            immediate_risk=_SAME_WORKING_DAY,
            breach_targets=(BreachTarget.NEXT_TIER, BreachTarget.RAISER, BreachTarget.BUSINESS_MANAGER),
            is_partnership_stage=True,
            panel_rule=PanelRule.UNINVOLVED_CHAIR,
            # Referred to the business coordinator, "who will notify the chair of the Board"; the
            # meeting's chair "will report back to the chair of the Safeguarding Children Board".
            notify=(
                (Event.ESCALATED, (Audience.BUSINESS_MANAGER, Audience.CHAIR)),
                (Event.DECIDED, (Audience.CHAIR,)),
                _RESOLUTION_TO_BUSINESS_MANAGER,
            ),
            # "This meeting will provide a final opportunity to reach a decision"
            met_by=StepEvent.DECISION,
        ),
    ),
)
