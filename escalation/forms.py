"""Forms for the escalation pages. Validation messages follow the GOV.UK style."""

import re
from datetime import date, timedelta

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Fieldset, Layout, Size, Submit
from django import forms
from django.contrib.auth import get_user_model
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone

from cases.models import Child, ContinuumOfNeed
from escalation.states import ActionStatus, Category, DeliveryMethod, DiscussionMethod
from partnerships.choices import Route, Urgency

DATE_FORMATS = ["%d/%m/%Y", "%Y-%m-%d", "%d %m %Y"]
DATETIME_FORMATS = ["%d/%m/%Y %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]

# A filter by date raised takes dates in this range: wide enough for any record, narrow enough
# that the day after (the end of a "to" date) and the time zone's offset stay inside Python's
# and the database's calendars (31/12/9999 overflowed them: a 500).
EARLIEST_FILTER_DATE = date(1900, 1, 1)
LATEST_FILTER_DATE = date(2100, 12, 31)


def date_filter_field(label: str, which: str) -> forms.DateField:
    """A "raised on or after / before" filter: a typed date, refused outside the calendar's safe range."""
    between = f"Enter the {which} date between {EARLIEST_FILTER_DATE:%d/%m/%Y} and {LATEST_FILTER_DATE:%d/%m/%Y}"
    return forms.DateField(
        label=label,
        # A plain text input: crispy-forms-gds styles TextInput (govuk-input and its error state), not DateInput.
        widget=forms.TextInput,
        help_text="For example 01/04/2026",
        required=False,
        input_formats=DATE_FORMATS,
        validators=[
            MinValueValidator(EARLIEST_FILTER_DATE, message=between),
            MaxValueValidator(LATEST_FILTER_DATE, message=between),
        ],
        error_messages={"invalid": f"Enter the {which} date as a real date, like 01/04/2026"},
    )


def helper(button: str, *fields, warning=False) -> FormHelper:
    h = FormHelper()
    h.form_tag = False
    h.disable_csrf = True
    if fields:
        h.layout = Layout(*fields)
    h.add_input(Submit("submit", button, css_class="govuk-button--warning" if warning else ""))
    return h


def required(message: str) -> dict:
    return {"required": message}


class LengthLimitsInWords:
    """GOV.UK's way with a length limit: a message naming the field, and a textarea the browser
    does not cut short (no maxlength), so a long paste comes back whole with the message, to be
    edited down rather than lost. Fields a form adds in its own __init__ get the message when it
    is validated."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._limits_in_words()

    def full_clean(self):
        self._limits_in_words()
        super().full_clean()

    def _limits_in_words(self):
        for field in self.fields.values():
            limit = getattr(field, "max_length", None)
            if not isinstance(field, forms.CharField) or not limit:
                continue
            # "(optional)", "(if you ticked the box)": a trailing aside is not part of the question.
            label = re.sub(r"\s*\([^()]*\)$", "", str(field.label or "This answer")).replace("%", "%%")
            named = f"Your answer to ‘{label}’" if label.endswith("?") else label
            too_long = f"{named} must be {limit:,} characters or fewer (it has %(show_value)d)"
            field.error_messages["max_length"] = too_long
            if isinstance(field.widget, forms.Textarea):
                field.widget.attrs.pop("maxlength", None)


class ChildSearchForm(forms.Form):
    q = forms.CharField(
        label="Child's name, date of birth or local reference",
        help_text="For example Ellie Hart, 14/03/2015 or a case number",
        max_length=100,
        error_messages=required("Enter a name, date of birth or local reference"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.layout = Layout(Field.text("q"))
        self.helper.add_input(Submit("search", "Search"))


class ChildForm(LengthLimitsInWords, forms.ModelForm):
    date_of_birth = forms.DateField(
        widget=forms.TextInput,  # crispy-forms-gds styles text inputs, not date inputs
        label="Date of birth",
        help_text="For example 14/03/2015",
        input_formats=DATE_FORMATS,
        error_messages={
            "required": "Enter the child's date of birth",
            "invalid": "Enter the date of birth as a real date, like 14/03/2015",
        },
    )

    class Meta:
        model = Child
        fields = [
            "first_name",
            "last_name",
            "date_of_birth",
            "local_reference",
            "parents_carers",
            "lead_practitioner",
            "lead_agency",
            "continuum_of_need",
        ]
        labels = {
            "first_name": "First name",
            "last_name": "Last name",
            "local_reference": "Local reference (optional)",
            "parents_carers": "Parents or carers (optional)",
            "lead_practitioner": "Lead practitioner (optional)",
            "lead_agency": "Lead agency (optional)",
            "continuum_of_need": "Continuum of need level (optional)",
        }
        error_messages = {
            "first_name": required("Enter the child's first name"),
            "last_name": required("Enter the child's last name"),
        }
        widgets = {"parents_carers": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, partnership=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["continuum_of_need"].choices = [("", "Not known")] + ContinuumOfNeed.choices
        # The resolution record names the lead practitioner "& agency": one of this partnership's.
        lead = self.fields["lead_agency"]
        lead.queryset = lead.queryset.filter(partnership=partnership) if partnership else lead.queryset.none()
        lead.empty_label = "Not known"
        self.helper = helper("Add child and continue")

    def clean_date_of_birth(self):
        dob = self.cleaned_data["date_of_birth"]
        if dob > timezone.localdate():
            raise forms.ValidationError("The date of birth must be today or in the past")
        return dob


# Where a disagreement may go when it is unsafe to raise it within the raiser's own agency:
# (what it is called, who that is), in the order offered.
UNSAFE_ROUTE_CHOICES = {
    Route.UNSAFE_WITHIN_AGENCY: ("Straight to the partnership", "(its business manager and chair)"),
    Route.EXTERNAL_MANAGERS: (
        "Straight to the other agency's managers",
        "(the managers of the agency you disagree with)",
    ),
}


class RaiseForm(LengthLimitsInWords, forms.Form):
    children = forms.ModelMultipleChoiceField(
        queryset=Child.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        to_field_name="public_id",
        label="Which children is this about?",
        error_messages=required("Select at least one child"),
    )
    receiving_agency = forms.ModelChoiceField(
        queryset=None,
        label="Which agency do you disagree with?",
        empty_label="Choose an agency",
        error_messages=required("Choose the agency you disagree with"),
    )
    receiving_professional = forms.CharField(
        label="Name and role of the professional (optional)", max_length=200, required=False
    )
    category = forms.ChoiceField(
        label="What is the disagreement about?",
        choices=Category.choices,
        widget=forms.RadioSelect,
        error_messages=required("Select what the disagreement is about"),
    )
    concern = forms.CharField(
        label="What is the concern?",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        error_messages=required("Enter what the concern is"),
    )
    why_unsafe = forms.CharField(
        label="Why do you believe the decision or practice is unsafe or inappropriate?",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        error_messages=required("Enter why you believe it is unsafe or inappropriate"),
    )
    outcome_sought = forms.CharField(
        label="What outcome are you seeking?",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        error_messages=required("Enter the outcome you are seeking"),
    )
    urgency = forms.ChoiceField(
        label="How urgent is it?",
        choices=Urgency.choices,
        widget=forms.RadioSelect,
        initial=Urgency.STANDARD,
        error_messages=required("Select how urgent it is"),
    )

    def __init__(self, *args, children_qs, agencies_qs, unsafe_routes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["children"].queryset = children_qs
        self.fields["children"].label_from_instance = lambda c: f"{c.full_name}, born {c.date_of_birth:%d/%m/%Y}"
        self.fields["receiving_agency"].queryset = agencies_qs
        layout = [
            Fieldset(Field.checkboxes("children"), legend="Children", legend_size=Size.MEDIUM),
            Field("receiving_agency"),
            Field.text("receiving_professional"),
            Field.radios("category"),
            Field.textarea("concern"),
            Field.textarea("why_unsafe"),
            Field.textarea("outcome_sought"),
            Field.radios("urgency"),
        ]
        self.unsafe_routes = unsafe_routes = [r for r in UNSAFE_ROUTE_CHOICES if r in unsafe_routes]
        if unsafe_routes:
            # Bromley: "If staff feel unsafe raising concerns within their own agency, they may
            # escalate directly to external managers, or request escalation via BSCP."
            label = "It is not safe to raise this within my own agency"
            if len(unsafe_routes) == 1:
                label += f": send it {UNSAFE_ROUTE_CHOICES[unsafe_routes[0]][0].lower()}"
            self.fields["unsafe_within_agency"] = forms.BooleanField(label=label, required=False)
            layout.append(Field.checkbox("unsafe_within_agency"))
            if len(unsafe_routes) > 1:
                self.fields["unsafe_goes_to"] = forms.ChoiceField(
                    label="Where should it go instead? (if you ticked the box)",
                    choices=[(r.value, " ".join(UNSAFE_ROUTE_CHOICES[r])) for r in unsafe_routes],
                    widget=forms.RadioSelect,
                    initial=Route.UNSAFE_WITHIN_AGENCY.value,
                    required=False,
                )
                layout.append(Field.radios("unsafe_goes_to", small=True))
            self.fields["unsafe_reason"] = forms.CharField(
                label="Why is it not safe to raise within your own agency? (if you ticked the box)",
                help_text="Whoever it goes to will read this",
                widget=forms.Textarea(attrs={"rows": 3}),
                max_length=2000,
                required=False,
            )
            layout.append(Field.textarea("unsafe_reason"))
        self.helper = helper("Raise disagreement", *layout)

    def clean(self):
        data = super().clean()
        if data.get("unsafe_within_agency") and not (data.get("unsafe_reason") or "").strip():
            self.add_error("unsafe_reason", "Enter why it is not safe to raise this within your own agency")
        return data

    def unsafe_route(self) -> Route | None:
        """The route around the raiser's own agency they chose, if they ticked the box (the
        partnership where the policy offers it and they left the choice as it was)."""
        if not self.cleaned_data.get("unsafe_within_agency"):
            return None
        chosen = self.cleaned_data.get("unsafe_goes_to")
        return Route(chosen) if chosen else self.unsafe_routes[0]


# A discussion is recorded after it happens; a few minutes' grace lets someone type the time from
# their own watch or phone, which may run ahead of the server's clock.
CLOCK_GRACE = timedelta(minutes=5)


class DiscussionForm(LengthLimitsInWords, forms.Form):
    held_at = forms.DateTimeField(
        widget=forms.TextInput,  # crispy-forms-gds styles text inputs, not date inputs
        label="When did the discussion take place?",
        help_text="For example 23/12/2026 14:30",
        input_formats=DATETIME_FORMATS,
        error_messages={
            "required": "Enter when the discussion took place",
            "invalid": "Enter the date and time like 23/12/2026 14:30",
        },
    )
    method = forms.ChoiceField(
        label="How was it held?",
        choices=DiscussionMethod.choices,
        widget=forms.RadioSelect,
        error_messages=required("Select how the discussion was held"),
    )
    participants = forms.CharField(
        label="Who took part?",
        help_text="Names, roles and agencies",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        error_messages=required("Enter who took part"),
    )
    areas_of_agreement = forms.CharField(
        label="Areas of agreement (optional)", widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=5000
    )
    areas_of_disagreement = forms.CharField(
        label="Areas of disagreement (optional)",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=5000,
    )
    outcome = forms.CharField(
        label="Outcome or decision",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        error_messages=required("Enter the outcome of the discussion"),
    )

    def __init__(self, *args, email_advice="", owners=None, **kwargs):
        super().__init__(*args, **kwargs)
        if email_advice:
            self.fields["method"].help_text = email_advice
        owners = owners if owners is not None else get_user_model().objects.none()
        for i in range(1, 4):
            self.fields[f"action_{i}_description"] = forms.CharField(
                label=f"Agreed action {i} (optional)", required=False, max_length=2000
            )
            # A person, not a name: their overdue notices and "action for you" reach them.
            self.fields[f"action_{i}_owner"] = OwnerChoiceField(
                queryset=owners,
                to_field_name="username",
                label=f"Who will do action {i}",
                help_text="They are told, and reminded if it becomes overdue",
                required=False,
                empty_label="Choose a person",
                error_messages={"invalid_choice": f"Choose who will do action {i} from the list"},
            )
            self.fields[f"action_{i}_due_on"] = forms.DateField(
                widget=forms.TextInput,  # crispy-forms-gds styles text inputs, not date inputs
                label=f"Action {i} to be done by",
                help_text="For example 08/01/2027",
                required=False,
                input_formats=DATE_FORMATS,
                error_messages={"invalid": f"Enter the date for action {i} like 08/01/2027"},
            )
        self.helper = helper("Save discussion")

    def clean(self):
        data = super().clean()
        held_at = data.get("held_at")
        if held_at and held_at > timezone.now() + CLOCK_GRACE:
            self.add_error("held_at", "The date and time of the discussion must be now or in the past")
            held_at = None
        for i in range(1, 4):
            due_on = data.get(f"action_{i}_due_on")
            if held_at and due_on and due_on < timezone.localtime(held_at).date():
                self.add_error(
                    f"action_{i}_due_on",
                    f"The date for action {i} must be the day of the discussion or later",
                )
            description = data.get(f"action_{i}_description")
            if description and not data.get(f"action_{i}_owner") and f"action_{i}_owner" not in self.errors:
                self.add_error(f"action_{i}_owner", f"Choose who will do action {i}")
            if description and not data.get(f"action_{i}_due_on") and f"action_{i}_due_on" not in self.errors:
                self.add_error(f"action_{i}_due_on", f"Enter when action {i} is to be done by")
        return data

    def actions(self) -> list[dict]:
        return [
            {
                "description": self.cleaned_data[f"action_{i}_description"],
                "owner": self.cleaned_data[f"action_{i}_owner"],
                "due_on": self.cleaned_data[f"action_{i}_due_on"],
            }
            for i in range(1, 4)
            if self.cleaned_data.get(f"action_{i}_description")
        ]


class OwnerChoiceField(forms.ModelChoiceField):
    """People by name, role and agency, as colleagues know them."""

    def label_from_instance(self, user):
        name = user.get_full_name() or user.get_username()
        held = getattr(user, "roles_here", [])
        roles = [f"{m.get_role_display().lower()}, {m.agency or m.partnership}" for m in held]
        return f"{name} ({'; '.join(roles)})" if roles else name


class ActionStatusForm(forms.Form):
    status = forms.ChoiceField(choices=ActionStatus.choices, widget=forms.RadioSelect, label="Status")


class EscalateForm(LengthLimitsInWords, forms.Form):
    evidence = forms.CharField(
        label="What was done to resolve it at this stage?",
        help_text="Who spoke to whom, when, and why it did not resolve the disagreement",
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=5000,
        required=False,
    )
    reason_not_met = forms.CharField(
        label="Why was the timescale for this stage not met?",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        required=False,
    )

    def __init__(self, *args, evidence_required=False, overdue=False, **kwargs):
        super().__init__(*args, **kwargs)
        if evidence_required:
            self.fields["evidence"].required = True
            self.fields["evidence"].error_messages["required"] = (
                "Describe what was done at this stage: the policy asks for this before moving on"
            )
        if not overdue:
            del self.fields["reason_not_met"]
        self.helper = helper("Escalate to the next stage")


class ResolveForm(LengthLimitsInWords, forms.Form):
    agreed_outcome = forms.CharField(
        label="Agreed written outcome",
        help_text="Include any action that follows from it",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        error_messages=required("Enter the agreed written outcome"),
    )
    issues_raised = forms.CharField(
        label="Issues raised (optional)", widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=5000
    )
    lessons_learnt = forms.CharField(
        label="Lessons learnt (optional)", widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=5000
    )
    policy_gaps = forms.CharField(
        label="Gaps or weaknesses in the partnership's policies or procedures (optional)",
        help_text="If this disagreement showed any, describe them: the partnership's chair will be told",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=5000,
    )
    main_reason = forms.ChoiceField(
        label="Main reason for the escalation",
        choices=Category.choices,
        widget=forms.RadioSelect,
        error_messages=required("Select the main reason for the escalation"),
    )
    practitioners_informed = forms.CharField(
        label="Which practitioners have been informed?",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        error_messages=required("Enter which practitioners have been informed"),
    )
    family_informed = forms.TypedChoiceField(
        label="Has the family been told the outcome?",
        choices=[("yes", "Yes"), ("no", "No")],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
        error_messages=required("Select whether the family has been told"),
    )
    family_not_informed_reason = forms.CharField(
        label="If not, why not?", widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000
    )
    case_review_recommended = forms.TypedChoiceField(
        label="Is a multi-agency case review recommended?",
        choices=[("yes", "Yes"), ("no", "No")],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
        error_messages=required("Select whether a multi-agency case review is recommended"),
    )
    method_of_delivery = forms.ChoiceField(
        label="How will the resolution record reach the partnership's business manager?",
        choices=DeliveryMethod.choices,
        initial=DeliveryMethod.SERVICE,
        widget=forms.RadioSelect,
        required=False,  # nothing chosen: through this service, which notifies the business manager
    )
    reason_not_met = forms.CharField(
        label="Why was the timescale for this stage not met?",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        required=False,
    )

    def __init__(self, *args, overdue=False, **kwargs):
        super().__init__(*args, **kwargs)
        if not overdue:
            del self.fields["reason_not_met"]  # nothing to explain: the stage is in time
        self.helper = helper("Record resolution")

    def clean(self):
        data = super().clean()
        data["method_of_delivery"] = data.get("method_of_delivery") or DeliveryMethod.SERVICE
        if data.get("family_informed") is False and not data.get("family_not_informed_reason", "").strip():
            self.add_error("family_not_informed_reason", "Enter why the family has not been told")
        return data


class ReasonForm(LengthLimitsInWords, forms.Form):
    reason = forms.CharField(
        label="Why is the disagreement being withdrawn?",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        error_messages=required("Enter why the disagreement is being withdrawn"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = helper("Withdraw disagreement", warning=True)


class UrgencyForm(LengthLimitsInWords, forms.Form):
    urgency = forms.ChoiceField(
        label="New urgency",
        choices=Urgency.choices,
        widget=forms.RadioSelect,
        error_messages=required("Select the new urgency"),
    )
    reason = forms.CharField(
        label="Why has the urgency changed?",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        error_messages=required("Enter why the urgency has changed"),
    )

    def __init__(self, *args, current=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.current = current
        self.helper = helper("Change urgency")

    def clean_urgency(self):
        urgency = self.cleaned_data["urgency"]
        if self.current and urgency == self.current:
            raise forms.ValidationError(
                f"It is already {Urgency(urgency).label.lower()}: choose another urgency", code="unchanged"
            )
        return urgency


class EmailFrequencyForm(forms.Form):
    frequency = forms.ChoiceField(
        label="When should we e-mail you about notifications that are not urgent?",
        help_text=(
            "Notifications about child protection or immediate risk, and about anything due before the "
            "next digest would reach you, are always e-mailed straight away."
        ),
        widget=forms.RadioSelect,
        error_messages=required("Select when we should e-mail you"),
    )

    def __init__(self, *args, **kwargs):
        from escalation.digest_models import EmailFrequency

        super().__init__(*args, **kwargs)
        self.fields["frequency"].choices = EmailFrequency.choices
        self.helper = helper("Save", Field.radios("frequency", legend_size=Size.MEDIUM, legend_tag="h1"))
