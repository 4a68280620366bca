"""The dates a list or a child's file writes in Python (escalation/dates.py) read exactly as the
template's date filter wrote them: local time, day without a leading zero, the month's name or
its first three letters."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.template.defaultfilters import date as date_filter
from django.utils import timezone, translation

from escalation.dates import long_datetime, short_date, short_datetime, table_datetime

MOMENTS = [
    datetime(2026, 1, 1, 0, 0, tzinfo=UTC),
    datetime(2026, 3, 29, 0, 59, tzinfo=UTC),  # the last minute of GMT before the clocks go forward
    datetime(2026, 3, 29, 1, 0, tzinfo=UTC),
    datetime(2026, 10, 25, 0, 30, tzinfo=UTC),  # the hour that happens twice
    datetime(2026, 10, 25, 1, 30, tzinfo=UTC),
    datetime(2026, 12, 3, 17, 0, tzinfo=ZoneInfo("Europe/London")),
    datetime(2027, 9, 9, 9, 5, tzinfo=ZoneInfo("America/New_York")),
    datetime(1999, 12, 31, 23, 59, 59, tzinfo=UTC),
]


def as_the_filter(value, fmt: str) -> str:
    """What `{{ value|date:fmt }}` wrote: the filter is given the value in local time."""
    return date_filter(timezone.template_localtime(value), fmt)


EVERY_MONTH = [datetime(2026, month, 2 * month - 1, 12, 0, tzinfo=UTC) for month in range(1, 13)]


@pytest.mark.parametrize("moment", MOMENTS + EVERY_MONTH)
def test_the_short_and_long_forms_read_as_the_date_filter(moment):
    assert short_datetime(moment) == as_the_filter(moment, "j M Y, H:i")
    assert long_datetime(moment) == as_the_filter(moment, "j F Y, H:i")
    assert table_datetime(moment) == as_the_filter(moment, "j M Y H:i")
    assert short_date(moment) == as_the_filter(moment, "j M Y")
    assert short_date(moment.date()) == as_the_filter(moment.date(), "j M Y")


def test_every_day_of_a_year_reads_as_the_date_filter():
    day = datetime(2027, 1, 1, 8, 7, tzinfo=UTC)
    for _ in range(365):
        assert short_datetime(day) == as_the_filter(day, "j M Y, H:i")
        assert long_datetime(day) == as_the_filter(day, "j F Y, H:i")
        day += timedelta(days=1, minutes=61)


def test_month_names_follow_the_active_language():
    moment = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
    with translation.override("fr"):
        assert short_datetime(moment) == as_the_filter(moment, "j M Y, H:i")
        assert long_datetime(moment) == as_the_filter(moment, "j F Y, H:i")
    assert long_datetime(moment) == "4 May 2026, 11:00"
