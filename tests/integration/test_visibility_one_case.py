"""A case's own pages ask the visibility rule of the one row they loaded (selectors.may_see);
lists ask the database (selectors.visibility_filter). Both must give the same answer for
every person and every case, whatever reason lets them see it: raised it, oversees the
partnership, their role held a stage on their agency's side, sits on the panel at the
partnership stage, owns an agreed action, was sent a notice, chairs or sits on the review."""

from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from escalation.models import Action, Escalation, Notification, NotificationKind, PanelMember, PartnershipReview
from escalation.selectors import escalations_visible_to, may_see
from partnerships.choices import Role
from partnerships.models import Membership
from tests.climbing import climb
from tests.conftest import london
from tests.integration.test_escalation_lifecycle import raise_one

pytestmark = pytest.mark.django_db


def cases_of_every_kind(cast) -> list[Escalation]:
    raised = raise_one(cast)
    at_stage_3 = climb(raise_one(cast), 3, by=cast.practitioner)
    at_partnership = climb(raise_one(cast), raised.policy.stages.count(), by=cast.practitioner)
    told = raise_one(cast)
    Notification.objects.create(
        recipient=cast.police_senior_manager,
        escalation=told,
        kind=NotificationKind.ESCALATED,
        message="ESC: for information",
        email_not_before=timezone.now(),
    )
    Action.objects.create(
        escalation=told, description="Share the chronology", owner=cast.health_senior_manager, due_on=date(2027, 1, 8)
    )
    reviewed = climb(raise_one(cast), raised.policy.stages.count(), by=cast.practitioner)
    review = PartnershipReview.objects.create(
        occurrence=reviewed.current_occurrence(),
        formal_use_recorded_at=london(2027, 1, 4, 9, 0),
        recorded_by=cast.business_manager,
        arrangement=PartnershipReview._meta.get_field("arrangement").choices[0][0],
        chair=cast.other_director,
        chair_agency=cast.csc,
    )
    PanelMember.objects.create(review=review, user=cast.director, agency=cast.school)
    return [raised, at_stage_3, at_partnership, told, reviewed]


def test_one_case_and_the_list_agree_for_every_person_and_every_case(cast):
    cases = cases_of_every_kind(cast)
    # A person with roles in two partnerships, and one with an agency role and an oversight role.
    Membership.objects.create(user=cast.outsider, partnership=cast.partnership, role=Role.PANEL_MEMBER)
    Membership.objects.create(user=cast.manager, partnership=cast.partnership, role=Role.AUDITOR)
    people = list(get_user_model().objects.all())
    seen = 0
    for person in people:
        person = get_user_model().objects.get(pk=person.pk)  # memberships read afresh
        listed = set(escalations_visible_to(person).values_list("pk", flat=True))
        for case in cases:
            case = Escalation.objects.get(pk=case.pk)
            assert may_see(case, person) == (case.pk in listed), (person.username, case.reference)
            seen += case.pk in listed
    # The cases are seen for different reasons by different people (not all or nothing).
    assert 0 < seen < len(people) * len(cases)


def test_each_reason_that_lives_on_other_rows_lets_exactly_that_person_see_that_case(cast):
    raised, _, _, told, reviewed = cases_of_every_kind(cast)
    for person, case in (
        (cast.police_senior_manager, told),  # sent a notice
        (cast.health_senior_manager, told),  # owns an agreed action
        (cast.other_director, reviewed),  # chairs the review
        (cast.director, reviewed),  # sits on the panel
    ):
        assert may_see(Escalation.objects.get(pk=case.pk), person), person.username
        assert not may_see(Escalation.objects.get(pk=raised.pk), person), person.username
    assert not may_see(Escalation.objects.get(pk=told.pk), cast.outsider)


def test_someone_who_oversees_one_partnership_still_sees_what_they_raised_in_another(cast):
    raised = raise_one(cast)  # by the practitioner, in the partnership's school
    Membership.objects.filter(user=cast.practitioner).update(ended=date(2027, 1, 1))
    Membership.objects.create(user=cast.practitioner, partnership=cast.outsider_partnership, role=Role.BUSINESS_MANAGER)
    person = get_user_model().objects.get(pk=cast.practitioner.pk)
    assert list(escalations_visible_to(person)) == [raised]
    assert may_see(Escalation.objects.get(pk=raised.pk), person)


def test_a_business_manager_who_raised_nothing_lists_their_partnership_from_its_own_rows(cast):
    """Leaving out "raised by me" where it adds nothing lets the list walk the partnership's own
    index (an OR with it walked every partnership's cases to find a page of this one's)."""
    cases = cases_of_every_kind(cast)
    person = get_user_model().objects.get(pk=cast.business_manager.pk)
    listed = escalations_visible_to(person)
    where = str(listed.query).split(" WHERE ", 1)[1]
    assert "raised_by_id" not in where
    assert set(listed) == set(cases)
