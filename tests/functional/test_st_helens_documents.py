"""The St Helens templates, complete (seed 004): the escalation notice's signatory and role,
the resolution record's method of delivery, and the child's lead agency chosen on the page."""

import pytest
from django.urls import reverse

from cases.models import Child
from escalation import services
from escalation.models import Escalation
from escalation.states import Category, DeliveryMethod
from tests.conftest import build_cast, london

pytestmark = pytest.mark.django_db


@pytest.fixture
def st_helens(db):
    return build_cast("st-helens")


def raise_one(cast):
    return services.escalation_raise(
        raised_by=cast.practitioner,
        raising_agency=cast.school,
        receiving_agency=cast.csc,
        children=[cast.child],
        category=Category.THRESHOLD,
        concern="Refused.",
        why_unsafe="Risk.",
        outcome_sought="Assessment.",
        at=london(2026, 11, 3, 10, 0),
    )


def fresh(escalation):
    return Escalation.objects.get(pk=escalation.pk)


def test_the_escalation_notice_is_signed_by_the_line_manager_who_issued_it_with_their_role(client, st_helens):
    cast = st_helens
    escalation = raise_one(cast)
    for by in (cast.manager, cast.practitioner):  # the manager after the consultation; then the raiser
        services.escalation_escalate(escalation=fresh(escalation), acting_user=by, evidence="Consulted.")
    services.escalation_acknowledge(escalation=fresh(escalation), acting_user=cast.other_manager)
    # Stage three's line managers cannot agree: the school's line manager sends the notice on.
    services.escalation_escalate(escalation=fresh(escalation), acting_user=cast.manager, evidence="Notice sent.")
    client.force_login(cast.practitioner)
    page = client.get(reverse("escalation:notice", args=[escalation.public_id])).content.decode()
    assert cast.manager.get_full_name() in page
    assert "Line manager, Riverside Primary School" in page


def test_the_resolution_record_shows_how_it_reached_the_business_manager(client, st_helens):
    cast = st_helens
    escalation = raise_one(cast)
    services.escalation_escalate(escalation=fresh(escalation), acting_user=cast.manager, evidence="Consulted.")
    services.escalation_acknowledge(escalation=fresh(escalation), acting_user=cast.other_practitioner)
    client.force_login(cast.other_practitioner)
    url = reverse("escalation:resolve", args=[escalation.public_id])
    page = client.get(url).content.decode()
    assert "Secure e-mail" in page and "How will the resolution record reach" in page
    response = client.post(
        url,
        {
            "agreed_outcome": "Assessment agreed.",
            "main_reason": Category.THRESHOLD,
            "case_review_recommended": "no",
            "practitioners_informed": "Both practitioners.",
            "family_informed": "yes",
            "method_of_delivery": DeliveryMethod.SECURE_EMAIL,
            "seen_state": "in_discussion",
            "seen_stage": "2",
        },
    )
    assert response.status_code == 302
    assert fresh(escalation).resolution.method_of_delivery == DeliveryMethod.SECURE_EMAIL
    record = client.get(reverse("escalation:resolution-record", args=[escalation.public_id])).content.decode()
    assert "Method of delivery" in record and "Secure e-mail" in record


def test_a_child_added_on_the_page_gets_a_lead_agency_from_this_partnership_only(client, st_helens):
    cast = st_helens
    client.force_login(cast.practitioner)
    url = reverse("escalation:add-child")
    page = client.get(url).content.decode()
    assert "Lead agency (optional)" in page
    assert "Riverside Children&#x27;s Social Care" in page
    assert "Cumberland Police" not in page  # another partnership's agency
    response = client.post(
        url,
        {"first_name": "Maya", "last_name": "Cole", "date_of_birth": "14/03/2015", "lead_agency": cast.csc.pk},
    )
    assert response.status_code == 302
    assert Child.objects.get(first_name="Maya").lead_agency == cast.csc
