"""The escalation page and every action on it. Each POST re-checks the page was current."""

from functools import partial

from django.contrib import messages
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_POST
from django_fsm import has_transition_perm

from cases.audit import log_access
from cases.models import AccessAction
from escalation import drafts, partnership_stage, routes, services
from escalation.case_reads import actions_of, attachments_of, discussions_of, entries_of
from escalation.context_processors import UNREAD
from escalation.forms import DiscussionForm, EscalateForm, ReasonForm, ResolveForm, UrgencyForm
from escalation.models import Action
from escalation.notifications import read_on_opening
from escalation.partnership_forms import DecisionForm, ReviewForm, RouteForm
from escalation.permissions import (
    can_attach_file,
    can_change_urgency,
    can_record_discussion,
    may_decide,
    meets_the_step_by_discussion,
)
from escalation.selectors import action_owner_candidates
from escalation.submissions import once, once_per_submission
from escalation.views.common import (
    back_to,
    detail_url,
    page_is_stale,
    require,
    visible_case_page_or_404,
    visible_escalation_or_404,
)
from escalation.wording import stage_title
from partnerships.choices import TIMED_DISCUSSIONS, Role, Route, StepEvent
from partnerships.models import Membership

TRANSITION_BUTTONS = {
    "acknowledge": "Acknowledge",
    "escalate": "Escalate to the next stage",
    "resolve": "Record as resolved",
    "close": "Close",
    "withdraw": "Withdraw",
}


def timeline_and_children(escalation) -> tuple[list, list]:
    """The escalation's entries once each (every child's file holds its own copy), and the
    children, read from the same entries: each child named has the "raised" entry on their
    file. Read on their own only if the entries name fewer children than the escalation has
    (the count comes with the escalation: case_reads.CHILD_COUNT)."""
    seen, entries, children = set(), [], {}
    for entry, child in entries_of(escalation):
        children.setdefault(child.id, child)
        key = (entry.kind, entry.summary, entry.at.replace(microsecond=0))
        if key not in seen:
            seen.add(key)
            entries.append(entry)
    if len(children) == escalation.child_count:
        named = sorted(children.values(), key=lambda c: (c.last_name, c.first_name, c.id))
    else:
        named = list(escalation.children.all())
    return entries, named


def available_actions(escalation, user) -> list[tuple[str, str]]:
    """The buttons the state machine allows this user now, and only those."""
    names = [t.name for t in escalation.get_available_user_state_transitions(user)]
    return [(name, label) for name, label in TRANSITION_BUTTONS.items() if name in names]


def detail(request, public_id):
    escalation = visible_case_page_or_404(request, public_id)
    log_access(request, AccessAction.VIEW_ESCALATION, escalation, escalation.reference)
    # Opening the case reads its notices; the header shows what is left unread.
    setattr(request, UNREAD, read_on_opening(request.user, escalation))
    occurrences = escalation.stage_history()
    occurrence = escalation.current_occurrence()
    stage = occurrence.policy_stage if occurrence else None
    entries, children = timeline_and_children(escalation)
    # Only the partnership stage can have a review (saves a query on every other page).
    review = getattr(occurrence, "review", None) if stage and stage.is_partnership_stage else None
    context = {
        "escalation": escalation,
        "occurrence": occurrence,
        "stage": stage,
        "occurrences": occurrences,
        "children": children,
        "timeline": entries,
        "discussions": discussions_of(escalation),
        "actions": actions_of(escalation),
        "buttons": available_actions(escalation, request.user),
        "can_discuss": can_record_discussion(escalation, request.user),
        "can_change_urgency": can_change_urgency(escalation, request.user),
        "can_decide": bool(stage and not occurrence.decision.strip() and may_decide(escalation, request.user)),
        "can_arrange": bool(
            stage
            and stage.is_partnership_stage
            and review is None
            and partnership_stage.may_arrange(escalation, request.user)
        ),
        "review": review,
        "panel": list(review.members.select_related("user", "agency")) if review else [],
        "overdue": bool(occurrence and occurrence.due_at < timezone.now()),
        "resolution": escalation.resolution_or_none(),
        "routes": routes.routes_open_to(escalation, request.user),
        "partnership_waits": _partnership_waits(escalation),
        "attachments": attachments_of(escalation),
        "can_attach": can_attach_file(escalation, request.user),
    }
    return render(request, "escalation/detail.html", context)


def _partnership_waits(escalation) -> list[int]:
    """Stages still to be acknowledged before the case may go to the partnership (said on the
    page, since the button is simply not offered)."""
    following = escalation.next_policy_stage() if escalation.is_open else None
    if following is None or not following.is_partnership_stage:
        return []
    return escalation.unacknowledged_stages()


def _form_page(request, escalation, form, template_title, intro="", **extra):
    return render(
        request,
        "escalation/action_form.html",
        {"escalation": escalation, "form": form, "title": template_title, "intro": intro, **extra},
    )


def _run(request, escalation, call, success):
    """Call a service; a refusal becomes a message on the page, never a 500."""
    try:
        call()
    except services.EscalationError as exc:
        messages.error(request, str(exc))
        return False
    messages.success(request, success)
    return True


def _run_once(request, escalation, call, success):
    """`_run` for a form that creates something: acted on once however often it is posted
    (escalation/submissions.py). None after a refusal, so the form is shown again."""
    try:
        outcome = once(request, call, lambda _: detail_url(escalation))
    except services.EscalationError as exc:
        messages.error(request, str(exc))
        return None
    return outcome.response(request, success)


def _transition_allowed(escalation, user, name):
    return has_transition_perm(getattr(escalation, name), user)


def _confirmed_transition(request, public_id, name, service, *, success, title, body, button):
    """A transition with nothing to fill in: a confirmation page, then one POST."""
    escalation = visible_escalation_or_404(request, public_id)
    require(_transition_allowed(escalation, request.user, name))
    if request.method == "POST":
        if not page_is_stale(request, escalation):
            _run(
                request,
                escalation,
                lambda: service(escalation=escalation, acting_user=request.user),
                success.format(reference=escalation.reference),
            )
        return back_to(escalation)
    context = {"escalation": escalation, "title": title, "body": body, "button": button}
    return render(request, "escalation/confirm.html", context)


def acknowledge(request, public_id):
    return _confirmed_transition(
        request,
        public_id,
        "acknowledge",
        services.escalation_acknowledge,
        success="You acknowledged {reference}.",
        title="Acknowledge this escalation",
        body="You confirm it has reached you and that you will work with the other agency to resolve it.",
        button="Acknowledge",
    )


def close(request, public_id):
    return _confirmed_transition(
        request,
        public_id,
        "close",
        services.escalation_close,
        success="{reference} is closed.",
        title="Close this escalation",
        body="Close it once the agreed actions are under way. Its record stays on each child's file.",
        button="Close escalation",
    )


def escalate(request, public_id):
    escalation = visible_escalation_or_404(request, public_id)
    require(_transition_allowed(escalation, request.user, "escalate"))
    occurrence = escalation.current_occurrence()
    next_stage = escalation.next_policy_stage()
    require(next_stage is not None)
    overdue = not occurrence.step_met_on_time(timezone.now())
    form = EscalateForm(
        request.POST or None, evidence_required=next_stage.evidence_of_previous_stage_required, overdue=overdue
    )
    if request.method == "POST" and page_is_stale(request, escalation):
        return back_to(escalation)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if _run(
            request,
            escalation,
            lambda: services.escalation_escalate(
                escalation=escalation,
                acting_user=request.user,
                evidence=data["evidence"],
                reason_not_met=data.get("reason_not_met", ""),
            ),
            f"{escalation.reference} is now at {stage_title(next_stage.number, next_stage.name)}.",
        ):
            return back_to(escalation)
    return _form_page(
        request, escalation, form, f"Escalate to {stage_title(next_stage.number, next_stage.name)}", next_stage.guidance
    )


def _who_is_told_of_the_end(escalation, user) -> str:
    """The banner after a resolution or withdrawal: who hears of it (conversation's PARTIES and
    RAISER), never telling the raiser that they have been told of their own act."""
    if escalation.raised_by_id == user.pk:
        return "Everyone who has held a stage of it has been told."
    return "Everyone who has held a stage of it, and the practitioner who raised it, have been told."


@once_per_submission
def resolve(request, public_id):
    escalation = visible_escalation_or_404(request, public_id)
    require(_transition_allowed(escalation, request.user, "resolve"))
    late = not escalation.current_occurrence().step_met_on_time(timezone.now())
    form = ResolveForm(request.POST or None, initial={"main_reason": escalation.category}, overdue=late)
    if request.method == "POST" and page_is_stale(request, escalation):
        return back_to(escalation)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        response = _run_once(
            request,
            escalation,
            lambda: services.escalation_resolve(
                escalation=escalation, acting_user=request.user, outcome=data.pop("agreed_outcome"), **data
            ),
            f"{escalation.reference} is recorded as resolved. " + _who_is_told_of_the_end(escalation, request.user),
        )
        if response:
            return response
    return _form_page(
        request,
        escalation,
        form,
        "Record the resolution",
        "Recording the resolution ends the disagreement at its current stage and tells everyone who took part. "
        "It cannot be undone.",
    )


def withdraw(request, public_id):
    escalation = visible_escalation_or_404(request, public_id)
    require(_transition_allowed(escalation, request.user, "withdraw"))
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and page_is_stale(request, escalation):
        return back_to(escalation)
    if request.method == "POST" and form.is_valid():
        if _run(
            request,
            escalation,
            lambda: services.escalation_withdraw(
                escalation=escalation, acting_user=request.user, reason=form.cleaned_data["reason"]
            ),
            f"{escalation.reference} has been withdrawn. " + _who_is_told_of_the_end(escalation, request.user),
        ):
            return back_to(escalation)
    return _form_page(
        request,
        escalation,
        form,
        "Withdraw this disagreement",
        "Withdrawing closes it at its current stage. This cannot be undone.",
    )


@once_per_submission
def change_urgency(request, public_id):
    escalation = visible_escalation_or_404(request, public_id)
    require(can_change_urgency(escalation, request.user))
    form = UrgencyForm(request.POST or None, initial={"urgency": escalation.urgency}, current=escalation.urgency)
    if request.method == "POST" and page_is_stale(request, escalation):
        return back_to(escalation)
    if request.method == "POST" and form.is_valid():
        before = escalation.current_occurrence().due_at
        try:
            services.escalation_change_urgency(escalation=escalation, acting_user=request.user, **form.cleaned_data)
        except services.EscalationError as exc:
            form.add_error(None, str(exc))  # on the form, with what was typed
        else:
            messages.success(request, _urgency_changed(escalation, before))
            return back_to(escalation)
    return _form_page(request, escalation, form, "Change the urgency")


def _urgency_changed(escalation, before) -> str:
    occurrence = escalation.occurrences.select_related("policy_stage").get(closed_at__isnull=True)
    urgency = escalation.get_urgency_display().lower()
    return f"Urgency changed to {urgency}. {services.deadline_after_change(occurrence, before)}"


@once_per_submission
def record_discussion(request, public_id):
    escalation = visible_escalation_or_404(request, public_id)
    require(can_record_discussion(escalation, request.user))
    draft = drafts.draft_in_request(request, drafts.DraftKind.DISCUSSION, escalation)
    if request.method == "POST" and "save_draft" in request.POST:
        return drafts.keep_and_go_home(request, drafts.DraftKind.DISCUSSION, draft=draft, escalation=escalation)
    form = DiscussionForm(
        request.POST or None,
        initial=draft.initial() if draft else None,
        email_advice=escalation.policy.email_advice,
        owners=action_owner_candidates(escalation),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        response = _run_once(
            request,
            escalation,
            lambda: services.discussion_record(
                escalation=escalation,
                acting_user=request.user,
                held_at=data["held_at"],
                method=data["method"],
                participants=data["participants"],
                outcome=data["outcome"],
                areas_of_agreement=data["areas_of_agreement"],
                areas_of_disagreement=data["areas_of_disagreement"],
                actions=form.actions(),
            ),
            "Discussion recorded.",
        )
        if response:
            drafts.discard(draft)
            return response
    # The policy's advice on e-mail is the method's hint, where the method is chosen (said once).
    return _form_page(
        request,
        escalation,
        form,
        "Record a discussion",
        intro=_not_the_timed_discussion(escalation, request.user),
        **drafts.form_context(request, draft),
    )


def _not_the_timed_discussion(escalation, user) -> str:
    """Said before the raiser writes up a managers' discussion: it goes on the record, but the
    stage's clock waits for the people holding it to record theirs."""
    occurrence = escalation.current_occurrence()
    stage = occurrence.policy_stage
    if stage.met_by not in TIMED_DISCUSSIONS or occurrence.step_met_at:
        return ""
    if meets_the_step_by_discussion(escalation, user):
        if stage.met_by == StepEvent.DISCUSSION or occurrence.acknowledged_at:
            return ""
        return (
            f"The deadline for {stage_title(occurrence.number, stage.name)} is for an acknowledgement and a plan "
            f"agreed by both agencies. What you record here meets it once {escalation.receiving_agency} has "
            "acknowledged the disagreement."
        )
    return (
        f"The deadline for {stage_title(occurrence.number, stage.name)} is for a discussion between the people "
        "holding it. What you record here goes on the record and to the other agency, but only a discussion "
        "recorded by the people holding the stage meets its deadline."
    )


@require_POST
def action_status(request, public_id, action_id):
    escalation = visible_escalation_or_404(request, public_id)
    action = get_object_or_404(Action, escalation=escalation, public_id=action_id)
    status = request.POST.get("status")
    if status not in {"open", "done", "cancelled"}:
        messages.error(request, "Choose a status for the action.")
        return back_to(escalation)
    _run(
        request,
        escalation,
        lambda: services.action_set_status(action=action, acting_user=request.user, status=status),
        "Action updated.",
    )
    return back_to(escalation)


def record_decision(request, public_id):
    escalation = visible_escalation_or_404(request, public_id)
    occurrence = escalation.current_occurrence()
    require(occurrence is not None and may_decide(escalation, request.user))
    if occurrence.decision.strip():
        messages.info(request, services.DECISION_STANDS)
        return back_to(escalation)
    partnership = occurrence.policy_stage.is_partnership_stage
    form = DecisionForm(request.POST or None, partnership=partnership)
    if request.method == "POST" and form.is_valid():
        if _run(
            request,
            escalation,
            lambda: services.stage_record_decision(
                escalation=escalation, acting_user=request.user, decision=form.cleaned_data["decision"]
            ),
            "Decision recorded. You can now record the escalation as resolved.",
        ):
            return back_to(escalation)
    return _form_page(
        request,
        escalation,
        form,
        "Record the partnership's decision" if partnership else "Record the binding decision",
        warning=DECISION_WARNING,
    )


# The decision is binding (services.DECISION_STANDS): said before it is recorded, not after.
DECISION_WARNING = (
    "Once recorded, the decision cannot be changed: everyone involved is told of it and it goes on "
    "each child's file. Check it before you record it."
)


@once_per_submission
def arrange_review(request, public_id):
    escalation = visible_escalation_or_404(request, public_id)
    occurrence = escalation.current_occurrence()
    require(
        occurrence is not None
        and occurrence.policy_stage.is_partnership_stage
        and partnership_stage.may_arrange(escalation, request.user)
    )
    stage = occurrence.policy_stage
    # Only people who may sit: nobody who is a party to it or raised it, and no auditor.
    people = (
        Membership.objects.active()
        .filter(partnership=escalation.partnership)
        .exclude(user_id__in=partnership_stage.dispute_parties(escalation))
        .exclude(role=Role.AUDITOR)
        .select_related("user", "agency", "partnership")
    )
    form = ReviewForm(
        request.POST or None,
        people_qs=people,
        chair_roles=partnership_stage.chair_roles(stage),
        member_roles=partnership_stage.MEETING_ROLES,
        arrangements=partnership_stage.allowed_arrangements(stage),
        initial={"arrangement": stage.panel_rule},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        arrange = partial(
            partnership_stage.review_arrange,
            escalation=escalation,
            acting_user=request.user,
            arrangement=data["arrangement"],
            chair=data["chair"],
            members=data["members"],
            meeting_at=data["meeting_at"],
        )
        try:
            outcome = once(request, arrange, lambda _: detail_url(escalation))
        except services.EscalationError as exc:
            form.add_error(None, str(exc))
        else:
            return outcome.response(request, "Formal use recorded and the partnership stage arranged.")
    intro = f"{stage.name}. {stage.guidance}"
    return _form_page(request, escalation, form, "Arrange the partnership stage", intro)


def take_route(request, public_id):
    """A route the policy allows past its stages (Plymouth's urgent case, Bromley's unsafe-within-agency)."""
    escalation = visible_escalation_or_404(request, public_id)
    open_routes = routes.routes_open_to(escalation, request.user)
    require(bool(open_routes))
    asked = request.GET.get("route")
    require(not asked or asked in open_routes)
    route = Route(asked) if asked else open_routes[0]
    later = [s for n, s in sorted(escalation.policy.stages_by_number().items()) if n > escalation.stage_number]
    if route == Route.UNSAFE_WITHIN_AGENCY:
        later = later[-1:]
    elif route == Route.EXTERNAL_MANAGERS:
        later = [s for s in later if s.number == routes.external_managers_stage(escalation)]
    if route in routes.KEPT_FROM_OWN_AGENCY:
        reason_label = "Why is it not safe to take this up within your own agency?"
        reason_error = "Enter why it is not safe to take this up within your own agency"
    else:
        reason_label = "Why can it not wait for each stage in turn?"
        reason_error = "Enter why it cannot wait for each stage in turn"
    form = RouteForm(
        request.POST or None,
        stages=later,
        reason_label=reason_label,
        reason_error=reason_error,
        initial={"to_stage": later[0].number},
    )
    if request.method == "POST" and page_is_stale(request, escalation):
        return back_to(escalation)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if _run(
            request,
            escalation,
            lambda: routes.escalation_take_route(
                escalation=escalation,
                acting_user=request.user,
                route=route,
                to_stage=data["to_stage"],
                reason=data["reason"],
            ),
            f"{escalation.reference} is now at stage {data['to_stage']}. Every stage passed is on the record.",
        ):
            return back_to(escalation)
    intro = {
        Route.URGENT_ALL_STAGES: "The policy lets an immediate-risk case go through several stages at once. Each "
        "stage passed is recorded, with your reason, and the people holding the stage it reaches are told at once.",
        Route.UNSAFE_WITHIN_AGENCY: "The policy lets you go straight to the partnership when it is not safe to "
        "raise this within your own agency. The partnership's business manager and chair are told at once.",
        Route.EXTERNAL_MANAGERS: "The policy lets you go straight to the other agency's managers when it is not "
        "safe to raise this within your own agency. They are told at once. From now on nobody in your own agency "
        "but you is told of it or holds it.",
    }[route]
    return _form_page(request, escalation, form, route.label, intro)
