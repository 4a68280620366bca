"""Bromley: "If staff feel unsafe raising concerns within their own agency, they may escalate
directly to external managers, or request escalation via BSCP."

The managers of the agency disagreed with take it up at Stage 2 (manager to manager); on the
raiser's side the raiser alone holds every stage after, and their own managers are neither told
nor shown it, up to and including the partnership stage.
"""

import pytest
from django.urls import reverse

from escalation import routes, services
from escalation.models import Escalation, Notification, NotificationKind
from escalation.permissions import can_withdraw, holds_current_stage
from escalation.selectors import can_view, escalations_visible_to
from escalation.states import Category, DiscussionMethod, StageOutcome
from partnerships.choices import Route, Urgency
from tests.climbing import fresh
from tests.conftest import build_cast, london
from tests.integration.test_routes import raise_one

pytestmark = pytest.mark.django_db

TUESDAY = london(2026, 11, 3, 10, 0)
REASON = "My DSL made the decision I am challenging."


@pytest.fixture
def bromley(db):
    return build_cast("bromley")


def raised_to_external_managers(cast):
    return routes.escalation_raise_to_external_managers(
        reason=REASON,
        raised_by=cast.practitioner,
        raising_agency=cast.school,
        receiving_agency=cast.csc,
        children=[cast.child],
        category=Category.THRESHOLD,
        concern="Children's social care refused the referral.",
        why_unsafe="Ellie has disclosed violence at home.",
        outcome_sought="A child and family assessment.",
        at=TUESDAY,
    )


def told(escalation) -> set[str]:
    return set(Notification.objects.filter(escalation=escalation).values_list("recipient__username", flat=True))


def own_agency(cast):
    return (cast.manager, cast.safeguarding_lead, cast.senior_manager, cast.director)


def test_bromleys_external_managers_route_takes_it_to_stage_2_held_by_the_other_agencys_managers(bromley):
    cast = bromley
    escalation = raised_to_external_managers(cast)
    assert escalation.stage_number == 2
    assert escalation.policy_stage().name == "Stage 2: manager to manager / DSL to DSL"
    assert escalation.occurrences.get(number=1).outcome == StageOutcome.PASSED
    # The receiving agency's line manager is told it needs them, and holds it.
    notice = Notification.objects.get(
        escalation=escalation, kind=NotificationKind.ESCALATED, recipient=cast.other_manager
    )
    assert "You hold this stage" in notice.message
    assert holds_current_stage(fresh(escalation), cast.other_manager)
    assert can_view(fresh(escalation), cast.other_manager)
    # The reason is on the record of the stage it reached.
    assert REASON in escalation.current_occurrence().evidence_of_previous_efforts


def test_the_raisers_own_managers_are_neither_told_nor_shown_it(bromley):
    cast = bromley
    escalation = raised_to_external_managers(cast)
    for colleague in own_agency(cast):
        assert colleague.username not in told(escalation)
        assert not can_view(fresh(escalation), colleague)
        assert not holds_current_stage(fresh(escalation), colleague)
        assert not escalations_visible_to(colleague).filter(pk=escalation.pk).exists()
        assert not can_withdraw(fresh(escalation), colleague)
    # The raiser holds their agency's side alone.
    assert holds_current_stage(fresh(escalation), cast.practitioner)


def test_what_the_other_agencys_manager_records_reaches_the_raiser_and_nobody_else_in_their_agency(bromley):
    cast = bromley
    escalation = raised_to_external_managers(cast)
    services.escalation_acknowledge(escalation=fresh(escalation), acting_user=cast.other_manager, at=TUESDAY)
    services.discussion_record(
        escalation=fresh(escalation),
        acting_user=cast.other_manager,
        held_at=TUESDAY,
        method=DiscussionMethod.PHONE,
        participants="The raising practitioner and the team manager",
        outcome="The team manager will review the referral with the practitioner's information.",
        at=TUESDAY,
    )
    assert cast.practitioner.username in told(escalation)
    assert not told(escalation) & {c.username for c in own_agency(cast)}


def test_climbing_on_keeps_the_raisers_own_agency_out_up_to_the_partnership(bromley):
    from escalation.partnership_stage import review_arrange
    from partnerships.choices import PanelRule
    from partnerships.models import Membership

    cast = bromley
    escalation = raised_to_external_managers(cast)
    services.escalation_acknowledge(escalation=fresh(escalation), acting_user=cast.other_manager, at=TUESDAY)
    services.escalation_escalate(escalation=fresh(escalation), acting_user=cast.practitioner, evidence="We talked.")
    # Stage 3: the other agency's senior manager holds it; the raiser's own senior managers do not.
    assert holds_current_stage(fresh(escalation), cast.other_senior_manager)
    assert not holds_current_stage(fresh(escalation), cast.senior_manager)
    services.escalation_acknowledge(escalation=fresh(escalation), acting_user=cast.other_senior_manager)
    services.escalation_escalate(escalation=fresh(escalation), acting_user=cast.practitioner, evidence="Still no.")
    assert fresh(escalation).policy_stage().is_partnership_stage
    review_arrange(
        escalation=fresh(escalation),
        acting_user=cast.business_manager,
        arrangement=PanelRule.DIRECT_LIAISON,
        chair=Membership.objects.get(user=cast.police_senior_manager),
    )
    services.stage_record_decision(
        escalation=fresh(escalation), acting_user=cast.business_manager, decision="An assessment starts today."
    )
    for colleague in own_agency(cast):
        assert colleague.username not in told(escalation)
        assert not can_view(fresh(escalation), colleague)
    assert {cast.practitioner.username, cast.other_manager.username, cast.other_senior_manager.username} <= told(
        escalation
    )


def test_the_route_is_offered_on_a_raised_case_only_where_the_policy_gives_it(bromley):
    cast = bromley
    escalation = raise_one(cast)
    assert Route.EXTERNAL_MANAGERS in routes.routes_open_to(escalation, cast.practitioner)
    assert Route.EXTERNAL_MANAGERS not in routes.routes_open_to(escalation, cast.other_practitioner)
    with pytest.raises(services.EscalationError, match="the other agency's managers hold"):
        routes.escalation_take_route(
            escalation=fresh(escalation),
            acting_user=cast.practitioner,
            route=Route.EXTERNAL_MANAGERS,
            to_stage=3,
            reason=REASON,
        )


def test_the_five_stage_policy_has_no_route_to_external_managers(cast):
    with pytest.raises(services.EscalationError, match="no route straight to the other agency's managers"):
        raised_to_external_managers(cast)
    assert not Escalation.objects.exists()


def test_the_raise_page_lets_the_raiser_choose_the_other_agencys_managers(bromley, client):
    cast = bromley
    client.force_login(cast.practitioner)
    url = reverse("escalation:raise") + f"?child={cast.child.public_id}"
    page = client.get(url).content.decode()
    assert "Where should it go instead?" in page
    assert "Straight to the other agency&#x27;s managers" in page
    response = client.post(
        url,
        {
            "children": [str(cast.child.public_id)],
            "receiving_agency": cast.csc.pk,
            "category": Category.THRESHOLD,
            "concern": "Refused.",
            "why_unsafe": "Risk.",
            "outcome_sought": "Assessment.",
            "urgency": Urgency.STANDARD,
            "unsafe_within_agency": "on",
            "unsafe_goes_to": Route.EXTERNAL_MANAGERS,
            "unsafe_reason": REASON,
        },
    )
    assert response.status_code == 302
    escalation = Escalation.objects.get()
    assert (escalation.stage_number, escalation.kept_from_own_agency) == (2, True)
    client.force_login(cast.manager)
    assert client.get(reverse("escalation:detail", args=[escalation.public_id])).status_code == 404


def test_the_take_route_page_offers_the_other_agencys_managers_on_a_raised_case(bromley, client):
    cast = bromley
    escalation = raise_one(cast)
    client.force_login(cast.practitioner)
    detail = client.get(reverse("escalation:detail", args=[escalation.public_id])).content.decode()
    assert "Go straight to the other agency's managers" in detail
    url = reverse("escalation:route", args=[escalation.public_id]) + "?route=external_managers"
    page = client.get(url).content.decode()
    assert "From now on nobody in your own agency but you is told of it or holds it" in page
    response = client.post(
        url,
        {"to_stage": 2, "reason": REASON, "seen_state": escalation.state, "seen_stage": "1"},
    )
    assert response.status_code == 302
    assert (fresh(escalation).stage_number, fresh(escalation).kept_from_own_agency) == (2, True)
    assert client.get(reverse("escalation:route", args=[escalation.public_id]) + "?route=nonsense").status_code == 403
