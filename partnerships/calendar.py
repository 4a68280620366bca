"""Working-day maths for escalation deadlines.

Kept pure (no models, no settings) so the rules that decide when a child's case breaches
can be pinned by fast unit tests against the real UK calendar.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from partnerships.choices import Nation, TimescaleUnit

# England and Wales share one list of bank holidays; the package keys them separately.
_SUBDIVISION_BY_NATION = {
    Nation.ENGLAND_AND_WALES: "ENG",
    Nation.SCOTLAND: "SCT",
    Nation.NORTHERN_IRELAND: "NIR",
}
_EXTRA_HOLIDAY_NAME = "Additional bank holiday"


@lru_cache(maxsize=256)
def _nation_holidays(nation: Nation, year: int) -> tuple[tuple[date, str], ...]:
    """Built once per nation and year: the package is slow to expand a year and the
    watcher asks the same questions every minute. A tuple, so the cache cannot be mutated.
    """
    found = holidays.country_holidays("GB", subdiv=_SUBDIVISION_BY_NATION[nation], years=year)
    return tuple(sorted(found.items()))


@lru_cache(maxsize=256)
def _nation_holiday_dates(nation: Nation, year: int) -> frozenset[date]:
    return frozenset(day for day, _ in _nation_holidays(nation, year))


@dataclass(frozen=True)
class Deadline:
    due: datetime
    # Only a same-working-day timescale can be "out of hours": the page says so because
    # the agency could not reasonably have acted before the next working day.
    arrived_out_of_hours: bool = False


@dataclass(frozen=True)
class WorkingCalendar:
    """One partnership's working week. Frozen and hashable so it can key caches and be
    rebuilt cheaply from the partnership's stored settings."""

    nation: str = Nation.ENGLAND_AND_WALES
    closure_days: frozenset[date] = frozenset()
    extra_holidays: frozenset[date] = frozenset()
    opens: time = time(9, 0)
    closes: time = time(17, 0)
    working_weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    tz_name: str = "Europe/London"

    def __post_init__(self) -> None:
        # Normalise so callers may pass plain strings, sets or lists and still get a
        # hashable calendar; reject settings that would make "next working day" loop forever.
        object.__setattr__(self, "nation", Nation(self.nation))
        object.__setattr__(self, "closure_days", frozenset(self.closure_days))
        object.__setattr__(self, "extra_holidays", frozenset(self.extra_holidays))
        object.__setattr__(self, "working_weekdays", frozenset(self.working_weekdays))
        if not self.working_weekdays or not self.working_weekdays <= set(range(7)):
            raise ValueError("working_weekdays must be a non-empty set of weekday numbers 0-6")
        if self.opens >= self.closes:
            raise ValueError("opening time must be before closing time")
        ZoneInfo(self.tz_name)  # fail at construction, not at the first deadline

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.tz_name)

    # --- days -------------------------------------------------------------------------

    def bank_holidays(self, year: int) -> dict[date, str]:
        """Named, for showing users why a day was skipped. Includes a holiday's real date
        even when it falls at a weekend, alongside its weekday substitute."""
        named = dict(_nation_holidays(self.nation, year))
        for day in self.extra_holidays:
            if day.year == year:
                named.setdefault(day, _EXTRA_HOLIDAY_NAME)
        return dict(sorted(named.items()))

    def is_working_day(self, d: date) -> bool:
        return (
            d.weekday() in self.working_weekdays
            and d not in _nation_holiday_dates(self.nation, d.year)
            and d not in self.extra_holidays
            and d not in self.closure_days
        )

    def next_working_day(self, d: date) -> date:
        d += timedelta(days=1)
        while not self.is_working_day(d):
            d += timedelta(days=1)
        return d

    def working_days_between(self, start: date, end: date) -> int:
        """Counts the days after start up to and including end, so "due Monday, today is
        Wednesday" reads as 2 working days overdue and the sign says which side we are on."""
        if end < start:
            return -self.working_days_between(end, start)
        count, d = 0, start
        while d < end:
            d += timedelta(days=1)
            count += self.is_working_day(d)
        return count

    def close_of(self, d: date) -> datetime:
        return datetime.combine(d, self.closes, tzinfo=self.tz)

    def _opening_of(self, d: date) -> datetime:
        return datetime.combine(d, self.opens, tzinfo=self.tz)

    # --- moments ----------------------------------------------------------------------

    def _local(self, moment: datetime) -> datetime:
        """A naive datetime is ambiguous about which day the clock started on, which is
        exactly what a deadline depends on, so refuse rather than guess."""
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError(f"expected a timezone-aware datetime, got naive {moment!r}")
        return moment.astimezone(self.tz)

    def is_within_working_hours(self, moment: datetime) -> bool:
        local = self._local(moment)
        return self.is_working_day(local.date()) and self.opens <= local.time() < self.closes

    def next_opening(self, moment: datetime) -> datetime:
        local = self._local(moment)
        if self.is_within_working_hours(local):
            return local
        if self.is_working_day(local.date()) and local.time() < self.opens:
            return self._opening_of(local.date())
        return self._opening_of(self.next_working_day(local.date()))

    # --- timescales -------------------------------------------------------------------

    def add_working_days(self, start: datetime, n: int) -> datetime:
        """The start's local date is day 0 whatever the time, as UK statutory working-day
        deadlines count. Zero days behaves like "same working day" so that a deadline is
        never set in the past for a case raised after close."""
        _require_non_negative(n)
        if n == 0:
            return self.same_working_day(start)[0]
        d = self._local(start).date()
        for _ in range(n):
            d = self.next_working_day(d)
        return self.close_of(d)

    def same_working_day(self, start: datetime) -> tuple[datetime, bool]:
        """An early-morning start still counts as that day: the agency has the whole day."""
        local = self._local(start)
        today = local.date()
        if self.is_working_day(today) and local < self.close_of(today):
            return self.close_of(today), False
        return self.close_of(self.next_working_day(today)), True

    def add_calendar_hours(self, start: datetime, n: int) -> datetime:
        """Added in UTC so a clock change neither steals nor gifts an hour."""
        _require_non_negative(n)
        self._local(start)  # validates awareness
        return (start.astimezone(UTC) + timedelta(hours=n)).astimezone(self.tz)

    def add_working_hours(self, start: datetime, n: int) -> datetime:
        """Spans are measured in UTC so an unusual opening time that straddles a clock change
        still counts elapsed time. Ending exactly at close is due at close, not next morning."""
        _require_non_negative(n)
        remaining = timedelta(hours=n)
        moment = self.next_opening(start).astimezone(UTC)
        while True:
            close = self.close_of(moment.astimezone(self.tz).date()).astimezone(UTC)
            available = close - moment
            if remaining <= available:
                return (moment + remaining).astimezone(self.tz)
            remaining -= available
            next_day = self.next_working_day(moment.astimezone(self.tz).date())
            moment = self._opening_of(next_day).astimezone(UTC)

    def deadline(self, start: datetime, amount: int, unit: TimescaleUnit | str) -> Deadline:
        match TimescaleUnit(unit):
            case TimescaleUnit.WORKING_DAYS:
                return Deadline(self.add_working_days(start, amount))
            case TimescaleUnit.WORKING_HOURS:
                return Deadline(self.add_working_hours(start, amount))
            case TimescaleUnit.CALENDAR_HOURS:
                return Deadline(self.add_calendar_hours(start, amount))
            case TimescaleUnit.SAME_WORKING_DAY:
                due, out_of_hours = self.same_working_day(start)
                return Deadline(due, out_of_hours)
        raise ValueError(f"unknown timescale unit {unit!r}")  # pragma: no cover


def _require_non_negative(n: int) -> None:
    if n < 0:
        raise ValueError(f"a timescale cannot be negative, got {n}")
