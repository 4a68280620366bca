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


def signed_in_session(user):
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    from partnerships.sessions import SessionStore

    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "partnerships.backends.UserWithTwoFactorFactsBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


def next_request_starts():
    """request_started, without Django's close_old_connections (the test client does the same)."""
    from django.core.signals import request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    try:
        request_started.send(sender=None)
    finally:
        request_started.connect(close_old_connections)


def test_the_session_row_carries_its_users_id_and_one_query_reads_both(cast):
    from django.contrib.sessions.models import Session
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from partnerships.sessions import SessionStore

    key = signed_in_session(cast.manager)
    # Django's own session model still finds the row (the column is added to its table).
    assert Session.objects.filter(session_key=key).exists()
    next_request_starts()
    with CaptureQueriesContext(connection) as captured:
        SessionStore(key).load()
        user = UserWithTwoFactorFactsBackend().get_user(cast.manager.pk)
    assert len(captured.captured_queries) == 1
    assert [m.role for m in getattr(user, MEMBERSHIPS)] == ["line_manager"]


def test_what_was_read_with_the_session_is_not_used_by_the_next_request(cast):
    from partnerships.sessions import SessionStore

    key = signed_in_session(cast.manager)
    next_request_starts()
    SessionStore(key).load()
    Membership.objects.filter(user=cast.manager).update(ended=timezone.localdate())
    next_request_starts()  # the user is read afresh
    assert getattr(UserWithTwoFactorFactsBackend().get_user(cast.manager.pk), MEMBERSHIPS) == []


def test_a_session_written_before_the_user_column_is_still_read(cast):
    from django.contrib.sessions.models import Session

    from partnerships.sessions import SessionStore

    key = signed_in_session(cast.manager)
    from partnerships.session_model import SignedInSession

    SignedInSession.objects.filter(session_key=key).update(user=None)
    data = SessionStore(key).load()
    assert data and Session.objects.get(session_key=key).get_decoded() == data
    assert UserWithTwoFactorFactsBackend().get_user(cast.manager.pk).username == "manager"


def test_a_compiled_count_counts_what_the_orm_counts_and_reads_afresh(cast):
    from partnerships.compiled import CompiledCount

    count = CompiledCount(lambda user_id: Membership.objects.active().filter(user_id=user_id), user_id=-2_147_480_000)
    assert count(user_id=cast.manager.pk) == Membership.objects.active().filter(user=cast.manager).count() == 1
    assert count(user_id=cast.outsider.pk) == 1
    Membership.objects.filter(user=cast.manager).update(ended=timezone.localdate())
    assert count(user_id=cast.manager.pk) == 0


def test_a_count_django_knows_is_empty_is_not_compiled(cast):
    from django.core.exceptions import EmptyResultSet

    from partnerships.compiled import CompiledCount

    count = CompiledCount(lambda user_id: Membership.objects.filter(pk__in=[], user_id=user_id), user_id=-2_147_480_000)
    with pytest.raises(EmptyResultSet):
        count(user_id=cast.manager.pk)


def test_the_first_count_asks_the_database_once_like_every_later_one(cast):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from partnerships.compiled import CompiledCount

    count = CompiledCount(
        lambda user_id: Membership.objects.active().filter(user_id=user_id).select_related("agency").distinct(),
        user_id=-2_147_480_000,
    )
    with CaptureQueriesContext(connection) as first:
        assert count(user_id=cast.manager.pk) == 1
    with CaptureQueriesContext(connection) as second:
        assert count(user_id=cast.manager.pk) == 1
    assert len(first) == len(second) == 1
