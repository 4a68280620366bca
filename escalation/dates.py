"""Dates and times as the pages write them, for values a page writes many of (a list's rows,
a child's chronology).

The template's date filter finds the format, asks which language and time zone are active and
builds a formatter for every value: about 45 µs a date, paid once per row and dated column.
These write the very same text as `|date:"j M Y, H:i"`, `|date:"j M Y H:i"` and `|date:"j F Y, H:i"` (in local
time, as the filter does; tests/unit/test_dates.py holds them together) from the active
language's month names, read once per language. A DateWriter asks for the time zone and the
language once, for a page's worth of dates.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache

from django.utils import timezone, translation
from django.utils.dates import MONTHS, MONTHS_3


@lru_cache(maxsize=32)
def _month_names(language: str | None) -> tuple[dict[int, str], dict[int, str]]:
    """(full names, three-letter names) as the date filter writes them ("F" and "M") in this
    language (the one active when asked: the cache is keyed by it)."""
    return {n: str(name) for n, name in MONTHS.items()}, {n: str(name).title() for n, name in MONTHS_3.items()}


class DateWriter:
    """The active time zone's and language's dates, for as long as a page is built."""

    def __init__(self):
        self.tz = timezone.get_current_timezone()
        self.full, self.three_letter = _month_names(translation.get_language())

    def local(self, value: datetime) -> datetime:
        return value.astimezone(self.tz) if timezone.is_aware(value) else value

    def short(self, value: datetime) -> str:
        """`|date:"j M Y, H:i"`: 3 Dec 2026, 17:00."""
        d = self.local(value)
        return f"{d.day} {self.three_letter[d.month]} {d.year:04d}, {d.hour:02d}:{d.minute:02d}"

    def table(self, value: datetime) -> str:
        """`|date:"j M Y H:i"`: 3 Dec 2026 17:00 (a table's column)."""
        d = self.local(value)
        return f"{d.day} {self.three_letter[d.month]} {d.year:04d} {d.hour:02d}:{d.minute:02d}"

    def day(self, value: date | datetime) -> str:
        """`|date:"j M Y"`: 3 Dec 2026 (a day, or the local day of a moment)."""
        d = self.local(value) if isinstance(value, datetime) else value
        return f"{d.day} {self.three_letter[d.month]} {d.year:04d}"

    def long(self, value: datetime) -> str:
        """`|date:"j F Y, H:i"`: 3 December 2026, 17:00."""
        d = self.local(value)
        return f"{d.day} {self.full[d.month]} {d.year:04d}, {d.hour:02d}:{d.minute:02d}"


def short_datetime(value: datetime) -> str:
    return DateWriter().short(value)


def long_datetime(value: datetime) -> str:
    return DateWriter().long(value)


def table_datetime(value: datetime) -> str:
    return DateWriter().table(value)


def short_date(value: date | datetime) -> str:
    return DateWriter().day(value)
