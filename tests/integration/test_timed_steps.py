"""Each clock times the policy's event, not the stage's end (issue 12 §2).

"Deadline missed" is written only when the event the policy names has not happened by its
deadline: the five-stage managers' discussion, the offer of mediation, Cumberland's decision.
"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils.html import escape

from cases.models import RecordEntry, RecordEntryKind
from escalation import services
from escalation.deadlines import run_watcher
from escalation.models import Escalation, Notification, NotificationKind, StageOccurrence
from escalation.partnership_stage import review_arrange
from escalation.states import Category, DiscussionMethod
from partnerships.choices import PanelRule, Role, Urgency
from partnerships.models import Membership
from tests import climbing
from tests.conftest import build_cast, london

pytestmark = pytest.mark.django_db

TUESDAY = london(2026, 11, 3, 10, 0)


def seen(escalation) -> dict:
    """What a form carries of the escalation its page showed."""
    latest = fresh(escalation)
    return {"seen_state": latest.state, "seen_stage": str(latest.stage_number)}


def make_it_child_protection(client, person, escalation) -> str:
    """The practitioner changes the urgency on its page; the page they are sent back to."""
    client.force_login(person)
    return client.post(
        reverse("escalation:urgency", args=[escalation.public_id]),
        {"urgency": Urgency.CHILD_PROTECTION, "reason": "New disclosure.", **seen(escalation)},
        follow=True,
    ).content.decode()


def raise_one(cast, at=TUESDAY, urgency=Urgency.STANDARD):
    return services.escalation_raise(
        raised_by=cast.practitioner,
        raising_agency=cast.school,
        receiving_agency=cast.csc,
        children=[cast.child],
        category=Category.THRESHOLD,
        concern="The referral was refused.",
        why_unsafe="Bruising seen twice.",
        outcome_sought="A strategy discussion.",
        urgency=urgency,
        at=at,
    )


def fresh(escalation):
    return Escalation.objects.get(pk=escalation.pk)


def current(escalation) -> StageOccurrence:
    return StageOccurrence.objects.select_related("policy_stage").get(escalation=escalation, closed_at__isnull=True)


def climb(cast, escalation, to_stage, at=TUESDAY):
    return climbing.climb(escalation, to_stage, by=cast.practitioner, at=at)


def discuss(escalation, by, held_at):
    return services.discussion_record(
        escalation=fresh(escalation),
        acting_user=by,
        held_at=held_at,
        method=DiscussionMethod.PHONE,
        participants="Both line managers",
        outcome="Agreed a plan with timescales.",
    )


def missed_entries(escalation) -> int:
    return RecordEntry.objects.filter(escalation=escalation, kind=RecordEntryKind.BREACHED).count()


def test_five_stage_stage_2_managers_who_discuss_within_5_working_days_are_never_recorded_as_missing_it(cast):
    escalation = climb(cast, raise_one(cast), 2)
    stage_2 = current(escalation)
    assert stage_2.due_at == london(2026, 11, 10, 17, 0)  # 5 working days after Tuesday 3rd
    discuss(escalation, cast.other_manager, held_at=london(2026, 11, 9, 14, 0))
    assert current(escalation).step_met_at == london(2026, 11, 9, 14, 0)
    # The stage goes on after its deadline (the plan is being carried out): nothing is missed.
    report = run_watcher(now=london(2026, 11, 12, 10, 0))
    assert report.breached == 0
    assert missed_entries(escalation) == 0
    assert not Notification.objects.filter(escalation=escalation, kind=NotificationKind.BREACH).exists()
    services.escalation_acknowledge(escalation=fresh(escalation), acting_user=cast.other_manager)
    services.escalation_resolve(
        escalation=fresh(escalation),
        acting_user=cast.other_manager,
        outcome="Assessment agreed.",
        at=london(2026, 11, 20, 10, 0),
    )
    assert StageOccurrence.objects.get(escalation=escalation, number=2).timescale_met is True


def test_five_stage_stage_2_without_a_managers_discussion_is_recorded_as_missed(cast):
    escalation = climb(cast, raise_one(cast), 2)
    assert run_watcher(now=london(2026, 11, 11, 10, 0)).breached == 1
    assert missed_entries(escalation) == 1
    # A discussion held after the deadline does not undo the breach, and the stage is not met.
    discuss(escalation, cast.other_manager, held_at=london(2026, 11, 11, 11, 0))
    services.escalation_acknowledge(escalation=fresh(escalation), acting_user=cast.other_manager)
    services.escalation_resolve(
        escalation=fresh(escalation),
        acting_user=cast.other_manager,
        outcome="Agreed.",
        reason_not_met="Annual leave.",
        at=london(2026, 11, 12, 10, 0),
    )
    assert StageOccurrence.objects.get(escalation=escalation, number=2).timescale_met is False


def test_five_stage_stage_2_the_raisers_own_note_is_not_the_discussion_between_managers(cast, client):
    # "The discussion between managers must occur within 5 working days of stage 1": a note the
    # raising practitioner writes up on their own goes on the record and to the managers, but the
    # clock waits for the managers' discussion.
    escalation = climb(cast, raise_one(cast), 2)
    client.force_login(cast.practitioner)
    page = client.get(reverse("escalation:discussion", args=[escalation.public_id])).content.decode()
    assert "only a discussion recorded by the people holding the stage meets its deadline" in page
    note = discuss(escalation, cast.practitioner, held_at=london(2026, 11, 4, 9, 30))
    assert current(escalation).step_met_at is None
    told = set(
        Notification.objects.filter(discussion=note, kind=NotificationKind.RECORDED).values_list(
            "recipient__username", flat=True
        )
    )
    assert "team-manager" in told  # the other agency's manager, as the form says
    assert run_watcher(now=london(2026, 11, 11, 10, 0)).breached == 1
    assert missed_entries(escalation) == 1


def test_five_stage_stage_2_either_agencys_manager_records_the_managers_discussion(cast, client):
    escalation = climb(cast, raise_one(cast), 2)
    client.force_login(cast.manager)
    page = client.get(reverse("escalation:discussion", args=[escalation.public_id])).content.decode()
    assert "only a discussion recorded by the people holding the stage" not in page
    discuss(escalation, cast.manager, held_at=london(2026, 11, 4, 9, 30))
    assert current(escalation).step_met_at == london(2026, 11, 4, 9, 30)


def test_five_stage_stage_1_the_raisers_record_of_a_plan_meets_it_once_the_other_professional_acknowledges(
    cast, client
):
    # "This must occur immediately with an acknowledgement and mutually agreed plan of action ...
    # within 48 hours": the raiser's note of the plan waits for the other agency to acknowledge it.
    escalation = raise_one(cast)
    client.force_login(cast.practitioner)
    page = client.get(reverse("escalation:discussion", args=[escalation.public_id])).content.decode()
    assert f"meets it once {escape(cast.csc.name)} has acknowledged the disagreement" in page
    discuss(escalation, cast.practitioner, held_at=london(2026, 11, 3, 15, 0))
    assert current(escalation).step_met_at is None
    climbing.acknowledge(escalation, at=london(2026, 11, 4, 11, 0))
    assert current(escalation).step_met_at == london(2026, 11, 4, 11, 0)
    assert run_watcher(now=london(2026, 11, 9, 10, 0)).breached == 0


def test_five_stage_stage_1_a_plan_the_other_agency_never_acknowledges_is_recorded_as_missed(cast):
    escalation = raise_one(cast)
    discuss(escalation, cast.practitioner, held_at=london(2026, 11, 3, 15, 0))
    assert run_watcher(now=current(escalation).due_at + timedelta(minutes=1)).breached == 1
    assert missed_entries(escalation) == 1


def test_five_stage_stage_1_acknowledged_then_a_plan_agreed_is_met_when_the_plan_was_agreed(cast):
    escalation = raise_one(cast)
    climbing.acknowledge(escalation, at=london(2026, 11, 3, 11, 0))
    assert current(escalation).step_met_at is None  # the acknowledgement alone is not the plan
    discuss(escalation, cast.other_practitioner, held_at=london(2026, 11, 3, 15, 0))
    assert current(escalation).step_met_at == london(2026, 11, 3, 15, 0)


def test_five_stage_stage_1_copied_from_the_preset_before_is_brought_to_the_acknowledged_plan_by_migration(cast):
    from importlib import import_module

    from django.apps import apps

    from partnerships.choices import StepEvent
    from partnerships.models import PolicyStage

    migration = import_module("partnerships.migrations.0015_five_stage_stage_1_acknowledged_plan")
    stages = PolicyStage.objects.filter(policy=cast.partnership.policy)
    stages.filter(number=1).update(met_by=StepEvent.DISCUSSION)  # as copied before
    migration.acknowledged_plan_from_the_preset(apps, None)
    assert dict(stages.values_list("number", "met_by"))[1] == StepEvent.ACKNOWLEDGED_PLAN
    assert dict(stages.values_list("number", "met_by"))[2] == StepEvent.DISCUSSION  # the managers' discussion


def test_at_st_helens_the_raiser_records_consulting_their_manager_and_the_managers_consulted_are_told():
    # "Consult their manager/supervisor ... on the same working day"; "all decisions must be
    # recorded in writing and shared with relevant personnel". Stage one is held inside the
    # raiser's own agency: the raiser is one of the two people at it.
    cast = build_cast("st-helens")
    escalation = raise_one(cast)
    note = discuss(escalation, cast.practitioner, held_at=london(2026, 11, 3, 11, 0))
    assert current(escalation).step_met_at == london(2026, 11, 3, 11, 0)
    told = set(
        Notification.objects.filter(discussion=note, kind=NotificationKind.RECORDED).values_list(
            "recipient__username", flat=True
        )
    )
    assert {"manager", "dsl"} <= told
    assert not {"social-worker", "team-manager"} & told
    assert run_watcher(now=london(2026, 11, 3, 17, 30)).breached == 0


def test_a_discussion_in_time_stops_the_warning_too(cast):
    escalation = climb(cast, raise_one(cast), 2)
    discuss(escalation, cast.other_manager, held_at=london(2026, 11, 4, 9, 30))
    assert run_watcher(now=london(2026, 11, 9, 10, 0)).warned == 0
    assert fresh(escalation).current_due_at is None  # lists stop counting it down


def test_five_stage_mediation_offered_within_5_working_days_meets_stage_5(cast):
    escalation = climb(cast, raise_one(cast), 5)
    # The chair sits for an agency that is not a party, as a Strategic Lead might.
    chair_seat = Membership.objects.create(
        user=cast.chair, partnership=cast.partnership, agency=cast.police, role=Role.SENIOR_MANAGER
    )
    review_arrange(
        escalation=fresh(escalation),
        acting_user=cast.business_manager,
        arrangement=PanelRule.MEDIATION,
        chair=chair_seat,
    )
    assert current(escalation).step_met_at is not None
    assert run_watcher(now=london(2026, 11, 20, 10, 0)).breached == 0
    assert missed_entries(escalation) == 0


def test_at_cumberland_arranging_the_review_is_not_the_decision_the_7_working_days_time():
    cast = build_cast("cumberland")
    escalation = climb(cast, raise_one(cast), 5)
    seat = Membership.objects.create(
        user=cast.chair, partnership=cast.partnership, agency=cast.police, role=Role.SENIOR_MANAGER
    )
    review_arrange(
        escalation=fresh(escalation),
        acting_user=cast.chair,  # "An impartial CSCP member, appointed by the CSCP Chair"
        arrangement=PanelRule.IMPARTIAL_MEMBER,
        chair=seat,
    )
    assert current(escalation).step_met_at is None
    due = current(escalation).due_at
    assert due == london(2026, 11, 12, 17, 0)  # 7 working days after Tuesday 3rd
    services.stage_record_decision(
        escalation=fresh(escalation), acting_user=cast.business_manager, decision="Children's social care will assess."
    )
    assert current(escalation).step_met_at is not None


def test_at_cumberland_a_decision_not_made_in_7_working_days_is_recorded_as_missed():
    cast = build_cast("cumberland")
    escalation = climb(cast, raise_one(cast), 5)
    assert run_watcher(now=london(2026, 11, 13, 10, 0)).breached == 1
    assert missed_entries(escalation) == 1


def test_changing_the_urgency_after_the_step_was_met_does_not_bring_a_deadline_back(cast, client):
    escalation = climb(cast, raise_one(cast), 2)
    discuss(escalation, cast.other_manager, held_at=london(2026, 11, 4, 9, 30))
    page = make_it_child_protection(client, cast.practitioner, escalation)
    assert fresh(escalation).urgency == Urgency.CHILD_PROTECTION
    assert fresh(escalation).current_due_at is None
    assert run_watcher(now=london(2026, 11, 30, 10, 0)).breached == 0
    # The banner and the file say the deadline stays, not that it was worked out again.
    said = "Stage 2&#x27;s deadline stays as it was: what it timed was done on"
    assert "Urgency changed to child protection." in page and said in page
    entry = RecordEntry.objects.filter(kind=RecordEntryKind.URGENCY_CHANGED).latest("pk")
    assert "deadline stays as it was: what it timed was done on 4 November 2026" in entry.summary
    assert "is now due" not in entry.summary


def test_changing_the_urgency_of_a_stage_past_its_deadline_leaves_the_missed_deadline_as_it_was(cast):
    escalation = climb(cast, raise_one(cast), 2)
    due = current(escalation).due_at
    assert run_watcher(now=due + timedelta(days=1)).breached == 1
    services.escalation_change_urgency(
        escalation=fresh(escalation), acting_user=cast.practitioner, urgency=Urgency.CHILD_PROTECTION, reason="Worse."
    )
    assert current(escalation).due_at == due
    entry = RecordEntry.objects.filter(kind=RecordEntryKind.URGENCY_CHANGED).latest("pk")
    assert "Stage 2's deadline stays as it was: it passed on" in entry.summary


def test_changing_the_urgency_of_an_open_stage_gives_its_new_deadline_on_the_page_and_the_file(client):
    cast = build_cast("bromley")  # child protection: 24 hours
    escalation = climb(cast, raise_one(cast), 2)
    page = make_it_child_protection(client, cast.practitioner, escalation)
    assert "Urgency changed to child protection. Stage 2 is now due by" in page
    entry = RecordEntry.objects.filter(kind=RecordEntryKind.URGENCY_CHANGED).latest("pk")
    assert "Stage 2 is now due by" in entry.summary


def test_a_change_to_the_urgency_it_already_has_is_a_form_error_that_keeps_the_reason_typed(cast, client):
    escalation = climb(cast, raise_one(cast), 2)
    client.force_login(cast.practitioner)
    page = client.post(
        reverse("escalation:urgency", args=[escalation.public_id]),
        {"urgency": Urgency.STANDARD, "reason": "Checked with the school nurse.", **seen(escalation)},
    ).content.decode()
    assert "govuk-error-summary" in page and "It is already standard: choose another urgency" in page
    assert "Checked with the school nurse." in page
    assert not RecordEntry.objects.filter(kind=RecordEntryKind.URGENCY_CHANGED).exists()


def test_where_the_policy_sets_no_other_timescale_for_an_urgency_the_page_says_the_deadline_is_unchanged(client):
    # The five-stage flowchart's stage 3 has no child-protection timescale of its own.
    cast = build_cast("five-stage")
    escalation = climb(cast, raise_one(cast), 3)
    due = current(escalation).due_at
    page = make_it_child_protection(client, cast.practitioner, escalation)
    assert current(escalation).due_at == due
    assert "Stage 3 is still due by" in page and "the policy sets the same timescale at this urgency" in page


def test_the_dashboard_counts_a_step_met_in_time_as_met_though_the_stage_goes_on(cast):
    from escalation.dashboard import build_dashboard
    from escalation.figures import Scope

    escalation = climb(cast, raise_one(cast), 2)
    discuss(escalation, cast.other_manager, held_at=london(2026, 11, 9, 14, 0))
    board = build_dashboard(Scope(cast.partnership), now=london(2026, 11, 20, 10, 0))
    timed = next(f for f in board.figures if f.key == "timescales")
    stage_2 = next(row for row in timed.rows if row.short == "Stage 2")
    assert [cell.value for cell in stage_2.cells[:2]] == [1, 0]  # met, not missed
    assert "Timed steps" in timed.title


def test_at_st_helens_where_childrens_social_care_is_involved_the_team_manager_is_alerted_within_one_working_day():
    cast = build_cast("st-helens")
    escalation = raise_one(cast)  # with children's social care
    services.escalation_escalate(
        escalation=fresh(escalation), acting_user=cast.manager, evidence="Consulted.", at=TUESDAY
    )
    assert current(escalation).due_at == london(2026, 11, 4, 17, 0)  # one working day, not one working week
    assert current(escalation).timescale_description == "1 working day"


def test_at_st_helens_with_another_agency_the_professionals_have_one_working_week():
    cast = build_cast("st-helens")
    escalation = services.escalation_raise(
        raised_by=cast.practitioner,
        raising_agency=cast.school,
        receiving_agency=cast.health,
        children=[cast.child],
        category=Category.INFORMATION_SHARING,
        concern="Not shared.",
        why_unsafe="Risk unknown.",
        outcome_sought="Share it.",
        at=TUESDAY,
    )
    services.escalation_escalate(
        escalation=fresh(escalation), acting_user=cast.manager, evidence="Consulted.", at=TUESDAY
    )
    assert current(escalation).due_at == london(2026, 11, 10, 17, 0)  # 5 working days


def test_at_cumberland_the_executive_lead_who_referred_it_sets_the_partnership_stages_urgency(client):
    from django.urls import reverse

    from escalation.errors import NotPermitted

    cast = build_cast("cumberland")
    escalation = climb(cast, raise_one(cast), 5)
    stage_3 = fresh(escalation).current_occurrence()
    assert stage_3.due_at == london(2026, 11, 12, 17, 0)  # 7 working days
    # "The urgency should be determined by the Executive Manager/Lead ... If the issue relates to
    # child protection, this should be determined within 24 hours."
    client.force_login(cast.other_director)
    page = client.get(reverse("escalation:detail", args=[escalation.public_id])).content.decode()
    assert "Change urgency" in page
    services.escalation_change_urgency(
        escalation=fresh(escalation),
        acting_user=cast.other_director,
        urgency=Urgency.CHILD_PROTECTION,
        reason="The dispute is about a child protection enquiry.",
    )
    assert fresh(escalation).current_occurrence().due_at == stage_3.clock_started_at + timedelta(hours=24)
    # A line manager who held an earlier level did not refer it to the partnership.
    client.force_login(cast.other_manager)
    page = client.get(reverse("escalation:detail", args=[escalation.public_id])).content.decode()
    assert "Change urgency" not in page
    assert client.get(reverse("escalation:urgency", args=[escalation.public_id])).status_code == 403
    with pytest.raises(NotPermitted):
        services.escalation_change_urgency(
            escalation=fresh(escalation), acting_user=cast.other_manager, urgency=Urgency.STANDARD, reason="No."
        )


def test_at_the_partnership_stage_the_raiser_may_make_it_more_urgent_but_not_less(client):
    from escalation.errors import NotPermitted

    cast = build_cast("cumberland")
    escalation = climb(cast, raise_one(cast), 5)
    # The child's situation worsened: the practitioner who raised it may still say so.
    services.escalation_change_urgency(
        escalation=fresh(escalation),
        acting_user=cast.practitioner,
        urgency=Urgency.CHILD_PROTECTION,
        reason="A new disclosure at school today.",
    )
    assert fresh(escalation).urgency == Urgency.CHILD_PROTECTION
    # Making it less urgent is the referring executive leads' or the partnership's to determine.
    client.force_login(cast.practitioner)
    seen = {"seen_state": fresh(escalation).state, "seen_stage": "5"}
    response = client.post(
        reverse("escalation:urgency", args=[escalation.public_id]),
        {"urgency": Urgency.STANDARD, "reason": "I think it can wait.", **seen},
        follow=True,
    )
    assert "only the managers who referred it or the partnership can make it less urgent" in response.content.decode()
    assert fresh(escalation).urgency == Urgency.CHILD_PROTECTION
    with pytest.raises(NotPermitted):
        services.escalation_change_urgency(
            escalation=fresh(escalation), acting_user=cast.practitioner, urgency=Urgency.STANDARD, reason="Wait."
        )
    services.escalation_change_urgency(
        escalation=fresh(escalation), acting_user=cast.business_manager, urgency=Urgency.STANDARD, reason="Agreed."
    )
    assert fresh(escalation).urgency == Urgency.STANDARD


def test_a_decision_and_an_arrangement_are_timed_when_they_were_made():
    # Written up later from the meeting's notes: `at` says when (as raise, escalate and resolve take it).
    cast = build_cast("cumberland")
    escalation = climb(cast, raise_one(cast), 5)
    police = Membership.objects.get(user=cast.police_senior_manager)
    arranged_at, decided_at = london(2026, 11, 5, 10, 0), london(2026, 11, 11, 15, 0)
    review = review_arrange(
        escalation=fresh(escalation),
        acting_user=cast.chair,
        arrangement=PanelRule.IMPARTIAL_MEMBER,
        chair=police,
        at=arranged_at,
    )
    assert review.formal_use_recorded_at == arranged_at
    services.stage_record_decision(
        escalation=fresh(escalation), acting_user=cast.police_senior_manager, decision="Assess.", at=decided_at
    )
    assert current(escalation).step_met_at == decided_at
    assert Notification.objects.filter(escalation=escalation, kind=NotificationKind.DECIDED).exists()
