"""Lose nothing: a half-written disagreement or discussion record is its author's draft.

Kept on "Save as draft" and when the form arrives after the session timed out; on the
author's home page only (404 to everyone else); carried on with, deleted, or deleted for
them 30 days after it was last saved; never on a child's file, in an export or a figure.
"""

import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from cases.models import RecordEntry
from escalation import drafts
from escalation.drafts import Draft, DraftKind
from escalation.models import Discussion, Escalation
from tests.factories import PASSWORD
from tests.integration.test_escalation_lifecycle import raise_one

pytestmark = pytest.mark.django_db

RAISE = reverse("escalation:raise")
HALF_WRITTEN = "The referral was refused although DRAFT-ONLY-WORDS were reported."


def raise_page(cast):
    return RAISE + f"?child={cast.child.public_id}"


def half_written(cast, client, **extra):
    """The raise form as posted with only some of it filled in, and the page's signed owner."""
    page = client.get(raise_page(cast)).content.decode()
    owner = re.search(r'name="draft_owner" value="([^"]+)"', page).group(1)
    return {"children": [str(cast.child.public_id)], "concern": HALF_WRITTEN, "draft_owner": owner, **extra}


def expire_session(client):
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )


def test_save_as_draft_keeps_an_incomplete_disagreement_for_its_author(client, cast):
    client.force_login(cast.practitioner)
    response = client.post(raise_page(cast), half_written(cast, client, save_draft="1"), follow=True)
    draft = Draft.objects.get()
    assert (draft.author, draft.kind, draft.data["concern"]) == (cast.practitioner, DraftKind.RAISE, [HALF_WRITTEN])
    assert "csrfmiddlewaretoken" not in draft.data and "draft_owner" not in draft.data
    home = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("home")
    assert "Your draft is saved" in home and "Your drafts" in home
    assert reverse("escalation:draft", args=[draft.public_id]) in home
    assert not Escalation.objects.exists()


def test_carrying_on_with_a_draft_shows_what_was_typed_and_raising_it_deletes_the_draft(client, cast):
    client.force_login(cast.practitioner)
    client.post(raise_page(cast), half_written(cast, client, save_draft="1"))
    draft = Draft.objects.get()
    opened = client.get(reverse("escalation:draft", args=[draft.public_id]), follow=True)
    page = opened.content.decode()
    assert opened.redirect_chain[-1][0] == RAISE + f"?draft={draft.public_id}"
    assert HALF_WRITTEN in page
    assert re.search(rf'value="{cast.child.public_id}"[^>]*checked', page)
    assert f'name="draft" value="{draft.public_id}"' in page
    response = client.post(
        RAISE,
        {
            "draft": str(draft.public_id),
            "children": [str(cast.child.public_id)],
            "receiving_agency": cast.csc.pk,
            "category": "threshold",
            "concern": HALF_WRITTEN,
            "why_unsafe": "Bruising seen twice.",
            "outcome_sought": "A strategy discussion.",
            "urgency": "standard",
        },
    )
    escalation = Escalation.objects.get()
    assert response["Location"] == reverse("escalation:detail", args=[escalation.public_id])
    assert not Draft.objects.exists()


def test_saving_again_updates_the_same_draft(client, cast):
    client.force_login(cast.practitioner)
    client.post(raise_page(cast), half_written(cast, client, save_draft="1"))
    draft = Draft.objects.get()
    client.post(RAISE, half_written(cast, client, save_draft="1", draft=str(draft.public_id), why_unsafe="More"))
    assert Draft.objects.get().data["why_unsafe"] == ["More"]


@pytest.mark.parametrize("someone", ["other_practitioner", "manager", "business_manager", "auditor", "outsider"])
def test_nobody_else_can_open_carry_on_with_or_delete_a_draft(client, cast, someone):
    client.force_login(cast.practitioner)
    client.post(raise_page(cast), half_written(cast, client, save_draft="1"))
    draft = Draft.objects.get()
    client.force_login(getattr(cast, someone))
    assert client.get(reverse("escalation:draft", args=[draft.public_id])).status_code == 404
    assert client.get(reverse("escalation:draft-delete", args=[draft.public_id])).status_code == 404
    assert client.post(reverse("escalation:draft-delete", args=[draft.public_id])).status_code == 404
    if someone in {"other_practitioner", "manager", "outsider"}:  # people who may raise
        assert client.get(RAISE + f"?draft={draft.public_id}").status_code == 404
    assert HALF_WRITTEN not in client.get(reverse("home")).content.decode()
    assert Draft.objects.filter(pk=draft.pk).exists()


def test_the_author_deletes_a_draft_after_confirming(client, cast):
    client.force_login(cast.practitioner)
    client.post(raise_page(cast), half_written(cast, client, save_draft="1"))
    draft = Draft.objects.get()
    url = reverse("escalation:draft-delete", args=[draft.public_id])
    page = client.get(url).content.decode()
    assert "Delete your draft" in page and HALF_WRITTEN[:60] in page
    assert Draft.objects.exists()
    response = client.post(url, follow=True)
    assert "Draft deleted." in response.content.decode()
    assert not Draft.objects.exists()


def test_a_discussion_record_can_be_kept_as_a_draft_of_its_author_only(client, cast):
    escalation = raise_one(cast)
    url = reverse("escalation:discussion", args=[escalation.public_id])
    client.force_login(cast.other_practitioner)
    page = client.get(url).content.decode()
    owner = re.search(r'name="draft_owner" value="([^"]+)"', page).group(1)
    client.post(url, {"participants": "Social worker and teacher", "draft_owner": owner, "save_draft": "1"})
    draft = Draft.objects.get()
    assert (draft.kind, draft.escalation) == (DraftKind.DISCUSSION, escalation)
    home = client.get(reverse("home")).content.decode()
    assert f"Discussion record for {escalation.reference}" in home
    resumed = client.get(reverse("escalation:draft", args=[draft.public_id]), follow=True).content.decode()
    assert "Social worker and teacher" in resumed
    assert not Discussion.objects.exists()
    # The raiser can record discussions on this case too, but this draft is not theirs.
    client.force_login(cast.practitioner)
    assert client.get(url + f"?draft={draft.public_id}").status_code == 404


def test_a_form_posted_after_the_time_out_is_kept_and_signing_in_again_returns_to_it(client, cast):
    """Without JavaScript: the session ran out while the person typed; they press the button."""
    client.post(reverse("login"), {"username": cast.practitioner.username, "password": PASSWORD})
    data = half_written(cast, client, why_unsafe="Seen twice")
    expire_session(client)
    response = client.post(raise_page(cast), data)
    restore = reverse("escalation:draft-restore")
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={restore}"
    sign_in_page = client.get(response["Location"]).content.decode()
    assert "What you typed has been kept: sign in again to return to it." in sign_in_page
    assert not Draft.objects.exists()  # nobody is signed in to own it yet
    signed_in = client.post(
        reverse("login"), {"username": cast.practitioner.username, "password": PASSWORD, "next": restore}
    )
    assert signed_in["Location"] == restore
    back = client.get(restore, follow=True)
    draft = Draft.objects.get()
    assert draft.author == cast.practitioner and draft.data["why_unsafe"] == ["Seen twice"]
    assert back.redirect_chain[-1][0] == RAISE + f"?draft={draft.public_id}"
    page = back.content.decode()
    assert HALF_WRITTEN in page and "Seen twice" in page
    assert "kept as a draft" in page


def test_a_form_posted_after_the_time_out_is_never_given_to_someone_else_who_signs_in(client, cast):
    client.post(reverse("login"), {"username": cast.practitioner.username, "password": PASSWORD})
    data = half_written(cast, client)
    expire_session(client)
    client.post(raise_page(cast), data)
    restore = reverse("escalation:draft-restore")
    client.post(reverse("login"), {"username": cast.manager.username, "password": PASSWORD, "next": restore})
    response = client.get(restore)
    assert response["Location"] == reverse("home")
    assert not Draft.objects.exists()
    assert HALF_WRITTEN not in client.get(reverse("home")).content.decode()


def test_a_post_without_a_genuine_owner_is_not_kept(client, cast):
    client.force_login(cast.practitioner)
    data = half_written(cast, client)
    client.logout()
    data["draft_owner"] = data["draft_owner"][:-2] + "xx"
    response = client.post(raise_page(cast), data)
    assert response.status_code == 302 and "draft-restore" not in response["Location"].replace("%2F", "/")
    assert drafts.TIMED_OUT_KEY not in client.session


def test_drafts_are_deleted_thirty_days_after_they_were_last_saved(cast):
    with time_machine.travel(timezone.now() - timedelta(days=31)):
        old = drafts.draft_save(author=cast.practitioner, kind=DraftKind.RAISE, data={"concern": ["old"]})
    with time_machine.travel(timezone.now() - timedelta(days=29)):
        recent = drafts.draft_save(author=cast.practitioner, kind=DraftKind.RAISE, data={"concern": ["recent"]})
    assert drafts.delete_old_drafts() == 1
    assert list(Draft.objects.all()) == [recent]
    assert not Draft.objects.filter(pk=old.pk).exists()


def test_the_watcher_tick_deletes_old_drafts_too(cast, monkeypatch):
    from django.core.management import call_command

    from escalation.management.commands import run_watcher_loop

    # The loop drops stale connections before each tick; inside a test's transaction that would end it.
    monkeypatch.setattr(run_watcher_loop, "close_old_connections", lambda: None)
    with time_machine.travel(timezone.now() - timedelta(days=40)):
        drafts.draft_save(author=cast.practitioner, kind=DraftKind.RAISE, data={"concern": ["old"]})
    call_command("run_watcher_loop", "--once", "--force")
    assert not Draft.objects.exists()


def test_celery_beat_deletes_old_drafts_hourly(cast, settings):
    from escalation import tasks

    assert settings.CELERY_BEAT_SCHEDULE["delete-old-drafts"] == {
        "task": "escalation.tasks.delete_old_drafts",
        "schedule": 3600,
    }
    with time_machine.travel(timezone.now() - timedelta(days=31)):
        drafts.draft_save(author=cast.practitioner, kind=DraftKind.RAISE, data={"concern": ["old"]})
    assert tasks.delete_old_drafts() == 1


def test_a_draft_never_reaches_the_childs_file_an_export_or_the_dashboard(client, cast):
    escalation = raise_one(cast)
    entries = RecordEntry.objects.count()
    client.force_login(cast.other_practitioner)
    url = reverse("escalation:discussion", args=[escalation.public_id])
    page = client.get(url).content.decode()
    owner = re.search(r'name="draft_owner" value="([^"]+)"', page).group(1)
    client.post(url, {"outcome": HALF_WRITTEN, "draft_owner": owner, "save_draft": "1"})
    assert Draft.objects.count() == 1 and RecordEntry.objects.count() == entries
    client.force_login(cast.business_manager)
    for page_url in (
        reverse("cases:child-file", args=[cast.child.public_id]),
        reverse("escalation:detail", args=[escalation.public_id]),
        reverse("dashboard:index"),
    ):
        assert "DRAFT-ONLY-WORDS" not in client.get(page_url).content.decode(), page_url
    export = client.post(reverse("exports:index"), {"format": "json"})
    assert export.status_code == 200
    assert b"DRAFT-ONLY-WORDS" not in b"".join(export.streaming_content)


def test_a_discussion_posted_after_the_time_out_is_kept_for_its_case(client, cast):
    escalation = raise_one(cast)
    url = reverse("escalation:discussion", args=[escalation.public_id])
    client.post(reverse("login"), {"username": cast.other_practitioner.username, "password": PASSWORD})
    page = client.get(url).content.decode()
    owner = re.search(r'name="draft_owner" value="([^"]+)"', page).group(1)
    expire_session(client)
    response = client.post(url, {"participants": "Teacher, social worker", "outcome": "Agreed", "draft_owner": owner})
    restore = reverse("escalation:draft-restore")
    assert response["Location"] == f"{reverse('login')}?next={restore}"
    client.post(reverse("login"), {"username": cast.other_practitioner.username, "password": PASSWORD})
    back = client.get(restore, follow=True)
    draft = Draft.objects.get()
    assert (draft.kind, draft.escalation, draft.author) == (DraftKind.DISCUSSION, escalation, cast.other_practitioner)
    assert back.redirect_chain[-1][0] == url + f"?draft={draft.public_id}"
    assert "Teacher, social worker" in back.content.decode()
    assert not Discussion.objects.exists()
