"""The per-request queries compiled once (partnerships/compiled.py) give what the ORM gives,
and read the database afresh each time: a role ended or a user deactivated counts at once."""

import pytest
from django.utils import timezone

from partnerships.backends import MEMBERSHIPS_WITH_USER, UserWithTwoFactorFactsBackend
from partnerships.compiled import CompiledQuery
from partnerships.models import Membership
from partnerships.selectors import MEMBERSHIPS

pytestmark = pytest.mark.django_db


def test_the_compiled_query_returns_the_same_rows_with_their_related_objects_as_the_orm(cast):
    rows = MEMBERSHIPS_WITH_USER(user_id=cast.manager.pk)
    expected = list(
        Membership.objects.active().filter(user=cast.manager).order_by("partnership__name", "agency__name", "role")
    )
    assert [m.pk for m in rows] == [m.pk for m in expected]
    assert rows[0].user.username == "manager" and rows[0].agency.name == "Riverside Primary School"
    assert rows[0].partnership.slug == cast.partnership.slug
    assert rows[0].user_authenticator_id is None


def test_each_call_reads_afresh_so_an_ended_role_and_a_deactivated_user_count_at_once(cast):
    backend = UserWithTwoFactorFactsBackend()
    user = backend.get_user(cast.manager.pk)
    assert [m.role for m in getattr(user, MEMBERSHIPS)] == ["line_manager"]
    Membership.objects.filter(user=cast.manager).update(ended=timezone.localdate())
    assert getattr(backend.get_user(cast.manager.pk), MEMBERSHIPS) == []
    type(cast.manager).objects.filter(pk=cast.manager.pk).update(is_active=False)
    assert backend.get_user(cast.manager.pk) is None


def test_a_placeholder_that_is_not_in_the_query_is_refused(cast):
    query = CompiledQuery(lambda user_id: Membership.objects.all(), user_id=-2_147_480_000)
    with pytest.raises(ValueError, match="appears 0 times"):
        query(user_id=cast.manager.pk)


def test_a_session_past_its_expiry_is_not_loaded():
    from datetime import timedelta

    from django.contrib.sessions.models import Session

    from partnerships.sessions import SessionStore

    store = SessionStore()
    store["seen"] = "yes"
    store.create()
    assert SessionStore(store.session_key).load() == {"seen": "yes"}
    Session.objects.filter(session_key=store.session_key).update(expire_date=timezone.now() - timedelta(seconds=1))
    assert SessionStore(store.session_key).load() == {}
