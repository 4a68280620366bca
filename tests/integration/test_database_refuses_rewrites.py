"""On PostgreSQL the database itself refuses to rewrite history, whatever the code does."""

import os

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError

from cases.models import RecordEntry
from escalation import services
from tests.integration.test_escalation_lifecycle import fresh, raise_one

ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgres")
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        not ON_POSTGRES and os.environ.get("CI") != "true", reason="database triggers exist on PostgreSQL only"
    ),
]


def refused(sql, params):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_an_entry_on_a_childs_file_cannot_be_updated_or_deleted_in_sql(cast):
    raise_one(cast)
    entry = RecordEntry.objects.first()
    refused("UPDATE cases_recordentry SET summary = 'rewritten' WHERE id = %s", [entry.pk])
    refused("DELETE FROM cases_recordentry WHERE id = %s", [entry.pk])
    assert RecordEntry.objects.get(pk=entry.pk).summary == entry.summary


def test_a_closed_stage_and_a_resolution_are_frozen_but_an_open_stage_may_move(cast):
    escalation = raise_one(cast)
    with connection.cursor() as cursor:  # an open stage's deadline may still be recomputed
        cursor.execute(
            "UPDATE escalation_stageoccurrence SET due_at = due_at WHERE escalation_id = %s", [escalation.pk]
        )
    services.escalation_acknowledge(escalation=escalation, acting_user=cast.other_practitioner)
    services.escalation_resolve(escalation=fresh(escalation), acting_user=cast.practitioner, outcome="Agreed.")
    refused("UPDATE escalation_stageoccurrence SET timescale_met = true WHERE escalation_id = %s", [escalation.pk])
    refused("DELETE FROM escalation_stageoccurrence WHERE escalation_id = %s", [escalation.pk])
    refused("UPDATE escalation_resolution SET agreed_outcome = 'x' WHERE escalation_id = %s", [escalation.pk])


def test_the_access_log_cannot_be_rewritten(cast):
    from cases.models import AccessLog

    entry = AccessLog.objects.create(user=cast.auditor, action="export", object_type="escalation", object_id="x")
    refused("UPDATE cases_accesslog SET object_id = 'y' WHERE id = %s", [entry.pk])
    refused("DELETE FROM cases_accesslog WHERE id = %s", [entry.pk])


def test_a_trigger_lifted_for_a_block_lets_only_that_block_through_and_guards_again_after_it(cast):
    from config import triggers

    raise_one(cast)
    entry = RecordEntry.objects.first()
    with transaction.atomic():
        with triggers.lifted("cases.RecordEntry:record_entry_append_only"):
            RecordEntry._base_manager.filter(pk=entry.pk).update(summary="purged")
        # Later statements of the same transaction are refused again.
        refused("UPDATE cases_recordentry SET summary = 'rewritten' WHERE id = %s", [entry.pk])
    assert RecordEntry.objects.get(pk=entry.pk).summary == "purged"
