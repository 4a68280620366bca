"""Signing in with a username and password (Django's ModelBackend), loading the signed-in user
in one query with everything every page asks about them.

Every page asks "has this person an authenticator app?" and "does a role of theirs require
one?" (partnerships.two_factor.next_step, from partnerships.middleware), and nearly every page
reads their roles (navigation, what they may see). Read on their own, those were three
queries on every page besides the user's row. Here the user's active memberships are read with
the user joined (select_related from the membership side), with the authenticator's id as a
column (so the second step's middleware need not read the device either); someone with no
active membership costs a second query, for the user alone. Usually the session store has
already read all of this with the session row in this request (partnerships/sessions.py) and
the backend takes it from there, with no query of its own.
All of it is read afresh on every request, as the user row always was, so a role granted or
ended, or an app removed, counts from the next page on. A deactivated user is still refused
(ModelBackend.user_can_authenticate), which signs them out at once.
"""

from contextvars import ContextVar

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.signals import request_started
from django.db.models import OuterRef, QuerySet

from partnerships.choices import Role
from partnerships.compiled import CompiledQuery
from partnerships.selectors import MEMBERSHIPS, active_memberships
from partnerships.two_factor import (
    AUTHENTICATOR_ID,
    HAS_AUTHENTICATOR,
    HOLDS_REQUIRING_ROLE,
    ROLES_REQUIRING_TWO_FACTOR,
    authenticator_id,
    with_two_factor_facts,
)

# Both queries run on every request, so they are compiled to SQL once (partnerships/compiled.py).
USER_ID = -2_147_480_000  # where the user's id goes in the compiled queries (within a 32-bit key's range)


def memberships_with_user() -> QuerySet:
    """Active memberships with their user, agency and partnership, and the user's authenticator
    app's id: everything a page asks about the signed-in person, in one query. The session
    store reads the same with the session row (partnerships/sessions.py)."""
    return (
        active_memberships()
        .select_related("user")
        .annotate(user_authenticator_id=authenticator_id(OuterRef("user_id")))
    )


MEMBERSHIPS_WITH_USER = CompiledQuery(lambda user_id: memberships_with_user().filter(user_id=user_id), user_id=USER_ID)
USER_ALONE = CompiledQuery(
    lambda user_id: with_two_factor_facts(get_user_model()._default_manager.filter(pk=user_id)), user_id=USER_ID
)

# The user the session store read with the session row in this request (user id, user); taken
# once, and forgotten when the next request starts.
_read_with_session: ContextVar[tuple[int, object] | None] = ContextVar("read_with_session", default=None)


def _forget_read_with_session(**kwargs):
    _read_with_session.set(None)


request_started.connect(_forget_read_with_session, dispatch_uid="partnerships.backends.forget")


def user_from_memberships(memberships: list) -> object:
    """The user of these memberships (one person's, at least one), with their roles and
    two-factor facts set on them for the rest of the request."""
    user = memberships[0].user
    for membership in memberships:
        membership.user = user
    setattr(user, MEMBERSHIPS, memberships)
    setattr(user, AUTHENTICATOR_ID, memberships[0].user_authenticator_id)
    setattr(user, HAS_AUTHENTICATOR, memberships[0].user_authenticator_id is not None)
    setattr(user, HOLDS_REQUIRING_ROLE, any(Role(m.role) in ROLES_REQUIRING_TWO_FACTOR for m in memberships))
    return user


def read_with_session(user) -> None:
    _read_with_session.set((user.pk, user))


class UserWithTwoFactorFactsBackend(ModelBackend):
    def get_user(self, user_id):
        user_id = get_user_model()._meta.pk.to_python(user_id)
        read = _read_with_session.get()
        if read is not None and read[0] == user_id:
            _read_with_session.set(None)
            user = read[1]
        else:
            memberships = MEMBERSHIPS_WITH_USER(user_id=user_id)
            if memberships:
                user = user_from_memberships(memberships)
            else:
                user = next(iter(USER_ALONE(user_id=user_id)), None)
                if user is not None:
                    setattr(user, MEMBERSHIPS, [])
        return user if user is not None and self.user_can_authenticate(user) else None
