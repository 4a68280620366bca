"""A stage another agency joins, whichever two agencies disagree.

Plymouth, Stage Three: "the matter will be referred to an appropriate Head of Service within
Specialist Children's Services, who will consider the matter with their equivalent level of
management within the concerned agency who is in dispute."

The cast is Riverside's (tests/conftest.py) on Plymouth's policy. Plymouth's Stage One has two
steps, so its Stage Three is the fourth stage.
"""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from escalation import services
from escalation.models import Escalation, Notification, NotificationKind
from escalation.permissions import can_acknowledge, holds_current_stage
from escalation.selectors import can_view
from escalation.states import Category, DiscussionMethod
from partnerships.choices import AgencyType
from tests import climbing
from tests.conftest import build_cast

pytestmark = pytest.mark.django_db

STAGE_THREE = 4


def fresh(escalation):
    return Escalation.objects.get(pk=escalation.pk)


def raise_with(cast, receiving_agency):
    return services.escalation_raise(
        raised_by=cast.practitioner,
        raising_agency=cast.school,
        receiving_agency=receiving_agency,
        children=[cast.child],
        category=Category.INFORMATION_SHARING,
        concern="The police have not shared the incident log.",
        why_unsafe="The school cannot judge the risk at home.",
        outcome_sought="The log shared with the designated lead.",
    )


def told_of_stage(escalation, number) -> set[str]:
    rows = Notification.objects.filter(
        escalation=escalation, kind=NotificationKind.ESCALATED, occurrence__number=number
    ).values_list("recipient__username", flat=True)
    return set(rows)


@pytest.fixture
def plymouth(db):
    return build_cast("plymouth")


def test_plymouth_stage_three_is_referred_to_a_head_of_service_in_childrens_social_care_when_it_is_not_a_party(
    plymouth,
):
    cast = plymouth
    escalation = climbing.climb(raise_with(cast, cast.police), STAGE_THREE, by=cast.practitioner)
    assert fresh(escalation).policy_stage().name == "Stage Three: formal dispute procedure (Head of Service)"
    # The school's and the police's senior managers hold it, with children's social care's
    # Head of Service, who is told it needs them and may open, acknowledge and act on it.
    assert {"senior", "police-senior", "head-of-service"} <= told_of_stage(escalation, STAGE_THREE)
    head_of_service = cast.other_senior_manager
    assert can_view(fresh(escalation), head_of_service)
    assert holds_current_stage(fresh(escalation), head_of_service)
    assert can_acknowledge(fresh(escalation), head_of_service)
    notice = Notification.objects.get(
        escalation=escalation,
        kind=NotificationKind.ESCALATED,
        occurrence__number=STAGE_THREE,
        recipient=head_of_service,
    )
    assert "You hold this stage" in notice.message
    # Children's social care's other people take no part: its line manager and director hold nothing.
    assert not holds_current_stage(fresh(escalation), cast.other_manager)
    assert not holds_current_stage(fresh(escalation), cast.other_director)


def test_what_the_head_of_service_records_at_plymouth_stage_three_reaches_both_agencies(plymouth):
    cast = plymouth
    escalation = climbing.climb(raise_with(cast, cast.police), STAGE_THREE, by=cast.practitioner)
    services.escalation_acknowledge(escalation=fresh(escalation), acting_user=cast.other_senior_manager)
    acknowledged = set(
        Notification.objects.filter(escalation=escalation, kind=NotificationKind.ACKNOWLEDGED).values_list(
            "recipient__username", flat=True
        )
    )
    # The raiser and both agencies in dispute hear that the Head of Service has picked it up.
    assert {"practitioner", "senior", "police-senior"} <= acknowledged
    discussion = services.discussion_record(
        escalation=fresh(escalation),
        acting_user=cast.police_senior_manager,
        held_at=fresh(escalation).current_occurrence().started_at,
        method=DiscussionMethod.FACE_TO_FACE,
        participants="Head of Service (children's social care), police and school senior managers",
        outcome="The police will share the log with the designated lead today.",
    )
    recorded = set(
        Notification.objects.filter(discussion=discussion, kind=NotificationKind.RECORDED).values_list(
            "recipient__username", flat=True
        )
    )
    # Recorded by the police: the other side (the school) and the Head of Service who joined.
    assert {"senior", "head-of-service", "practitioner"} <= recorded


def test_when_childrens_social_care_is_a_party_its_own_senior_managers_hold_plymouth_stage_three_on_its_side(plymouth):
    cast = plymouth
    escalation = climbing.climb(raise_with(cast, cast.csc), STAGE_THREE, by=cast.practitioner)
    assert told_of_stage(escalation, STAGE_THREE) >= {"senior", "head-of-service"}
    assert "police-senior" not in told_of_stage(escalation, STAGE_THREE)
    assert holds_current_stage(fresh(escalation), cast.other_senior_manager)
    assert not holds_current_stage(fresh(escalation), cast.police_senior_manager)


def test_the_stages_before_and_after_plymouth_stage_three_are_the_two_agencies_own(plymouth):
    cast = plymouth
    escalation = climbing.climb(raise_with(cast, cast.police), STAGE_THREE - 1, by=cast.practitioner)
    # Stage Two is second-tier management within each agency: children's social care is not involved.
    assert not holds_current_stage(fresh(escalation), cast.other_senior_manager)
    assert not can_view(fresh(escalation), cast.other_senior_manager)


def test_the_policy_page_says_who_joins_plymouth_stage_three(plymouth, client):
    cast = plymouth
    client.force_login(cast.practitioner)
    page = client.get(reverse("policy:show", args=[cast.partnership.slug])).content.decode()
    assert "Also held by" in page
    assert "Senior manager or head of service in the partnership&#x27;s children&#x27;s social care" in page


def test_a_stage_held_by_one_agency_or_by_the_partnership_cannot_also_be_joined_by_another(plymouth):
    policy = plymouth.partnership.policy
    stage = policy.stage(STAGE_THREE)
    stage.holder_agency_type = AgencyType.CHILDRENS_SOCIAL_CARE
    with pytest.raises(ValidationError) as error:
        stage.full_clean()
    assert "Only a stage held by the two agencies can be joined by another" in str(error.value)
    last = policy.stage(policy.stage_count)
    last.joined_by_agency_type = AgencyType.CHILDRENS_SOCIAL_CARE
    with pytest.raises(ValidationError):
        last.full_clean()


def test_the_page_of_a_joined_stage_reads_the_joining_agency_with_the_two_parties_in_one_query(plymouth, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.functional.test_escalation_page_cost import EXTRA, PAGE_QUERY_BUDGET

    cast = plymouth
    escalation = climbing.climb(raise_with(cast, cast.police), STAGE_THREE, by=cast.practitioner)
    client.force_login(cast.other_senior_manager)
    url = reverse("escalation:detail", args=[escalation.public_id])
    client.get(url)  # the first request after signing in reads the notices
    with CaptureQueriesContext(connection) as captured:
        page = client.get(url)
    assert page.status_code == 200 and "Acknowledge" in page.content.decode()
    queries = [q["sql"] for q in captured.captured_queries]
    # Who holds the stage: the two agencies' people and children's social care's, in one query.
    holders = [q for q in queries if q.startswith('SELECT "partnerships_membership"."agency_id"')]
    assert len(holders) == 1, "\n".join(queries)
    # The Head of Service is in neither agency: the notice they were sent lets them in (one query).
    assert len(queries) <= PAGE_QUERY_BUDGET + EXTRA["other_practitioner"] + 1, "\n".join(queries)


# Plymouth, Stage Two: "If the area of conflict relates to whether a case meets the threshold
# for a referral or service from Children's social care, then the Early Help Assessment/TAC
# Implementation Officer will also be involved in this discussion."
STAGE_TWO = 3


@pytest.fixture
def early_help_officer(plymouth):
    from partnerships.models import Agency, Membership

    service = Agency.objects.create(
        partnership=plymouth.partnership, name="Early Help Service", type=AgencyType.EARLY_HELP
    )
    officer = plymouth.practitioner.__class__.objects.create_user("early-help-officer", "eho@example.org", "x")
    Membership.objects.create(
        user=officer,
        partnership=plymouth.partnership,
        agency=service,
        role="practitioner",
        job_title="Early Help Assessment/TAC Implementation Officer",
    )
    return officer


def raise_about(cast, category):
    return services.escalation_raise(
        raised_by=cast.practitioner,
        raising_agency=cast.school,
        receiving_agency=cast.csc,
        children=[cast.child],
        category=category,
        concern="Children's social care say the referral does not meet the threshold for assessment.",
        why_unsafe="Ellie has disclosed violence at home twice this term.",
        outcome_sought="A child and family assessment.",
    )


def test_the_early_help_officer_joins_plymouth_stage_two_when_the_dispute_is_about_threshold(
    plymouth, early_help_officer
):
    cast = plymouth
    escalation = climbing.climb(raise_about(cast, Category.THRESHOLD), STAGE_TWO, by=cast.practitioner)
    assert fresh(escalation).policy_stage().name.startswith("Stage Two")
    assert "early-help-officer" in told_of_stage(escalation, STAGE_TWO)
    assert holds_current_stage(fresh(escalation), early_help_officer)
    assert can_view(fresh(escalation), early_help_officer)
    # What either agency records reaches the officer, who is part of the discussion.
    discussion = services.discussion_record(
        escalation=fresh(escalation),
        acting_user=cast.other_senior_manager,
        held_at=fresh(escalation).current_occurrence().started_at,
        method=DiscussionMethod.VIRTUAL_MEETING,
        participants="Second-tier managers of the school and children's social care, the Early Help officer",
        outcome="An early help assessment this week; children's social care to review it on Friday.",
    )
    assert Notification.objects.filter(
        discussion=discussion, kind=NotificationKind.RECORDED, recipient=early_help_officer
    ).exists()


def test_the_early_help_officer_takes_no_part_in_a_plymouth_dispute_about_something_else(
    plymouth, early_help_officer
):
    cast = plymouth
    escalation = climbing.climb(raise_about(cast, Category.INFORMATION_SHARING), STAGE_TWO, by=cast.practitioner)
    assert "early-help-officer" not in told_of_stage(escalation, STAGE_TWO)
    assert not holds_current_stage(fresh(escalation), early_help_officer)
    assert not can_view(fresh(escalation), early_help_officer)


def test_the_early_help_officer_is_not_brought_into_plymouth_stage_one_nor_stage_three(plymouth, early_help_officer):
    cast = plymouth
    escalation = raise_about(cast, Category.THRESHOLD)
    assert not holds_current_stage(fresh(escalation), early_help_officer)
    climbing.climb(escalation, STAGE_THREE, by=cast.practitioner)
    assert not holds_current_stage(fresh(escalation), early_help_officer)


def test_the_policy_page_says_the_early_help_officer_joins_plymouth_stage_two_on_threshold(plymouth, client):
    client.force_login(plymouth.practitioner)
    page = client.get(reverse("policy:show", args=[plymouth.partnership.slug])).content.decode()
    assert (
        "Practitioner in the partnership&#x27;s early help, when the disagreement is about threshold and it is "
        "not one of the two" in page
    )


def test_when_and_who_joins_a_stage_need_the_agency_that_joins_it(plymouth):
    stage = plymouth.partnership.policy.stage(STAGE_TWO)
    stage.joined_by_agency_type = ""
    with pytest.raises(ValidationError) as error:
        stage.full_clean()
    assert "Choose the agency that joins the stage" in str(error.value)
    stage.joined_by_agency_type = AgencyType.EARLY_HELP
    stage.joined_when_about = ["not-a-category"]
    with pytest.raises(ValidationError) as error:
        stage.full_clean()
    assert "joined_when_about" in error.value.message_dict
