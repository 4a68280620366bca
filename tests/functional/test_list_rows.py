"""The escalation tables' rows, now worked out in Python once per page (escalation/rows.py),
read exactly as the template drew them row by row with `{% url %}`, get_FOO_display and the
date filter: every kind of row (awaiting acknowledgement, in discussion, closed; timed, overdue,
due today, no deadline now) in the list, the inbox and the partnership stage list."""

from datetime import timedelta

import pytest
import time_machine
from django.template import engines
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from escalation.models import Escalation
from escalation.rows import table_rows, with_days_left
from escalation.states import State
from partnerships.choices import Urgency
from partnerships.models import ClosureDay
from tests.conftest import london
from tests.integration.test_escalation_lifecycle import raise_one

pytestmark = pytest.mark.django_db

NOW = london(2026, 12, 3, 11, 0)

# How _table.html drew each row before, between its loop's tags (the deadline cell from the old
# escalation_tags code, below).
OLD_ROW = """
    <tr class="govuk-table__row">
      <td class="govuk-table__cell" data-label="Reference"><a class="govuk-link" href="{% url 'escalation:detail' e.public_id %}">{{ e.reference }}</a></td>
      <td class="govuk-table__cell" data-label="Between">{{ e.raising_agency.name }} and {{ e.receiving_agency.name }}</td>
      <td class="govuk-table__cell" data-label="Stage">{{ e.stage_number }}</td>
      <td class="govuk-table__cell" data-label="Held by">{% if e.is_open %}{{ e.holders }}{% else %}-{% endif %}</td>
      <td class="govuk-table__cell" data-label="Status">{% if e.state == "raised" %}<strong class="govuk-tag govuk-tag--yellow">Awaiting acknowledgement</strong>{% else %}{{ e.get_state_display }}{% endif %}</td>
      <td class="govuk-table__cell" data-label="Deadline">{{ e.old_deadline_cell }}</td>
      <td class="govuk-table__cell" data-label="Urgency">{{ e.get_urgency_display }}</td>
    </tr>
    """  # noqa: E501


def old_deadline_cell(escalation) -> str:
    def working_days(n):
        return f"{n} working day{'' if n == 1 else 's'}"

    due = escalation.current_due_at
    if not due:
        text = "No deadline now" if escalation.is_open else "No open stage"
        return mark_safe(f'<span class="govuk-body-s">{text}</span>')
    when = formats.date_format(timezone.localtime(due), "j M Y, H:i")
    if escalation.overdue:
        late = f" by {working_days(-escalation.days_left)}" if escalation.days_left < 0 else ""
        return format_html('{}<br>\n<strong class="govuk-tag govuk-tag--red">Overdue{}</strong>', when, late)
    if escalation.days_left == 0:
        return format_html('{}<br>\n<strong class="govuk-tag govuk-tag--orange">Due today</strong>', when)
    return format_html('{}<br>\n<span class="govuk-body-s">{} left</span>', when, working_days(escalation.days_left))


@pytest.fixture
def every_kind_of_row(cast):
    ClosureDay.objects.create(partnership=cast.partnership, date=london(2026, 12, 2).date(), reason="Closed")
    kinds = [
        {"state": State.RAISED, "current_due_at": NOW + timedelta(days=5)},
        {"state": State.IN_DISCUSSION, "current_due_at": NOW - timedelta(days=6), "urgency": Urgency.IMMEDIATE_RISK},
        {"state": State.IN_DISCUSSION, "current_due_at": london(2026, 12, 3, 17, 0), "receiving_tier_reached": 1},
        {"state": State.IN_DISCUSSION, "current_due_at": NOW - timedelta(hours=1)},  # overdue, due today
        {"state": State.IN_DISCUSSION, "current_due_at": None, "stage_number": 3, "raising_tier_reached": 2},
        {"state": State.RESOLVED, "current_due_at": None, "urgency": Urgency.CHILD_PROTECTION},
        {"state": State.WITHDRAWN, "current_due_at": None},
        {"state": State.RAISED, "current_due_at": london(2027, 1, 4, 9, 0)},  # over Christmas and new year
    ]
    for i, fields in enumerate(kinds):
        escalation = raise_one(cast, at=london(2026, 11, 2, 9, i))
        Escalation.objects.filter(pk=escalation.pk).update(**fields)
    return cast


def test_each_row_reads_as_the_template_drew_it(every_kind_of_row):
    escalations = list(Escalation.objects.select_related("partnership", "raising_agency", "receiving_agency"))
    with time_machine.travel(NOW, tick=False):
        rows = table_rows(escalations)
        with_days_left(escalations)
    for e in escalations:
        e.old_deadline_cell = old_deadline_cell(e)
    new = engines["django"].from_string("{% for row in rows %}" + table_row() + "{% endfor %}")
    old = engines["django"].from_string("{% for e in escalations %}" + OLD_ROW + "{% endfor %}")
    assert new.render({"rows": rows}) == old.render({"escalations": escalations})
    assert {row.state_label for row in rows} >= {"In discussion", "Resolved", "Withdrawn"}
    assert any("Overdue by" in row.deadline for row in rows) and any("Due today" in row.deadline for row in rows)


def table_row() -> str:
    """The row markup of templates/escalation/_table.html, between its loop's tags."""
    from pathlib import Path

    from django.conf import settings

    text = (Path(settings.BASE_DIR) / "templates/escalation/_table.html").read_text()
    return text.split("{% for row in rows %}", 1)[1].split("{% endfor %}", 1)[0]


@pytest.mark.parametrize("url_name", ["escalation:list", "escalation:inbox", "escalation:partnership-list"])
def test_the_lists_show_the_rows(every_kind_of_row, client, url_name):
    cast = every_kind_of_row
    person = {"escalation:list": cast.practitioner, "escalation:partnership-list": cast.business_manager}
    if url_name == "escalation:inbox":  # at the line manager's tier
        Escalation.objects.update(raising_tier_reached=1, raising_holder_roles="|practitioner|line_manager|")
    if url_name == "escalation:partnership-list":
        Escalation.objects.update(raising_tier_reached=5)
    with time_machine.travel(NOW, tick=False):
        client.force_login(person.get(url_name, cast.manager))
        page = client.get(reverse(url_name), {"status": "all"} if url_name == "escalation:list" else {})
    assert page.status_code == 200
    html = page.content.decode()
    shown = [e for e in Escalation.objects.all() if e.reference in html]
    assert shown
    for e in shown:
        link = reverse("escalation:detail", args=[e.public_id])
        assert f'<a class="govuk-link" href="{link}">{e.reference}</a>' in html
