"""Deadline rules pinned on the real UK calendars for 2026 and 2027.

Every expected value was worked out by hand from the published bank holidays and is written
out literally, so a regression in the maths cannot quietly agree with itself.
2026: clocks go forward Sun 29 March, back Sun 25 October. 2027: forward Sun 28 March.
"""

from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from partnerships.calendar import Deadline, WorkingCalendar
from partnerships.choices import Nation, TimescaleUnit

LONDON = ZoneInfo("Europe/London")

ENGLAND = WorkingCalendar(nation=Nation.ENGLAND_AND_WALES)
SCOTLAND = WorkingCalendar(nation=Nation.SCOTLAND)
NORTHERN_IRELAND = WorkingCalendar(nation=Nation.NORTHERN_IRELAND)


def london(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


def due_in_working_days(calendar: WorkingCalendar, start: datetime, n: int) -> str:
    return calendar.add_working_days(start, n).isoformat()


# --- the canonical example and Christmas / New Year ------------------------------------


def test_two_working_days_from_wednesday_23_december_2026_skip_christmas_and_the_boxing_day_substitute():
    assert due_in_working_days(ENGLAND, london(2026, 12, 23), 2) == "2026-12-29T17:00:00+00:00"


def test_the_deadline_is_returned_in_london_time_whatever_zone_the_start_was_given_in():
    due = ENGLAND.add_working_days(datetime(2026, 12, 23, 10, tzinfo=UTC), 2)
    assert due.tzinfo == LONDON
    assert due.isoformat() == "2026-12-29T17:00:00+00:00"


def test_christmas_eve_2026_plus_two_working_days_is_wednesday_30_december():
    assert due_in_working_days(ENGLAND, london(2026, 12, 24), 2) == "2026-12-30T17:00:00+00:00"


def test_new_years_eve_2026_plus_one_working_day_is_monday_4_january_in_england_and_wales():
    assert due_in_working_days(ENGLAND, london(2026, 12, 31), 1) == "2027-01-04T17:00:00+00:00"


def test_scotland_takes_monday_4_january_2027_as_the_substitute_for_saturday_2_january():
    assert due_in_working_days(SCOTLAND, london(2026, 12, 31), 1) == "2027-01-05T17:00:00+00:00"
    assert SCOTLAND.bank_holidays(2027)[date(2027, 1, 4)] == "New Year Holiday (observed)"
    assert ENGLAND.is_working_day(date(2027, 1, 4))


def test_scotland_has_2_january_2026_a_friday_as_a_bank_holiday_and_england_does_not():
    new_years_eve_2025 = london(2025, 12, 31)
    assert due_in_working_days(ENGLAND, new_years_eve_2025, 1) == "2026-01-02T17:00:00+00:00"
    assert due_in_working_days(SCOTLAND, new_years_eve_2025, 1) == "2026-01-05T17:00:00+00:00"


def test_christmas_2027_falls_at_a_weekend_so_monday_27_and_tuesday_28_december_are_substitutes():
    assert due_in_working_days(ENGLAND, london(2027, 12, 24), 1) == "2027-12-29T17:00:00+00:00"


# --- weekends -----------------------------------------------------------------------------


def test_one_working_day_from_a_friday_is_the_monday():
    assert due_in_working_days(ENGLAND, london(2026, 1, 9), 1) == "2026-01-12T17:00:00+00:00"


def test_five_working_days_from_a_monday_is_the_next_monday():
    assert due_in_working_days(ENGLAND, london(2026, 1, 12), 5) == "2026-01-19T17:00:00+00:00"


def test_a_saturday_start_is_still_day_zero_so_one_working_day_is_the_monday():
    assert due_in_working_days(ENGLAND, london(2026, 1, 10, 14), 1) == "2026-01-12T17:00:00+00:00"


def test_zero_working_days_from_a_saturday_is_the_close_of_monday():
    assert due_in_working_days(ENGLAND, london(2026, 1, 10, 14), 0) == "2026-01-12T17:00:00+00:00"


def test_zero_working_days_from_a_weekday_morning_is_the_close_of_that_day():
    assert due_in_working_days(ENGLAND, london(2026, 1, 14, 11), 0) == "2026-01-14T17:00:00+00:00"


# --- Easter -------------------------------------------------------------------------------


def test_easter_2026_skips_good_friday_3_april_and_easter_monday_6_april_in_england():
    assert due_in_working_days(ENGLAND, london(2026, 4, 2), 1) == "2026-04-07T17:00:00+01:00"


def test_easter_monday_2026_is_a_working_day_in_scotland():
    assert due_in_working_days(SCOTLAND, london(2026, 4, 2), 1) == "2026-04-06T17:00:00+01:00"


def test_easter_monday_2026_is_a_bank_holiday_in_northern_ireland():
    assert due_in_working_days(NORTHERN_IRELAND, london(2026, 4, 2), 1) == "2026-04-07T17:00:00+01:00"


def test_easter_2027_spans_the_clock_change_from_gmt_thursday_to_bst_tuesday_30_march():
    start = datetime(2027, 3, 25, 10, tzinfo=UTC)
    assert due_in_working_days(ENGLAND, start, 1) == "2027-03-30T17:00:00+01:00"
    assert not ENGLAND.is_working_day(date(2027, 3, 26))  # Good Friday
    assert not ENGLAND.is_working_day(date(2027, 3, 29))  # Easter Monday


# --- a start on a bank holiday ------------------------------------------------------------


def test_a_start_on_good_friday_2026_counts_good_friday_as_day_zero():
    assert due_in_working_days(ENGLAND, london(2026, 4, 3, 11), 1) == "2026-04-07T17:00:00+01:00"
    assert due_in_working_days(ENGLAND, london(2026, 4, 3, 11), 2) == "2026-04-08T17:00:00+01:00"


def test_same_working_day_on_good_friday_is_due_at_the_next_working_day_and_arrived_out_of_hours():
    assert ENGLAND.deadline(london(2026, 4, 3, 11), 0, TimescaleUnit.SAME_WORKING_DAY) == Deadline(
        due=datetime(2026, 4, 7, 16, tzinfo=UTC), arrived_out_of_hours=True
    )
    due, out_of_hours = SCOTLAND.same_working_day(london(2026, 4, 3, 11))
    assert (due.isoformat(), out_of_hours) == ("2026-04-06T17:00:00+01:00", True)


# --- after-hours starts -------------------------------------------------------------------


def test_an_evening_start_is_still_day_zero_for_working_days():
    assert due_in_working_days(ENGLAND, london(2026, 1, 14, 18, 30), 1) == "2026-01-15T17:00:00+00:00"


def test_a_late_utc_start_that_is_already_tomorrow_in_london_counts_from_the_london_date():
    # 23:30 UTC on Sunday 29 March 2026 is 00:30 BST on Monday 30 March.
    start = datetime(2026, 3, 29, 23, 30, tzinfo=UTC)
    assert due_in_working_days(ENGLAND, start, 1) == "2026-03-31T17:00:00+01:00"


def test_same_working_day_after_close_is_due_at_next_close_and_arrived_out_of_hours():
    due, out_of_hours = ENGLAND.same_working_day(london(2026, 1, 14, 18, 30))
    assert (due.isoformat(), out_of_hours) == ("2026-01-15T17:00:00+00:00", True)


def test_same_working_day_exactly_at_close_on_a_friday_is_due_at_close_on_monday():
    due, out_of_hours = ENGLAND.same_working_day(london(2026, 1, 16, 17, 0))
    assert (due.isoformat(), out_of_hours) == ("2026-01-19T17:00:00+00:00", True)


def test_same_working_day_a_minute_before_close_is_due_that_day():
    due, out_of_hours = ENGLAND.same_working_day(london(2026, 1, 16, 16, 59))
    assert (due.isoformat(), out_of_hours) == ("2026-01-16T17:00:00+00:00", False)


def test_same_working_day_early_in_the_morning_counts_as_that_day_and_is_not_out_of_hours():
    due, out_of_hours = ENGLAND.same_working_day(london(2026, 1, 14, 7, 30))
    assert (due.isoformat(), out_of_hours) == ("2026-01-14T17:00:00+00:00", False)


def test_zero_working_days_after_close_is_never_set_in_the_past():
    assert due_in_working_days(ENGLAND, london(2026, 1, 14, 18, 30), 0) == "2026-01-15T17:00:00+00:00"


def test_only_same_working_day_reports_arrived_out_of_hours():
    evening = london(2026, 1, 14, 18, 30)
    assert ENGLAND.deadline(evening, 1, TimescaleUnit.WORKING_DAYS).arrived_out_of_hours is False
    assert ENGLAND.deadline(evening, 2, TimescaleUnit.WORKING_HOURS).arrived_out_of_hours is False
    assert ENGLAND.deadline(evening, 2, TimescaleUnit.CALENDAR_HOURS).arrived_out_of_hours is False
    assert ENGLAND.deadline(evening, 0, TimescaleUnit.SAME_WORKING_DAY).arrived_out_of_hours is True


# --- calendar hours across the clock changes ----------------------------------------------


def test_24_hours_across_the_spring_clock_change_is_24_elapsed_hours():
    start = datetime(2026, 3, 28, 12, tzinfo=UTC)
    assert ENGLAND.add_calendar_hours(start, 24).isoformat() == "2026-03-29T13:00:00+01:00"


def test_24_hours_across_the_autumn_clock_change_is_24_elapsed_hours():
    start = datetime(2026, 10, 24, 12, tzinfo=timezone(timedelta(hours=1)))
    assert ENGLAND.add_calendar_hours(start, 24).isoformat() == "2026-10-25T11:00:00+00:00"


def test_one_hour_from_half_past_midnight_on_29_march_2026_skips_the_missing_hour():
    start = london(2026, 3, 29, 0, 30)
    assert ENGLAND.add_calendar_hours(start, 1).isoformat() == "2026-03-29T02:30:00+01:00"


def test_one_hour_from_the_first_half_past_one_on_25_october_2026_is_the_second_half_past_one():
    start = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 01:30 BST
    due = ENGLAND.add_calendar_hours(start, 1)
    assert due.isoformat() == "2026-10-25T01:30:00+00:00"
    # PEP 495: an aware time in the repeated hour never equals one in another zone, so
    # compare instants in UTC.
    assert due.astimezone(UTC) == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)


def test_calendar_hours_ignore_weekends_and_bank_holidays():
    assert ENGLAND.deadline(london(2026, 12, 24, 16), 48, "calendar_hours").due.isoformat() == (
        "2026-12-26T16:00:00+00:00"
    )


# --- the three nations disagree -----------------------------------------------------------


def test_st_andrews_day_monday_30_november_2026_is_a_holiday_only_in_scotland():
    friday = london(2026, 11, 27)
    assert due_in_working_days(ENGLAND, friday, 1) == "2026-11-30T17:00:00+00:00"
    assert due_in_working_days(SCOTLAND, friday, 1) == "2026-12-01T17:00:00+00:00"
    assert due_in_working_days(NORTHERN_IRELAND, friday, 1) == "2026-11-30T17:00:00+00:00"


def test_st_patricks_day_tuesday_17_march_2026_is_a_holiday_only_in_northern_ireland():
    monday = london(2026, 3, 16)
    assert due_in_working_days(ENGLAND, monday, 1) == "2026-03-17T17:00:00+00:00"
    assert due_in_working_days(SCOTLAND, monday, 1) == "2026-03-17T17:00:00+00:00"
    assert due_in_working_days(NORTHERN_IRELAND, monday, 1) == "2026-03-18T17:00:00+00:00"


def test_battle_of_the_boyne_monday_12_july_2027_is_a_holiday_only_in_northern_ireland():
    friday = london(2027, 7, 9)
    assert due_in_working_days(ENGLAND, friday, 1) == "2027-07-12T17:00:00+01:00"
    assert due_in_working_days(NORTHERN_IRELAND, friday, 1) == "2027-07-13T17:00:00+01:00"


def test_battle_of_the_boyne_on_sunday_12_july_2026_gives_northern_ireland_monday_13_july():
    assert not NORTHERN_IRELAND.is_working_day(date(2026, 7, 13))
    assert ENGLAND.is_working_day(date(2026, 7, 13))


def test_scotlands_summer_bank_holiday_is_the_first_monday_of_august():
    friday = london(2026, 7, 31)
    assert due_in_working_days(SCOTLAND, friday, 1) == "2026-08-04T17:00:00+01:00"
    assert due_in_working_days(ENGLAND, friday, 1) == "2026-08-03T17:00:00+01:00"


def test_the_late_august_bank_holiday_is_england_wales_and_northern_ireland_not_scotland():
    friday = london(2026, 8, 28)
    assert due_in_working_days(ENGLAND, friday, 1) == "2026-09-01T17:00:00+01:00"
    assert due_in_working_days(NORTHERN_IRELAND, friday, 1) == "2026-09-01T17:00:00+01:00"
    assert due_in_working_days(SCOTLAND, friday, 1) == "2026-08-31T17:00:00+01:00"


def test_scotland_has_a_one_off_bank_holiday_on_monday_15_june_2026_for_the_world_cup():
    assert not SCOTLAND.is_working_day(date(2026, 6, 15))
    assert ENGLAND.is_working_day(date(2026, 6, 15))


@pytest.mark.parametrize("calendar", [ENGLAND, SCOTLAND, NORTHERN_IRELAND], ids=lambda c: c.nation)
@pytest.mark.parametrize(
    "one_off_day",
    [date(2022, 9, 19), date(2023, 5, 8)],
    ids=["queens-state-funeral", "kings-coronation"],
)
def test_one_off_national_bank_holidays_are_not_working_days_anywhere(calendar, one_off_day):
    assert not calendar.is_working_day(one_off_day)


def test_a_nation_may_be_given_as_its_stored_string():
    assert due_in_working_days(WorkingCalendar(nation="scotland"), london(2026, 11, 27), 1) == (
        "2026-12-01T17:00:00+00:00"
    )


def test_an_unknown_nation_is_refused():
    with pytest.raises(ValueError):
        WorkingCalendar(nation="wales-only")


# --- the partnership's own days -----------------------------------------------------------


def test_a_partnership_closure_day_on_christmas_eve_pushes_one_working_day_to_tuesday_29_december():
    closed_christmas_eve = WorkingCalendar(closure_days=frozenset({date(2026, 12, 24)}))
    assert due_in_working_days(ENGLAND, london(2026, 12, 23), 1) == "2026-12-24T17:00:00+00:00"
    assert due_in_working_days(closed_christmas_eve, london(2026, 12, 23), 1) == ("2026-12-29T17:00:00+00:00")


def test_a_later_announced_bank_holiday_is_skipped_and_listed():
    calendar = WorkingCalendar(extra_holidays=frozenset({date(2027, 6, 7)}))
    assert due_in_working_days(calendar, london(2027, 6, 4), 1) == "2027-06-08T17:00:00+01:00"
    assert calendar.bank_holidays(2027)[date(2027, 6, 7)] == "Additional bank holiday"


def test_bank_holidays_for_england_and_wales_2026_include_the_boxing_day_substitute():
    holidays_2026 = ENGLAND.bank_holidays(2026)
    assert holidays_2026[date(2026, 12, 28)] == "Boxing Day (observed)"
    assert holidays_2026[date(2026, 8, 31)] == "Late Summer Bank Holiday"
    assert date(2026, 11, 30) not in holidays_2026


def test_close_of_is_the_closing_time_in_local_time():
    assert ENGLAND.close_of(date(2026, 7, 1)).isoformat() == "2026-07-01T17:00:00+01:00"


# --- working hours ------------------------------------------------------------------------


def test_four_working_hours_from_3pm_monday_carry_over_to_11am_tuesday():
    assert ENGLAND.add_working_hours(london(2026, 1, 12, 15), 4).isoformat() == "2026-01-13T11:00:00+00:00"


def test_working_hours_ending_exactly_at_close_are_due_at_close_not_next_morning():
    assert ENGLAND.add_working_hours(london(2026, 1, 12, 13), 4).isoformat() == "2026-01-12T17:00:00+00:00"


def test_working_hours_from_a_friday_evening_start_counting_at_monday_opening():
    assert ENGLAND.add_working_hours(london(2026, 1, 16, 18), 3).isoformat() == "2026-01-19T12:00:00+00:00"


def test_a_full_working_day_of_hours_from_before_opening_ends_at_that_days_close():
    assert ENGLAND.add_working_hours(london(2026, 1, 12, 7), 8).isoformat() == "2026-01-12T17:00:00+00:00"


def test_working_hours_over_christmas_2026_skip_the_bank_holidays_and_the_weekend():
    start = london(2026, 12, 24, 16)
    assert ENGLAND.deadline(start, 2, "working_hours").due.isoformat() == "2026-12-29T10:00:00+00:00"


def test_within_working_hours_and_next_opening():
    assert ENGLAND.is_within_working_hours(london(2026, 1, 14, 9, 0))
    assert not ENGLAND.is_within_working_hours(london(2026, 1, 14, 17, 0))
    assert not ENGLAND.is_within_working_hours(london(2026, 12, 25, 12))
    assert ENGLAND.next_opening(london(2026, 1, 14, 12)).isoformat() == "2026-01-14T12:00:00+00:00"
    assert ENGLAND.next_opening(london(2026, 1, 14, 6)).isoformat() == "2026-01-14T09:00:00+00:00"
    assert ENGLAND.next_opening(london(2026, 12, 24, 17)).isoformat() == "2026-12-29T09:00:00+00:00"


def test_a_partnership_with_different_hours_and_a_saturday_counts_them():
    calendar = WorkingCalendar(opens=time(8, 0), closes=time(18, 0), working_weekdays=frozenset({0, 1, 2, 3, 4, 5}))
    assert due_in_working_days(calendar, london(2026, 1, 9), 1) == "2026-01-10T18:00:00+00:00"


# --- counting working days between dates --------------------------------------------------


def test_working_days_between_counts_days_after_the_start_up_to_and_including_the_end():
    assert ENGLAND.working_days_between(date(2026, 12, 23), date(2026, 12, 29)) == 2


def test_working_days_between_the_same_day_is_zero():
    assert ENGLAND.working_days_between(date(2026, 12, 23), date(2026, 12, 23)) == 0


def test_working_days_between_christmas_day_and_the_boxing_day_substitute_is_zero():
    assert ENGLAND.working_days_between(date(2026, 12, 25), date(2026, 12, 28)) == 0


def test_working_days_between_is_negative_when_the_end_is_before_the_start():
    assert ENGLAND.working_days_between(date(2026, 12, 29), date(2026, 12, 23)) == -2


# --- refusing bad input -------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda c, t: c.add_working_days(t, 1),
        lambda c, t: c.same_working_day(t),
        lambda c, t: c.add_calendar_hours(t, 1),
        lambda c, t: c.add_working_hours(t, 1),
        lambda c, t: c.deadline(t, 1, TimescaleUnit.WORKING_DAYS),
        lambda c, t: c.is_within_working_hours(t),
        lambda c, t: c.next_opening(t),
    ],
)
def test_a_naive_datetime_is_refused(call):
    with pytest.raises(ValueError):
        call(ENGLAND, datetime(2026, 12, 23, 10))


def test_a_negative_timescale_is_refused():
    with pytest.raises(ValueError):
        ENGLAND.add_working_days(london(2026, 1, 14), -1)


def test_an_unknown_unit_is_refused():
    with pytest.raises(ValueError):
        ENGLAND.deadline(london(2026, 1, 14), 1, "fortnights")


def test_a_calendar_with_no_working_weekdays_is_refused():
    with pytest.raises(ValueError):
        WorkingCalendar(working_weekdays=frozenset())


# --- property -----------------------------------------------------------------------------

starts = st.datetimes(
    min_value=datetime(2026, 1, 1),
    max_value=datetime(2028, 12, 31, 23, 59),
    timezones=st.sampled_from([LONDON, UTC, ZoneInfo("America/New_York"), ZoneInfo("Asia/Kolkata")]),
)
calendars = st.sampled_from([ENGLAND, SCOTLAND, NORTHERN_IRELAND])


@given(calendar=calendars, start=starts, n=st.integers(min_value=0, max_value=30))
def test_working_day_deadlines_are_never_before_the_start_and_land_at_close_on_a_working_day(calendar, start, n):
    due = calendar.add_working_days(start, n)
    local = due.astimezone(LONDON)

    assert due >= start
    assert due.utcoffset() == local.utcoffset()
    assert calendar.is_working_day(local.date())
    assert local.time() == time(17, 0)

    later = calendar.add_working_days(start, n + 1)
    if n == 0 and calendar.same_working_day(start)[1]:
        # Zero days from an out-of-hours start already means the next working day.
        assert later == due
    else:
        assert later > due
