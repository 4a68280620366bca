from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Submit
from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator

from partnerships.choices import Nation, TimescaleUnit, Urgency


class DeadlineCalculatorForm(forms.Form):
    start = forms.DateTimeField(
        widget=forms.TextInput,  # crispy-forms-gds styles text inputs, not date inputs
        label="When does the clock start?",
        help_text="London time, for example 23/12/2026 10:00",
        input_formats=["%d/%m/%Y %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        error_messages={
            "required": "Enter when the clock starts",
            "invalid": "Enter the start as a date and time, like 23/12/2026 10:00",
        },
    )
    stage = forms.TypedChoiceField(
        label="Stage of your partnership's policy", coerce=int, required=False, empty_value=None
    )
    urgency = forms.ChoiceField(label="Urgency", choices=Urgency.choices, initial=Urgency.STANDARD)
    amount = forms.IntegerField(label="Or a timescale: how many", min_value=0, max_value=365, required=False)
    unit = forms.ChoiceField(label="Unit", choices=[("", "Choose a unit")] + TimescaleUnit.choices, required=False)
    nation = forms.ChoiceField(label="Bank holidays of", choices=Nation.choices, required=False)

    def __init__(self, *args, stages=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"].choices = [("", "No stage: use the timescale below")] + [
            (s.number, f"Stage {s.number}: {s.name}") for s in stages
        ]
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.add_input(Submit("calculate", "Work out the deadline"))

    def clean_start(self):
        start = self.cleaned_data["start"]
        if not 2000 <= start.year <= 2100:
            raise forms.ValidationError("Enter a start between the years 2000 and 2100")
        return start

    def clean(self):
        data = super().clean()
        if data.get("stage") is None and not data.get("unit"):
            self.add_error("stage", "Choose a stage, or give a timescale and its unit")
        if data.get("unit") and data.get("unit") != TimescaleUnit.SAME_WORKING_DAY and data.get("amount") is None:
            self.add_error("amount", "Enter how many")
        return data


class UsernameLengthEnforced:
    """Django's sign-in forms, with the username's length actually enforced. Django sets the
    field's max_length after the field is built, so no validator checks it, and an overlong
    name reached django-axes, whose record of the failed attempt cannot hold it (a 500 on
    PostgreSQL). A validation error stops the form before it authenticates: nothing is recorded."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        limit = self.fields["username"].max_length
        self.fields["username"].validators.append(
            MaxLengthValidator(limit, f"Enter a username of {limit} characters or fewer")
        )


class SignInForm(UsernameLengthEnforced, AuthenticationForm):
    """The service's sign-in page."""


class AdminSignInForm(UsernameLengthEnforced, AdminAuthenticationForm):
    """The admin's sign-in page (/admin/login/)."""
