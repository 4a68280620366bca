"""The session store: Django's database sessions, with the one query every signed-in request
makes (read the session row) compiled to SQL once per process (partnerships/compiled.py).

Select with SESSION_ENGINE = "partnerships.sessions". Everything else (writing, expiry,
cycling the key at sign-in, deleting it at sign-out) is Django's own.
"""

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from partnerships.compiled import CompiledQuery

# Where the key goes in the compiled query: a value no real request carries. (Expiry is
# compared here, not in SQL: a time would be written differently by each database backend.)
SESSION_ROW = CompiledQuery(lambda key: Session.objects.filter(session_key=key), key="\x00session-key")


class SessionStore(DatabaseSessionStore):
    @classmethod
    def get_model_class(cls):
        return Session

    def _get_session_from_db(self):
        found = SESSION_ROW(using=self.model.objects.db, key=self.session_key)
        if found and found[0].expire_date > timezone.now():
            return found[0]
        self._session_key = None
        return None
