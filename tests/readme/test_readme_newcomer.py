"""Third batch: what a newcomer does on the pages that the README implies will work."""

import json
import re

import pytest
from django.urls import reverse

from escalation import services
from escalation.deadlines import run_watcher
from escalation.models import Escalation, Notification, NotificationKind
from escalation.states import Category
from partnerships.choices import AgencyType, Role, Urgency
from partnerships.models import Membership
from tests.climbing import acknowledge, climb, fresh
from tests.conftest import london
from tests.factories import AgencyFactory, ChildFactory
from tests.readme.test_readme_promises import RAISE, RESOLUTION, _body, detail, page_of, raise_one, seen

pytestmark = pytest.mark.django_db


def told(escalation, kind=None) -> set[str]:
    notices = Notification.objects.filter(escalation=escalation)
    if kind:
        notices = notices.filter(kind=kind)
    return set(notices.values_list("recipient__username", flat=True))


def test_a_practitioner_working_in_two_partnerships_can_raise_about_a_child_in_the_second(client, cast):
    cumbria_school = AgencyFactory(
        partnership=cast.outsider_partnership, name="Cumbria School", type=AgencyType.EDUCATION
    )
    cumbria_csc = AgencyFactory(
        partnership=cast.outsider_partnership, name="Cumbria CSC", type=AgencyType.CHILDRENS_SOCIAL_CARE
    )
    Membership.objects.create(
        user=cast.practitioner, partnership=cast.outsider_partnership, agency=cumbria_school, role=Role.PRACTITIONER
    )
    child = ChildFactory(partnership=cast.outsider_partnership, first_name="Ruby", created_by_agency=cumbria_school)
    client.force_login(cast.practitioner)
    # The newcomer finds the child (it is offered) and goes on to raise.
    assert "Select Ruby" in page_of(client.get(reverse("escalation:find-child"), {"q": "Ruby"}))
    page = page_of(client.get(reverse("escalation:raise") + f"?child={child.public_id}"))
    assert "Cumbria CSC" in page, "the other agency of the child's partnership is offered"
    client.post(
        reverse("escalation:raise") + f"?child={child.public_id}",
        {**RAISE, "children": [str(child.public_id)], "receiving_agency": cumbria_csc.pk},
    )
    assert Escalation.objects.filter(partnership=cast.outsider_partnership).exists()


def test_resolving_with_gaps_in_the_partnerships_policies_tells_the_chair(client, cast):
    escalation = raise_one(cast)
    acknowledge(escalation)
    client.force_login(cast.other_practitioner)
    response = client.post(
        reverse("escalation:resolve", args=[escalation.public_id]),
        {**seen(escalation), **RESOLUTION, "policy_gaps": "The threshold document contradicts the policy."},
    )
    assert response.status_code == 302
    assert "chair" in told(escalation)


def test_the_raising_sides_line_manager_finds_a_stage_2_case_in_their_inbox_and_on_home(client, cast):
    escalation = climb(raise_one(cast), 2, by=cast.practitioner)
    client.force_login(cast.manager)
    assert escalation.reference in page_of(client.get(reverse("escalation:inbox")))
    assert escalation.reference in page_of(client.get(reverse("home")))


def test_the_escalation_notice_and_resolution_record_are_printable_by_the_parties(client, cast):
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
    assert client.get(reverse("escalation:notice", args=[escalation.public_id])).status_code == 200
    assert client.get(reverse("escalation:resolution-record", args=[escalation.public_id])).status_code == 200


def test_an_agreed_action_tells_its_owner_and_an_overdue_one_reminds_them(client, cast):
    escalation = raise_one(cast, at=london(2026, 11, 2, 10, 0))
    acknowledge(escalation)
    client.force_login(cast.other_practitioner)
    response = client.post(
        reverse("escalation:discussion", args=[escalation.public_id]),
        {
            "held_at": "02/11/2026 11:00",
            "method": "phone",
            "participants": "Both practitioners",
            "outcome": "Agreed to review",
            "action_1_description": "Review the referral",
            "action_1_owner": cast.other_manager.username,
            "action_1_due_on": "04/11/2026",
        },
    )
    assert response.status_code == 302, page_of(response)[:2000]
    assert "team-manager" in told(escalation, NotificationKind.ACTION_ASSIGNED)
    run_watcher(now=london(2026, 11, 6, 10, 0))
    assert "team-manager" in told(escalation, NotificationKind.ACTION_OVERDUE)


def test_health_answers_503_without_sign_in_when_the_watcher_never_ran(client, cast):
    response = client.get(reverse("health"))
    assert response.status_code == 503
    assert json.loads(response.content)["watcher"]["status"] == "never run"


def test_an_overlong_username_is_refused_on_the_sign_in_page(client, cast):
    response = client.post(reverse("login"), {"username": "x" * 151, "password": "whatever-it-is"})
    assert response.status_code == 200
    assert "govuk-error-summary" in page_of(response)


def test_the_json_export_carries_the_childs_file_entries_and_each_stage_deadline(client, cast):
    escalation = raise_one(cast)
    client.force_login(cast.auditor)
    data = json.loads(_body(client.post(reverse("exports:index"), {"format": "json"})))
    text = json.dumps(data)
    assert escalation.reference in text
    assert "due" in text and ("child_file" in text or "record_entries" in text or "file_entries" in text)


def test_stage_5_tells_the_business_office_and_the_chair_holds_it_with_them(client, cast):
    escalation = climb(raise_one(cast), 5, by=cast.practitioner)
    assert "business-manager" in told(escalation)
    client.force_login(cast.chair)
    assert escalation.reference in page_of(client.get(reverse("escalation:partnership-list")))
    client.force_login(cast.business_manager)
    assert escalation.reference in page_of(client.get(reverse("escalation:partnership-list")))


def test_panel_members_see_a_case_once_it_is_at_the_partnership_stage(client, cast):
    escalation = climb(raise_one(cast), 5, by=cast.practitioner)
    client.force_login(cast.panel_member)
    assert client.get(detail(escalation)).status_code == 200


def test_opening_a_notification_from_the_list_brings_the_header_count_down_on_that_page(client, cast):
    from tests.readme.test_readme_promises import header_count

    raise_one(cast)
    raise_one(cast)
    notice = Notification.objects.filter(recipient=cast.other_practitioner).first()
    client.force_login(cast.other_practitioner)
    response = client.get(reverse("escalation:notification-open", args=[notice.public_id]), follow=True)
    assert header_count(page_of(response)) == 1


def test_an_auditor_cannot_reach_the_raise_page(client, cast):
    client.force_login(cast.auditor)
    assert client.get(reverse("escalation:find-child")).status_code == 403


def _refs(page, made):
    return [r for r in re.findall(r"ESC-[0-9A-F]+", page) if r in made]


def _link(page, word):
    found = re.search(rf'href="\?([^"]*{word}=[^"]*)"', page)
    return found.group(1).replace("&amp;", "&") if found else None


def test_next_then_previous_on_the_deadline_sorted_list_returns_the_same_first_page(client, cast):
    made = {}
    for i in range(30):
        e = raise_one(cast)
        made[e.reference] = e
        if i % 3 == 0:
            services.escalation_withdraw(escalation=fresh(e), acting_user=cast.practitioner, reason="Sorted")
    client.force_login(cast.practitioner)
    url = reverse("escalation:list")
    first = page_of(client.get(url, {"status": "all", "sort": "deadline"}))
    first_refs = list(dict.fromkeys(_refs(first, made)))
    second = page_of(client.get(url + "?" + _link(first, "after")))
    second_refs = list(dict.fromkeys(_refs(second, made)))
    assert len(first_refs) == 25 and len(second_refs) == 5 and not set(first_refs) & set(second_refs)
    back = page_of(client.get(url + "?" + _link(second, "before")))
    assert list(dict.fromkeys(_refs(back, made))) == first_refs


def test_paging_the_urgency_sorted_list_shows_every_case_once(client, cast):
    made = {}
    for i in range(28):
        e = raise_one(cast, urgency=[Urgency.STANDARD, Urgency.CHILD_PROTECTION, Urgency.IMMEDIATE_RISK][i % 3])
        made[e.reference] = e
    client.force_login(cast.practitioner)
    url = reverse("escalation:list")
    first = page_of(client.get(url, {"status": "all", "sort": "urgency"}))
    second = page_of(client.get(url + "?" + _link(first, "after")))
    seen_refs = _refs(first, made) + _refs(second, made)
    assert set(seen_refs) == set(made)


def test_the_child_search_the_raise_page_and_the_childs_file_are_each_in_the_access_log(client, cast):
    from cases.models import AccessLog

    escalation = raise_one(cast)
    client.force_login(cast.practitioner)
    before = AccessLog.objects.count()
    client.get(reverse("escalation:find-child"), {"q": "Ellie"})
    after_search = AccessLog.objects.count()
    client.get(reverse("escalation:raise") + f"?child={cast.child.public_id}")
    after_raise = AccessLog.objects.count()
    client.get(reverse("cases:child-file", args=[cast.child.public_id]))
    after_file = AccessLog.objects.count()
    client.get(detail(escalation))
    after_case = AccessLog.objects.count()
    assert before < after_search < after_raise < after_file < after_case
