"""Signposts: where to go for what is not a professional disagreement, with the partnership's own numbers."""

import pytest
from django.urls import reverse

from escalation.demo.partnerships import load_demo
from partnerships.models import Partnership
from tests.integration.test_escalation_lifecycle import raise_one

pytestmark = pytest.mark.django_db

ASK = "ask your safeguarding lead for the number"
# The outsider partnership's (Cumberland's) details, given by give_numbers(…, "0170").
OTHER_PARTNERSHIPS = ("01701 111111", "01702 222222", "01703 333333", "01701111111", "cumberland.example.org")


def give_numbers(partnership, prefix):
    partnership.front_door_phone = f"{prefix}1 111111"
    partnership.emergency_duty_phone = f"{prefix}2 222222"
    partnership.lado_phone = f"{prefix}3 333333"
    partnership.lado_email = f"lado@{partnership.slug}.example.org"
    partnership.save()


def raise_page(client, cast) -> str:
    client.force_login(cast.practitioner)
    response = client.get(reverse("escalation:raise") + f"?child={cast.child.public_id}")
    assert response.status_code == 200
    return response.content.decode()


def case_page(client, cast) -> str:
    escalation = raise_one(cast)
    client.force_login(cast.practitioner)
    response = client.get(reverse("escalation:detail", args=[escalation.public_id]))
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("page", [raise_page, case_page], ids=["raise page", "case page"])
def test_the_page_signposts_999_and_the_partnerships_own_numbers(client, cast, page):
    give_numbers(cast.partnership, "0161")
    give_numbers(cast.outsider_partnership, "0170")
    html = page(client, cast)
    assert "Not a disagreement? Where else to go" in html
    assert '<details class="govuk-details app-signposts"' in html and 'id="signposts">' in html  # collapsed
    assert 'href="tel:999"' in html
    assert 'href="tel:01611111111">01611 111111</a>' in html  # the front door
    assert 'href="tel:01612222222">01612 222222</a>' in html  # the emergency duty team
    assert 'href="tel:01613333333">01613 333333</a>' in html  # the LADO
    assert 'href="mailto:lado@five-stage.example.org"' in html
    assert "follow your own organisation's whistleblowing policy" in html
    assert ASK not in html
    assert not any(theirs in html for theirs in OTHER_PARTNERSHIPS)


@pytest.mark.parametrize("page", [raise_page, case_page], ids=["raise page", "case page"])
def test_without_numbers_the_page_says_to_ask_the_safeguarding_lead(client, cast, page):
    give_numbers(cast.outsider_partnership, "0170")
    html = page(client, cast)
    assert html.count(ASK) == 3  # front door, emergency duty team, LADO
    assert 'href="tel:999"' in html
    assert "mailto:lado@" not in html
    assert not any(theirs in html for theirs in OTHER_PARTNERSHIPS)


def test_the_partnerships_whistleblowing_advice_replaces_the_default(client, cast):
    cast.partnership.whistleblowing_advice = "Call the whistleblowing line run by the council."
    cast.partnership.save()
    html = raise_page(client, cast)
    assert "Call the whistleblowing line run by the council." in html
    assert "follow your own organisation's whistleblowing policy" not in html


def test_the_demo_partnerships_have_their_own_numbers_and_a_rerun_keeps_an_edit():
    def numbers():
        return {
            slug: (front_door, edt, lado)
            for slug, front_door, edt, lado in Partnership.objects.values_list(
                "slug", "front_door_phone", "emergency_duty_phone", "lado_phone"
            )
        }

    load_demo(with_history=False)
    before = numbers()
    assert len(before) == 5 and all(all(row) for row in before.values())
    assert len({n for row in before.values() for n in row}) == 15  # all different
    bromley = Partnership.objects.get(slug="bromley")
    assert "does not replace whistleblowing procedures" in bromley.whistleblowing_advice
    bromley.lado_phone = "020 8000 0000"
    bromley.whistleblowing_advice = ""  # cleared fields are filled again; edited ones are kept
    bromley.save()
    load_demo(with_history=False)
    bromley.refresh_from_db()
    assert bromley.lado_phone == "020 8000 0000"
    assert "does not replace whistleblowing procedures" in bromley.whistleblowing_advice
    after = numbers()
    assert after.pop("bromley") == (before["bromley"][0], before["bromley"][1], "020 8000 0000")
    before.pop("bromley")
    assert after == before
