"""Template tags for the escalation lists.

`deadline_cell` draws a row's deadline and working days left. It was an included template;
a list draws it 25 times, and an include costs about three times what building the same
markup here does.
"""

from django import template
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()


def _working_days(n: int) -> str:
    return f"{n} working day{'' if n == 1 else 's'}"


@register.simple_tag
def deadline_cell(escalation) -> str:
    """The deadline, then 'Overdue by N working days', 'Due today' or 'N working days left'
    (the view sets `days_left` and `overdue` on the row from the partnership's calendar)."""
    due = escalation.current_due_at
    if not due:
        if escalation.is_open:
            return mark_safe('<span class="govuk-body-s">Timed step done</span>')
        return mark_safe('<span class="govuk-body-s">No open stage</span>')
    when = formats.date_format(timezone.localtime(due), "j M Y, H:i")
    days_left = escalation.days_left
    if escalation.overdue:
        late = f" by {_working_days(-days_left)}" if days_left < 0 else ""
        return format_html('{}<br>\n<strong class="govuk-tag govuk-tag--red">Overdue{}</strong>', when, late)
    if days_left == 0:
        return format_html('{}<br>\n<strong class="govuk-tag govuk-tag--orange">Due today</strong>', when)
    return format_html('{}<br>\n<span class="govuk-body-s">{} left</span>', when, _working_days(days_left))


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
