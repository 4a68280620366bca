"""The form for attaching a file as evidence. The checks on the file itself are in
escalation.attachments (they apply however a file arrives); this form only asks for it."""

from crispy_forms_gds.layout import Field
from django import forms
from django.conf import settings
from django.utils import timezone

from escalation.file_types import ALLOWED_IN_WORDS, limit_in_words
from escalation.forms import helper

DISAGREEMENT = "disagreement"


def attach_choices(escalation, discussions, occurrences) -> list[tuple[str, str]]:
    """The disagreement, each discussion, each stage's evidence ("discussion:<id>", "evidence:<n>")."""
    choices = [(DISAGREEMENT, f"The disagreement itself ({escalation.reference})")]
    for d in discussions:
        when = timezone.localtime(d.held_at)
        choices.append(
            (f"discussion:{d.public_id}", f"The {d.get_method_display().lower()} discussion of {when:%-d %B %Y, %H:%M}")
        )
    for o in occurrences:
        choices.append((f"evidence:{o.number}", f"Evidence for stage {o.number}, {o.policy_stage.name}"))
    return choices


class AttachmentForm(forms.Form):
    file = forms.FileField(
        label="Choose a file",
        # Our own message for an empty file (escalation.attachments), not Django's.
        allow_empty_file=True,
        error_messages={"required": "Select a file", "invalid": "Select a file"},
    )
    attached_to = forms.ChoiceField(
        label="What is it evidence for?",
        widget=forms.RadioSelect,
        error_messages={"required": "Select what the file is evidence for"},
    )

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = (
            f"{ALLOWED_IN_WORDS[0].upper()}{ALLOWED_IN_WORDS[1:]} file, smaller than "
            f"{limit_in_words(settings.ATTACHMENT_MAX_BYTES)}. Save letters and e-mails as PDF "
            "if you can."
        )
        self.fields["attached_to"].choices = choices
        self.helper = helper("Attach file", Field("file"), Field.radios("attached_to"))

    def chosen_target(self, discussions, occurrences) -> dict:
        """The discussion or stage chosen, for attachment_add (neither: the disagreement itself)."""
        kind, _, key = self.cleaned_data["attached_to"].partition(":")
        return {
            "discussion": next((d for d in discussions if kind == "discussion" and str(d.public_id) == key), None),
            "occurrence": next((o for o in occurrences if kind == "evidence" and str(o.number) == key), None),
        }
