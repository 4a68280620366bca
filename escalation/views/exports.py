"""The export page: a GOV.UK form of filters that downloads CSV, XLSX or JSON, and the
record of past exports for business managers and auditors."""

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Fieldset, Fixed, Layout, Size, Submit
from django import forms
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone

from escalation import exports
from escalation.forms import date_filter_field
from escalation.states import Category, State
from partnerships.choices import Urgency
from partnerships.models import Agency, PolicyStage

FORMAT_CHOICES = [
    ("csv", "CSV: one row per escalation, for a spreadsheet"),
    ("xlsx", "Excel workbook (XLSX): one row per escalation"),
    ("json", "JSON: the full record of each escalation, including children, stages and the child's file"),
]


class GovukRadioSelect(forms.RadioSelect):
    """The error summary links to the first radio, which crispy-forms-gds numbers from 1."""

    def id_for_label(self, id_, index=None):
        return f"{id_}_1" if id_ and index is None else super().id_for_label(id_, index)


def _stage_label(number: int, names: set[str]) -> str:
    if len(names) != 1:
        return f"Stage {number}"  # partnerships whose policies name this stage differently
    name = next(iter(names))
    return name if name.lower().startswith(f"stage {number}") else f"Stage {number}: {name}"


class ExportForm(forms.Form):
    partnership = forms.ChoiceField(
        label="Partnership", error_messages={"required": "Choose the partnership to export"}
    )
    raised_from = date_filter_field("Raised on or after (optional)", "'raised on or after'")
    raised_to = date_filter_field("Raised on or before (optional)", "'raised on or before'")
    agency = forms.ModelChoiceField(
        queryset=Agency.objects.none(),
        to_field_name="public_id",
        required=False,
        label="Agency (optional)",
        help_text="Escalations it raised or received",
        empty_label="Any agency",
        error_messages={"invalid_choice": "Choose an agency from the list"},
    )
    category = forms.ChoiceField(
        label="Category (optional)", choices=[("", "Any category")] + Category.choices, required=False
    )
    urgency = forms.ChoiceField(
        label="Urgency (optional)", choices=[("", "Any urgency")] + Urgency.choices, required=False
    )
    state = forms.ChoiceField(label="State (optional)", choices=[("", "Any state")] + State.choices, required=False)
    stage = forms.TypedChoiceField(label="Stage reached (optional)", coerce=int, empty_value=None, required=False)
    format = forms.ChoiceField(
        label="Format",
        choices=FORMAT_CHOICES,
        widget=GovukRadioSelect,
        initial="csv",
        error_messages={"required": "Choose a format for the export"},
    )

    def __init__(self, *args, partnerships, **kwargs):
        super().__init__(*args, **kwargs)
        self.partnerships = {p.slug: p for p in partnerships}
        many = len(partnerships) > 1
        if many:
            self.fields["partnership"].choices = [("", "Choose a partnership")] + [
                (p.slug, p.name) for p in partnerships
            ]
        else:
            # One partnership: nothing to choose.
            del self.fields["partnership"]
        agencies = Agency.objects.filter(partnership__in=partnerships).select_related("partnership")
        self.fields["agency"].queryset = agencies.order_by("partnership__name", "name")
        if many:
            self.fields["agency"].label_from_instance = lambda a: f"{a.name} ({a.partnership.name})"
        stages = PolicyStage.objects.filter(policy__partnerships__in=partnerships).order_by("number")
        names = {}
        for stage in stages:
            names.setdefault(stage.number, set()).add(stage.name)
        self.fields["stage"].choices = [("", "Any stage")] + [
            (number, _stage_label(number, n)) for number, n in names.items()
        ]
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            *([Field.select("partnership")] if many else []),
            Fieldset(
                Field.text("raised_from", field_width=Fixed.TEN),
                Field.text("raised_to", field_width=Fixed.TEN),
                legend="When the escalation was raised",
                legend_size=Size.SMALL,
            ),
            Field.select("agency"),
            Field.select("category"),
            Field.select("urgency"),
            Field.select("state"),
            Field.select("stage"),
            Field.radios("format", legend_size=Size.SMALL),
        )
        self.helper.add_input(Submit("download", "Download export"))

    def clean(self):
        data = super().clean()
        start, end = data.get("raised_from"), data.get("raised_to")
        if start and end and end < start:
            self.add_error("raised_to", "The 'raised on or before' date must be the same as or after the other date")
        partnership = self.chosen_partnership()
        agency = data.get("agency")
        if partnership is not None and agency is not None and agency.partnership_id != partnership.pk:
            self.add_error("agency", "Choose an agency in the partnership you are exporting")
        return data

    def chosen_partnership(self):
        if "partnership" not in self.fields:
            return next(iter(self.partnerships.values()))
        return self.partnerships.get(self.cleaned_data.get("partnership") or "")

    def export_filter(self) -> exports.ExportFilter:
        data = self.cleaned_data
        return exports.ExportFilter(
            partnership=self.chosen_partnership(),
            raised_from=data.get("raised_from"),
            raised_to=data.get("raised_to"),
            agency=data.get("agency"),
            category=data.get("category") or "",
            urgency=data.get("urgency") or "",
            state=data.get("state") or "",
            stage=data.get("stage"),
        )


def limit_reached(request, limit: exports.ExportLimitReached):
    """429: the hourly export limit, with when the person may export again."""
    response = render(
        request,
        "exports/too_many.html",
        {"limit": limit.limit, "retry_at": timezone.localtime(limit.retry_at)},
        status=429,
    )
    response["Retry-After"] = str(max(int((limit.retry_at - timezone.now()).total_seconds()), 1))
    return response


def export_page(request):
    partnerships = exports.export_partnerships(request.user)
    if not partnerships:
        raise PermissionDenied
    form = ExportForm(request.POST or None, partnerships=partnerships)
    if request.method == "POST" and form.is_valid():
        try:
            return exports.export_response(request, fmt=form.cleaned_data["format"], export_filter=form.export_filter())
        except exports.ExportLimitReached as limit:
            return limit_reached(request, limit)
    readable = exports.export_log_partnerships(request.user)
    history = None
    if readable:
        page = Paginator(exports.export_history(readable), 20).get_page(request.GET.get("page"))
        page.object_list = [exports.PastExport.from_log(log) for log in page.object_list]
        history = page
    return render(
        request,
        "exports/index.html",
        {
            "form": form,
            "partnerships": partnerships,
            "history": history,
            "page": history,
            "per_hour": exports.exports_per_hour(),
            "show_partnership": len(readable) > 1,
        },
    )
