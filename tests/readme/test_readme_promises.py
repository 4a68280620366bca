"""Acceptance tests written from README.md and a newcomer's use of the pages, through Django's
test client, signed in as each kind of person (tests/conftest.py's cast)."""

import csv
import io
import re
from datetime import date, timedelta

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import Child, RecordEntry
from escalation import services
from escalation.models import Escalation, Notification
from escalation.states import Category, State
from partnerships.choices import Role, Urgency
from tests.climbing import acknowledge, climb, fresh
from tests.conftest import london
from tests.factories import PASSWORD, ChildFactory, person

pytestmark = pytest.mark.django_db


def raise_one(cast, *, urgency=Urgency.STANDARD, children=None, at=None, receiving=None, by=None, agency=None):
    return services.escalation_raise(
        raised_by=by or cast.practitioner,
        raising_agency=agency or cast.school,
        receiving_agency=receiving or cast.csc,
        children=children or [cast.child],
        category=Category.THRESHOLD,
        concern="The referral was refused.",
        why_unsafe="Bruising was seen twice this term.",
        outcome_sought="A strategy discussion.",
        urgency=urgency,
        at=at,
    )


def header_count(page: str) -> int:
    found = re.search(r'app-count">(\d+)<span class="govuk-visually-hidden"> unread', page)
    return int(found.group(1)) if found else 0


def seen(escalation):
    escalation = fresh(escalation)
    return {"seen_state": escalation.state, "seen_stage": str(escalation.stage_number)}


def detail(escalation):
    return reverse("escalation:detail", args=[escalation.public_id])


def page_of(response) -> str:
    return response.content.decode()


RAISE = {
    "category": "threshold",
    "concern": "The referral was refused.",
    "why_unsafe": "Bruising seen twice.",
    "outcome_sought": "A strategy discussion.",
    "urgency": "standard",
}

RESOLUTION = {
    "agreed_outcome": "A strategy discussion on Friday.",
    "main_reason": Category.THRESHOLD,
    "practitioners_informed": "Both teachers",
    "family_informed": "yes",
    "case_review_recommended": "no",
}


# --- Raising a disagreement ------------------------------------------------------------


def test_raise_page_without_a_child_sends_a_newcomer_to_find_the_child_first(client, cast):
    client.force_login(cast.practitioner)
    response = client.get(reverse("escalation:raise"))
    assert response.status_code == 302
    assert response["Location"] == reverse("escalation:find-child")


def test_find_child_by_name_offers_the_child_and_keeps_the_search_in_the_link(client, cast):
    client.force_login(cast.practitioner)
    page = page_of(client.get(reverse("escalation:find-child"), {"q": "ellie hart"}))
    assert "Select Ellie Hart" in page
    assert "Noah" not in page


def test_find_child_by_date_of_birth_finds_the_child(client, cast):
    client.force_login(cast.practitioner)
    dob = cast.child.date_of_birth.strftime("%d/%m/%Y")
    page = page_of(client.get(reverse("escalation:find-child"), {"q": dob}))
    assert "Select Ellie Hart" in page


def test_find_child_never_shows_a_child_of_another_partnership(client, cast):
    ChildFactory(partnership=cast.outsider_partnership, first_name="Ellie", last_name="Hartley")
    client.force_login(cast.practitioner)
    page = page_of(client.get(reverse("escalation:find-child"), {"q": "Ellie"}))
    assert "Hartley" not in page


def test_adding_a_child_with_a_mistake_keeps_what_was_typed_and_shows_the_govuk_error_summary(client, cast):
    client.force_login(cast.practitioner)
    response = client.post(
        reverse("escalation:add-child"),
        {"first_name": "Maisie", "last_name": "", "date_of_birth": "31/02/2015", "parents_carers": "Mum: Jo"},
    )
    page = page_of(response)
    assert response.status_code == 200
    assert "There is a problem" in page and "govuk-error-summary" in page
    assert "Enter the child&#x27;s last name" in page or "Enter the child's last name" in page
    assert 'value="Maisie"' in page and "Mum: Jo" in page
    assert not Child.objects.filter(first_name="Maisie").exists()


def test_adding_a_child_then_raising_lands_on_the_new_disagreement_with_the_child_on_it(client, cast):
    client.force_login(cast.practitioner)
    response = client.post(
        reverse("escalation:add-child"),
        {"first_name": "Maisie", "last_name": "Brown", "date_of_birth": "14/03/2015"},
    )
    assert response.status_code == 302
    child = Child.objects.get(first_name="Maisie")
    assert str(child.public_id) in response["Location"]
    response = client.post(
        response["Location"], {**RAISE, "children": [str(child.public_id)], "receiving_agency": cast.csc.pk}
    )
    escalation = Escalation.objects.get()
    assert response["Location"] == detail(escalation)
    assert list(escalation.children.all()) == [child]
    assert RecordEntry.objects.filter(child=child, escalation=escalation).exists()


def test_raise_page_with_errors_keeps_what_was_typed_and_links_each_error_to_its_field(client, cast):
    client.force_login(cast.practitioner)
    response = client.post(
        reverse("escalation:raise") + f"?child={cast.child.public_id}",
        {"children": [str(cast.child.public_id)], "why_unsafe": "Bruises on both arms", "urgency": "child-protection"},
    )
    page = page_of(response)
    assert "govuk-error-summary" in page
    assert "Bruises on both arms" in page
    assert re.search(r'value="child-protection"[^>]*checked', page)
    assert "Enter what the concern is" in page
    assert not Escalation.objects.exists()


def test_raise_page_refuses_a_guessed_child_of_another_partnership(client, cast):
    stranger = ChildFactory(partnership=cast.outsider_partnership)
    client.force_login(cast.practitioner)
    client.post(
        reverse("escalation:raise") + f"?child={stranger.public_id}",
        {**RAISE, "children": [str(stranger.public_id)], "receiving_agency": cast.csc.pk},
    )
    assert not Escalation.objects.exists()


def test_raise_page_does_not_offer_an_agency_of_another_partnership(client, cast):
    client.force_login(cast.practitioner)
    page = page_of(client.get(reverse("escalation:raise") + f"?child={cast.child.public_id}"))
    assert "Riverside Children" in page
    assert "Cumberland Police" not in page


# --- Lists, inbox, pagination ----------------------------------------------------------


def test_the_list_shows_25_a_page_and_next_page_shows_the_rest_without_repeats(client, cast):
    made = [raise_one(cast) for _ in range(27)]
    client.force_login(cast.practitioner)
    first = page_of(client.get(reverse("escalation:list"), {"status": "all"}))
    refs_first = set(re.findall(r"ESC-[0-9A-Z-]+", first)) & {e.reference for e in made}
    nxt = re.search(r'href="\?([^"]*after=[^"]*)"', first)
    assert nxt, "a newcomer expects a Next link"
    second = page_of(client.get(reverse("escalation:list") + "?" + nxt.group(1).replace("&amp;", "&")))
    refs_second = set(re.findall(r"ESC-[0-9A-Z-]+", second)) & {e.reference for e in made}
    assert len(refs_first) == 25 and len(refs_second) == 2 and not refs_first & refs_second


def test_the_list_remembers_the_last_filter_and_sort_until_clear_filters(client, cast):
    client.force_login(cast.practitioner)
    client.get(reverse("escalation:list"), {"status": "mine", "sort": "urgency"})
    back = client.get(reverse("escalation:list"))
    assert back.status_code == 302 and "status=mine" in back["Location"] and "sort=urgency" in back["Location"]
    page = page_of(client.get(back["Location"]))
    assert "Clear filters" in page
    client.get(reverse("escalation:list") + "?clear=1")
    assert client.get(reverse("escalation:list")).status_code == 200


def test_sorting_by_urgency_puts_the_most_urgent_first(client, cast):
    standard = raise_one(cast, urgency=Urgency.STANDARD)
    immediate = raise_one(cast, urgency=Urgency.IMMEDIATE_RISK)
    protection = raise_one(cast, urgency=Urgency.CHILD_PROTECTION)
    client.force_login(cast.practitioner)
    page = page_of(client.get(reverse("escalation:list"), {"status": "all", "sort": "urgency"}))
    order = [page.index(e.reference) for e in (immediate, protection, standard)]
    assert order == sorted(order), "immediate risk, then child protection, then standard"


def test_sorting_by_deadline_puts_the_soonest_deadline_first(client, cast):
    later = raise_one(cast, urgency=Urgency.STANDARD)
    sooner = raise_one(cast, urgency=Urgency.IMMEDIATE_RISK)
    client.force_login(cast.practitioner)
    page = page_of(client.get(reverse("escalation:list"), {"status": "all", "sort": "deadline"}))
    assert page.index(sooner.reference) < page.index(later.reference)


def test_the_inbox_shows_what_reached_the_receiving_practitioner_but_not_a_senior_manager_yet(client, cast):
    escalation = raise_one(cast)
    client.force_login(cast.other_practitioner)
    assert escalation.reference in page_of(client.get(reverse("escalation:inbox")))
    client.force_login(cast.other_senior_manager)
    assert escalation.reference not in page_of(client.get(reverse("escalation:inbox")))


def test_the_inbox_remembers_its_sort(client, cast):
    client.force_login(cast.other_manager)
    client.get(reverse("escalation:inbox"), {"sort": "raised"})
    back = client.get(reverse("escalation:inbox"))
    assert back.status_code == 302 and "sort=raised" in back["Location"]


# --- Home page: what needs me ---------------------------------------------------------


def test_home_page_asks_the_receiving_practitioner_to_acknowledge_with_a_link(client, cast):
    escalation = raise_one(cast)
    client.force_login(cast.other_practitioner)
    page = page_of(client.get(reverse("home")))
    assert reverse("escalation:acknowledge", args=[escalation.public_id]) in page
    assert escalation.reference in page


def test_home_page_shows_the_raiser_what_they_raised(client, cast):
    escalation = raise_one(cast)
    client.force_login(cast.practitioner)
    page = page_of(client.get(reverse("home")))
    assert escalation.reference in page


def test_home_page_of_the_business_manager_shows_cases_waiting_at_the_partnership_stage(client, cast):
    escalation = climb(raise_one(cast), 5, by=cast.practitioner)
    client.force_login(cast.business_manager)
    page = page_of(client.get(reverse("home")))
    assert escalation.reference in page


# --- Notifications ---------------------------------------------------------------------


def test_notifications_page_lists_what_i_was_told_and_mark_all_read_clears_the_header_count(client, cast):
    raise_one(cast)
    raise_one(cast)
    client.force_login(cast.other_practitioner)
    page = page_of(client.get(reverse("escalation:notifications")))
    assert header_count(page) == 2
    response = client.post(reverse("escalation:notifications-read"), follow=True)
    page = page_of(response)
    assert "2 notifications marked as read." in page
    assert header_count(page) == 0
    assert not Notification.objects.filter(recipient=cast.other_practitioner, read_at__isnull=True).exists()


def test_notices_never_carry_the_childs_name(cast):
    raise_one(cast)
    for notice in Notification.objects.all():
        text = notice.message
        assert "Ellie" not in text and "Hart" not in text


def test_email_preference_defaults_to_straight_away_and_can_be_changed_to_the_daily_digest(client, cast):
    client.force_login(cast.other_practitioner)
    page = page_of(client.get(reverse("escalation:notification-preferences")))
    assert re.search(r'value="at_once"[^>]*checked', page)
    response = client.post(reverse("escalation:notification-preferences"), {"frequency": "daily"}, follow=True)
    assert "Your e-mail choice is saved." in page_of(response)


# --- The escalation page's buttons per role and the confirmation pages ------------------


def test_acknowledge_asks_for_confirmation_before_anything_changes(client, cast):
    escalation = raise_one(cast)
    client.force_login(cast.other_practitioner)
    response = client.get(reverse("escalation:acknowledge", args=[escalation.public_id]))
    assert response.status_code == 200
    assert "Acknowledge this escalation" in page_of(response)
    assert fresh(escalation).state == State.RAISED
    client.post(reverse("escalation:acknowledge", args=[escalation.public_id]), seen(escalation))
    assert fresh(escalation).state == State.IN_DISCUSSION


def test_the_raiser_sees_withdraw_not_acknowledge_and_the_receiver_sees_acknowledge_not_withdraw(client, cast):
    escalation = raise_one(cast)
    withdraw = reverse("escalation:withdraw", args=[escalation.public_id])
    ack = reverse("escalation:acknowledge", args=[escalation.public_id])
    client.force_login(cast.practitioner)
    page = page_of(client.get(detail(escalation)))
    assert withdraw in page and ack not in page
    client.force_login(cast.other_practitioner)
    page = page_of(client.get(detail(escalation)))
    assert ack in page and withdraw not in page


def test_withdrawing_needs_a_reason_and_tells_the_people_holding_the_stage(client, cast):
    escalation = raise_one(cast)
    Notification.objects.all().delete()
    client.force_login(cast.practitioner)
    url = reverse("escalation:withdraw", args=[escalation.public_id])
    assert "Enter why the disagreement is being withdrawn" in page_of(
        client.post(url, {**seen(escalation), "reason": ""})
    )
    client.post(url, {**seen(escalation), "reason": "Resolved informally by phone."})
    assert fresh(escalation).state == State.WITHDRAWN
    assert Notification.objects.filter(recipient=cast.other_practitioner, escalation=escalation).exists()
    assert RecordEntry.objects.filter(escalation=escalation, child=cast.child).count() >= 2


def test_resolving_through_the_page_tells_everyone_who_held_it_and_the_raiser(client, cast):
    escalation = climb(raise_one(cast), 2, by=cast.practitioner)
    acknowledge(escalation)
    Notification.objects.all().delete()
    client.force_login(cast.other_manager)
    response = client.post(
        reverse("escalation:resolve", args=[escalation.public_id]), {**seen(escalation), **RESOLUTION}
    )
    assert response.status_code == 302, page_of(response)[:3000]
    assert fresh(escalation).state == State.RESOLVED
    told = set(Notification.objects.filter(escalation=escalation).values_list("recipient__username", flat=True))
    # held stage 1: other_practitioner; stage 2 both managers; and the raiser
    assert {"practitioner", "social-worker", "manager"} <= told


def test_the_auditor_sees_the_case_but_no_buttons_and_may_not_post_any(client, cast):
    escalation = raise_one(cast)
    client.force_login(cast.auditor)
    page = page_of(client.get(detail(escalation)))
    for name in ("acknowledge", "escalate", "withdraw", "resolve"):
        assert reverse(f"escalation:{name}", args=[escalation.public_id]) not in page
    assert (
        client.post(reverse("escalation:acknowledge", args=[escalation.public_id]), seen(escalation)).status_code == 403
    )


def test_a_guessed_id_from_another_partnership_is_not_found_for_every_role(client, cast):
    other_partnership = cast.outsider_partnership
    from tests.factories import AgencyFactory

    a = AgencyFactory(partnership=other_partnership, name="Cumberland School")
    b = AgencyFactory(partnership=other_partnership, name="Cumberland CSC")
    raiser = person("cumb-prac", other_partnership, Role.PRACTITIONER, a)
    child = ChildFactory(partnership=other_partnership)
    theirs = services.escalation_raise(
        raised_by=raiser,
        raising_agency=a,
        receiving_agency=b,
        children=[child],
        category=Category.THRESHOLD,
        concern="x",
        why_unsafe="y",
        outcome_sought="z",
        urgency=Urgency.STANDARD,
    )
    for who in ("practitioner", "other_manager", "business_manager", "chair", "auditor"):
        client.force_login(getattr(cast, who))
        assert client.get(detail(theirs)).status_code == 404, who
        assert client.get(reverse("cases:child-file", args=[child.public_id])).status_code == 404, who


# --- The child's file -------------------------------------------------------------------


def test_the_childs_file_records_every_stage_from_raised_to_resolved(client, cast):
    escalation = climb(raise_one(cast), 3, by=cast.practitioner)
    acknowledge(escalation)
    client.force_login(cast.practitioner)
    page = page_of(client.get(reverse("cases:child-file", args=[cast.child.public_id])))
    assert escalation.reference in page
    kinds = list(RecordEntry.objects.filter(child=cast.child).values_list("kind", flat=True))
    # raised, ack stage 1, escalated to 2, ack stage 2, escalated to 3, ack stage 3
    assert len(kinds) >= 6, kinds
    assert "Ellie" in page


def test_a_practitioner_of_an_uninvolved_agency_cannot_open_the_childs_file(client, cast):
    raise_one(cast)
    outsider = person("police-officer", cast.partnership, Role.PRACTITIONER, cast.police)
    client.force_login(outsider)
    assert client.get(reverse("cases:child-file", args=[cast.child.public_id])).status_code == 404


# --- Policy page ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role", ["practitioner", "other_manager", "business_manager", "chair", "auditor", "panel_member"]
)
def test_everyone_in_a_partnership_reads_its_policy_under_policy_in_the_menu(client, cast, role):
    client.force_login(getattr(cast, role))
    response = client.get(reverse("policy:home"), follow=True)
    assert response.status_code == 200
    page = page_of(response)
    assert "Stage 1" in page or "stage 1" in page.lower()


def test_another_partnerships_policy_is_not_shown_to_a_practitioner(client, cast):
    client.force_login(cast.practitioner)
    assert client.get(reverse("policy:show", args=["cumberland"])).status_code == 404


def test_only_the_business_manager_is_offered_change_the_policy(client, cast):
    client.force_login(cast.practitioner)
    assert "Change the policy" not in page_of(client.get(reverse("policy:home"), follow=True))
    client.force_login(cast.business_manager)
    assert "Change the policy" in page_of(client.get(reverse("policy:home"), follow=True))


# --- Dashboard, drill-down and report -----------------------------------------------------


@pytest.mark.parametrize("role", ["business_manager", "chair", "auditor"])
def test_oversight_roles_open_the_dashboard(client, cast, role):
    raise_one(cast)
    client.force_login(getattr(cast, role))
    assert client.get(reverse("dashboard:index")).status_code == 200


@pytest.mark.parametrize("role", ["practitioner", "other_senior_manager", "panel_member"])
def test_agency_staff_and_panel_members_are_refused_the_dashboard(client, cast, role):
    client.force_login(getattr(cast, role))
    assert client.get(reverse("dashboard:index")).status_code == 403


def test_the_learning_report_downloads_count_toward_the_hourly_export_limit(client, cast, settings):
    settings.EXPORTS_PER_HOUR = 2
    client.force_login(cast.business_manager)
    assert client.get(reverse("dashboard:report-csv")).status_code == 200
    assert client.get(reverse("dashboard:report-xlsx")).status_code == 200
    assert client.post(reverse("exports:index"), {"format": "csv"}).status_code == 429


# --- Exports ---------------------------------------------------------------------------------


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.parametrize("fmt", ["csv", "json", "xlsx"])
def test_the_auditor_exports_each_format_with_one_row_per_escalation(client, cast, fmt):
    a, b = raise_one(cast), raise_one(cast)
    client.force_login(cast.auditor)
    response = client.post(reverse("exports:index"), {"format": fmt})
    assert response.status_code == 200
    data = _body(response)
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
        assert len(rows) == 2
    elif fmt == "json":
        text = data.decode()
        assert a.reference in text and b.reference in text
    else:
        sheet = openpyxl.load_workbook(io.BytesIO(data)).active
        assert sheet.max_row == 3


def test_exports_filter_by_urgency(client, cast):
    raise_one(cast)
    urgent = raise_one(cast, urgency=Urgency.IMMEDIATE_RISK)
    client.force_login(cast.auditor)
    text = _body(client.post(reverse("exports:index"), {"format": "csv", "urgency": "immediate-risk"})).decode(
        "utf-8-sig"
    )
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r for r in rows] and all(urgent.reference in ",".join(r.values()) for r in rows) and len(rows) == 1


@pytest.mark.parametrize("role", ["practitioner", "other_senior_manager", "other_director", "panel_member"])
def test_exports_are_for_business_managers_chairs_and_auditors_only(client, cast, role):
    client.force_login(getattr(cast, role))
    assert client.get(reverse("exports:index")).status_code == 403


def test_a_bad_date_filter_on_exports_gives_a_clear_message_not_a_500(client, cast):
    client.force_login(cast.auditor)
    response = client.post(reverse("exports:index"), {"format": "csv", "raised_from": "01/01/1899"})
    assert response.status_code == 200
    assert "govuk-error-summary" in page_of(response)


def test_past_exports_are_listed_for_the_business_manager(client, cast):
    raise_one(cast)
    client.force_login(cast.auditor)
    _body(client.post(reverse("exports:index"), {"format": "csv"}))
    client.force_login(cast.business_manager)
    page = page_of(client.get(reverse("exports:index")))
    assert "Past exports" in page and "Auditor" in page


# --- Retention -------------------------------------------------------------------------------


def test_retention_lists_records_once_the_youngest_child_is_25(client, cast):
    old = ChildFactory(partnership=cast.partnership, date_of_birth=date(1990, 1, 1), created_by_agency=cast.school)
    escalation = raise_one(cast, children=[old], at=london(2008, 3, 3, 10, 0))
    client.force_login(cast.business_manager)
    page = page_of(client.get(reverse("retention:due")))
    assert escalation.reference in page
    young = raise_one(cast, children=[old, cast.child])
    assert young.reference not in page_of(client.get(reverse("retention:due")))


@pytest.mark.parametrize("role", ["auditor", "chair", "practitioner"])
def test_retention_is_for_business_managers(client, cast, role):
    client.force_login(getattr(cast, role))
    assert client.get(reverse("retention:due")).status_code in (403, 404)


# --- Sign-in, two-factor, sessions --------------------------------------------------------------


def test_a_business_manager_with_only_a_password_cannot_reach_the_dashboard(client, cast):
    client.force_login_without_second_step(cast.business_manager)
    response = client.get(reverse("dashboard:index"))
    assert response.status_code == 302
    assert "two-factor" in response["Location"]


def test_an_administrator_needs_two_factor_too(client, cast):
    from partnerships.two_factor import role_requires_two_factor

    admin = person("admin-user", cast.partnership, Role.PRACTITIONER, cast.school)
    admin.is_staff = admin.is_superuser = True
    admin.save()
    assert role_requires_two_factor(admin)


def test_five_wrong_passwords_lock_out_even_the_right_one(client, cast):
    for _ in range(5):
        client.post(reverse("login"), {"username": "practitioner", "password": "wrong-password-123"})
    response = client.post(reverse("login"), {"username": "practitioner", "password": PASSWORD})
    assert response.status_code != 302 or response["Location"] != reverse("home")
    assert "_auth_user_id" not in client.session


def test_a_session_idle_for_31_minutes_needs_signing_in_again(client, cast, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    client.force_login(cast.practitioner)
    assert client.get(reverse("home")).status_code == 200
    time_machine.shift(timedelta(minutes=31))
    response = client.get(reverse("home"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_signed_in_pages_are_not_cached(client, cast):
    client.force_login(cast.practitioner)
    assert "no-store" in client.get(reverse("home"))["Cache-Control"]
