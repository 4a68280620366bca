"""The rows of the escalation tables (my escalations, the inbox, the partnership stage list),
worked out once in Python for the page rather than by template tags in every row.

A table draws 25 rows. In the template each row reversed the escalation's link (`{% url %}`,
about 60 µs), formatted its deadline (about 45 µs), rebuilt two fields' choices to find their
labels (get_FOO_display) and asked the calendar for its working days left: with the loop's own
cost, about a third of a list page. Here the link is reversed once and each row's public id put
into it, labels come from one dict, and dates are written by escalation.dates. The page reads
exactly as it did (tests/functional/test_list_rows.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from escalation.dates import DateWriter
from escalation.states import State
from partnerships.choices import TIER_ORDER, Tier, Urgency
from partnerships.selectors import working_calendars

STATE_LABELS = dict(State.choices)
URGENCY_LABELS = dict(Urgency.choices)
_MARKER = uuid.UUID(int=0)


def url_for_each(viewname: str) -> Callable[[object], str]:
    """A URL maker for one view that takes a public id: the view is reversed once (a page's
    worth of `{% url %}` tags cost more than the rest of its rows), each id put in its place."""
    before, _, after = reverse(viewname, args=[_MARKER]).partition(str(_MARKER))
    return lambda public_id: f"{before}{public_id}{after}"


@lru_cache(maxsize=64)
def _holders_text(raising_rank: int, receiving_rank: int) -> str:
    labels = []
    for rank in (raising_rank, receiving_rank):
        if rank >= 0:
            label = Tier(TIER_ORDER[rank]).label
            if label not in labels:
                labels.append(label)
    return " and ".join(labels)


def holders(escalation) -> str:
    """Who holds the current stage, from the tiers each side has reached (no extra query)."""
    return _holders_text(escalation.raising_tier_reached, escalation.receiving_tier_reached)


def _working_days(n: int) -> str:
    return f"{n} working day{'' if n == 1 else 's'}"


def deadline_cell(escalation, dates: DateWriter | None = None) -> SafeString:
    """The deadline, then 'Overdue by N working days', 'Due today' or 'N working days left'
    (`days_left` and `overdue` on the row, from the partnership's calendar: with_days_left)."""
    due = escalation.current_due_at
    if not due:
        if escalation.is_open:
            # What the policy timed has been done: the stage goes on with no deadline of its own.
            return mark_safe('<span class="govuk-body-s">No deadline now</span>')
        return mark_safe('<span class="govuk-body-s">No open stage</span>')
    return format_html("{}<br>\n{}", (dates or DateWriter()).short(due), deadline_status(escalation))


def deadline_status(escalation) -> SafeString:
    """'Overdue by N working days', 'Due today' or 'N working days left' for a timed row that
    with_days_left has been through: the lists' deadline cells and the home page say the same."""
    days_left = escalation.days_left
    if escalation.overdue:
        late = f" by {_working_days(-days_left)}" if days_left < 0 else ""
        return format_html('<strong class="govuk-tag govuk-tag--red">Overdue{}</strong>', late)
    if days_left == 0:
        return mark_safe('<strong class="govuk-tag govuk-tag--orange">Due today</strong>')
    return format_html('<span class="govuk-body-s">{} left</span>', _working_days(days_left))


def with_days_left(escalations: Iterable, calendars: dict | None = None) -> None:
    """Sets `holders`, and on timed rows the working days left (negative: overdue) on each row's
    own partnership calendar and `overdue`. Unless given, the calendars of every partnership on
    the page are read in one closure-days query, whether or not a row is timed."""
    escalations = list(escalations)
    if calendars is None:
        calendars = working_calendars(e.partnership for e in escalations)
    here = timezone.get_current_timezone()
    today = timezone.localdate()
    now = timezone.now()
    for e in escalations:
        e.holders = holders(e)
        due = e.current_due_at
        if due:
            e.days_left = calendars[e.partnership_id].working_days_between(today, due.astimezone(here).date())
            e.overdue = due < now


class TemplateRow:
    """A row a template reads by name. Templates look `row.name` up as a key first and as an
    attribute only after that fails: answering the key saves a raised and caught exception per
    cell, which was half of what a table's loop cost."""

    __slots__ = ()

    def __getitem__(self, name: str):
        try:
            return getattr(self, name)
        except AttributeError:
            raise KeyError(name) from None


@dataclass(frozen=True, slots=True)
class Row(TemplateRow):
    reference: str
    url: str
    between: str
    stage_number: int
    is_open: bool
    holders: str
    awaiting: bool  # acknowledgement: shown as a tag
    state_label: str
    deadline: SafeString
    urgency_label: str


def table_rows(escalations: Iterable) -> list[Row]:
    """What escalation/_table.html shows of each escalation (read with its partnership and
    both agencies)."""
    escalations = list(escalations)
    with_days_left(escalations)
    url = url_for_each("escalation:detail")
    dates = DateWriter()
    return [_row(e, url, dates) for e in escalations]


def _row(e, url, dates: DateWriter) -> Row:
    state = e.state  # read once: a state machine field's every read goes through its descriptor
    return Row(
        reference=e.reference,
        url=url(e.public_id),
        between=f"{e.raising_agency.name} and {e.receiving_agency.name}",
        stage_number=e.stage_number,
        is_open=e.is_open,
        holders=e.holders,
        awaiting=state == State.RAISED,
        state_label=STATE_LABELS.get(state, state),
        deadline=deadline_cell(e, dates),
        urgency_label=URGENCY_LABELS.get(e.urgency, e.urgency),
    )
