"""The session store: Django's database sessions, read together with the signed-in user.

Every signed-in request read the session row, then the user with their roles: two round trips
to the database before the page did anything. The session row now carries the user's id
(partnerships/session_model.py), so one query (compiled once, partnerships/compiled.py) reads
the session, the user, their active roles and their two-factor facts; the authentication
backend takes the user from it instead of asking again (partnerships/backends.py). Only the
same request may use what was read: it is forgotten when the next request starts, and taken
only once.

Where that query finds nothing (no such session, an expired one, a session written before the
user column, or a user with no active role or no longer active) the session is read alone and
the backend reads the user itself, exactly as before.

Select with SESSION_ENGINE = "partnerships.sessions". Everything else (writing, expiry, cycling
the key at sign-in, deleting it at sign-out) is Django's own.
"""

from __future__ import annotations

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db.models import F
from django.utils import timezone

from partnerships.backends import memberships_with_user, read_with_session, user_from_memberships
from partnerships.compiled import CompiledQuery
from partnerships.session_model import SignedInSession

# Where the key goes in the compiled queries: a value no real request carries. (Expiry is
# compared here, not in SQL: a time would be written differently by each database backend.)
_KEY = "\x00session-key"

SESSION_ROW = CompiledQuery(lambda key: SignedInSession.objects.filter(session_key=key), key=_KEY)

SESSION_WITH_USER = CompiledQuery(
    lambda key: (
        memberships_with_user()
        .filter(user__sessions__session_key=key)
        .annotate(session_data=F("user__sessions__session_data"), session_expiry=F("user__sessions__expire_date"))
    ),
    key=_KEY,
)


class SessionStore(DatabaseSessionStore):
    @classmethod
    def get_model_class(cls):
        return SignedInSession

    def load(self):
        using = self.model.objects.db
        now = timezone.now()
        memberships = SESSION_WITH_USER(using=using, key=self.session_key)
        if memberships and memberships[0].session_expiry > now:
            read_with_session(user_from_memberships(memberships))
            return self.decode(memberships[0].session_data)
        found = SESSION_ROW(using=using, key=self.session_key)
        if found and found[0].expire_date > now:
            return self.decode(found[0].session_data)
        self._session_key = None
        return {}

    def create_model_instance(self, data):
        session = super().create_model_instance(data)
        try:
            session.user_id = int(data.get(SESSION_KEY))
        except (TypeError, ValueError):
            session.user_id = None
        return session
