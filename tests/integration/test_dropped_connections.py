"""Dropped database connections never become 500s (CONN_HEALTH_CHECKS).

A real gunicorn (one sync worker, so it keeps one connection between requests, as in
production with CONN_MAX_AGE) serves signed-in pages from the test PostgreSQL database. The
database then terminates every connection but the test's own (pg_terminate_backend: what a
restart, a failover or a network blip does), and the next pages are loaded. With health
checks on (the setting's default) none is a 500; with them off, the same fault gives 500s,
which shows the test causes the fault it claims to.

PostgreSQL only: SQLite has no server whose connections can be terminated. CI runs on PostgreSQL.
"""

import os
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse

from tests.integration.test_celery_worker import stop, subprocess_database_url
from tests.integration.test_delivery import free_port

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
PAGES = ["home", "escalation:list", "escalation:inbox", "escalation:notifications"]
LOADS_AFTER_THE_FAULT = 20

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.integration,
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"],
        reason="needs DATABASE_URL=postgres://… (terminating server-side connections needs a PostgreSQL server)",
    ),
]


def serve(port: int, log: Path, health_checks: bool) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": subprocess_database_url(), "DEBUG": "1", "PYTHONUNBUFFERED": "1"}
    env["DB_CONN_HEALTH_CHECKS"] = "1" if health_checks else "0"
    env.pop("REDIS_URL", None)
    env.pop("CACHE_URL", None)
    process = subprocess.Popen(
        [str(GUNICORN), "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--timeout", "60"],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # a process group of its own, stopped below
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/sign-in/", timeout=5)
            return process
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.3)
    stop(process)
    pytest.fail(f"gunicorn did not start: {log.read_text()[-2000:]}")


def status_of(port: int, path: str, session: str) -> int:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Cookie": f"sessionid={session}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def terminate_other_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def statuses_after_the_database_drops_connections(cast, client, tmp_path, health_checks: bool) -> list[int]:
    client.force_login(cast.practitioner)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    port = free_port()
    process = serve(port, tmp_path / "gunicorn.log", health_checks)
    try:
        paths = [reverse(name) for name in PAGES]
        assert [status_of(port, path, session) for path in paths] == [200] * len(paths)  # a warm connection
        assert terminate_other_connections() >= 1
        return [status_of(port, paths[n % len(paths)], session) for n in range(LOADS_AFTER_THE_FAULT)]
    finally:
        stop(process)


def test_pages_load_without_a_500_after_the_database_terminates_the_connections(cast, client, tmp_path):
    statuses = statuses_after_the_database_drops_connections(cast, client, tmp_path, health_checks=True)
    assert statuses == [200] * LOADS_AFTER_THE_FAULT


def test_without_health_checks_the_same_fault_gives_500s(cast, client, tmp_path):
    """The control: proves the termination reaches the server's connection."""
    statuses = statuses_after_the_database_drops_connections(cast, client, tmp_path, health_checks=False)
    assert 500 in statuses
