"""The policy editor's forms: a draft version's settings, one stage, the calendar and signposts.

The models' own `clean()` checks the JSON-shaped fields, so a rule is stated once whether a
stage comes from the editor, a file or the admin. Lists of roles, audiences and arrangements
are checkboxes here, so nobody types a value the product does not know.
"""

from __future__ import annotations

from datetime import date, datetime

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Fieldset, Layout, Size, Submit
from django import forms

from partnerships.choices import (
    AGENCY_ROLE_ORDER,
    AgencyType,
    Audience,
    BreachTarget,
    Category,
    Event,
    Nation,
    PanelRule,
    Route,
    TimescaleUnit,
    Urgency,
)
from partnerships.models import Policy, PolicyStage

DATE_FORMATS = ["%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y"]
UNITS = [("", "No timescale")] + TimescaleUnit.choices


def _date_field(label, help_text=""):
    return forms.DateField(
        label=label,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        input_formats=DATE_FORMATS,
        help_text=help_text or "For example 31/03/2027",
        error_messages={"invalid": f"Enter the {label.lower()} as a date, like 31/03/2027"},
    )


def _checkboxes(label, choices, help_text=""):
    return forms.MultipleChoiceField(
        label=label, choices=choices, required=False, widget=forms.CheckboxSelectMultiple, help_text=help_text
    )


def _helper(*layout, submit="Save and return to the draft"):
    helper = FormHelper()
    helper.attrs = {"novalidate": ""}  # our own messages, not the browser's
    helper.layout = Layout(*layout)
    helper.add_input(Submit("save", submit))
    return helper


class PolicySettingsForm(forms.ModelForm):
    adopted_on = _date_field("Date adopted")
    review_by = _date_field("Review date", "The business manager is reminded once this date has passed")
    routes = _checkboxes("Routes past the stages the policy allows", Route.choices)

    class Meta:
        model = Policy
        fields = [
            "name",
            "summary",
            "source_title",
            "source_document",
            "change_summary",
            "adopted_on",
            "review_by",
            "default_timescale_amount",
            "default_timescale_unit",
            "warning_working_days",
            "auto_escalate_on_breach",
            "email_advice",
            "routes",
        ]
        labels = {
            "name": "Policy name",
            "source_title": "Title of the source document",
            "source_document": "Reference or file name of the source document",
            "change_summary": "What this version changes",
            "default_timescale_amount": "Default timescale: how many",
            "default_timescale_unit": "Default timescale: unit",
            "warning_working_days": "Warn the holders this many working days before a deadline",
            "auto_escalate_on_breach": "Escalate automatically when a deadline is missed",
            "email_advice": "Advice shown when a discussion is held by e-mail",
        }
        help_texts = {"default_timescale_amount": "Used for a stage that sets no timescale of its own"}
        widgets = {"summary": forms.Textarea(attrs={"rows": 3}), "email_advice": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].error_messages["required"] = "Enter the policy's name"
        self.helper = _helper(
            Field.text("name"),
            Field.textarea("summary"),
            Field.text("source_title"),
            Field.text("source_document"),
            Field.textarea("change_summary"),
            Field.text("adopted_on", field_width=10),
            Field.text("review_by", field_width=10),
            Fieldset(
                Field.text("default_timescale_amount", field_width=3),
                Field.select("default_timescale_unit"),
                Field.text("warning_working_days", field_width=3),
                Field.checkbox("auto_escalate_on_breach"),
                legend="Timescales",
                legend_size=Size.MEDIUM,
            ),
            Field.textarea("email_advice"),
            Field.checkboxes("routes"),
        )

    def clean(self):
        data = super().clean()
        adopted, review = data.get("adopted_on"), data.get("review_by")
        if adopted and review and review <= adopted:
            self.add_error("review_by", "The review date must be after the date adopted")
        return data


TIMESCALE_FIELDS = (
    ("timescale", "Standard timescale"),
    ("child_protection", "Child protection timescale (only ever shorter)"),
    ("immediate_risk", "Immediate risk timescale (only ever shorter)"),
)


class StageForm(forms.ModelForm):
    """One stage of a draft; notifications and per-agency timescales are spread into fields."""

    raiser_roles = _checkboxes(
        "Who holds it in the raising agency",
        [(r.value, r.label) for r in AGENCY_ROLE_ORDER],
        "None ticked: the role of the raiser's tier",
    )
    receiver_roles = _checkboxes(
        "Who holds it in the receiving agency",
        [(r.value, r.label) for r in AGENCY_ROLE_ORDER],
        "None ticked: the role of the receiver's tier",
    )
    joined_when_about = _checkboxes(
        "Only when the disagreement is about",
        Category.choices,
        "None ticked: whatever the disagreement is about",
    )
    joined_at_urgency = _checkboxes(
        "Only when the disagreement is",
        Urgency.choices,
        "None ticked: at every urgency",
    )
    joiner_roles = _checkboxes(
        "Who takes part in the joining agency",
        [(r.value, r.label) for r in AGENCY_ROLE_ORDER],
        "None ticked: this stage's roles above practitioner",
    )
    breach_targets = _checkboxes("Who is told when its deadline is missed", BreachTarget.choices)
    panel_alternatives = _checkboxes(
        "Other arrangements the policy allows", [c for c in PanelRule.choices if c[0] != PanelRule.NONE]
    )

    class Meta:
        model = PolicyStage
        fields = [
            "name",
            "guidance",
            "raiser_tier",
            "receiver_tier",
            "timescale_amount",
            "timescale_unit",
            "child_protection_amount",
            "child_protection_unit",
            "immediate_risk_amount",
            "immediate_risk_unit",
            "clock_starts",
            "met_by",
            "acknowledgement_required",
            "evidence_of_previous_stage_required",
            "raiser_roles",
            "receiver_roles",
            "holder_agency_type",
            "joined_by_agency_type",
            "joined_when_about",
            "joined_at_urgency",
            "joiner_roles",
            "breach_targets",
            "is_partnership_stage",
            "panel_rule",
            "panel_min_agencies",
            "panel_alternatives",
        ]
        labels = {
            "name": "Stage name",
            "raiser_tier": "Tier of the raising side",
            "receiver_tier": "Tier of the receiving side",
            "clock_starts": "When the clock starts",
            "met_by": "What meets the timescale",
            "acknowledgement_required": "The stage must be acknowledged",
            "evidence_of_previous_stage_required": "Evidence of the previous stage is required to escalate to it",
            "holder_agency_type": "Held in the partnership's agency of this type",
            "joined_by_agency_type": "Also held by the partnership's agency of this type",
            "is_partnership_stage": "This is the partnership stage (it must be the last)",
            "panel_rule": "How the partnership stage is arranged",
            "panel_min_agencies": "Fewest agencies on the panel",
        }
        widgets = {"guidance": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].error_messages["required"] = "Enter the stage's name"
        for key, label in TIMESCALE_FIELDS:
            self.fields[f"{key}_amount"].label = f"{label}: how many"
            self.fields[f"{key}_unit"].label = f"{label}: unit"
            self.fields[f"{key}_unit"].choices = UNITS
            self.fields[f"{key}_amount"].min_value = 0
            self.fields[f"{key}_amount"].error_messages["min_value"] = "A timescale cannot be negative"
        self.fields["receiver_tier"].choices = [("", "The other agency takes no part yet")] + list(
            self.fields["receiver_tier"].choices
        )[1:]
        self.fields["holder_agency_type"].choices = [("", "The two agencies in the disagreement")] + list(
            self.fields["holder_agency_type"].choices
        )[1:]
        self.fields["joined_by_agency_type"].choices = [("", "No other agency")] + list(
            self.fields["joined_by_agency_type"].choices
        )[1:]
        self.fields[
            "joined_by_agency_type"
        ].help_text = "When it is not one of the two agencies, its people in this stage's roles hold the stage too"
        notify = self.instance.notify or {}
        notify_fields = []
        for event in Event:
            name = f"notify_{event.value}"
            self.fields[name] = _checkboxes(f"Also told when: {event.label.lower()}", Audience.choices)
            self.initial.setdefault(name, notify.get(event.value, []))
            notify_fields.append(Field.checkboxes(name, small=True))
        by_type = self.instance.receiving_agency_timescales or {}
        type_fields = []
        for kind in AgencyType:
            amount, unit = by_type.get(kind.value, (None, ""))
            self.fields[f"other_{kind.value}_amount"] = forms.IntegerField(
                label=f"Where the other agency is {kind.label.lower()}: how many",
                required=False,
                min_value=0,
                error_messages={"min_value": "A timescale cannot be negative", "invalid": "Enter a whole number"},
            )
            self.fields[f"other_{kind.value}_unit"] = forms.ChoiceField(
                label=f"Where the other agency is {kind.label.lower()}: unit", choices=UNITS, required=False
            )
            self.initial.setdefault(f"other_{kind.value}_amount", amount)
            self.initial.setdefault(f"other_{kind.value}_unit", unit)
            type_fields += [
                Field.text(f"other_{kind.value}_amount", field_width=3),
                Field.select(f"other_{kind.value}_unit"),
            ]
        timescales = []
        for key, _label in TIMESCALE_FIELDS:
            timescales += [Field.text(f"{key}_amount", field_width=3), Field.select(f"{key}_unit")]
        self.helper = _helper(
            Field.text("name"),
            Field.textarea("guidance"),
            Fieldset(
                Field.select("raiser_tier"),
                Field.checkboxes("raiser_roles", small=True),
                Field.select("receiver_tier"),
                Field.checkboxes("receiver_roles", small=True),
                Field.select("holder_agency_type"),
                Field.select("joined_by_agency_type"),
                Field.checkboxes("joined_when_about", small=True),
                Field.checkboxes("joined_at_urgency", small=True),
                Field.checkboxes("joiner_roles", small=True),
                legend="Who holds the stage",
                legend_size=Size.MEDIUM,
            ),
            Fieldset(
                *timescales,
                Field.select("clock_starts"),
                Field.select("met_by"),
                Field.checkbox("acknowledgement_required"),
                Field.checkbox("evidence_of_previous_stage_required"),
                legend="The timed step",
                legend_size=Size.MEDIUM,
            ),
            Fieldset(
                *type_fields,
                legend="Tighter timescales by the other agency's type",
                legend_size=Size.MEDIUM,
            ),
            Fieldset(
                Field.checkboxes("breach_targets", small=True),
                *notify_fields,
                legend="Who is told",
                legend_size=Size.MEDIUM,
            ),
            Fieldset(
                Field.checkbox("is_partnership_stage"),
                Field.select("panel_rule"),
                Field.text("panel_min_agencies", field_width=3),
                Field.checkboxes("panel_alternatives", small=True),
                legend="The partnership stage",
                legend_size=Size.MEDIUM,
            ),
        )

    def clean(self):
        data = super().clean()
        for key, label in TIMESCALE_FIELDS:
            amount, unit = data.get(f"{key}_amount"), data.get(f"{key}_unit")
            if unit and unit != TimescaleUnit.SAME_WORKING_DAY and amount is None:
                self.add_error(f"{key}_amount", f"Enter how many for the {label.lower()}")
        return data

    def _post_clean(self):
        # The spread fields go back into the model's JSON before its own clean() checks them.
        data = self.cleaned_data
        self.instance.notify = {e.value: data[f"notify_{e.value}"] for e in Event if data.get(f"notify_{e.value}")}
        by_type = {}
        for kind in AgencyType:
            amount, unit = data.get(f"other_{kind.value}_amount"), data.get(f"other_{kind.value}_unit")
            if unit:
                by_type[kind.value] = [amount if amount is not None else 0, unit]
            elif amount is not None:
                self.add_error(f"other_{kind.value}_unit", "Choose the unit of this timescale")
        self.instance.receiving_agency_timescales = by_type
        for key, _label in TIMESCALE_FIELDS:
            if data.get(f"{key}_unit") == TimescaleUnit.SAME_WORKING_DAY and data.get(f"{key}_amount") is None:
                data[f"{key}_amount"] = 0
            if not data.get(f"{key}_unit"):
                data[f"{key}_amount"] = None
        super()._post_clean()


class CalendarForm(forms.Form):
    nation = forms.ChoiceField(label="Bank holidays of", choices=Nation.choices)
    opens = forms.TimeField(label="Offices open at", input_formats=["%H:%M"], help_text="For example 09:00")
    closes = forms.TimeField(label="Offices close at", input_formats=["%H:%M"], help_text="For example 17:00")
    hold_out_of_hours_email = forms.BooleanField(
        label="Hold e-mails sent outside working hours until the next opening (urgent cases are never held)",
        required=False,
    )
    closure_days = forms.CharField(
        label="Closure days beyond bank holidays",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="One a line: the date, then the reason. For example: 24/12/2026 Christmas Eve closure",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("opens", "closes"):
            self.fields[name].error_messages["invalid"] = "Enter a time like 09:00"
        self.helper = _helper(
            Field.select("nation"),
            Field.text("opens", field_width=5),
            Field.text("closes", field_width=5),
            Field.checkbox("hold_out_of_hours_email"),
            Field.textarea("closure_days"),
        )

    def clean_closure_days(self):
        days, errors = [], []
        for number, line in enumerate(self.cleaned_data["closure_days"].splitlines(), start=1):
            if not line.strip():
                continue
            first, _, reason = line.strip().partition(" ")
            parsed = None
            for fmt in DATE_FORMATS:
                try:
                    parsed = datetime.strptime(first, fmt).date()
                    break
                except ValueError:
                    continue
            if parsed is None:
                errors.append(f"Line {number}: start with a date like 24/12/2026")
            elif not reason.strip():
                errors.append(f"Line {number}: give the reason after the date")
            else:
                days.append({"date": parsed.isoformat(), "reason": reason.strip()})
        if errors:
            raise forms.ValidationError(errors)
        return days

    def clean(self):
        data = super().clean()
        if data.get("opens") and data.get("closes") and data["opens"] >= data["closes"]:
            self.add_error("closes", "The closing time must be after the opening time")
        return data

    @staticmethod
    def initial_from(calendar: dict) -> dict:
        lines = [f"{date.fromisoformat(d['date']):%d/%m/%Y} {d['reason']}" for d in calendar.get("closure_days", [])]
        return {**calendar, "closure_days": "\n".join(lines)}

    def as_settings(self) -> dict:
        data = self.cleaned_data
        return {
            "nation": data["nation"],
            "opens": data["opens"].strftime("%H:%M"),
            "closes": data["closes"].strftime("%H:%M"),
            "hold_out_of_hours_email": data["hold_out_of_hours_email"],
            "closure_days": data["closure_days"],
        }


class SignpostsForm(forms.Form):
    front_door_phone = forms.CharField(label="Children's services front door phone", required=False, max_length=100)
    emergency_duty_phone = forms.CharField(label="Emergency duty team phone", required=False, max_length=100)
    lado_phone = forms.CharField(label="LADO phone", required=False, max_length=100)
    lado_email = forms.EmailField(
        label="LADO e-mail",
        required=False,
        error_messages={"invalid": "Enter an e-mail address like lado@example.gov.uk"},
    )
    whistleblowing_advice = forms.CharField(
        label="Whistleblowing advice", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(*[Field.text(n) for n in list(self.fields)[:4]], Field.textarea("whistleblowing_advice"))


class StartDraftForm(forms.Form):
    source = forms.ChoiceField(
        label="Start the new version from",
        widget=forms.RadioSelect,
        error_messages={"required": "Choose where to start from"},
    )

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = choices
        self.helper = _helper(Field.radios("source", legend_size=Size.MEDIUM), submit="Start a draft")


class PreviewForm(forms.Form):
    start = forms.DateTimeField(
        widget=forms.TextInput,
        label="When does the disagreement start?",
        help_text="London time, for example 23/12/2026 10:00",
        input_formats=["%d/%m/%Y %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        error_messages={
            "required": "Enter when the disagreement starts",
            "invalid": "Enter the start as a date and time, like 23/12/2026 10:00",
        },
    )
    urgency = forms.ChoiceField(label="Urgency", choices=Urgency.choices, initial=Urgency.STANDARD)
    other_agency = forms.ChoiceField(
        label="The other agency is", choices=[("", "Any agency")] + AgencyType.choices, required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        helper = FormHelper()
        helper.form_method = "get"
        helper.layout = Layout(
            Field.text("start", field_width=20), Field.select("urgency"), Field.select("other_agency")
        )
        helper.add_input(Submit("preview", "Preview the deadlines"))
        self.helper = helper

    def clean_start(self):
        start = self.cleaned_data["start"]
        if not 2000 <= start.year <= 2100:
            raise forms.ValidationError("Enter a start between the years 2000 and 2100")
        return start


class PublishForm(forms.Form):
    MOVE, KEEP = "move", "keep"
    open_cases = forms.ChoiceField(
        label="What happens to disagreements already running?",
        widget=forms.RadioSelect,
        choices=[
            (KEEP, "They keep the version they started on"),
            (
                MOVE,
                "Move them onto this version: their open stage's deadline is worked out again and the move is "
                "recorded on each child's file",
            ),
        ],
        initial=KEEP,
        error_messages={"required": "Choose what happens to disagreements already running"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(Field.radios("open_cases", legend_size=Size.MEDIUM), submit="Publish this version")
