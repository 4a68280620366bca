"""Hostile files at the attach page: each gets a clear message, and nothing is stored (no row, no
file in the storage, no line on the child's file)."""

import pytest
from django.urls import reverse

from cases.models import RecordEntry
from escalation.attachments import Attachment
from tests import attachment_samples as samples
from tests.integration.test_escalation_lifecycle import raise_one

pytestmark = pytest.mark.django_db

TWENTY_MB = 20 * 1024 * 1024


def attempt(client, cast, attachments_storage, name, content):
    escalation = raise_one(cast)
    entries = RecordEntry.objects.count()
    client.force_login(cast.practitioner)
    response = client.post(
        reverse("escalation:attach", args=[escalation.public_id]),
        {"file": samples.upload(name, content), "attached_to": "disagreement"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page and "<title>Error: Attach a file" in page
    assert 'href="#id_file"' in page  # the summary links to the file field
    assert not Attachment.objects.exists()
    assert not attachments_storage.exists() or not any(p.is_file() for p in attachments_storage.rglob("*"))
    assert RecordEntry.objects.count() == entries
    return page


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("minutes.pdf", samples.HTML, "is a web page or image code (HTML, SVG or XML)"),
        ("scan.png", samples.SVG, "is a web page or image code (HTML, SVG or XML)"),
        ("notes.txt", samples.TEXT_WITH_SCRIPT, "is a web page or image code (HTML, SVG or XML)"),
        ("letter.docx", samples.zip_bomb(), "unpacks to far more than its size"),
        ("42.zip", samples.zipped({"42.zip": samples.zipped({"0.txt": b"0"})}), "must be a PDF, DOCX, XLSX, ODT"),
        ("..／..／..／config／settings.pdf", samples.PDF, "The file name must not contain"),
        ("..%2F..%2Fsettings.pdf", samples.PDF, "The file name must not contain"),
        ("empty.pdf", b"", "The selected file is empty"),
        ("huge.pdf", samples.PDF + b"0" * (TWENTY_MB - len(samples.PDF) + 1), "must be smaller than 20MB"),
    ],
)
def test_a_hostile_file_is_refused_with_a_clear_message_and_nothing_is_stored(
    client, cast, attachments_storage, name, content, message
):
    assert message in attempt(client, cast, attachments_storage, name, content)


def test_the_size_limit_is_a_setting(client, cast, attachments_storage, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024
    page = attempt(client, cast, attachments_storage, "minutes.pdf", samples.PDF + b"0" * 1024)
    assert "must be smaller than 1KB" in page


def test_a_plain_path_in_the_name_never_reaches_the_storage(client, cast, attachments_storage, tmp_path):
    """Django keeps only the last part of a posted name; the file is stored under a random name
    inside the attachments storage whatever the name said."""
    escalation = raise_one(cast)
    client.force_login(cast.practitioner)
    client.post(
        reverse("escalation:attach", args=[escalation.public_id]),
        {"file": samples.upload("../../../../../../tmp/evil.pdf", samples.PDF), "attached_to": "disagreement"},
    )
    attachment = Attachment.objects.get()
    assert attachment.name == "evil.pdf"
    (stored,) = [p for p in attachments_storage.rglob("*") if p.is_file()]
    assert stored.resolve().is_relative_to(attachments_storage.resolve())
    assert not (tmp_path / "evil.pdf").exists()
