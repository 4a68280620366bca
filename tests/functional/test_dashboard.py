"""The dashboard and its drill-down lists as pages: who may open them, what the HTML holds (a
data table for every chart, no inline script), filters, links and a fixed number of queries."""

import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from escalation import services
from partnerships.choices import Role, Urgency
from tests.conftest import london
from tests.factories import person
from tests.integration.test_dashboard import NOW, build_fixed_set, raise_

pytestmark = pytest.mark.django_db

LINK = re.compile(
    r'<a class="govuk-link" href="(/dashboard/list/[^"]*)">([\d,]+)<span class="govuk-visually-hidden">([^<]*)</span>'
)


@pytest.fixture
def fixed(cast, time_machine):
    time_machine.move_to(NOW, tick=False)
    return cast, build_fixed_set(cast)


def page(client, user, url=None, **params):
    client.force_login(user)
    response = client.get(url or reverse("dashboard:index"), params)
    assert response.status_code == 200
    return response.content.decode()


def figure_table(text, key) -> str:
    match = re.search(rf'<table class="govuk-table app-figure__table" data-figure="{key}">(.*?)</table>', text, re.S)
    assert match, key
    return match.group(1)


def cells(table_html) -> list[list[str]]:
    rows = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table_html, re.S):
        found = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        rows.append([re.sub(r"<span class=\"govuk-visually-hidden\">.*?</span>|<[^>]+>", "", c).strip() for c in found])
    return rows


def test_business_manager_chair_and_auditor_read_the_dashboard(client, fixed):
    cast, _ = fixed
    for user in (cast.business_manager, cast.chair, cast.auditor):
        text = page(client, user)
        assert "Partnership dashboard" in text
        assert cast.partnership.name in text


@pytest.mark.parametrize("role", ["practitioner", "manager", "other_director", "panel_member", "outsider"])
def test_everyone_else_is_refused(client, fixed, role):
    cast, _ = fixed
    client.force_login(getattr(cast, role))
    for name in ("index", "list", "report", "report-csv", "report-xlsx", "audit"):
        assert client.get(reverse(f"dashboard:{name}")).status_code == 403, name


def test_a_business_manager_elsewhere_sees_only_their_own_partnership(client, fixed):
    cast, _ = fixed
    elsewhere = person("cumberland-bm", cast.outsider_partnership, Role.BUSINESS_MANAGER)
    text = page(client, elsewhere)
    assert cast.outsider_partnership.name in text
    assert "Riverside" not in text
    headline = dict(
        re.findall(r'<dt class="govuk-summary-list__key">([^<]+)</dt>\s*<dd[^>]*>(?:<a[^>]*>)?([\d.,]+)', text)
    )
    assert headline["Raised"] == "2"
    # ?partnership= cannot reach a partnership the person does not oversee.
    text = page(client, elsewhere, partnership=cast.partnership.slug)
    assert "Riverside" not in text


def test_every_chart_has_a_data_table_and_a_json_data_block_and_no_inline_script(client, fixed):
    cast, _ = fixed
    text = page(client, cast.business_manager)
    charts = re.findall(r'data-chart="(chart-data-[a-z]+)"', text)
    assert set(charts) == {
        f"chart-data-{k}"
        for k in ("open", "timescales", "resolved", "agencies", "reasons", "pairs", "months", "quarters")
    }
    for chart in charts:
        assert f'<script id="{chart}" type="application/json">' in text
        figure_table(text, chart.removeprefix("chart-data-"))
    scripts = re.findall(r"<script([^>]*)>", text)
    assert all("src=" in attrs or 'type="application/json"' in attrs for attrs in scripts), scripts
    assert "/static/chartjs/chart.umd.min.js" in text
    assert "/static/js/dashboard.js" in text


def test_the_tables_show_the_hand_computed_figures(client, fixed):
    cast, _ = fixed
    text = page(client, cast.business_manager)
    open_rows = cells(figure_table(text, "open"))
    assert open_rows[0] == [
        "Stage",
        "Standard",
        "Child protection",
        "Immediate risk of significant harm",
        "All open",
        "Overdue now",
    ]
    assert open_rows[1] == ["Stage 1: direct professional to professional discussion", "1", "0", "1", "2", "1"]
    assert open_rows[-1] == ["All stages", "2", "0", "1", "3", "2"]
    timescales = cells(figure_table(text, "timescales"))
    assert timescales[1][1:] == ["3", "2", "60%"]
    assert timescales[-1] == ["All stages", "", "", "62.5%"]
    assert "Median working days from raised to resolved" in text
    assert cells(figure_table(text, "quarters"))[1] == ["January to March 2026", "6", "2", "1", "3"]


def test_every_number_links_to_a_list_of_exactly_that_many_escalations(client, fixed):
    cast, _ = fixed
    text = page(client, cast.business_manager)
    links = LINK.findall(text)
    assert len(links) > 40
    for href, number, hidden in links:
        if "median" in hidden:
            continue
        listing = page(client, cast.business_manager, html.unescape(href))
        heading = re.search(r'<h1 class="govuk-heading-l">([\d,]+) escalation', listing).group(1)
        assert heading == number, (href, hidden)


def test_drill_down_link_targets(client, fixed):
    cast, e = fixed
    text = page(client, cast.business_manager)
    hrefs = {html.unescape(href) for href, _, _ in LINK.findall(text)}
    assert "/dashboard/list/?stage=1&status=open&urgency=immediate-risk" in hrefs
    assert "/dashboard/list/?status=overdue" in hrefs
    assert "/dashboard/list/?missed_stage=3" in hrefs
    assert "/dashboard/list/?resolved_stage=2" in hrefs
    assert f"/dashboard/list/?missed=1&party={cast.police.public_id}" in hrefs
    assert "/dashboard/list/?raised_from=01%2F02%2F2026&raised_to=28%2F02%2F2026&status=resolved" in hrefs
    listing = page(client, cast.business_manager, "/dashboard/list/?missed_stage=3")
    assert e["e6"].reference in listing and e["e4"].reference not in listing
    assert "Deadline missed at Stage 3: senior manager to senior manager discussion" in listing


def test_filters_narrow_the_figures_and_the_links_keep_them(client, fixed):
    cast, e = fixed
    text = page(client, cast.business_manager, agency=str(cast.police.public_id), urgency=Urgency.IMMEDIATE_RISK)
    assert "Involving Riverside Police" in text
    assert "Urgency: Immediate risk of significant harm" in text
    assert cells(figure_table(text, "open"))[-1] == ["All stages", "1", "1", "1"]
    hrefs = [html.unescape(h) for h, _, _ in LINK.findall(text)]
    assert hrefs and all(f"agency={cast.police.public_id}" in h and "urgency=immediate-risk" in h for h in hrefs)
    listing = page(client, cast.business_manager, "/dashboard/list/", agency=str(cast.police.public_id), status="open")
    assert e["e4"].reference in listing and e["e5"].reference not in listing


def test_date_range_and_stage_filters(client, fixed):
    cast, _ = fixed
    text = page(client, cast.business_manager, raised_from="01/03/2026", raised_to="31/03/2026", stage="3")
    assert "Stage reached: Stage 3: senior manager to senior manager discussion" in text
    assert cells(figure_table(text, "months")) == [
        ["Month raised", "Raised", "Resolved", "Withdrawn", "Still open"],
        ["March 2026", "1", "0", "0", "1"],
    ]


def test_a_wrong_filter_is_explained_and_the_figures_stay(client, fixed):
    cast, _ = fixed
    text = page(client, cast.business_manager, raised_from="yesterday", raised_to="01/01/2026", category="nonsense")
    assert "There is a problem" in text
    assert "Enter the &#x27;from&#x27; date as a real date, like 01/04/2026" in text
    assert "Choose a category from the list" in text
    assert cells(figure_table(text, "quarters"))[1][1] == "6"  # unfiltered


def test_the_drill_down_list_pages_keep_the_query(client, fixed):
    cast, _ = fixed
    for day in range(2, 30):
        raise_(cast, london(2026, 1, day % 28 + 1, 10, 0))
    listing = page(client, cast.business_manager, "/dashboard/list/", status="open")
    assert re.search(r'href="\?status=open&amp;page=2"', listing)
    assert "Back to the dashboard" in listing


def _page_queries(client, user) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("dashboard:index")).status_code == 200
    return len(captured)


def test_the_page_runs_the_same_number_of_queries_at_two_data_sizes(
    client, fixed, django_assert_num_queries, settings
):
    # Building the figures is what is measured here, every time (the cache: test_dashboard_cache.py).
    settings.DASHBOARD_CACHE_SECONDS = 0
    cast, _ = fixed
    client.force_login(cast.business_manager)
    client.get(reverse("dashboard:index"))  # the first request after signing in does a little more
    small = _page_queries(client, cast.business_manager)
    for month in (4, 5, 6, 7):
        for receiving in (cast.health, cast.police):
            e = raise_(cast, london(2026, month, 8, 10, 0), receiving=receiving, urgency=Urgency.CHILD_PROTECTION)
            services.escalation_escalate(
                escalation=e, acting_user=cast.practitioner, evidence="e", at=london(2026, month, 9)
            )
    with django_assert_num_queries(small):
        client.get(reverse("dashboard:index"))
    filtered = {"agency": str(cast.police.public_id), "raised_from": "01/01/2026"}
    client.get(reverse("dashboard:index"), filtered)  # a new filter is remembered: a session write
    with django_assert_num_queries(small):
        client.get(reverse("dashboard:index"), filtered)


def test_someone_overseeing_two_partnerships_chooses_one_and_the_links_keep_it(client, fixed):
    from partnerships.models import Membership

    cast, e = fixed
    two_hats = person("two-hats", cast.outsider_partnership, Role.BUSINESS_MANAGER)
    Membership.objects.create(user=two_hats, partnership=cast.partnership, role=Role.CHAIR)
    text = page(client, two_hats)  # Cumberland comes first by name
    assert '<span class="govuk-caption-l">Cumberland' in text
    text = page(client, two_hats, partnership=cast.partnership.slug)
    assert f'<span class="govuk-caption-l">{cast.partnership.name}' in text
    hrefs = [html.unescape(h) for h, _, _ in LINK.findall(text)]
    assert hrefs and all("partnership=five-stage" in h for h in hrefs)
    listing = page(client, two_hats, "/dashboard/list/", partnership="five-stage", status="overdue")
    assert e["e4"].reference in listing and "2 escalations" in listing
    listing = page(client, two_hats, "/dashboard/list/", status="overdue")
    assert e["e4"].reference not in listing and "1 escalation<" in listing


def test_a_list_with_a_made_up_filter_says_what_is_wrong_and_links_back(client, fixed):
    cast, _ = fixed
    client.force_login(cast.business_manager)
    response = client.get("/dashboard/list/", {"raised_from": "soon"})
    assert response.status_code == 400
    text = response.content.decode()
    assert "There is a problem" in text and "Enter the &#x27;from&#x27; date as a real date" in text
    assert 'href="/dashboard/?raised_from=soon#id_raised_from"' in text
    response = client.get("/dashboard/list/", {"agency": "00000000-0000-0000-0000-000000000000"})
    assert response.status_code == 400 and "Choose an agency from the list" in response.content.decode()
    # Unknown drill-down words are ignored rather than guessed at.
    assert "6 escalations" in page(
        client, cast.business_manager, "/dashboard/list/", status="everything", missed_stage="x"
    )


def test_the_unfiltered_filter_form_drawn_once_still_shows_an_agency_added_or_renamed(client, fixed):
    from escalation.views.dashboard import _BLANK_FORMS
    from tests.factories import AgencyFactory

    cast, _ = fixed
    unmasked = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
    first = unmasked.sub("", page(client, cast.business_manager))
    assert unmasked.sub("", page(client, cast.business_manager)) == first  # drawn once, the same page
    assert "Riverside Youth Service" not in first
    AgencyFactory(partnership=cast.partnership, name="Riverside Youth Service")
    cast.police.name = "Riverside Constabulary"
    cast.police.save()
    text = page(client, cast.business_manager)
    assert "Riverside Youth Service" in text and "Riverside Constabulary" in text
    assert len(_BLANK_FORMS) >= 2
    # Another partnership's business manager never gets Riverside's form.
    other = person("cumberland-bm", cast.outsider_partnership, Role.BUSINESS_MANAGER)
    assert "Riverside Youth Service" not in page(client, other)
