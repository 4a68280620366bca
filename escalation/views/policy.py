"""The partnership's policy: a page everyone in it reads, and the business manager's editor
(drafts, preview, publish). Business rules live in partnerships.versions and
escalation.policy_versions; these views only ask and show."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from escalation.policy_versions import open_cases_on_other_versions, publish_policy
from partnerships.choices import AgencyType, Nation, Urgency
from partnerships.models import Partnership, Policy, PolicyStage
from partnerships.policy_file import calendar_document
from partnerships.policy_forms import (
    CalendarForm,
    PolicySettingsForm,
    PreviewForm,
    PublishForm,
    SignpostsForm,
    StageForm,
    StartDraftForm,
)
from partnerships.policy_page import policy_in_words
from partnerships.presets import PRESETS
from partnerships.selectors import may_edit_policy, may_read_policy, primary_partnership
from partnerships.services import policy_load_preset
from partnerships.versions import (
    DraftExists,
    NotPublishable,
    add_stage_to,
    discard_draft,
    draft_of,
    draft_problems,
    renumber,
    start_draft,
    versions_of,
)


def _partnership(request, slug, *, edit=False) -> Partnership:
    partnership = get_object_or_404(Partnership.objects.select_related("policy"), slug=slug)
    allowed = may_edit_policy(request.user, partnership) if edit else may_read_policy(request.user, partnership)
    if not allowed:
        if not may_read_policy(request.user, partnership):
            raise Http404  # another partnership's: not even its existence
        raise PermissionDenied
    return partnership


def _draft_or_404(partnership) -> Policy:
    draft = draft_of(partnership)
    if draft is None:
        raise Http404
    return draft


def policy_home(request):
    partnership = primary_partnership(request.user)
    if partnership is None:
        raise Http404
    return redirect("policy:show", slug=partnership.slug)


def _show(request, partnership, version):
    today = timezone.localdate()
    return render(
        request,
        "policy/show.html",
        {
            "partnership": partnership,
            "version": version,
            "is_current": version.pk == partnership.policy_id,
            "stages": policy_in_words(version),
            "closure_days": partnership.closure_days.filter(date__gte=today),
            "review_overdue": version.review_overdue(today),
            "may_edit": may_edit_policy(request.user, partnership),
            "draft": draft_of(partnership),
            "versions": versions_of(partnership),
        },
    )


def show(request, slug):
    partnership = _partnership(request, slug)
    if partnership.policy is None:
        return render(
            request,
            "policy/none.html",
            {"partnership": partnership, "may_edit": may_edit_policy(request.user, partnership)},
        )
    return _show(request, partnership, partnership.policy)


def show_version(request, slug, version):
    partnership = _partnership(request, slug)
    found = next((v for v in versions_of(partnership) if v.version == version and not v.is_draft), None)
    if found is None:
        raise Http404
    return _show(request, partnership, found)


# --- the editor ----------------------------------------------------------------------


def start(request, slug):
    partnership = _partnership(request, slug, edit=True)
    existing = draft_of(partnership)
    if existing is not None:
        return redirect("policy:draft", slug=slug)
    choices = []
    if partnership.policy_id:
        choices.append(
            ("current", f"The version in use: {partnership.policy.name} (version {partnership.policy.version})")
        )
    choices += [(f"preset:{key}", f"The preset: {preset.name}") for key, preset in PRESETS.items()]
    form = StartDraftForm(request.POST or None, choices=choices, initial={"source": "current" if choices else None})
    if request.method == "POST" and form.is_valid():
        source = form.cleaned_data["source"]
        policy = partnership.policy if source == "current" else policy_load_preset(PRESETS[source.split(":", 1)[1]])
        try:
            start_draft(partnership, policy)
        except DraftExists:
            pass  # someone else started one a moment ago: edit theirs
        return redirect("policy:draft", slug=slug)
    return render(request, "policy/start.html", {"partnership": partnership, "form": form})


def draft(request, slug):
    partnership = _partnership(request, slug, edit=True)
    version = _draft_or_404(partnership)
    settings = version.partnership_settings or {}
    calendar = dict(settings.get("calendar") or calendar_document(partnership))
    calendar["nation"] = Nation(calendar["nation"]).label
    calendar["closure_days"] = [
        {"date": date.fromisoformat(d["date"]), "reason": d["reason"]} for d in calendar["closure_days"]
    ]
    signposts = settings.get("signposts") or {}
    labels = SignpostsForm.base_fields
    return render(
        request,
        "policy/draft.html",
        {
            "partnership": partnership,
            "draft": version,
            "stages": policy_in_words(version),
            "calendar": calendar,
            "signposts": [(labels[name].label, signposts.get(name, "")) for name in labels],
            "problems": draft_problems(version),
        },
    )


def _edit(request, partnership, form, title, template="policy/form.html"):
    return render(request, template, {"partnership": partnership, "form": form, "title": title})


def edit_settings(request, slug):
    partnership = _partnership(request, slug, edit=True)
    version = _draft_or_404(partnership)
    form = PolicySettingsForm(request.POST or None, instance=version)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "The policy's details are saved in the draft.")
        return redirect("policy:draft", slug=slug)
    return _edit(request, partnership, form, "Change the policy's details")


def edit_stage(request, slug, number):
    partnership = _partnership(request, slug, edit=True)
    version = _draft_or_404(partnership)
    stage = get_object_or_404(PolicyStage, policy=version, number=number)
    form = StageForm(request.POST or None, instance=stage)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"Stage {number} is saved in the draft.")
        return redirect(reverse("policy:draft", kwargs={"slug": slug}) + f"#stage-{number}")
    return _edit(request, partnership, form, f"Change stage {number}: {stage.name}")


@require_POST
def add_stage(request, slug):
    partnership = _partnership(request, slug, edit=True)
    version = _draft_or_404(partnership)
    stage = add_stage_to(version)
    return redirect("policy:stage", slug=slug, number=stage.number)


def remove_stage(request, slug, number):
    partnership = _partnership(request, slug, edit=True)
    version = _draft_or_404(partnership)
    stage = get_object_or_404(PolicyStage, policy=version, number=number)
    if request.method == "POST":
        stage.delete()
        renumber(version)
        messages.success(request, f"Stage {number} ({stage.name}) is removed from the draft.")
        return redirect("policy:draft", slug=slug)
    return render(request, "policy/remove_stage.html", {"partnership": partnership, "stage": stage})


def _edit_settings_part(request, slug, part, form_class, title, initial_from=None):
    partnership = _partnership(request, slug, edit=True)
    version = _draft_or_404(partnership)
    current = (version.partnership_settings or {}).get(part, {})
    initial = initial_from(current) if initial_from else current
    form = form_class(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        value = form.as_settings() if hasattr(form, "as_settings") else form.cleaned_data
        version.partnership_settings = {**(version.partnership_settings or {}), part: value}
        version.save(update_fields=["partnership_settings"])
        messages.success(
            request,
            f"The {part} are saved in the draft." if part == "signposts" else "The calendar is saved in the draft.",
        )
        return redirect("policy:draft", slug=slug)
    return _edit(request, partnership, form, title)


def edit_calendar(request, slug):
    return _edit_settings_part(
        request, slug, "calendar", CalendarForm, "Change the partnership's calendar", CalendarForm.initial_from
    )


def edit_signposts(request, slug):
    return _edit_settings_part(request, slug, "signposts", SignpostsForm, "Change the signposts")


def preview(request, slug):
    """The deadlines the draft would give beside those of the version in use."""
    partnership = _partnership(request, slug, edit=True)
    version = _draft_or_404(partnership)
    form = PreviewForm(request.GET or None, initial={"urgency": Urgency.STANDARD})
    rows = []
    if form.is_bound and form.is_valid():
        calendar = _draft_calendar(partnership, version)
        data = form.cleaned_data
        start = timezone.make_aware(data["start"]) if timezone.is_naive(data["start"]) else data["start"]
        current = partnership.policy.stages_by_number() if partnership.policy_id else {}
        for stage in version.stages.order_by("number"):
            new, timescale, _ = version.stage_deadline(
                stage, data["urgency"], calendar, start, receiving_agency_type=data["other_agency"] or None
            )
            old = None
            if stage.number in current:
                old, _, _ = partnership.policy.stage_deadline(
                    current[stage.number],
                    data["urgency"],
                    partnership.working_calendar(),
                    start,
                    receiving_agency_type=data["other_agency"] or None,
                )
            rows.append(
                {
                    "stage": stage,
                    "timescale": timescale.describe(),
                    "due": timezone.localtime(new.due),
                    "now_due": timezone.localtime(old.due) if old else None,
                    "changed": old is None or old.due != new.due,
                }
            )
    return render(
        request,
        "policy/preview.html",
        {"partnership": partnership, "draft": version, "form": form, "rows": rows, "agency_types": AgencyType},
    )


def _draft_calendar(partnership, version):
    """The calendar the draft would bring, for the preview."""
    from dataclasses import replace
    from datetime import date, time

    calendar = partnership.working_calendar()
    proposed = (version.partnership_settings or {}).get("calendar")
    if not proposed:
        return calendar
    return replace(
        calendar,
        nation=proposed["nation"],
        opens=time.fromisoformat(proposed["opens"]),
        closes=time.fromisoformat(proposed["closes"]),
        closure_days=frozenset(date.fromisoformat(d["date"]) for d in proposed["closure_days"]),
    )


def publish(request, slug):
    partnership = _partnership(request, slug, edit=True)
    version = _draft_or_404(partnership)
    problems = draft_problems(version)
    running = open_cases_on_other_versions(partnership)
    form = PublishForm(request.POST or None)
    if request.method == "POST" and not problems and form.is_valid():
        try:
            result = publish_policy(
                version, by=request.user, move_open_cases=form.cleaned_data["open_cases"] == PublishForm.MOVE
            )
        except NotPublishable as error:
            problems = error.problems
        else:
            text = f"Version {result.version.version} is published and in use from now on."
            if result.moved:
                text += f" {len(result.moved)} running disagreement(s) moved onto it."
            if result.kept:
                text += f" {len(result.kept)} stayed on their version: " + "; ".join(
                    f"{ref} ({why})" for ref, why in result.kept
                )
            messages.success(request, text)
            return redirect("policy:show", slug=slug)
    return render(
        request,
        "policy/publish.html",
        {"partnership": partnership, "draft": version, "form": form, "problems": problems, "running": running},
    )


def discard(request, slug):
    partnership = _partnership(request, slug, edit=True)
    version = _draft_or_404(partnership)
    if request.method == "POST":
        discard_draft(version)
        messages.success(request, f"The draft (version {version.version}) is discarded. Nothing else changed.")
        return redirect("policy:show", slug=slug)
    return render(request, "policy/discard.html", {"partnership": partnership, "draft": version})
