"""The watcher's pure rules on the real UK calendar: when a warning is due, when e-mail may
go, how long a failed e-mail waits, and that messages never carry a child's details.

2026: Friday 25 December (Christmas), Monday 28 December (Boxing Day substitute); 2027:
Friday 1 January. England and Wales calendar, 09:00-17:00.
"""

from datetime import date, datetime, timedelta
from types import SimpleNamespace
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest

from escalation.deadlines import (
    action_overdue_message,
    breach_message,
    email_not_before,
    in_warning_window,
    warning_horizon,
    warning_message,
)
from escalation.notifications import backoff
from partnerships.calendar import WorkingCalendar

LONDON = ZoneInfo("Europe/London")
ENGLAND = WorkingCalendar()


def london(*args) -> datetime:
    return datetime(*args, tzinfo=LONDON)


# --- the warning window ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (london(2026, 11, 26, 16, 0), False),  # Thursday: Friday and Monday still to go
        (london(2026, 11, 27, 0, 1), True),  # Friday: only Monday left
        (london(2026, 11, 28, 12, 0), True),  # Saturday
        (london(2026, 11, 30, 16, 59), True),  # Monday, the day itself
        (london(2026, 11, 30, 17, 0), False),  # the deadline itself: a breach, not a warning
    ],
)
def test_a_deadline_on_monday_is_warned_from_the_friday_before_across_the_weekend(now, expected):
    assert in_warning_window(ENGLAND, london(2026, 11, 30, 17, 0), now, 1) is expected


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (london(2026, 12, 23, 16, 0), False),  # Wednesday: Thursday 24 and Tuesday 29 to go
        (london(2026, 12, 24, 9, 0), True),  # Christmas Eve: the bank holidays do not count
        (london(2026, 12, 28, 10, 0), True),  # Boxing Day substitute
    ],
)
def test_over_christmas_the_bank_holidays_are_not_working_days(now, expected):
    assert in_warning_window(ENGLAND, london(2026, 12, 29, 17, 0), now, 1) is expected


def test_a_closure_day_is_not_a_working_day_when_counting_to_the_deadline():
    closed_friday = WorkingCalendar(closure_days=frozenset({date(2026, 11, 27)}))
    assert in_warning_window(ENGLAND, london(2026, 12, 1, 17, 0), london(2026, 11, 27, 10, 0), 2)
    assert not in_warning_window(ENGLAND, london(2026, 12, 1, 17, 0), london(2026, 11, 26, 10, 0), 2)
    # With Friday closed, Thursday is already within two working days (Monday, Tuesday).
    assert in_warning_window(closed_friday, london(2026, 12, 1, 17, 0), london(2026, 11, 26, 10, 0), 2)


def test_a_policy_asking_for_two_days_warns_a_day_earlier():
    due = london(2027, 1, 12, 17, 0)  # Tuesday
    assert not in_warning_window(ENGLAND, due, london(2027, 1, 7, 10, 0), 2)  # Thursday
    assert in_warning_window(ENGLAND, due, london(2027, 1, 8, 10, 0), 2)  # Friday


def test_the_horizon_is_the_start_of_the_first_working_day_outside_the_window():
    # Thursday 24 Dec 2026, one day: Tuesday 29 is in the window, Wednesday 30 is not.
    assert warning_horizon(ENGLAND, london(2026, 12, 24, 10, 0), 1) == london(2026, 12, 30, 0, 0)


def test_the_horizon_and_the_window_agree_hour_by_hour_over_christmas():
    now = london(2026, 12, 23, 12, 0)
    horizon = warning_horizon(ENGLAND, now, 1)
    due = now + timedelta(minutes=30)
    while due < london(2027, 1, 8):
        assert in_warning_window(ENGLAND, due, now, 1) is (due < horizon), due
        due += timedelta(hours=1)


# --- when e-mail may go ---------------------------------------------------------------------------


def test_within_working_hours_e_mail_goes_at_once():
    now = london(2026, 11, 26, 11, 0)
    assert email_not_before(ENGLAND, now, urgent=False, hold_out_of_hours=True) == now


def test_out_of_hours_e_mail_waits_for_the_next_opening_across_christmas():
    now = london(2026, 12, 24, 17, 30)
    assert email_not_before(ENGLAND, now, urgent=False, hold_out_of_hours=True) == london(2026, 12, 29, 9, 0)


def test_early_morning_e_mail_waits_for_nine_the_same_day():
    now = london(2026, 11, 26, 6, 0)
    assert email_not_before(ENGLAND, now, urgent=False, hold_out_of_hours=True) == london(2026, 11, 26, 9, 0)


def test_child_protection_and_immediate_risk_e_mail_goes_day_or_night():
    now = london(2026, 12, 25, 3, 0)
    assert email_not_before(ENGLAND, now, urgent=True, hold_out_of_hours=True) == now


def test_a_partnership_can_choose_not_to_hold_out_of_hours_e_mail():
    now = london(2026, 11, 28, 22, 0)
    assert email_not_before(ENGLAND, now, urgent=False, hold_out_of_hours=False) == now


# --- retries ------------------------------------------------------------------------------------------


def test_failed_e_mail_backs_off_1_2_4_minutes_up_to_an_hour_and_never_gives_up():
    assert [backoff(n) for n in range(1, 9)] == [timedelta(minutes=m) for m in (1, 2, 4, 8, 16, 32, 60, 60)]
    assert backoff(10_000) == timedelta(minutes=60)


# --- no personal data ----------------------------------------------------------------------------------


def test_messages_carry_reference_stage_deadline_and_link_but_nothing_about_the_child(settings):
    settings.SITE_URL = "https://escalations.example.org/"
    child = SimpleNamespace(first_name="Ellie", last_name="Hart", date_of_birth=date(2019, 4, 2))
    escalation = SimpleNamespace(
        reference="ESC-1A2B3C4D",
        public_id=UUID("12345678-1234-5678-1234-567812345678"),
        children=[child],
        concern="Ellie Hart, born 2 April 2019, had bruises.",
    )
    stage = SimpleNamespace(name="Stage 2: direct manager to manager discussion")
    occurrence = SimpleNamespace(number=2, policy_stage=stage, due_at=london(2027, 1, 12, 17, 0))
    moved = SimpleNamespace(number=3, policy_stage=SimpleNamespace(name="Stage 3"), due_at=london(2027, 1, 19, 17))
    action = SimpleNamespace(description="Visit Ellie Hart at home", due_on=date(2027, 1, 4), owner_name="Sam Patel")
    messages = [
        warning_message(escalation, occurrence),
        breach_message(escalation, occurrence),
        breach_message(escalation, occurrence, moved),
        action_overdue_message(escalation, action),
        breach_message(escalation, occurrence, next_stage=SimpleNamespace(number=3, name="Stage 3")),
        breach_message(escalation, occurrence),
        action_overdue_message(escalation, action, to_owner=True),
    ]
    link = "https://escalations.example.org/escalations/12345678-1234-5678-1234-567812345678/"
    for message in messages:
        assert message.startswith("ESC-1A2B3C4D: ")
        assert message.endswith(link)
        for detail in ("Ellie", "Hart", "2019", "April", "bruises", "Visit"):
            assert detail not in message
    assert "stage 2 (direct manager to manager discussion) is due by" in messages[0]  # never "stage 2 (Stage 2: …)"
    assert "Tuesday 12 January 2027 at 5:00pm (London time)" in messages[0]
    assert "moved it automatically to stage 3" in messages[2]
    assert "Monday 4 January 2027" in messages[3]
    # A missed deadline says what happens now, not only what was missed.
    assert (
        "the people holding it should resolve it or move it on without delay; if they cannot, escalate it to "
        "stage 3 (Stage 3)."
    ) in messages[4]
    assert "the partnership's business manager follows it up" in messages[5]
    assert "What happens now" not in messages[2]  # moved already: its new deadline is the news
    # An overdue action: the managers are asked to follow it up with its owner, the owner to do it.
    assert "It is Sam Patel's: follow it up with them" in messages[3]
    assert "given to you was due on Monday 4 January 2027" in messages[6] and "mark it done" in messages[6]


def test_a_sentence_names_a_stage_once_whether_or_not_the_policy_numbers_it_in_its_name():
    from escalation.wording import stage_in_text

    assert stage_in_text(2, "Stage 2: direct manager to manager discussion") == (
        "stage 2 (direct manager to manager discussion)"
    )
    assert stage_in_text(3, "Stage Three: Formal Dispute Procedure") == "stage 3 (Formal Dispute Procedure)"
    # A policy label that numbers it otherwise is the policy's own word for it, and is kept.
    assert stage_in_text(2, "Stage One: line managers") == "stage 2 (Stage One: line managers)"
    assert stage_in_text(4, "Stage Two: Formal Dispute Procedure") == "stage 4 (Stage Two: Formal Dispute Procedure)"
    assert stage_in_text(5, "Directors of the agencies") == "stage 5 (Directors of the agencies)"
