"""The escalation page reads a bounded number of queries, however much the case holds: the
same for a case raised a minute ago as for one with many stages, discussions, actions,
attached files and notices; nine for the practitioner who raised it."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from escalation import services
from escalation.attachments import attachment_add
from escalation.models import Escalation
from tests import attachment_samples as samples
from tests.climbing import climb
from tests.conftest import london
from tests.integration.test_escalation_lifecycle import raise_one

pytestmark = pytest.mark.django_db

# The raiser's page: the session with the user and their roles, the escalation (with the count
# of its children and of the reader's unread notices), the access log entry, its stages, its
# record (which names its children), the policy's stages, discussions, actions, files.
PAGE_QUERY_BUDGET = 9
# Beyond that, by what the reader is: someone on the receiving side also needs who holds the
# stage in each agency (one query for both); a business manager sees the stopped-watcher banner
# (the watcher's heartbeat) and who holds the stage. Their two-factor device is not read again:
# the user's own query carries it (partnerships.middleware.OTPMiddleware).
EXTRA = {"practitioner": 0, "other_practitioner": 1, "business_manager": 2}


def fresh(escalation):
    return Escalation.objects.get(pk=escalation.pk)


def busy_case(cast, discussions_per_stage=3):
    """Four stages, discussions with two actions each and a file on each, files of evidence."""
    escalation = raise_one(cast)
    for stage in range(1, 5):
        escalation = fresh(escalation)
        for n in range(discussions_per_stage):
            at = london(2026, 12, 23, 11, n)
            discussion = services.discussion_record(
                escalation=escalation,
                acting_user=cast.practitioner,
                held_at=at,
                method="phone",
                participants="Both practitioners",
                outcome=f"Not agreed at stage {stage}, call {n}",
                actions=[
                    {"description": f"Action {stage}.{n}.{k}", "owner_name": "Team manager", "due_on": at.date()}
                    for k in range(2)
                ],
            )
            attachment_add(
                escalation=fresh(escalation),
                acting_user=cast.practitioner,
                upload=samples.upload(f"minutes-{stage}-{n}.pdf", samples.PDF),
                discussion=discussion,
            )
        attachment_add(
            escalation=fresh(escalation),
            acting_user=cast.practitioner,
            upload=samples.upload(f"evidence-{stage}.pdf", samples.PDF),
            occurrence=fresh(escalation).current_occurrence(),
        )
        if stage < 4:
            climb(escalation, stage + 1, by=cast.practitioner, at=london(2026, 12, 24, 10, stage))
    return fresh(escalation)


def page_queries(client, escalation) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("escalation:detail", args=[escalation.public_id])).status_code == 200
    return [q["sql"] for q in captured.captured_queries]


@pytest.mark.parametrize("who", ["practitioner", "other_practitioner", "business_manager"])
def test_the_escalation_page_costs_the_same_few_queries_whatever_the_case_holds(client, cast, who):
    short = raise_one(cast, children=[cast.child])
    busy = busy_case(cast)
    assert busy.stage_number == 4 and busy.actions.count() == 24 and busy.attachments.count() == 16
    client.force_login(getattr(cast, who))
    client.get(reverse("escalation:detail", args=[short.public_id]))  # the first request after signing in
    client.get(reverse("escalation:detail", args=[busy.public_id]))  # reads its notices
    few, many = page_queries(client, short), page_queries(client, busy)
    assert len(many) == len(few), "\n".join(many)
    assert len(many) <= PAGE_QUERY_BUDGET + EXTRA[who], "\n".join(many)
