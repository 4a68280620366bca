"""The partnership dashboard in a real browser: Chart.js (from npm, served from /static/) draws
every chart under the content security policy, each chart has its data table, the numbers
drill down to their lists, and axe finds nothing on the dashboard, a list, the learning report
and the audit pages."""

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import assert_accessible, sign_in
from tests.factories import PASSWORD
from tests.integration.test_dashboard import build_fixed_set

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CHARTS = ("open", "timescales", "resolved", "agencies", "reasons", "pairs", "months", "quarters")
SCRIPTS = ("/static/chartjs/chart.umd.min.js", "/static/js/dashboard.js")


def signed_in(page, live_server, user):
    """Signed in by the form (sign_in passes the second step for roles that need it)."""
    response = sign_in(page, live_server, user.username, PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")
    return response


def test_the_dashboard_draws_its_charts_under_the_csp_with_tables_and_no_accessibility_faults(
    page, live_server, browser_log, cast
):
    build_fixed_set(cast)
    signed_in(page, live_server, cast.chair)
    response = page.goto(f"{live_server.url}/dashboard/")
    assert response.status == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    expect(page.get_by_role("heading", level=1)).to_have_text("Partnership dashboard")

    # Every chart drawn: the script ran (it is not inline, so the CSP allowed it) and Chart.js
    # painted a canvas of real size.
    drawn = page.locator('[data-chart-drawn="true"] canvas')
    expect(drawn).to_have_count(len(CHARTS))
    for key in CHARTS:
        canvas = page.locator(f'[data-chart="chart-data-{key}"] canvas')
        expect(canvas).to_have_attribute("role", "img")
        box = canvas.bounding_box()
        assert box and box["width"] > 100 and box["height"] > 100, key
        # The chart's own data table, beside it.
        table = page.locator(f'table[data-figure="{key}"]')
        expect(table).to_be_visible()
        expect(table.locator("caption")).not_to_be_empty()
    painted = page.evaluate(
        """() => Array.from(document.querySelectorAll('[data-chart] canvas')).every(c => {
            const pixels = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            for (let i = 3; i < pixels.length; i += 4) { if (pixels[i] !== 0) return true; }
            return false;
        })"""
    )
    assert painted
    loaded = {urlsplit(r.url).path: r.status for r in browser_log.responses}
    for script in SCRIPTS:
        assert loaded.get(script) == 200, f"{script}: {loaded}"
    assert browser_log.csp_violations() == []
    assert browser_log.errors() == []
    assert_accessible(page)

    # The filters (in a details component) narrow the figures.
    page.get_by_text("Filter the figures").click()
    page.get_by_label("Agency", exact=True).select_option(label="Riverside Police")
    with page.expect_navigation():
        page.get_by_role("button", name="Apply filters").click()
    expect(page.locator(".govuk-inset-text li")).to_have_text(["Involving Riverside Police"])
    expect(page.locator('[data-chart-drawn="true"] canvas')).to_have_count(len(CHARTS))
    assert_accessible(page)

    # A number drills down to the list behind it.
    overdue = page.get_by_role("link", name="1 (overdue now)")
    with page.expect_navigation():
        overdue.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("1 escalation")
    expect(page.locator("main tbody tr")).to_have_count(1)
    assert_accessible(page)
    assert browser_log.errors() == []


def test_the_report_and_audit_pages_are_accessible(page, live_server, browser_log, cast):
    build_fixed_set(cast)
    signed_in(page, live_server, cast.chair)
    page.goto(f"{live_server.url}/dashboard/report/?quarter=2026-Q1")
    expect(page.get_by_role("heading", level=1)).to_have_text("Learning report: January to March 2026")
    expect(page.get_by_role("button", name="Print this report")).to_be_visible()  # shown by the script
    assert_accessible(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the report as CSV").click()
    assert download.value.suggested_filename == "learning-report-five-stage-2026-Q1.csv"
    page.goto(f"{live_server.url}/dashboard/audit/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit samples")
    assert_accessible(page)
    assert browser_log.csp_violations() == []
    assert browser_log.errors() == []


def test_a_business_manager_audits_a_sampled_case(page, live_server, browser_log, cast):
    from escalation import audit_sample
    from escalation.models import AuditResult
    from tests.functional.test_dashboard_audit import closed_escalations

    closed_escalations(cast, 3)
    sample = audit_sample.audit_sample_draw(partnership=cast.partnership, acting_user=cast.business_manager, size=2)
    signed_in(page, live_server, cast.business_manager)
    page.goto(f"{live_server.url}/dashboard/audit/{sample.public_id}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit sample of 2 escalations")
    assert_accessible(page)
    with page.expect_navigation():
        page.get_by_role("link", name="Record the result").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Audit ESC-")
    assert_accessible(page)
    page.get_by_label("Policy partly followed").check()
    page.get_by_label("Notes").fill("The stage 1 discussion is not recorded.")
    with page.expect_navigation():
        page.get_by_role("button", name="Record the result").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Recorded the audit result")
    expect(page.locator("main strong.govuk-tag--yellow")).to_have_text(["Policy partly followed"])
    assert sample.checks.filter(result=AuditResult.PARTLY).count() == 1
    assert_accessible(page)
    assert browser_log.csp_violations() == []
    assert browser_log.errors() == []
