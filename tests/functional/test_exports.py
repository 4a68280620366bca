"""The export page: who may use it, the GOV.UK form and its errors, the three downloads,
their headers, the export record and the hourly limit."""

import csv
import io
import json

import jsonschema
import openpyxl
import pytest
from django.urls import reverse

from cases.models import AccessAction, AccessLog
from escalation import exports
from partnerships.choices import Role
from partnerships.models import Membership
from tests.factories import person
from tests.integration.test_exports import build_records

pytestmark = pytest.mark.django_db

URL = reverse("exports:index")


@pytest.fixture
def records(cast):
    return build_records(cast)


def download(client, **data):
    return client.post(URL, {"format": "csv", **data})


def body(response) -> bytes:
    assert response.streaming
    return b"".join(response.streaming_content)


def export_logs():
    return AccessLog.objects.filter(action=AccessAction.EXPORT)


# --- who ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["business_manager", "chair", "auditor"])
def test_the_partnerships_oversight_roles_open_the_export_page(client, cast, role):
    client.force_login(getattr(cast, role))
    response = client.get(URL)
    page = response.content.decode()
    assert response.status_code == 200
    assert '<h1 class="govuk-heading-l">Export case records</h1>' in page
    assert cast.partnership.name in page
    assert "Download export" in page


@pytest.mark.parametrize("role", ["practitioner", "other_manager", "panel_member", "outsider"])
def test_everyone_else_is_refused_and_nothing_is_exported(client, records, role):
    client.force_login(getattr(records.cast, role))
    assert client.get(URL).status_code == 403
    assert download(client).status_code == 403
    assert not export_logs().exists()


def test_a_user_with_oversight_of_two_partnerships_chooses_one(client, records):
    cast = records.cast
    Membership.objects.create(user=cast.auditor, partnership=cast.outsider_partnership, role=Role.AUDITOR)
    client.force_login(cast.auditor)
    page = client.get(URL).content.decode()
    assert 'name="partnership"' in page and cast.outsider_partnership.name in page

    response = client.post(URL, {"format": "csv"})
    assert "Choose the partnership to export" in response.content.decode()

    text = body(client.post(URL, {"format": "csv", "partnership": "cumberland"})).decode("utf-8-sig")
    assert records.cumberland.reference in text
    assert records.closed.reference not in text
    mixed = client.post(URL, {"format": "csv", "partnership": "cumberland", "agency": cast.csc.public_id})
    assert "Choose an agency in the partnership you are exporting" in mixed.content.decode()


# --- the form -------------------------------------------------------------------------


def test_bad_input_shows_the_govuk_error_summary_and_keeps_what_was_typed(client, records):
    client.force_login(records.cast.auditor)
    response = client.post(
        URL, {"raised_from": "31/02/2026", "raised_to": "01/01/2026", "state": "closed", "format": ""}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "<title>Error: Export case records" in page
    assert "There is a problem" in page
    assert "Enter the &#x27;raised on or after&#x27; date as a real date, like 01/04/2026" in page
    assert "Choose a format for the export" in page
    # Each message links to its field: the text input, and the first radio of the format.
    assert 'href="#id_raised_from"' in page and 'href="#id_format_1"' in page and 'id="id_format_1"' in page
    assert 'value="31/02/2026"' in page and 'value="01/01/2026"' in page
    assert '<option value="closed" selected>' in page
    assert not export_logs().exists()


def test_the_end_date_cannot_come_before_the_start(client, records):
    client.force_login(records.cast.auditor)
    page = client.post(URL, {"raised_from": "02/10/2026", "raised_to": "01/10/2026"}).content.decode()
    assert "must be the same as or after the other date" in page


def test_an_agency_from_another_partnership_cannot_be_chosen(client, records):
    client.force_login(records.cast.auditor)
    other = records.cumberland.receiving_agency
    page = client.post(URL, {"format": "csv", "agency": other.public_id}).content.decode()
    assert "Choose an agency from the list" in page


# --- the downloads --------------------------------------------------------------------


def test_csv_download_streams_the_filtered_rows_with_no_store(client, records):
    client.force_login(records.cast.auditor)
    response = download(client, raised_from="01/10/2026", raised_to="12/10/2026")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Disposition"].startswith('attachment; filename="five-stage-escalations-')
    assert response["Content-Disposition"].endswith('.csv"')
    rows = list(csv.reader(io.StringIO(body(response).decode("utf-8-sig"))))
    assert rows[0][:3] == ["Reference", "Partnership", "Raised at"]
    assert [r[0] for r in rows[1:]] == [records.closed.reference, records.escalated.reference]


def test_xlsx_download_is_a_workbook_with_no_store(client, records):
    client.force_login(records.cast.business_manager)
    response = download(client, format="xlsx", agency=records.cast.police.public_id)
    assert response.status_code == 200
    assert response["Content-Type"] == exports.FORMATS["xlsx"][1]
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Disposition"].endswith('.xlsx"')
    sheet = openpyxl.load_workbook(io.BytesIO(body(response)))["Escalations"]
    assert [c.value for c in sheet[1]][:2] == ["Reference", "Partnership"]
    assert sheet.max_row == 2 and sheet["A2"].value == records.police.reference


def test_json_download_streams_a_document_that_validates_against_the_schema(client, records):
    client.force_login(records.cast.chair)
    response = download(client, format="json", state="raised")
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Disposition"].endswith('.json"')
    document = json.loads(body(response))
    schema = json.loads(exports.SCHEMA_PATH.read_text())
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(document)
    assert document["schema"] == exports.SCHEMA_ID
    assert document["filter"] == {"partnership": "five-stage", "state": "raised"}
    assert document["exported_by"]["username"] == "chair"
    assert [e["reference"] for e in document["escalations"]] == [
        records.escalated.reference,
        records.police.reference,
    ]


def test_the_export_is_recorded_before_a_byte_is_sent(client, records):
    cast = records.cast
    client.force_login(cast.auditor)
    response = download(client, format="json", urgency="immediate-risk")
    # Not one chunk has been read yet, and the record is already there with the count.
    log = export_logs().get()
    assert (log.user, log.object_type, log.object_id) == (cast.auditor, "export", "json")
    assert json.loads(log.detail) == {"partnership": "five-stage", "filter": {"urgency": "immediate-risk"}, "count": 1}
    assert log.ip_address == "127.0.0.1"
    assert len(json.loads(body(response))["escalations"]) == 1


def test_an_empty_export_is_still_a_valid_file_and_still_recorded(client, records):
    client.force_login(records.cast.auditor)
    document = json.loads(body(download(client, format="json", raised_to="01/01/2020")))
    assert document["escalations"] == []
    assert json.loads(export_logs().get().detail)["count"] == 0


def test_the_hourly_limit_gives_a_friendly_429(client, records, settings):
    settings.EXPORTS_PER_HOUR = 2
    client.force_login(records.cast.auditor)
    assert download(client).status_code == 200
    assert download(client, format="json").status_code == 200
    response = download(client)
    page = response.content.decode()
    assert response.status_code == 429
    assert "You have reached the export limit" in page
    assert "up to 2 times an hour" in page
    assert 0 < int(response["Retry-After"]) <= 3600
    assert export_logs().count() == 2
    # Someone else in the partnership may still export.
    client.force_login(records.cast.business_manager)
    assert download(client).status_code == 200


def test_the_default_limit_is_twenty_an_hour(settings):
    del settings.EXPORTS_PER_HOUR
    assert exports.exports_per_hour() == 20


# --- the record of past exports -------------------------------------------------------


def test_business_managers_and_auditors_see_who_exported_what(client, records):
    cast = records.cast
    client.force_login(cast.auditor)
    body(download(client, format="xlsx", raised_from="01/10/2026", state="raised"))
    for user in (cast.business_manager, cast.auditor):
        client.force_login(user)
        page = client.get(URL).content.decode()
        assert "Past exports" in page
        assert cast.auditor.get_full_name() in page
        assert "XLSX" in page
        assert "Raised 01/10/2026 to today" in page and "State: Awaiting acknowledgement" in page
        assert '<td class="govuk-table__cell govuk-table__cell--numeric">2</td>' in page


def test_chairs_export_but_do_not_read_the_export_record(client, records):
    client.force_login(records.cast.chair)
    assert "Past exports" not in client.get(URL).content.decode()


def test_the_export_record_is_paginated_and_scoped_to_the_partnership(client, records, settings):
    settings.EXPORTS_PER_HOUR = 100
    cast = records.cast
    other_auditor = person("cumberland-auditor", cast.outsider_partnership, Role.AUDITOR)
    client.force_login(other_auditor)
    body(download(client))
    client.force_login(cast.auditor)
    for _ in range(21):
        body(download(client))
    client.force_login(cast.business_manager)
    first = client.get(URL).content.decode()
    assert first.count(cast.auditor.get_full_name()) == 20
    assert other_auditor.get_full_name() not in first
    assert "Page 1 of 2" in first
    second = client.get(URL, {"page": 2}).content.decode()
    assert second.count(cast.auditor.get_full_name()) == 1
    assert other_auditor.get_full_name() not in second
