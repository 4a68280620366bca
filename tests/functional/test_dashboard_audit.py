"""Audit samples: a random sample of N closed escalations and a checklist result per case."""

import random
from collections import Counter

import pytest
from django.urls import reverse

from escalation import audit_sample, services
from escalation.models import AuditCheck, AuditResult, AuditSample, Escalation
from escalation.services import EscalationError, NotPermitted
from tests.conftest import london
from tests.integration.test_dashboard import build_other_partnership, fresh, raise_

pytestmark = pytest.mark.django_db


def closed_escalations(cast, count: int) -> list[Escalation]:
    made = []
    for i in range(count):
        e = raise_(cast, london(2026, 3, 2 + i % 20, 10, 0))
        services.escalation_acknowledge(escalation=e, acting_user=cast.other_practitioner, at=london(2026, 3, 23, 9))
        services.escalation_resolve(
            escalation=fresh(e), acting_user=cast.practitioner, outcome="Agreed.", at=london(2026, 3, 23, 10)
        )
        services.escalation_close(escalation=fresh(e), acting_user=cast.practitioner, at=london(2026, 3, 24, 10))
        made.append(e)
    return made


@pytest.fixture
def closed(cast):
    made = closed_escalations(cast, 12)
    raise_(cast, london(2026, 3, 25, 10, 0))  # open: never sampled
    build_other_partnership(cast)  # another partnership: never sampled
    return made


def test_a_sample_holds_n_distinct_closed_escalations_of_the_partnership(cast, closed):
    sample = audit_sample.audit_sample_draw(partnership=cast.partnership, acting_user=cast.business_manager, size=5)
    checks = list(sample.checks.all())
    assert sample.size == 5 and len(checks) == 5
    assert len({c.escalation_id for c in checks}) == 5
    assert {c.escalation_id for c in checks} <= {e.pk for e in closed}
    assert all(c.result == AuditResult.PENDING for c in checks)


def test_later_samples_take_fresh_cases_until_none_are_left(cast, closed):
    first = audit_sample.audit_sample_draw(partnership=cast.partnership, acting_user=cast.business_manager, size=5)
    second = audit_sample.audit_sample_draw(partnership=cast.partnership, acting_user=cast.business_manager, size=50)
    assert second.size == 7  # all that were left
    ids = lambda s: {c.escalation_id for c in s.checks.all()}  # noqa: E731
    assert not ids(first) & ids(second)
    with pytest.raises(EscalationError, match="no closed escalations left"):
        audit_sample.audit_sample_draw(partnership=cast.partnership, acting_user=cast.business_manager, size=1)


@pytest.mark.parametrize("size", [0, -1, 51])
def test_the_size_must_be_between_1_and_50(cast, closed, size):
    with pytest.raises(EscalationError):
        audit_sample.audit_sample_draw(partnership=cast.partnership, acting_user=cast.business_manager, size=size)


def test_the_draw_is_uniformly_random(cast, closed):
    """Each of 12 cases should be drawn in about a quarter of 400 samples of 3 (100 times);
    the bounds are five standard deviations (about 8.7) either side."""
    counts = Counter()
    rng = random.Random(20260401)
    for _ in range(400):
        sample = audit_sample.audit_sample_draw(
            partnership=cast.partnership, acting_user=cast.business_manager, size=3, rng=rng
        )
        counts.update(sample.checks.values_list("escalation_id", flat=True))
        AuditCheck.objects.filter(sample=sample).delete()  # put the cases back for the next draw
    assert set(counts) == {e.pk for e in closed}
    assert all(56 <= n <= 144 for n in counts.values()), counts


def test_only_the_business_manager_draws_and_records(cast, closed):
    for user in (cast.chair, cast.auditor, cast.practitioner):
        with pytest.raises(NotPermitted):
            audit_sample.audit_sample_draw(partnership=cast.partnership, acting_user=user, size=2)
    sample = audit_sample.audit_sample_draw(partnership=cast.partnership, acting_user=cast.business_manager, size=2)
    with pytest.raises(NotPermitted):
        audit_sample.audit_check_record(check=sample.checks.first(), acting_user=cast.auditor, result=AuditResult.MET)


# --- the pages ---------------------------------------------------------------------------------


def test_drawing_a_sample_and_recording_a_result_through_the_pages(client, cast, closed):
    client.force_login(cast.business_manager)
    page = client.get(reverse("dashboard:audit")).content.decode()
    assert "12 closed escalations have not been in a sample yet" in page
    response = client.post(reverse("dashboard:audit"), {"size": "4", "note": "Quarter 1 audit"})
    sample = AuditSample.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard:audit-sample", args=[sample.public_id])
    page = client.get(response["Location"]).content.decode()
    assert "Audit sample of 4 escalations" in page
    assert "0 of 4</strong> checked" in page
    check = sample.checks.select_related("escalation").first()
    url = reverse("dashboard:audit-check", args=[sample.public_id]) + f"?case={check.escalation.public_id}"
    assert f'href="{url}"' in page
    form = client.get(url).content.decode()
    assert f"Audit {check.escalation.reference}" in form
    assert "Every stage is recorded on each child" in form

    response = client.post(url, {"result": AuditResult.NOT_MET, "notes": ""})
    assert "Enter notes saying what was missing or not followed" in response.content.decode()
    response = client.post(url, {"result": AuditResult.PARTLY, "notes": "Stage 1 discussion not recorded."})
    assert response.status_code == 302
    check.refresh_from_db()
    assert (check.result, check.notes, check.checked_by) == (
        AuditResult.PARTLY,
        "Stage 1 discussion not recorded.",
        cast.business_manager,
    )
    assert check.checked_at is not None
    page = client.get(reverse("dashboard:audit")).content.decode()
    assert "Followed 0, partly 1, not followed 0" in page
    assert "Quarter 1 audit" in page


def test_a_wrong_size_is_explained(client, cast, closed):
    client.force_login(cast.business_manager)
    response = client.post(reverse("dashboard:audit"), {"size": "500"})
    assert "The sample can hold at most 50 escalations" in response.content.decode()
    assert not AuditSample.objects.exists()


def test_chair_and_auditor_read_samples_but_cannot_draw_or_record(client, cast, closed):
    sample = audit_sample.audit_sample_draw(partnership=cast.partnership, acting_user=cast.business_manager, size=2)
    case = sample.checks.select_related("escalation").first().escalation
    check_url = reverse("dashboard:audit-check", args=[sample.public_id]) + f"?case={case.public_id}"
    for user in (cast.chair, cast.auditor):
        client.force_login(user)
        page = client.get(reverse("dashboard:audit-sample", args=[sample.public_id])).content.decode()
        assert case.reference in page
        assert "Record the result" not in page
        assert "Draw a random sample" not in client.get(reverse("dashboard:audit")).content.decode()
        assert client.post(reverse("dashboard:audit"), {"size": "2"}).status_code == 403
        assert client.get(check_url).status_code == 403
        assert client.post(check_url, {"result": AuditResult.MET}).status_code == 403


def test_another_partnerships_sample_is_not_found(client, cast, closed):
    from partnerships.choices import Role
    from tests.factories import person

    sample = audit_sample.audit_sample_draw(partnership=cast.partnership, acting_user=cast.business_manager, size=2)
    elsewhere = person("cumberland-bm", cast.outsider_partnership, Role.BUSINESS_MANAGER)
    client.force_login(elsewhere)
    assert client.get(reverse("dashboard:audit-sample", args=[sample.public_id])).status_code == 404
    case = sample.checks.first().escalation
    url = reverse("dashboard:audit-check", args=[sample.public_id]) + f"?case={case.public_id}"
    assert client.get(url).status_code == 404


def test_a_case_not_in_the_sample_is_not_found(client, cast, closed):
    sample = audit_sample.audit_sample_draw(partnership=cast.partnership, acting_user=cast.business_manager, size=2)
    in_sample = set(sample.checks.values_list("escalation_id", flat=True))
    other = next(e for e in closed if e.pk not in in_sample)
    client.force_login(cast.business_manager)
    base = reverse("dashboard:audit-check", args=[sample.public_id])
    assert client.get(base + f"?case={other.public_id}").status_code == 404
    assert client.get(base + "?case=not-a-uuid").status_code == 404
    assert client.get(base).status_code == 404
