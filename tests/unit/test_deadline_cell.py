"""A list row's deadline cell, as the policies count time: working days left, due today, or
overdue by so many working days (one working day, not 'one working days')."""

from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from escalation.templatetags.escalation_tags import deadline_cell

DUE = datetime(2026, 11, 27, 17, 0, tzinfo=ZoneInfo("Europe/London"))


def row(days_left=None, overdue=False, due=DUE, is_open=True):
    return SimpleNamespace(current_due_at=due, days_left=days_left, overdue=overdue, is_open=is_open)


@pytest.mark.parametrize(
    "days_left, overdue, expected",
    [
        (2, False, '<span class="govuk-body-s">2 working days left</span>'),
        (1, False, '<span class="govuk-body-s">1 working day left</span>'),
        (0, False, '<strong class="govuk-tag govuk-tag--orange">Due today</strong>'),
        (0, True, '<strong class="govuk-tag govuk-tag--red">Overdue</strong>'),
        (-1, True, '<strong class="govuk-tag govuk-tag--red">Overdue by 1 working day</strong>'),
        (-3, True, '<strong class="govuk-tag govuk-tag--red">Overdue by 3 working days</strong>'),
    ],
)
def test_the_deadline_and_what_is_left_of_it(days_left, overdue, expected):
    html = deadline_cell(row(days_left, overdue))
    assert html == f"27 Nov 2026, 17:00<br>\n{expected}"


def test_a_row_without_an_open_stage_says_so():
    assert deadline_cell(row(due=None, is_open=False)) == '<span class="govuk-body-s">No open stage</span>'


def test_an_open_row_whose_timed_step_is_done_says_so():
    assert deadline_cell(row(due=None, is_open=True)) == '<span class="govuk-body-s">No deadline now</span>'
