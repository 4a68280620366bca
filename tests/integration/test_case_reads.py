"""The escalation page's compiled reads (escalation/case_reads.py) give what their ORM querysets
give, with the same related objects, and ask nothing more of the database afterwards."""

from datetime import UTC, date, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from escalation import case_reads, services
from escalation.attachments import attachment_add
from escalation.models import Notification, NotificationKind
from escalation.notifications import unread_annotations
from tests import attachment_samples as samples
from tests.climbing import climb
from tests.integration.test_escalation_lifecycle import raise_one

pytestmark = pytest.mark.django_db


@pytest.fixture
def busy_case(cast):
    """A case at stage 2 with a discussion and its agreed action, a file, and a notice unread."""
    escalation = raise_one(cast)
    discussion = services.discussion_record(
        escalation=escalation,
        acting_user=cast.practitioner,
        held_at=datetime(2026, 12, 23, 11, 0, tzinfo=UTC),
        method="phone",
        participants="Teacher and social worker",
        outcome="No agreement.",
        actions=[{"description": "Share the attendance record", "owner_name": "Teacher", "due_on": date(2027, 1, 8)}],
    )
    attachment_add(
        escalation=escalation,
        acting_user=cast.practitioner,
        upload=samples.upload("minutes.pdf", samples.PDF),
        discussion=discussion,
    )
    return climb(escalation, 2, by=cast.practitioner)


def test_the_case_is_read_with_what_every_case_page_shows_and_the_persons_unread_notices(cast, busy_case):
    Notification.objects.create(
        recipient=cast.manager,
        escalation=busy_case,
        kind=NotificationKind.ESCALATED,
        message="Reached you",
        email_not_before=datetime(2026, 12, 23, 12, 0, tzinfo=UTC),
    )
    for person in (cast.manager, cast.practitioner):
        expected = (
            type(busy_case)
            .objects.select_related(*case_reads.CASE_RELATED)
            .annotate(**case_reads.CHILD_COUNT, **unread_annotations(person))
            .get(pk=busy_case.pk)
        )
        found = case_reads.case_with_unread(busy_case.public_id, person)
        assert found.pk == busy_case.pk and found.reference == busy_case.reference
        assert found.child_count == expected.child_count == 2
        assert (found.user_unread_here, found.user_unread_in_all) == (
            expected.user_unread_here,
            expected.user_unread_in_all,
        )
        with CaptureQueriesContext(connection) as queries:
            names = (found.partnership.name, found.raising_agency.name, found.raised_by.username, found.policy.name)
        assert names == (cast.partnership.name, cast.school.name, cast.practitioner.username, busy_case.policy.name)
        assert len(queries) == 0
    assert case_reads.case_with_unread(busy_case.public_id, cast.manager).user_unread_here
    assert case_reads.case_with_unread("00000000-0000-4000-8000-000000000001", cast.manager) is None


def test_stages_entries_discussions_actions_and_files_are_the_orms_rows_in_the_orms_order(busy_case):
    expected = {
        case_reads.stages_of: busy_case.occurrences.order_by("number"),
        case_reads.discussions_of: case_reads._discussions(busy_case.pk),
        case_reads.actions_of: busy_case.actions.all(),
        case_reads.attachments_of: busy_case.attachments.all(),
    }
    for read, queryset in expected.items():
        rows = read(busy_case)
        assert rows, read.__name__
        assert [r.pk for r in rows] == [r.pk for r in queryset], read.__name__
    # The timeline's rows are plain values: every child's copy of each entry, in the ORM's order.
    entries = busy_case.record_entries.select_related("child").order_by("at", "id")
    assert case_reads.entries_of(busy_case) == [
        (
            case_reads.TimelineEntry(e.kind, e.summary, e.at),
            case_reads.NamedChild(
                e.child.id, e.child.public_id, e.child.first_name, e.child.last_name, e.child.date_of_birth
            ),
        )
        for e in entries
    ]
    assert len({child.id for _, child in case_reads.entries_of(busy_case)}) == 2


def test_what_the_page_shows_of_each_row_asks_nothing_more_of_the_database(busy_case):
    stages = case_reads.stages_of(busy_case)
    entries = case_reads.entries_of(busy_case)
    discussions = case_reads.discussions_of(busy_case)
    actions = case_reads.actions_of(busy_case)
    files = case_reads.attachments_of(busy_case)
    with CaptureQueriesContext(connection) as queries:
        shown = (
            [(o.number, o.policy_stage.name, o.escalation.reference) for o in stages],
            [(e.get_kind_display, child.full_name, e.summary) for e, child in entries],
            [(d.recorded_by.username, d.outcome) for d in discussions],
            [(a.description, a.escalation.reference) for a in actions],
            [(f.uploaded_by.username, f.described(), f.escalation.reference) for f in files],
        )
    assert len(queries) == 0
    assert [n for n, _, _ in shown[0]] == [1, 2]
    assert shown[3] == [("Share the attendance record", busy_case.reference)]
    assert shown[4][0][1] == "the discussion of 23 December 2026"
