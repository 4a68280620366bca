"""Five-stage escalation flowchart.

Source: seeds/002_d9de557c52844523.txt. Every stage has a maximum timescale; before moving on,
evidence must show that all efforts at the previous stage were explored; e-mail is discouraged.
"""

from partnerships.choices import Audience, BreachTarget, Event, PanelRule, Role, StepEvent, Tier, TimescaleUnit
from partnerships.presets.base import PolicyPreset, StagePreset, Timescale

PRESET = PolicyPreset(
    slug="five-stage",
    name="Five-stage escalation flowchart",
    source_document="002_d9de557c52844523.txt",
    source_title="Escalation flowchart",
    summary=(
        "Escalation goes from professionals to managers, senior managers, directors or chief "
        "executives and finally to mediation by the Safeguarding Children Partnership, each within "
        "a maximum timescale. Before moving to the next stage, show that every effort at the "
        "previous stage was explored."
    ),
    # The flowchart states a maximum for every stage; 5 working days is the one it uses most.
    default_timescale=Timescale(5, TimescaleUnit.WORKING_DAYS),
    email_advice=(
        "Escalation via e-mail is not recommended as effective multi-agency working requires "
        "professional challenge and discussion in a suitable format and in the most timely way "
        "possible."
    ),
    stages=(
        StagePreset(
            name="Stage 1: direct professional to professional discussion",
            guidance=(
                "The people who disagree talk directly, by phone, face to face or an online meeting, "
                "to reach a shared understanding and agree a local resolution in line with the plan. "
                "Acknowledge the disagreement straight away and agree a plan of action with "
                "timescales within 48 hours (2 working days). "
                "Some professionals may need support to raise a disagreement."
            ),
            raiser_tier=Tier.PRACTITIONER,
            receiver_tier=Tier.PRACTITIONER,
            timescale=Timescale(2, TimescaleUnit.WORKING_DAYS),
            # "an acknowledgement and mutually agreed plan of action ... within 48 hours": both, the
            # other agency's acknowledgement and the plan's discussion recorded
            met_by=StepEvent.ACKNOWLEDGED_PLAN,
        ),
        StagePreset(
            name="Stage 2: direct manager to manager discussion",
            guidance=(
                "Each professional refers the problem to their own line manager, who reviews it and "
                "discusses it with their opposite number in the other agency within 5 working days "
                "of stage 1. "
                "The managers or safeguarding children leads may meet the practitioners involved, "
                "and must agree a plan of action with timescales. "
                "Before moving on, show that every effort at stage 1 was explored."
            ),
            raiser_tier=Tier.LINE_MANAGER,
            receiver_tier=Tier.LINE_MANAGER,
            timescale=Timescale(5, TimescaleUnit.WORKING_DAYS),
            evidence_of_previous_stage_required=True,
            # "The discussion between managers must occur within 5 working days of stage 1"
            met_by=StepEvent.DISCUSSION,
            # "the line managers/safeguarding children leads"
            raiser_roles=(Role.LINE_MANAGER, Role.SAFEGUARDING_LEAD),
            receiver_roles=(Role.LINE_MANAGER, Role.SAFEGUARDING_LEAD),
        ),
        StagePreset(
            name="Stage 3: senior manager to senior manager discussion",
            guidance=(
                "The line managers refer the problem to their own line managers, and this continues "
                "up each organisation's management structure. "
                "At every level the case is reviewed and actions and timescales agreed, each "
                "manager-to-manager discussion within 5 working days of the previous one. "
                "Before moving on, show that every effort at stage 2 was explored."
            ),
            raiser_tier=Tier.SENIOR_MANAGER,
            receiver_tier=Tier.SENIOR_MANAGER,
            timescale=Timescale(5, TimescaleUnit.WORKING_DAYS),
            evidence_of_previous_stage_required=True,
            # "Each Manager to Manager discussion should take place within 5 working days"
            met_by=StepEvent.DISCUSSION,
        ),
        StagePreset(
            name="Stage 4: director / chief executive discussion",
            guidance=(
                "The final stage within the agencies is the directors or chief executives. "
                "A mutually agreed plan of action with timescales must be in place within 48 hours "
                "(2 working days), and a resolution meeting may record the learning points. "
                "Before moving on, show that every effort at stage 3 was explored."
            ),
            raiser_tier=Tier.EXECUTIVE,
            receiver_tier=Tier.EXECUTIVE,
            timescale=Timescale(2, TimescaleUnit.WORKING_DAYS),
            evidence_of_previous_stage_required=True,
            # "a mutually agreeable plan of action ... should be in place within 48 hours"
            met_by=StepEvent.DISCUSSION,
        ),
        StagePreset(
            name="Stage 5: partnership resolution",
            guidance=(
                "In the rare cases the agencies' own management cannot resolve, refer the matter to "
                "the Business Office of the Safeguarding Children Partnership. "
                "One of the Strategic Leads will offer mediation within 5 working days of the "
                "Business Office being notified. "
                "Before referring, show that every effort at stage 4 was explored."
            ),
            raiser_tier=Tier.PARTNERSHIP,
            receiver_tier=Tier.PARTNERSHIP,
            timescale=Timescale(5, TimescaleUnit.WORKING_DAYS),
            evidence_of_previous_stage_required=True,
            breach_targets=(BreachTarget.NEXT_TIER, BreachTarget.RAISER, BreachTarget.BUSINESS_MANAGER),
            is_partnership_stage=True,
            panel_rule=PanelRule.MEDIATION,
            # "referred to the Business Office of the Safeguarding Children Partnership"
            notify=((Event.ESCALATED, (Audience.BUSINESS_MANAGER,)),),
            # "one of the Strategic Leads will offer mediation within 5 working days of notification"
            met_by=StepEvent.ARRANGEMENT,
        ),
    ),
)
