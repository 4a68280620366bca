"""Evidence attached, in a real browser: a party attaches a file and another party downloads
it; someone who cannot see the case gets "not found"; a disguised file is refused clearly."""

import pytest
from playwright.sync_api import expect

from tests import attachment_samples as samples
from tests.e2e.conftest import assert_accessible, sign_in
from tests.factories import PASSWORD
from tests.integration.test_escalation_lifecycle import raise_one

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def sign_out(page):
    with page.expect_navigation():
        page.get_by_role("navigation", name="Menu").get_by_role("button", name="Sign out").click()


def test_a_file_is_attached_downloaded_by_a_party_and_not_found_for_someone_who_cannot_see_the_case(
    page, live_server, browser_log, cast, tmp_path
):
    escalation = raise_one(cast)
    case_url = f"{live_server.url}/escalations/{escalation.public_id}/"
    minutes = tmp_path / "Strategy minutes.pdf"
    minutes.write_bytes(samples.PDF)
    disguised = tmp_path / "letter.pdf"
    disguised.write_bytes(samples.HTML)

    sign_in(page, live_server, cast.practitioner.username, PASSWORD)
    page.goto(case_url)
    expect(page.get_by_role("heading", name="Files")).to_be_visible()
    page.get_by_role("button", name="Attach a file").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Attach a file")
    assert_accessible(page)

    # A web page called letter.pdf: refused, with the GOV.UK error summary.
    page.get_by_label("Choose a file").set_input_files(disguised)
    page.get_by_role("button", name="Attach file").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("is a web page or image code")
    assert_accessible(page)

    page.get_by_label("Choose a file").set_input_files(minutes)
    page.get_by_label("The disagreement itself").check()
    page.get_by_role("button", name="Attach file").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "Strategy minutes.pdf is attached to the disagreement."
    )
    expect(page.get_by_role("link", name="Strategy minutes.pdf")).to_be_visible()
    assert_accessible(page)
    sign_out(page)

    # The other agency's practitioner is a party: they download it.
    sign_in(page, live_server, cast.other_practitioner.username, PASSWORD)
    page.goto(case_url)
    with page.expect_download() as download:
        page.get_by_role("link", name="Strategy minutes.pdf").click()
    assert download.value.suggested_filename == "Strategy minutes.pdf"
    with open(download.value.path(), "rb") as saved:
        assert saved.read() == samples.PDF
    file_url = page.get_by_role("link", name="Strategy minutes.pdf").get_attribute("href")
    sign_out(page)

    # A manager at the school has not held a stage of it yet: not found, like the case itself.
    sign_in(page, live_server, cast.manager.username, PASSWORD)
    response = page.goto(f"{live_server.url}{file_url}")
    assert response.status == 404
    assert page.goto(case_url).status == 404
    assert browser_log.csp_violations() == []
