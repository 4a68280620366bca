"""Lists remember the person's last filter and sort; "Clear filters" forgets them."""

import pytest
from django.urls import reverse

from tests.integration.test_escalation_lifecycle import raise_one

pytestmark = pytest.mark.django_db


def test_the_escalations_list_comes_back_as_the_person_left_it(client, cast):
    raise_one(cast, children=[cast.child])
    client.force_login(cast.practitioner)
    url = reverse("escalation:list")
    assert client.get(url, {"status": "mine", "sort": "urgency"}).status_code == 200
    back = client.get(url)
    assert back.status_code == 302 and back["Location"] == f"{url}?status=mine&sort=urgency"
    page = client.get(back["Location"]).content.decode()
    assert '<option value="mine" selected>' in page and '<option value="urgency" selected>' in page
    assert "Clear filters" in page


def test_clear_filters_forgets_them(client, cast):
    client.force_login(cast.practitioner)
    url = reverse("escalation:list")
    client.get(url, {"status": "all", "sort": "stage"})
    cleared = client.get(url, {"clear": "1"})
    assert cleared.status_code == 302 and cleared["Location"] == url
    page = client.get(url)
    assert page.status_code == 200
    assert '<option value="open" selected>' in page.content.decode()


def test_a_link_to_a_page_of_the_list_is_shown_as_asked(client, cast):
    client.force_login(cast.practitioner)
    url = reverse("escalation:list")
    client.get(url, {"status": "all"})
    assert client.get(url, {"after": "x"}).status_code == 200


def test_each_person_has_their_own(client, cast):
    client.force_login(cast.practitioner)
    client.get(reverse("escalation:list"), {"status": "all"})
    client.force_login(cast.other_practitioner)
    assert client.get(reverse("escalation:list")).status_code == 200


def test_the_inbox_remembers_its_order(client, cast):
    client.force_login(cast.manager)
    url = reverse("escalation:inbox")
    client.get(url, {"sort": "raised"})
    back = client.get(url)
    assert back.status_code == 302 and back["Location"] == f"{url}?sort=raised"
    assert '<option value="raised" selected>' in client.get(back["Location"]).content.decode()


def test_the_dashboard_remembers_its_filters_until_cleared(client, cast):
    client.force_login(cast.business_manager)
    url = reverse("dashboard:index")
    assert client.get(url, {"urgency": "child_protection", "filter": "Apply filters"}).status_code == 200
    back = client.get(url)
    assert back.status_code == 302 and back["Location"] == f"{url}?urgency=child_protection"
    page = client.get(back["Location"]).content.decode()
    assert 'href="?clear=1"' in page
    assert client.get(url, {"clear": "1"})["Location"] == url
    assert client.get(url).status_code == 200
