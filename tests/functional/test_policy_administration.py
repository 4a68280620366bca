"""Administrators load presets, copy one to edit, and change a partnership's calendar."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from cases.models import RecordEntry, RecordEntryKind
from partnerships.models import Policy
from partnerships.services import policy_copy
from tests.conftest import london
from tests.integration.test_escalation_lifecycle import fresh, raise_one

pytestmark = pytest.mark.django_db


def test_the_five_presets_load_with_one_command_and_loading_again_changes_nothing(capsys):
    call_command("load_presets")
    call_command("load_presets")
    assert list(Policy.objects.order_by("slug").values_list("slug", flat=True)) == [
        "bromley",
        "cumberland",
        "five-stage",
        "plymouth",
        "st-helens",
    ]
    assert Policy.objects.get(slug="five-stage").stages.count() == 5
    assert Policy.objects.get(slug="bromley").stages.count() == 4
    assert "five-stage: " in capsys.readouterr().out


def test_a_copied_preset_can_be_edited_without_touching_the_preset():
    call_command("load_presets")
    preset = Policy.objects.get(slug="five-stage")
    copy = policy_copy(preset, slug="riverside-2027", name="Riverside policy 2027")
    stage = copy.stages.get(number=2)
    stage.timescale_amount = 3
    stage.save()
    assert copy.stages.count() == 5
    assert preset.stages.get(number=2).timescale_amount == 5


def test_adding_a_closure_day_in_the_admin_moves_open_deadlines_and_records_it(client, cast):
    admin = get_user_model().objects.create_superuser("root", "root@example.org", "x")
    escalation = raise_one(cast, at=london(2026, 11, 23, 10, 0))
    client.force_login(admin)
    p = cast.partnership
    response = client.post(
        reverse("admin:partnerships_partnership_change", args=[p.pk]),
        {
            "name": p.name,
            "slug": p.slug,
            "nation": p.nation,
            "opens": "09:00",
            "closes": "17:00",
            "hold_out_of_hours_email": "on",
            "policy": p.policy_id,
            "closure_days-TOTAL_FORMS": "1",
            "closure_days-INITIAL_FORMS": "0",
            "closure_days-0-date": "24/11/2026",
            "closure_days-0-reason": "Staff training day",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert fresh(escalation).current_due_at == london(2026, 11, 26, 17, 0)
    entry = RecordEntry.objects.filter(escalation=escalation, kind=RecordEntryKind.DEADLINE_CHANGED).first()
    assert "calendar was changed by root" in entry.summary


def test_loading_the_presets_again_never_overwrites_a_partnerships_edit():
    call_command("load_presets")
    stage = Policy.objects.get(slug="bromley").stages.get(number=2)
    stage.timescale_amount, stage.timescale_unit = 3, "working_days"
    stage.save()
    call_command("load_presets")
    call_command("load_demo")
    stage = Policy.objects.get(slug="bromley").stages.get(number=2)
    assert (stage.timescale_amount, stage.timescale_unit) == (3, "working_days")


@pytest.mark.parametrize(
    "field, value",
    [
        ("panel_alternatives", ["a panel of one"]),
        ("receiving_agency_timescales", {"childrens_social_care": [-1, "working_days"]}),
        ("receiving_agency_timescales", {"the moon": [1, "working_days"]}),
        ("receiving_agency_timescales", {"childrens_social_care": [1, "fortnights"]}),
        ("raiser_roles", ["chair"]),
        ("notify", {"raised": ["everyone"]}),
    ],
)
def test_a_stage_edited_in_the_admin_refuses_rules_the_product_cannot_follow(field, value):
    from django.core.exceptions import ValidationError

    call_command("load_presets")
    stage = Policy.objects.get(slug="st-helens").stages.get(number=2)
    stage.clean()  # as the preset loads it
    setattr(stage, field, value)
    with pytest.raises(ValidationError) as refused:
        stage.clean()
    assert field in refused.value.message_dict
