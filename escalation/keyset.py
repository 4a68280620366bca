"""Keyset ("seek") pagination for the escalation lists.

Numbered pages make the database walk past every earlier row: page 200 of a partnership's
10,000 escalations took 65 ms of SQL against 2 ms for page 1. A keyset page asks for the rows
after the last one shown instead (`raised_at < x OR (raised_at = x AND id < y)`, with
`raised_at <= x` alongside so an index starts there), which costs the same at any depth. It
also never skips or repeats a row when escalations are raised while someone is paging.

The position travels in the link as a signed cursor (the sort values of the row at the edge of
the page), so a changed or made-up cursor is ignored and the list starts from the top. Every
ordering ends with the primary key, so positions are exact; NULLs sort last in either direction.

django-cursor-pagination does much the same, but compares cursor values as text, which on
SQLite (the development database) does not match stored timestamps; this is written here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.core import signing
from django.core.exceptions import ValidationError
from django.db.models import Case, F, Q, QuerySet, Value, When

SALT = "escalation.keyset"


@dataclass(frozen=True)
class Key:
    field: str
    descending: bool = False
    nullable: bool = False
    # The field's values in the order people read them, where the stored text does not sort
    # that way (urgency: immediate risk, then child protection, then standard).
    rank: tuple[str, ...] = ()

    def order(self, forward: bool):
        """The ORDER BY term. Going back every direction flips; NULLs stay last going forward.
        (No NULLS clause on a column without NULLs, or PostgreSQL would not use its index.)"""
        descending = self.descending == forward
        if self.rank:
            ranked = Case(
                *(When(**{self.field: value}, then=Value(i)) for i, value in enumerate(self.rank)),
                default=Value(len(self.rank)),
            )
            return ranked.desc() if descending else ranked.asc()
        column = F(self.field)
        if not self.nullable:
            return column.desc() if descending else column.asc()
        nulls = {"nulls_last": True} if forward else {"nulls_first": True}
        return column.desc(**nulls) if descending else column.asc(**nulls)


def newest_first(*leading: Key) -> tuple[Key, ...]:
    """The given keys, then newest raised first, then the primary key for an exact position."""
    return (*leading, Key("raised_at", descending=True), Key("id", descending=True))


@dataclass
class KeysetPage:
    object_list: list
    count: int
    has_next: bool
    has_previous: bool
    next_cursor: str = ""
    previous_cursor: str = ""
    per_page: int = 25

    def numbered(self, asked: str) -> Numbering | None:
        """Where this page sits in the list, for its title and "Showing 26 to 50 of 121".

        A cursor says where a page starts, not which page it is: the number comes from the link
        (`asked`, the page before's number plus or minus one) and is only a label, never a
        position. The first page and the last are known without it (nothing before, nothing
        after); a page between takes the label within the pages that can lie between. A page
        between with no number, or a nonsense one, is shown unnumbered (None)."""
        if not self.object_list:
            return None
        pages = max(-(-self.count // self.per_page), 1)
        shown = len(self.object_list)
        if not self.has_previous:
            return Numbering(1, pages, 1, shown)
        if not self.has_next:
            return Numbering(max(pages, 2), max(pages, 2), max(self.count - shown + 1, 1), self.count)
        try:
            number = int(asked)
        except (TypeError, ValueError):
            return None
        # Between the first page and the last: the label is kept within them.
        number = min(max(number, 2), max(pages - 1, 2))
        first = (number - 1) * self.per_page + 1
        return Numbering(number, max(pages, number + 1), first, first + shown - 1)


@dataclass(frozen=True)
class Numbering:
    """A page's place in its list: page `number` of `pages`, its rows `first` to `last` of all."""

    number: int
    pages: int
    first: int
    last: int

    @property
    def in_title(self) -> str:
        """What the page's <title> adds after the list's name: nothing on the first page."""
        return f" (page {self.number} of {self.pages})" if self.number > 1 else ""

    @property
    def previous(self) -> int:
        return self.number - 1

    @property
    def next(self) -> int:
        return self.number + 1


def cursor_for(item, keys: tuple[Key, ...]) -> str:
    values = []
    for key in keys:
        value = getattr(item, key.field)
        values.append(value.isoformat() if isinstance(value, datetime | date) else value)
    return signing.dumps(values, salt=SALT, compress=True)


def _position(queryset: QuerySet, keys: tuple[Key, ...], cursor: str) -> list | None:
    """The sort values a cursor carries, typed as the fields are; None if it isn't one of ours."""
    try:
        values = signing.loads(cursor, salt=SALT)
        if not isinstance(values, list) or len(values) != len(keys):
            return None
        model = queryset.model
        return [
            None if value is None else model._meta.get_field(key.field).to_python(value)
            for key, value in zip(keys, values, strict=True)
        ]
    except (signing.BadSignature, ValidationError, ValueError, TypeError):
        return None


def _beyond(key: Key, value, forward: bool) -> Q | None:
    """Rows strictly past `value` on this key alone, in the direction of travel."""
    if value is None:  # NULLs are last: nothing follows them, everything else precedes them
        return None if forward else Q(**{f"{key.field}__isnull": False})
    if key.rank:
        at = key.rank.index(value) if value in key.rank else len(key.rank)
        past = [v for i, v in enumerate(key.rank) if (i > at if forward != key.descending else i < at)]
        return Q(**{f"{key.field}__in": past}) if past else Q(pk__in=[])
    later = "lt" if key.descending else "gt"
    earlier = "gt" if key.descending else "lt"
    q = Q(**{f"{key.field}__{later if forward else earlier}": value})
    if forward and key.nullable:
        q |= Q(**{f"{key.field}__isnull": True})
    return q


def _seek(keys: tuple[Key, ...], values: list, forward: bool) -> Q:
    key, value = keys[0], values[0]
    beyond = _beyond(key, value, forward)
    if len(keys) == 1:
        return beyond if beyond is not None else Q(pk__in=[])
    same = Q(**{f"{key.field}__isnull": True}) if value is None else Q(**{key.field: value})
    tie = same & _seek(keys[1:], values[1:], forward)
    return tie if beyond is None else beyond | tie


def _start_bound(key: Key, value, forward: bool) -> Q:
    """A redundant range on the first key that lets an index start at the position."""
    if value is None or key.nullable or key.rank:
        return Q()
    # Going forward on a descending key (or back on an ascending one) the rest are smaller.
    return Q(**{f"{key.field}__{'lte' if key.descending == forward else 'gte'}": value})


def paginate(
    queryset: QuerySet, keys: tuple[Key, ...], *, after: str = "", before: str = "", per_page: int = 25
) -> KeysetPage:
    """One page of `queryset` in the order of `keys`: the first page, or the page after/before
    a cursor from an earlier page."""
    position = _position(queryset, keys, after or before) if (after or before) else None
    forward = position is None or bool(after)  # a cursor that isn't ours: from the top
    page = queryset.order_by(*(key.order(forward) for key in keys))
    if position is not None:
        page = page.filter(_start_bound(keys[0], position[0], forward), _seek(keys, position, forward))
    rows = list(page[: per_page + 1])
    return page_of(rows, queryset.count(), keys, forward=forward, moved=position is not None, per_page=per_page)


def page_of(
    rows: list, count: int, keys: tuple[Key, ...], *, forward: bool = True, moved: bool = False, per_page: int = 25
) -> KeysetPage:
    """The page from the rows read for it (up to one more than fit, to know whether more follow,
    in the order of travel) and the count of them all; `moved`: read from a cursor."""
    more = len(rows) > per_page
    rows = rows[:per_page]
    if not forward:
        rows.reverse()
    has_next, has_previous = (more, moved) if forward else (moved, more)
    return KeysetPage(
        object_list=rows,
        count=count,
        has_next=has_next and bool(rows),
        has_previous=has_previous and bool(rows),
        next_cursor=cursor_for(rows[-1], keys) if rows and has_next else "",
        previous_cursor=cursor_for(rows[0], keys) if rows and has_previous else "",
        per_page=per_page,
    )
