"""Urgency never makes a deadline later (issue 12 §3).

A more urgent case is never due later than a less urgent one raised at the same moment: the
deadline is the earliest of the urgency's own timescale and those of every less urgent level.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from partnerships.calendar import WorkingCalendar
from partnerships.choices import TimescaleUnit, Urgency
from partnerships.presets import PRESETS, get_preset
from partnerships.presets.base import URGENCY_ORDER
from partnerships.services import preset_deadline

LONDON = ZoneInfo("Europe/London")
CALENDAR = WorkingCalendar()


def london(*args) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def test_out_of_hours_on_a_friday_bromley_immediate_risk_is_due_within_the_24_hours_of_child_protection():
    # Friday 4 December 2026, 18:00. "Same working day" would run to Monday's close; the
    # child-protection 24 hours end on Saturday at 18:00, so immediate risk must too.
    friday_evening = london(2026, 12, 4, 18)
    child_protection = preset_deadline("bromley", 1, friday_evening, Urgency.CHILD_PROTECTION)
    immediate = preset_deadline("bromley", 1, friday_evening, Urgency.IMMEDIATE_RISK)
    assert child_protection.due == london(2026, 12, 5, 18)
    assert immediate.due == child_protection.due


def test_during_working_hours_immediate_risk_keeps_its_own_same_working_day():
    tuesday_morning = london(2026, 12, 1, 10)
    immediate = preset_deadline("bromley", 1, tuesday_morning, Urgency.IMMEDIATE_RISK)
    assert immediate.due == london(2026, 12, 1, 17)


def test_the_timescale_that_gave_the_deadline_is_named():
    preset = get_preset("bromley")
    friday_evening = london(2026, 12, 4, 18)
    _, timescale = preset.stage(1).deadline(CALENDAR, friday_evening, Urgency.IMMEDIATE_RISK, preset.default_timescale)
    assert (timescale.amount, timescale.unit) == (24, TimescaleUnit.CALENDAR_HOURS)


def test_the_levels_considered_are_the_urgency_and_every_less_urgent_one():
    preset = get_preset("bromley")
    levels = preset.stage(1).timescales_up_to(Urgency.CHILD_PROTECTION, preset.default_timescale)
    assert [t.describe() for t in levels] == ["24 hours", "5 working days"]


STARTS = [
    london(2026, 12, 4, 18),  # Friday evening
    london(2026, 12, 5, 11),  # Saturday
    london(2026, 12, 7, 8),  # Monday before opening
    london(2026, 12, 7, 16, 59),  # a minute before the close
    london(2026, 12, 23, 20),  # before Christmas
    london(2026, 3, 28, 23, 30),  # the night the clocks go forward
]


@pytest.mark.parametrize("start", STARTS, ids=lambda s: s.strftime("%a-%d-%b-%H%M"))
@pytest.mark.parametrize(
    "slug,number",
    [(slug, n) for slug, preset in PRESETS.items() for n in range(1, len(preset.stages) + 1)],
)
def test_every_stage_of_every_policy_is_never_due_later_for_a_more_urgent_case(slug, number, start):
    dues = [preset_deadline(slug, number, start, urgency).due for urgency in URGENCY_ORDER]
    standard, child_protection, immediate = dues
    assert standard >= child_protection >= immediate

