"""A query built with the ORM, compiled to SQL once per process and database, then run with
new parameter values: for the few queries every single request makes.

Turning a queryset into SQL (resolving lookups, joins, select_related columns) costs Python
time on every call, and for the signed-in user's row with their roles it was about two thirds
of what every page paid before its own work (the benchmark's floor, docs/benchmark-results.md).
The query itself stays written once, with the ORM, next to the rules it uses (which
memberships are active, which authenticators count); only its compiled form is kept.

Each placeholder is a sentinel value passed to the builder where the real value will go; it
must appear among the compiled parameters (as often as the query uses it). A UUID is found in
whichever form the database backend sends it (itself, or its hex on SQLite), and each real value
is sent in that same form. Rows come back as the model instances
the queryset would give (what Django's ModelIterable does, with the column converters and
select_related populators worked out once): select_related objects and annotations included;
not prefetch_related. CompiledCount does the same for the queryset's count().

A query whose SQL depends on more than its values (the visibility rule's ORs, one per role a
person holds) is compiled once per shape instead, each with placeholders for the ids its shape
holds; some of those may then not appear in the SQL (`allow_unused`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connections
from django.db.models import QuerySet
from django.db.models.query import get_related_populators


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple
    slots: dict  # placeholder name -> (indexes in params, how a value is sent)
    # What Django's ModelIterable works out for every chunk of rows, worked out once.
    model: type
    init_list: list
    model_columns: slice
    converters: list  # (position, converter functions, expression)
    connection: object  # passed to converters (they read its settings, never query)
    populators: list  # select_related objects
    annotations: dict  # attribute -> position


def _same(value):
    return value


def _forms(sentinel) -> list[tuple[object, Callable]]:
    """The forms a placeholder may take among compiled parameters, and how to send a value in it."""
    forms = [(sentinel, _same)]
    if isinstance(sentinel, uuid.UUID):
        forms.append((sentinel.hex, lambda value: uuid.UUID(str(value)).hex))
    return forms


def _slots(params, sentinels: dict, allow_unused: bool) -> dict:
    """Where each placeholder sits among the compiled parameters, and how a value is sent there."""
    slots = {}
    for name, sentinel in sentinels.items():
        for form, send in _forms(sentinel):
            found = tuple(i for i, p in enumerate(params) if p == form)
            if found:
                slots[name] = (found, send)
                break
        else:
            if not allow_unused:
                raise ValueError(f"placeholder {name!r} appears 0 times in the compiled query")
    return slots


def _params(params: tuple, slots: dict, values: dict) -> list:
    params = list(params)
    for name, (indexes, send) in slots.items():
        value = send(values[name])
        for index in indexes:
            params[index] = value
    return params


def _converted(row, converters: list, connection):
    """The row with each column's converters applied, as Django's iterables apply them."""
    if not converters:
        return row
    row = list(row)
    for pos, convs, expression in converters:
        for converter in convs:
            row[pos] = converter(row[pos], expression, connection)
    return row


class CompiledQuery:
    def __init__(self, build: Callable[..., QuerySet], *, allow_unused: bool = False, **sentinels):
        self.build = build
        self.sentinels = sentinels
        self.allow_unused = allow_unused
        self._by_alias: dict[str, _Compiled] = {}

    def _compiled(self, alias: str) -> _Compiled:
        compiled = self._by_alias.get(alias)
        if compiled is None:
            compiled = self._by_alias[alias] = self._compile(alias)
        return compiled

    def _compile(self, alias: str) -> _Compiled:
        queryset = self.build(**self.sentinels)
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        slots = _slots(params, self.sentinels, self.allow_unused)
        select, klass_info = compiler.select, compiler.klass_info
        first, last = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        fields = [s[0] for s in select[0 : compiler.col_count]]
        if compiler.has_composite_fields(fields):
            raise ValueError("composite primary keys are not supported")
        return _Compiled(
            sql=sql,
            params=tuple(params),
            slots=slots,
            model=klass_info["model"],
            init_list=[f[0].target.attname for f in select[first:last]],
            model_columns=slice(first, last),
            converters=[(pos, convs, expr) for pos, (convs, expr) in compiler.get_converters(fields).items()],
            connection=compiler.connection,
            populators=get_related_populators(klass_info, select, alias),
            annotations=dict(compiler.annotation_col_map),
        )

    def __call__(self, using: str = "default", **values) -> list:
        c = self._compiled(using)
        with connections[using].cursor() as cursor:
            cursor.execute(c.sql, _params(c.params, c.slots, values))
            rows = cursor.fetchall()
        found = []
        for row in rows:
            row = _converted(row, c.converters, c.connection)
            obj = c.model.from_db(using, c.init_list, row[c.model_columns])
            for populator in c.populators:
                populator.populate(row, obj)
            for attr, position in c.annotations.items():
                setattr(obj, attr, row[position])
            found.append(obj)
        return found


class CompiledRows:
    """`build(**sentinels)`, a values_list() queryset, compiled once per process and database:
    its rows as tuples, the columns' converters applied (datetimes made aware, UUIDs read), for
    a page that reads many rows only to write a few fields of each (a case's timeline holds every
    child's copy of each entry: building a model instance of each cost more than the query)."""

    def __init__(self, build: Callable[..., QuerySet], *, allow_unused: bool = False, **sentinels):
        self.build = build
        self.sentinels = sentinels
        self.allow_unused = allow_unused
        self._by_alias: dict[str, tuple] = {}

    def _compiled(self, alias: str) -> tuple:
        compiled = self._by_alias.get(alias)
        if compiled is None:
            compiler = self.build(**self.sentinels).query.get_compiler(using=alias)
            sql, params = compiler.as_sql()
            fields = [s[0] for s in compiler.select[0 : compiler.col_count]]
            converters = [(pos, convs, expr) for pos, (convs, expr) in compiler.get_converters(fields).items()]
            slots = _slots(params, self.sentinels, self.allow_unused)
            compiled = self._by_alias[alias] = (sql, tuple(params), slots, converters, compiler.connection)
        return compiled

    def __call__(self, using: str = "default", **values) -> list[tuple]:
        sql, params, slots, converters, connection = self._compiled(using)
        with connections[using].cursor() as cursor:
            cursor.execute(sql, _params(params, slots, values))
            rows = cursor.fetchall()
        return [tuple(_converted(row, converters, connection)) for row in rows]


class CompiledCount:
    """`build(**sentinels).count()`, compiled once per process and database.

    The count is written as Django writes a count of a sliced or distinct queryset, around the
    rows' own SQL (SELECT COUNT(*) FROM (the query's ids)), so compiling it asks the database
    nothing: a first request counts its queries like every other. EmptyResultSet if Django
    knows the count is 0 without asking (as the compiler would for rows)."""

    def __init__(self, build: Callable[..., QuerySet], *, allow_unused: bool = False, **sentinels):
        self.build = build
        self.sentinels = sentinels
        self.allow_unused = allow_unused
        self._by_alias: dict[str, tuple[str, tuple, dict]] = {}

    def _compiled(self, alias: str) -> tuple[str, tuple, dict]:
        compiled = self._by_alias.get(alias)
        if compiled is None:
            ids = self.build(**self.sentinels).order_by().values("pk")
            sql, params = ids.query.get_compiler(using=alias).as_sql()
            sql = f"SELECT COUNT(*) FROM ({sql}) counted"
            compiled = self._by_alias[alias] = (sql, tuple(params), _slots(params, self.sentinels, self.allow_unused))
        return compiled

    def __call__(self, using: str = "default", **values) -> int:
        sql, params, slots = self._compiled(using)
        with connections[using].cursor() as cursor:
            cursor.execute(sql, _params(params, slots, values))
            return cursor.fetchone()[0]
