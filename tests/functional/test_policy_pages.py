"""The policy page everyone in the partnership reads, and who may change the policy.

Riverside follows the five-stage policy. Its practitioners, managers, panel and auditor read
it; only its business manager (and administrators) edit it; Cumberland's business manager
finds nothing of Riverside's policy at all.
"""

from datetime import date

import pytest
from django.urls import reverse

from partnerships.models import Policy, PolicyStatus
from partnerships.versions import start_draft

pytestmark = pytest.mark.django_db


def show(client, cast, user):
    client.force_login(user)
    return client.get(reverse("policy:show", args=[cast.partnership.slug]))


def test_the_policy_page_says_who_holds_each_stage_its_timescales_and_who_is_told(client, cast):
    cast.partnership.front_door_phone = "01632 960000"
    cast.partnership.save()
    cast.partnership.closure_days.create(date=date(2099, 1, 2), reason="Office move")
    page = show(client, cast, cast.practitioner).content.decode()
    assert "Five-stage escalation flowchart" in page
    assert "Stage 2: direct manager to manager discussion" in page
    assert "Line manager" in page  # who holds stage 2 on each side
    assert "Standard: 5 working days" in page
    assert "The partnership business manager" in page  # told when stage 5 starts
    assert "Office move" in page and "01632 960000" in page
    assert "Source document" in page and "Review by" in page


def test_everyone_in_the_partnership_reads_it_and_the_navigation_links_it(client, cast):
    for person in (cast.practitioner, cast.other_manager, cast.panel_member, cast.auditor, cast.chair):
        response = show(client, cast, person)
        assert response.status_code == 200, person
        assert b'href="/policy/"' in response.content


def test_only_its_business_manager_is_offered_a_change(client, cast):
    assert b"Change the policy" in show(client, cast, cast.business_manager).content
    assert b"Change the policy" not in show(client, cast, cast.chair).content


def test_another_partnerships_business_manager_neither_reads_nor_edits_it(client, cast):
    from partnerships.choices import Role
    from tests.factories import person

    stranger = person("cumberland-business-manager", cast.outsider_partnership, Role.BUSINESS_MANAGER)
    client.force_login(stranger)
    slug = cast.partnership.slug
    assert client.get(reverse("policy:show", args=[slug])).status_code == 404
    assert client.get(reverse("policy:start", args=[slug])).status_code == 404
    assert client.post(reverse("policy:start", args=[slug]), {"source": "current"}).status_code == 404
    assert not Policy.objects.filter(partnership=cast.partnership).exists()


def test_a_practitioner_cannot_start_or_publish_a_draft(client, cast):
    client.force_login(cast.practitioner)
    slug = cast.partnership.slug
    assert client.post(reverse("policy:start", args=[slug]), {"source": "current"}).status_code == 403
    start_draft(cast.partnership, cast.partnership.policy)
    assert client.post(reverse("policy:publish", args=[slug]), {"open_cases": "keep"}).status_code == 403
    assert Policy.objects.get(partnership=cast.partnership).status == PolicyStatus.DRAFT


def test_a_version_past_its_review_date_shows_a_banner_to_the_business_manager(client, cast):
    policy = cast.partnership.policy
    policy.review_by = date(2020, 3, 31)
    policy.save()
    page = show(client, cast, cast.business_manager).content.decode()
    assert "This policy was due for review on 31 March 2020" in page
    assert "due for review" not in show(client, cast, cast.practitioner).content.decode()


def test_the_editor_keeps_what_was_typed_when_a_stage_is_refused(client, cast):
    start_draft(cast.partnership, cast.partnership.policy)
    client.force_login(cast.business_manager)
    url = reverse("policy:stage", args=[cast.partnership.slug, 2])
    form = client.get(url).context["form"]
    data = {k: v for k, v in form.initial.items() if v not in (None, "", [], {})}
    data.update(name="Managers talk it through", timescale_amount="-4", timescale_unit="working_days")
    data = {k: v for k, v in data.items() if not isinstance(v, dict)}
    response = client.post(url, data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "A timescale cannot be negative" in page and "Managers talk it through" in page
    assert cast.partnership.policy_versions.get().stages.get(number=2).name.startswith("Stage 2")


def test_a_partnership_stage_must_stay_last(client, cast):
    draft = start_draft(cast.partnership, cast.partnership.policy)
    draft.stages.filter(number=1).update(is_partnership_stage=True)
    client.force_login(cast.business_manager)
    response = client.post(reverse("policy:publish", args=[cast.partnership.slug]), {"open_cases": "keep"})
    assert "Stage 1: the partnership stage must be the last stage." in response.content.decode()
    assert Policy.objects.get(pk=draft.pk).status == PolicyStatus.DRAFT


def test_a_stage_added_to_the_draft_goes_before_the_partnership_stage(client, cast):
    draft = start_draft(cast.partnership, cast.partnership.policy)
    client.force_login(cast.business_manager)
    response = client.post(reverse("policy:add-stage", args=[cast.partnership.slug]))
    assert response.status_code == 302
    stages = list(draft.stages.order_by("number").values_list("number", "is_partnership_stage"))
    assert stages[-1] == (6, True) and stages[-2] == (5, False)


def test_an_escalation_page_says_which_version_it_follows(client, cast):
    from tests.integration.test_escalation_lifecycle import raise_one

    escalation = raise_one(cast)
    client.force_login(cast.practitioner)
    page = client.get(reverse("escalation:detail", args=[escalation.public_id])).content.decode()
    assert "Five-stage escalation flowchart, version 1" in page


def test_loading_the_demo_again_leaves_a_published_version_and_an_edited_calendar_as_they_are():
    from datetime import time

    from django.contrib.auth import get_user_model

    from escalation.demo.partnerships import load_demo
    from escalation.policy_versions import publish_policy
    from partnerships.models import Partnership

    load_demo(with_history=False)
    bromley = Partnership.objects.get(slug="bromley")
    draft = start_draft(bromley, bromley.policy)
    draft.stages.filter(number=2).update(timescale_amount=3, timescale_unit="working_days")
    draft.partnership_settings["calendar"]["opens"] = "08:30"
    draft.save()
    published = publish_policy(draft, by=get_user_model().objects.get(username="admin")).version

    load_demo(with_history=False)

    bromley = Partnership.objects.get(slug="bromley")
    assert bromley.policy == published
    assert bromley.policy.stages.get(number=2).timescale_amount == 3
    assert bromley.opens == time(8, 30)


def test_the_raise_page_links_the_partnerships_policy(client, cast):
    client.force_login(cast.practitioner)
    page = client.get(reverse("escalation:raise") + f"?child={cast.child.public_id}").content.decode()
    assert f'href="{reverse("policy:show", args=[cast.partnership.slug])}"' in page


def test_an_administrators_copy_of_a_partnerships_version_is_nobodys_version(cast):
    from partnerships.services import policy_copy

    draft = start_draft(cast.partnership, cast.partnership.policy)
    copy = policy_copy(draft, slug="riverside-copy", name="Riverside (copy)")
    assert (copy.partnership, copy.version, copy.status) == (None, 1, PolicyStatus.PUBLISHED)
    assert copy.stages.count() == draft.stages.count()


def test_the_editor_sets_an_agency_that_joins_a_stage_and_refuses_it_on_a_stage_one_agency_holds(client, cast):
    draft = start_draft(cast.partnership, cast.partnership.policy)
    client.force_login(cast.business_manager)
    url = reverse("policy:stage", args=[cast.partnership.slug, 3])
    form = client.get(url).context["form"]
    data = {k: v for k, v in form.initial.items() if v not in (None, "", [], {}) and not isinstance(v, dict)}
    refused = client.post(
        url, {**data, "joined_by_agency_type": "childrens_social_care", "holder_agency_type": "health"}
    )
    assert refused.status_code == 200
    assert "Only a stage held by the two agencies can be joined by another" in refused.content.decode()
    assert draft.stages.get(number=3).joined_by_agency_type == ""
    assert client.post(url, {**data, "joined_by_agency_type": "childrens_social_care"}).status_code == 302
    assert draft.stages.get(number=3).joined_by_agency_type == "childrens_social_care"
    page = client.get(reverse("policy:draft", args=[cast.partnership.slug])).content.decode()
    assert "with senior manager or head of service in the partnership&#x27;s children&#x27;s social care" in page
