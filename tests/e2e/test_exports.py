"""The auditor exports case records in a real browser: the page and its error state pass
axe, and the CSV download holds the header row and the escalation."""

import csv
import io
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from cases.models import AccessAction, AccessLog
from tests.conftest import london
from tests.e2e.conftest import assert_accessible, sign_in
from tests.factories import PASSWORD
from tests.integration.test_escalation_lifecycle import raise_one

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SERVICE = "Resolve a professional disagreement"


def test_the_auditor_downloads_a_csv_of_the_partnerships_escalations(page, live_server, browser_log, cast):
    escalation = raise_one(cast, at=london(2026, 10, 5, 10, 0))
    sign_in(page, live_server, cast.auditor.username, PASSWORD)

    page.goto(f"{live_server.url}/exports/")
    expect(page).to_have_title(f"Export case records - {SERVICE}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Export case records")
    assert_accessible(page)

    # A date that does not exist: the GOV.UK error summary, with what was typed kept.
    page.get_by_label("Raised on or after (optional)").fill("31/02/2026")
    page.get_by_label("State (optional)").select_option(label="Awaiting acknowledgement")
    with page.expect_navigation():
        page.get_by_role("button", name="Download export").click()
    expect(page).to_have_title(f"Error: Export case records - {SERVICE}")
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("There is a problem")
    expect(summary.get_by_role("link")).to_have_text(
        ["Enter the 'raised on or after' date as a real date, like 01/04/2026"]
    )
    expect(page.get_by_label("Raised on or after (optional)")).to_have_value("31/02/2026")
    expect(page.get_by_label("State (optional)")).to_have_value("raised")
    assert_accessible(page)
    assert not AccessLog.objects.filter(action=AccessAction.EXPORT).exists()

    page.get_by_label("Raised on or after (optional)").fill("01/10/2026")
    page.get_by_label("CSV: one row per escalation, for a spreadsheet").check()
    with page.expect_download() as started:
        page.get_by_role("button", name="Download export").click()
    download = started.value
    assert download.suggested_filename.startswith("five-stage-escalations-")
    assert download.suggested_filename.endswith(".csv")
    with open(download.path(), encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(io.StringIO(handle.read())))
    assert rows[0][:8] == [
        "Reference",
        "Partnership",
        "Raised at",
        "Raising agency",
        "Receiving agency",
        "Category",
        "Urgency",
        "State",
    ]
    assert [row[0] for row in rows[1:]] == [escalation.reference]
    assert rows[1][2] == "2026-10-05 10:00"

    # The download left the page where it was; the export is in the list beneath the form at
    # once, without reloading the page.
    assert urlsplit(page.url).path == "/exports/"
    table = page.locator("table", has=page.get_by_role("columnheader", name="Records"))
    expect(table.locator("tbody tr")).to_have_count(1, timeout=10000)
    expect(page.get_by_text("Nobody has exported records")).to_have_count(0)
    page.goto(f"{live_server.url}/exports/")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table.locator("tbody tr td").nth(2)).to_have_text("CSV")
    assert_accessible(page)
    assert browser_log.csp_violations() == []
    assert browser_log.errors() == []
