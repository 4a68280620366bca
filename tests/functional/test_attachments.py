"""Evidence attached: a file is attached to a disagreement, a discussion or a stage's evidence,
stored outside the web root under a random name, downloaded only by people who may see the
case (logged, as an attachment, never sniffed or cached), and removed when the case is disposed of."""

import re
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from cases.models import AccessAction, AccessLog, RecordEntry
from escalation import retention, services
from escalation.attachments import REMOVED_NAME, AttachedTo, Attachment, attachment_add
from tests import attachment_samples as samples
from tests.integration.test_escalation_lifecycle import raise_one
from tests.integration.test_retention import TODAY, grown, raise_about

pytestmark = pytest.mark.django_db


def attach_url(escalation):
    return reverse("escalation:attach", args=[escalation.public_id])


def download_url(attachment):
    return reverse("escalation:attachment", args=[attachment.escalation.public_id, attachment.public_id])


def stored_files(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_a_party_attaches_minutes_to_the_disagreement_and_it_is_on_the_case_page(client, cast, attachments_storage):
    escalation = raise_one(cast)
    client.force_login(cast.practitioner)
    form = client.get(attach_url(escalation)).content.decode()
    assert 'enctype="multipart/form-data"' in form and "What is it evidence for?" in form
    response = client.post(
        attach_url(escalation),
        {"file": samples.upload("Strategy minutes.pdf", samples.PDF), "attached_to": "disagreement"},
        follow=True,
    )
    attachment = Attachment.objects.get()
    assert (attachment.name, attachment.file_type, attachment.size) == ("Strategy minutes.pdf", "pdf", len(samples.PDF))
    assert attachment.attached_to == AttachedTo.DISAGREEMENT and attachment.uploaded_by == cast.practitioner
    page = response.content.decode()
    assert "Strategy minutes.pdf is attached to the disagreement." in page
    assert download_url(attachment) in page
    # Stored under a random name in the attachments storage, nothing of the person's name in it.
    (stored,) = stored_files(attachments_storage)
    assert stored.read_bytes() == samples.PDF
    assert "minutes" not in str(stored.relative_to(attachments_storage)).lower()
    assert re.fullmatch(r"[0-9a-f]{2}/[0-9a-f]{32}", attachment.stored_as)
    # The child's file says a file was attached.
    note = RecordEntry.objects.filter(escalation=escalation).order_by("-pk").first()
    assert "attached Strategy minutes.pdf (PDF, " in note.summary


def test_files_can_be_evidence_for_a_discussion_or_a_stage(client, cast):
    escalation = raise_one(cast)
    discussion = services.discussion_record(
        escalation=escalation,
        acting_user=cast.practitioner,
        held_at=datetime(2026, 12, 23, 11, 0, tzinfo=UTC),
        method="phone",
        participants="Teacher and social worker",
        outcome="No agreement.",
    )
    client.force_login(cast.other_practitioner)
    page = client.get(attach_url(escalation) + f"?to=discussion:{discussion.public_id}").content.decode()
    assert re.search(rf'value="discussion:{discussion.public_id}"[^>]*checked', page)
    client.post(
        attach_url(escalation),
        {"file": samples.upload("call.eml", samples.EML), "attached_to": f"discussion:{discussion.public_id}"},
    )
    client.post(
        attach_url(escalation), {"file": samples.upload("letter.docx", samples.docx()), "attached_to": "evidence:1"}
    )
    by_name = {a.name: a for a in Attachment.objects.all()}
    assert by_name["call.eml"].discussion == discussion and by_name["call.eml"].file_type == "eml"
    assert by_name["letter.docx"].occurrence.number == 1 and by_name["letter.docx"].attached_to == AttachedTo.EVIDENCE


def test_a_party_downloads_it_as_an_attachment_never_sniffed_or_cached_and_the_download_is_logged(client, cast):
    escalation = raise_one(cast)
    attachment = attachment_add(
        escalation=escalation, acting_user=cast.practitioner, upload=samples.upload("minutes.pdf", samples.PDF)
    )
    for who in ("practitioner", "other_practitioner", "business_manager", "auditor"):
        client.force_login(getattr(cast, who))
        response = client.get(download_url(attachment))
        assert response.status_code == 200, who
        assert b"".join(response.streaming_content) == samples.PDF
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"] == 'attachment; filename="minutes.pdf"'
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "no-store" in response["Cache-Control"]
        assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
        log = AccessLog.objects.filter(action=AccessAction.DOWNLOAD_ATTACHMENT).order_by("-pk").first()
        assert log.user == getattr(cast, who) and log.object_id == str(attachment.public_id)
        assert log.detail == f"{escalation.reference}: minutes.pdf"


@pytest.mark.parametrize("who", ["manager", "other_manager", "police_senior_manager", "panel_member", "outsider"])
def test_someone_who_cannot_see_the_case_gets_404_and_nothing_is_logged(client, cast, who):
    escalation = raise_one(cast)
    attachment = attachment_add(
        escalation=escalation, acting_user=cast.practitioner, upload=samples.upload("minutes.pdf", samples.PDF)
    )
    client.force_login(getattr(cast, who))
    assert client.get(download_url(attachment)).status_code == 404
    assert client.get(attach_url(escalation)).status_code == 404
    assert not AccessLog.objects.filter(action=AccessAction.DOWNLOAD_ATTACHMENT).exists()


def test_a_file_is_found_only_under_its_own_case(client, cast):
    first, second = raise_one(cast), raise_one(cast)
    attachment = attachment_add(
        escalation=first, acting_user=cast.practitioner, upload=samples.upload("minutes.pdf", samples.PDF)
    )
    client.force_login(cast.practitioner)
    url = reverse("escalation:attachment", args=[second.public_id, attachment.public_id])
    assert client.get(url).status_code == 404


def test_people_who_see_the_case_but_do_not_work_on_it_cannot_attach(client, cast):
    escalation = raise_one(cast)
    client.force_login(cast.auditor)
    assert client.get(attach_url(escalation)).status_code == 403
    response = client.post(
        attach_url(escalation), {"file": samples.upload("a.pdf", samples.PDF), "attached_to": "disagreement"}
    )
    assert response.status_code == 403
    assert not Attachment.objects.exists()
    assert "Attach a file" not in client.get(reverse("escalation:detail", args=[escalation.public_id])).content.decode()


def test_disposal_deletes_the_file_and_keeps_a_nameless_row(
    client, cast, attachments_storage, django_capture_on_commit_callbacks
):
    ellie = grown(cast)
    escalation = raise_about(cast, [ellie])
    attachment = attachment_add(
        escalation=escalation,
        acting_user=cast.practitioner,
        upload=samples.upload("Ellie Hart minutes.pdf", samples.PDF),
    )
    services.escalation_withdraw(escalation=escalation, acting_user=cast.practitioner, reason="Family moved away.")
    assert len(stored_files(attachments_storage)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        retention.retention_dispose(
            escalation=escalation, acting_user=cast.business_manager, reason="Past retention; no hold.", today=TODAY
        )
    assert stored_files(attachments_storage) == []
    attachment.refresh_from_db()
    assert attachment.removed_at is not None and (attachment.name, attachment.stored_as) == (REMOVED_NAME, "")
    client.force_login(cast.business_manager)
    assert client.get(download_url(attachment)).status_code == 404


def test_a_file_is_not_deleted_when_the_disposal_is_rolled_back(
    cast, attachments_storage, monkeypatch, django_capture_on_commit_callbacks
):
    ellie = grown(cast)
    escalation = raise_about(cast, [ellie])
    attachment_add(escalation=escalation, acting_user=cast.practitioner, upload=samples.upload("m.pdf", samples.PDF))
    services.escalation_withdraw(escalation=escalation, acting_user=cast.practitioner, reason="Family moved away.")
    monkeypatch.setattr(retention, "_redact_child", lambda child: (_ for _ in ()).throw(RuntimeError("disk full")))
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        retention.retention_dispose(
            escalation=escalation, acting_user=cast.business_manager, reason="Past retention; no hold.", today=TODAY
        )
    assert len(stored_files(attachments_storage)) == 1
    assert Attachment.objects.get().removed_at is None


def test_an_s3_compatible_bucket_is_used_when_configured():
    """Settings only (no bucket to talk to here): django-storages' S3 backend, private, named by the environment."""
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "DEBUG": "1",
        "ATTACHMENTS_S3_BUCKET": "partnership-evidence",
        "ATTACHMENTS_S3_ENDPOINT_URL": "https://s3.example.org",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    code = (
        "import django; django.setup(); from django.core.files.storage import storages; s = storages['attachments']; "
        "print(type(s).__module__, type(s).__name__, s.bucket_name, s.endpoint_url, s.default_acl, s.file_overwrite)"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.split() == [
        "storages.backends.s3",
        "S3Storage",
        "partnership-evidence",
        "https://s3.example.org",
        "private",
        "False",
    ]
