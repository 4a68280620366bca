"""README promises about who is told, who sees a case, the clocks, digests and the pages'
remembered filters (second batch)."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from cases.models import RecordEntry
from escalation import services
from escalation.deadlines import run_watcher
from escalation.digest_models import EmailFrequency
from escalation.digests import collect_daily_digests, set_email_frequency
from escalation.models import Escalation, Notification, NotificationKind
from escalation.notifications import deliver_pending
from escalation.states import Category, EmailStatus, State
from partnerships.choices import Urgency
from partnerships.models import Membership
from tests.climbing import acknowledge, climb, fresh
from tests.conftest import build_cast, london
from tests.readme.test_readme_promises import RAISE, detail, page_of, raise_one, seen

pytestmark = pytest.mark.django_db


def told(escalation, kind=None) -> set[str]:
    notices = Notification.objects.filter(escalation=escalation)
    if kind:
        notices = notices.filter(kind=kind)
    return set(notices.values_list("recipient__username", flat=True))


# --- Who is told -----------------------------------------------------------------------


def test_raised_tells_the_people_holding_stage_1_the_receiving_agencys_practitioners(cast):
    escalation = raise_one(cast)
    assert told(escalation, NotificationKind.RAISED) == {"social-worker"}


def test_acknowledged_tells_the_raiser_and_the_other_side(client, cast):
    escalation = raise_one(cast)
    client.force_login(cast.other_practitioner)
    client.post(reverse("escalation:acknowledge", args=[escalation.public_id]), seen(escalation))
    assert "practitioner" in told(escalation, NotificationKind.ACKNOWLEDGED)


def test_escalated_tells_the_new_holders_on_both_sides_the_people_who_held_the_stage_it_left_and_the_raiser(
    client, cast
):
    escalation = raise_one(cast)
    acknowledge(escalation)
    client.force_login(cast.practitioner)
    response = client.post(
        reverse("escalation:escalate", args=[escalation.public_id]),
        {**seen(escalation), "evidence": "We met twice and could not agree."},
    )
    assert response.status_code == 302
    assert fresh(escalation).stage_number == 2
    names = told(escalation, NotificationKind.ESCALATED)
    assert {"manager", "team-manager", "social-worker"} <= names, names


def test_withdrawn_at_stage_2_tells_the_people_holding_stage_2(client, cast):
    escalation = climb(raise_one(cast), 2, by=cast.practitioner)
    Notification.objects.all().delete()
    client.force_login(cast.practitioner)
    client.post(reverse("escalation:withdraw", args=[escalation.public_id]), {**seen(escalation), "reason": "Sorted."})
    assert fresh(escalation).state == State.WITHDRAWN
    names = told(escalation)
    assert {"manager", "team-manager"} <= names, names


def test_a_missed_deadline_tells_the_next_tier_of_both_agencies_and_the_raiser_and_goes_on_the_childs_file(cast):
    escalation = raise_one(cast, at=london(2026, 12, 23, 10, 0))
    run_watcher(now=london(2026, 12, 30, 9, 0))
    names = told(escalation, NotificationKind.BREACH)
    assert "practitioner" in names
    assert "team-manager" in names and ("manager" in names or "dsl" in names), names
    assert RecordEntry.objects.filter(child=cast.child, escalation=escalation, summary__icontains="deadline").exists()


def test_notification_e_mails_carry_a_reference_and_a_link_never_the_childs_name(cast, settings, time_machine):
    # In working hours: a notice written out of hours waits for the next working morning.
    time_machine.move_to(london(2026, 11, 3, 10, 0), tick=False)
    escalation = raise_one(cast)
    deliver_pending()
    assert mail.outbox
    for message in mail.outbox:
        assert escalation.reference in message.subject + message.body
        assert "Ellie" not in message.subject + message.body and "Hart" not in message.subject + message.body
        assert str(escalation.public_id) in message.body


# --- Digest ---------------------------------------------------------------------------


def test_a_digest_reader_gets_standard_notices_in_the_0830_digest_not_straight_away(cast, time_machine):
    time_machine.move_to(london(2026, 11, 2, 10, 0), tick=False)  # a Monday
    set_email_frequency(user=cast.other_manager, frequency=EmailFrequency.DAILY)
    escalation = climb(raise_one(cast), 2, by=cast.practitioner)
    deliver_pending()
    to_manager = [m for m in mail.outbox if "team-manager@example.org" in m.to]
    assert not to_manager
    assert Notification.objects.filter(recipient=cast.other_manager, email_status=EmailStatus.DIGEST).exists()
    time_machine.move_to(london(2026, 11, 3, 8, 31), tick=False)
    collect_daily_digests()
    deliver_pending()
    digest = [m for m in mail.outbox if "team-manager@example.org" in m.to]
    assert len(digest) == 1 and escalation.reference in digest[0].body


def test_a_digest_reader_still_gets_child_protection_notices_straight_away(cast, time_machine):
    time_machine.move_to(london(2026, 11, 2, 10, 0), tick=False)
    set_email_frequency(user=cast.other_practitioner, frequency=EmailFrequency.DAILY)
    raise_one(cast, urgency=Urgency.CHILD_PROTECTION)
    deliver_pending()
    assert [m for m in mail.outbox if "social-worker@example.org" in m.to]


# --- Who sees a case ---------------------------------------------------------------------


def test_a_senior_manager_sees_it_only_once_it_reaches_a_stage_their_role_holds_and_a_line_manager_keeps_seeing_it(
    client, cast
):
    escalation = raise_one(cast)
    client.force_login(cast.senior_manager)
    assert client.get(detail(escalation)).status_code == 404
    climb(escalation, 3, by=cast.practitioner)
    assert client.get(detail(escalation)).status_code == 200
    client.force_login(cast.manager)
    assert client.get(detail(escalation)).status_code == 200


def test_a_role_that_has_ended_stops_access_from_the_next_page(client, cast):
    escalation = raise_one(cast)
    client.force_login(cast.other_practitioner)
    assert client.get(detail(escalation)).status_code == 200
    Membership.objects.filter(user=cast.other_practitioner).update(ended=timezone.localdate() - timedelta(days=1))
    assert client.get(detail(escalation)).status_code == 404
    assert escalation.reference not in page_of(client.get(reverse("escalation:list"), {"status": "all"}))


def test_panel_members_see_a_case_only_at_the_partnership_stage(client, cast):
    escalation = raise_one(cast)
    client.force_login(cast.panel_member)
    assert client.get(detail(escalation)).status_code == 404


def test_bromley_unsafe_route_goes_straight_to_the_partnership_and_hides_it_from_the_raisers_managers(client):
    cast = build_cast("bromley")
    client.force_login(cast.practitioner)
    response = client.post(
        reverse("escalation:raise") + f"?child={cast.child.public_id}",
        {
            **RAISE,
            "children": [str(cast.child.public_id)],
            "receiving_agency": cast.csc.pk,
            "unsafe_within_agency": "on",
            "unsafe_reason": "My head teacher is the person I disagree with.",
        },
    )
    assert response.status_code == 302, page_of(response)[:2000]
    escalation = Escalation.objects.get()
    assert escalation.current_occurrence().policy_stage.is_partnership_stage
    for manager in (cast.manager, cast.safeguarding_lead, cast.senior_manager, cast.director):
        assert manager.username not in told(escalation)
        client.force_login(manager)
        assert client.get(detail(escalation)).status_code == 404
    assert "business-manager" in told(escalation)


# --- Close, escalate pages ---------------------------------------------------------------


def test_after_resolving_the_case_can_be_closed_through_a_confirmation_page(client, cast):
    escalation = raise_one(cast)
    acknowledge(escalation)
    services.escalation_resolve(
        escalation=fresh(escalation),
        acting_user=cast.other_practitioner,
        outcome="Agreed",
        main_reason=Category.THRESHOLD,
        practitioners_informed="All",
        family_informed=True,
        case_review_recommended=False,
    )
    client.force_login(cast.practitioner)
    page = page_of(client.get(detail(escalation)))
    close = reverse("escalation:close", args=[escalation.public_id])
    assert close in page
    assert "Close this escalation" in page_of(client.get(close))
    client.post(close, seen(escalation))
    assert fresh(escalation).state == State.CLOSED


def test_the_escalate_page_names_the_next_stage(client, cast):
    escalation = raise_one(cast)
    acknowledge(escalation)
    client.force_login(cast.practitioner)
    page = page_of(client.get(reverse("escalation:escalate", args=[escalation.public_id])))
    stage2 = escalation.policy.stages.get(number=2)
    assert stage2.name in page


def test_a_receiving_practitioner_may_not_escalate_past_their_tier_without_holding_it(client, cast):
    escalation = raise_one(cast)
    acknowledge(escalation)
    client.force_login(cast.other_practitioner)
    page = page_of(client.get(detail(escalation)))
    # The state machine decides; the page offers only what is allowed and the POST agrees with it.
    offered = reverse("escalation:escalate", args=[escalation.public_id]) in page
    status = client.get(reverse("escalation:escalate", args=[escalation.public_id])).status_code
    assert offered == (status == 200)


# --- Notifications list pagination -------------------------------------------------------------


def test_the_notifications_list_pages_after_25(client, cast):
    for _ in range(27):
        raise_one(cast)
    client.force_login(cast.other_practitioner)
    first = page_of(client.get(reverse("escalation:notifications")))
    assert "page=2" in first
    second = page_of(client.get(reverse("escalation:notifications"), {"page": 2}))
    assert (
        second.count(reverse("escalation:notification-open", args=["00000000-0000-0000-0000-000000000000"])[:-37]) >= 2
    )


# --- Dashboard ---------------------------------------------------------------------------------


def test_the_dashboard_remembers_the_last_filter_until_clear_filters(client, cast):
    raise_one(cast)
    client.force_login(cast.business_manager)
    client.get(reverse("dashboard:index"), {"urgency": "child-protection"})
    back = client.get(reverse("dashboard:index"))
    assert back.status_code == 302 and "urgency=child-protection" in back["Location"]


def test_a_dashboard_date_filter_outside_1900_to_2100_is_explained_not_a_500(client, cast):
    client.force_login(cast.business_manager)
    response = client.get(reverse("dashboard:index"), {"raised_from": "01/01/2101"})
    assert response.status_code in (200, 400)
    assert "govuk-error-summary" in page_of(response)


def test_the_drill_down_list_of_open_cases_lists_them(client, cast):
    a = raise_one(cast)
    client.force_login(cast.business_manager)
    page = page_of(client.get(reverse("dashboard:index")))
    links = re.findall(r'href="(/dashboard/list/\?[^"]+)"', page)
    assert links
    listing = page_of(client.get(links[0].replace("&amp;", "&")))
    assert a.reference in listing


# --- Sign out ---------------------------------------------------------------------------------


def test_signing_out_deletes_the_session_row(client, cast):

    client.force_login(cast.practitioner)
    key = client.session.session_key
    client.post(reverse("logout"))
    from django.db import connection

    with connection.cursor() as c:
        c.execute("select count(*) from django_session where session_key = %s", [key])
        assert c.fetchone()[0] == 0


def test_a_non_urgent_e_mail_written_out_of_hours_waits_for_the_next_working_morning(cast, time_machine):
    time_machine.move_to(london(2026, 11, 6, 20, 0), tick=False)  # Friday evening
    raise_one(cast)
    deliver_pending(now=london(2026, 11, 6, 20, 1))
    deliver_pending(now=london(2026, 11, 7, 10, 0))  # Saturday
    assert not [m for m in mail.outbox if "social-worker@example.org" in m.to]
    deliver_pending(now=london(2026, 11, 9, 9, 30))  # Monday morning
    assert [m for m in mail.outbox if "social-worker@example.org" in m.to]


def test_a_child_protection_e_mail_out_of_hours_goes_at_once(cast, time_machine):
    time_machine.move_to(london(2026, 11, 6, 20, 0), tick=False)
    raise_one(cast, urgency=Urgency.CHILD_PROTECTION)
    deliver_pending(now=london(2026, 11, 6, 20, 1))
    assert [m for m in mail.outbox if "social-worker@example.org" in m.to]


def test_no_digest_is_written_on_a_saturday(cast, time_machine):
    time_machine.move_to(london(2026, 11, 6, 10, 0), tick=False)  # Friday
    set_email_frequency(user=cast.other_manager, frequency=EmailFrequency.DAILY)
    climb(raise_one(cast), 2, by=cast.practitioner)
    deliver_pending()
    time_machine.move_to(london(2026, 11, 7, 8, 45), tick=False)  # Saturday
    assert collect_daily_digests() == 0
    time_machine.move_to(london(2026, 11, 9, 8, 45), tick=False)  # Monday
    assert collect_daily_digests() >= 1
