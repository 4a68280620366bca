"""Reads filtered by the visibility rule, with queries compiled once per process for each shape
of person (partnerships/compiled.py): the lists' first pages and their counts, and the
escalations on a child's file.

Building these queries cost more Python time than anything else on their pages: the visibility
rule's ORs and EXISTS, a set for each role the person holds, were resolved and written out as
SQL on every request (a list did it twice, for its page and its count: about a quarter of a
practitioner's list). The SQL is the same for everyone whose roles have the same shape
(escalation.selectors.visibility_shape), so it is built once per shape for a stand-in person
whose ids are placeholders, and run with the person's own ids. A shape whose rule finds nothing
without asking the database (someone with no role that counts) is read by the ORM each time,
and so is a list's page after or before a cursor: the first page is the one people open, and a
cursor's values would need placeholders of their own.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from django.core.exceptions import EmptyResultSet
from django.db.models import Count, QuerySet, Window

from escalation import keyset
from escalation.keyset import Key, KeysetPage
from escalation.selectors import oversees_a_partnership, shape_placeholders, stand_in, visibility_shape
from partnerships.compiled import CompiledCount, CompiledQuery

PER_PAGE = 25
# The first page's rows carry the count of them all, worked out in the same query (below).
IN_ALL = "rows_in_all"


class ShapedReads:
    """`build(person, **values)`'s rows (or its count) for a person, compiled per shape of person.
    `placeholders` stand for the values a call passes besides the person."""

    def __init__(self, build: Callable[..., QuerySet], *, count: bool = False, **placeholders):
        self.build = build
        self.count = count
        self.placeholders = placeholders
        self._compiled = lru_cache(maxsize=64)(self._compile)
        self._empty: set = set()  # shapes whose rule finds nothing without asking the database

    def _compile(self, shape) -> CompiledQuery | CompiledCount:
        def built(**ids):
            values = {name: ids.pop(name) for name in self.placeholders}
            return self.build(stand_in(shape, **ids), **values)

        compiled = CompiledCount if self.count else CompiledQuery
        return compiled(built, allow_unused=True, **shape_placeholders(shape), **self.placeholders)

    def __call__(self, user, **values):
        # Someone signed out sees nothing, and the rule says so without asking the database.
        if getattr(user, "is_authenticated", False):
            shape, ids = visibility_shape(user)
            if shape not in self._empty:
                try:
                    return self._compiled(shape)(**ids, **values)
                except EmptyResultSet:
                    self._empty.add(shape)
        found = self.build(user, **values)
        return found.count() if self.count else list(found)


class CompiledList:
    """One list: `build(person)` gives its queryset for a person, unordered; a page comes in the
    order of a tuple of keyset keys (escalation/keyset.py), as keyset.paginate gives it.

    The first page's total costs no query of its own where it can be had cheaper. A page that
    is not full is the whole list. Otherwise, for someone who oversees no partnership, the
    page's own query counts (`COUNT(*) OVER ()`): their cases come from a few index probes
    (their agency, what they raised, what they were told of) that the database reads whole to
    sort anyway, so counting them too is nearly free, where a second query read them all again.
    Someone who oversees a partnership gets its cases in order from one index, 26 rows and
    stop; counting in that query would read every case of the partnership, so their count
    stays a query of its own (an index-only scan)."""

    def __init__(self, build: Callable[[object], QuerySet]):
        self.build = build
        self.count = ShapedReads(build, count=True)
        self._pages: dict[tuple[tuple[Key, ...], bool], ShapedReads] = {}

    def _first_page(self, keys: tuple[Key, ...], counted: bool) -> ShapedReads:
        reads = self._pages.get((keys, counted))
        if reads is None:
            order = [key.order(forward=True) for key in keys]

            def first_page(person):
                rows = self.build(person)
                if counted:
                    rows = rows.annotate(**{IN_ALL: Window(Count("pk"))})
                return rows.order_by(*order)[: PER_PAGE + 1]

            reads = self._pages[(keys, counted)] = ShapedReads(first_page)
        return reads

    def page(self, user, keys: tuple[Key, ...], *, after: str = "", before: str = "") -> KeysetPage:
        if after or before:
            return keyset.paginate(self.build(user), keys, after=after, before=before, per_page=PER_PAGE)
        counted = not oversees_a_partnership(user)
        rows = self._first_page(keys, counted)(user)
        if len(rows) <= PER_PAGE:
            total = len(rows)
        elif counted:
            total = getattr(rows[0], IN_ALL)
        else:
            total = self.count(user)
        return keyset.page_of(rows, total, keys, per_page=PER_PAGE)
