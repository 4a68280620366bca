"""Partnership oversight: dashboard, learning report, audit samples."""

from django.urls import path

from escalation.views import dashboard

app_name = "dashboard"
urlpatterns = [
    path("", dashboard.dashboard_page, name="index"),
    path("list/", dashboard.drill_list, name="list"),
    path("report/", dashboard.report_page, name="report"),
    path("report/csv/", dashboard.report_csv_view, name="report-csv"),
    path("report/xlsx/", dashboard.report_xlsx_view, name="report-xlsx"),
    path("audit/", dashboard.audit_index, name="audit"),
    path("audit/<uuid:public_id>/", dashboard.audit_sample_page, name="audit-sample"),
    path("audit/<uuid:public_id>/check/", dashboard.audit_check_page, name="audit-check"),
]
