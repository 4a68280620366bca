"""The home page leads with what needs the person now, grouped by deadline, then what they
raised and what they follow; business managers and chairs also see the partnership stage."""

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from escalation import services
from escalation.models import Action, Notification, NotificationKind
from escalation.worklist import ACKNOWLEDGE, DECIDE, RECORD, group_by_deadline, work_for
from tests.climbing import climb, fresh
from tests.conftest import london
from tests.integration.test_escalation_lifecycle import raise_one

pytestmark = pytest.mark.django_db


def home(client, user):
    client.force_login(user)
    return client.get(reverse("home")).content.decode()


def test_the_other_agencys_practitioner_is_asked_to_acknowledge_with_its_deadline_and_a_link(client, cast):
    with time_machine.travel(london(2026, 11, 30, 11, 0)):  # a Monday
        escalation = raise_one(cast, at=london(2026, 11, 30, 10, 0))
        page = home(client, cast.other_practitioner)
    assert "What needs you now" in page
    assert "1 to acknowledge" in page
    assert reverse("escalation:acknowledge", args=[escalation.public_id]) in page
    assert escalation.reference in page
    assert "Wed 2 Dec 2026, 17:00" in page  # stage 1: two working days
    assert 'data-work-group="week"' in page


def test_a_missed_deadline_puts_the_case_under_overdue(client, cast):
    escalation = raise_one(cast)
    with time_machine.travel(london(2027, 1, 4, 9, 0)):
        page = home(client, cast.other_practitioner)
    assert 'data-work-group="overdue"' in page and escalation.reference in page


def test_with_nothing_to_do_a_practitioner_is_told_so_and_offered_to_raise_one(client, cast):
    page = home(client, cast.practitioner)
    assert "data-work-empty" in page and "Nothing needs you now" in page
    assert 'class="govuk-button"' in page and "Raise a disagreement</a>" in page


def test_the_raiser_sees_what_they_raised_and_the_discussion_stage_1_times(client, cast):
    with time_machine.travel(london(2026, 12, 23, 11, 0)):
        escalation = raise_one(cast)
        page = home(client, cast.practitioner)
    assert "What you raised" in page and escalation.reference in page.split("What you raised")[1]
    # Five-stage stage 1 times the practitioners' discussion: either of them records it.
    assert [(i.todo, i.what) for i in work_for(cast.practitioner)] == [(RECORD, "Record the discussion")]


def test_at_five_stage_stage_2_the_managers_not_the_raiser_are_asked_to_record_their_discussion(cast):
    escalation = climb(raise_one(cast), 2, by=cast.practitioner)
    services.escalation_acknowledge(escalation=fresh(escalation), acting_user=cast.other_manager)
    # "The discussion between managers must occur within 5 working days": theirs to record.
    assert (RECORD, "Record the discussion") in [(i.todo, i.what) for i in work_for(cast.manager)]
    assert [(i.todo, i.what) for i in work_for(cast.practitioner) if i.escalation.pk == escalation.pk] == []


def test_after_acknowledging_it_is_asked_to_record_the_discussion(cast):
    escalation = raise_one(cast)
    services.escalation_acknowledge(escalation=escalation, acting_user=cast.other_practitioner)
    items = work_for(cast.other_practitioner)
    assert [(i.todo, i.what) for i in items] == [(RECORD, "Record the discussion")]


def test_an_agreed_action_is_the_owners_to_record_by_its_day(cast):
    escalation = raise_one(cast)
    services.escalation_acknowledge(escalation=escalation, acting_user=cast.other_practitioner)
    services.discussion_record(
        escalation=fresh(escalation),
        acting_user=cast.practitioner,
        held_at=london(2026, 12, 23, 11, 0),
        method="phone",
        participants="Both practitioners",
        outcome="A home visit.",
        actions=[{"description": "Visit the home", "owner": cast.manager, "due_on": london(2027, 1, 6).date()}],
    )
    items = [i for i in work_for(cast.manager) if i.what == "Agreed action"]
    assert [(i.escalation.pk, i.due_on, i.detail) for i in items] == [
        (escalation.pk, london(2027, 1, 6).date(), "Visit the home")
    ]
    assert Action.objects.get().owner == cast.manager


def test_at_the_partnership_stage_the_business_manager_arranges_then_decides(client, cast):
    escalation = climb(raise_one(cast), 5, by=cast.practitioner)
    assert [(i.todo, i.what) for i in work_for(cast.business_manager)] == [(ACKNOWLEDGE, "Acknowledge")]
    services.escalation_acknowledge(escalation=fresh(escalation), acting_user=cast.business_manager)
    assert [(i.todo, i.what) for i in work_for(cast.business_manager)] == [(DECIDE, "Arrange the partnership's review")]
    from escalation.partnership_stage import review_arrange
    from partnerships.choices import PanelRule
    from partnerships.models import Membership

    review_arrange(
        escalation=fresh(escalation),
        acting_user=cast.business_manager,
        arrangement=PanelRule.MEDIATION,
        chair=Membership.objects.get(user=cast.chair),
    )
    assert [(i.todo, i.what) for i in work_for(cast.business_manager)] == [(DECIDE, "Record the decision")]
    page = home(client, cast.business_manager)
    assert "Waiting at the partnership stage" in page
    assert escalation.reference in page.split("Waiting at the partnership stage")[1]


def test_business_managers_see_when_the_watcher_last_acted(client, cast):
    escalation = raise_one(cast)
    assert "has not yet warned anyone" in home(client, cast.business_manager)
    Notification.objects.create(
        recipient=cast.business_manager,
        escalation=escalation,
        occurrence=escalation.current_occurrence(),
        kind=NotificationKind.BREACH,
        message="Missed.",
        email_not_before=london(2026, 12, 30, 9, 0),
    )
    page = home(client, cast.business_manager)
    assert "The deadline watcher last acted on" in page and "deadline missed for" in page
    assert "data-watcher-last" not in home(client, cast.other_practitioner)


def test_what_a_person_was_told_of_and_need_not_act_on_is_what_they_follow(client, cast):
    escalation = raise_one(cast)
    services.escalation_acknowledge(escalation=escalation, acting_user=cast.other_practitioner)
    climb(escalation, 2, by=cast.practitioner)
    # The social worker held stage 1 and was told of the move; stage 2 is the managers'.
    page = home(client, cast.other_practitioner)
    assert escalation.reference in page.split("What you follow")[1]
    assert "data-work-empty" in page


def test_groups_run_overdue_today_this_week_later():
    from types import SimpleNamespace

    from escalation.worklist import WorkItem

    now = london(2026, 12, 2, 12, 0)  # a Wednesday
    made = [
        WorkItem(ACKNOWLEDGE, "a", SimpleNamespace(), "/", due_at=london(2026, 12, 10, 17, 0)),
        WorkItem(ACKNOWLEDGE, "b", SimpleNamespace(), "/", due_at=london(2026, 12, 2, 17, 0)),
        WorkItem(ACKNOWLEDGE, "c", SimpleNamespace(), "/", due_at=london(2026, 12, 1, 17, 0)),
        WorkItem(RECORD, "d", SimpleNamespace(), "/", due_on=london(2026, 12, 6).date()),
    ]
    groups = group_by_deadline(made, now)
    assert [(g.key, [i.what for i in g.items]) for g in groups] == [
        ("overdue", ["c"]),
        ("today", ["b"]),
        ("week", ["d"]),
        ("later", ["a"]),
    ]


def _home_queries(client, user) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("home")).status_code == 200
    return len(captured)


def test_the_home_page_costs_the_same_queries_for_one_case_or_many(client, cast):
    """No query per case: the work list reads holders, stages and panels once for all."""
    raise_one(cast, children=[cast.child])
    client.force_login(cast.other_practitioner)
    client.get(reverse("home"))  # the first request after signing in does more
    one = _home_queries(client, cast.other_practitioner)
    for n in range(6):
        made = raise_one(cast, at=london(2026, 12, 1 + n, 10, 0), children=[cast.child])
        if n % 2:
            services.escalation_acknowledge(escalation=made, acting_user=cast.other_practitioner)
    assert len(work_for(cast.other_practitioner)) == 7
    assert _home_queries(client, cast.other_practitioner) == one


def test_the_business_managers_home_costs_the_same_queries_with_more_cases_at_the_partnership(client, cast):
    climb(raise_one(cast, children=[cast.child]), 5, by=cast.practitioner)
    client.force_login(cast.business_manager)
    client.get(reverse("home"))
    one = _home_queries(client, cast.business_manager)
    for n in range(3):
        climb(raise_one(cast, at=london(2026, 12, 1 + n, 10, 0), children=[cast.child]), 5, by=cast.practitioner)
    assert len(work_for(cast.business_manager)) == 4
    assert _home_queries(client, cast.business_manager) == one



def test_the_layout_links_home_to_notifications_and_signs_out_where_the_urls_say(client, cast):
    page = home(client, cast.practitioner)
    assert f'href="{reverse("home")}" class="govuk-header__link govuk-header__link--homepage"' in page
    assert f'href="{reverse("escalation:notifications")}"' in page
    assert f'action="{reverse("logout")}"' in page
    assert f'data-stay-url="{reverse("stay-signed-in")}"' in page
    assert f'data-sign-in-url="{reverse("login")}"' in page
    client.logout()
    signed_out = client.get(reverse("login")).content.decode()
    assert f'href="{reverse("login")}">Sign in</a>' in signed_out
