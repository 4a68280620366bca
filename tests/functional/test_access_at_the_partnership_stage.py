"""The partnership stage's pages, for every role, against an outcome written out by hand.

A five-stage disagreement (school against children's social care) at its partnership stage,
acknowledged, with mediation arranged and chaired by the police's senior manager: the person
seated from an uninvolved agency sees it and may record the decision; the health service's
senior manager, unseated and uninvolved, does not see it; the partnership's chair and panel
member see it but, not being seated, may not decide. 200: allowed; 403: sees it, may not; 404:
does not see it.
"""

import pytest
from django.urls import reverse

from escalation import services
from escalation.partnership_stage import review_arrange
from partnerships.choices import PanelRule
from partnerships.models import Membership
from tests import climbing
from tests.integration.test_escalation_lifecycle import raise_one

pytestmark = pytest.mark.django_db

ROLES = [
    "practitioner",
    "other_director",
    "business_manager",
    "chair",
    "panel_member",
    "police_senior_manager",
    "health_senior_manager",
    "auditor",
    "outsider",
]
SEES_IT = {
    "practitioner",  # raised it
    "other_director",  # held stage 4
    "business_manager",
    "chair",
    "panel_member",  # panel members see what reaches the partnership
    "police_senior_manager",  # seated
    "auditor",
}


def outcome(allowed=()):
    return {role: 200 if role in allowed else (403 if role in SEES_IT else 404) for role in ROLES}


EXPECTED = {
    "escalation:detail": outcome(SEES_IT),
    "escalation:notice": outcome(SEES_IT),
    # The binding decision: the person seated, or the business manager; not the unseated chair.
    "escalation:decision": outcome({"police_senior_manager", "business_manager"}),
    "escalation:acknowledge": outcome(),  # already acknowledged
    "escalation:resolve": outcome(),  # nobody: no decision recorded yet
    "escalation:escalate": outcome(),  # nothing after the partnership stage
    "escalation:withdraw": outcome({"practitioner"}),
    "escalation:discussion": outcome({"practitioner", "business_manager", "chair", "police_senior_manager"}),
}


@pytest.fixture
def arranged(cast):
    escalation = climbing.climb(raise_one(cast), 5, by=cast.practitioner)
    services.escalation_acknowledge(escalation=climbing.fresh(escalation), acting_user=cast.business_manager)
    review_arrange(
        escalation=climbing.fresh(escalation),
        acting_user=cast.business_manager,
        arrangement=PanelRule.MEDIATION,
        chair=Membership.objects.get(user=cast.police_senior_manager),
    )
    return cast, escalation


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_the_expected_outcome_at_the_partnership_stage(arranged, client, role):
    cast, escalation = arranged
    client.force_login(getattr(cast, role))
    got = {name: client.get(reverse(name, args=[escalation.public_id])).status_code for name in EXPECTED}
    assert got == {name: EXPECTED[name][role] for name in EXPECTED}


# Before it is acknowledged: the business manager and the chair hold the partnership stage; a
# panel member who is not seated sees it but may not acknowledge it.
BEFORE_ARRANGEMENT = {
    "escalation:acknowledge": {
        **outcome({"business_manager", "chair"}),
        # Nobody is seated yet: the police's senior manager, uninvolved, does not see it.
        "police_senior_manager": 404,
    },
}
# After the seated person's decision: the seated person, the organisers and the raiser may
# resolve it; the unseated panel member and the unseated uninvolved senior manager may not.
AFTER_THE_DECISION = {
    "escalation:resolve": outcome({"practitioner", "business_manager", "chair", "police_senior_manager"}),
}


@pytest.mark.parametrize("role", ROLES)
def test_before_arrangement_only_the_organisers_acknowledge(cast, client, role):
    escalation = climbing.climb(raise_one(cast), 5, by=cast.practitioner)
    client.force_login(getattr(cast, role))
    got = {name: client.get(reverse(name, args=[escalation.public_id])).status_code for name in BEFORE_ARRANGEMENT}
    assert got == {name: BEFORE_ARRANGEMENT[name][role] for name in BEFORE_ARRANGEMENT}


@pytest.mark.parametrize("role", ROLES)
def test_after_the_seated_persons_decision_the_unseated_may_not_resolve(arranged, client, role):
    cast, escalation = arranged
    services.stage_record_decision(
        escalation=climbing.fresh(escalation),
        acting_user=cast.police_senior_manager,
        decision="Children's social care to convene a strategy discussion.",
    )
    client.force_login(getattr(cast, role))
    got = {name: client.get(reverse(name, args=[escalation.public_id])).status_code for name in AFTER_THE_DECISION}
    assert got == {name: AFTER_THE_DECISION[name][role] for name in AFTER_THE_DECISION}


def test_the_partnerships_binding_decision_once_recorded_and_told_is_not_rewritten(arranged, client):
    cast, escalation = arranged
    client.force_login(cast.business_manager)
    url = reverse("escalation:decision", args=[escalation.public_id])
    # Said before it is recorded, not only after.
    form = client.get(url).content.decode()
    assert "Once recorded, the decision cannot be changed" in form and "govuk-warning-text" in form
    first = "Children's social care to convene a strategy discussion within 24 hours."
    assert client.post(url, {"decision": first}).status_code == 302
    page = client.get(reverse("escalation:detail", args=[escalation.public_id])).content.decode()
    assert "Record the decision" not in page
    # The form is not offered again, and a second decision posted anyway is refused.
    again = client.get(url, follow=True).content.decode()
    assert "It is binding and is not changed" in again
    client.post(url, {"decision": "No visit is needed."})
    with pytest.raises(services.EscalationError, match="already been recorded"):
        services.stage_record_decision(
            escalation=climbing.fresh(escalation), acting_user=cast.police_senior_manager, decision="No visit."
        )
    assert climbing.fresh(escalation).current_occurrence().decision == first
