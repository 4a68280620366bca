"""Signing in with a username and password (Django's ModelBackend), loading the signed-in user
with the two facts two-factor sign-in checks on every page in the same query.

Every page asks "has this person an authenticator app?" and "does a role of theirs require
one?" (partnerships.two_factor.next_step, from partnerships.middleware). Read here, as two
EXISTS columns of the user's row, they cost no query of their own; read on their own, they
were two queries on every page. They are read afresh on every request, as the user row is,
so a role granted or an app removed counts from the next page on. A deactivated user is
still refused (ModelBackend.user_can_authenticate), which signs them out at once.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from partnerships.two_factor import with_two_factor_facts


class UserWithTwoFactorFactsBackend(ModelBackend):
    def get_user(self, user_id):
        users = with_two_factor_facts(get_user_model()._default_manager.filter(pk=user_id))
        user = users.first()
        return user if user is not None and self.user_can_authenticate(user) else None
