"""The workflow in pages, through the Django test client: what each person sees and may do."""

import html
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from escalation import services
from escalation.models import Discussion, Escalation
from escalation.states import State
from tests.conftest import london
from tests.integration.test_escalation_lifecycle import raise_one

pytestmark = pytest.mark.django_db


def seen(escalation):
    return {"seen_state": escalation.state, "seen_stage": str(escalation.stage_number)}


def test_raising_a_disagreement_keeps_everything_typed_when_something_is_missing(client, cast):
    client.force_login(cast.practitioner)
    url = reverse("escalation:raise") + f"?child={cast.child.public_id}"
    response = client.post(
        url,
        {"children": [str(cast.child.public_id)], "concern": "Referral refused <script>alert(1)</script>"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page
    for message in (
        "Choose the agency you disagree with",
        "Select what the disagreement is about",
        "Enter why you believe it is unsafe or inappropriate",
        "Enter the outcome you are seeking",
    ):
        assert message in page
    assert "Referral refused &lt;script&gt;alert(1)&lt;/script&gt;" in page
    # Each message links to its field; for radios, to the first option.
    assert 'href="#id_category_1"' in page and 'id="id_category_1"' in page
    assert "<script>alert(1)" not in page
    assert not Escalation.objects.exists()


def test_a_practitioner_raises_a_disagreement_and_lands_on_its_page(client, cast):
    client.force_login(cast.practitioner)
    response = client.post(
        reverse("escalation:raise") + f"?child={cast.child.public_id}",
        {
            "children": [str(cast.child.public_id), str(cast.sibling.public_id)],
            "receiving_agency": cast.csc.pk,
            "category": "threshold",
            "concern": "The referral was refused.",
            "why_unsafe": "Bruising seen twice.",
            "outcome_sought": "A strategy discussion.",
            "urgency": "standard",
        },
        follow=True,
    )
    escalation = Escalation.objects.get()
    page = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("escalation:detail", args=[escalation.public_id])
    assert f"Disagreement {escalation.reference} raised." in page
    assert "Stage 1 of 5" in page
    assert set(escalation.children.all()) == {cast.child, cast.sibling}
    # The raiser may withdraw or escalate but not acknowledge their own.
    assert reverse("escalation:withdraw", args=[escalation.public_id]) in page
    assert reverse("escalation:acknowledge", args=[escalation.public_id]) not in page


def test_the_other_agency_acknowledges_from_its_page(client, cast):
    escalation = raise_one(cast)
    client.force_login(cast.other_practitioner)
    page = client.get(reverse("escalation:detail", args=[escalation.public_id])).content.decode()
    assert reverse("escalation:acknowledge", args=[escalation.public_id]) in page
    response = client.post(reverse("escalation:acknowledge", args=[escalation.public_id]), seen(escalation))
    assert response.status_code == 302
    assert Escalation.objects.get().state == State.IN_DISCUSSION


def test_a_stale_page_changes_nothing_and_says_why(client, cast):
    escalation = raise_one(cast)
    client.force_login(cast.other_practitioner)
    response = client.post(
        reverse("escalation:acknowledge", args=[escalation.public_id]),
        {"seen_state": "raised", "seen_stage": "2"},
        follow=True,
    )
    assert "Someone else changed this escalation" in response.content.decode()
    assert Escalation.objects.get().state == State.RAISED


def test_escalating_without_the_evidence_the_policy_asks_for_shows_an_error(client, cast):
    escalation = raise_one(cast)
    client.force_login(cast.practitioner)
    response = client.post(reverse("escalation:escalate", args=[escalation.public_id]), seen(escalation))
    assert "Describe what was done at this stage" in response.content.decode()
    assert Escalation.objects.get().stage_number == 1


def test_people_who_may_not_see_it_get_not_found(client, cast):
    escalation = raise_one(cast)
    for who in (cast.outsider, cast.manager, cast.police_senior_manager):
        client.force_login(who)
        assert client.get(reverse("escalation:detail", args=[escalation.public_id])).status_code == 404
        assert client.post(reverse("escalation:acknowledge", args=[escalation.public_id])).status_code == 404


def test_the_auditor_reads_but_has_no_buttons(client, cast):
    escalation = raise_one(cast)
    client.force_login(cast.auditor)
    page = client.get(reverse("escalation:detail", args=[escalation.public_id])).content.decode()
    assert escalation.reference in page
    assert "govuk-button" not in page.split('<h2 class="govuk-heading-m">Summary</h2>')[0].split("</h1>")[1]
    assert client.post(reverse("escalation:withdraw", args=[escalation.public_id])).status_code == 403


def test_recording_a_discussion_with_an_action_and_seeing_it(client, cast):
    escalation = raise_one(cast)
    client.force_login(cast.other_practitioner)
    response = client.post(
        reverse("escalation:discussion", args=[escalation.public_id]),
        {
            "held_at": "01/12/2026 11:00",
            "method": "phone",
            "participants": "Both practitioners",
            "outcome": "Agreed to review the referral",
            "action_1_description": "Review the referral",
            "action_1_owner": cast.other_manager.username,  # a person chosen from the list
            "action_1_due_on": "30/12/2026",
        },
        follow=True,
    )
    page = response.content.decode()
    assert "Discussion recorded." in page
    assert "Review the referral" in page
    assert escalation.actions.count() == 1
    assert escalation.actions.get().owner == cast.other_manager


def test_an_action_without_an_owner_or_date_is_explained(client, cast):
    escalation = raise_one(cast)
    client.force_login(cast.other_practitioner)
    response = client.post(
        reverse("escalation:discussion", args=[escalation.public_id]),
        {
            "held_at": "01/12/2026 11:00",
            "method": "email",
            "participants": "Both",
            "outcome": "x",
            "action_1_description": "Review",
        },
    )
    page = response.content.decode()
    assert "Choose who will do action 1" in page
    assert "Enter when action 1 is to be done by" in page
    assert "Escalation via e-mail is not recommended" in page


def a_discussion(**fields):
    """What someone types on the discussion form: a phone call between the practitioners."""
    return {
        "held_at": "01/12/2026 11:00",
        "method": "phone",
        "participants": "Both practitioners",
        "outcome": "Agreed to review the referral",
        **fields,
    }


def test_a_discussion_cannot_be_recorded_before_it_happens(client, cast):
    """A discussion is recorded after it is held: a date and time ahead of now is a typing
    slip, refused with everything typed kept."""
    escalation = raise_one(cast)
    client.force_login(cast.other_practitioner)
    tomorrow = timezone.localtime() + timedelta(days=1)
    response = client.post(
        reverse("escalation:discussion", args=[escalation.public_id]),
        a_discussion(held_at=f"{tomorrow:%d/%m/%Y} 11:00"),
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "The date and time of the discussion must be now or in the past" in page
    assert f"{tomorrow:%d/%m/%Y} 11:00" in page
    assert "Agreed to review the referral" in page
    assert not Discussion.objects.filter(occurrence__escalation=escalation).exists()


def test_a_discussion_held_a_moment_ago_is_accepted(client, cast):
    escalation = raise_one(cast)
    client.force_login(cast.other_practitioner)
    response = client.post(
        reverse("escalation:discussion", args=[escalation.public_id]),
        a_discussion(held_at=f"{timezone.localtime():%d/%m/%Y %H:%M}"),
        follow=True,
    )
    assert "Discussion recorded." in response.content.decode()
    assert Discussion.objects.filter(occurrence__escalation=escalation).count() == 1


def test_an_action_cannot_be_due_before_the_discussion_that_agreed_it(client, cast):
    escalation = raise_one(cast)
    client.force_login(cast.other_practitioner)
    response = client.post(
        reverse("escalation:discussion", args=[escalation.public_id]),
        a_discussion(
            action_1_description="Review the referral",
            action_1_owner=cast.other_manager.username,
            action_1_due_on="30/11/2026",
            action_2_description="Ring the school",
            action_2_owner=cast.other_manager.username,
            action_2_due_on="01/12/2026",
        ),
    )
    page = response.content.decode()
    assert "The date for action 1 must be the day of the discussion or later" in page
    assert "The date for action 2" not in page
    assert "30/11/2026" in page
    assert not Discussion.objects.filter(occurrence__escalation=escalation).exists()
    assert not escalation.actions.exists()


def test_the_childs_file_shows_the_whole_chronology(client, cast):
    escalation = raise_one(cast)
    client.force_login(cast.practitioner)
    page = client.get(reverse("cases:child-file", args=[cast.child.public_id])).content.decode()
    assert escalation.reference in page
    assert "Disagreement raised" in page


def test_the_printable_notice_is_filled_from_the_record(client, cast):
    escalation = raise_one(cast)
    client.force_login(cast.practitioner)
    page = client.get(reverse("escalation:notice", args=[escalation.public_id])).content.decode()
    assert "Agency issuing escalation notice" in page
    assert escape(cast.school.name) in page and escape(cast.csc.name) in page
    assert "Not resolved yet" in page


def test_every_view_of_an_escalation_or_a_childs_file_is_logged(client, cast):
    from cases.models import AccessAction, AccessLog

    escalation = raise_one(cast)
    client.force_login(cast.auditor)
    client.get(reverse("escalation:detail", args=[escalation.public_id]))
    client.get(reverse("cases:child-file", args=[cast.child.public_id]))
    logged = list(AccessLog.objects.order_by("at").values_list("user__username", "action", "object_id", "ip_address"))
    assert logged == [
        ("auditor", AccessAction.VIEW_ESCALATION, str(escalation.public_id), "127.0.0.1"),
        ("auditor", AccessAction.VIEW_CHILD, str(cast.child.public_id), "127.0.0.1"),
    ]


def children_seen(**filters) -> list[tuple]:
    from cases.models import AccessAction, AccessLog

    rows = AccessLog.objects.filter(action=AccessAction.SAW_CHILD, **filters).order_by("object_id")
    return list(rows.values_list("user__username", "object_id", "detail", "ip_address"))


def test_the_child_search_and_the_raise_page_log_each_child_they_show(client, cast):
    client.force_login(cast.practitioner)
    ellie, noah = str(cast.child.public_id), str(cast.sibling.public_id)
    page = client.get(reverse("escalation:find-child"), {"q": "Hart", "child": ellie})
    assert "Noah" in page.content.decode()
    search = "child search results (raise a disagreement)"
    chosen = "children chosen (raise a disagreement)"
    assert sorted(children_seen()) == sorted(
        [
            ("practitioner", ellie, search, "127.0.0.1"),
            ("practitioner", noah, search, "127.0.0.1"),
            ("practitioner", ellie, chosen, "127.0.0.1"),
        ]
    )
    client.get(reverse("escalation:raise"), {"child": noah})
    assert children_seen(detail="raise a disagreement") == [("practitioner", noah, "raise a disagreement", "127.0.0.1")]
    # A search that finds nobody shows nobody and logs nothing more.
    before = len(children_seen())
    client.get(reverse("escalation:find-child"), {"q": "Nobody-by-this-name"})
    assert len(children_seen()) == before


def test_an_administrator_seeing_children_in_the_admin_is_logged(client, cast):
    from django.contrib.auth import get_user_model

    root = get_user_model().objects.create_superuser("root", "root@example.org", "Unused-Password-1")
    client.force_login(root)
    assert client.get(reverse("admin:cases_child_change", args=[cast.child.pk])).status_code == 200
    assert children_seen(detail="the admin's page for the child") == [
        ("root", str(cast.child.public_id), "the admin's page for the child", "127.0.0.1")
    ]
    assert client.get(reverse("admin:cases_child_changelist")).status_code == 200
    listed = children_seen(detail="the admin's list of children")
    assert sorted(row[1] for row in listed) == sorted([str(cast.child.public_id), str(cast.sibling.public_id)])
    # Wherever else the admin shows a child: an escalation's page, an entry on a child's file.
    escalation = raise_one(cast)
    assert client.get(reverse("admin:escalation_escalation_change", args=[escalation.pk])).status_code == 200
    seen = sorted(row[1] for row in children_seen(detail="the admin's page for the escalation"))
    assert seen == sorted(str(child.public_id) for child in escalation.children.all()) and seen
    assert client.get(reverse("admin:cases_recordentry_changelist")).status_code == 200
    on_files = children_seen(detail="the admin's list of child's file entries")
    assert str(cast.child.public_id) in {row[1] for row in on_files}


def test_the_header_counts_unread_notifications_and_the_list_marks_them_read(client, cast):
    escalation = raise_one(cast)
    services.escalation_acknowledge(escalation=escalation, acting_user=cast.other_practitioner)
    client.force_login(cast.practitioner)
    # The raiser opens the case after the acknowledgement, which reads that notice; then it is resolved.
    assert client.get(reverse("escalation:detail", args=[escalation.public_id])).status_code == 200
    services.escalation_resolve(
        escalation=Escalation.objects.get(pk=escalation.pk), acting_user=cast.other_practitioner, outcome="Agreed."
    )
    page = client.get("/").content.decode()
    assert "Notifications <strong" in page and '1<span class="govuk-visually-hidden"> unread</span>' in page
    listing = client.get(reverse("escalation:notifications")).content.decode()
    assert f"{escalation.reference} was resolved at stage 1" in listing
    client.post(reverse("escalation:notifications-read"))
    assert "unread</span>" not in client.get("/").content.decode()


def test_the_list_shows_who_holds_each_stage_and_the_working_days_left(client, cast):
    import time_machine

    with time_machine.travel(london(2026, 11, 23, 11, 0)):
        escalation = raise_one(cast, at=london(2026, 11, 23, 10, 0))
        client.force_login(cast.practitioner)
        page = client.get(reverse("escalation:list")).content.decode()
    assert escalation.reference in page
    assert '<td class="govuk-table__cell" data-label="Held by">Practitioner</td>' in page
    assert "2 working days left" in page
    with time_machine.travel(london(2026, 11, 27, 11, 0)):
        client.force_login(cast.practitioner)  # the old session expired after 30 idle minutes
        page = client.get(reverse("escalation:list")).content.decode()
    assert "Overdue by 2 working days" in page


def _page_queries(client, escalation) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("escalation:detail", args=[escalation.public_id])).status_code == 200
    return len(captured)


def test_the_escalation_page_runs_the_same_number_of_queries_however_long_its_history(client, cast):
    """One stage, one child and nothing recorded, against three stages, two children,
    discussions with actions and a long timeline: the page's queries do not grow with the case."""
    short = raise_one(cast, children=[cast.child])
    long = raise_one(cast)
    for step, at in enumerate((london(2026, 12, 23, 11, 0), london(2026, 12, 24, 10, 0)), start=1):
        services.discussion_record(
            escalation=Escalation.objects.get(pk=long.pk),
            acting_user=cast.practitioner,
            held_at=at,
            method="phone",
            participants="Both practitioners",
            outcome=f"Not agreed at stage {step}",
            actions=[{"description": f"Action {step}", "owner_name": "Team manager", "due_on": at.date()}],
        )
        services.escalation_escalate(
            escalation=Escalation.objects.get(pk=long.pk), acting_user=cast.practitioner, evidence="Calls.", at=at
        )
    long = Escalation.objects.get(pk=long.pk)
    assert long.stage_number == 3 and long.actions.count() == 2 and long.children.count() == 2
    client.force_login(cast.practitioner)
    client.get(reverse("escalation:detail", args=[short.public_id]))  # the first request after signing in does more
    assert _page_queries(client, long) == _page_queries(client, short)


def test_the_next_page_of_a_list_keeps_its_filter_and_order_and_goes_back(client, cast):
    made = [raise_one(cast, at=london(2026, 12, 1 + n, 10, 0), children=[cast.child]) for n in range(27)]
    client.force_login(cast.practitioner)
    first = client.get(reverse("escalation:list"), {"status": "all", "sort": "raised"}).content.decode()
    assert "Showing 1 to 25 of 27 escalations" in first and "<title>Escalations - " in first
    assert made[-1].reference in first and made[1].reference not in first  # newest first
    assert 'rel="prev"' not in first
    link = re.search(r'href="\?([^"]*after=[^"]*)" rel="next"', first).group(1)
    assert link.startswith("status=all&amp;sort=raised&amp;after=")
    second = client.get("/escalations/?" + html.unescape(link)).content.decode()
    assert "Showing 26 to 27 of 27 escalations" in second and "<title>Escalations (page 2 of 2) - " in second
    assert made[0].reference in second and made[1].reference in second and made[2].reference not in second
    back = re.search(r'href="\?([^"]*before=[^"]*)" rel="prev"', second).group(1)
    again = client.get("/escalations/?" + html.unescape(back)).content.decode()
    row_link = 'class="govuk-link" href="/escalations/'
    assert again.count(row_link) == first.count(row_link)
    assert made[-1].reference in again and made[2].reference in again


def test_a_made_up_position_in_a_list_shows_the_first_page(client, cast):
    raise_one(cast)
    client.force_login(cast.practitioner)
    response = client.get(reverse("escalation:list"), {"after": "not-a-cursor", "before": "x"})
    assert response.status_code == 200
    assert "Showing 1 of 1 escalation" in response.content.decode()


def test_a_concern_longer_than_the_limit_comes_back_whole_with_a_message_naming_the_question(client, cast):
    client.force_login(cast.practitioner)
    url = reverse("escalation:raise") + f"?child={cast.child.public_id}"
    form = client.get(url).content.decode()
    assert 'maxlength="5000"' not in form  # the browser does not cut a long paste short
    pasted = "The referral was refused. " * 250  # 6,500 characters, 6,499 without the last space
    response = client.post(
        url,
        {
            "children": [str(cast.child.public_id)],
            "receiving_agency": cast.csc.pk,
            "category": "threshold",
            "concern": pasted,
            "why_unsafe": "Bruising seen twice.",
            "outcome_sought": "A strategy discussion.",
            "urgency": "standard",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200 and "There is a problem" in page
    assert "Your answer to ‘What is the concern?’ must be 5,000 characters or fewer (it has 6499)" in page
    assert pasted.strip() in page  # all of it, to be edited down
    assert not Escalation.objects.exists()


def test_a_partnership_meeting_cannot_be_arranged_in_the_past(client, cast):
    from partnerships.choices import PanelRule
    from partnerships.models import Membership
    from tests.integration.test_escalation_lifecycle import climb_to_partnership_stage

    escalation = climb_to_partnership_stage(cast, raise_one(cast))
    client.force_login(cast.business_manager)
    url = reverse("escalation:arrange", args=[escalation.public_id])
    chair = Membership.objects.get(user=cast.police_senior_manager)
    yesterday = timezone.localtime() - timedelta(days=1)
    response = client.post(
        url, {"arrangement": PanelRule.MEDIATION, "chair": chair.pk, "meeting_at": f"{yesterday:%d/%m/%Y} 10:00"}
    )
    page = response.content.decode()
    assert "The meeting must be in the future: leave the date blank if it has already met" in page
    assert f"{yesterday:%d/%m/%Y} 10:00" in page
    assert not hasattr(escalation.current_occurrence(), "review")
    tomorrow = timezone.localtime() + timedelta(days=1)
    response = client.post(
        url,
        {"arrangement": PanelRule.MEDIATION, "chair": chair.pk, "meeting_at": f"{tomorrow:%d/%m/%Y} 10:00"},
        follow=True,
    )
    assert escalation.current_occurrence().review.meeting_at.date() == tomorrow.date()


def test_the_resolution_form_asks_why_a_timescale_was_missed_only_when_it_was_and_says_it_cannot_be_undone(
    client, cast
):
    escalation = raise_one(cast, at=timezone.now())
    services.escalation_acknowledge(escalation=escalation, acting_user=cast.other_practitioner)
    client.force_login(cast.practitioner)
    url = reverse("escalation:resolve", args=[escalation.public_id])
    in_time = client.get(url).content.decode()
    assert "It cannot be undone." in in_time
    assert "Why was the timescale for this stage not met?" not in in_time
    occurrence = escalation.current_occurrence()
    type(occurrence).objects.filter(pk=occurrence.pk).update(due_at=F("clock_started_at"))  # passed since
    late = client.get(url).content.decode()
    assert "Why was the timescale for this stage not met?" in late
