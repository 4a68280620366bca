"""The small things found on the way (issue 16), each pinned."""

import pytest
from django.urls import reverse

from tests.integration.test_escalation_lifecycle import raise_one

pytestmark = pytest.mark.django_db


def test_the_escalate_page_and_the_stage_table_name_each_stage_once(client, cast):
    escalation = raise_one(cast)
    client.force_login(cast.practitioner)
    page = client.get(reverse("escalation:escalate", args=[escalation.public_id])).content.decode()
    assert "Escalate to Stage 2: direct manager to manager discussion</h1>" in page
    detail = client.get(reverse("escalation:detail", args=[escalation.public_id])).content.decode()
    assert "Stage 1: direct professional to professional discussion</td>" in detail
    assert "1: Stage 1" not in detail and "Stage 2: Stage 2" not in page


def test_the_discussion_form_gives_the_policys_email_advice_once(client, cast):
    from partnerships.presets import get_preset

    advice = get_preset("five-stage").email_advice
    escalation = raise_one(cast)
    assert escalation.policy.email_advice == advice
    client.force_login(cast.practitioner)
    page = client.get(reverse("escalation:discussion", args=[escalation.public_id])).content.decode()
    from django.utils.html import escape

    assert page.count(escape(advice)) == 1


def test_add_a_child_keeps_the_name_just_searched_and_has_a_back_link_to_the_search(client, cast):
    client.force_login(cast.practitioner)
    search = client.get(reverse("escalation:find-child"), {"q": "Maya Okafor"}).content.decode()
    assert f"{reverse('escalation:add-child')}?q=Maya%20Okafor" in search
    page = client.get(reverse("escalation:add-child"), {"q": "Maya Okafor"}).content.decode()
    assert 'value="Maya"' in page and 'value="Okafor"' in page
    assert 'class="govuk-back-link"' in page and f"{reverse('escalation:find-child')}?q=Maya+Okafor" in page


def test_a_date_searched_for_becomes_the_date_of_birth():
    from escalation.views.raise_views import searched_for

    assert searched_for("14/03/2015") == {"date_of_birth": "14/03/2015"}
    assert searched_for("CS-1234") == {"local_reference": "CS-1234"}
    assert searched_for("  Ellie   May Hart ") == {"first_name": "Ellie May", "last_name": "Hart"}
    assert searched_for("") == {}


def test_at_the_partnership_stage_the_business_manager_is_not_offered_withdraw(client, cast):
    """Only the raiser (or their agency's managers) withdraw the disagreement: it is theirs."""
    from tests.climbing import climb

    escalation = climb(raise_one(cast), 5, by=cast.practitioner)
    assert escalation.policy_stage().is_partnership_stage
    for user, offered in ((cast.business_manager, False), (cast.chair, False), (cast.practitioner, True)):
        client.force_login(user)
        page = client.get(reverse("escalation:detail", args=[escalation.public_id])).content.decode()
        assert (reverse("escalation:withdraw", args=[escalation.public_id]) in page) is offered, user
    client.force_login(cast.business_manager)
    assert client.get(reverse("escalation:withdraw", args=[escalation.public_id])).status_code == 403
