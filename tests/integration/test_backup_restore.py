"""Backup and restore (issue 7; docs/backup-and-restore.md): scripts/backup.sh exports
everything with pg_dump, scripts/restore.sh restores it into an empty database and runs
`manage.py migrate --check`, and every record is found there: every table row for row, a
few records field by field, and the database's refusal to rewrite the child's file.

PostgreSQL only: skipped without it, failed (not skipped) under CI=true.
"""

from __future__ import annotations

import os
import subprocess
from datetime import date

import psycopg
import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from cases.models import AccessLog, RecordEntry
from escalation import partnership_stage, retention, services
from escalation.deadlines import run_watcher
from escalation.models import (
    Action,
    Discussion,
    Escalation,
    Notification,
    PartnershipReview,
    Resolution,
    RetentionDecision,
    StageOccurrence,
)
from escalation.notifications import deliver_pending
from escalation.states import State
from partnerships.choices import PanelRule
from partnerships.models import Membership
from tests import climbing
from tests.conftest import london
from tests.functional.test_hostile_input import signed_in
from tests.integration.test_celery_worker import ROOT, subprocess_database_url
from tests.integration.test_reliability import raise_one

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]

SCRIPTS = ROOT / "scripts"


def require_postgresql():
    if "postgresql" in settings.DATABASES["default"]["ENGINE"]:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail("CI=true: the backup and restore test needs DATABASE_URL=postgres://… and must run")
    pytest.skip("needs PostgreSQL (set DATABASE_URL=postgres://…)")


def fresh(escalation):
    return Escalation.objects.get(pk=escalation.pk)


def build_history(cast, mail_settings) -> dict:
    """Escalations at several stages, with discussions, actions, a resolution, a partnership
    review, notifications (some e-mailed), the access log and a retention decision."""
    mail_settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    raised = raise_one(cast)

    discussed = raise_one(cast)
    services.escalation_acknowledge(escalation=discussed, acting_user=cast.other_practitioner)
    services.discussion_record(
        escalation=fresh(discussed),
        acting_user=cast.practitioner,
        held_at=london(2026, 11, 3, 9, 0),
        method="face_to_face",
        participants="Class teacher; social worker",
        outcome="A home visit this week. Ünïcödé and 'quotes' survive.",
        actions=[
            {"description": "Home visit", "owner_name": "Social worker", "due_on": date(2026, 11, 6)},
            {"description": "Share the attendance record", "owner_name": "Teacher", "due_on": date(2026, 11, 5)},
        ],
    )

    stage3 = raise_one(cast)
    for _ in range(2):
        services.escalation_escalate(escalation=fresh(stage3), acting_user=cast.practitioner, evidence="Two calls.")

    closed = raise_one(cast)
    services.escalation_acknowledge(escalation=closed, acting_user=cast.other_practitioner)
    services.escalation_resolve(
        escalation=fresh(closed),
        acting_user=cast.other_practitioner,
        outcome="A strategy discussion is booked.",
        lessons_learnt="Call before writing.",
        family_informed=True,
    )
    services.escalation_close(escalation=fresh(closed), acting_user=cast.practitioner)

    withdrawn = raise_one(cast)
    services.escalation_withdraw(escalation=withdrawn, acting_user=cast.practitioner, reason="Resolved informally.")
    retention.retention_hold(escalation=withdrawn, acting_user=cast.business_manager, reason="Civil claim.")

    final = climbing.climb(raise_one(cast), 5, by=cast.practitioner, evidence="We talked.")
    partnership_stage.review_arrange(
        escalation=fresh(final),
        acting_user=cast.business_manager,
        arrangement=PanelRule.MEDIATION,
        chair=Membership.objects.get(user=cast.chair),
        meeting_at=london(2026, 12, 1, 10, 0),
    )
    services.stage_record_decision(escalation=fresh(final), acting_user=cast.chair, decision="Strategy meeting.")

    run_watcher(now=timezone.now())  # the open stages are long overdue: breaches and notices
    deliver_pending(batch=3)  # some e-mailed, the rest still waiting

    auditor = signed_in(cast.auditor)
    for escalation in (raised, closed):
        assert auditor.get(reverse("escalation:detail", args=[escalation.public_id])).status_code == 200
    assert auditor.get(reverse("cases:child-file", args=[cast.child.public_id])).status_code == 200

    assert Notification.objects.filter(email_status="sent").exists() and len(mail.outbox) >= 1
    assert Notification.objects.exclude(email_status="sent").exists()
    assert AccessLog.objects.count() >= 3 and Resolution.objects.count() == 1
    assert Discussion.objects.exists() and Action.objects.count() == 2 and PartnershipReview.objects.exists()
    assert RetentionDecision.objects.count() == 1
    return {
        "raised": raised,
        "discussed": discussed,
        "stage3": stage3,
        "closed": closed,
        "withdrawn": withdrawn,
        "final": final,
    }


def url_for_database(name: str) -> str:
    base = subprocess_database_url()
    return base.rsplit("/", 1)[0] + "/" + name


def run(args, **env):
    result = subprocess.run(
        [str(a) for a in args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    return result


def table_rows(conn) -> dict[str, list]:
    """Every row of every table (sorted), keyed by table name."""
    with conn.cursor() as cur:
        cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
        tables = [row[0] for row in cur.fetchall()]
        contents = {}
        for table in tables:
            cur.execute(f'SELECT * FROM "{table}"')
            contents[table] = sorted(cur.fetchall(), key=repr)
    return contents


def test_a_backup_restores_into_an_empty_database_and_every_record_is_there(cast, settings, tmp_path):
    require_postgresql()
    history = build_history(cast, settings)
    source_url = subprocess_database_url()

    backup = run([SCRIPTS / "backup.sh", tmp_path], DATABASE_URL=source_url)
    assert backup.returncode == 0, backup.stderr
    archive = backup.stdout.strip().splitlines()[-1]
    assert archive.endswith(".dump") and os.path.exists(archive) and os.path.exists(archive + ".sha256")
    assert oct(os.stat(archive).st_mode & 0o777) == "0o600"  # readable by its owner only

    name = f"restore_check_hardening_{os.getpid()}"
    target_url = url_for_database(name)
    admin_url = url_for_database("postgres")
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        restore = run([SCRIPTS / "restore.sh", archive, target_url])
        assert restore.returncode == 0, restore.stdout + restore.stderr  # includes migrate --check

        with psycopg.connect(source_url) as source, psycopg.connect(target_url) as target:
            before, after = table_rows(source), table_rows(target)
            assert set(after) == set(before)
            counts_before = {t: len(rows) for t, rows in before.items()}
            assert {t: len(rows) for t, rows in after.items()} == counts_before
            for table in before:
                assert after[table] == before[table], f"{table} differs after the restore"
            # Nothing trivially empty was compared: the history is in there.
            for model in (
                Escalation,
                StageOccurrence,
                RecordEntry,
                Discussion,
                Action,
                Resolution,
                Notification,
                AccessLog,
                RetentionDecision,
                PartnershipReview,
            ):
                table = model._meta.db_table
                assert counts_before[table] == model.objects.count() > 0, table

            # A few records field by field, read back from the restored database.
            for key, escalation in history.items():
                e = fresh(escalation)
                row = target.execute(
                    "SELECT public_id, reference, state, stage_number, concern, raised_at, legal_hold "
                    "FROM escalation_escalation WHERE id = %s",
                    [e.pk],
                ).fetchone()
                assert row == (
                    e.public_id,
                    e.reference,
                    e.state,
                    e.stage_number,
                    e.concern,
                    e.raised_at,
                    e.legal_hold,
                ), key
            assert fresh(history["stage3"]).stage_number == 3 and fresh(history["closed"]).state == State.CLOSED
            resolution = Resolution.objects.get()
            assert target.execute(
                "SELECT agreed_outcome, lessons_learnt, family_informed, resolved_on FROM escalation_resolution"
            ).fetchone() == (resolution.agreed_outcome, resolution.lessons_learnt, True, resolution.resolved_on)
            entries = list(
                RecordEntry.objects.filter(escalation=history["stage3"]).order_by("id").values_list("summary", "at")
            )
            assert (
                target.execute(
                    "SELECT summary, at FROM cases_recordentry WHERE escalation_id = %s ORDER BY id",
                    [history["stage3"].pk],
                ).fetchall()
                == entries
            )
            discussion = Discussion.objects.get()
            assert target.execute("SELECT outcome FROM escalation_discussion").fetchone() == (discussion.outcome,)
            logs = list(AccessLog.objects.order_by("id").values_list("user_id", "action", "object_id", "ip_address"))
            assert (
                target.execute(
                    "SELECT user_id, action, object_id, host(ip_address) FROM cases_accesslog ORDER BY id"
                ).fetchall()
                == logs
            )
            statuses = sorted(Notification.objects.values_list("public_id", "email_status", "email_sent_at"))
            assert (
                sorted(
                    target.execute(
                        "SELECT public_id, email_status, email_sent_at FROM escalation_notification"
                    ).fetchall()
                )
                == statuses
            )

            # The child's file is still append-only in the restored database (the triggers came too).
            with pytest.raises(psycopg.Error):
                target.execute("UPDATE cases_recordentry SET summary = 'rewritten'")
            target.rollback()
            with pytest.raises(psycopg.Error):
                target.execute("DELETE FROM escalation_retentiondecision")
            target.rollback()

        # Restoring over a database that is not empty is refused, and changes nothing.
        again = run([SCRIPTS / "restore.sh", archive, target_url])
        assert again.returncode == 3 and "not empty" in again.stderr
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            assert admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None


def test_a_tampered_archive_is_refused_before_anything_is_restored(cast, tmp_path):
    require_postgresql()
    backup = run([SCRIPTS / "backup.sh", tmp_path], DATABASE_URL=subprocess_database_url())
    assert backup.returncode == 0, backup.stderr
    archive = backup.stdout.strip().splitlines()[-1]
    with open(archive, "r+b") as f:
        f.seek(100)
        f.write(b"\x00tampered\x00")
    name = f"restore_tamper_hardening_{os.getpid()}"
    admin_url = url_for_database("postgres")
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        result = run([SCRIPTS / "restore.sh", archive, url_for_database(name)])
        assert result.returncode != 0
        with psycopg.connect(url_for_database(name)) as target:
            assert target.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone() == (0,)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
