"""The dashboard's figures are worked out once and shared for a few minutes
(escalation/figures_cache.py), but never hide a change: any change to one of the partnership's
escalations, and the end of the few minutes, makes the next visit work them out afresh."""

import re
import socket
import time
from datetime import timedelta

import pytest
import redis
from django.core.cache import cache, caches
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from config.settings import redis_cache
from escalation import figures_cache, services
from tests.functional.test_dashboard import page
from tests.integration.test_dashboard import NOW, build_fixed_set, fresh, raise_

pytestmark = pytest.mark.django_db


@pytest.fixture
def fixed(cast, time_machine, settings):
    settings.DASHBOARD_CACHE_SECONDS = 300
    time_machine.move_to(NOW, tick=False)
    return cast, build_fixed_set(cast)


def headline(text: str) -> dict[str, str]:
    found = re.findall(
        r'<dt class="govuk-summary-list__key">([^<]+)</dt>\s*<dd[^>]*>(?:<a[^>]*>)?([^<]*)', text
    )
    return dict(found)


def figures(text: str) -> str:
    """The figures part of the page: from the headline to the end of the last figure."""
    return text[text.index('id="headline"') : text.index("</main>")]


def as_at(text: str) -> str:
    return re.search(r'id="figures-as-at">Figures as at ([^.]+)\.', text).group(1)


def queries_for(client, **params) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("dashboard:index"), params).status_code == 200
    return len(captured)


def test_a_second_visit_shows_the_same_figures_without_working_them_out_again(client, fixed, settings):
    cast, _ = fixed
    first = page(client, cast.business_manager)
    built = queries_for(client)
    again = queries_for(client)
    assert figures(page(client, cast.business_manager)) == figures(first)
    settings.DASHBOARD_CACHE_SECONDS = 0
    every_time = queries_for(client)
    # Working the figures out takes at least 4 aggregate queries more than reading them back.
    assert again <= every_time - 4
    assert built == again  # the first visit above had already kept them
    assert "worked out again as soon as an escalation changes, and at least every 5 minutes" in first


def test_the_chair_reuses_what_the_business_manager_worked_out(client, fixed):
    cast, _ = fixed
    mine = page(client, cast.business_manager)
    client.force_login(cast.chair)
    with CaptureQueriesContext(connection) as captured:
        theirs = client.get(reverse("dashboard:index")).content.decode()
    assert headline(theirs) == headline(mine)
    assert not any("GROUP BY" in q["sql"] for q in captured.captured_queries)


def test_a_new_escalation_counts_at_once(client, fixed, django_capture_on_commit_callbacks):
    cast, _ = fixed
    before = headline(page(client, cast.business_manager))
    with django_capture_on_commit_callbacks(execute=True):  # the change is committed
        raise_(cast, NOW - timedelta(hours=1))
    after = headline(page(client, cast.business_manager))
    assert int(after["Raised"]) == int(before["Raised"]) + 1
    assert int(after["Open now"]) == int(before["Open now"]) + 1


def test_a_withdrawal_counts_at_once(client, fixed, django_capture_on_commit_callbacks):
    cast, made = fixed
    before = headline(page(client, cast.business_manager))
    with django_capture_on_commit_callbacks(execute=True):
        services.escalation_withdraw(
            escalation=fresh(made["e5"]), acting_user=cast.practitioner, reason="Agreed after all.", at=NOW
        )
    after = headline(page(client, cast.business_manager))
    assert int(after["Withdrawn"]) == int(before["Withdrawn"]) + 1
    assert int(after["Open now"]) == int(before["Open now"]) - 1


def test_after_the_few_minutes_the_clock_moves_the_figures_on(client, fixed, time_machine):
    """Nothing changes in the data, but time passes: an open stage runs out of time."""
    cast, _ = fixed
    first = page(client, cast.business_manager)
    time_machine.move_to(NOW + timedelta(minutes=4), tick=False)
    assert figures(page(client, cast.business_manager)) == figures(first)  # still within the 5 minutes
    time_machine.move_to(NOW + timedelta(days=30), tick=False)
    later = page(client, cast.business_manager)
    assert as_at(later) != as_at(first)
    assert int(headline(later)["Overdue now"]) == int(headline(first)["Overdue now"]) + 1


def test_each_set_of_filters_has_figures_of_its_own(client, fixed):
    cast, _ = fixed
    everything = headline(page(client, cast.business_manager))
    police = headline(page(client, cast.business_manager, agency=str(cast.police.public_id)))
    assert police["Raised"] != everything["Raised"]
    client.get(reverse("dashboard:index"), {"clear": "1"})  # the dashboard remembers the last filters until cleared
    assert headline(page(client, cast.business_manager)) == everything


def test_a_change_made_while_someone_reads_is_not_hidden_by_what_they_kept(cast, django_capture_on_commit_callbacks):
    """A reader between the change and its commit keeps figures without it; the commit moves on."""
    partnership = cast.partnership.pk
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            figures_cache.figures_changed(partnership)
            assert figures_cache.cached_figures(partnership, {}, lambda: "without the change") == "without the change"
    assert figures_cache.cached_figures(partnership, {}, lambda: "with the change") == "with the change"


def test_with_the_cache_out_of_reach_the_dashboard_and_changes_still_work(client, fixed, settings):
    cast, _ = fixed
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once the socket closes
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/1",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    before = headline(page(client, cast.business_manager))
    raise_(cast, NOW - timedelta(hours=1))
    after = headline(page(client, cast.business_manager))
    assert int(after["Raised"]) == int(before["Raised"]) + 1
    with pytest.raises(redis.exceptions.ConnectionError):
        cache.get("anything")  # really out of reach


# --- a hung cache never slows a change ---------------------------------------------------------------


@pytest.fixture
def cache_calls(monkeypatch):
    """Every call on the real cache, with whether a database transaction was open at the time."""
    calls = []
    backend = caches["default"]
    for name in ("get", "set", "get_or_set", "add", "delete", "get_many", "set_many", "incr"):
        real = getattr(backend, name)

        def spy(*args, _real=real, _name=name, **kwargs):
            calls.append((_name, connection.in_atomic_block))
            return _real(*args, **kwargs)

        monkeypatch.setattr(backend, name, spy)
    return calls


@pytest.mark.django_db(transaction=True)
def test_no_cache_call_happens_inside_a_transaction_during_a_transition(cast, cache_calls):
    escalation = raise_(cast, NOW)
    services.escalation_acknowledge(escalation=fresh(escalation), acting_user=cast.other_practitioner)
    services.escalation_withdraw(escalation=fresh(escalation), acting_user=cast.practitioner, reason="Agreed.")
    assert [name for name, _ in cache_calls] == ["set"] * 3  # the figures marked stale once per change …
    assert not any(in_transaction for _, in_transaction in cache_calls)  # … each after its commit


def blackhole() -> socket.socket:
    """A port that accepts connections and never answers: a hung Redis."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    return listener


@pytest.mark.django_db(transaction=True)
def test_a_hung_cache_costs_a_change_less_than_its_timeout(cast, settings):
    timeout = 0.5
    settings.CACHE_SOCKET_TIMEOUT = timeout

    def five_changes() -> list[float]:
        took = []
        for _ in range(5):
            started = time.monotonic()
            raise_(cast, NOW)
            took.append(time.monotonic() - started)
        return took

    healthy = five_changes()  # the local in-process cache
    with blackhole() as hung:
        settings.CACHES = {"default": redis_cache(f"redis://127.0.0.1:{hung.getsockname()[1]}/1", timeout)}
        with pytest.raises(redis.exceptions.TimeoutError):
            caches["default"].get("anything")  # really hung: it waits, then gives up
        figures_cache.forget_failures()
        hanging = five_changes()
    extra = [h - ok for h, ok in zip(hanging, healthy, strict=True)]
    # The first change waits for one timeout (no retry, not twice); the next ones not at all.
    assert extra[0] < timeout + 0.3, extra
    assert max(extra[1:]) < timeout / 2, extra
    assert sum(extra) / len(extra) < timeout, extra
