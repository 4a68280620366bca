"""A stage another agency joins only when the disagreement is urgent enough.

St Helens ("All agencies"): "However Safeguarding Children Unit managers will always follow up
cases where there are immediate concerns about a child – they will not be left until a Service
Manager is available."

The cast is Riverside's (tests/conftest.py) on St Helens' policy, with a Safeguarding Children
Unit whose manager takes part in every stage the two agencies hold while the child is at
immediate risk.
"""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from escalation import services
from escalation.models import Escalation, Notification, NotificationKind
from escalation.permissions import holds_current_stage
from escalation.selectors import can_view
from escalation.states import Category
from partnerships.choices import AgencyType, Role, Urgency
from partnerships.models import Agency, Membership
from tests import climbing
from tests.conftest import build_cast
from tests.factories import person

pytestmark = pytest.mark.django_db


def fresh(escalation):
    return Escalation.objects.get(pk=escalation.pk)


@pytest.fixture
def st_helens(db):
    return build_cast("st-helens")


@pytest.fixture
def unit_manager(st_helens):
    unit = Agency.objects.create(
        partnership=st_helens.partnership,
        name="Riverside Safeguarding Children Unit",
        type=AgencyType.SAFEGUARDING_UNIT,
    )
    return person("unit-manager", st_helens.partnership, Role.LINE_MANAGER, unit)


def raise_one(cast, urgency):
    return services.escalation_raise(
        raised_by=cast.practitioner,
        raising_agency=cast.school,
        receiving_agency=cast.csc,
        children=[cast.child],
        category=Category.THRESHOLD,
        concern="Children's social care closed the referral without a visit.",
        why_unsafe="Ellie says she is afraid to go home tonight.",
        outcome_sought="A visit today.",
        urgency=urgency,
    )


def notices_to(user, escalation, kind) -> list[Notification]:
    return list(Notification.objects.filter(escalation=escalation, recipient=user, kind=kind))


def test_an_immediate_risk_disagreement_is_followed_up_by_the_units_managers_from_the_moment_it_is_raised(
    st_helens, unit_manager
):
    escalation = raise_one(st_helens, Urgency.IMMEDIATE_RISK)
    [notice] = notices_to(unit_manager, escalation, NotificationKind.RAISED)
    assert "You hold this stage" in notice.message
    assert can_view(fresh(escalation), unit_manager)
    assert holds_current_stage(fresh(escalation), unit_manager)
    # "they will not be left until a Service Manager is available": every stage after, too.
    escalation = climbing.climb(escalation, 3, by=st_helens.practitioner)
    assert notices_to(unit_manager, escalation, NotificationKind.ESCALATED)
    assert holds_current_stage(fresh(escalation), unit_manager)


def test_a_disagreement_that_is_not_at_immediate_risk_is_not_the_units(st_helens, unit_manager):
    for urgency in (Urgency.STANDARD, Urgency.CHILD_PROTECTION):
        escalation = climbing.climb(raise_one(st_helens, urgency), 3, by=st_helens.practitioner)
        assert not Notification.objects.filter(escalation=escalation, recipient=unit_manager).exists()
        assert not can_view(fresh(escalation), unit_manager)
        assert not holds_current_stage(fresh(escalation), unit_manager)


def test_a_disagreement_made_immediate_risk_brings_the_unit_in_with_the_new_deadline(st_helens, unit_manager):
    escalation = raise_one(st_helens, Urgency.STANDARD)
    assert not can_view(fresh(escalation), unit_manager)
    services.escalation_change_urgency(
        escalation=fresh(escalation),
        acting_user=st_helens.practitioner,
        urgency=Urgency.IMMEDIATE_RISK,
        reason="Ellie disclosed tonight's risk at lunchtime.",
    )
    [notice] = notices_to(unit_manager, escalation, NotificationKind.URGENCY_CHANGED)
    assert "changed the urgency to immediate risk" in notice.message
    assert "You hold this stage" in notice.message
    assert can_view(fresh(escalation), unit_manager)


def test_the_units_directors_and_the_director_of_childrens_services_stage_are_not_brought_in(
    st_helens, unit_manager
):
    """The unit's managers join the stages the two agencies hold; the Director of Children's
    Services' decision and the Board's meeting are held by the people the policy names."""
    stage = st_helens.partnership.policy.stage(6)
    assert stage.holder_agency_type and not stage.joined_by_agency_type
    assert not st_helens.partnership.policy.stage(7).joined_by_agency_type


def test_the_policy_page_says_the_unit_follows_up_immediate_risk(st_helens, client):
    client.force_login(st_helens.practitioner)
    page = client.get(reverse("policy:show", args=[st_helens.partnership.slug])).content.decode()
    assert (
        "Line manager, senior manager or head of service in the partnership&#x27;s safeguarding children unit, "
        "when the urgency is immediate risk of significant harm and it is not one of the two"
    ) in page


def test_the_urgency_a_stage_is_joined_at_must_be_an_urgency_and_needs_the_agency_that_joins(st_helens):
    stage = st_helens.partnership.policy.stage(2)
    stage.joined_at_urgency = ["tonight"]
    with pytest.raises(ValidationError) as error:
        stage.full_clean()
    assert "joined_at_urgency" in error.value.message_dict
    stage.joined_at_urgency = [Urgency.IMMEDIATE_RISK.value]
    stage.joined_by_agency_type = ""
    stage.joiner_roles = []
    with pytest.raises(ValidationError) as error:
        stage.full_clean()
    assert "Choose the agency that joins the stage" in str(error.value)


def test_the_unit_manager_is_a_member_of_the_partnership_only_through_their_unit(unit_manager, st_helens):
    """The demo's and this cast's unit manager belongs to no party agency: only the rule above
    brings them in."""
    held = Membership.objects.get(user=unit_manager)
    assert held.agency.type == AgencyType.SAFEGUARDING_UNIT and held.partnership == st_helens.partnership


def test_a_unit_manager_who_holds_the_missed_stage_and_the_next_is_told_what_happens_now(st_helens, unit_manager):
    """The unit's managers hold stages two and three of an immediate-risk case: when stage two's
    same-working-day deadline passes they are told what happens now, not to follow it up with the
    people holding it (themselves among them)."""
    from escalation.deadlines import run_watcher
    from tests.conftest import london

    escalation = services.escalation_raise(
        raised_by=st_helens.practitioner,
        raising_agency=st_helens.school,
        receiving_agency=st_helens.csc,
        children=[st_helens.child],
        category=Category.THRESHOLD,
        concern="Children's social care closed the referral without a visit.",
        why_unsafe="Ellie says she is afraid to go home tonight.",
        outcome_sought="A visit today.",
        urgency=Urgency.IMMEDIATE_RISK,
        at=london(2026, 11, 3, 10, 0),
    )
    climbing.climb(escalation, 2, by=st_helens.practitioner, at=london(2026, 11, 3, 10, 30))
    run_watcher(now=london(2026, 11, 4, 9, 0))
    [missed] = notices_to(unit_manager, escalation, NotificationKind.BREACH)
    assert "What happens now" in missed.message and "You hold the next stage" not in missed.message
