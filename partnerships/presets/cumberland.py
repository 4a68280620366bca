"""Cumberland Safeguarding Children Partnership: stages of escalation procedure.

Source: seeds/000_26e429cd3a872643.txt. Stage One has three levels (practitioners, line
managers, service leads); Stage Two is the formal dispute procedure between executive leads;
Stage Three goes to the partnership (CSCP), where an impartial member decides.
"""

from partnerships.choices import Audience, BreachTarget, Event, PanelRule, Role, StepEvent, Tier, TimescaleUnit
from partnerships.presets.base import PolicyPreset, StagePreset, Timescale

# The policy's general rule is "disputes must be resolved promptly"; it sets a figure only for
# the partnership stage (at most 7 working days). One working week keeps the earlier, less formal
# stages quicker than that ceiling.
_NO_TIMESCALE = (
    "The policy sets no timescale for this stage; the tracker uses 5 working days, "
    "because the policy says disputes must be resolved promptly."
)

PRESET = PolicyPreset(
    slug="cumberland",
    name="Cumberland Safeguarding Children Partnership escalation procedure",
    source_document="000_26e429cd3a872643.txt",
    source_title="Stages of Escalation Procedure",
    summary=(
        "Disagreements go from practitioners to line managers to service leads (Stage One), "
        "then to executive leads (Stage Two, the formal dispute procedure), and finally to the "
        "Cumberland Safeguarding Children Partnership, where an impartial member makes the final "
        "decision. Record progress on the child's file at every stage."
    ),
    default_timescale=Timescale(5, TimescaleUnit.WORKING_DAYS),
    stages=(
        StagePreset(
            name="Level One: practitioner to practitioner",
            guidance=(
                "Talk directly to the practitioner you disagree with and try to resolve it through "
                "conversation and negotiation; most disagreements are settled this way. "
                "If you cannot agree, report it to your line manager. "
                "Record the disagreement and what was agreed on the child's file. " + _NO_TIMESCALE
            ),
            raiser_tier=Tier.PRACTITIONER,
            receiver_tier=Tier.PRACTITIONER,
            timescale=None,
        ),
        StagePreset(
            name="Level Two: line manager to line manager",
            guidance=(
                "The line managers of both practitioners review the concern together; most "
                "day-to-day disagreements should be resolved here. "
                "Consider involving a designated or named safeguarding practitioner if it would help. "
                "If it is still unresolved, escalate to service leads. " + _NO_TIMESCALE
            ),
            raiser_tier=Tier.LINE_MANAGER,
            receiver_tier=Tier.LINE_MANAGER,
            timescale=None,
            # "Consider involving a Designated or Named Practitioner at this point if helpful."
            raiser_roles=(Role.LINE_MANAGER, Role.SAFEGUARDING_LEAD),
            receiver_roles=(Role.LINE_MANAGER, Role.SAFEGUARDING_LEAD),
        ),
        StagePreset(
            name="Level Three: service lead / designated practitioner",
            guidance=(
                "Senior leads such as headteachers, service managers, designated nurses and "
                "designated GPs consider the issue, and may involve the Team Around the Family or a "
                "designated or named safeguarding practitioner. "
                "Feed agreed actions back to managers immediately and record the conflict and its "
                "outcome on the child's file. " + _NO_TIMESCALE
            ),
            raiser_tier=Tier.SENIOR_MANAGER,
            receiver_tier=Tier.SENIOR_MANAGER,
            timescale=None,
            # "Agreed actions fed back immediately to managers": the line managers and service
            # leads who have held it.
            notify=((Event.RECORDED, (Audience.MANAGERS_INVOLVED,)),),
            # "Service Lead / Designated Practitioner ... Designated/Named Safeguarding Practitioner
            # may be directly involved."
            raiser_roles=(Role.SENIOR_MANAGER, Role.SAFEGUARDING_LEAD),
            receiver_roles=(Role.SENIOR_MANAGER, Role.SAFEGUARDING_LEAD),
        ),
        StagePreset(
            name="Stage Two: formal dispute procedure (executive leads)",
            guidance=(
                "The executive manager or lead (for example an assistant director) of each agency "
                "reviews the disagreement together with their strategic equivalent, looking at the "
                "earlier attempts to resolve it and at every practitioner's views and evidence. "
                "Agree a way forward centred on the child's best interests: the need to safeguard the "
                "child takes precedence over a professional stalemate. "
                "Record and communicate the decision and the actions required. " + _NO_TIMESCALE
            ),
            raiser_tier=Tier.EXECUTIVE,
            receiver_tier=Tier.EXECUTIVE,
            timescale=None,
            evidence_of_previous_stage_required=True,
            # "Record and communicate the decision and required actions."
            notify=((Event.RECORDED, (Audience.PARTIES,)),),
        ),
        StagePreset(
            name="Stage Three: Cumberland Safeguarding Children Partnership (CSCP)",
            guidance=(
                "The executive lead emails the CSCP Chair, copying in the CSCP Business Manager, "
                "setting out the issue and what has been done to try to resolve it. "
                "An impartial CSCP member appointed by the Chair reviews the case and consults the "
                "other executive leads before making the final decision. "
                "The executive lead sets the urgency, but it must be decided within 7 working days, "
                "or within 24 hours if the issue relates to child protection. "
                "The Business Manager records the formal use of the procedure and reports it to the "
                "Partnership so that learning can be identified."
            ),
            raiser_tier=Tier.PARTNERSHIP,
            receiver_tier=Tier.PARTNERSHIP,
            timescale=Timescale(7, TimescaleUnit.WORKING_DAYS),
            child_protection=Timescale(24, TimescaleUnit.CALENDAR_HOURS),
            evidence_of_previous_stage_required=True,
            breach_targets=(BreachTarget.NEXT_TIER, BreachTarget.RAISER, BreachTarget.BUSINESS_MANAGER),
            is_partnership_stage=True,
            panel_rule=PanelRule.IMPARTIAL_MEMBER,
            # "Executive Manager/Lead emails the CSCP Chair and copies in the CSCP Business
            # Manager"; the Business Manager records formal use and reports it to the Partnership.
            notify=(
                (Event.ESCALATED, (Audience.CHAIR, Audience.BUSINESS_MANAGER)),
                # The impartial member "consults with the other Executive Leads before making a
                # final decision": the executive leads who referred it hear who was appointed.
                (Event.ARRANGED, (Audience.PREVIOUS_HOLDERS,)),
                (Event.DECIDED, (Audience.CHAIR, Audience.BUSINESS_MANAGER)),
                (Event.RESOLVED, (Audience.BUSINESS_MANAGER,)),
            ),
            # "this should be determined ... no longer than 7 working days"
            met_by=StepEvent.DECISION,
        ),
    ),
)
