"""Template tags for the escalation lists and the case page.

`deadline_cell` draws a row's deadline and working days left. It was an included template;
a list draws it 25 times, and an include costs about three times what building the same
markup in Python does (escalation.rows, where the escalation lists build theirs).
"""

from django import template
from django.utils.html import format_html

from escalation import dates, rows

register = template.Library()


@register.simple_tag
def deadline_cell(escalation) -> str:
    """The deadline and the working days left (escalation.rows.deadline_cell; the view sets
    `days_left` and `overdue` on the row from the partnership's calendar)."""
    return rows.deadline_cell(escalation)


@register.simple_tag(takes_context=True)
def submission_key(context) -> str:
    """The hidden key that makes a form that creates something act once (escalation/submissions.py)."""
    from escalation.submissions import FIELD, key_for_page

    return format_html('<input type="hidden" name="{}" value="{}">', FIELD, key_for_page(context.get("request")))


@register.filter
def stage_title(stage) -> str:
    """A stage occurrence or policy stage as headings and tables name it (escalation.wording)."""
    from escalation.wording import stage_title as title

    policy_stage = getattr(stage, "policy_stage", stage)
    return title(stage.number, policy_stage.name)


@register.filter
def long_datetime(value) -> str:
    """`|date:"j F Y, H:i"` (3 December 2026, 17:00) for a page that writes many: a case's
    timeline and discussions (escalation.dates says why)."""
    return dates.long_datetime(value) if value else ""


@register.filter
def table_datetime(value) -> str:
    """`|date:"j M Y H:i"` (3 Dec 2026 17:00), as above, for a table's column."""
    return dates.table_datetime(value) if value else ""


@register.filter
def short_date(value) -> str:
    """`|date:"j M Y"` (3 Dec 2026), as above: an agreed action's day."""
    return dates.short_date(value) if value else ""
