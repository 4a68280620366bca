"""The partnership stage: formal use recorded and the panel rules each policy sets."""

import pytest

from escalation import services
from escalation.models import Notification, NotificationKind, PartnershipReview
from escalation.partnership_stage import review_arrange
from escalation.permissions import holds_current_stage
from escalation.selectors import can_view
from escalation.states import Category
from partnerships.choices import AgencyType, PanelRule, Role
from partnerships.models import Membership
from tests import climbing
from tests.conftest import build_cast
from tests.factories import AgencyFactory, person
from tests.integration.test_escalation_lifecycle import climb_to_partnership_stage, fresh, raise_one

pytestmark = pytest.mark.django_db


def seat(user):
    return Membership.objects.filter(user=user).first()


def test_the_five_stage_policy_ends_in_partnership_mediation(cast):
    escalation = climb_to_partnership_stage(cast, raise_one(cast))
    with pytest.raises(services.EscalationError, match="mediation"):
        review_arrange(
            escalation=escalation,
            acting_user=cast.business_manager,
            arrangement=PanelRule.RESOLUTION_PANEL,
            chair=seat(cast.chair),
        )
    review_arrange(
        escalation=escalation,
        acting_user=cast.business_manager,
        arrangement=PanelRule.MEDIATION,
        chair=seat(cast.chair),
    )
    assert PartnershipReview.objects.get().arrangement == PanelRule.MEDIATION


def test_only_the_business_manager_or_chair_arranges_the_partnership_stage(cast):
    escalation = climb_to_partnership_stage(cast, raise_one(cast))
    with pytest.raises(services.NotPermitted):
        review_arrange(
            escalation=escalation, acting_user=cast.auditor, arrangement=PanelRule.MEDIATION, chair=seat(cast.chair)
        )


@pytest.fixture
def bromley(db):
    return build_cast("bromley")


def climb_bromley(cast):
    escalation = raise_one(cast)
    for holder in (cast.other_practitioner, cast.other_manager, cast.other_senior_manager):
        services.escalation_acknowledge(escalation=fresh(escalation), acting_user=holder)
        services.escalation_escalate(escalation=fresh(escalation), acting_user=cast.practitioner, evidence="Tried.")
    return fresh(escalation)


def test_a_bromley_resolution_panel_needs_senior_representatives_of_three_agencies(bromley):
    cast = bromley
    escalation = climb_bromley(cast)
    assert escalation.stage_number == 4
    two_agencies = [seat(cast.police_senior_manager), seat(cast.health_senior_manager)]
    with pytest.raises(services.EscalationError, match="at least 3 different agencies; you chose 2"):
        review_arrange(
            escalation=escalation,
            acting_user=cast.business_manager,
            arrangement=PanelRule.RESOLUTION_PANEL,
            chair=seat(cast.chair),
            members=two_agencies,
        )
    # The senior managers who held stage 3 are parties to the disagreement: they cannot sit.
    with pytest.raises(services.EscalationError, match="Nobody who is a party to the disagreement"):
        review_arrange(
            escalation=escalation,
            acting_user=cast.business_manager,
            arrangement=PanelRule.RESOLUTION_PANEL,
            chair=seat(cast.chair),
            members=two_agencies + [seat(cast.other_senior_manager)],
        )
    # Nor does anyone junior: "Panels should include senior representatives".
    probation = AgencyFactory(partnership=cast.partnership, name="Bromley Probation", type=AgencyType.PROBATION)
    officer = person("probation-officer", cast.partnership, Role.PRACTITIONER, probation)
    with pytest.raises(services.EscalationError, match="senior representatives"):
        review_arrange(
            escalation=escalation,
            acting_user=cast.business_manager,
            arrangement=PanelRule.RESOLUTION_PANEL,
            chair=seat(cast.chair),
            members=two_agencies + [seat(officer)],
        )
    assert not PartnershipReview.objects.exists()
    head = person("probation-head", cast.partnership, Role.SENIOR_MANAGER, probation)
    review_arrange(
        escalation=escalation,
        acting_user=cast.business_manager,
        arrangement=PanelRule.RESOLUTION_PANEL,
        chair=seat(cast.chair),
        members=two_agencies + [seat(head)],
    )
    assert PartnershipReview.objects.get().members.count() == 3


def test_bromley_may_instead_facilitate_resolution_by_direct_liaison_but_not_by_mediation(bromley):
    cast = bromley
    escalation = climb_bromley(cast)
    with pytest.raises(services.EscalationError, match="resolution panel or a direct liaison"):
        review_arrange(
            escalation=escalation,
            acting_user=cast.business_manager,
            arrangement=PanelRule.MEDIATION,
            chair=seat(cast.chair),
        )
    review_arrange(
        escalation=escalation,
        acting_user=cast.business_manager,
        arrangement=PanelRule.DIRECT_LIAISON,
        chair=seat(cast.business_manager),
    )
    assert PartnershipReview.objects.get().arrangement == PanelRule.DIRECT_LIAISON


@pytest.fixture
def st_helens(db):
    return build_cast("st-helens")


def test_st_helens_mediation_is_chaired_by_a_member_from_an_uninvolved_agency(st_helens):
    cast = st_helens
    escalation = climbing.climb(raise_one(cast), 7, by=cast.practitioner, evidence="Escalation notice sent.")
    assert escalation.stage_number == 7 and escalation.policy_stage().is_partnership_stage
    # "The chair will identify a Board member from an uninvolved agency to chair a meeting."
    with pytest.raises(services.NotPermitted, match="chair appoints"):
        review_arrange(
            escalation=escalation,
            acting_user=cast.business_manager,
            arrangement=PanelRule.UNINVOLVED_CHAIR,
            chair=seat(cast.health_senior_manager),
        )
    with pytest.raises(services.EscalationError, match="not a party to the disagreement"):
        review_arrange(
            escalation=escalation,
            acting_user=cast.chair,
            arrangement=PanelRule.UNINVOLVED_CHAIR,
            chair=seat(cast.other_senior_manager),
        )
    review_arrange(
        escalation=escalation,
        acting_user=cast.chair,
        arrangement=PanelRule.UNINVOLVED_CHAIR,
        chair=seat(cast.health_senior_manager),
    )
    assert PartnershipReview.objects.get().chair_agency == cast.health


def test_resolving_keeps_the_resolution_record_and_tells_the_raiser(cast):
    escalation = raise_one(cast)
    services.escalation_acknowledge(escalation=escalation, acting_user=cast.other_practitioner)
    services.escalation_resolve(
        escalation=fresh(escalation),
        acting_user=cast.other_practitioner,
        outcome="Referral accepted for assessment.",
        lessons_learnt="Share bruising photos early.",
        family_informed=False,
        family_not_informed_reason="Would increase risk.",
        case_review_recommended=True,
    )
    resolution = fresh(escalation).resolution
    assert (resolution.stage_resolved, resolution.case_review_recommended) == (1, True)
    assert resolution.main_reason == escalation.category
    notice = Notification.objects.get(recipient=cast.practitioner, kind=NotificationKind.RESOLVED)
    assert escalation.reference in notice.message
    assert "Ellie" not in notice.message and "Hart" not in notice.message


def test_at_st_helens_the_director_of_childrens_services_makes_the_final_binding_decision_before_mediation(st_helens):
    cast = st_helens
    # A disagreement between the school and the police: the DCS is in neither agency, yet holds stage 6.
    escalation = services.escalation_raise(
        raised_by=cast.practitioner,
        raising_agency=cast.school,
        receiving_agency=cast.police,
        children=[cast.child],
        category=Category.INFORMATION_SHARING,
        concern="Not shared.",
        why_unsafe="Risk unknown.",
        outcome_sought="Share it.",
    )
    escalation = climbing.climb(escalation, 6, by=cast.practitioner)
    stage = fresh(escalation).policy_stage()
    assert stage.name == "Director of Children's Services: final binding decision"
    assert holds_current_stage(fresh(escalation), cast.other_director)  # the DCS (children's social care)
    assert not holds_current_stage(fresh(escalation), cast.director)  # the school's director does not
    assert can_view(fresh(escalation), cast.other_director)  # told of it, so can open it
    told = Notification.objects.get(
        escalation=escalation, kind=NotificationKind.ESCALATED, recipient=cast.other_director, occurrence__number=6
    )
    assert "make the binding decision and record it" in told.message
    services.escalation_acknowledge(escalation=fresh(escalation), acting_user=cast.other_director)
    with pytest.raises(services.EscalationError):  # resolved only on the decision
        services.escalation_resolve(escalation=fresh(escalation), acting_user=cast.other_director, outcome="x")
    services.stage_record_decision(
        escalation=fresh(escalation), acting_user=cast.other_director, decision="The police share the record today."
    )
    assert fresh(escalation).current_occurrence().step_met_at is not None
    services.escalation_resolve(escalation=fresh(escalation), acting_user=cast.other_director, outcome="Shared.")
    assert fresh(escalation).resolution.stage_resolved == 6


def test_nobody_who_is_a_party_or_raised_it_is_seated_whatever_the_arrangement(cast):
    escalation = climbing.climb(raise_one(cast), 5, by=cast.practitioner)
    for party in (cast.practitioner, cast.other_director):
        with pytest.raises(services.EscalationError, match="Nobody who is a party"):
            review_arrange(
                escalation=fresh(escalation),
                acting_user=cast.business_manager,
                arrangement=PanelRule.MEDIATION,
                chair=seat(party),
            )
    assert not PartnershipReview.objects.exists()


def test_arranging_the_partnership_stage_takes_it_up_so_it_no_longer_awaits_acknowledgement(cast):
    """The business manager who arranges mediation has acknowledged the case in all but name:
    it reads "In discussion", and the file says who took it up and how."""
    from cases.models import RecordEntry

    escalation = climbing.climb(raise_one(cast), 5, by=cast.practitioner)
    assert escalation.get_state_display() == "Awaiting acknowledgement"
    review_arrange(
        escalation=fresh(escalation),
        acting_user=cast.business_manager,
        arrangement=PanelRule.MEDIATION,
        chair=seat(cast.police_senior_manager),
    )
    escalation = fresh(escalation)
    assert escalation.get_state_display() == "In discussion"
    occurrence = escalation.current_occurrence()
    assert occurrence.acknowledged_by == cast.business_manager
    assert occurrence.acknowledged_at is not None
    entry = RecordEntry.objects.filter(escalation=escalation, child=cast.child).order_by("-at", "-pk")[1]
    assert entry.kind == "acknowledged" and "by arranging it" in entry.summary
    # Nobody gets a separate "acknowledged" notice: they hear of the arrangement.
    assert not Notification.objects.filter(
        escalation=escalation, kind=NotificationKind.ACKNOWLEDGED, occurrence=occurrence
    ).exists()


def test_an_acknowledged_partnership_stage_is_not_acknowledged_again_by_arranging_it(cast):
    escalation = climb_to_partnership_stage(cast, raise_one(cast))
    acknowledged_at = escalation.current_occurrence().acknowledged_at
    review_arrange(
        escalation=fresh(escalation),
        acting_user=cast.chair,
        arrangement=PanelRule.MEDIATION,
        chair=seat(cast.police_senior_manager),
    )
    occurrence = fresh(escalation).current_occurrence()
    assert (occurrence.acknowledged_by, occurrence.acknowledged_at) == (cast.business_manager, acknowledged_at)


@pytest.mark.parametrize(
    ("slug", "arrangement"),
    [
        ("plymouth", PanelRule.HEAD_OF_SAFEGUARDING),  # "the matter must be referred to the Head of Safeguarding"
        ("cumberland", PanelRule.IMPARTIAL_MEMBER),  # "An impartial CSCP member, appointed by the CSCP Chair"
        ("five-stage", PanelRule.MEDIATION),  # "one of the Strategic Leads will offer mediation"
    ],
)
def test_who_chairs_mediates_or_decides_holds_a_senior_post_never_a_front_line_practitioner(slug, arrangement, client):
    from django.urls import reverse

    cast = build_cast(slug)
    police = seat(cast.police_senior_manager).agency
    practitioner = person("police-officer", cast.partnership, Role.PRACTITIONER, police)
    line_manager = person("police-sergeant", cast.partnership, Role.LINE_MANAGER, police)
    escalation = raise_one(cast)
    escalation = climbing.climb(escalation, escalation.stage_count, by=cast.practitioner)
    senior_posts = "is the partnership's chair or a panel member, or an agency"
    for junior in (practitioner, line_manager):
        with pytest.raises(services.EscalationError, match=senior_posts):
            review_arrange(
                escalation=fresh(escalation), acting_user=cast.chair, arrangement=arrangement, chair=seat(junior)
            )
    assert not PartnershipReview.objects.exists()
    # The form offers only people who may: the uninvolved senior manager, not the officer.
    client.force_login(cast.chair)
    page = client.get(reverse("escalation:arrange", args=[escalation.public_id])).content.decode()
    assert "police-senior" in page or cast.police_senior_manager.get_full_name() in page
    assert "police-officer" not in page and practitioner.get_full_name() not in page
    review_arrange(
        escalation=fresh(escalation),
        acting_user=cast.chair,
        arrangement=arrangement,
        chair=seat(cast.police_senior_manager),
    )
    assert PartnershipReview.objects.get().chair == cast.police_senior_manager


def test_a_mediation_seats_nobody_beside_the_mediator():
    five_stage = build_cast("five-stage")
    mediation = raise_one(five_stage)
    mediation = climbing.climb(mediation, mediation.stage_count, by=five_stage.practitioner)
    with pytest.raises(services.EscalationError, match="A mediation has no panel members"):
        review_arrange(
            escalation=fresh(mediation),
            acting_user=five_stage.business_manager,
            arrangement=PanelRule.MEDIATION,
            chair=seat(five_stage.chair),
            members=[seat(five_stage.police_senior_manager)],
        )
    assert not PartnershipReview.objects.exists()
