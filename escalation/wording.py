"""The words every notice is built from: dates in London time, the stage, the link.

Pure functions (no database), shared by the watcher (escalation.deadlines) and the
conversation (escalation.conversation). Nothing here reads a child's details.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings

from partnerships.calendar import WorkingCalendar

LONDON = ZoneInfo("Europe/London")


def email_not_before(calendar: WorkingCalendar, now: datetime, *, urgent: bool, hold_out_of_hours: bool) -> datetime:
    """Out-of-hours notices wait for the next opening; urgent ones go at once, day or night."""
    if urgent or not hold_out_of_hours or calendar.is_within_working_hours(now):
        return now
    return calendar.next_opening(now)


def when(moment: datetime) -> str:
    local = moment.astimezone(LONDON)
    return local.strftime("%A %-d %B %Y at %-I:%M%p").replace("AM", "am").replace("PM", "pm")


def day_text(day: date) -> str:
    return day.strftime("%A %-d %B %Y")


def escalation_link(escalation) -> str:
    return f"{settings.SITE_URL.rstrip('/')}/escalations/{escalation.public_id}/"


# A policy that names its stages with their own label: "Stage 2: …", "Level Two: …", "Stage Three: …".
OWN_LABEL = re.compile(r"^\s*(stage|level)\s+[\w-]+\s*:", re.IGNORECASE)


def stage_label(occurrence) -> str:
    return stage_in_text(occurrence.number, occurrence.policy_stage.name)


NUMBERED_STAGE = re.compile(r"^\s*stage\s+([\w-]+)\s*:\s*(.+)$", re.IGNORECASE)
NUMBER_WORDS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def stage_in_text(number: int, name: str) -> str:
    """A stage as a sentence names it: "stage 2 (direct manager to manager discussion)", never
    "stage 2 (Stage 2: …)". A policy label that numbers it otherwise is kept: Plymouth's second
    stage is "stage 2 (Stage One: line managers)"."""
    if not name:
        return f"stage {number}"
    own = NUMBERED_STAGE.match(name)
    if own and own.group(1).lower() in (str(number), *NUMBER_WORDS[number - 1 : number]):
        name = own.group(2)
    return f"stage {number} ({name})"


def stage_title(number: int, name: str) -> str:
    """A stage as headings and tables name it: the policy's own words where they already carry a
    label ("Stage 2: direct manager to manager discussion", "Level Two: line manager to line
    manager"), else "Stage 5: Directors of the agencies". Never "Stage 2: Stage 2: …"."""
    if not name:
        return f"Stage {number}"
    return name if OWN_LABEL.match(name) else f"Stage {number}: {name}"
