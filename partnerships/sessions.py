"""The session store: Django's database sessions, with the one query every signed-in request
makes (read the session row) compiled to SQL once per process (partnerships/compiled.py).

Select with SESSION_ENGINE = "partnerships.sessions". Everything else (writing, expiry,
cycling the key at sign-in, deleting it at sign-out) is Django's own.
"""

import datetime as dt

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from partnerships.compiled import CompiledQuery

# Where the key and the time go in the compiled query: values no real request carries.
_KEY = "\x00session-key"
_NOW = dt.datetime(1901, 2, 3, 4, 5, 6, 789, tzinfo=dt.UTC)

UNEXPIRED_SESSION = CompiledQuery(
    lambda key, now: Session.objects.filter(session_key=key, expire_date__gt=now), key=_KEY, now=_NOW
)


class SessionStore(DatabaseSessionStore):
    @classmethod
    def get_model_class(cls):
        return Session

    def _get_session_from_db(self):
        found = UNEXPIRED_SESSION(using=self.model.objects.db, key=self.session_key, now=timezone.now())
        if found:
            return found[0]
        self._session_key = None
        return None
