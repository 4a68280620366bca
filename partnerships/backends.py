"""Signing in with a username and password (Django's ModelBackend), loading the signed-in user
in one query with everything every page asks about them.

Every page asks "has this person an authenticator app?" and "does a role of theirs require
one?" (partnerships.two_factor.next_step, from partnerships.middleware), and nearly every page
reads their roles (navigation, what they may see). Read on their own, those were three
queries on every page besides the user's row. Here the user's active memberships are read with
the user joined (select_related from the membership side), with the authenticator's id as a
column (so the second step's middleware need not read the device either); someone with no
active membership costs a second query, for the user alone.
All of it is read afresh on every request, as the user row always was, so a role granted or
ended, or an app removed, counts from the next page on. A deactivated user is still refused
(ModelBackend.user_can_authenticate), which signs them out at once.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import OuterRef

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
MEMBERSHIPS_WITH_USER = CompiledQuery(
    lambda user_id: (
        active_memberships()
        .filter(user_id=user_id)
        .select_related("user")
        .annotate(user_authenticator_id=authenticator_id(OuterRef("user_id")))
    ),
    user_id=USER_ID,
)
USER_ALONE = CompiledQuery(
    lambda user_id: with_two_factor_facts(get_user_model()._default_manager.filter(pk=user_id)), user_id=USER_ID
)


class UserWithTwoFactorFactsBackend(ModelBackend):
    def get_user(self, user_id):
        user_id = get_user_model()._meta.pk.to_python(user_id)
        memberships = MEMBERSHIPS_WITH_USER(user_id=user_id)
        if memberships:
            user = memberships[0].user
            for membership in memberships:
                membership.user = user
            setattr(user, MEMBERSHIPS, memberships)
            setattr(user, AUTHENTICATOR_ID, memberships[0].user_authenticator_id)
            setattr(user, HAS_AUTHENTICATOR, memberships[0].user_authenticator_id is not None)
            setattr(user, HOLDS_REQUIRING_ROLE, any(Role(m.role) in ROLES_REQUIRING_TWO_FACTOR for m in memberships))
        else:
            user = next(iter(USER_ALONE(user_id=user_id)), None)
            if user is not None:
                setattr(user, MEMBERSHIPS, [])
        return user if user is not None and self.user_can_authenticate(user) else None
