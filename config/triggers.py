"""Lifting an append-only trigger for one transaction's statements.

pgtrigger.ignore does this by putting `SELECT set_config('pgtrigger.ignore', …);` in front of
every statement sent while it is active. PostgreSQL refuses two commands in one prepared
statement, and the application's connections prepare their statements (DB_PREPARED_STATEMENTS in
config/settings.py), so here the setting is made by a statement of its own at the start of the
block (local to its transaction) and cleared at its end: statements after the block, in the same
transaction or not, are guarded again. The triggers read the setting as they read pgtrigger's.
"""

from __future__ import annotations

from contextlib import contextmanager

from django.db import connections, transaction

SET = "SELECT set_config('pgtrigger.ignore', %s, true)"


def _ignored_ids(uris: tuple[str, ...]) -> str:
    """The value pgtrigger itself would set: each trigger's id and its table-qualified name."""
    from pgtrigger import registry

    ids = set()
    for model, trigger in registry.registered(*uris):
        pgid = trigger.get_pgid(model)
        ids |= {pgid, f"{model._meta.db_table}:{pgid}"}
    return "{" + ",".join(sorted(ids)) + "}"


@contextmanager
def lifted(*uris: str, using: str = "default"):
    """Within the block (one transaction), the named triggers let statements through. Elsewhere,
    and on any database but PostgreSQL (which has no such triggers), nothing changes."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(using=using):
        with connection.cursor() as cursor:
            cursor.execute(SET, [_ignored_ids(uris)])
        yield
        # On an error the rollback undoes the setting; on success it is cleared here.
        with connection.cursor() as cursor:
            cursor.execute(SET, ["{}"])
