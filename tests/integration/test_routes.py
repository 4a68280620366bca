"""The routes the policies give past their stages (issue 12 §5), each stage passed on the record."""

import pytest
from django.urls import reverse

from cases.models import RecordEntry, RecordEntryKind
from escalation import routes, services
from escalation.models import Escalation, Notification, NotificationKind, StageOccurrence
from escalation.states import Category, StageOutcome
from partnerships.choices import Route, Urgency
from tests.conftest import build_cast, london

pytestmark = pytest.mark.django_db

TUESDAY = london(2026, 11, 3, 10, 0)


def raise_one(cast, urgency=Urgency.STANDARD):
    return services.escalation_raise(
        raised_by=cast.practitioner,
        raising_agency=cast.school,
        receiving_agency=cast.csc,
        children=[cast.child, cast.sibling],
        category=Category.CHILD_PROTECTION_PROCEDURES,
        concern="No strategy discussion was held.",
        why_unsafe="New injuries.",
        outcome_sought="A strategy discussion today.",
        urgency=urgency,
        at=TUESDAY,
    )


def fresh(escalation):
    return Escalation.objects.get(pk=escalation.pk)


def test_at_plymouth_an_immediate_risk_case_may_instigate_several_stages_at_once_and_each_is_recorded():
    cast = build_cast("plymouth")
    escalation = raise_one(cast, Urgency.IMMEDIATE_RISK)
    assert routes.routes_open_to(escalation, cast.practitioner) == [Route.URGENT_ALL_STAGES]
    routes.escalation_take_route(
        escalation=fresh(escalation),
        acting_user=cast.practitioner,
        route=Route.URGENT_ALL_STAGES,
        to_stage=4,
        reason="Injuries seen this morning; the social worker is on leave.",
        at=london(2026, 11, 3, 11, 0),
    )
    escalation = fresh(escalation)
    assert escalation.stage_number == 4
    passed = StageOccurrence.objects.filter(escalation=escalation).order_by("number")
    assert [(o.number, o.outcome) for o in passed] == [
        (1, StageOutcome.PASSED),
        (2, StageOutcome.PASSED),
        (3, StageOutcome.PASSED),
        (4, ""),
    ]
    assert all("Injuries seen this morning" in o.evidence_of_previous_efforts for o in passed[1:])
    # Each stage passed is on each child's file, with the reason.
    entries = RecordEntry.objects.filter(escalation=escalation, child=cast.child, kind=RecordEntryKind.ESCALATED)
    assert entries.count() == 3 and all("the social worker is on leave" in e.summary for e in entries)
    # The Heads of Service who hold stage 4 are told to act now.
    stage_4 = passed.get(number=4)
    told = set(
        Notification.objects.filter(occurrence=stage_4, kind=NotificationKind.ESCALATED).values_list(
            "recipient__username", flat=True
        )
    )
    assert {"senior", "head-of-service"} <= told


def test_at_plymouth_a_standard_case_goes_stage_by_stage():
    cast = build_cast("plymouth")
    escalation = raise_one(cast)
    assert routes.routes_open_to(escalation, cast.practitioner) == []
    with pytest.raises(services.NotPermitted):
        routes.escalation_take_route(
            escalation=escalation, acting_user=cast.practitioner, route=Route.URGENT_ALL_STAGES, to_stage=3, reason="x"
        )
    assert fresh(escalation).stage_number == 1


def test_the_five_stage_policy_has_no_route_past_its_stages(cast):
    escalation = raise_one(cast, Urgency.IMMEDIATE_RISK)
    assert routes.routes_open_to(escalation, cast.practitioner) == []


def test_at_bromley_a_practitioner_who_feels_unsafe_within_their_agency_goes_straight_to_the_partnership():
    cast = build_cast("bromley")
    escalation = routes.escalation_raise_to_partnership(
        reason="My manager is the person whose decision I am challenging.",
        raised_by=cast.practitioner,
        raising_agency=cast.school,
        receiving_agency=cast.csc,
        children=[cast.child],
        category=Category.THRESHOLD,
        concern="Refused.",
        why_unsafe="Risk.",
        outcome_sought="Assessment.",
        at=TUESDAY,
    )
    escalation = fresh(escalation)
    assert escalation.stage_number == 4 and escalation.policy_stage().is_partnership_stage
    partnership_stage = escalation.current_occurrence()
    assert "My manager is the person" in partnership_stage.evidence_of_previous_efforts
    told = set(
        Notification.objects.filter(occurrence=partnership_stage, kind=NotificationKind.ESCALATED).values_list(
            "recipient__username", flat=True
        )
    )
    assert {"business-manager", "chair"} <= told
    # The school's managers, whom the practitioner felt unsafe going to, are not told.
    assert not Notification.objects.filter(escalation=escalation, recipient=cast.manager).exists()


def test_going_straight_to_the_partnership_needs_a_reason_and_writes_nothing_without_one():
    cast = build_cast("bromley")
    with pytest.raises(services.EscalationError, match="not safe"):
        routes.escalation_raise_to_partnership(
            reason=" ",
            raised_by=cast.practitioner,
            raising_agency=cast.school,
            receiving_agency=cast.csc,
            children=[cast.child],
            category=Category.THRESHOLD,
            concern="Refused.",
            why_unsafe="Risk.",
            outcome_sought="Assessment.",
        )
    assert not Escalation.objects.exists()


def test_nothing_climbs_to_the_partnership_without_each_agency_stage_acknowledged(cast):
    escalation = raise_one(cast)
    for _ in range(3):
        services.escalation_escalate(escalation=fresh(escalation), acting_user=cast.practitioner, evidence="Tried.")
    with pytest.raises(services.EscalationError, match="stage 1, 2, 3, 4 was not acknowledged"):
        services.escalation_escalate(escalation=fresh(escalation), acting_user=cast.practitioner, evidence="Tried.")
    assert fresh(escalation).stage_number == 4


def test_the_raise_page_offers_bromleys_route_and_opens_the_partnership_stage(client):
    cast = build_cast("bromley")
    client.force_login(cast.practitioner)
    url = reverse("escalation:raise") + f"?child={cast.child.public_id}"
    page = client.get(url).content.decode()
    assert "It is not safe to raise this within my own agency" in page
    form = {
        "children": [str(cast.child.public_id)],
        "receiving_agency": cast.csc.pk,
        "category": Category.THRESHOLD,
        "concern": "Refused.",
        "why_unsafe": "Risk.",
        "outcome_sought": "Assessment.",
        "urgency": Urgency.STANDARD,
        "unsafe_within_agency": "on",
    }
    response = client.post(url, form)
    assert response.status_code == 200  # the reason is missing: nothing is written, nothing typed is lost
    assert "Enter why it is not safe to raise this within your own agency" in response.content.decode()
    assert "Refused." in response.content.decode()
    assert not Escalation.objects.exists()
    response = client.post(url, {**form, "unsafe_reason": "My manager made the decision."})
    assert response.status_code == 302
    assert Escalation.objects.get().stage_number == 4


def test_after_plymouths_route_the_stage_it_reaches_goes_on_to_the_partnership_once_acknowledged():
    cast = build_cast("plymouth")
    escalation = raise_one(cast, Urgency.IMMEDIATE_RISK)
    routes.escalation_take_route(
        escalation=fresh(escalation),
        acting_user=cast.practitioner,
        route=Route.URGENT_ALL_STAGES,
        to_stage=4,
        reason="Injuries seen this morning.",
    )
    # Each holder is told once, for the stage it reached; those it passed over are not told to act.
    assert (
        Notification.objects.filter(
            escalation=escalation, kind=NotificationKind.ESCALATED, recipient=cast.manager
        ).count()
        <= 1
    )
    services.escalation_acknowledge(escalation=fresh(escalation), acting_user=cast.other_senior_manager)
    services.escalation_escalate(escalation=fresh(escalation), acting_user=cast.practitioner, evidence="Heads met.")
    assert fresh(escalation).policy_stage().is_partnership_stage


def raised_outside_own_agency(cast):
    """Bromley's route at raise: straight to the partnership, the raiser's own agency kept out."""
    return routes.escalation_raise_to_partnership(
        reason="My DSL made the decision I am challenging.",
        raised_by=cast.practitioner,
        raising_agency=cast.school,
        receiving_agency=cast.csc,
        children=[cast.child],
        category=Category.THRESHOLD,
        concern="Refused.",
        why_unsafe="Risk.",
        outcome_sought="Assessment.",
        at=TUESDAY,
    )


def test_bromleys_route_at_raise_tells_and_shows_nothing_to_the_raisers_own_agency():
    from escalation.selectors import can_view

    cast = build_cast("bromley")
    escalation = raised_outside_own_agency(cast)
    for colleague in (cast.safeguarding_lead, cast.manager, cast.senior_manager):
        assert not Notification.objects.filter(escalation=escalation, recipient=colleague).exists()
        assert not can_view(fresh(escalation), colleague)
    assert not Notification.objects.filter(escalation=escalation, kind=NotificationKind.RAISED).exists()


def test_after_bromleys_route_the_raisers_own_managers_are_not_told_of_the_decision_nor_may_set_urgency():
    from escalation.errors import NotPermitted
    from escalation.partnership_stage import review_arrange
    from escalation.permissions import can_change_urgency
    from escalation.selectors import can_view
    from partnerships.choices import PanelRule
    from partnerships.models import Membership

    cast = build_cast("bromley")
    escalation = raised_outside_own_agency(cast)
    for colleague in (cast.safeguarding_lead, cast.senior_manager, cast.director):
        assert not can_change_urgency(fresh(escalation), colleague)
        with pytest.raises(NotPermitted):
            services.escalation_change_urgency(
                escalation=fresh(escalation), acting_user=colleague, urgency=Urgency.CHILD_PROTECTION, reason="x"
            )
    review_arrange(
        escalation=fresh(escalation),
        acting_user=cast.business_manager,
        arrangement=PanelRule.DIRECT_LIAISON,
        chair=Membership.objects.get(user=cast.police_senior_manager),
    )
    services.stage_record_decision(
        escalation=fresh(escalation), acting_user=cast.business_manager, decision="An assessment starts."
    )
    for colleague in (cast.safeguarding_lead, cast.manager, cast.senior_manager, cast.director):
        assert not Notification.objects.filter(escalation=escalation, recipient=colleague).exists()
        assert not can_view(fresh(escalation), colleague)


def test_cases_taken_around_the_raisers_agency_before_the_flag_existed_are_kept_from_it_by_migration():
    """Who has held a stage now counts the stages the urgent route passed (their holders are told
    of it). A case taken around the raiser's own agency before `kept_from_own_agency` existed is
    given the flag, so its passed stages still count nobody; any other case is left alone."""
    from importlib import import_module

    from django.apps import apps

    migration = import_module("escalation.migrations.0020_keep_older_unsafe_routes_from_own_agency")
    bromley = build_cast("bromley")
    older = raised_outside_own_agency(bromley)
    Escalation.objects.filter(pk=older.pk).update(kept_from_own_agency=False)  # as written before the flag
    climbed = raise_one(bromley)
    migration.keep_from_own_agency(apps, None)
    assert fresh(older).kept_from_own_agency
    assert not fresh(climbed).kept_from_own_agency


def test_the_migration_leaves_a_case_the_urgent_route_took_up_several_stages_alone():
    from importlib import import_module

    from django.apps import apps

    migration = import_module("escalation.migrations.0020_keep_older_unsafe_routes_from_own_agency")
    cast = build_cast("plymouth")
    urgent = raise_one(cast, Urgency.IMMEDIATE_RISK)
    routes.escalation_take_route(
        escalation=fresh(urgent), acting_user=cast.practitioner, route=Route.URGENT_ALL_STAGES, to_stage=4, reason="x"
    )
    assert StageOccurrence.objects.filter(escalation=urgent, outcome=StageOutcome.PASSED).count() == 3
    migration.keep_from_own_agency(apps, None)
    assert not fresh(urgent).kept_from_own_agency
