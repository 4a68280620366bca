"""The child's file asks the visibility rule once (escalation/child_file.py): who may open it is
still exactly who children_visible_to lets find the child, and it shows the entries about the
escalations they may see and no others, each as the template wrote it with the date filter."""

import pytest
from django.contrib.auth import get_user_model
from django.http import Http404
from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.utils import timezone

from cases.models import Child, RecordEntry, RecordEntryKind
from cases.selectors import children_visible_to, may_see_child
from escalation.child_file import file_entries, visible_child_or_404
from escalation.models import Escalation
from escalation.selectors import escalations_visible_to
from partnerships.choices import Role
from partnerships.models import Membership
from tests.factories import ChildFactory
from tests.integration.test_visibility_one_case import cases_of_every_kind

pytestmark = pytest.mark.django_db


@pytest.fixture
def files(cast):
    cases_of_every_kind(cast)
    Membership.objects.create(user=cast.outsider, partnership=cast.partnership, role=Role.PANEL_MEMBER)
    ChildFactory(partnership=cast.partnership, created_by_agency=cast.police)  # no escalation names them
    ChildFactory(partnership=cast.partnership, lead_agency=cast.health)
    ChildFactory(partnership=cast.outsider_partnership)
    return cast


def test_whoever_may_find_a_child_may_open_their_file_and_nobody_else(files):
    children = list(Child.objects.all())
    opened = 0
    for person in get_user_model().objects.all():
        person = get_user_model().objects.get(pk=person.pk)
        findable = set(children_visible_to(person).values_list("pk", flat=True))
        for child in children:
            named = escalations_visible_to(person).filter(children=child).exists()
            assert may_see_child(child, person, named_in_a_visible_escalation=named) == (child.pk in findable)
            opened += child.pk in findable
    assert 0 < opened < len(children) * get_user_model().objects.count()


def test_a_file_the_person_may_not_see_is_not_found(files, client):
    hidden = Child.objects.get(partnership=files.outsider_partnership)
    client.force_login(files.practitioner)
    assert client.get(reverse("cases:child-file", args=[hidden.public_id])).status_code == 404
    with pytest.raises(Http404):
        visible_child_or_404(get_user_model().objects.get(pk=files.practitioner.pk), hidden.public_id)


def test_the_file_shows_the_entries_of_the_escalations_the_person_may_see(files, client):
    child = files.child
    for person in (files.practitioner, files.police_senior_manager, files.business_manager, files.director):
        person = get_user_model().objects.get(pk=person.pk)
        visible = escalations_visible_to(person)
        expected = list(child.record_entries.filter(escalation__in=visible).order_by("at", "id"))
        _, escalations = visible_child_or_404(person, child.public_id)
        assert [e.pk for e in file_entries(child, person, escalations)] == [e.pk for e in expected]
        client.force_login(person)
        html = client.get(reverse("cases:child-file", args=[child.public_id])).content.decode()
        for entry in expected:
            when = date_filter(timezone.template_localtime(entry.at), "j F Y, H:i")
            line = f"<strong>{entry.get_kind_display()}</strong>, {when}, {entry.escalation.reference}</p>"
            assert line in html
        for escalation in escalations:
            link = reverse("escalation:detail", args=[escalation.public_id])
            assert f'<a class="govuk-link" href="{link}">{escalation.reference}</a>: ' in html
            assert f", {escalation.get_state_display().lower()}</li>" in html
        hidden = RecordEntry.objects.filter(child=child).exclude(escalation__in=visible)
        assert all(entry.summary not in html for entry in hidden if entry.summary not in {e.summary for e in expected})


def test_an_entry_about_an_escalation_that_does_not_name_the_child_still_shows_if_it_may_be_seen(files):
    """Entries are only written for the children an escalation names; should one not be, the file
    still shows what the visibility rule allows, as it did."""
    elsewhere = Escalation.objects.exclude(children=files.sibling).first() or Escalation.objects.first()
    elsewhere.children.remove(files.child)
    RecordEntry.objects.create(child=files.child, escalation=elsewhere, kind=RecordEntryKind.NOTE, summary="Aside")
    person = get_user_model().objects.get(pk=files.practitioner.pk)
    _, escalations = visible_child_or_404(person, files.child.public_id)
    assert elsewhere.pk not in {e.pk for e in escalations}
    expected = list(
        files.child.record_entries.filter(escalation__in=escalations_visible_to(person)).order_by("at", "id")
    )
    shown = file_entries(files.child, person, escalations)
    assert [e.pk for e in shown] == [e.pk for e in expected] and "Aside" in {e.summary for e in shown}
