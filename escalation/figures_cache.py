"""The dashboard's figures, worked out once and shared for a few minutes.

Working them out is a handful of aggregate queries over every escalation of one partnership
(about a third of a second of database work at 10,000 escalations a partnership) and drawing
hundreds of linked table cells, and every business manager, chair and auditor of the
partnership asks the same question. So the figures part of the page, rendered, is kept in the
cache for `DASHBOARD_CACHE_SECONDS` (default 300; 0 turns this off), keyed by partnership and
filters, and the page says when the figures were worked out.

A change to any of the partnership's escalations makes them stale at once, not after five
minutes: every change goes through `services.record_on_files` (the entry on each child's
file), which calls `figures_changed`. That moves the partnership's *generation*, a token in
every key, so the next request builds afresh. The token is moved when the transaction
commits, never inside it: a hung cache must not hold a database transaction (and its row
locks) open, and figures a request built meanwhile, without the uncommitted change, are kept
under the old token that nobody asks for after the move.

With `REDIS_URL` set the cache is Redis (settings), shared by every web process and the
watcher's worker; without it each process keeps its own copy, and a change made in another
process shows within `DASHBOARD_CACHE_SECONDS`. The cache is an accelerator only: if it fails,
the figures are built as if it were empty, and a change is never refused because of it. Each
call gives up after `CACHE_SOCKET_TIMEOUT` (0.25 s), and after a failure this process leaves the
cache alone for `CACHE_RETRY_SECONDS` (30), so a hung Redis costs one short wait, not one per
request.
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

logger = logging.getLogger(__name__)
DEFAULT_SECONDS = 300


def _seconds() -> int:
    return getattr(settings, "DASHBOARD_CACHE_SECONDS", DEFAULT_SECONDS)


def refresh_minutes() -> int:
    """How old the figures on the page can be, in whole minutes (0: built for every request)."""
    return -(-max(_seconds(), 0) // 60)


def _generation_key(partnership_id: int) -> str:
    return f"dashboard-generation:{partnership_id}"


_unavailable_until = 0.0  # this process's clock (time.monotonic) until the cache is tried again


def _with_cache(call: Callable[[], object], failure: str):
    """Run one cache call, unless the cache failed lately. Raises CacheUnavailable instead of
    waiting on a cache that is down."""
    global _unavailable_until
    if time.monotonic() < _unavailable_until:
        raise CacheUnavailable
    try:
        return call()
    except Exception as exc:
        _unavailable_until = time.monotonic() + getattr(settings, "CACHE_RETRY_SECONDS", 30)
        logger.warning("%s; the cache is left alone for a while", failure, exc_info=True)
        raise CacheUnavailable from exc


class CacheUnavailable(Exception):
    pass


def forget_failures() -> None:
    """Try the cache again at the next call (the tests, after breaking it on purpose)."""
    global _unavailable_until
    _unavailable_until = 0.0


def _bump(partnership_id: int) -> None:
    try:
        _with_cache(
            lambda: cache.set(_generation_key(partnership_id), uuid.uuid4().hex, timeout=None),
            f"Could not mark the dashboard figures of partnership {partnership_id} as stale",
        )
    except CacheUnavailable:  # the cache is an accelerator: never let it refuse a change
        pass


def figures_changed(partnership_id: int) -> None:
    """Something about one of this partnership's escalations changed: stop serving old figures,
    once the change is committed (called inside the change's transaction)."""
    transaction.on_commit(lambda: _bump(partnership_id))


def figures_key(partnership_id: int, generation: str, params: dict) -> str:
    filters = urlencode(sorted(params.items()))
    return f"dashboard:{partnership_id}:{generation}:{hashlib.sha256(filters.encode()).hexdigest()[:32]}"


def cached_figures(partnership_id: int, params: dict, build: Callable[[], object]):
    """The figures for this partnership and these filters: from the cache if they are there and
    nothing has changed since, otherwise built now (and kept)."""
    seconds = _seconds()
    if seconds <= 0:
        return build()
    try:
        generation = _with_cache(
            lambda: cache.get_or_set(_generation_key(partnership_id), uuid.uuid4().hex, timeout=None),
            "Dashboard cache unavailable; building the figures",
        )
        key = figures_key(partnership_id, generation, params)
        found = _with_cache(lambda: cache.get(key), "Dashboard cache unavailable; building the figures")
    except CacheUnavailable:
        return build()
    now = timezone.now()
    # The age is checked here as well as by the cache's own expiry, on the clock the page shows.
    if found is not None and now - found[0] < timedelta(seconds=seconds):
        return found[1]
    figures = build()
    try:
        _with_cache(lambda: cache.set(key, (now, figures), timeout=seconds), "Could not keep the dashboard figures")
    except CacheUnavailable:
        pass
    return figures
