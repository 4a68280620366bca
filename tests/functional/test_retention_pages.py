"""The retention review in pages: what the business manager sees and does, and who else may not."""

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from cases.models import Child
from escalation import retention
from escalation.models import Escalation, RetentionDecision, RetentionDecisionKind
from escalation.retention import REDACTED
from partnerships.choices import Role
from tests.factories import ChildFactory, person
from tests.functional.test_hostile_input import signed_in
from tests.integration.test_retention import finished

pytestmark = pytest.mark.django_db


@pytest.fixture
def due(cast):
    """A withdrawn escalation about a child born in 1990: due for review since 2015."""
    child = ChildFactory(
        partnership=cast.partnership, first_name="Ellie", last_name="Hart", date_of_birth=date(1990, 5, 5)
    )
    return finished(cast, [child])


@pytest.fixture
def bm(cast) -> Client:
    return signed_in(cast.business_manager)


def fresh(escalation):
    return Escalation.objects.get(pk=escalation.pk)


def test_the_business_manager_sees_what_is_due_and_nothing_that_is_not(cast, due, bm):
    not_due = finished(cast, [cast.child])
    page = bm.get(reverse("retention:due")).content.decode()
    assert due.reference in page and "5 May 2015" in page
    assert reverse("retention:dispose", args=[due.public_id]) in page
    assert reverse("retention:hold", args=[due.public_id]) in page
    assert not_due.reference not in page


@pytest.mark.parametrize("role", ["practitioner", "other_manager", "chair", "auditor", "panel_member", "outsider"])
def test_nobody_else_may_open_any_retention_page(cast, due, role):
    client = signed_in(getattr(cast, role))
    for name, args in [
        ("due", []),
        ("hold", [due.public_id]),
        ("release", [due.public_id]),
        ("dispose", [due.public_id]),
    ]:
        assert client.get(reverse(f"retention:{name}", args=args)).status_code == 403, name
        if args:
            response = client.post(reverse(f"retention:{name}", args=args), {"reason": "x", "confirm": "on"})
            assert response.status_code == 403, name
    assert not RetentionDecision.objects.exists()
    assert fresh(due).disposed_at is None


def test_another_partnerships_business_manager_finds_nothing(cast, due):
    client = signed_in(person("cumberland-bm", cast.outsider_partnership, Role.BUSINESS_MANAGER))
    assert client.get(reverse("retention:due")).status_code == 200
    assert due.reference not in client.get(reverse("retention:due")).content.decode()
    for name in ("hold", "release", "dispose"):
        assert client.get(reverse(f"retention:{name}", args=[due.public_id])).status_code == 404
        assert client.post(reverse(f"retention:{name}", args=[due.public_id]), {"reason": "x"}).status_code == 404
    assert not RetentionDecision.objects.exists()


def test_placing_and_releasing_a_legal_hold(cast, due, bm):
    url = reverse("retention:hold", args=[due.public_id])
    response = bm.post(url, {"reason": ""})
    assert response.status_code == 200 and "Enter the reason for this decision" in response.content.decode()
    assert not fresh(due).legal_hold

    response = bm.post(url, {"reason": "Civil claim <script>alert(1)</script>"}, follow=True)
    page = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("retention:due")
    assert f"{due.reference} is on legal hold" in page
    assert "Civil claim &lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    assert fresh(due).legal_hold

    page = bm.get(reverse("retention:dispose", args=[due.public_id])).content.decode()
    assert "is on legal hold" in page and 'name="confirm"' not in page
    response = bm.post(reverse("retention:dispose", args=[due.public_id]), {"reason": "Past 25.", "confirm": "on"})
    assert response.status_code == 200 and fresh(due).disposed_at is None

    response = bm.post(reverse("retention:release", args=[due.public_id]), {"reason": "Claim settled."})
    assert response.status_code == 302 and not fresh(due).legal_hold
    kinds = list(RetentionDecision.objects.values_list("decision", flat=True))
    assert kinds == [RetentionDecisionKind.HOLD, RetentionDecisionKind.RELEASE]


def test_disposal_asks_for_a_reason_and_a_confirmation_then_redacts(cast, due, bm):
    url = reverse("retention:dispose", args=[due.public_id])
    page = bm.get(url).content.decode()
    assert "Disposal cannot be undone" in page and 'name="confirm"' in page and "What stays" in page

    response = bm.post(url, {"reason": "Past 25; no hold."})  # no tick
    assert response.status_code == 200
    assert "Confirm that you understand disposal cannot be undone" in response.content.decode()
    assert fresh(due).disposed_at is None and not RetentionDecision.objects.exists()

    response = bm.post(url, {"reason": "Past 25; no hold.", "confirm": "on"}, follow=True)
    assert f"{due.reference} has been disposed of." in response.content.decode()
    e = fresh(due)
    assert e.disposed_at is not None and e.concern == REDACTED
    assert Child.objects.get(escalations=e).first_name == "Redacted"
    detail = signed_in(cast.auditor).get(reverse("escalation:detail", args=[e.public_id])).content.decode()
    # Everything above the timeline is redacted; the timeline (the child's file) is append-only
    # and keeps its words: that is what docs/backup-and-restore.md's full purge is for.
    above_timeline = detail.split('<h2 class="govuk-heading-m">Timeline</h2>')[0]
    assert "Ellie" not in above_timeline and "Jo Hart" not in above_timeline
    assert REDACTED in above_timeline
    # Asked again, the page says it is done and offers nothing.
    page = bm.get(url).content.decode()
    assert "was disposed of on" in page and 'name="confirm"' not in page


def test_the_review_page_lists_holds_that_are_not_yet_due(cast, bm):
    escalation = finished(cast, [cast.child])
    retention.retention_hold(escalation=escalation, acting_user=cast.business_manager, reason="Inquiry.")
    page = bm.get(reverse("retention:due")).content.decode()
    assert escalation.reference in page and reverse("retention:release", args=[escalation.public_id]) in page
