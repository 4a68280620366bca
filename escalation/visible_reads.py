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
from django.db.models import QuerySet

from escalation import keyset
from escalation.keyset import Key, KeysetPage
from escalation.selectors import shape_placeholders, stand_in, visibility_shape
from partnerships.compiled import CompiledCount, CompiledQuery

PER_PAGE = 25


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
    order of a tuple of keyset keys (escalation/keyset.py), as keyset.paginate gives it."""

    def __init__(self, build: Callable[[object], QuerySet]):
        self.build = build
        self.count = ShapedReads(build, count=True)
        self._pages: dict[tuple[Key, ...], ShapedReads] = {}

    def _first_page(self, keys: tuple[Key, ...]) -> ShapedReads:
        reads = self._pages.get(keys)
        if reads is None:
            order = [key.order(forward=True) for key in keys]
            reads = self._pages[keys] = ShapedReads(lambda person: self.build(person).order_by(*order)[: PER_PAGE + 1])
        return reads

    def page(self, user, keys: tuple[Key, ...], *, after: str = "", before: str = "") -> KeysetPage:
        if after or before:
            return keyset.paginate(self.build(user), keys, after=after, before=before, per_page=PER_PAGE)
        rows = self._first_page(keys)(user)
        return keyset.page_of(rows, self.count(user), keys, per_page=PER_PAGE)
