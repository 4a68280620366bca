"""Retention (issue 7): kept until the youngest child's 25th birthday, then due for review;
a business manager confirms disposal or places a legal hold; a hold stops disposal; every
decision is logged; nothing is deleted, automatically or otherwise.

Read against escalation/retention.py, whose docstring says what disposal removes and keeps.
"""

from __future__ import annotations

import os
from datetime import date, timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from hypothesis import example, given
from hypothesis import strategies as st

from cases.models import AccessLog, Child, RecordEntry, RecordEntryKind
from escalation import retention, services
from escalation.deadlines import run_watcher
from escalation.models import (
    Action,
    Discussion,
    Escalation,
    Notification,
    Resolution,
    RetentionDecision,
    RetentionDecisionKind,
    StageOccurrence,
)
from escalation.notifications import deliver_pending
from escalation.retention import REDACTED, RetentionError
from escalation.states import Category, State
from partnerships.choices import Role
from tests.conftest import london
from tests.factories import ChildFactory, person

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 23)


def raise_about(cast, children, at=None):
    return services.escalation_raise(
        raised_by=cast.practitioner,
        raising_agency=cast.school,
        receiving_agency=cast.csc,
        children=children,
        category=Category.THRESHOLD,
        concern="Ellie Hart's referral was refused.",
        why_unsafe="Bruising was seen twice this term.",
        outcome_sought="A strategy discussion with Ellie's mother, Jo Hart.",
        at=at or london(2026, 11, 2, 10, 0),
    )


def fresh(escalation):
    return Escalation.objects.get(pk=escalation.pk)


def finished(cast, children, how="withdraw"):
    """A finished escalation with a discussion and an action, resolved and closed or withdrawn."""
    escalation = raise_about(cast, children)
    services.escalation_acknowledge(escalation=escalation, acting_user=cast.other_practitioner)
    services.discussion_record(
        escalation=fresh(escalation),
        acting_user=cast.practitioner,
        held_at=london(2026, 11, 3, 9, 0),
        method="phone",
        participants="Jo Hart (mother), the class teacher",
        outcome="Ellie to be seen at home.",
        areas_of_agreement="Ellie is at risk",
        actions=[{"description": "Home visit to Ellie", "owner_name": "TM", "due_on": date(2026, 11, 10)}],
    )
    if how == "withdraw":
        services.escalation_withdraw(
            escalation=fresh(escalation), acting_user=cast.practitioner, reason="Ellie's family moved away."
        )
    else:
        services.escalation_resolve(
            escalation=fresh(escalation), acting_user=cast.other_practitioner, outcome="Ellie will be seen."
        )
        services.escalation_close(escalation=fresh(escalation), acting_user=cast.practitioner)
    return fresh(escalation)


def grown(cast, born=date(1990, 5, 5), first="Ellie", last="Hart"):
    return ChildFactory(
        partnership=cast.partnership,
        first_name=first,
        last_name=last,
        date_of_birth=born,
        local_reference="NHS 943 476 5919",
        parents_carers="Jo Hart",
        lead_practitioner="Sam Social",
        created_by_agency=cast.school,
    )


def counts():
    models = [Escalation, StageOccurrence, RecordEntry, Discussion, Action, Resolution, Child, Notification, AccessLog]
    return {m.__name__: m.objects.count() for m in models}


# --- the dates --------------------------------------------------------------------------------


@given(
    born=st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)),
    today=st.dates(min_value=date(1930, 1, 1), max_value=date(2130, 12, 31)),
)
@example(born=date(2000, 2, 29), today=date(2025, 2, 28))
@example(born=date(2000, 2, 29), today=date(2025, 3, 1))
@example(born=date(2003, 2, 28), today=date(2028, 2, 29))
@example(born=date(2003, 3, 1), today=date(2028, 2, 29))
def test_due_by_the_database_filter_exactly_when_due_by_the_birthday(born, today):
    """The query's cut-off (dob <= today - 25 years) and the page's date (dob + 25 years <= today)
    agree for every date, 29 February included (due on 1 March in a year without one)."""
    assert (retention.retain_until(born) <= today) == (born <= retention.latest_due_date_of_birth(today))


def test_a_child_born_on_29_february_is_due_on_1_march_in_a_common_year():
    assert retention.retain_until(date(2004, 2, 29)) == date(2029, 3, 1)
    assert retention.retain_until(date(2004, 2, 28)) == date(2029, 2, 28)
    assert retention.retain_until(None) is None


def test_the_youngest_child_sets_the_date(cast):
    older = grown(cast, born=date(1995, 6, 1), first="Amy")
    younger = grown(cast, born=date(2001, 12, 24), first="Ben")
    escalation = finished(cast, [older, younger])
    assert retention.retention_status(escalation, TODAY).retain_until == date(2026, 12, 24)
    assert not retention.retention_due(partnership=cast.partnership, today=date(2026, 12, 23)).exists()
    due = retention.retention_due(partnership=cast.partnership, today=date(2026, 12, 24))
    assert list(due) == [escalation]
    assert due.get().youngest_dob == date(2001, 12, 24)


def test_the_review_list_is_the_partnerships_own_and_leaves_out_what_is_disposed_of(cast):
    mine = finished(cast, [grown(cast)])
    disposed = finished(cast, [grown(cast, first="Cal")])
    kept = finished(cast, [cast.child])  # a child under 18: kept for years yet
    retention.retention_dispose(escalation=disposed, acting_user=cast.business_manager, reason="Past 25.", today=TODAY)
    due = list(retention.retention_due(partnership=cast.partnership, today=TODAY))
    assert due == [mine]
    assert kept not in due
    assert not retention.retention_due(partnership=cast.outsider_partnership, today=TODAY).exists()


def test_held_and_open_escalations_are_listed_but_cannot_be_disposed_of(cast):
    held = finished(cast, [grown(cast)])
    still_open = raise_about(cast, [grown(cast, first="Dee")])
    retention.retention_hold(escalation=held, acting_user=cast.business_manager, reason="Litigation pending.")
    due = set(retention.retention_due(partnership=cast.partnership, today=TODAY))
    assert due == {fresh(held), still_open}
    assert "legal hold" in " ".join(retention.disposal_problems(fresh(held), TODAY))
    assert "still open" in " ".join(retention.disposal_problems(still_open, TODAY))
    with pytest.raises(RetentionError, match="still open"):
        retention.retention_dispose(escalation=still_open, acting_user=cast.business_manager, reason="x", today=TODAY)


# --- who may decide ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "who", ["chair", "auditor", "practitioner", "other_manager", "panel_member", "outsider", "other_bm"]
)
def test_only_the_partnerships_business_manager_makes_retention_decisions(cast, who):
    escalation = finished(cast, [grown(cast)])
    user = (
        person("cumberland-bm", cast.outsider_partnership, Role.BUSINESS_MANAGER)
        if who == "other_bm"
        else getattr(cast, who)
    )
    for call in (retention.retention_hold, retention.retention_dispose):
        with pytest.raises(services.NotPermitted):
            call(escalation=escalation, acting_user=user, reason="Because.")
    assert not RetentionDecision.objects.exists()
    assert fresh(escalation).disposed_at is None and not fresh(escalation).legal_hold


def test_every_decision_needs_a_reason(cast):
    escalation = finished(cast, [grown(cast)])
    for call in (retention.retention_hold, retention.retention_dispose):
        with pytest.raises(RetentionError, match="reason"):
            call(escalation=escalation, acting_user=cast.business_manager, reason="   ")
    assert not RetentionDecision.objects.exists()


# --- legal hold ----------------------------------------------------------------------------------


def test_a_legal_hold_stops_disposal_until_it_is_released(cast):
    escalation = finished(cast, [grown(cast)])
    bm = cast.business_manager
    retention.retention_hold(escalation=escalation, acting_user=bm, reason="Civil claim, letter of 1 Nov.")
    assert fresh(escalation).legal_hold is True
    before = counts()

    with pytest.raises(RetentionError, match="legal hold"):
        retention.retention_dispose(escalation=fresh(escalation), acting_user=bm, reason="Past 25.", today=TODAY)
    # Even a stale copy that does not know about the hold is refused (the service re-reads it locked).
    stale = fresh(escalation)
    stale.legal_hold = False
    with pytest.raises(RetentionError, match="legal hold"):
        retention.retention_dispose(escalation=stale, acting_user=bm, reason="Past 25.", today=TODAY)
    with pytest.raises(RetentionError, match="already on legal hold"):
        retention.retention_hold(escalation=fresh(escalation), acting_user=bm, reason="Again.")
    assert counts() == before
    assert fresh(escalation).disposed_at is None
    assert fresh(escalation).concern.startswith("Ellie Hart")

    retention.retention_release(escalation=fresh(escalation), acting_user=bm, reason="Claim settled.")
    assert fresh(escalation).legal_hold is False
    with pytest.raises(RetentionError, match="not on legal hold"):
        retention.retention_release(escalation=fresh(escalation), acting_user=bm, reason="Again.")
    retention.retention_dispose(escalation=fresh(escalation), acting_user=bm, reason="Past 25.", today=TODAY)
    assert fresh(escalation).disposed_at is not None
    decisions = list(RetentionDecision.objects.filter(escalation=escalation).values_list("decision", "reason"))
    assert decisions == [
        (RetentionDecisionKind.HOLD, "Civil claim, letter of 1 Nov."),
        (RetentionDecisionKind.RELEASE, "Claim settled."),
        (RetentionDecisionKind.DISPOSE, "Past 25."),
    ]


def test_a_hold_can_be_placed_before_the_record_is_due(cast):
    escalation = finished(cast, [cast.child])
    retention.retention_hold(escalation=escalation, acting_user=cast.business_manager, reason="Inquiry.")
    assert list(retention.legal_holds(partnership=cast.partnership)) == [fresh(escalation)]
    with pytest.raises(RetentionError, match="kept until"):
        retention.retention_dispose(
            escalation=fresh(escalation), acting_user=cast.business_manager, reason="x", today=TODAY
        )


# --- disposal ------------------------------------------------------------------------------------


def test_disposal_is_refused_before_the_youngest_childs_25th_birthday(cast):
    child = grown(cast, born=date(2001, 11, 24))
    escalation = finished(cast, [child])
    with pytest.raises(RetentionError, match="kept until 24/11/2026"):
        retention.retention_dispose(
            escalation=escalation, acting_user=cast.business_manager, reason="x", today=date(2026, 11, 23)
        )
    retention.retention_dispose(
        escalation=escalation, acting_user=cast.business_manager, reason="25 today.", today=date(2026, 11, 24)
    )


@pytest.mark.parametrize("how", ["withdraw", "resolve"])
def test_disposal_redacts_without_deleting_anything(cast, how):
    ellie = grown(cast)
    escalation = finished(cast, [ellie], how=how)
    entries_before = list(RecordEntry.objects.filter(escalation=escalation).values_list("pk", "summary"))
    before = counts()

    decision = retention.retention_dispose(
        escalation=escalation, acting_user=cast.business_manager, reason="Past retention; no hold.", today=TODAY
    )

    after = counts()
    assert after["RecordEntry"] == before["RecordEntry"] + 1  # one note on Ellie's file
    assert {k: v for k, v in after.items() if k != "RecordEntry"} == {
        k: v for k, v in before.items() if k != "RecordEntry"
    }
    e = fresh(escalation)
    assert e.disposed_at is not None and e.state in (State.WITHDRAWN, State.CLOSED)
    assert (e.concern, e.why_unsafe, e.outcome_sought) == (REDACTED,) * 3
    assert e.withdrawn_reason in ("", REDACTED)
    discussion = Discussion.objects.get(occurrence__escalation=e)
    assert (discussion.participants, discussion.outcome, discussion.areas_of_agreement) == (REDACTED, REDACTED, "")
    assert list(Action.objects.filter(escalation=e).values_list("description", "owner_name")) == [(REDACTED, "")]
    child = Child.objects.get(pk=ellie.pk)
    assert (child.first_name, child.last_name, child.local_reference, child.parents_carers) == ("Redacted", "", "", "")
    assert child.lead_practitioner == "" and child.date_of_birth == date(1990, 1, 1)  # the year only
    # The child's file is append-only: every entry is still there, word for word, plus the note.
    assert set(entries_before) <= set(RecordEntry.objects.filter(escalation=e).values_list("pk", "summary"))
    note = RecordEntry.objects.filter(escalation=e).order_by("-pk").first()
    assert note.kind == RecordEntryKind.NOTE and "disposed of" in note.summary and "Past retention" not in note.summary
    assert decision.decision == RetentionDecisionKind.DISPOSE and decision.decided_by == cast.business_manager
    with pytest.raises(RetentionError, match="disposed of"):
        retention.retention_dispose(escalation=e, acting_user=cast.business_manager, reason="Again.", today=TODAY)
    with pytest.raises(RetentionError, match="disposed of"):
        retention.retention_hold(escalation=e, acting_user=cast.business_manager, reason="Too late.")


def test_a_child_keeps_their_details_while_another_record_about_them_is_kept(cast):
    ellie = grown(cast, born=date(1990, 5, 5), first="Ellie")
    noah = grown(cast, born=date(1991, 7, 7), first="Noah")
    both = finished(cast, [ellie, noah])
    ellie_again = finished(cast, [ellie])
    bm = cast.business_manager

    retention.retention_dispose(escalation=both, acting_user=bm, reason="Past 25.", today=TODAY)
    assert Child.objects.get(pk=noah.pk).first_name == "Redacted"  # no other record about Noah
    kept = Child.objects.get(pk=ellie.pk)
    assert (kept.first_name, kept.date_of_birth) == ("Ellie", date(1990, 5, 5))  # still needed by ellie_again

    retention.retention_dispose(escalation=ellie_again, acting_user=bm, reason="Past 25.", today=TODAY)
    assert Child.objects.get(pk=ellie.pk).first_name == "Redacted"


def test_a_failure_part_way_through_disposal_leaves_everything_as_it_was(cast, monkeypatch):
    ellie = grown(cast)
    escalation = finished(cast, [ellie])
    before = counts()

    def boom(child):
        raise DatabaseError("the disk filled up")

    monkeypatch.setattr(retention, "_redact_child", boom)
    with pytest.raises(DatabaseError):
        retention.retention_dispose(escalation=escalation, acting_user=cast.business_manager, reason="x", today=TODAY)
    e = fresh(escalation)
    assert e.disposed_at is None and e.concern.startswith("Ellie Hart")
    assert Discussion.objects.get(occurrence__escalation=e).outcome == "Ellie to be seen at home."
    assert counts() == before
    assert not RetentionDecision.objects.exists()


def test_nothing_is_disposed_of_automatically(cast, django_capture_on_commit_callbacks):
    """Years pass, the watcher and delivery run: the due record is untouched until someone decides."""
    escalation = finished(cast, [grown(cast)])
    snapshot = Escalation.objects.filter(pk=escalation.pk).values().get()
    far = timezone.now() + timedelta(days=365 * 30)
    with django_capture_on_commit_callbacks(execute=False):
        run_watcher(now=far)
    deliver_pending(now=far)
    assert Escalation.objects.filter(pk=escalation.pk).values().get() == snapshot
    assert not RetentionDecision.objects.exists()
    assert Child.objects.filter(first_name="Ellie", last_name="Hart", date_of_birth=date(1990, 5, 5)).exists()


# --- PostgreSQL: the log cannot be rewritten; hold and disposal at once --------------------------

ON_POSTGRESQL = connection.vendor == "postgresql"
IN_CI = os.environ.get("CI", "").lower() == "true"


def require_postgresql():
    if ON_POSTGRESQL:
        return
    if IN_CI:
        pytest.fail("CI=true: this test needs DATABASE_URL=postgres://… and must run")
    pytest.skip("needs PostgreSQL (set DATABASE_URL=postgres://…)")


def test_postgresql_refuses_to_change_or_delete_a_retention_decision(cast):
    require_postgresql()
    escalation = finished(cast, [grown(cast)])
    decision = retention.retention_hold(escalation=escalation, acting_user=cast.business_manager, reason="Claim.")
    for change in (
        lambda: RetentionDecision.objects.filter(pk=decision.pk).update(reason="nothing to see"),
        lambda: RetentionDecision.objects.filter(pk=decision.pk).delete(),
    ):
        with pytest.raises(DatabaseError), transaction.atomic():
            change()
    assert RetentionDecision.objects.get(pk=decision.pk).reason == "Claim."


@pytest.mark.django_db(transaction=True)
def test_hold_and_disposal_at_the_same_moment_never_both_succeed(cast):
    """Two business managers at once: the row lock orders them. Either the hold came first
    and disposal was refused, or disposal came first and the hold was refused."""
    require_postgresql()
    import threading

    second_bm = person("second-bm", cast.partnership, Role.BUSINESS_MANAGER)
    outcomes = []
    for _ in range(5):
        escalation = finished(cast, [grown(cast)])
        barrier = threading.Barrier(2)
        results = {}

        def run(name, call, barrier=barrier, results=results):
            try:
                barrier.wait(timeout=10)
                call()
                results[name] = "ok"
            except RetentionError as exc:
                results[name] = str(exc)
            finally:
                connection.close()

        threads = [
            threading.Thread(
                target=run,
                args=(
                    "hold",
                    lambda e=escalation: retention.retention_hold(escalation=e, acting_user=second_bm, reason="Claim."),
                ),
            ),
            threading.Thread(
                target=run,
                args=(
                    "dispose",
                    lambda e=escalation: retention.retention_dispose(
                        escalation=e, acting_user=cast.business_manager, reason="Past 25.", today=TODAY
                    ),
                ),
            ),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        e = fresh(escalation)
        assert list(results.values()).count("ok") == 1, results
        if results["hold"] == "ok":
            assert e.legal_hold and e.disposed_at is None and "legal hold" in results["dispose"]
        else:
            assert e.disposed_at is not None and not e.legal_hold and "disposed of" in results["hold"]
        kinds = list(RetentionDecision.objects.filter(escalation=e).values_list("decision", flat=True))
        assert len(kinds) == 1
        outcomes.append(kinds[0])
    assert set(outcomes) <= {RetentionDecisionKind.HOLD, RetentionDecisionKind.DISPOSE}


# --- the administrator's full purge (docs/backup-and-restore.md, "Full purge") -----------------


def test_the_full_purge_overwrites_the_append_only_text_of_a_disposed_record_and_nothing_else(cast):
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.create_superuser("admin", "admin@example.org", "Correct-Horse-Battery-9")
    ellie = grown(cast)
    escalation = finished(cast, [ellie], how="resolve")
    other = finished(cast, [grown(cast, first="Other")], how="resolve")
    other_entries = list(RecordEntry.objects.filter(escalation=other).values_list("summary", flat=True))

    with pytest.raises(RetentionError, match="has not been disposed of"):
        retention.retention_purge(
            escalation=escalation, acting_user=admin, reason="DPO", confirm_reference=escalation.reference
        )
    retention.retention_dispose(escalation=escalation, acting_user=cast.business_manager, reason="25.", today=TODAY)
    with pytest.raises(services.NotPermitted):
        retention.retention_purge(
            escalation=escalation,
            acting_user=cast.business_manager,
            reason="DPO",
            confirm_reference=escalation.reference,
        )
    with pytest.raises(RetentionError, match="Type the reference"):
        retention.retention_purge(escalation=escalation, acting_user=admin, reason="DPO", confirm_reference="ESC-X")
    assert RecordEntry.objects.filter(escalation=escalation, summary__contains="Ellie").exists()

    entries = RecordEntry.objects.filter(escalation=escalation).count()
    retention.retention_purge(
        escalation=escalation,
        acting_user=admin,
        reason="DPO instruction 2026/14",
        confirm_reference=escalation.reference,
    )

    assert RecordEntry.objects.filter(escalation=escalation).count() == entries  # no row deleted
    assert set(RecordEntry.objects.filter(escalation=escalation).values_list("summary", flat=True)) == {
        retention.PURGED
    }
    assert not StageOccurrence.objects.filter(escalation=escalation).exclude(evidence_of_previous_efforts="").exists()
    assert Resolution.objects.get(escalation=escalation).agreed_outcome == retention.PURGED
    assert list(RecordEntry.objects.filter(escalation=other).values_list("summary", flat=True)) == other_entries
    last = RetentionDecision.objects.filter(escalation=escalation).order_by("-pk").first()
    assert last.decision == RetentionDecisionKind.DISPOSE and last.reason == "Full purge: DPO instruction 2026/14"
    if ON_POSTGRESQL:  # the protection is back at once, outside the purge's transaction
        with pytest.raises(DatabaseError), transaction.atomic():
            RecordEntry._base_manager.filter(escalation=other).update(summary="rewritten")
