"""Forms for the partnership stage and the policies' routes past their stages."""

from django import forms
from django.utils import timezone

from escalation.forms import CLOCK_GRACE, DATETIME_FORMATS, LengthLimitsInWords, helper, required
from partnerships.choices import PanelRule


class DecisionForm(LengthLimitsInWords, forms.Form):
    decision = forms.CharField(
        label="The partnership's binding decision",
        help_text="Include the actions it sets, who does them and by when",
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=10000,
        error_messages=required("Enter the decision"),
    )

    def __init__(self, *args, partnership=True, **kwargs):
        super().__init__(*args, **kwargs)
        if not partnership:
            self.fields["decision"].label = "The binding decision"
        self.helper = helper("Record decision")


MAX_ID = 2**63 - 1


def _id_in_range(value) -> bool:
    try:
        return 0 < int(value) <= MAX_ID
    except (TypeError, ValueError):
        return False


class MembershipChoiceField(forms.ModelChoiceField):
    """A choice by primary key that turns an impossible id into a validation error, not a 500."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if not _id_in_range(value):
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class MembershipMultipleChoiceField(forms.ModelMultipleChoiceField):
    def _check_values(self, value):
        if any(not _id_in_range(v) for v in value):
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice", params={"value": "?"}
            )
        return super()._check_values(value)


class ReviewForm(LengthLimitsInWords, forms.Form):
    """Arranging the partnership stage: who chairs or decides, and who sits on the panel."""

    arrangement = forms.ChoiceField(
        label="How will the partnership reach its decision?",
        choices=[c for c in PanelRule.choices if c[0] != PanelRule.NONE],
        widget=forms.RadioSelect,
        error_messages=required("Select how the partnership will reach its decision"),
    )
    chair = MembershipChoiceField(
        queryset=None,
        label="Who chairs, mediates or decides?",
        empty_label="Choose a person",
        error_messages=required("Choose who chairs, mediates or decides"),
    )
    members = MembershipMultipleChoiceField(
        queryset=None,
        label="Panel members (for a resolution panel)",
        help_text="Senior representatives; the policy may require several agencies",
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    meeting_at = forms.DateTimeField(
        widget=forms.TextInput,  # crispy-forms-gds styles text inputs, not date inputs
        label="When will it meet? (optional)",
        help_text="For example 12/01/2027 10:00",
        input_formats=DATETIME_FORMATS,
        required=False,
        error_messages={"invalid": "Enter the date and time like 12/01/2027 10:00"},
    )

    def __init__(self, *args, people_qs, arrangements=(), chair_roles=None, member_roles=None, **kwargs):
        super().__init__(*args, **kwargs)
        if arrangements:
            # Only what the policy allows for its partnership stage.
            self.fields["arrangement"].choices = [(a.value, a.label) for a in arrangements]
        for name in ("chair", "members"):
            # Panel members sit for an agency; the chair may hold a partnership role.
            self.fields[name].queryset = people_qs if name == "chair" else people_qs.filter(agency__isnull=False)
            self.fields[name].label_from_instance = lambda m: (
                f"{m.user.get_full_name() or m.user.username}, {m.get_role_display()}"
                + (f", {m.agency.name}" if m.agency else f", {m.partnership.name}")
            )
        # Only people senior enough to chair, mediate, decide or sit are offered for it.
        if chair_roles:
            self.fields["chair"].queryset = people_qs.filter(role__in=[r.value for r in chair_roles])
        if member_roles:
            self.fields["members"].queryset = self.fields["members"].queryset.filter(
                role__in=[r.value for r in member_roles]
            )
        self.helper = helper("Record formal use and arrangements")

    def clean_meeting_at(self):
        meeting_at = self.cleaned_data.get("meeting_at")
        if meeting_at and meeting_at < timezone.now() - CLOCK_GRACE:
            raise forms.ValidationError(
                "The meeting must be in the future: leave the date blank if it has already met"
            )
        return meeting_at


class RouteForm(LengthLimitsInWords, forms.Form):
    """A route the policy allows past its stages: how far, and why (recorded on each stage)."""

    to_stage = forms.TypedChoiceField(
        coerce=int,
        label="Which stage should it go to?",
        widget=forms.RadioSelect,
        error_messages=required("Select the stage it should go to"),
    )
    reason = forms.CharField(
        label="Why can it not wait for each stage in turn?",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        error_messages=required("Enter why it cannot wait for each stage in turn"),
    )

    def __init__(self, *args, stages, reason_label=None, reason_error=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_stage"].choices = [(s.number, f"{s.number}. {s.name}") for s in stages]
        if reason_label:
            self.fields["reason"].label = reason_label
        if reason_error:
            self.fields["reason"].error_messages["required"] = reason_error
        self.helper = helper("Move it on")
