"""Partnership oversight pages: the dashboard and the lists behind its numbers, the quarterly
learning report (page, CSV, XLSX) and audit samples.

Business managers, chairs and auditors of a partnership read all of these for their own
partnership only; only the business manager draws audit samples and records their results.
"""

from __future__ import annotations

import csv
import io
import tempfile
from dataclasses import replace
from datetime import date
from urllib.parse import urlencode

from crispy_forms.utils import render_crispy_form
from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import HTML, Div, Field, Fieldset, Fixed, Layout, Size, Submit
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from cases.audit import client_ip
from escalation import audit_sample, dashboard, exports, figures, figures_cache, learning_report
from escalation.forms import date_filter_field
from escalation.models import AuditCheck, AuditResult, AuditSample
from escalation.rows import holders
from escalation.services import EscalationError
from escalation.states import Category
from escalation.views.exports import limit_reached
from escalation.views.remembered import remembered
from partnerships.choices import Urgency

LIST_PAGE_SIZE = 25
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- whose partnership ------------------------------------------------------------------------


def _partnership(request, roles=dashboard.OVERSIGHT_ROLES):
    """The partnership the page is about: the one the user oversees, or the one chosen with
    ?partnership=<slug> if they oversee several. Anyone else: 403."""
    partnerships = dashboard.oversight_partnerships(request.user, roles)
    if not partnerships:
        raise PermissionDenied
    wanted = request.GET.get("partnership") or request.POST.get("partnership")
    chosen = next((p for p in partnerships if p.slug == wanted), partnerships[0])
    return chosen, partnerships


def _stages(partnership) -> dict:
    return figures.policy_stages(partnership)


# --- the filter form -------------------------------------------------------------------------------


class DashboardFilterForm(forms.Form):
    partnership = forms.ChoiceField(label="Partnership", required=False)
    raised_from = date_filter_field("From", "'from'")
    raised_to = date_filter_field("To", "'to'")
    agency = forms.ChoiceField(
        label="Agency",
        required=False,
        help_text="Either side of the disagreement",
        error_messages={"invalid_choice": "Choose an agency from the list"},
    )
    category = forms.ChoiceField(
        label="Category",
        choices=[("", "Any category")] + Category.choices,
        required=False,
        error_messages={"invalid_choice": "Choose a category from the list"},
    )
    urgency = forms.ChoiceField(
        label="Urgency",
        choices=[("", "Any urgency")] + Urgency.choices,
        required=False,
        error_messages={"invalid_choice": "Choose an urgency from the list"},
    )
    stage = forms.TypedChoiceField(
        label="Stage reached",
        coerce=int,
        empty_value=None,
        required=False,
        error_messages={"invalid_choice": "Choose a stage from the list"},
    )

    def __init__(self, *args, partnership, partnerships, agencies, stages, **kwargs):
        super().__init__(*args, **kwargs)
        self.partnership_obj = partnership
        self.agencies = {str(a.public_id): a for a in agencies}
        self.fields["agency"].choices = [("", "Any agency")] + [(key, a.name) for key, a in self.agencies.items()]
        self.fields["stage"].choices = [("", "Any stage")] + [(n, figures.stage_name(n, stages)) for n in stages]
        many = len(partnerships) > 1
        if many:
            self.fields["partnership"].choices = [(p.slug, p.name) for p in partnerships]
        else:
            del self.fields["partnership"]
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        third = "govuk-grid-column-one-third"
        self.helper.layout = Layout(
            *([Field.select("partnership")] if many else []),
            Div(
                Div(
                    Fieldset(
                        Field.text("raised_from", field_width=Fixed.TEN),
                        Field.text("raised_to", field_width=Fixed.TEN),
                        legend="Raised between",
                        legend_size=Size.SMALL,
                    ),
                    css_class=third,
                ),
                Div(Field.select("agency"), Field.select("category"), css_class=third),
                Div(Field.select("urgency"), Field.select("stage"), css_class=third),
                css_class="govuk-grid-row",
            ),
            Submit("filter", "Apply filters"),
            HTML('<p class="govuk-body"><a class="govuk-link" href="?{{ clear_query }}">Clear filters</a></p>'),
        )

    def clean(self):
        data = super().clean()
        start, end = data.get("raised_from"), data.get("raised_to")
        if start and end and end < start:
            self.add_error("raised_to", "The 'to' date must be the same as or after the 'from' date")
        key = data.get("agency")
        if key and key not in self.agencies:
            self.add_error("agency", "Choose an agency from the list")
        return data

    def scope(self) -> figures.Scope:
        """The filters the person chose; only the partnership if the form has errors."""
        if not self.is_bound or not self.is_valid():
            return figures.Scope(self.partnership_obj)
        data = self.cleaned_data
        return figures.Scope(
            self.partnership_obj,
            raised_from=data.get("raised_from"),
            raised_to=data.get("raised_to"),
            agency=self.agencies.get(data.get("agency") or ""),
            category=data.get("category") or "",
            urgency=data.get("urgency") or "",
            stage=data.get("stage"),
        )


def _filters(request, partnership, partnerships):
    agencies = list(partnership.agencies.order_by("name"))
    stages = _stages(partnership)
    form = DashboardFilterForm(
        request.GET if _has_filters(request) else None,
        partnership=partnership,
        partnerships=partnerships,
        agencies=agencies,
        stages=stages,
    )
    return form, form.scope(), {a.pk: a for a in agencies}, stages


FILTER_NAMES = ("raised_from", "raised_to", "agency", "category", "urgency", "stage", "partnership")


def _has_filters(request) -> bool:
    return any(name in request.GET for name in FILTER_NAMES)


def _clear_query(partnership, partnerships) -> str:
    # "clear" also forgets the filters the dashboard remembered for this person.
    return urlencode({"partnership": partnership.slug, "clear": 1} if len(partnerships) > 1 else {"clear": 1})


# --- the dashboard and its lists ----------------------------------------------------------------------


# The unfiltered filter form is the same for everyone overseeing the same partnership(s): drawn
# once per process for its choices (crispy-forms' templates cost as much as the rest of the page
# with its figures cached). Keyed by everything it shows, so an agency added or renamed draws anew.
_BLANK_FORMS: dict[tuple, str] = {}
_BLANK_FORMS_KEPT = 256


def _filter_form_html(form, clear_query: str) -> str:
    if form.is_bound:
        return render_crispy_form(form, helper=form.helper, context={"clear_query": clear_query})
    key = (
        clear_query,
        *(tuple(map(tuple, field.choices)) for field in form.fields.values() if hasattr(field, "choices")),
    )
    html = _BLANK_FORMS.get(key)
    if html is None:
        if len(_BLANK_FORMS) >= _BLANK_FORMS_KEPT:
            _BLANK_FORMS.clear()
        html = _BLANK_FORMS[key] = render_crispy_form(form, helper=form.helper, context={"clear_query": clear_query})
    return html


def dashboard_page(request):
    partnership, partnerships = _partnership(request)
    if back := remembered(request, "dashboard", FILTER_NAMES):
        return back
    form, scope, agencies, stages = _filters(request, partnership, partnerships)
    if len(partnerships) > 1:
        scope = replace(scope, partnership_in_links=True)
    filters = scope.describe(stages=stages)

    def figures_html() -> str:
        # Kept rendered: drawing hundreds of linked table cells costs more than reading them back.
        figures = dashboard.build_dashboard(scope, agencies=agencies, stages=stages)
        context = {"dashboard": figures, "filters": filters, "refresh_minutes": figures_cache.refresh_minutes()}
        return render_to_string("dashboard/_figures.html", context)

    return render(
        request,
        "dashboard/index.html",
        {
            "partnership": partnership,
            "form": form,
            "figures_html": figures_cache.cached_figures(partnership.pk, scope.params(), figures_html),
            "filters": filters,
            "form_html": _filter_form_html(form, _clear_query(partnership, partnerships)),
            "may_sample": audit_sample.may_sample(request.user, partnership),
        },
    )


def _int(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 100 else None


def _drill(request, agencies_by_key: dict) -> figures.Drill:
    """What a dashboard number counts, from its link. Anything unrecognised is ignored."""
    get = request.GET
    party = agencies_by_key.get(get.get("party", ""))
    pair = [agencies_by_key.get(key) for key in get.get("pair", "").split(",")]
    return figures.Drill(
        status=get.get("status", "") if get.get("status") in figures.STATUSES else "",
        missed_stage=_int(get.get("missed_stage")),
        met_stage=_int(get.get("met_stage")),
        resolved_stage=_int(get.get("resolved_stage")),
        missed=get.get("missed") == "1",
        party=party,
        side=get.get("side", "") if party is not None and get.get("side") in ("raising", "receiving") else "",
        pair=tuple(pair) if len(pair) == 2 and all(pair) else None,
    )


def drill_list(request):
    partnership, partnerships = _partnership(request)
    form, scope, agencies, stages = _filters(request, partnership, partnerships)
    if form.is_bound and not form.is_valid():
        # The dashboard links only to valid filters; a typed address gets the errors and a way back.
        query = urlencode({k: v for k, v in request.GET.items() if k in FILTER_NAMES})
        context = {"form": form, "partnership": partnership, "dashboard_url": f"{reverse('dashboard:index')}?{query}"}
        return render(request, "dashboard/list_filter_problem.html", context, status=400)
    drill = _drill(request, {str(a.public_id): a for a in agencies.values()})
    queryset = (
        figures.drill_queryset(scope, drill)
        .select_related("raising_agency", "receiving_agency")
        .order_by("-raised_at", "-pk")
    )
    page = _with_days_left(Paginator(queryset, LIST_PAGE_SIZE).get_page(request.GET.get("page")), partnership)
    query = request.GET.copy()
    query.pop("page", None)
    back = {k: v for k, v in request.GET.items() if k in FILTER_NAMES}
    return render(
        request,
        "dashboard/list.html",
        {
            "partnership": partnership,
            "page": page,
            "described": scope.describe(stages=stages) + drill.describe(stages),
            "page_query": query.urlencode(),
            "back_url": reverse("dashboard:index") + ("?" + urlencode(back) if back else ""),
        },
    )


def _with_days_left(page, partnership):
    """Working days left (negative: overdue) on the partnership's calendar, read once."""
    today = timezone.localdate()
    now = timezone.now()
    calendar = partnership.working_calendar()
    for e in page.object_list:
        e.holders = holders(e)
        if e.current_due_at:
            e.days_left = calendar.working_days_between(today, timezone.localtime(e.current_due_at).date())
            e.overdue = e.current_due_at < now
    return page


# --- the learning report ------------------------------------------------------------------------------


def _quarter(request, partnership):
    quarters = learning_report.report_quarters(partnership, timezone.localdate())
    wanted = request.GET.get("quarter")
    if wanted is None:
        return quarters[0], quarters
    quarter = learning_report.Quarter.parse(wanted)
    if quarter is None:
        raise Http404("No such quarter")
    return quarter, quarters


def report_page(request):
    partnership, partnerships = _partnership(request)
    quarter, quarters = _quarter(request, partnership)
    report = learning_report.build_learning_report(partnership, quarter, limit=learning_report.REPORT_PAGE_ROWS)
    query = {"quarter": quarter.slug}
    if len(partnerships) > 1:
        query["partnership"] = partnership.slug
    return render(
        request,
        "dashboard/report.html",
        {
            "partnership": partnership,
            "partnerships": partnerships if len(partnerships) > 1 else [],
            "report": report,
            "quarters": quarters,
            "download_query": urlencode(query),
        },
    )


# A spreadsheet reads a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _safe(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def report_csv(report) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Learning report", report.partnership.name, f"{report.quarter.short} ({report.quarter.label})"])
    for section in report.sections:
        writer.writerow([])
        writer.writerow([section.title])
        writer.writerow(section.columns)
        for row in section.display_rows():
            writer.writerow([_safe(v) for v in row])
    return out.getvalue()


def report_xlsx(report, target) -> None:
    """One worksheet per section; numbers stay numbers, text never becomes a formula."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    bold = Font(bold=True)
    for section in report.sections:
        sheet = book.create_sheet((section.sheet or section.title)[:31])
        sheet.append([f"{section.title}: {report.partnership.name}, {report.quarter.short} ({report.quarter.label})"])
        sheet["A1"].font = bold
        sheet.append(section.columns)
        for cell in sheet[2]:
            cell.font = bold
        for row in section.rows:
            sheet.append([v if isinstance(v, int | float | date) or v is None else str(v) for v in row])
            for cell in sheet[sheet.max_row]:
                if cell.data_type == "f":
                    cell.data_type = "s"  # openpyxl would store it as a formula
    book.save(target)


def report_download(request, fmt: str):
    partnership, _ = _partnership(request)
    quarter, _ = _quarter(request, partnership)
    report = learning_report.build_learning_report(partnership, quarter)
    filename = f"learning-report-{partnership.slug}-{quarter.slug}.{fmt}"
    # An export like any other: recorded, listed in "Past exports", within the hourly limit.
    try:
        exports.learning_report_export_record(
            user=request.user, ip_address=client_ip(request), fmt=fmt, partnership=partnership, quarter=quarter
        )
    except exports.ExportLimitReached as limit:
        return limit_reached(request, limit)
    if fmt == "csv":
        response = HttpResponse(report_csv(report), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    target = tempfile.TemporaryFile()
    report_xlsx(report, target)
    target.seek(0)
    return FileResponse(target, as_attachment=True, filename=filename, content_type=XLSX_TYPE)


def report_csv_view(request):
    return report_download(request, "csv")


def report_xlsx_view(request):
    return report_download(request, "xlsx")


# --- audit samples --------------------------------------------------------------------------------------


class DrawSampleForm(forms.Form):
    size = forms.IntegerField(
        label="How many closed escalations to sample",
        min_value=1,
        max_value=audit_sample.MAX_SAMPLE,
        initial=10,
        error_messages={
            "required": "Enter how many escalations to sample",
            "invalid": "Enter the sample size as a whole number, like 10",
            "min_value": "The sample must hold at least 1 escalation",
            "max_value": f"The sample can hold at most {audit_sample.MAX_SAMPLE} escalations",
        },
    )
    note = forms.CharField(
        label="Note (optional)", required=False, max_length=200, help_text="For example, 'Quarter 3 audit'"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field.text("size", field_width=Fixed.FIVE),
            Field.text("note", field_width=Fixed.TWENTY),
            Submit("draw", "Draw a random sample"),
        )


def audit_index(request):
    partnership, _ = _partnership(request)
    may_sample = audit_sample.may_sample(request.user, partnership)
    form = DrawSampleForm(request.POST or None)
    if request.method == "POST":
        if not may_sample:
            raise PermissionDenied
        if form.is_valid():
            try:
                sample = audit_sample.audit_sample_draw(
                    partnership=partnership,
                    acting_user=request.user,
                    size=form.cleaned_data["size"],
                    note=form.cleaned_data["note"],
                )
            except EscalationError as refusal:
                form.add_error("size", str(refusal))
            else:
                messages.success(request, f"Drew a random sample of {sample.size} closed escalations.")
                return redirect("dashboard:audit-sample", public_id=sample.public_id)
    return render(
        request,
        "dashboard/audit_index.html",
        {
            "partnership": partnership,
            "form": form,
            "may_sample": may_sample,
            "samples": audit_sample.samples_for(partnership),
            "available": audit_sample.sample_population(partnership).count(),
            "max_sample": audit_sample.MAX_SAMPLE,
        },
    )


def _sample(request, public_id, roles=dashboard.OVERSIGHT_ROLES) -> AuditSample:
    partnerships = dashboard.oversight_partnerships(request.user, roles)
    if not partnerships:
        raise PermissionDenied
    return get_object_or_404(
        AuditSample.objects.select_related("partnership", "created_by"),
        public_id=public_id,
        partnership__in=partnerships,
    )


def audit_sample_page(request, public_id):
    sample = _sample(request, public_id)
    checks = list(audit_sample.checks_for(sample))
    return render(
        request,
        "dashboard/audit_sample.html",
        {
            "sample": sample,
            "checks": checks,
            "checked": sum(c.result != AuditResult.PENDING for c in checks),
            "may_record": audit_sample.may_sample(request.user, sample.partnership),
        },
    )


class AuditCheckForm(forms.Form):
    result = forms.ChoiceField(
        label="Was the escalation policy followed?",
        choices=[c for c in AuditResult.choices if c[0] != AuditResult.PENDING],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether the policy was followed"},
    )
    notes = forms.CharField(
        label="Notes",
        required=False,
        widget=forms.Textarea,
        help_text="What was done well, what was missing, and any action for the agencies.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field.radios("result", legend_size=Size.MEDIUM),
            Field.textarea("notes", rows=6),
            Submit("record", "Record the result"),
        )

    def clean(self):
        data = super().clean()
        if data.get("result") in (AuditResult.PARTLY, AuditResult.NOT_MET) and not data.get("notes", "").strip():
            self.add_error("notes", "Enter notes saying what was missing or not followed")
        return data


def audit_check_page(request, public_id):
    sample = _sample(request, public_id, roles=audit_sample.SAMPLERS)
    check = get_object_or_404(
        AuditCheck.objects.select_related(
            "escalation__raising_agency", "escalation__receiving_agency", "escalation__resolution"
        ),
        sample=sample,
        escalation__public_id=_uuid_or_404(request.GET.get("case")),
    )
    check.sample = sample
    initial = {"result": check.result, "notes": check.notes} if check.result != AuditResult.PENDING else None
    form = AuditCheckForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            audit_sample.audit_check_record(
                check=check,
                acting_user=request.user,
                result=form.cleaned_data["result"],
                notes=form.cleaned_data["notes"],
            )
        except EscalationError as refusal:
            form.add_error("result", str(refusal))
        else:
            messages.success(request, f"Recorded the audit result for {check.escalation.reference}.")
            return redirect("dashboard:audit-sample", public_id=sample.public_id)
    occurrences = list(check.escalation.occurrences.select_related("policy_stage").order_by("number"))
    return render(
        request,
        "dashboard/audit_check.html",
        {
            "sample": sample,
            "check": check,
            "form": form,
            "occurrences": occurrences,
            "checklist": audit_sample.CHECKLIST,
        },
    )


def _uuid_or_404(value):
    import uuid

    try:
        return uuid.UUID(str(value))
    except ValueError as exc:
        raise Http404("No such case in this sample") from exc
