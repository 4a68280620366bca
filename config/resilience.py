"""A dropped database connection must not turn a saved change into an error page.

Two middlewares:

- `SessionMiddleware` (replaces Django's): it also renews the idle time-out
  (partnerships.session_timeout.renew_if_due); a changed or renewed session row is written
  after the view. If the connection drops between the view's commit and that write,
  Django answers "400 Bad Request" (SessionInterrupted) although the change was saved, inviting
  a retry that is then told someone else changed the case. Here the session write is tried
  once more on a fresh connection and, failing that, the view's own answer (the redirect to
  what was saved) goes out without renewing the session cookie: the browser keeps its session.

- `RetryBeforeCommitMiddleware`: a connection error in a view before anything it wrote was
  committed (a failover, a restart, an idle connection the server closed) runs the view again
  on a fresh connection, up to RETRIES times. Commits are observed, not guessed: every write
  the view executes inside a transaction registers an on-commit callback, and a write outside
  one commits on its own. Once anything committed, the error is not retried. (Forms that
  create something also carry a key, so even the one ambiguous case, a COMMIT whose answer
  was lost, cannot create a thing twice: escalation/submissions.py.)
"""

from __future__ import annotations

import logging
import time

from django.contrib.sessions.exceptions import SessionInterrupted
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.db import DatabaseError, InterfaceError, OperationalError, connection

from partnerships.session_timeout import renew_if_due

logger = logging.getLogger(__name__)

RETRY_WAITS = (0.1, 0.5)  # seconds before each new try of a view
READS = ("SELECT", "SAVEPOINT", "RELEASE", "ROLLBACK", "SET", "SHOW")


class SessionMiddleware(DjangoSessionMiddleware):
    def process_response(self, request, response):
        renew_if_due(request)  # the idle time-out's renewal, at most once a minute
        try:
            return super().process_response(request, response)
        except (SessionInterrupted, DatabaseError) as first:
            logger.warning("Session not saved after the view (%r); trying a fresh connection", first)
        connection.close()  # the broken one; the next query opens a new one
        try:
            return super().process_response(request, response)
        except (SessionInterrupted, DatabaseError):
            # What the view did is committed: say so (its redirect), rather than "Bad Request".
            logger.warning("Session not saved after the view; answering with the view's response", exc_info=True)
            return response


class _Commits:
    """An execute wrapper that notes whether anything the view wrote has been committed."""

    def __init__(self):
        self.committed = False

    def _mark(self):
        self.committed = True

    def __call__(self, execute, sql, params, many, context):
        if not sql.lstrip().upper().startswith(READS):
            db = context["connection"]
            if db.in_atomic_block:
                db.on_commit(self._mark)  # dropped if the transaction is rolled back
            else:
                self.committed = True  # autocommit: it may have committed even if it fails
        return execute(sql, params, many, context)


class RetryBeforeCommitMiddleware:
    """Last in MIDDLEWARE: it calls the view itself (process_view), so it can call it again."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        for wait in (*RETRY_WAITS, None):
            commits = _Commits()
            try:
                with connection.execute_wrapper(commits):
                    return view_func(request, *view_args, **view_kwargs)
            except (OperationalError, InterfaceError) as exc:
                if wait is None or commits.committed or connection.in_atomic_block:
                    raise
                logger.warning("Database connection lost before anything was saved (%r); trying again", exc)
            connection.close()
            time.sleep(wait)
