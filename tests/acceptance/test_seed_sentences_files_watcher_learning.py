# ruff: noqa: E501
"""Seed-policy sentences not covered elsewhere: the child's file, the St Helens notice and
resolution templates, the watcher's warnings and missed deadlines, and learning.

Each test is named after the policy sentence it checks (quoted in its docstring). Set-up reuses
the acceptance tests' Riverside cast (tests/acceptance/test_seed_policy_sentences.py).
"""

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from cases.models import RecordEntry, RecordEntryKind
from escalation import services
from escalation.deadlines import run_watcher
from escalation.errors import EscalationError
from escalation.learning_report import Quarter, build_learning_report
from escalation.models import Notification, NotificationKind
from escalation.partnership_stage import review_arrange
from escalation.states import Category, DeliveryMethod, DiscussionMethod
from partnerships.choices import PanelRule, Role, Urgency
from partnerships.models import Membership
from tests import climbing
from tests.acceptance.test_seed_policy_sentences import (
    TUESDAY,
    cast_for,
    climb,
    current,
    fresh,
    told,
)
from tests.conftest import london
from tests.factories import person

pytestmark = pytest.mark.django_db

Q4 = Quarter(2026, 4)


def raise_two(cast, *, at=TUESDAY, urgency=Urgency.STANDARD, receiving=None):
    """Raised about both children (Ellie and her brother Noah)."""
    return services.escalation_raise(
        raised_by=cast.practitioner,
        raising_agency=cast.school,
        receiving_agency=receiving or cast.csc,
        children=[cast.child, cast.sibling],
        category=Category.THRESHOLD,
        concern="The referral was refused.",
        why_unsafe="Bruising seen twice.",
        outcome_sought="A strategy discussion.",
        urgency=urgency,
        at=at,
    )


def entries(escalation, kind, child):
    return list(RecordEntry.objects.filter(escalation=escalation, kind=kind, child=child).order_by("at", "pk"))


def discuss_with_conflict(escalation, by, held_at, *, disagreement, agreement, outcome="Agreed a plan."):
    return services.discussion_record(
        escalation=fresh(escalation),
        acting_user=by,
        held_at=held_at,
        method=DiscussionMethod.PHONE,
        participants="Both managers",
        areas_of_agreement=agreement,
        areas_of_disagreement=disagreement,
        outcome=outcome,
    )


def cumberland_at_the_partnership(cast, at=TUESDAY):
    escalation = climb(cast, raise_two(cast, at=at), 5, at=at)
    review_arrange(
        escalation=fresh(escalation),
        acting_user=cast.chair,
        arrangement=PanelRule.IMPARTIAL_MEMBER,
        chair=Membership.objects.get(user=cast.police_senior_manager),
        at=at,
    )
    return escalation


# === (1) The child's file =======================================================================


def test_cumberland_progress_in_respect_of_the_escalation_should_be_recorded_on_the_childs_file_at_every_stage():
    """ "Progress in respect of the escalation and dispute resolution should be recorded on the
    child's file at every stage." Every child named: raised, each acknowledgement, each move, the
    partnership's arrangement, its decision and the resolution."""
    cast, _ = cast_for("cumberland")
    escalation = cumberland_at_the_partnership(cast)
    services.stage_record_decision(
        escalation=fresh(escalation), acting_user=cast.police_senior_manager, decision="Assess now."
    )
    services.escalation_resolve(
        escalation=fresh(escalation), acting_user=cast.police_senior_manager, outcome="Assessment started."
    )
    for child in (cast.child, cast.sibling):
        assert len(entries(escalation, RecordEntryKind.RAISED, child)) == 1
        assert len(entries(escalation, RecordEntryKind.ESCALATED, child)) == 4  # stages 2, 3, 4, 5
        assert len(entries(escalation, RecordEntryKind.ACKNOWLEDGED, child)) >= 4
        assert any("formal use" in e.summary for e in entries(escalation, RecordEntryKind.NOTE, child))
        assert "Assess now." in entries(escalation, RecordEntryKind.DECISION, child)[0].summary
        assert "Assessment started." in entries(escalation, RecordEntryKind.RESOLVED, child)[0].summary


def test_cumberland_level_three_record_the_conflict_and_outcome_on_the_childs_file():
    """ "Record the conflict and outcome on the child's file." (Level Three.) The conflict the
    service leads recorded is on each child's file, not only the outcome."""
    cast, _ = cast_for("cumberland")
    escalation = climb(cast, raise_two(cast), 3)
    climbing.acknowledge(escalation)
    discuss_with_conflict(
        escalation,
        cast.other_senior_manager,
        london(2026, 11, 4, 10, 0),
        disagreement="Whether the bruising needs a strategy discussion.",
        agreement="Both agree the child should be seen this week.",
        outcome="Team Around the Family meeting on Friday.",
    )
    for child in (cast.child, cast.sibling):
        summary = entries(escalation, RecordEntryKind.DISCUSSION, child)[0].summary
        assert "Team Around the Family meeting on Friday." in summary
        assert "Whether the bruising needs a strategy discussion." in summary


def test_plymouth_the_detail_of_the_conflict_and_agreements_reached_should_be_recorded_on_the_childs_file():
    """ "Any action agreed should be fed back immediately to the relevant managers involved and the
    detail of the conflict and agreements reached should be recorded on the child's file." """
    cast, _ = cast_for("plymouth")
    escalation = climb(cast, raise_two(cast), 2)
    climbing.acknowledge(escalation)
    discuss_with_conflict(
        escalation,
        cast.other_manager,
        london(2026, 11, 3, 15, 0),
        disagreement="Whether the threshold for a section 47 enquiry is met.",
        agreement="Health visitor notes will be shared today.",
    )
    summary = entries(escalation, RecordEntryKind.DISCUSSION, cast.child)[0].summary
    assert "Whether the threshold for a section 47 enquiry is met." in summary
    assert "Health visitor notes will be shared today." in summary


def test_bromley_the_process_and_outcome_should_be_formally_recorded_and_a_summary_report_placed_on_the_childs_record():
    """ "The process and outcome should be formally recorded, and a summary report placed on the
    child's record." Each child's record shows how the BSCP dealt with it (the panel and who sat on
    it), its decision and the outcome."""
    cast, extra = cast_for("bromley")
    escalation = climb(cast, raise_two(cast), 4)
    members = [
        Membership.objects.get(user=u)
        for u in (cast.police_senior_manager, cast.health_senior_manager, extra.probation_senior)
    ]
    review_arrange(
        escalation=fresh(escalation),
        acting_user=cast.business_manager,
        arrangement=PanelRule.RESOLUTION_PANEL,
        chair=Membership.objects.get(user=cast.chair),
        members=members,
    )
    services.stage_record_decision(
        escalation=fresh(escalation), acting_user=cast.chair, decision="Social care will assess within 10 days."
    )
    services.escalation_resolve(escalation=fresh(escalation), acting_user=cast.chair, outcome="Assessment allocated.")
    for child in (cast.child, cast.sibling):
        text = " ".join(e.summary for e in RecordEntry.objects.filter(escalation=escalation, child=child))
        assert "resolution panel" in text
        assert "Police Senior" in text and "Probation Senior" in text
        assert "Social care will assess within 10 days." in text
        assert "Assessment allocated." in text


def test_cumberland_progress_recorded_on_the_childs_file_shows_on_every_named_childs_file_page(client):
    """ "Progress in respect of the escalation and dispute resolution should be recorded on the
    child's file at every stage." The brother's file page shows the same progress."""
    cast, _ = cast_for("cumberland")
    escalation = climb(cast, raise_two(cast), 3)
    climbing.acknowledge(escalation)
    discuss_with_conflict(
        escalation,
        cast.other_senior_manager,
        london(2026, 11, 4, 10, 0),
        disagreement="x",
        agreement="y",
        outcome="Visit on Friday.",
    )
    client.force_login(cast.practitioner)
    page = client.get(reverse("cases:child-file", args=[cast.sibling.public_id])).content.decode()
    for label in ("Disagreement raised", "Acknowledged", "Escalated", "Discussion recorded"):
        assert label in page
    assert "Visit on Friday." in page
    assert escalation.reference in page


def test_bromley_all_discussions_decisions_and_actions_must_be_recorded_contemporaneously_a_change_of_urgency():
    """ "Recording & Transparency: All discussions, decisions, and actions must be recorded
    contemporaneously and placed on the child's safeguarding record." A decision to treat it as
    child protection, and why."""
    cast, _ = cast_for("bromley")
    escalation = climb(cast, raise_two(cast), 2)
    services.escalation_change_urgency(
        escalation=fresh(escalation),
        acting_user=cast.manager,
        urgency=Urgency.CHILD_PROTECTION,
        reason="A new disclosure at school.",
    )
    for child in (cast.child, cast.sibling):
        (entry,) = entries(escalation, RecordEntryKind.URGENCY_CHANGED, child)
        assert "A new disclosure at school." in entry.summary and "child protection" in entry.summary


def test_bromley_all_decisions_must_be_placed_on_the_childs_safeguarding_record_a_withdrawal_and_why():
    """ "All discussions, decisions, and actions must be recorded contemporaneously and placed on
    the child's safeguarding record." Withdrawing it is a decision too."""
    cast, _ = cast_for("bromley")
    escalation = raise_two(cast)
    services.escalation_withdraw(
        escalation=fresh(escalation), acting_user=cast.practitioner, reason="Social care have now opened an assessment."
    )
    for child in (cast.child, cast.sibling):
        (entry,) = entries(escalation, RecordEntryKind.WITHDRAWN, child)
        assert "Social care have now opened an assessment." in entry.summary


# === (1b) St Helens' templates ==================================================================


def st_helens_to_the_notice(cast, *, issued_at):
    """Stage one consulted, the professionals, the line managers; the school's line manager sends
    the escalation notice on to the service managers (stage four) at `issued_at`."""
    escalation = raise_two(cast)
    services.escalation_escalate(
        escalation=fresh(escalation), acting_user=cast.manager, evidence="Consulted.", at=london(2026, 11, 3, 11, 0)
    )
    services.escalation_escalate(
        escalation=fresh(escalation), acting_user=cast.practitioner, evidence="We spoke.", at=london(2026, 11, 3, 15, 0)
    )
    services.escalation_acknowledge(
        escalation=fresh(escalation), acting_user=cast.other_manager, at=london(2026, 11, 4, 9, 0)
    )
    services.escalation_escalate(
        escalation=fresh(escalation), acting_user=cast.manager, evidence="Notice sent.", at=issued_at
    )
    return fresh(escalation)


def notice_page(client, cast, escalation):
    client.force_login(cast.practitioner)
    return client.get(reverse("escalation:notice", args=[escalation.public_id])).content.decode()


def row(page, header):
    """The cell beside a row header in a printed document."""
    found = re.search(re.escape(header) + r"</th><td class=\"govuk-table__cell\">(.*?)</td>", page, re.S)
    assert found, header
    return found.group(1)


def test_st_helens_escalation_notice_template_agency_issuing_agency_receiving_child_dob_signed_role(client):
    """ESCALATION NOTICE TEMPLATE: "Agency issuing Escalation Notice / Agency receiving Escalation
    Notice / Name of Child/Young Person: D.O.B / Please document any information of concern. /
    Signed: Role / Dated:" """
    cast, _ = cast_for("st-helens")
    escalation = st_helens_to_the_notice(cast, issued_at=london(2026, 11, 9, 11, 0))
    page = notice_page(client, cast, escalation)
    assert row(page, "Agency issuing escalation notice") == "Riverside Primary School"
    assert row(page, "Agency receiving escalation notice").startswith("Riverside Children&#x27;s Social Care")
    for child in (cast.child, cast.sibling):
        assert f"{child.full_name}, date of birth {child.date_of_birth:%d/%m/%Y}" in page
    assert "Bruising seen twice." in row(page, "Information of concern")
    assert row(page, "Signed") == cast.manager.get_full_name()
    assert "Line manager, Riverside Primary School" in row(page, "Role")


def test_st_helens_the_escalation_notice_is_dated_when_it_is_signed_and_forwarded_to_the_service_manager(client):
    """ "The Escalation Notice will record information and document the issue raised and this
    will be forwarded to the Service Manager (or agency equivalent) within 5 working days." The
    template's "Signed ... Dated" is the date of the notice, not the day the disagreement arose."""
    cast, _ = cast_for("st-helens")
    escalation = st_helens_to_the_notice(cast, issued_at=london(2026, 11, 9, 11, 0))
    page = notice_page(client, cast, escalation)
    assert row(page, "Dated") == "9 November 2026"


def test_st_helens_the_escalation_notice_stays_signed_by_the_manager_who_issued_it_after_it_moves_to_the_directors(
    client,
):
    """ "If the comparable line managers cannot achieve resolution ... an escalation notice will be
    necessary ... Signed: ... Role ..." Once the service managers take it to the Directors, the
    notice the line manager signed is still signed by the line manager."""
    cast, _ = cast_for("st-helens")
    escalation = st_helens_to_the_notice(cast, issued_at=london(2026, 11, 9, 11, 0))
    climbing.acknowledge(escalation, at=london(2026, 11, 9, 12, 0))
    services.escalation_escalate(
        escalation=fresh(escalation),
        acting_user=cast.senior_manager,
        evidence="Service managers met.",
        at=london(2026, 11, 10, 11, 0),
    )
    assert fresh(escalation).stage_number == 5
    page = notice_page(client, cast, escalation)
    assert row(page, "Signed") == cast.manager.get_full_name()


def test_st_helens_a_copy_of_this_notice_will_be_sent_to_the_lscb_business_manager_copy_to_lscb_date(client):
    """ "A copy of this notice will be sent to the LSCB Business Manager." Template: "Copy to
    LSCB ..... Date". Not before the notice exists; once it is issued, to whom and when."""
    cast, _ = cast_for("st-helens")
    escalation = raise_two(cast)
    assert "No copy has been sent to the partnership yet." in notice_page(client, cast, escalation)
    services.escalation_escalate(
        escalation=fresh(escalation), acting_user=cast.manager, evidence="Consulted.", at=london(2026, 11, 3, 11, 0)
    )
    services.escalation_escalate(
        escalation=fresh(escalation), acting_user=cast.practitioner, evidence="We spoke.", at=london(2026, 11, 3, 15, 0)
    )
    services.escalation_acknowledge(
        escalation=fresh(escalation), acting_user=cast.other_manager, at=london(2026, 11, 4, 9, 0)
    )
    assert "No copy has been sent to the partnership yet." in notice_page(client, cast, escalation)
    services.escalation_escalate(escalation=fresh(escalation), acting_user=cast.manager, evidence="Notice sent.")
    copy = row(notice_page(client, cast, escalation), "Copy to the partnership")
    assert "Copy sent to Business Manager" in copy


def st_helens_resolved(cast):
    """Stage 1 met (consulted at 11:00); stage 2 (social care: one working day) missed, with a
    reason; resolved at stage 3 by the line managers."""
    escalation = raise_two(cast)
    services.escalation_escalate(
        escalation=fresh(escalation), acting_user=cast.manager, evidence="Consulted.", at=london(2026, 11, 3, 11, 0)
    )
    services.escalation_escalate(
        escalation=fresh(escalation),
        acting_user=cast.practitioner,
        evidence="The social worker would not change the decision.",
        reason_not_met="The social worker was on leave until Friday.",
        at=london(2026, 11, 6, 10, 0),
    )
    services.escalation_acknowledge(
        escalation=fresh(escalation), acting_user=cast.other_manager, at=london(2026, 11, 6, 11, 0)
    )
    services.escalation_resolve(
        escalation=fresh(escalation),
        acting_user=cast.other_manager,
        outcome="A child and family assessment will start on Monday.",
        main_reason=Category.COMMUNICATION,
        issues_raised="The referral form lacked the school's chronology.",
        lessons_learnt="Attach the chronology to every referral.",
        practitioners_informed="The class teacher and the social worker.",
        method_of_delivery=DeliveryMethod.SECURE_EMAIL,
        at=london(2026, 11, 9, 12, 0),
    )
    return fresh(escalation)


def test_st_helens_escalation_resolution_template_timescales_adhered_to_per_stage_no_please_supply_reason(client):
    """ESCALATION RESOLUTION TEMPLATE: "Timescales adhered to Stage 1 / Stage 2 / Stage 3 — No
    Please supply reason"."""
    cast, _ = cast_for("st-helens")
    escalation = st_helens_resolved(cast)
    client.force_login(cast.practitioner)
    page = client.get(reverse("escalation:resolution-record", args=[escalation.public_id])).content.decode()
    assert row(page, "Timescales adhered to, stage 1") == "Yes"
    assert row(page, "Timescales adhered to, stage 2") == "No. Reason: The social worker was on leave until Friday."
    assert row(page, "Timescales adhered to, stage 3") == "Yes"


def test_st_helens_escalation_resolution_template_main_reason_action_referrer_practitioners_informed_date_method(
    client,
):
    """ "Main reason for escalation: Threshold / Conflict / Communication / Need for Action / Roles
    & Responsibilities; Action; Name of referrer; Practitioners Informed; Date form completed;
    Method of delivery"; "Stage Escalation Resolved"; "Name of Child"."""
    cast, _ = cast_for("st-helens")
    escalation = st_helens_resolved(cast)
    client.force_login(cast.practitioner)
    page = client.get(reverse("escalation:resolution-record", args=[escalation.public_id])).content.decode()
    assert row(page, "Main reason for escalation") == "Communication"
    assert "A child and family assessment will start on Monday." in row(page, "Agreed outcome and action")
    assert row(page, "Name of referrer").startswith(cast.practitioner.get_full_name())
    assert row(page, "Practitioners informed") == "The class teacher and the social worker."
    assert row(page, "Method of delivery") == "Secure e-mail"
    assert row(page, "Stage escalation resolved") == "Stage 3, 9 November 2026"
    assert "Date form completed" in page
    assert cast.sibling.full_name in page and cast.child.full_name in page


def test_st_helens_escalation_notice_date_of_resolution_level_of_resolution_issues_raised_lessons_learnt(client):
    """The notice template's foot: "Date of resolution / Level of resolution / Issues raised /
    Lessons learnt"."""
    cast, _ = cast_for("st-helens")
    escalation = st_helens_resolved(cast)
    page = notice_page(client, cast, escalation)
    assert row(page, "Date of resolution") == "9 November 2026"
    assert row(page, "Level of resolution") == "Stage 3"
    assert row(page, "Issues raised") == "The referral form lacked the school&#x27;s chronology."
    assert row(page, "Lessons learnt") == "Attach the chronology to every referral."


# === (2) The watcher ============================================================================


def test_five_stage_discussion_between_managers_within_5_working_days_warned_once_however_often_the_watcher_runs():
    """ "The discussion between managers must occur within 5 working days of stage 1." The holders
    are warned once before the deadline, not at every tick."""
    cast, extra = cast_for("five-stage")
    escalation = climb(cast, raise_two(cast), 2)
    first = run_watcher(now=london(2026, 11, 9, 9, 0))
    again = run_watcher(now=london(2026, 11, 9, 9, 1))
    later = run_watcher(now=london(2026, 11, 10, 9, 0))
    assert (first.warned, again.warned, later.warned) == (1, 0, 0)
    rows = Notification.objects.filter(escalation=escalation, kind=NotificationKind.WARNING)
    names = list(rows.values_list("recipient__username", flat=True))
    assert len(names) == len(set(names))
    assert {"manager", "dsl", "team-manager", "csc-dsl", "practitioner"} <= set(names)


def test_five_stage_within_5_working_days_a_missed_deadline_is_recorded_once_on_every_childs_file():
    """ "Each Manager to Manager discussion should take place within 5 working days of the previous
    stage." Missed: once on each child's file and once to each person, however often the watcher runs."""
    cast, _ = cast_for("five-stage")
    escalation = climb(cast, raise_two(cast), 2)
    reports = [run_watcher(now=london(2026, 11, 11, 9, 0) + timedelta(minutes=m)) for m in (0, 1, 60 * 24)]
    assert [r.breached for r in reports] == [1, 0, 0]
    for child in (cast.child, cast.sibling):
        assert len(entries(escalation, RecordEntryKind.BREACHED, child)) == 1
    names = list(
        Notification.objects.filter(escalation=escalation, kind=NotificationKind.BREACH).values_list(
            "recipient__username", flat=True
        )
    )
    assert len(names) == len(set(names))


def test_five_stage_the_discussion_between_managers_must_occur_within_5_working_days_the_warning_says_by_when():
    """ "The discussion between managers must occur within 5 working days of stage 1." The warning
    says by when (README: "A notice says what happened, what the reader must do and by when")."""
    cast, _ = cast_for("five-stage")
    escalation = climb(cast, raise_two(cast), 2)
    run_watcher(now=london(2026, 11, 9, 9, 0))
    text = Notification.objects.filter(escalation=escalation, kind=NotificationKind.WARNING).first().message
    assert "Tuesday 10 November 2026 at 5:00pm" in text
    assert cast.child.first_name not in text and cast.child.last_name not in text


def test_five_stage_the_discussion_between_managers_must_occur_within_5_working_days_the_warning_says_what_to_do():
    """ "The discussion between managers must occur within 5 working days of stage 1." The warning
    tells the managers what is due: the discussion, recorded (README: "what the reader must do")."""
    cast, _ = cast_for("five-stage")
    escalation = climb(cast, raise_two(cast), 2)
    run_watcher(now=london(2026, 11, 9, 9, 0))
    text = (
        Notification.objects.filter(escalation=escalation, kind=NotificationKind.WARNING, recipient=cast.other_manager)
        .get()
        .message
    )
    # Outside the stage's own name ("Stage 2: direct manager to manager discussion"): what the
    # reader must do, as the escalation notice does ("You hold this stage: acknowledge it and agree ...").
    instruction = text.replace(current(escalation).policy_stage.name, "")
    assert "discussion" in instruction.lower()


def test_st_helens_consult_the_manager_on_the_same_working_day_the_warning_goes_to_the_manager_not_the_other_agency():
    """ "Any professional who feels that a decision made by another agency is inappropriate or
    unsafe should initially consult their manager/supervisor ... on the same working day." The
    warning goes to the raiser's manager and safeguarding lead and the raiser, not yet the other agency."""
    cast, extra = cast_for("st-helens")
    escalation = raise_two(cast)
    assert run_watcher(now=london(2026, 11, 3, 11, 0)).warned == 1
    warned = told(escalation, NotificationKind.WARNING)
    assert {"manager", "dsl", "practitioner"} <= warned
    assert not {"social-worker", "team-manager", "school-colleague"} & warned


def test_five_stage_within_48_hours_2_working_days_over_christmas_bank_holidays_is_not_missed_early():
    """ "a mutually agreed plan of action, including timescales within 48 hours (2 working days)".
    Raised on Wednesday 23 December 2026: Christmas Day and the Boxing Day substitute (Monday 28th)
    are not working days, so it is due on Tuesday 29th at the close."""
    cast, _ = cast_for("five-stage")
    escalation = raise_two(cast, at=london(2026, 12, 23, 10, 0))
    assert current(escalation).due_at == london(2026, 12, 29, 17, 0)
    assert run_watcher(now=london(2026, 12, 28, 18, 0)).breached == 0
    assert run_watcher(now=london(2026, 12, 29, 16, 59)).breached == 0
    assert run_watcher(now=london(2026, 12, 30, 9, 0)).breached == 1


def test_five_stage_within_48_hours_2_working_days_a_deadline_on_monday_is_warned_on_the_friday_before():
    """ "within 48 hours (2 working days)": raised on Thursday, due at Monday's close; the warning
    comes on the working day before (Friday), not over the weekend or on the Monday itself."""
    cast, _ = cast_for("five-stage")
    escalation = raise_two(cast, at=london(2026, 11, 5, 10, 0))
    assert current(escalation).due_at == london(2026, 11, 9, 17, 0)
    assert run_watcher(now=london(2026, 11, 5, 16, 0)).warned == 0
    assert run_watcher(now=london(2026, 11, 6, 9, 0)).warned == 1


def test_five_stage_any_escalation_should_follow_the_steps_within_the_maximum_timescales_a_breach_after_hours_is_emailed_next_working_morning():
    """ "Any escalation should follow the steps below within the maximum timescales stated." A
    standard stage missed at Friday's close: the notice is written at once (in the app) and its
    e-mail waits for Monday morning (README: out-of-hours e-mails wait for the next working morning)."""
    cast, _ = cast_for("five-stage")
    escalation = raise_two(cast, at=london(2026, 11, 4, 10, 0))
    assert current(escalation).due_at == london(2026, 11, 6, 17, 0)
    assert run_watcher(now=london(2026, 11, 6, 18, 0)).breached == 1
    for notice in Notification.objects.filter(escalation=escalation, kind=NotificationKind.BREACH):
        local = notice.email_not_before.astimezone(london(2026, 1, 1).tzinfo)
        assert local.date() == london(2026, 11, 9).date() and local.hour <= 10


def test_bromley_timescales_appropriate_to_the_risk_a_child_protection_breach_at_night_is_emailed_at_once():
    """ "Timescales must be appropriate to the risk – always 'as soon as possible'." A
    child-protection stage missed at 18:00 on a Friday is e-mailed at once, not on Monday."""
    cast, _ = cast_for("bromley")
    escalation = raise_two(cast, at=london(2026, 11, 5, 18, 0), urgency=Urgency.CHILD_PROTECTION)
    assert current(escalation).due_at == london(2026, 11, 6, 18, 0)
    night = london(2026, 11, 7, 2, 0)
    assert run_watcher(now=night).breached == 1
    for notice in Notification.objects.filter(escalation=escalation, kind=NotificationKind.BREACH):
        assert notice.email_not_before <= night


def test_cumberland_stage_three_no_longer_than_7_working_days_over_easter():
    """ "The urgency should be determined by the Executive Manager/Lead, no longer than 7 working
    days." Reaching the CSCP on Thursday 25 March 2027: Good Friday and Easter Monday do not count,
    so the decision is due on Wednesday 7 April 2027, and is not missed before."""
    cast, _ = cast_for("cumberland")
    escalation = climb(cast, raise_two(cast, at=london(2027, 3, 25, 10, 0)), 5, at=london(2027, 3, 25, 10, 0))
    assert current(escalation).due_at == london(2027, 4, 7, 17, 0)
    assert run_watcher(now=london(2027, 4, 6, 17, 30)).breached == 0
    assert run_watcher(now=london(2027, 4, 8, 9, 0)).breached == 1


def test_cumberland_the_urgency_determined_by_the_executive_manager_lead_is_no_longer_than_7_working_days():
    """ "The urgency should be determined by the Executive Manager/Lead, no longer than 7 working
    days. If the issue relates to child protection, this should be determined with 24 hours." The
    executive lead lowering a child-protection case to standard gets 7 working days, never more."""
    cast, _ = cast_for("cumberland")
    escalation = climb(cast, raise_two(cast, urgency=Urgency.CHILD_PROTECTION), 5)
    assert current(escalation).due_at == TUESDAY + timedelta(hours=24)
    services.escalation_change_urgency(
        escalation=fresh(escalation),
        acting_user=cast.director,
        urgency=Urgency.STANDARD,
        reason="No child protection issue after all.",
    )
    assert current(escalation).due_at == london(2026, 11, 12, 17, 0)


# === (3) Learning ===============================================================================


def test_cumberland_the_cscp_business_manager_records_formal_use_of_the_escalation_procedure_and_reports_it_to_the_partnership():
    """ "The CSCP Business Manager records formal use of the escalation procedure and reports it to
    the Partnership so that learning and actions can be identified." The quarter's learning report
    counts and lists it, with the arrangement and the decision."""
    cast, _ = cast_for("cumberland")
    escalation = cumberland_at_the_partnership(cast)
    services.stage_record_decision(
        escalation=fresh(escalation), acting_user=cast.police_senior_manager, decision="Assess now."
    )
    report = build_learning_report(cast.partnership, Q4, now=london(2026, 12, 1, 9, 0))
    summary = dict((r[0], r[1]) for r in report.section("summary").rows)
    assert summary["Formal use of the procedure (partnership stage reached)"] == 1
    (formal,) = report.section("formal").rows
    assert formal[0] == escalation.reference
    assert formal[4] == PanelRule.IMPARTIAL_MEMBER.label
    assert formal[5] == "Assess now."


def test_cumberland_reports_it_to_the_partnership_so_that_learning_and_actions_can_be_identified_on_the_report_page(
    client,
):
    """ "... reports it to the Partnership so that learning and actions can be identified." The
    business manager's report page and CSV download show the formal use and the lessons."""
    cast, _ = cast_for("cumberland")
    escalation = cumberland_at_the_partnership(cast)
    services.stage_record_decision(
        escalation=fresh(escalation), acting_user=cast.police_senior_manager, decision="Assess now."
    )
    services.escalation_resolve(
        escalation=fresh(escalation),
        acting_user=cast.police_senior_manager,
        outcome="Done.",
        lessons_learnt="Share strategy minutes with schools.",
    )
    client.force_login(cast.business_manager)
    page = client.get(reverse("dashboard:report") + "?quarter=2026-Q4").content.decode()
    assert escalation.reference in page and "Share strategy minutes with schools." in page
    response = client.get(reverse("dashboard:report-csv") + "?quarter=2026-Q4")
    body = b"".join(response.streaming_content).decode() if response.streaming else response.content.decode()
    assert "Share strategy minutes with schools." in body and escalation.reference in body


def test_bromley_bscp_should_consider_whether_systemic_learning_reviews_are_needed():
    """ "BSCP should consider whether systemic / learning reviews are needed if the disagreement
    reflects deeper multi-agency issues." A resolution at the BSCP that recommends one is listed for
    the partnership."""
    cast, extra = cast_for("bromley")
    escalation = climb(cast, raise_two(cast), 4)
    review_arrange(
        escalation=fresh(escalation),
        acting_user=cast.business_manager,
        arrangement=PanelRule.DIRECT_LIAISON,
        chair=Membership.objects.get(user=cast.chair),
    )
    services.stage_record_decision(escalation=fresh(escalation), acting_user=cast.chair, decision="Assess.")
    services.escalation_resolve(
        escalation=fresh(escalation),
        acting_user=cast.chair,
        outcome="Assessed.",
        case_review_recommended=True,
        lessons_learnt="Threshold guidance is read differently.",
    )
    report = build_learning_report(cast.partnership, Q4, now=london(2026, 12, 1, 9, 0))
    assert [r[0] for r in report.section("reviews").rows] == [escalation.reference]
    assert dict((r[0], r[1]) for r in report.section("summary").rows)["Multi-agency case reviews recommended"] == 1


def test_plymouth_consideration_should_be_given_to_holding_a_multi_agency_case_review(client):
    """ "In all cases where it has not been possible to resolve differences and/or where there may
    be lessons to be learned for future practice, consideration should be given to holding a
    multi-agency case review." Resolving after the Head of Safeguarding's decision asks the question
    and will not go on without an answer."""
    cast, _ = cast_for("plymouth")
    escalation = climb(cast, raise_two(cast), 5)
    review_arrange(
        escalation=fresh(escalation),
        acting_user=cast.business_manager,
        arrangement=PanelRule.HEAD_OF_SAFEGUARDING,
        chair=Membership.objects.get(user=cast.health_senior_manager),
    )
    services.stage_record_decision(
        escalation=fresh(escalation), acting_user=cast.health_senior_manager, decision="Refer for a case review."
    )
    client.force_login(cast.health_senior_manager)
    url = reverse("escalation:resolve", args=[escalation.public_id])
    page = client.get(url).content.decode()
    assert "Is a multi-agency case review recommended?" in page
    e = fresh(escalation)
    response = client.post(
        url,
        {
            "agreed_outcome": "Case review to be held.",
            "main_reason": Category.THRESHOLD,
            "practitioners_informed": "All.",
            "family_informed": "yes",
            "seen_state": e.state,
            "seen_stage": str(e.stage_number),
        },
    )
    assert response.status_code == 200
    assert "Select whether a multi-agency case review is recommended" in response.content.decode()
    assert not hasattr(fresh(escalation), "resolution") or fresh(escalation).state == e.state


def test_five_stage_stage_4_a_resolution_meeting_to_ensure_any_learning_points_are_recorded_and_brought_forward():
    """ "This may involve a resolution meeting to ensure any learning points are recorded and
    brought forward." Lessons recorded at stage 4 are brought forward into the partnership's
    learning report with the stage they came from."""
    cast, _ = cast_for("five-stage")
    escalation = climb(cast, raise_two(cast), 4)
    climbing.acknowledge(escalation)
    services.escalation_resolve(
        escalation=fresh(escalation),
        acting_user=cast.other_director,
        outcome="Joint visit agreed.",
        issues_raised="Two plans for one child.",
        lessons_learnt="One lead professional per child.",
        at=london(2026, 11, 4, 12, 0),
    )
    report = build_learning_report(cast.partnership, Q4, now=london(2026, 12, 1, 9, 0))
    (lesson,) = report.section("lessons").rows
    assert lesson[0] == escalation.reference and lesson[3] == 4
    assert lesson[5] == "Two plans for one child." and lesson[6] == "One lead professional per child."


# === (4) Other sentences ========================================================================


def test_five_stage_escalation_via_e_mail_is_not_recommended(client):
    """ "Escalations should be raised in a variety of methods either via telephone, face to face or
    other type of internet meeting ... Escalation via e-mail is not recommended." The discussion
    form says so where the method is chosen."""
    cast, _ = cast_for("five-stage")
    escalation = raise_two(cast)
    climbing.acknowledge(escalation)
    client.force_login(cast.other_practitioner)
    page = client.get(reverse("escalation:discussion", args=[escalation.public_id])).content.decode()
    assert "Escalation via e-mail is not recommended" in page


def test_five_stage_before_progressing_through_the_stages_evidence_that_all_efforts_at_the_previous_stage_have_been_explored_at_every_stage():
    """ "Before progressing an escalation through the stages of this process, evidence should be
    provided that all efforts at the previous stage have been explored." At every stage, including
    the move to the partnership; the evidence goes on each child's file."""
    cast, _ = cast_for("five-stage")
    escalation = raise_two(cast)
    for stage in range(1, 5):
        climbing.acknowledge(escalation)
        with pytest.raises(EscalationError):
            services.escalation_escalate(escalation=fresh(escalation), acting_user=cast.practitioner, evidence="")
        assert fresh(escalation).stage_number == stage
        services.escalation_escalate(
            escalation=fresh(escalation), acting_user=cast.practitioner, evidence=f"Tried at stage {stage}: two calls."
        )
    assert fresh(escalation).stage_number == 5
    for child in (cast.child, cast.sibling):
        texts = [e.summary for e in entries(escalation, RecordEntryKind.ESCALATED, child)]
        assert all(f"Tried at stage {n}: two calls." in t for n, t in zip(range(1, 5), texts, strict=True))


def test_bromley_panels_should_include_senior_representatives_from_at_least_three_different_agencies_not_three_people():
    """ "(Panels should include senior representatives from at least three different agencies.)"
    Three senior people from two agencies are not three agencies."""
    cast, extra = cast_for("bromley")
    second_police = person("police-senior-2", cast.partnership, Role.SENIOR_MANAGER, cast.police)
    escalation = climb(cast, raise_two(cast), 4)
    members = [
        Membership.objects.get(user=u) for u in (cast.police_senior_manager, second_police, cast.health_senior_manager)
    ]
    with pytest.raises(EscalationError):
        review_arrange(
            escalation=fresh(escalation),
            acting_user=cast.business_manager,
            arrangement=PanelRule.RESOLUTION_PANEL,
            chair=Membership.objects.get(user=cast.chair),
            members=members,
        )
    assert not hasattr(current(escalation), "review")


def test_plymouth_any_action_agreed_should_be_fed_back_immediately_the_owner_of_an_overdue_action_is_reminded_once():
    """ "Any action agreed should be fed back immediately to the relevant managers involved": an
    agreed action not done by its date is chased once (to its owner and the stage's holders)."""
    cast, _ = cast_for("plymouth")
    escalation = climb(cast, raise_two(cast), 2)
    climbing.acknowledge(escalation)
    services.discussion_record(
        escalation=fresh(escalation),
        acting_user=cast.other_manager,
        held_at=london(2026, 11, 3, 15, 0),
        method=DiscussionMethod.FACE_TO_FACE,
        participants="Both line managers",
        outcome="Agreed.",
        actions=[
            {
                "description": "Share the health visitor's notes",
                "owner": cast.other_practitioner,
                "due_on": london(2026, 11, 5).date(),
            }
        ],
    )
    reports = [run_watcher(now=london(2026, 11, 6, 9, 0) + timedelta(hours=h)) for h in (0, 1)]
    assert [r.actions_overdue for r in reports] == [1, 0]
    assert {"social-worker", "manager", "team-manager"} <= told(escalation, NotificationKind.ACTION_OVERDUE)
