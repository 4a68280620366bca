"""A query built with the ORM, compiled to SQL once per process and database, then run with
new parameter values: for the few queries every single request makes.

Turning a queryset into SQL (resolving lookups, joins, select_related columns) costs Python
time on every call, and for the signed-in user's row with their roles it was about two thirds
of what every page paid before its own work (the benchmark's floor, docs/benchmark-results.md).
The query itself stays written once, with the ORM, next to the rules it uses (which
memberships are active, which authenticators count); only its compiled form is kept.

Each placeholder is a sentinel value passed to the builder where the real value will go; it
must appear exactly once among the compiled parameters. Rows come back as the model instances
the queryset would give: select_related objects and annotations included.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import connections
from django.db.models import QuerySet
from django.db.models.query import get_related_populators


@dataclass(frozen=True)
class _Compiled:
    compiler: object
    sql: str
    params: tuple
    slots: dict  # placeholder name -> index in params


class CompiledQuery:
    def __init__(self, build: Callable[..., QuerySet], **sentinels):
        self.build = build
        self.sentinels = sentinels
        self._by_alias: dict[str, _Compiled] = {}

    def _compiled(self, alias: str) -> _Compiled:
        compiled = self._by_alias.get(alias)
        if compiled is None:
            queryset = self.build(**self.sentinels)
            compiler = queryset.query.get_compiler(using=alias)
            sql, params = compiler.as_sql()
            slots = {}
            for name, sentinel in self.sentinels.items():
                found = [i for i, p in enumerate(params) if p == sentinel]
                if len(found) != 1:
                    raise ValueError(f"placeholder {name!r} appears {len(found)} times in the compiled query")
                slots[name] = found[0]
            compiled = self._by_alias[alias] = _Compiled(compiler, sql, tuple(params), slots)
        return compiled

    def __call__(self, using: str = "default", **values) -> list:
        compiled = self._compiled(using)
        params = list(compiled.params)
        for name, index in compiled.slots.items():
            params[index] = values[name]
        with connections[using].cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        return list(self._instances(compiled.compiler, rows, using))

    @staticmethod
    def _instances(compiler, rows: list, db: str):
        """What Django's ModelIterable does with one chunk of rows."""
        select, klass_info, annotation_col_map = compiler.select, compiler.klass_info, compiler.annotation_col_map
        model = klass_info["model"]
        first, last = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        init_list = [f[0].target.attname for f in select[first:last]]
        populators = get_related_populators(klass_info, select, db)
        for row in compiler.results_iter(results=[rows]):
            obj = model.from_db(db, init_list, row[first:last])
            for populator in populators:
                populator.populate(row, obj)
            for attr, position in annotation_col_map.items():
                setattr(obj, attr, row[position])
            yield obj
