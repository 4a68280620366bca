"""Every URL of the project, for every role, against an expected outcome written out by hand.

The URL list comes from the resolver, so a new page without a row here fails the test.
A disagreement at stage 1 raised by the school practitioner against children's social care:
who may see it, who may act on it, and who gets 404 (not visible) or 403 (visible, not allowed).
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from escalation.models import Action, Notification
from tests.integration.test_escalation_lifecycle import raise_one

pytestmark = pytest.mark.django_db

ROLES = [
    "practitioner",
    "manager",
    "other_practitioner",
    "other_manager",
    "police_senior_manager",
    "business_manager",
    "chair",
    "panel_member",
    "auditor",
    "outsider",
]
SEES_IT = {"practitioner", "other_practitioner", "business_manager", "chair", "auditor"}
AGENCY_STAFF = {"practitioner", "manager", "other_practitioner", "other_manager", "police_senior_manager", "outsider"}


def outcome(allowed=(), forbidden_when_visible=True, allowed_status=200):
    """200 for `allowed`; for the rest 403 if they can see the escalation, else 404."""
    return {
        role: allowed_status if role in allowed else (403 if role in SEES_IT and forbidden_when_visible else 404)
        for role in ROLES
    }


EVERYONE = {role: 200 for role in ROLES}
EXPECTED = {
    "home": EVERYONE,
    "partnerships:deadline-calculator": {r: 200 if r in {"business_manager", "chair"} else 403 for r in ROLES},
    "escalation:list": EVERYONE,
    "escalation:inbox": EVERYONE,
    "escalation:notifications": EVERYONE,
    "escalation:notifications-read": {r: 405 for r in ROLES},  # POST only
    "escalation:notification-preferences": EVERYONE,
    # Opening a notice reads it and goes on to its case; anyone else's notice is not found.
    "escalation:notification-open": {r: 302 if r == "other_practitioner" else 404 for r in ROLES},
    "escalation:partnership-list": {
        r: 200 if r in {"business_manager", "chair", "panel_member"} else 403 for r in ROLES
    },
    # With no child chosen the raise form sends people to find one first.
    "escalation:raise": {r: 302 if r in AGENCY_STAFF else 403 for r in ROLES},
    "escalation:find-child": {r: 200 if r in AGENCY_STAFF else 403 for r in ROLES},
    "escalation:add-child": {r: 200 if r in AGENCY_STAFF else 403 for r in ROLES},
    "escalation:detail": outcome(SEES_IT),
    "escalation:notice": outcome(SEES_IT),
    "escalation:acknowledge": outcome({"other_practitioner"}),
    "escalation:escalate": outcome({"practitioner", "other_practitioner"}),
    "escalation:urgency": outcome({"practitioner", "other_practitioner"}),
    "escalation:discussion": outcome({"practitioner", "other_practitioner"}),
    # Only the raiser (or their agency's managers) withdraw a disagreement; the business manager
    # sees it but it is not theirs to drop.
    "escalation:withdraw": outcome({"practitioner"}),
    "escalation:resolve": outcome(),  # nobody: stage 1 is not yet acknowledged
    "escalation:close": outcome(),  # nobody: not resolved
    "escalation:decision": outcome(),  # nobody: not at the partnership stage
    "escalation:arrange": outcome(),
    "escalation:route": outcome(),  # nobody: the five-stage policy has no route past its stages
    "escalation:resolution-record": {r: 404 for r in ROLES},  # not resolved yet
    "escalation:action-status": {r: 405 for r in ROLES},  # POST only
    "cases:child-file": {r: 200 if r in SEES_IT | {"manager", "other_manager"} else 404 for r in ROLES},
}
PUBLIC = {"login", "logout"}


def _merge_rules_from_other_modules():
    """Each area keeps its own rows in tests/functional/access_rules_<area>.py (EXPECTED = {...})."""
    import importlib
    from pathlib import Path

    for path in sorted(Path(__file__).parent.glob("access_rules_*.py")):
        module = importlib.import_module(f"tests.functional.{path.stem}")
        EXPECTED.update(module.EXPECTED)
        PUBLIC.update(getattr(module, "PUBLIC", set()))


_merge_rules_from_other_modules()


def project_url_names(resolver=None, namespace=""):
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue  # Django's own admin: staff only, checked below
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from project_url_names(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield namespace + pattern.name


def test_every_project_url_has_an_expected_outcome():
    assert set(project_url_names()) == set(EXPECTED) | PUBLIC


@pytest.fixture
def world(cast, client):
    escalation = raise_one(cast)
    action = Action.objects.create(escalation=escalation, description="Review", owner_name="TM", due_on="2027-01-08")
    args = {
        "escalation": [escalation.public_id],
        "child": [cast.child.public_id],
        "action": [escalation.public_id, action.public_id],
        # The new disagreement's notice to the other agency's practitioner, who holds stage 1.
        "notice": [Notification.objects.get(escalation=escalation, recipient=cast.other_practitioner).public_id],
    }
    return cast, args


def url_for(name, args):
    if name == "cases:child-file":
        return reverse(name, args=args["child"])
    if name == "escalation:action-status":
        return reverse(name, args=args["action"])
    if name == "escalation:notification-open" and "notice" in args:
        return reverse(name, args=args["notice"])
    try:
        return reverse(name)
    except Exception:
        return reverse(name, args=args["escalation"])


def test_anonymous_visitors_are_sent_to_sign_in_from_every_page(world, client):
    _, args = world
    for name in EXPECTED:
        response = client.get(url_for(name, args))
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("login")), name


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_the_expected_outcome_on_every_page(world, client, role):
    cast, args = world
    client.force_login(getattr(cast, role))
    got = {name: client.get(url_for(name, args)).status_code for name in EXPECTED}
    want = {name: EXPECTED[name][role] for name in EXPECTED}
    assert got == want


def test_the_admin_is_for_administrators_only(world, client):
    cast, _ = world
    client.force_login(cast.business_manager)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_guessing_an_id_finds_nothing(world, client):
    import uuid

    cast, _ = world
    client.force_login(cast.auditor)
    assert client.get(reverse("escalation:detail", args=[uuid.uuid4()])).status_code == 404
    assert client.get("/escalations/1/").status_code == 404
