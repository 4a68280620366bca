"""The quarterly learning report: the printable page, its CSV and XLSX, and who may have them."""

import csv
import io

import pytest
from django.urls import reverse

from cases.models import AccessAction, AccessLog
from escalation import services
from escalation.models import Escalation
from tests.integration.test_dashboard import NOW, build_fixed_set

pytestmark = pytest.mark.django_db


@pytest.fixture
def fixed(cast, time_machine):
    time_machine.move_to(NOW, tick=False)
    return cast, build_fixed_set(cast)


def test_the_report_page_for_a_chosen_quarter(client, fixed):
    cast, e = fixed
    client.force_login(cast.chair)
    response = client.get(reverse("dashboard:report"), {"quarter": "2026-Q1"})
    text = response.content.decode()
    assert response.status_code == 200
    assert "Learning report: January to March 2026" in text
    for title in (
        "Formal use of the procedure",
        "Themes",
        "Timescale adherence",
        "Stage at which escalations were resolved",
        "Lessons learnt",
        "Multi-agency case reviews recommended",
    ):
        assert f">{title}</h2>" in text
    assert "Share the referral outcome in writing." in text
    assert e["e2"].reference in text
    assert 'href="/dashboard/report/csv/?quarter=2026-Q1"' in text
    assert '<option value="2026-Q1" selected>' in text
    # The print button is shown by the script; without it the browser's own print works.
    assert "data-print hidden" in text


def test_the_report_defaults_to_this_quarter_and_refuses_a_made_up_one(client, fixed):
    cast, _ = fixed
    client.force_login(cast.business_manager)
    assert "April to June 2026" in client.get(reverse("dashboard:report")).content.decode()
    assert client.get(reverse("dashboard:report"), {"quarter": "2026-Q9"}).status_code == 404


def test_the_report_as_csv(client, fixed):
    cast, e = fixed
    client.force_login(cast.business_manager)
    response = client.get(reverse("dashboard:report-csv"), {"quarter": "2026-Q1"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="learning-report-five-stage-2026-Q1.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["Learning report", cast.partnership.name, "2026 Q1 (January to March 2026)"]
    summary = rows[rows.index(["Summary"]) + 2 : rows.index(["Summary"]) + 12]
    assert dict(summary) == {
        "Escalations raised": "6",
        "Escalations resolved": "2",
        "Escalations withdrawn": "1",
        "Formal use of the procedure (partnership stage reached)": "0",
        "Stage deadlines met": "5",
        "Stage deadlines missed": "3",
        "Timescale adherence (%)": "62.5",
        "Median working days from raised to resolved": "6",
        "Lessons learnt recorded": "2",
        "Multi-agency case reviews recommended": "1",
    }
    lessons = rows.index(["Lessons learnt"])
    assert rows[lessons + 1] == [
        "Reference",
        "Between",
        "Resolved on",
        "Stage",
        "Main reason",
        "Issues raised",
        "Lessons learnt",
    ]
    assert rows[lessons + 2] == [
        e["e1"].reference,
        "Riverside Primary School with Riverside Children's Social Care",
        "03/02/2026",
        "1",
        "Threshold (whether a referral meets the criteria for a service)",
        "Threshold read differently.",
        "Share the referral outcome in writing.",
    ]
    assert rows[rows.index(["Multi-agency case reviews recommended"]) + 2][0] == e["e2"].reference
    log = AccessLog.objects.get(action=AccessAction.EXPORT, object_type="learning_report")
    assert (log.user, log.object_id) == (cast.business_manager, "five-stage:2026-Q1")


def test_the_report_as_xlsx(client, fixed):
    from openpyxl import load_workbook

    cast, e = fixed
    client.force_login(cast.auditor)
    response = client.get(reverse("dashboard:report-xlsx"), {"quarter": "2026-Q1"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert book.sheetnames == [
        "Summary",
        "Formal use",
        "Themes",
        "Timescales",
        "Stage resolved",
        "Lessons learnt",
        "Case reviews",
    ]
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(min_row=3, values_only=True)}
    assert summary["Escalations raised"] == 6
    assert summary["Timescale adherence (%)"] == 62.5
    assert summary["Median working days from raised to resolved"] == 6.0
    timescales = list(book["Timescales"].iter_rows(min_row=2, values_only=True))
    assert timescales == [
        ("Stage", "Met", "Missed", "Adherence (%)"),
        ("Stage 1: direct professional to professional discussion", 3, 2, 60.0),
        ("Stage 2: direct manager to manager discussion", 2, 0, 100.0),
        ("Stage 3: senior manager to senior manager discussion", 0, 1, 0.0),
    ]
    lessons = list(book["Lessons learnt"].iter_rows(min_row=3, values_only=True))
    assert [(r[0], r[6]) for r in lessons] == [
        (e["e1"].reference, "Share the referral outcome in writing."),
        (e["e2"].reference, "Agree a joint chronology early."),
    ]


def test_free_text_never_becomes_a_spreadsheet_formula(client, cast, time_machine):
    from openpyxl import load_workbook

    from tests.conftest import london
    from tests.integration.test_dashboard import fresh, raise_

    time_machine.move_to(NOW, tick=False)
    e = raise_(cast, london(2026, 2, 2, 10, 0))
    services.escalation_acknowledge(escalation=e, acting_user=cast.other_practitioner, at=london(2026, 2, 2, 11))
    services.escalation_resolve(
        escalation=fresh(e),
        acting_user=cast.practitioner,
        outcome="=HYPERLINK(1)",
        lessons_learnt='=cmd|"/c calc"!A1',
        case_review_recommended=True,
        at=london(2026, 2, 2, 12),
    )
    client.force_login(cast.business_manager)
    text = client.get(reverse("dashboard:report-csv"), {"quarter": "2026-Q1"}).content.decode()
    assert "'=cmd" in text and "'=HYPERLINK(1)" in text
    response = client.get(reverse("dashboard:report-xlsx"), {"quarter": "2026-Q1"})
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    cell = book["Lessons learnt"]["G3"]
    assert cell.data_type == "s" and cell.value == '=cmd|"/c calc"!A1'
    assert Escalation.objects.count() == 1


def test_the_report_is_for_the_users_own_partnership_only(client, fixed):
    cast, _ = fixed
    from partnerships.choices import Role
    from tests.factories import person

    elsewhere = person("cumberland-chair", cast.outsider_partnership, Role.CHAIR)
    client.force_login(elsewhere)
    text = client.get(reverse("dashboard:report-csv"), {"quarter": "2026-Q1"}).content.decode()
    assert "Cumberland" in text.splitlines()[0]
    assert "Riverside" not in text
    assert "Escalations raised,2" in text


def test_the_reports_downloads_count_toward_the_hourly_export_limit_and_are_listed(client, fixed, settings):
    """The CSV and XLSX hold free text from resolutions: exports like any other."""
    cast, _ = fixed
    settings.EXPORTS_PER_HOUR = 2
    client.force_login(cast.auditor)
    assert client.get(reverse("dashboard:report-csv"), {"quarter": "2026-Q1"}).status_code == 200
    response = client.get(reverse("dashboard:report-xlsx"), {"quarter": "2026-Q1"})
    assert response.status_code == 200
    b"".join(response.streaming_content)
    refused = client.get(reverse("dashboard:report-csv"), {"quarter": "2026-Q1"})
    assert refused.status_code == 429
    assert "You have reached the export limit" in refused.content.decode()
    assert AccessLog.objects.filter(action=AccessAction.EXPORT).count() == 2
    # And an export of records is refused too: one limit for every export.
    refused = client.post(reverse("exports:index"), {"partnership": "five-stage", "format": "csv"})
    assert refused.status_code == 429

    page = client.get(reverse("exports:index")).content.decode()
    assert page.count("Learning report, Q1 2026") == 2
    assert "CSV" in page and "XLSX" in page
