"""Keyset pages of the escalation lists (escalation/keyset.py): walking forward through every
page, or back from the last, shows each escalation exactly once and in the list's order, for
every sort, with ties in the sort values and escalations that have no deadline any more."""

import pytest

from escalation import keyset, services
from escalation.models import Escalation
from escalation.views.lists import SORTS
from tests.conftest import london
from tests.integration.test_escalation_lifecycle import fresh, raise_one

pytestmark = pytest.mark.django_db
PER_PAGE = 4


@pytest.fixture
def many(cast):
    """17 escalations: pairs raised at the same minute, mixed urgencies and stages, some closed
    (no deadline), so every sort has ties and NULLs to get past."""
    made = []
    for n in range(17):
        at = london(2026, 3, 2 + n // 2, 10, 0)  # two at each time
        urgency = ("standard", "child-protection", "immediate-risk")[n % 3]
        e = raise_one(cast, at=at, urgency=urgency, children=[cast.child])
        if n % 4 == 1:
            services.escalation_escalate(escalation=fresh(e), acting_user=cast.practitioner, evidence="Calls.", at=at)
        if n % 5 == 2:
            services.escalation_withdraw(escalation=fresh(e), acting_user=cast.practitioner, reason="Sorted.", at=at)
        made.append(e.pk)
    assert Escalation.objects.filter(current_due_at__isnull=True).count() == 3
    return made


def expected_order(keys) -> list[int]:
    return list(Escalation.objects.order_by(*(key.order(forward=True) for key in keys)).values_list("pk", flat=True))


def walk_forward(keys) -> list[list[int]]:
    pages, cursor = [], ""
    while True:
        page = keyset.paginate(Escalation.objects.all(), keys, after=cursor, per_page=PER_PAGE)
        pages.append([e.pk for e in page.object_list])
        assert page.count == 17
        assert page.has_previous == (len(pages) > 1)
        if not page.has_next:
            return pages
        cursor = page.next_cursor


@pytest.mark.parametrize("sort", SORTS)
def test_forward_through_every_page_shows_each_escalation_once_in_order(many, sort):
    keys, _ = SORTS[sort]
    pages = walk_forward(keys)
    assert [len(p) for p in pages] == [4, 4, 4, 4, 1]
    assert [pk for page in pages for pk in page] == expected_order(keys)


@pytest.mark.parametrize("sort", SORTS)
def test_back_from_the_last_page_gives_the_same_pages(many, sort):
    keys, _ = SORTS[sort]
    pages = walk_forward(keys)
    last = keyset.paginate(Escalation.objects.all(), keys, after="", per_page=PER_PAGE)
    for _ in range(len(pages) - 1):
        last = keyset.paginate(Escalation.objects.all(), keys, after=last.next_cursor, per_page=PER_PAGE)
    back, page = [], last
    while page.has_previous:
        page = keyset.paginate(Escalation.objects.all(), keys, before=page.previous_cursor, per_page=PER_PAGE)
        back.append([e.pk for e in page.object_list])
        assert page.has_next
    assert list(reversed(back)) == pages[:-1]


def test_a_new_escalation_raised_while_paging_neither_repeats_nor_hides_a_row(many, cast):
    keys, _ = SORTS["raised"]
    first = keyset.paginate(Escalation.objects.all(), keys, per_page=PER_PAGE)
    raise_one(cast, at=london(2026, 4, 1, 9, 0), children=[cast.child])  # newest: goes on page 1
    second = keyset.paginate(Escalation.objects.all(), keys, after=first.next_cursor, per_page=PER_PAGE)
    assert second.object_list[0].pk == expected_order(keys)[5]
    assert not {e.pk for e in first.object_list} & {e.pk for e in second.object_list}


@pytest.mark.parametrize("cursor", ["", "nonsense", "eyJhIjoxfQ:1abc:xyz", "W10:1tHf1:bad"])
def test_a_cursor_that_is_not_ours_starts_from_the_top(many, cursor):
    keys, _ = SORTS["raised"]
    for page in (
        keyset.paginate(Escalation.objects.all(), keys, after=cursor, per_page=PER_PAGE),
        keyset.paginate(Escalation.objects.all(), keys, before=cursor, per_page=PER_PAGE),
    ):
        assert [e.pk for e in page.object_list] == expected_order(keys)[:PER_PAGE]
        assert not page.has_previous and page.has_next


def test_a_signed_cursor_for_another_sort_starts_from_the_top(many):
    by_raised = keyset.paginate(Escalation.objects.all(), SORTS["raised"][0], per_page=PER_PAGE)
    keys = SORTS["stage"][0]
    page = keyset.paginate(Escalation.objects.all(), keys, after=by_raised.next_cursor, per_page=PER_PAGE)
    assert [e.pk for e in page.object_list] == expected_order(keys)[:PER_PAGE]


def test_sorted_by_urgency_the_most_urgent_come_first_on_every_page(many):
    keys, _ = SORTS["urgency"]
    shown = [pk for page in walk_forward(keys) for pk in page]
    urgencies = dict(Escalation.objects.values_list("pk", "urgency"))
    order = [urgencies[pk] for pk in shown]
    assert order == sorted(order, key=["immediate-risk", "child-protection", "standard"].index)
    assert order[0] == "immediate-risk" and order[-1] == "standard"
