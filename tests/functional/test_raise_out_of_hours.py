"""Out of hours the raise page states each urgency's first deadline (issue 12 §3): it must
not send people to "Immediate risk" where that would give them more time."""

import pytest
import time_machine
from django.urls import reverse

from tests.conftest import build_cast, london

pytestmark = pytest.mark.django_db


def test_on_a_friday_evening_at_bromley_immediate_risk_is_never_given_more_time_than_child_protection(client):
    cast = build_cast("bromley")
    with time_machine.travel(london(2026, 12, 4, 18, 0)):
        client.force_login(cast.practitioner)
        page = client.get(reverse("escalation:raise") + f"?child={cast.child.public_id}").content.decode()
    assert "Raised now, the first stage would be due:" in page
    assert "Standard: by Friday 11 December 2026, 5:00 p.m." in page
    assert "Child protection: by Saturday 5 December 2026, 6:00 p.m." in page
    assert "Immediate risk of significant harm: by Saturday 5 December 2026, 6:00 p.m." in page
    assert "so the deadline runs to the close of the next working day" not in page


def test_within_working_hours_the_page_does_not_list_them(client):
    cast = build_cast("bromley")
    with time_machine.travel(london(2026, 12, 1, 11, 0)):
        client.force_login(cast.practitioner)
        page = client.get(reverse("escalation:raise") + f"?child={cast.child.public_id}").content.decode()
    assert "Raise a disagreement" in page and "Raised now, the first stage would be due:" not in page
