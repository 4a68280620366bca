"""The five policy presets, each checked against its seed document (no database needed).

Expected values are written out literally from the documents in shared/seeds/, so a change to
a preset has to be a deliberate change here too.
"""

import re

import pytest

from partnerships.choices import (
    TIER_ORDER,
    AgencyType,
    Audience,
    BreachTarget,
    Event,
    PanelRule,
    Role,
    Route,
    StepEvent,
    Tier,
    TimescaleUnit,
    Urgency,
)
from partnerships.presets import (
    PRESETS,
    PolicyPreset,
    StagePreset,
    Timescale,
    UnknownPreset,
    get_preset,
)

WORKING_DAYS = TimescaleUnit.WORKING_DAYS
CALENDAR_HOURS = TimescaleUnit.CALENDAR_HOURS
SAME_WORKING_DAY = Timescale(0, TimescaleUnit.SAME_WORKING_DAY)
HOURS_24 = Timescale(24, CALENDAR_HOURS)
NO_TIMESCALE = "The policy sets no timescale for this stage"

ALL_STAGES = [
    pytest.param(preset, number, stage, id=f"{slug}-stage-{number}")
    for slug, preset in PRESETS.items()
    for number, stage in enumerate(preset.stages, start=1)
]


def stage(slug: str, number: int) -> StagePreset:
    return get_preset(slug).stage(number)


def sides(s: StagePreset) -> tuple[Tier, Tier | None]:
    return (s.raiser_tier, s.receiver_tier)


def effective(slug: str, number: int, urgency: Urgency = Urgency.STANDARD) -> Timescale:
    preset = get_preset(slug)
    return preset.stage(number).timescale_for(urgency, preset.default_timescale)


# --- the catalogue ------------------------------------------------------------------------------


def test_presets_are_listed_in_the_product_owners_order():
    assert list(PRESETS) == ["cumberland", "plymouth", "five-stage", "bromley", "st-helens"]


@pytest.mark.parametrize("slug", ["cumberland", "plymouth", "five-stage", "bromley", "st-helens"])
def test_every_slug_loads_with_get_preset(slug):
    preset = get_preset(slug)
    assert isinstance(preset, PolicyPreset)
    assert preset.slug == slug
    assert preset is PRESETS[slug]


def test_an_unknown_slug_raises_unknown_preset_listing_the_valid_slugs():
    with pytest.raises(UnknownPreset) as raised:
        get_preset("barsetshire")
    message = str(raised.value)
    assert "barsetshire" in message
    for slug in ("cumberland", "plymouth", "five-stage", "bromley", "st-helens"):
        assert slug in message


def test_unknown_preset_is_a_lookup_error():
    assert issubclass(UnknownPreset, LookupError)


@pytest.mark.parametrize(
    ("slug", "document"),
    [
        ("cumberland", "000_26e429cd3a872643.txt"),
        ("plymouth", "001_0eef874128e23fbb.txt"),
        ("five-stage", "002_d9de557c52844523.txt"),
        ("bromley", "003_d9505a490c0acb91.txt"),
        ("st-helens", "004_7a52ed19ae6e7c66.txt"),
    ],
)
def test_each_preset_names_its_seed_document(slug, document):
    assert get_preset(slug).source_document == document


@pytest.mark.parametrize("slug", list(PRESETS))
def test_every_policy_defaults_to_one_working_week_from_its_general_rule(slug):
    assert get_preset(slug).default_timescale == Timescale(5, WORKING_DAYS)


# --- rules every preset keeps -------------------------------------------------------------------


@pytest.mark.parametrize("slug", list(PRESETS))
def test_tiers_never_go_down_from_one_stage_to_the_next(slug):
    raiser_ranks = [TIER_ORDER.index(s.raiser_tier) for s in get_preset(slug).stages]
    receiver_ranks = [TIER_ORDER.index(s.receiver_tier) for s in get_preset(slug).stages if s.receiver_tier]
    assert raiser_ranks == sorted(raiser_ranks)
    assert receiver_ranks == sorted(receiver_ranks)


@pytest.mark.parametrize(("preset", "number", "s"), ALL_STAGES)
def test_both_agencies_work_at_the_same_tier_whenever_the_other_agency_takes_part(preset, number, s):
    assert s.receiver_tier in (None, s.raiser_tier)


@pytest.mark.parametrize("slug", list(PRESETS))
def test_exactly_one_partnership_stage_and_it_is_the_last(slug):
    stages = get_preset(slug).stages
    assert [s.is_partnership_stage for s in stages] == [False] * (len(stages) - 1) + [True]


@pytest.mark.parametrize(("preset", "number", "s"), ALL_STAGES)
def test_partnership_stage_is_held_by_the_partnership_on_both_sides_with_a_panel_rule(preset, number, s):
    if s.is_partnership_stage:
        assert sides(s) == (Tier.PARTNERSHIP, Tier.PARTNERSHIP)
        assert s.panel_rule != PanelRule.NONE
    else:
        assert Tier.PARTNERSHIP not in sides(s)
        assert s.panel_rule == PanelRule.NONE
        assert s.panel_min_agencies is None


@pytest.mark.parametrize(("preset", "number", "s"), ALL_STAGES)
def test_a_breach_tells_the_next_tier_and_the_raiser_and_at_partnership_the_business_manager(preset, number, s):
    expected = [BreachTarget.NEXT_TIER, BreachTarget.RAISER]
    if s.is_partnership_stage:
        expected.append(BreachTarget.BUSINESS_MANAGER)
    assert list(s.breach_targets) == expected


@pytest.mark.parametrize(("preset", "number", "s"), ALL_STAGES)
def test_every_stage_without_a_document_timescale_says_so_in_its_guidance(preset, number, s):
    if s.timescale is None:
        assert NO_TIMESCALE in s.guidance
        assert f"the tracker uses {preset.default_timescale.describe()}" in s.guidance
    else:
        assert NO_TIMESCALE not in s.guidance


@pytest.mark.parametrize(
    ("slug", "number"),
    [("plymouth", n) for n in (1, 2, 3, 4, 5)] + [("bromley", n) for n in (1, 2, 3, 4)],
)
def test_urgent_timescales_the_tracker_chose_are_explained_in_the_guidance(slug, number):
    s = stage(slug, number)
    for chosen in (s.child_protection, s.immediate_risk):
        if chosen:
            assert f"{chosen.describe()}" in s.guidance
    assert "the tracker uses" in s.guidance


@pytest.mark.parametrize(("preset", "number", "s"), ALL_STAGES)
def test_guidance_is_two_to_four_plain_sentences(preset, number, s):
    sentences = re.split(r"(?<=[.!?])\s+", s.guidance.strip())
    assert 2 <= len(sentences) <= 4, sentences
    assert s.guidance.strip().endswith(".")


@pytest.mark.parametrize(("preset", "number", "s"), ALL_STAGES)
def test_urgent_timescales_are_never_slower_than_the_standard_one(preset, number, s):
    standard = s.timescale_for(Urgency.STANDARD, preset.default_timescale)
    for urgent in (s.child_protection, s.immediate_risk):
        if urgent and standard.unit == WORKING_DAYS:
            assert urgent.unit in (CALENDAR_HOURS, TimescaleUnit.SAME_WORKING_DAY)
            if urgent.unit == CALENDAR_HOURS:
                assert urgent.amount <= standard.amount * 24


def test_only_the_flowchart_policy_gives_email_advice():
    assert [slug for slug, p in PRESETS.items() if p.email_advice] == ["five-stage"]


# --- 000 Cumberland -----------------------------------------------------------------------------


def test_cumberland_policy_has_three_levels_then_formal_dispute_then_partnership():
    assert [s.name for s in get_preset("cumberland").stages] == [
        "Level One: practitioner to practitioner",
        "Level Two: line manager to line manager",
        "Level Three: service lead / designated practitioner",
        "Stage Two: formal dispute procedure (executive leads)",
        "Stage Three: Cumberland Safeguarding Children Partnership (CSCP)",
    ]


def test_cumberland_policy_level_one_is_practitioner_to_practitioner():
    assert sides(stage("cumberland", 1)) == (Tier.PRACTITIONER, Tier.PRACTITIONER)


def test_cumberland_policy_level_two_is_line_manager_to_line_manager():
    assert sides(stage("cumberland", 2)) == (Tier.LINE_MANAGER, Tier.LINE_MANAGER)


def test_cumberland_policy_level_three_is_senior_service_leads():
    assert sides(stage("cumberland", 3)) == (Tier.SENIOR_MANAGER, Tier.SENIOR_MANAGER)


def test_cumberland_policy_stage_two_is_executive_lead_to_executive_lead():
    assert sides(stage("cumberland", 4)) == (Tier.EXECUTIVE, Tier.EXECUTIVE)


@pytest.mark.parametrize("number", [1, 2, 3, 4])
def test_cumberland_policy_sets_no_timescale_before_the_partnership_so_promptly_means_5_working_days(
    number,
):
    assert stage("cumberland", number).timescale is None
    assert effective("cumberland", number) == Timescale(5, WORKING_DAYS)


def test_cumberland_policy_partnership_decides_within_7_working_days():
    assert stage("cumberland", 5).timescale == Timescale(7, WORKING_DAYS)
    assert effective("cumberland", 5) == Timescale(7, WORKING_DAYS)


def test_cumberland_policy_partnership_decides_child_protection_within_24_calendar_hours():
    s = stage("cumberland", 5)
    assert s.child_protection == Timescale(24, CALENDAR_HOURS)
    assert s.timescale_for(Urgency.CHILD_PROTECTION, get_preset("cumberland").default_timescale) == (
        Timescale(24, CALENDAR_HOURS)
    )
    assert effective("cumberland", 5, Urgency.IMMEDIATE_RISK) == Timescale(24, CALENDAR_HOURS)


def test_cumberland_policy_has_no_urgent_timescales_before_the_partnership():
    for number in (1, 2, 3, 4):
        s = stage("cumberland", number)
        assert (s.child_protection, s.immediate_risk) == (None, None)


def test_cumberland_policy_partnership_decision_is_by_an_impartial_cscp_member():
    s = stage("cumberland", 5)
    assert s.is_partnership_stage
    assert s.panel_rule == PanelRule.IMPARTIAL_MEMBER


def test_cumberland_policy_executives_and_partnership_look_at_previous_attempts_to_resolve():
    required = [s.evidence_of_previous_stage_required for s in get_preset("cumberland").stages]
    assert required == [False, False, False, True, True]


# --- 001 Plymouth -------------------------------------------------------------------------------


def test_plymouth_policy_stages_in_order():
    assert [s.name for s in get_preset("plymouth").stages] == [
        "Stage One: professionals' discussion",
        "Stage One: line managers",
        "Stage Two: informal dispute procedure (second-tier management)",
        "Stage Three: formal dispute procedure (Head of Service)",
        "Stage Four: Head of Safeguarding and Safeguarding Children Board Chair",
    ]


def test_plymouth_policy_stage_1_is_professionals_discussion_within_1_working_day():
    s = stage("plymouth", 1)
    assert sides(s) == (Tier.PRACTITIONER, Tier.PRACTITIONER)
    assert s.timescale == Timescale(1, WORKING_DAYS)


def test_plymouth_policy_stage_2_is_line_managers_within_24_calendar_hours():
    s = stage("plymouth", 2)
    assert sides(s) == (Tier.LINE_MANAGER, Tier.LINE_MANAGER)
    assert s.timescale == Timescale(24, CALENDAR_HOURS)


def test_plymouth_policy_stage_3_is_second_tier_management_with_the_designated_professional():
    s = stage("plymouth", 3)
    assert sides(s) == (Tier.SAFEGUARDING_LEAD, Tier.SAFEGUARDING_LEAD)
    assert s.timescale is None


def test_plymouth_policy_stage_4_is_head_of_service_with_equivalent_manager():
    s = stage("plymouth", 4)
    assert sides(s) == (Tier.SENIOR_MANAGER, Tier.SENIOR_MANAGER)
    assert s.timescale is None


def test_plymouth_policy_stage_5_is_the_head_of_safeguarding_at_partnership_level():
    s = stage("plymouth", 5)
    assert s.is_partnership_stage
    assert sides(s) == (Tier.PARTNERSHIP, Tier.PARTNERSHIP)
    assert s.timescale is None
    # "referred to the Head of Safeguarding, who will determine a course of action including
    # reporting the matter to the Safeguarding Children Board Chair"
    assert s.panel_rule == PanelRule.HEAD_OF_SAFEGUARDING
    assert Audience.CHAIR in s.audiences(Event.DECIDED)


def test_plymouth_policy_lets_an_urgent_case_instigate_all_of_the_stages_within_a_short_period():
    assert get_preset("plymouth").routes == (Route.URGENT_ALL_STAGES,)


def test_bromley_policy_lets_staff_who_feel_unsafe_within_their_agency_go_to_the_partnership_or_external_managers():
    # "they may escalate directly to external managers, or request escalation via BSCP"
    assert get_preset("bromley").routes == (Route.UNSAFE_WITHIN_AGENCY, Route.EXTERNAL_MANAGERS)
    assert stage("bromley", 4).panel_alternatives == (PanelRule.DIRECT_LIAISON,)


@pytest.mark.parametrize("number", [3, 4, 5])
def test_plymouth_policy_timely_resolution_means_5_working_days_where_no_timescale_is_set(number):
    assert effective("plymouth", number) == Timescale(5, WORKING_DAYS)


@pytest.mark.parametrize("number", [1, 2, 3, 4, 5])
def test_plymouth_policy_immediate_risk_instigates_every_stage_the_same_working_day(number):
    assert effective("plymouth", number, Urgency.IMMEDIATE_RISK) == SAME_WORKING_DAY


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        (1, Timescale(1, WORKING_DAYS)),
        (2, Timescale(24, CALENDAR_HOURS)),
        (3, Timescale(24, CALENDAR_HOURS)),
        (4, Timescale(24, CALENDAR_HOURS)),
        (5, Timescale(24, CALENDAR_HOURS)),
    ],
)
def test_plymouth_policy_child_protection_moves_within_a_day_at_every_stage(number, expected):
    assert effective("plymouth", number, Urgency.CHILD_PROTECTION) == expected


def test_plymouth_policy_requires_no_evidence_to_move_on():
    assert not any(s.evidence_of_previous_stage_required for s in get_preset("plymouth").stages)


# --- 002 five-stage flowchart -------------------------------------------------------------------


def test_five_stage_policy_stages_in_order():
    assert [s.name for s in get_preset("five-stage").stages] == [
        "Stage 1: direct professional to professional discussion",
        "Stage 2: direct manager to manager discussion",
        "Stage 3: senior manager to senior manager discussion",
        "Stage 4: director / chief executive discussion",
        "Stage 5: partnership resolution",
    ]


def test_five_stage_policy_stage_1_is_professional_to_professional_within_2_working_days():
    s = stage("five-stage", 1)
    assert sides(s) == (Tier.PRACTITIONER, Tier.PRACTITIONER)
    assert s.timescale == Timescale(2, WORKING_DAYS)
    assert s.acknowledgement_required


def test_five_stage_policy_stage_2_is_manager_to_manager_within_5_working_days():
    s = stage("five-stage", 2)
    assert sides(s) == (Tier.LINE_MANAGER, Tier.LINE_MANAGER)
    assert s.timescale == Timescale(5, WORKING_DAYS)


def test_five_stage_policy_stage_3_is_senior_manager_to_senior_manager_within_5_working_days():
    s = stage("five-stage", 3)
    assert sides(s) == (Tier.SENIOR_MANAGER, Tier.SENIOR_MANAGER)
    assert s.timescale == Timescale(5, WORKING_DAYS)


def test_five_stage_policy_stage_4_is_director_or_chief_executive_within_2_working_days():
    s = stage("five-stage", 4)
    assert sides(s) == (Tier.EXECUTIVE, Tier.EXECUTIVE)
    assert s.timescale == Timescale(2, WORKING_DAYS)


def test_five_stage_policy_stage_5_is_partnership_mediation_within_5_working_days():
    s = stage("five-stage", 5)
    assert sides(s) == (Tier.PARTNERSHIP, Tier.PARTNERSHIP)
    assert s.timescale == Timescale(5, WORKING_DAYS)
    assert s.is_partnership_stage
    assert s.panel_rule == PanelRule.MEDIATION


def test_five_stage_policy_states_a_timescale_for_every_stage():
    assert all(s.timescale for s in get_preset("five-stage").stages)


def test_five_stage_policy_requires_evidence_of_the_previous_stage_before_moving_on():
    required = [s.evidence_of_previous_stage_required for s in get_preset("five-stage").stages]
    assert required == [False, True, True, True, True]


def test_five_stage_policy_sets_no_urgent_timescales():
    for s in get_preset("five-stage").stages:
        assert (s.child_protection, s.immediate_risk) == (None, None)


def test_five_stage_policy_discourages_escalation_by_email_in_its_own_words():
    assert get_preset("five-stage").email_advice == (
        "Escalation via e-mail is not recommended as effective multi-agency working requires "
        "professional challenge and discussion in a suitable format and in the most timely way possible."
    )


# --- 003 Bromley --------------------------------------------------------------------------------


def test_bromley_policy_has_four_stages_in_order():
    assert [s.name for s in get_preset("bromley").stages] == [
        "Stage 1: front-line professional to professional",
        "Stage 2: manager to manager / DSL to DSL",
        "Stage 3: senior manager / agency safeguarding lead",
        "Stage 4: Bromley Safeguarding Children Partnership (BSCP) / Chair",
    ]


def test_bromley_policy_stage_1_is_front_line_within_1_working_week():
    s = stage("bromley", 1)
    assert sides(s) == (Tier.PRACTITIONER, Tier.PRACTITIONER)
    assert s.timescale == Timescale(5, WORKING_DAYS)


def test_bromley_policy_stage_2_is_manager_or_dsl_to_counterpart():
    s = stage("bromley", 2)
    assert sides(s) == (Tier.LINE_MANAGER, Tier.LINE_MANAGER)
    assert s.timescale is None


def test_bromley_policy_stage_3_is_senior_manager_or_agency_safeguarding_lead():
    s = stage("bromley", 3)
    assert sides(s) == (Tier.SENIOR_MANAGER, Tier.SENIOR_MANAGER)
    assert s.timescale is None


def test_bromley_policy_stage_4_is_the_bscp_resolution_panel():
    s = stage("bromley", 4)
    assert sides(s) == (Tier.PARTNERSHIP, Tier.PARTNERSHIP)
    assert s.is_partnership_stage
    assert s.panel_rule == PanelRule.RESOLUTION_PANEL


def test_bromley_policy_resolution_panel_needs_senior_representatives_of_at_least_3_agencies():
    assert stage("bromley", 4).panel_min_agencies == 3


@pytest.mark.parametrize("number", [1, 2, 3, 4])
def test_bromley_policy_within_a_week_unless_risk_demands_faster(number):
    assert effective("bromley", number) == Timescale(5, WORKING_DAYS)
    assert effective("bromley", number, Urgency.CHILD_PROTECTION) == Timescale(24, CALENDAR_HOURS)
    assert effective("bromley", number, Urgency.IMMEDIATE_RISK) == SAME_WORKING_DAY


# --- 004 St Helens ------------------------------------------------------------------------------


def test_st_helens_policy_stages_in_order():
    assert [s.name for s in get_preset("st-helens").stages] == [
        "Stage One: consulting the line manager",
        "Stage Two: discussion between the professionals",
        "Stage Three: escalation to line manager",
        "Stage Four: escalation to safeguarding leads or senior manager",
        # "If the comparable Service Managers cannot achieve resolution then the issue will be
        # referred to the comparable agency Directors ... then ... the Director of Children's
        # Services who will make the final binding decision."
        "Directors of the agencies",
        "Director of Children's Services: final binding decision",
        "Mediation by a third party agency",
    ]


def test_st_helens_policy_stage_1_consults_own_manager_the_same_working_day_without_the_other_agency():
    s = stage("st-helens", 1)
    assert sides(s) == (Tier.PRACTITIONER, None)
    # "consult their manager/supervisor": the raiser's own line manager (or safeguarding lead)
    # holds it with them; the other agency and the raiser's fellow practitioners take no part.
    assert s.holder_roles("raiser") == {Role.LINE_MANAGER, Role.SAFEGUARDING_LEAD}
    assert s.holder_roles("receiver") == frozenset()
    assert s.timescale == SAME_WORKING_DAY
    assert not s.acknowledgement_required


def test_st_helens_policy_stage_2_is_discussion_between_the_professionals_within_one_working_week():
    s = stage("st-helens", 2)
    assert sides(s) == (Tier.PRACTITIONER, Tier.PRACTITIONER)
    assert s.timescale is None
    assert effective("st-helens", 2) == Timescale(5, WORKING_DAYS)


def test_st_helens_policy_stage_3_is_line_managers_with_escalation_notice_within_5_working_days():
    s = stage("st-helens", 3)
    assert sides(s) == (Tier.LINE_MANAGER, Tier.LINE_MANAGER)
    assert s.timescale == Timescale(5, WORKING_DAYS)


def test_st_helens_policy_stage_4_is_safeguarding_leads_or_service_managers_on_the_escalation_notice():
    s = stage("st-helens", 4)
    assert sides(s) == (Tier.SAFEGUARDING_LEAD, Tier.SAFEGUARDING_LEAD)
    assert s.timescale is None
    assert s.evidence_of_previous_stage_required


def test_st_helens_policy_stage_5_is_the_comparable_agency_directors():
    s = stage("st-helens", 5)
    assert sides(s) == (Tier.EXECUTIVE, Tier.EXECUTIVE)
    assert s.holder_roles("raiser") == s.holder_roles("receiver") == {Role.EXECUTIVE_LEAD}
    assert s.holder_agency_type is None


def test_st_helens_policy_stage_6_is_the_director_of_childrens_services_final_binding_decision():
    s = stage("st-helens", 6)
    assert s.holder_agency_type == AgencyType.CHILDRENS_SOCIAL_CARE
    assert s.holder_roles("raiser") == {Role.EXECUTIVE_LEAD}
    assert s.met_by == StepEvent.DECISION
    assert not s.is_partnership_stage


def test_st_helens_policy_stage_7_is_mediation_chaired_by_a_board_member_from_an_uninvolved_agency():
    s = stage("st-helens", 7)
    assert sides(s) == (Tier.PARTNERSHIP, Tier.PARTNERSHIP)
    assert s.is_partnership_stage
    assert s.panel_rule == PanelRule.UNINVOLVED_CHAIR
    assert s.timescale is None


@pytest.mark.parametrize("number", [1, 2, 3, 4, 5, 6, 7])
def test_st_helens_policy_immediate_risk_is_escalated_the_same_working_day_at_every_stage(number):
    assert stage("st-helens", number).immediate_risk == SAME_WORKING_DAY
    assert effective("st-helens", number, Urgency.IMMEDIATE_RISK) == SAME_WORKING_DAY


def test_st_helens_policy_sets_no_separate_child_protection_timescale():
    assert all(s.child_protection is None for s in get_preset("st-helens").stages)
