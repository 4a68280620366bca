"""The escalation list costs the same queries whatever its rows: one closure-days query for
every partnership on the page (each row's working days left is counted on its own partnership's
calendar), not one per partnership, and not only when some row is timed."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.models import Child
from escalation import services
from escalation.states import Category
from partnerships.choices import AgencyType, Role, Urgency
from partnerships.models import ClosureDay, Membership
from tests.conftest import london
from tests.factories import AgencyFactory
from tests.integration.test_escalation_lifecycle import raise_one

pytestmark = pytest.mark.django_db


def list_queries(client) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("escalation:list"), {"status": "all"})
    assert response.status_code == 200
    return [q["sql"] for q in captured.captured_queries]


def raise_in_cumberland(cast):
    school = AgencyFactory(partnership=cast.outsider_partnership, name="Cumberland School", type=AgencyType.EDUCATION)
    child = Child.objects.create(
        partnership=cast.outsider_partnership,
        first_name="Sam",
        last_name="Lee",
        date_of_birth=london(2015, 1, 1).date(),
    )
    return services.escalation_raise(
        raised_by=cast.outsider,
        raising_agency=cast.outsider.memberships.get().agency,
        receiving_agency=school,
        children=[child],
        category=Category.THRESHOLD,
        concern="The referral was refused.",
        why_unsafe="Bruising seen.",
        outcome_sought="A strategy discussion.",
        urgency=Urgency.STANDARD,
        at=london(2026, 12, 23, 10, 0),
    )


def test_a_list_of_cases_from_two_partnerships_costs_what_a_list_from_one_does(client, cast):
    Membership.objects.create(user=cast.auditor, partnership=cast.outsider_partnership, role=Role.AUDITOR)
    ClosureDay.objects.create(partnership=cast.partnership, date=london(2026, 12, 31).date(), reason="Office closed")
    raise_one(cast)
    client.force_login(cast.auditor)
    client.get(reverse("escalation:list"), {"status": "all"})
    one_partnership = list_queries(client)
    raise_in_cumberland(cast)
    two_partnerships = list_queries(client)
    assert "Cumberland" not in "".join(one_partnership)
    assert len(two_partnerships) == len(one_partnership), "\n".join(two_partnerships)
    assert sum("partnerships_closureday" in q for q in two_partnerships) == 1
