from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone

from escalation import drafts
from escalation.selectors import escalations_visible_to
from partnerships.choices import Role
from partnerships.forms import DeadlineCalculatorForm
from partnerships.selectors import memberships_of, partnership_roles, primary_partnership


def home(request):
    memberships = memberships_of(request.user)
    open_count = escalations_visible_to(request.user).open().count() if memberships else 0
    context = {"memberships": memberships, "open_count": open_count, **drafts.home_context(request.user)}
    return render(request, "partnerships/home.html", context)


def deadline_calculator(request):
    """The `manage.py deadline` calculator for business managers, on their partnership's calendar."""
    partnership = primary_partnership(request.user)
    if partnership is None or not partnership_roles(request.user, partnership.pk) & {Role.BUSINESS_MANAGER, Role.CHAIR}:
        raise PermissionDenied
    stages = list(partnership.policy.stages.all()) if partnership.policy else []
    form = DeadlineCalculatorForm(request.GET or None, stages=stages, initial={"nation": partnership.nation})
    result = None
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        start = data["start"]
        if data["stage"] is not None:
            stage = next(s for s in stages if s.number == data["stage"])
            deadline, timescale, uses_default = partnership.policy.stage_deadline(
                stage, data["urgency"], partnership.working_calendar(), start
            )
        else:
            calendar = partnership.working_calendar()
            if data["nation"]:
                from dataclasses import replace

                calendar = replace(calendar, nation=data["nation"])
            deadline = calendar.deadline(start, data["amount"] or 0, data["unit"])
            stage, uses_default, timescale = None, False, None
        result = {
            "due": timezone.localtime(deadline.due),
            "out_of_hours": deadline.arrived_out_of_hours,
            "stage": stage,
            "timescale": timescale.describe() if timescale else None,
            "uses_default": uses_default,
        }
    return render(
        request, "partnerships/deadline_calculator.html", {"form": form, "result": result, "partnership": partnership}
    )
