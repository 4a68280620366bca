"""The demo loader: five partnerships, one per preset, a person in every role, safe to rerun."""

import pytest
from django.contrib.auth import get_user_model

from escalation.demo.partnerships import DEMO_PASSWORD, load_demo
from partnerships.choices import Role
from partnerships.models import Membership, Partnership

pytestmark = pytest.mark.django_db


def test_five_demo_partnerships_each_use_the_preset_with_their_slug_and_have_every_role():
    load_demo(with_history=False)
    assert sorted(Partnership.objects.values_list("slug", flat=True)) == [
        "bromley",
        "cumberland",
        "five-stage",
        "plymouth",
        "st-helens",
    ]
    for partnership in Partnership.objects.select_related("policy"):
        assert partnership.policy.slug == partnership.slug
        roles = set(Membership.objects.filter(partnership=partnership).values_list("role", flat=True))
        assert roles == {r.value for r in Role}
    assert get_user_model().objects.get(username="five-stage-practitioner").check_password(DEMO_PASSWORD)


def test_loading_the_demo_again_adds_nothing_and_keeps_changes():
    load_demo(with_history=False)
    user = get_user_model().objects.get(username="cumberland-auditor")
    user.set_password("Changed-By-The-User-1")
    user.save()
    counts = (get_user_model().objects.count(), Membership.objects.count(), Partnership.objects.count())
    load_demo(with_history=False)
    assert (get_user_model().objects.count(), Membership.objects.count(), Partnership.objects.count()) == counts
    assert get_user_model().objects.get(username="cumberland-auditor").check_password("Changed-By-The-User-1")
