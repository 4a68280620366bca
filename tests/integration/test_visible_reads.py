"""The reads compiled once per shape of person (escalation/visible_reads.py) give what the ORM
gives for every person: each list's first page in each order, with the same rows, count and
next link, and the escalations on a child's file. People of one shape share the compiled SQL
and still each get their own rows; a shape whose rule finds nothing without asking the database
gets nothing."""

from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.core import signing
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.models import Child
from escalation import keyset
from escalation.child_file import NAMING
from escalation.models import Escalation
from escalation.selectors import escalations_visible_to, visibility_shape
from escalation.views import lists
from escalation.visible_reads import PER_PAGE
from partnerships.choices import Role
from partnerships.models import Membership
from tests.conftest import london
from tests.integration.test_escalation_lifecycle import raise_one
from tests.integration.test_visibility_one_case import cases_of_every_kind

pytestmark = pytest.mark.django_db

LISTINGS = {
    "open": lists.BY_STATUS["open"],
    "mine": lists.BY_STATUS["mine"],
    "all": lists.ALL,
    "inbox": lists.INBOX,
    "partnership stage": lists.AT_PARTNERSHIP_STAGE,
}


def everyone() -> list:
    """Each person read afresh, as a request reads them (memberships not yet asked)."""
    return list(get_user_model().objects.order_by("pk"))


def cursor(value: str):
    return signing.loads(value, salt=keyset.SALT) if value else None


def same_page(compiled, expected) -> None:
    assert [e.pk for e in compiled.object_list] == [e.pk for e in expected.object_list]
    assert compiled.count == expected.count
    assert (compiled.has_next, compiled.has_previous) == (expected.has_next, expected.has_previous)
    assert cursor(compiled.next_cursor) == cursor(expected.next_cursor)


@pytest.fixture
def people_of_every_shape(cast):
    cases_of_every_kind(cast)
    # Roles in two partnerships, and an agency role beside an oversight role.
    Membership.objects.create(user=cast.outsider, partnership=cast.partnership, role=Role.PANEL_MEMBER)
    Membership.objects.create(user=cast.manager, partnership=cast.partnership, role=Role.AUDITOR)
    get_user_model().objects.create_user("nobody", password="x" * 12)  # no role anywhere
    return everyone()


def test_every_list_in_every_order_gives_the_orms_first_page_for_every_person(people_of_every_shape):
    shapes = Counter(visibility_shape(person)[0] for person in everyone())
    assert max(shapes.values()) > 1, "some people share a shape (and so the compiled SQL)"
    shown = 0
    for person in people_of_every_shape:
        for listing in LISTINGS.values():
            for keys, _ in lists.SORTS.values():
                compiled = listing.page(get_user_model().objects.get(pk=person.pk), keys)
                expected = keyset.paginate(listing.build(get_user_model().objects.get(pk=person.pk)), keys)
                same_page(compiled, expected)
                shown += len(compiled.object_list)
    assert shown


def test_the_rows_come_with_their_partnership_and_agencies_and_nothing_more_is_asked(cast):
    raise_one(cast)
    page = lists.ALL.page(get_user_model().objects.get(pk=cast.practitioner.pk), lists.BY_DEADLINE)
    with CaptureQueriesContext(connection) as captured:
        names = [(e.partnership.slug, e.raising_agency.name, e.receiving_agency.name) for e in page.object_list]
    assert names == [(cast.partnership.slug, cast.school.name, cast.csc.name)]
    assert len(captured) == 0


def test_a_full_first_page_links_to_the_next_as_the_orm_does(cast):
    for day in range(PER_PAGE + 2):
        raise_one(cast, at=london(2026, 12, 1, 9, day))
    for person in (cast.practitioner, cast.business_manager):
        for keys, _ in lists.SORTS.values():
            compiled = lists.ALL.page(get_user_model().objects.get(pk=person.pk), keys)
            expected = keyset.paginate(lists._base(get_user_model().objects.get(pk=person.pk)), keys)
            same_page(compiled, expected)
            assert compiled.has_next and len(compiled.object_list) == PER_PAGE and compiled.count == PER_PAGE + 2
            # The next page (after a cursor) is read as before, and follows on.
            after = lists.ALL.page(get_user_model().objects.get(pk=person.pk), keys, after=compiled.next_cursor)
            assert len(after.object_list) == 2 and after.has_previous


def test_a_first_page_is_counted_without_a_query_of_its_own_except_for_oversight(cast):
    """Agency staff: the page's own query counts the whole list; a page that is not full is the
    whole list; someone who oversees the partnership gets a count query beside the page."""
    for day in range(PER_PAGE + 2):
        raise_one(cast, at=london(2026, 12, 1, 9, day))
    queries = {}
    for name, person, listing in (
        ("full, agency staff", cast.practitioner, lists.ALL),
        ("full, oversight", cast.business_manager, lists.ALL),
        ("not full, oversight", cast.business_manager, lists.AT_PARTNERSHIP_STAGE),
    ):
        person = get_user_model().objects.get(pk=person.pk)
        listing.page(person, lists.BY_DEADLINE)  # compiled, memberships read
        with CaptureQueriesContext(connection) as captured:
            page = listing.page(person, lists.BY_DEADLINE)
        queries[name] = (len(captured), page.count)
    # Children's social care's team manager sees three of them: those whose stage their role held.
    practitioner = get_user_model().objects.get(pk=cast.other_manager.pk)
    Escalation.objects.filter(pk__in=list(Escalation.objects.values_list("pk", flat=True)[:3])).update(
        receiving_holder_roles="|line_manager|practitioner|"
    )
    lists.ALL.page(practitioner, lists.BY_DEADLINE)
    with CaptureQueriesContext(connection) as captured:
        page = lists.ALL.page(practitioner, lists.BY_DEADLINE)
    queries["not full, agency staff"] = (len(captured), page.count, len(page.object_list))
    assert queries == {
        "not full, agency staff": (1, 3, 3),
        "full, agency staff": (1, PER_PAGE + 2),
        "full, oversight": (2, PER_PAGE + 2),
        "not full, oversight": (1, 0),
    }


def test_two_people_of_one_shape_each_get_their_own_list(cast):
    mine = raise_one(cast)
    theirs = raise_one(cast)
    Escalation.objects.filter(pk=theirs.pk).update(raised_by=cast.other_practitioner, raising_agency=cast.csc)
    # The practitioner and the social worker: one role each, in an agency of the same partnership.
    assert visibility_shape(cast.practitioner)[0] == visibility_shape(cast.other_practitioner)[0]
    for person, own in ((cast.practitioner, mine), (cast.other_practitioner, theirs)):
        page = lists.BY_STATUS["mine"].page(get_user_model().objects.get(pk=person.pk), lists.BY_DEADLINE)
        assert [e.pk for e in page.object_list] == [own.pk] and page.count == 1


def test_someone_with_no_role_a_list_counts_gets_an_empty_page(cast):
    raise_one(cast)
    for person in (cast.business_manager, cast.auditor):  # no agency role: no inbox
        page = lists.INBOX.page(get_user_model().objects.get(pk=person.pk), lists.BY_DEADLINE)
        assert page.object_list == [] and page.count == 0 and not page.has_next


def test_the_escalations_on_each_childs_file_are_the_orms_for_every_person(people_of_every_shape):
    children = list(Child.objects.all())
    assert children
    found = 0
    for person in people_of_every_shape:
        for child in children:
            person = get_user_model().objects.get(pk=person.pk)
            expected = list(escalations_visible_to(person).filter(children=child))
            named = NAMING(person, child_id=child.pk)
            assert [e.pk for e in named] == [e.pk for e in expected], (person.username, str(child))
            found += len(named)
    assert found


def test_someone_signed_out_gets_nothing_and_no_query(cast):
    from django.contrib.auth.models import AnonymousUser

    raise_one(cast)
    with CaptureQueriesContext(connection) as captured:
        page = lists.ALL.page(AnonymousUser(), lists.BY_DEADLINE)
    assert page.object_list == [] and page.count == 0 and len(captured) == 0
