"""Retention review for the partnership business manager: what is due, legal holds, disposal.

Thin views: parse the form, call escalation.retention, render. Anyone who is not a
business manager gets 403 on every page here (the area is role-gated, like the deadline
calculator); a business manager asking for another partnership's escalation gets 404.
"""

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Submit
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from escalation import retention
from escalation.models import Escalation, RetentionDecision
from escalation.services import EscalationError


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=retention.MAX_REASON,
        error_messages={"required": "Enter the reason for this decision"},
    )

    def __init__(self, *args, button="Confirm", help_text="", warning=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].help_text = help_text
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.add_input(Submit("submit", button, css_class="govuk-button--warning" if warning else ""))


class DisposeForm(ReasonForm):
    confirm = forms.BooleanField(
        label="I understand that disposal cannot be undone",
        error_messages={"required": "Confirm that you understand disposal cannot be undone"},
    )


def _managed_ids(request) -> list[int]:
    ids = [p.pk for p in retention.partnerships_managed(request.user)]
    if not ids:
        raise PermissionDenied
    return ids


def _escalation(request, public_id) -> Escalation:
    ids = _managed_ids(request)
    return get_object_or_404(
        Escalation.objects.filter(partnership_id__in=ids).select_related(
            "partnership", "raising_agency", "receiving_agency"
        ),
        public_id=public_id,
    )


def due(request):
    """What is due for review in each partnership this business manager looks after."""
    _managed_ids(request)
    today = timezone.localdate()
    sections = []
    for partnership in retention.partnerships_managed(request.user):
        page = Paginator(retention.retention_due(partnership=partnership, today=today), 50).get_page(
            request.GET.get("page")
        )
        for escalation in page.object_list:
            escalation.retain_until = retention.retain_until(escalation.youngest_dob)
            escalation.is_finished = not escalation.is_open
        holds = list(retention.legal_holds(partnership=partnership))
        for escalation in holds:
            escalation.retain_until = retention.retain_until(escalation.youngest_dob)
        decisions = (
            RetentionDecision.objects.filter(escalation__partnership=partnership)
            .select_related("escalation", "decided_by")
            .order_by("-decided_at", "-pk")[:20]
        )
        sections.append({"partnership": partnership, "page": page, "holds": holds, "decisions": decisions})
    return render(
        request,
        "retention/due.html",
        {"sections": sections, "today": today, "years": retention.RETENTION_YEARS},
    )


def _decision_page(request, escalation, form, *, title, intro, problems=(), template="retention/decide.html"):
    status = retention.retention_status(escalation)
    history = escalation.retention_decisions.select_related("decided_by").order_by("decided_at", "pk")
    return render(
        request,
        template,
        {
            "escalation": escalation,
            "form": form,
            "title": title,
            "intro": intro,
            "problems": problems,
            "status": status,
            "history": history,
        },
    )


def _run(request, form, call, success) -> bool:
    try:
        call()
    except EscalationError as exc:
        form.add_error(None, str(exc))
        return False
    messages.success(request, success)
    return True


def _hold_decision(request, public_id, *, service, problems_for, form_kwargs, success, title, intro):
    """Placing and releasing a legal hold: a reason, then one service call."""
    escalation = _escalation(request, public_id)
    form = ReasonForm(request.POST or None, **form_kwargs)
    if request.method == "POST" and form.is_valid():
        if _run(
            request,
            form,
            lambda: service(escalation=escalation, acting_user=request.user, reason=form.cleaned_data["reason"]),
            success.format(reference=escalation.reference),
        ):
            return redirect("retention:due")
    return _decision_page(request, escalation, form, title=title, intro=intro, problems=problems_for(escalation))


def _hold_problems(escalation) -> list[str]:
    if escalation.disposed_at is not None:
        return [f"{escalation.reference} has already been disposed of."]
    if escalation.legal_hold:
        return [f"{escalation.reference} is already on legal hold."]
    return []


def hold(request, public_id):
    return _hold_decision(
        request,
        public_id,
        service=retention.retention_hold,
        problems_for=_hold_problems,
        form_kwargs={
            "button": "Place legal hold",
            "help_text": "For example the litigation, inquiry or request that needs the record kept",
        },
        success="{reference} is on legal hold. It cannot be disposed of until the hold is released.",
        title="Place a legal hold",
        intro="A legal hold keeps the whole record, whatever its retention date, until you release it.",
    )


def release(request, public_id):
    return _hold_decision(
        request,
        public_id,
        service=retention.retention_release,
        problems_for=lambda e: [] if e.legal_hold else [f"{e.reference} is not on legal hold."],
        form_kwargs={"button": "Release legal hold"},
        success="The legal hold on {reference} is released.",
        title="Release the legal hold",
        intro="Once released, the record is kept or falls due for review as its dates say.",
    )


def dispose(request, public_id):
    """The confirmation page: what disposal removes and keeps, a reason, and a tick box."""
    escalation = _escalation(request, public_id)
    form = DisposeForm(request.POST or None, button="Dispose of this record", warning=True)
    problems = retention.disposal_problems(escalation)
    if request.method == "POST" and form.is_valid():
        if _run(
            request,
            form,
            lambda: retention.retention_dispose(
                escalation=escalation, acting_user=request.user, reason=form.cleaned_data["reason"]
            ),
            f"{escalation.reference} has been disposed of.",
        ):
            return redirect("retention:due")
    return _decision_page(
        request,
        escalation,
        form,
        title="Dispose of this record",
        intro="Disposal cannot be undone.",
        problems=problems,
        template="retention/dispose.html",
    )
