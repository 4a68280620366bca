"""What a newcomer found on the lists and the home page: every page of a list read the same; the
home page did not say a case the person raised was overdue; an auditor was told of decisions to
record and shown what they raised; a business manager was told no missed deadline was recorded
while the dashboard counted them."""

import html
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from escalation.models import StageOccurrence
from tests.conftest import london
from tests.integration.test_escalation_lifecycle import raise_one

pytestmark = pytest.mark.django_db

REF = re.compile(r"ESC-[0-9A-Z-]+")


def get(client, url, params=None) -> str:
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


def link(page: str, rel: str) -> str:
    return html.unescape(re.search(rf'href="\?([^"]*)" rel="{rel}"', page).group(1))


def refs(page: str, made: set) -> set:
    return set(REF.findall(page)) & made


def title(page: str) -> str:
    return re.search(r"<title>(.*?) - ", page).group(1)


# --- 1. Each page of a list says which page it is ------------------------------------------------


@pytest.fixture
def fifty_five(client, cast):
    """Three pages of escalations (25, 25 and 5) for the school practitioner who raised them."""
    made = {raise_one(cast, at=london(2026, 11, 1, 10, 0), children=[cast.child]).reference for _ in range(55)}
    client.force_login(cast.practitioner)
    return made


def test_pages_after_the_first_say_their_number_in_the_title_and_which_rows_they_show(client, fifty_five):
    url = reverse("escalation:list")
    first = get(client, url, {"status": "all"})
    assert title(first) == "Escalations"
    assert "Showing 1 to 25 of 55 escalations" in first
    second = get(client, url + "?" + link(first, "next"))
    assert title(second) == "Escalations (page 2 of 3)"
    assert "Showing 26 to 50 of 55 escalations" in second
    third = get(client, url + "?" + link(second, "next"))
    assert title(third) == "Escalations (page 3 of 3)"
    assert "Showing 51 to 55 of 55 escalations" in third
    assert len(refs(first, fifty_five) | refs(second, fifty_five) | refs(third, fifty_five)) == 55
    assert not any("{#" in page or "#}" in page for page in (first, second, third))  # no template comment shown
    back = get(client, url + "?" + link(third, "prev"))
    assert title(back) == "Escalations (page 2 of 3)" and refs(back, fifty_five) == refs(second, fifty_five)
    again = get(client, url + "?" + link(back, "prev"))
    assert title(again) == "Escalations" and "Showing 1 to 25 of 55 escalations" in again


def test_a_page_number_is_only_a_label_and_a_nonsense_one_falls_back_safely(client, fifty_five):
    url = reverse("escalation:list")
    first = get(client, url, {"status": "all"})
    to_second = link(first, "next")
    second = get(client, url + "?" + to_second)
    shown = refs(second, fifty_five)
    cursor = re.search(r"after=([^&]*)", to_second).group(1)
    for label in ("abc", "", "-3", "1", "2.5", "9" * 5000, "%00"):
        page = get(client, f"{url}?status=all&after={cursor}&page={label}")
        assert refs(page, fifty_five) == shown, label  # the cursor decides the rows, never the label
        assert "Showing 26 to 50 of 55 escalations" in page or "Showing 25 of 55 escalations" in page
    # Unreadable: shown unnumbered. Out of range: kept within the pages that can lie between.
    unreadable = get(client, f"{url}?status=all&after={cursor}&page=abc")
    assert title(unreadable) == "Escalations" and "Showing 25 of 55 escalations" in unreadable
    assert "page=" not in link(unreadable, "next")
    too_far = get(client, f"{url}?status=all&after={cursor}&page=40")
    assert title(too_far) == "Escalations (page 2 of 3)"
    # The first page is the first whatever the link says; the last page knows it is the last.
    assert title(get(client, url, {"status": "all", "page": "4"})) == "Escalations"
    last = get(client, url + "?" + re.sub(r"&page=\d+", "", link(second, "next")))
    assert title(last) == "Escalations (page 3 of 3)" and "Showing 51 to 55 of 55 escalations" in last


def test_the_page_number_costs_no_query(client, fifty_five):
    url = reverse("escalation:list")
    to_second = link(get(client, url, {"status": "all"}), "next")
    unnumbered = re.sub(r"&page=\d+", "", to_second)
    counts = []
    for query in (unnumbered, to_second):
        with CaptureQueriesContext(connection) as captured:
            get(client, url + "?" + query)
        counts.append(len(captured))
    assert counts[0] == counts[1]


# --- 2. The home page says a case the person raised is overdue, as the list does ------------------


def test_the_home_page_says_a_case_the_person_raised_is_overdue_as_the_list_does(client, cast):
    escalation = raise_one(cast, at=london(2026, 11, 27, 10, 0))  # a Friday: due Tue 1 Dec, 17:00
    client.force_login(cast.practitioner)
    with time_machine.travel(london(2026, 12, 3, 11, 0)):  # Thursday
        home = get(client, reverse("home"))
        listing = get(client, reverse("escalation:list"), {"status": "mine"})
    raised = home.split("data-raised")[1].split("</ul>")[0]
    assert escalation.reference in raised and "due Tue 1 Dec 2026, 17:00" in raised
    overdue = '<strong class="govuk-tag govuk-tag--red">Overdue by 2 working days</strong>'
    assert overdue in raised
    assert overdue in listing


# --- 3. Each role's home page has empty states that fit it ----------------------------------------


def test_an_auditor_is_told_where_the_records_are_not_of_decisions_to_record_or_what_they_raised(client, cast):
    client.force_login(cast.auditor)
    page = get(client, reverse("home"))
    empty = page.split("data-work-empty")[1].split("</div>")[0]
    assert "Nothing needs you now" in empty
    assert "decisions for you to record" not in page and "partnership stage" not in empty
    assert f'href="{reverse("exports:index")}"' in empty and f'href="{reverse("dashboard:audit")}"' in empty
    assert "What you raised" not in page and "What you follow" not in page


def test_partnership_roles_are_told_what_would_need_them_and_not_shown_what_they_raised(client, cast):
    client.force_login(cast.business_manager)
    page = get(client, reverse("home"))
    assert "When a disagreement reaches the partnership stage, for you to acknowledge and arrange" in page
    assert "What you raised" not in page and "Export case records</a>" not in page
    client.force_login(cast.panel_member)
    page = get(client, reverse("home"))
    assert "When you are seated on a partnership review" in page and "What you raised" not in page
    client.force_login(cast.practitioner)
    page = get(client, reverse("home"))
    assert "When a disagreement reaches you, or an agreed action is yours" in page
    assert "What you raised" in page and "You have no open disagreement you raised." in page


# --- 4. The watcher's sentence agrees with the dashboard ------------------------------------------


def test_a_missed_deadline_on_record_without_a_notice_is_not_said_to_be_unrecorded(client, cast):
    client.force_login(cast.business_manager)
    escalation = raise_one(cast, at=london(2026, 12, 23, 10, 0))
    page = get(client, reverse("home"))
    watcher = page.split("data-watcher-last>")[1].split("</p>")[0]
    assert "has not yet warned anyone" in watcher and "no deadline there has been missed" in watcher
    # As the demo's history records one: the stage breached, nobody told (escalation/demo/history.py).
    StageOccurrence.objects.filter(escalation=escalation).update(breached_at=timezone.now())
    page = get(client, reverse("home"))
    watcher = page.split("data-watcher-last>")[1].split("</p>")[0]
    assert "recorded a missed one" not in watcher and "no deadline there has been missed" not in watcher
    assert "Missed deadlines are on record" in watcher and f'href="{reverse("dashboard:index")}"' in watcher
