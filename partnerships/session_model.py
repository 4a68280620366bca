"""The session row, with the signed-in user's id as a column of its own.

Django's session table keeps the user's id only inside the encoded session data, so every
signed-in request read the session and then, in a second query, the user. With the id as a
column, one query reads the session together with the user and their roles
(partnerships/sessions.py). The column is added to Django's own table, `django_session`
(migration 0009), and filled whenever the session is saved; this model maps that table with
the column and is not managed by migrations (django.contrib.sessions' model stays the owner
of the table, and anything that reads sessions through it still finds every row).
"""

from django.conf import settings
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models


class SignedInSession(AbstractBaseSession):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="sessions"
    )

    class Meta:
        managed = False
        db_table = "django_session"
        verbose_name = "session"

    @classmethod
    def get_session_store_class(cls):
        from partnerships.sessions import SessionStore

        return SessionStore
