"""Opening a notification, or the case it is about, reads it, and the header's count is right
in that same response; people choose how non-urgent notices are e-mailed."""

import re

import pytest
from django.urls import reverse

from escalation.digest_models import EmailFrequency, EmailPreference
from escalation.models import Notification
from tests.integration.test_escalation_lifecycle import raise_one

pytestmark = pytest.mark.django_db


def header_count(page: str) -> int:
    found = re.search(r'app-count">(\d+)<span class="govuk-visually-hidden"> unread', page)
    return int(found.group(1)) if found else 0


def test_opening_a_notification_reads_it_and_shows_its_case_with_the_count_already_down(client, cast):
    first, second = raise_one(cast, children=[cast.child]), raise_one(cast, children=[cast.child])
    client.force_login(cast.other_practitioner)
    assert header_count(client.get(reverse("home")).content.decode()) == 2
    notice = Notification.objects.get(recipient=cast.other_practitioner, escalation=first)
    response = client.get(reverse("escalation:notification-open", args=[notice.public_id]), follow=True)
    assert response.redirect_chain == [(reverse("escalation:detail", args=[first.public_id]), 302)]
    assert header_count(response.content.decode()) == 1
    notice.refresh_from_db()
    assert notice.read_at is not None
    assert Notification.objects.get(recipient=cast.other_practitioner, escalation=second).read_at is None


def test_opening_the_case_reads_its_notices_in_the_same_response(client, cast):
    escalation = raise_one(cast, children=[cast.child])
    client.force_login(cast.other_practitioner)
    page = client.get(reverse("escalation:detail", args=[escalation.public_id])).content.decode()
    assert header_count(page) == 0


def test_the_notification_list_links_each_notice_through_opening_it_and_keeps_mark_all_as_read(client, cast):
    raise_one(cast, children=[cast.child])
    notice = Notification.objects.get(recipient=cast.other_practitioner)
    client.force_login(cast.other_practitioner)
    page = client.get(reverse("escalation:notifications")).content.decode()
    assert reverse("escalation:notification-open", args=[notice.public_id]) in page
    # The e-mail's closing address is not repeated as text: the case is a link beside the notice.
    assert "Open it: http" not in page and f">{notice.escalation.reference}</a>" in page
    assert notice.message.split(" Open it: ")[0] in page.replace("&#x27;", "'")
    assert "Mark all as read" in page
    assert reverse("escalation:notification-preferences") in page


def test_someone_elses_notification_is_not_found(client, cast):
    raise_one(cast, children=[cast.child])
    notice = Notification.objects.get(recipient=cast.other_practitioner)
    client.force_login(cast.other_manager)
    assert client.get(reverse("escalation:notification-open", args=[notice.public_id])).status_code == 404
    notice.refresh_from_db()
    assert notice.read_at is None


def test_choosing_the_daily_digest(client, cast):
    client.force_login(cast.manager)
    page = client.get(reverse("escalation:notification-preferences")).content.decode()
    assert 'type="radio"' in page and "In one daily digest at 8:30am on working days" in page
    response = client.post(reverse("escalation:notification-preferences"), {"frequency": EmailFrequency.DAILY})
    assert response.status_code == 302 and response["Location"] == reverse("escalation:notifications")
    assert EmailPreference.objects.get(user=cast.manager).frequency == EmailFrequency.DAILY
    listing = client.get(reverse("escalation:notifications")).content.decode()
    assert "one daily digest at 8:30am on working days" in listing


def test_saving_without_a_choice_says_what_to_do(client, cast):
    client.force_login(cast.manager)
    page = client.post(reverse("escalation:notification-preferences"), {}).content.decode()
    assert "There is a problem" in page and "Select when we should e-mail you" in page
    assert not EmailPreference.objects.exists()
