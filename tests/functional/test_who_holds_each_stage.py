"""The right people hold each stage, and seeing and acting agree (issue 12 §4).

A stage names the roles that may hold it on each side (a set, not a minimum rank). Whoever
may act on a stage can see the case; whoever may not see it cannot act on it. Each rule is
tested both ways, through the pages a person would use.
"""

import pytest
from django.urls import reverse
from django_fsm import has_transition_perm

from escalation import services
from escalation.deadlines import run_watcher
from escalation.models import Escalation, Notification, NotificationKind
from escalation.partnership_stage import review_arrange
from escalation.permissions import can_acknowledge, can_escalate, holds_current_stage, may_decide
from escalation.selectors import can_view
from escalation.states import Category, DiscussionMethod
from partnerships.choices import PanelRule, Role
from partnerships.models import Membership
from tests import climbing
from tests.conftest import build_cast, london
from tests.factories import person

pytestmark = pytest.mark.django_db

TUESDAY = london(2026, 11, 3, 10, 0)


def raise_one(cast, at=TUESDAY):
    return services.escalation_raise(
        raised_by=cast.practitioner,
        raising_agency=cast.school,
        receiving_agency=cast.csc,
        children=[cast.child],
        category=Category.THRESHOLD,
        concern="The referral was refused.",
        why_unsafe="Bruising seen twice.",
        outcome_sought="A strategy discussion.",
        at=at,
    )


def fresh(escalation):
    return Escalation.objects.get(pk=escalation.pk)


def climb(cast, escalation, to_stage):
    return climbing.climb(escalation, to_stage, by=cast.practitioner, at=TUESDAY)


def page(client, user, escalation, name="escalation:detail"):
    client.force_login(user)
    return client.get(reverse(name, args=[escalation.public_id])).status_code


def sees_and_acts(escalation, user) -> tuple[bool, bool]:
    e = fresh(escalation)
    return can_view(e, user), holds_current_stage(e, user)


# --- St Helens stage one: consult your own manager -------------------------------------------


def test_at_st_helens_stage_one_the_raisers_line_manager_and_dsl_see_it_and_can_act(client):
    cast = build_cast("st-helens")
    escalation = raise_one(cast)
    for manager in (cast.manager, cast.safeguarding_lead):
        assert sees_and_acts(escalation, manager) == (True, True)
        assert page(client, manager, escalation) == 200
        assert page(client, manager, escalation, "escalation:escalate") == 200


def test_at_st_helens_stage_one_other_practitioners_of_the_agency_neither_see_nor_are_warned(client):
    cast = build_cast("st-helens")
    colleague = person("colleague", cast.partnership, Role.PRACTITIONER, cast.school)
    escalation = raise_one(cast)
    assert sees_and_acts(escalation, colleague) == (False, False)
    assert page(client, colleague, escalation) == 404
    # Nor does the other agency: it takes no part until stage two.
    assert sees_and_acts(escalation, cast.other_practitioner) == (False, False)
    run_watcher(now=london(2026, 11, 3, 16, 30))
    warned = set(
        Notification.objects.filter(kind=NotificationKind.WARNING).values_list("recipient__username", flat=True)
    )
    assert "colleague" not in warned and "social-worker" not in warned


def test_at_st_helens_the_line_manager_is_told_the_same_working_day_and_a_consultation_in_time_is_not_missed():
    cast = build_cast("st-helens")
    escalation = raise_one(cast)
    told = set(
        Notification.objects.filter(escalation=escalation, kind=NotificationKind.RAISED).values_list(
            "recipient__username", flat=True
        )
    )
    assert {"manager", "dsl"} <= told and "social-worker" not in told
    assert fresh(escalation).current_occurrence().due_at == london(2026, 11, 3, 17, 0)
    services.discussion_record(
        escalation=fresh(escalation),
        acting_user=cast.manager,
        held_at=london(2026, 11, 3, 15, 0),
        method=DiscussionMethod.FACE_TO_FACE,
        participants="The practitioner and their line manager",
        outcome="Agreed to raise it with the social worker.",
    )
    assert run_watcher(now=london(2026, 11, 4, 10, 0)).breached == 0


def test_at_st_helens_a_consultation_not_held_by_17_00_is_recorded_as_missed():
    cast = build_cast("st-helens")
    raise_one(cast)
    assert run_watcher(now=london(2026, 11, 3, 17, 1)).breached == 1


# --- role sets at senior stages ------------------------------------------------------------------


def test_at_cumberland_level_three_a_designated_safeguarding_lead_may_act_with_the_service_leads(client):
    cast = build_cast("cumberland")
    escalation = climb(cast, raise_one(cast), 3)
    assert sees_and_acts(escalation, cast.safeguarding_lead) == (True, True)
    assert can_escalate(fresh(escalation), cast.safeguarding_lead)
    assert page(client, cast.safeguarding_lead, escalation, "escalation:discussion") == 200


def test_at_bromley_stage_3_an_equivalent_senior_safeguarding_lead_may_act():
    cast = build_cast("bromley")
    escalation = climb(cast, raise_one(cast), 3)
    assert sees_and_acts(escalation, cast.safeguarding_lead) == (True, True)
    assert sees_and_acts(escalation, cast.director) == (True, True)


def test_a_more_senior_manager_does_not_hold_a_lower_stage_and_does_not_see_it(client, cast):
    escalation = raise_one(cast)
    # Stage 1 of the five-stage policy is practitioner to practitioner.
    for senior in (cast.other_manager, cast.other_senior_manager, cast.other_director):
        assert sees_and_acts(escalation, senior) == (False, False)
        assert page(client, senior, escalation) == 404
        assert page(client, senior, escalation, "escalation:acknowledge") == 404


def test_once_it_reaches_the_line_managers_they_see_and_act_and_the_practitioners_still_see(client, cast):
    escalation = climb(cast, raise_one(cast), 2)
    assert sees_and_acts(escalation, cast.other_manager) == (True, True)
    assert can_acknowledge(fresh(escalation), cast.other_manager)
    assert page(client, cast.other_manager, escalation, "escalation:acknowledge") == 200
    # The social worker held stage 1: they still see it, but no longer act on it.
    assert sees_and_acts(escalation, cast.other_practitioner) == (True, False)
    assert page(client, cast.other_practitioner, escalation, "escalation:acknowledge") == 403


def test_where_an_agency_has_nobody_in_the_roles_the_nearest_tier_above_holds_and_sees_it(client, cast):
    # The police have a senior manager only: a disagreement with them is held there from stage 1.
    escalation = services.escalation_raise(
        raised_by=cast.practitioner,
        raising_agency=cast.school,
        receiving_agency=cast.police,
        children=[cast.child],
        category=Category.INFORMATION_SHARING,
        concern="Not shared.",
        why_unsafe="Risk unknown.",
        outcome_sought="Share it.",
        at=TUESDAY,
    )
    assert sees_and_acts(escalation, cast.police_senior_manager) == (True, True)
    assert page(client, cast.police_senior_manager, escalation, "escalation:acknowledge") == 200


# --- the partnership stage: the people actually seated -------------------------------------------


def arranged_with_an_uninvolved_chair(cast):
    escalation = climb(cast, raise_one(cast), 5)
    services.escalation_acknowledge(escalation=fresh(escalation), acting_user=cast.business_manager)
    seat = Membership.objects.get(user=cast.police_senior_manager)
    review_arrange(
        escalation=fresh(escalation), acting_user=cast.business_manager, arrangement=PanelRule.MEDIATION, chair=seat
    )
    return fresh(escalation)


def test_a_seated_chair_from_an_uninvolved_agency_sees_the_case_and_records_the_decision(client, cast):
    escalation = climb(cast, raise_one(cast), 5)
    assert page(client, cast.police_senior_manager, escalation) == 404  # not seated yet
    services.escalation_acknowledge(escalation=fresh(escalation), acting_user=cast.business_manager)
    review_arrange(
        escalation=fresh(escalation),
        acting_user=cast.business_manager,
        arrangement=PanelRule.MEDIATION,
        chair=Membership.objects.get(user=cast.police_senior_manager),
    )
    assert page(client, cast.police_senior_manager, escalation) == 200
    assert page(client, cast.police_senior_manager, escalation, "escalation:decision") == 200
    response = client.post(
        reverse("escalation:decision", args=[escalation.public_id]),
        {"decision": "Children's social care will assess within 5 working days.", **stamp(fresh(escalation))},
    )
    assert response.status_code == 302
    assert fresh(escalation).current_occurrence().decision.startswith("Children's social care will assess")


def test_an_unseated_panel_member_or_chair_cannot_record_the_decision(client, cast):
    escalation = arranged_with_an_uninvolved_chair(cast)
    assert not may_decide(escalation, cast.panel_member)
    assert not may_decide(escalation, cast.chair)
    assert page(client, cast.panel_member, escalation, "escalation:decision") == 403
    assert page(client, cast.health_senior_manager, escalation) == 404
    assert may_decide(escalation, cast.business_manager)


def test_nobody_records_the_partnership_decision_before_it_is_arranged(client, cast):
    escalation = climb(cast, raise_one(cast), 5)
    for organiser in (cast.business_manager, cast.chair):
        assert not may_decide(escalation, organiser)
        assert page(client, organiser, escalation, "escalation:decision") == 403


def stamp(escalation) -> dict:
    """The state and stage the page was read at (every form carries them)."""
    return {"seen_state": escalation.state, "seen_stage": escalation.stage_number}


def test_st_helens_stage_one_asks_for_no_acknowledgement_and_does_not_offer_one(client):
    cast = build_cast("st-helens")
    escalation = raise_one(cast)
    assert not has_transition_perm(fresh(escalation).acknowledge, cast.manager)
    client.force_login(cast.manager)
    page = client.get(reverse("escalation:detail", args=[escalation.public_id])).content.decode()
    assert ">Open</strong>" in page and "Awaiting acknowledgement" not in page
    assert page_has_link(page, "escalation:acknowledge", escalation) is False
    assert page_has_link(page, "escalation:escalate", escalation) is True


def test_at_cumberland_only_the_chair_is_offered_to_appoint_the_impartial_member(client):
    cast = build_cast("cumberland")
    escalation = climb(cast, raise_one(cast), 5)
    client.force_login(cast.business_manager)
    page = client.get(reverse("escalation:detail", args=[escalation.public_id])).content.decode()
    assert page_has_link(page, "escalation:arrange", escalation) is False
    assert client.get(reverse("escalation:arrange", args=[escalation.public_id])).status_code == 403
    client.force_login(cast.chair)
    page = client.get(reverse("escalation:detail", args=[escalation.public_id])).content.decode()
    assert page_has_link(page, "escalation:arrange", escalation) is True


def page_has_link(page: str, name: str, escalation) -> bool:
    return f'href="{reverse(name, args=[escalation.public_id])}"' in page


def test_at_st_helens_a_missed_consultation_is_told_within_the_raisers_agency_not_to_the_other():
    cast = build_cast("st-helens")
    escalation = raise_one(cast)
    assert run_watcher(now=london(2026, 11, 3, 17, 5)).breached == 1
    told = set(
        Notification.objects.filter(escalation=escalation, kind=NotificationKind.BREACH).values_list(
            "recipient__username", flat=True
        )
    )
    assert {"manager", "practitioner"} <= told
    assert "social-worker" not in told and "team-manager" not in told
    assert not can_view(fresh(escalation), cast.other_practitioner)


def test_the_arrange_page_offers_only_people_who_may_sit_not_the_parties_the_raiser_or_an_auditor(client):
    cast = build_cast("cumberland")
    escalation = climb(cast, raise_one(cast), 5)
    client.force_login(cast.chair)
    form = client.get(reverse("escalation:arrange", args=[escalation.public_id])).context["form"]
    offered = {m.user.username for m in form.fields["chair"].queryset} | {
        m.user.username for m in form.fields["members"].queryset
    }
    assert {"police-senior", "health-senior", "panel-member"} <= offered
    # The raiser and everyone who held a stage of it are parties; an auditor reads, not decides.
    assert not {"practitioner", "manager", "director", "social-worker", "dcs", "auditor"} & offered
