"""The child's file is append-only; who sees an escalation follows the one visibility rule."""

import pytest

from cases.models import AppendOnlyError, RecordEntry, RecordEntryKind
from escalation import services
from escalation.selectors import can_view, escalations_visible_to
from partnerships.choices import Role
from partnerships.models import Membership
from tests.integration.test_escalation_lifecycle import fresh, raise_one

pytestmark = pytest.mark.django_db


def test_an_entry_on_the_childs_file_cannot_be_changed_or_deleted(cast):
    raise_one(cast)
    entry = RecordEntry.objects.filter(child=cast.child).first()
    entry.summary = "Rewritten history"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        RecordEntry.objects.filter(pk=entry.pk).update(summary="Rewritten")
    with pytest.raises(AppendOnlyError):
        RecordEntry.objects.filter(pk=entry.pk).delete()
    assert RecordEntry.objects.get(pk=entry.pk).summary != "Rewritten history"


def test_a_correction_is_a_new_entry_that_points_at_what_it_corrects(cast):
    raise_one(cast)
    original = RecordEntry.objects.filter(child=cast.child).first()
    correction = RecordEntry.objects.create(
        child=cast.child, kind=RecordEntryKind.CORRECTION, summary="Date of call was 22 Dec", corrects=original
    )
    assert list(original.corrections.all()) == [correction]


def test_an_agency_role_needs_an_agency_and_a_partnership_role_has_none(cast):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=cast.outsider, partnership=cast.partnership, role=Role.PRACTITIONER)
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(
            user=cast.outsider, partnership=cast.partnership, agency=cast.school, role=Role.AUDITOR
        )


def test_both_agencies_practitioners_and_the_partnership_oversight_roles_see_a_new_disagreement(cast):
    escalation = raise_one(cast)
    for who in (cast.practitioner, cast.other_practitioner, cast.business_manager, cast.chair, cast.auditor):
        assert can_view(escalation, who), who
    for who in (cast.outsider, cast.police_senior_manager, cast.panel_member):
        assert not can_view(escalation, who), who


def test_managers_see_a_disagreement_once_it_reaches_their_tier(cast):
    escalation = raise_one(cast)
    assert not can_view(escalation, cast.manager)
    assert not can_view(escalation, cast.other_senior_manager)
    services.escalation_escalate(escalation=escalation, acting_user=cast.practitioner, evidence="Two calls.")
    escalation = fresh(escalation)
    assert can_view(escalation, cast.manager)
    assert can_view(escalation, cast.other_manager)
    assert not can_view(escalation, cast.other_senior_manager)


def test_nobody_sees_another_partnerships_disagreements(cast):
    raise_one(cast)
    assert escalations_visible_to(cast.outsider).count() == 0
    assert escalations_visible_to(cast.auditor).count() == 1


def test_an_oversight_role_sees_its_partnership_by_one_cheap_rule_and_nothing_else_changes(cast):
    """Whole partnerships first: the business manager's list is "the partnership, or raised by
    me", with no subquery for the database to run over every case; everyone sees the same cases."""
    mine = raise_one(cast)
    sql = str(escalations_visible_to(cast.business_manager).query)
    assert "SELECT" not in sql.split("WHERE", 1)[1], sql
    for who in ("business_manager", "chair", "auditor", "practitioner", "other_practitioner"):
        assert can_view(mine, getattr(cast, who)), who
    assert not can_view(mine, cast.outsider) and not can_view(mine, cast.manager)
    # An oversight role and an agency role together: still the whole partnership, and the
    # agency's own reasons kept.
    Membership.objects.create(user=cast.manager, partnership=cast.partnership, role=Role.AUDITOR)
    manager = type(cast.manager).objects.get(pk=cast.manager.pk)
    assert can_view(mine, manager)
