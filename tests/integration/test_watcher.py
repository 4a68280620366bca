"""The deadline watcher against the database, read against the five-stage policy (002).

Stage 1 is practitioner to practitioner, 2 working days; stage 2 line managers, 5 working
days; stage 4 directors, 2 working days; stage 5 the partnership. The watcher is called
with `now=` (the services take `at=`), so every moment below is written out in London time.
"""

from datetime import date

import pytest
from django.core import mail

from cases.models import RecordEntry, RecordEntryKind
from escalation import deadlines, services
from escalation.deadlines import run_watcher, write_notices
from escalation.models import Action, EmailStatus, Escalation, Notification, NotificationKind, StageOccurrence
from escalation.notifications import deliver_pending
from escalation.states import Category, StageOutcome, State
from partnerships.choices import Urgency
from tests.conftest import london

pytestmark = pytest.mark.django_db

# The watcher's notices. The services also write the conversation's (raised, acknowledged,
# resolved …: escalation.conversation); the tests here count and fetch only the watcher's.
WATCHER_KINDS = (NotificationKind.WARNING, NotificationKind.BREACH, NotificationKind.ACTION_OVERDUE)


def watcher_notices():
    return Notification.objects.filter(kind__in=WATCHER_KINDS)


def raise_one(cast, at, urgency=Urgency.STANDARD, children=None):
    return services.escalation_raise(
        raised_by=cast.practitioner,
        raising_agency=cast.school,
        receiving_agency=cast.csc,
        children=children or [cast.child, cast.sibling],
        category=Category.THRESHOLD,
        concern="Ellie Hart's referral was refused.",
        why_unsafe="Bruising was seen twice this term.",
        outcome_sought="A strategy discussion.",
        urgency=urgency,
        at=at,
    )


def fresh(escalation):
    return Escalation.objects.get(pk=escalation.pk)


def occurrence_of(escalation, number=None):
    found = StageOccurrence.objects.filter(escalation=escalation)
    return found.get(number=number) if number else found.get(closed_at__isnull=True)


def climb(cast, escalation, to_stage, at):
    """The other side acknowledges each stage (nothing reaches the partnership otherwise) and the
    raiser moves it on (the policy asks for evidence each time)."""
    other_side = {
        1: cast.other_practitioner,
        2: cast.other_manager,
        3: cast.other_senior_manager,
        4: cast.other_director,
    }
    while fresh(escalation).stage_number < to_stage:
        current = fresh(escalation)
        if current.state == "raised":
            services.escalation_acknowledge(escalation=current, acting_user=other_side[current.stage_number], at=at)
        services.escalation_escalate(
            escalation=fresh(escalation), acting_user=cast.practitioner, evidence="We talked twice.", at=at
        )
    return fresh(escalation)


def recipients(occurrence_or_action, kind):
    field = "action" if isinstance(occurrence_or_action, Action) else "occurrence"
    rows = Notification.objects.filter(**{field: occurrence_or_action, "kind": kind})
    return sorted(rows.values_list("recipient__username", flat=True))


# --- warnings -------------------------------------------------------------------------------------


def test_the_holders_on_both_sides_are_warned_the_working_day_before_across_a_weekend(cast):
    # Thursday 26 November 10:00 + 2 working days: due Monday 30 November at 17:00.
    escalation = raise_one(cast, at=london(2026, 11, 26, 10, 0))
    occurrence = occurrence_of(escalation)
    assert occurrence.due_at == london(2026, 11, 30, 17, 0)

    assert run_watcher(now=london(2026, 11, 26, 16, 0)).warned == 0
    report = run_watcher(now=london(2026, 11, 27, 10, 0))
    assert report.warned == 1
    # The school practitioner (also the raiser) and the social worker; nobody else.
    assert recipients(occurrence, NotificationKind.WARNING) == ["practitioner", "social-worker"]
    notice = watcher_notices().get(recipient=cast.other_practitioner)
    assert notice.email_not_before == london(2026, 11, 27, 10, 0)  # within working hours: at once
    assert notice.email_status == EmailStatus.PENDING
    assert occurrence_of(escalation).warned_at == london(2026, 11, 27, 10, 0)
    # Over the weekend and on Monday itself: nothing new.
    for now in (london(2026, 11, 28, 10, 0), london(2026, 11, 30, 16, 0)):
        assert run_watcher(now=now).warned == 0
    assert watcher_notices().count() == 2


def test_a_warning_that_falls_due_over_christmas_is_e_mailed_at_the_next_opening(cast):
    # Wednesday 23 December 10:00 + 2 working days: Thursday 24, (25, 26, 27, 28 off), Tuesday 29.
    escalation = raise_one(cast, at=london(2026, 12, 23, 10, 0))
    # Raising it told the social worker, in working hours: that e-mail goes at once, before the part under test.
    assert deliver_pending(now=london(2026, 12, 23, 10, 0)) == 1
    mail.outbox.clear()
    assert run_watcher(now=london(2026, 12, 23, 16, 0)).warned == 0
    # The watcher was down until Christmas morning: it catches up then.
    assert run_watcher(now=london(2026, 12, 25, 11, 0)).warned == 1
    notices = watcher_notices().filter(occurrence__escalation=escalation)
    assert {n.email_not_before for n in notices} == {london(2026, 12, 29, 9, 0)}

    assert deliver_pending(now=london(2026, 12, 28, 12, 0)) == 0  # Boxing Day substitute: still held
    assert deliver_pending(now=london(2026, 12, 29, 9, 0)) == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["practitioner@example.org", "social-worker@example.org"]


def test_at_the_partnership_stage_the_business_manager_and_chair_are_warned(cast):
    escalation = climb(cast, raise_one(cast, at=london(2027, 1, 4, 10, 0)), 5, at=london(2027, 1, 4, 11, 0))
    occurrence = occurrence_of(escalation)
    assert occurrence.due_at == london(2027, 1, 11, 17, 0)  # 5 working days
    assert run_watcher(now=london(2027, 1, 8, 10, 0)).warned == 1  # Friday before Monday's deadline
    assert recipients(occurrence, NotificationKind.WARNING) == ["business-manager", "chair", "practitioner"]


# --- breaches -------------------------------------------------------------------------------------


def test_a_breach_is_recorded_and_the_next_tier_of_both_agencies_and_the_raiser_are_told(cast):
    escalation = raise_one(cast, at=london(2026, 12, 23, 10, 0))
    occurrence = occurrence_of(escalation)
    assert run_watcher(now=london(2026, 12, 29, 17, 0)).breached == 0  # at the deadline: still in time

    report = run_watcher(now=london(2026, 12, 29, 17, 0, 1))
    assert report.breached == 1
    occurrence = occurrence_of(escalation)
    assert occurrence.breached_at == london(2026, 12, 29, 17, 0, 1)
    assert occurrence.closed_at is None  # a breach does not move the case by itself
    # Stage 2 is held by "the line managers/safeguarding children leads": the school has both.
    assert recipients(occurrence, NotificationKind.BREACH) == ["dsl", "manager", "practitioner", "team-manager"]
    entries = RecordEntry.objects.filter(escalation=escalation, kind=RecordEntryKind.BREACHED)
    assert {e.child for e in entries} == {cast.child, cast.sibling}
    assert all(e.author is None and escalation.reference in e.summary for e in entries)
    # After 17:00: e-mail waits for Wednesday morning; the in-app list has it now.
    notices = Notification.objects.filter(kind=NotificationKind.BREACH)
    assert {n.email_not_before for n in notices} == {london(2026, 12, 30, 9, 0)}
    assert run_watcher(now=london(2026, 12, 30, 12, 0)).breached == 0


def test_a_child_protection_breach_also_tells_the_business_manager_and_goes_out_at_night(cast):
    escalation = raise_one(cast, at=london(2026, 12, 23, 10, 0), urgency=Urgency.CHILD_PROTECTION)
    now = london(2026, 12, 29, 23, 30)
    run_watcher(now=now)
    occurrence = occurrence_of(escalation)
    assert recipients(occurrence, NotificationKind.BREACH) == [
        "business-manager",
        "dsl",
        "manager",
        "practitioner",
        "team-manager",
    ]
    assert set(watcher_notices().values_list("email_not_before", flat=True)) == {now}


def test_a_partnership_can_send_breach_e_mail_out_of_hours_for_every_case(cast):
    cast.partnership.hold_out_of_hours_email = False
    cast.partnership.save()
    raise_one(cast, at=london(2026, 12, 23, 10, 0))
    now = london(2026, 12, 31, 2, 0)
    run_watcher(now=now)
    assert set(watcher_notices().values_list("email_not_before", flat=True)) == {now}


def test_a_missed_stage_4_goes_to_the_partnerships_business_manager_and_chair(cast):
    escalation = climb(cast, raise_one(cast, at=london(2027, 1, 4, 10, 0)), 4, at=london(2027, 1, 4, 11, 0))
    occurrence = occurrence_of(escalation)
    assert occurrence.due_at == london(2027, 1, 6, 17, 0)
    run_watcher(now=london(2027, 1, 7, 9, 0))
    assert recipients(occurrence, NotificationKind.BREACH) == ["business-manager", "chair", "practitioner"]


def test_a_missed_final_stage_goes_to_the_business_manager(cast):
    escalation = climb(cast, raise_one(cast, at=london(2027, 1, 4, 10, 0)), 5, at=london(2027, 1, 4, 11, 0))
    occurrence = occurrence_of(escalation)
    run_watcher(now=london(2027, 1, 12, 9, 0))
    assert recipients(occurrence, NotificationKind.BREACH) == ["business-manager", "practitioner"]


def test_when_nobody_holds_the_next_tier_the_nearest_tier_above_is_told(cast):
    cast.other_manager.memberships.update(ended=date(2026, 12, 1))  # the team manager has left
    escalation = raise_one(cast, at=london(2026, 12, 23, 10, 0))
    run_watcher(now=london(2026, 12, 30, 10, 0))
    assert recipients(occurrence_of(escalation), NotificationKind.BREACH) == [
        "dsl",
        "head-of-service",
        "manager",
        "practitioner",
    ]


def test_a_stage_resolved_in_time_is_never_breached(cast):
    escalation = raise_one(cast, at=london(2026, 12, 23, 10, 0))
    services.escalation_acknowledge(escalation=escalation, acting_user=cast.other_practitioner)
    services.escalation_resolve(
        escalation=fresh(escalation), acting_user=cast.practitioner, outcome="Agreed.", at=london(2026, 12, 24, 10)
    )
    assert run_watcher(now=london(2027, 1, 20, 10, 0)).breached == 0
    assert not watcher_notices().exists()


def test_a_policy_that_moves_cases_on_automatically_does_so_through_the_state_machine(cast):
    policy = cast.partnership.policy
    policy.auto_escalate_on_breach = True
    policy.save()
    escalation = raise_one(cast, at=london(2026, 12, 23, 10, 0))
    report = run_watcher(now=london(2026, 12, 30, 10, 0))
    assert (report.breached, report.auto_escalated) == (1, 1)
    escalation = fresh(escalation)
    assert (escalation.state, escalation.stage_number) == (State.RAISED, 2)
    first = occurrence_of(escalation, 1)
    assert first.outcome == StageOutcome.ESCALATED and first.timescale_met is False
    second = occurrence_of(escalation)
    assert second.number == 2 and second.breached_at is None
    assert second.evidence_of_previous_efforts == "Moved automatically: the deadline was missed."
    assert second.due_at == london(2027, 1, 7, 17, 0)  # 5 working days from Wednesday 30 December
    kinds = list(RecordEntry.objects.filter(escalation=escalation, child=cast.child).values_list("kind", "author"))
    assert kinds == [
        (RecordEntryKind.RAISED, cast.practitioner.pk),
        (RecordEntryKind.BREACHED, None),
        (RecordEntryKind.ESCALATED, None),
    ]
    notice = Notification.objects.filter(kind=NotificationKind.BREACH).first()
    assert "moved it automatically to stage 2" in notice.message
    # The new stage is watched like any other: no second breach until its own deadline.
    assert run_watcher(now=london(2027, 1, 7, 17, 0)).breached == 0
    assert run_watcher(now=london(2027, 1, 7, 17, 1)).breached == 1
    assert fresh(escalation).stage_number == 3


# --- calendar changes and closing a case -------------------------------------------------------------


def test_a_closure_day_announced_ahead_moves_the_deadline_and_the_watcher_follows_it(cast):
    # Wednesday 18 November 10:00 + 2 working days: due Friday 20 November at 17:00.
    escalation = raise_one(cast, at=london(2026, 11, 18, 10, 0))
    assert occurrence_of(escalation).due_at == london(2026, 11, 20, 17, 0)
    cast.partnership.closure_days.create(date=date(2026, 11, 19), reason="One-off bank holiday")
    assert services.recompute_open_deadlines(partnership=cast.partnership, reason="One-off bank holiday") == 1
    assert occurrence_of(escalation).due_at == london(2026, 11, 23, 17, 0)

    # Thursday (closed): under the old deadline this was the day to warn; now two days remain.
    assert run_watcher(now=london(2026, 11, 19, 10, 0)).warned == 0
    assert run_watcher(now=london(2026, 11, 20, 10, 0)).warned == 1
    assert run_watcher(now=london(2026, 11, 20, 17, 30)).breached == 0  # the old deadline has passed
    assert run_watcher(now=london(2026, 11, 23, 17, 0, 1)).breached == 1
    assert occurrence_of(escalation).breached_at == london(2026, 11, 23, 17, 0, 1)


def _warned_out_of_hours(cast):
    escalation = raise_one(cast, at=london(2026, 11, 26, 10, 0))  # due Monday 30 November 17:00
    assert run_watcher(now=london(2026, 11, 27, 18, 0)).warned == 1  # Friday evening: held to Monday 9:00
    return escalation


def test_withdrawing_clears_the_pending_warnings(cast):
    escalation = _warned_out_of_hours(cast)
    services.escalation_withdraw(
        escalation=escalation, acting_user=cast.practitioner, reason="Resolved informally.", at=london(2026, 11, 28)
    )
    # The conversation's own notices (raised, withdrawn) are e-mailed as usual; no warning is.
    deliver_pending(now=london(2026, 11, 30, 9, 0))
    assert [m.subject for m in mail.outbox if "Deadline approaching" in m.subject] == []
    warnings = Notification.objects.filter(kind=NotificationKind.WARNING)
    assert warnings.count() == 2
    for notice in warnings:
        assert notice.email_status == EmailStatus.CANCELLED
        assert notice.email_last_error.startswith("Not sent: stage 1 closed")
    assert deliver_pending(now=london(2026, 11, 30, 10, 0)) == 0  # and they are not picked up again


def test_resolving_clears_the_pending_warnings_but_not_other_cases(cast):
    escalation = _warned_out_of_hours(cast)
    other = raise_one(cast, at=london(2026, 11, 26, 11, 0), children=[cast.sibling])
    run_watcher(now=london(2026, 11, 27, 18, 0))
    services.escalation_acknowledge(escalation=escalation, acting_user=cast.other_practitioner)
    services.escalation_resolve(
        escalation=fresh(escalation), acting_user=cast.practitioner, outcome="Agreed.", at=london(2026, 11, 29)
    )
    # The conversation's notices (raised, acknowledged, resolved) go too; these are the warnings.
    deliver_pending(now=london(2026, 11, 30, 9, 0))
    warned = [m for m in mail.outbox if "Deadline approaching" in m.subject]
    assert len(warned) == 2
    assert {m.subject for m in warned} == {f"[{other.reference}] Deadline approaching: stage 1"}
    warnings = Notification.objects.filter(kind=NotificationKind.WARNING)
    statuses = dict(warnings.values_list("escalation__reference", "email_status").distinct())
    assert statuses == {escalation.reference: EmailStatus.CANCELLED, other.reference: EmailStatus.SENT}


# --- agreed actions -------------------------------------------------------------------------------------


def test_an_overdue_action_tells_its_owner_and_the_stage_holders_once(cast):
    escalation = raise_one(cast, at=london(2027, 1, 4, 10, 0))
    action = Action.objects.create(
        escalation=escalation,
        description="Ellie Hart to be seen at home",
        owner=cast.other_manager,
        due_on=date(2027, 1, 5),
    )
    Action.objects.create(escalation=escalation, description="Done already", due_on=date(2027, 1, 5), status="done")
    assert run_watcher(now=london(2027, 1, 5, 23, 0)).actions_overdue == 0  # due today: not late yet
    report = run_watcher(now=london(2027, 1, 6, 0, 5))
    assert report.actions_overdue == 1
    assert recipients(action, NotificationKind.ACTION_OVERDUE) == ["practitioner", "social-worker", "team-manager"]
    notice = Notification.objects.get(action=action, recipient=cast.other_manager)
    assert "Ellie" not in notice.message and "Tuesday 5 January 2027" in notice.message
    assert notice.email_not_before == london(2027, 1, 6, 9, 0)
    assert run_watcher(now=london(2027, 1, 7, 10, 0)).actions_overdue == 0


# --- exactly once -----------------------------------------------------------------------------------------


def test_a_withdrawn_disagreements_actions_are_not_chased(cast):
    escalation = raise_one(cast, at=london(2027, 1, 4, 10, 0))
    Action.objects.create(escalation=escalation, description="Visit", owner=cast.other_manager, due_on=date(2027, 1, 5))
    services.escalation_withdraw(
        escalation=escalation, acting_user=cast.practitioner, reason="Resolved informally.", at=london(2027, 1, 4, 15)
    )
    assert run_watcher(now=london(2027, 1, 6, 10, 0)).actions_overdue == 0
    assert not Notification.objects.filter(kind=NotificationKind.ACTION_OVERDUE).exists()


def test_after_ten_working_days_down_one_run_catches_up_every_breach_exactly_once(cast):
    for minute in range(30):
        raise_one(cast, at=london(2026, 11, 2, 10, minute), children=[cast.child])  # due Wed 4 Nov 17:00
    now = london(2026, 11, 16, 10, 0)  # ten working days later
    report = run_watcher(now=now, batch_size=7)  # small pages: the catch-up is paged
    assert (report.breached, report.warned, report.errors) == (30, 0, 0)
    # Four people per breach: both line managers, the school's safeguarding lead and the raiser.
    assert Notification.objects.filter(kind=NotificationKind.BREACH).count() == 120
    assert RecordEntry.objects.filter(kind=RecordEntryKind.BREACHED).count() == 30
    assert StageOccurrence.objects.filter(breached_at=now).count() == 30

    again = run_watcher(now=london(2026, 11, 16, 10, 1))
    assert (again.breached, again.notices) == (0, 0)
    assert watcher_notices().count() == 120
    assert RecordEntry.objects.filter(kind=RecordEntryKind.BREACHED).count() == 30


def test_the_database_refuses_a_second_notice_for_the_same_stage_kind_and_person(cast):
    escalation = raise_one(cast, at=london(2026, 11, 2, 10, 0))
    occurrence = occurrence_of(escalation)
    for _ in range(2):
        write_notices(
            escalation=escalation,
            occurrence=occurrence,
            kind=NotificationKind.BREACH,
            recipient_ids=[cast.manager.pk, cast.other_manager.pk],
            message="m",
            not_before=london(2026, 11, 5, 9, 0),
        )
    assert Notification.objects.filter(occurrence=occurrence, kind=NotificationKind.BREACH).count() == 2


def test_a_breach_that_fails_half_way_leaves_nothing_behind_and_is_retried(cast, monkeypatch):
    """Claim, child's-file entry and notices are one transaction: all or nothing."""
    first = raise_one(cast, at=london(2026, 11, 2, 10, 0), children=[cast.child])
    second = raise_one(cast, at=london(2026, 11, 2, 11, 0), children=[cast.sibling])
    original = deadlines.write_notices

    def failing(**kwargs):
        if kwargs["escalation"].pk == first.pk:
            raise RuntimeError("the database went away")
        return original(**kwargs)

    monkeypatch.setattr(deadlines, "write_notices", failing)
    report = run_watcher(now=london(2026, 11, 5, 10, 0))
    assert (report.breached, report.errors) == (1, 1)
    assert occurrence_of(first).breached_at is None
    assert not RecordEntry.objects.filter(escalation=first, kind=RecordEntryKind.BREACHED).exists()
    assert not watcher_notices().filter(escalation=first).exists()
    assert watcher_notices().filter(escalation=second).count() == 4

    monkeypatch.setattr(deadlines, "write_notices", original)
    assert run_watcher(now=london(2026, 11, 5, 10, 1)).breached == 1
    assert RecordEntry.objects.filter(escalation=first, kind=RecordEntryKind.BREACHED).count() == 1
    assert watcher_notices().filter(escalation=first).count() == 4
