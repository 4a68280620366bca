"""A partnership runs its own policy: versions, publishing, moving open cases, policy files.

Riverside follows the five-stage policy, whose stage 2 (managers) is due 5 working days after
it starts. The business manager publishes a version with stage 2 shortened to 3 working days.
"""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from cases.models import RecordEntry, RecordEntryKind
from escalation import services
from escalation.models import Escalation
from escalation.policy_versions import publish_policy
from partnerships.choices import AgencyType, Urgency
from partnerships.models import Partnership, Policy, PolicyStatus
from partnerships.policy_file import PolicyFileError, dump, parse, policy_document
from partnerships.presets import PRESETS
from partnerships.services import policy_load_preset
from partnerships.versions import DraftExists, draft_from_file, start_draft, versions_of
from tests.conftest import london
from tests.integration.test_escalation_lifecycle import fresh, raise_one

pytestmark = pytest.mark.django_db


def to_stage_2(cast, escalation, at):
    services.escalation_acknowledge(escalation=escalation, acting_user=cast.other_practitioner, at=at)
    return services.escalation_escalate(
        escalation=fresh(escalation), acting_user=cast.practitioner, evidence="Two calls, no agreement.", at=at
    )


def publish_shorter_stage_2(cast, *, move=False, days=3):
    draft = start_draft(cast.partnership, cast.partnership.policy)
    draft.stages.filter(number=2).update(timescale_amount=days)
    draft.change_summary = f"Stage 2 within {days} working days."
    draft.save()
    return publish_policy(draft, by=cast.business_manager, move_open_cases=move)


def stage_2_due(escalation):
    return fresh(escalation).occurrences.get(number=2).due_at


def test_a_case_started_before_keeps_its_deadline_and_one_started_after_gets_the_new_one(cast):
    before = to_stage_2(cast, raise_one(cast, at=london(2027, 1, 11, 10, 0)), london(2027, 1, 11, 11, 0))
    assert stage_2_due(before) == london(2027, 1, 18, 17, 0)  # Mon 11 Jan + 5 working days

    result = publish_shorter_stage_2(cast)

    assert stage_2_due(before) == london(2027, 1, 18, 17, 0)
    assert fresh(before).policy.version == 1
    after = to_stage_2(cast, raise_one(cast, at=london(2027, 1, 11, 10, 0)), london(2027, 1, 11, 11, 0))
    assert fresh(after).policy == result.version
    assert stage_2_due(after) == london(2027, 1, 14, 17, 0)  # + 3 working days


def test_publishing_replaces_the_version_in_use_and_the_old_stays_readable(cast):
    first = cast.partnership.policy
    result = publish_shorter_stage_2(cast)
    partnership = Partnership.objects.get(pk=cast.partnership.pk)
    assert partnership.policy == result.version
    assert result.version.version == 2 and result.version.status == PolicyStatus.PUBLISHED
    assert result.version.replaces == first
    assert [v.version for v in versions_of(partnership)] == [2, 1]
    # A third version supersedes the partnership's own second.
    third = publish_shorter_stage_2(cast, days=4).version
    assert Policy.objects.get(pk=result.version.pk).status == PolicyStatus.SUPERSEDED
    assert [v.version for v in versions_of(Partnership.objects.get(pk=cast.partnership.pk))] == [3, 2, 1]
    assert third.stages.get(number=2).timescale_amount == 4


def test_moving_open_cases_works_their_deadline_out_again_and_records_it_on_every_childs_file(cast):
    escalation = to_stage_2(cast, raise_one(cast, at=london(2027, 1, 11, 10, 0)), london(2027, 1, 11, 11, 0))
    entries_before = set(RecordEntry.objects.filter(escalation=escalation).values_list("pk", "summary"))

    result = publish_shorter_stage_2(cast, move=True)

    moved = fresh(escalation)
    assert result.moved == [escalation.reference]
    assert moved.policy == result.version
    assert stage_2_due(escalation) == london(2027, 1, 14, 17, 0)
    assert moved.current_due_at == london(2027, 1, 14, 17, 0)
    # Stage 1 ran under version 1 and still says so; nothing already on a file changed.
    assert moved.occurrences.get(number=1).policy_stage.policy.version == 1
    assert entries_before <= set(RecordEntry.objects.filter(escalation=escalation).values_list("pk", "summary"))
    notes = RecordEntry.objects.filter(escalation=escalation, kind=RecordEntryKind.POLICY_CHANGED)
    assert {n.child for n in notes} == {cast.child, cast.sibling}
    assert all("version 2" in n.summary and "14 January 2027" in n.summary for n in notes)


def test_a_case_the_new_version_has_no_stage_for_stays_on_its_version(cast):
    escalation = to_stage_2(cast, raise_one(cast), london(2026, 12, 23, 11, 0))
    draft = start_draft(cast.partnership, cast.partnership.policy)
    draft.stages.exclude(number=1).delete()
    result = publish_policy(draft, by=cast.business_manager, move_open_cases=True)
    assert result.moved == []
    assert result.kept == [(escalation.reference, "the new version has no stage 2")]
    assert fresh(escalation).policy.version == 1


def test_a_partnership_has_one_draft_at_a_time(cast):
    start_draft(cast.partnership, cast.partnership.policy)
    with pytest.raises(DraftExists):
        start_draft(cast.partnership, cast.partnership.policy)


# --- policy files ----------------------------------------------------------------------


def export(slug, fmt="yaml"):
    out = io.StringIO()
    call_command("policy", "export", slug, "--format", fmt, stdout=out)
    return out.getvalue()


def import_file(path, partnership_slug):
    out, err = io.StringIO(), io.StringIO()
    call_command("policy", "import", str(path), "--partnership", partnership_slug, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.parametrize("slug", sorted(PRESETS))
@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_export_then_import_gives_the_same_deadlines_for_the_same_start(slug, fmt, tmp_path):
    original = policy_load_preset(PRESETS[slug])
    partnership = Partnership.objects.create(slug=f"{slug}-test", name=f"{slug} test", policy=original)
    path = tmp_path / f"policy.{fmt}"
    path.write_text(export(partnership.slug, fmt))

    import_file(path, partnership.slug)

    draft = Partnership.objects.get(pk=partnership.pk).policy_versions.get(status=PolicyStatus.DRAFT)
    calendar = partnership.working_calendar()
    start = london(2026, 12, 23, 16, 30)  # late on the eve of Christmas Eve
    assert draft.stages.count() == original.stages.count()
    for old, new in zip(original.stages.order_by("number"), draft.stages.order_by("number"), strict=True):
        for urgency in Urgency:
            for other in [None, *AgencyType]:
                want = original.stage_deadline(old, urgency, calendar, start, receiving_agency_type=other)
                got = draft.stage_deadline(new, urgency, calendar, start, receiving_agency_type=other)
                assert got[0].due == want[0].due, (slug, old.number, urgency, other)
        assert new.notify == old.notify and new.raiser_roles == old.raiser_roles
        assert new.receiver_roles == old.receiver_roles and new.met_by == old.met_by
    # The file of the imported draft is the file it came from (but for the name of the thing).
    assert parse(dump(policy_document(draft, partnership))).stages == parse(path.read_text()).stages


def test_an_export_carries_the_calendar_and_signposts(cast):
    cast.partnership.front_door_phone = "01234 567890"
    cast.partnership.save()
    cast.partnership.closure_days.create(date="2027-01-04", reason="Office move")
    text = export(cast.partnership.slug)
    assert "01234 567890" in text and "Office move" in text and "2027-01-04" in text


GOOD = """\
name: Riverside disagreements
stages:
  - name: Practitioners talk
    raiser_tier: practitioner
    receiver_tier: practitioner
    timescale: {amount: 2, unit: working_days}
  - name: The partnership decides
    raiser_tier: partnership
    is_partnership_stage: true
    panel_rule: resolution_panel
"""


def write(tmp_path, text, name="policy.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_good_file_becomes_a_draft_and_publishing_it_takes_effect(cast, tmp_path):
    out, _ = import_file(write(tmp_path, GOOD), cast.partnership.slug)
    assert "draft version 2" in out
    draft = Policy.objects.get(partnership=cast.partnership, status=PolicyStatus.DRAFT)
    # Nothing changes for anyone until the business manager publishes it.
    assert Partnership.objects.get(pk=cast.partnership.pk).policy.version == 1
    publish_policy(draft, by=cast.business_manager)
    escalation = raise_one(cast, at=london(2027, 1, 11, 10, 0))
    assert fresh(escalation).current_occurrence().due_at == london(2027, 1, 13, 17, 0)


BAD_INPUT = {
    "an unknown tier": (
        GOOD.replace("raiser_tier: practitioner", "raiser_tier: head_teacher"),
        "line 4: stages[1].raiser_tier: 'head_teacher' is not one of",
    ),
    "a negative timescale": (
        GOOD.replace("amount: 2", "amount: -2"),
        "line 6: stages[1].timescale.amount: must be 0 or more",
    ),
    "a partnership stage that is not last": (
        GOOD + "  - name: After the partnership\n    raiser_tier: executive\n",
        "line 7: stages[2]: the partnership stage must be the last stage",
    ),
    "a missing field": (
        GOOD.replace("  - name: Practitioners talk\n", "  - guidance: Talk first\n"),
        "line 3: stages[1]: missing field 'name'",
    ),
    "a missing list of stages": ("name: No stages\n", "missing field 'stages'"),
    "an unknown field": (
        GOOD.replace("    receiver_tier: practitioner\n", "    reciever_tier: practitioner\n"),
        "line 5: stages[1].reciever_tier: unknown field",
    ),
    "an unknown unit": (
        GOOD.replace("unit: working_days", "unit: fortnights"),
        "line 6: stages[1].timescale.unit: 'fortnights'",
    ),
    "an urgency a stage is joined at that is no urgency": (
        GOOD.replace(
            "    receiver_tier: practitioner\n",
            "    receiver_tier: practitioner\n    joined_by_agency_type: safeguarding_unit\n"
            "    joined_at_urgency: [tonight]\n",
        ),
        "line 7: stages[1].joined_at_urgency[1]: 'tonight' is not one of",
    ),
    "text that is not YAML": ("name: [unclosed\nstages: -", "the file is not valid YAML or JSON"),
    "a bad closure day": (
        GOOD + "calendar:\n  closure_days:\n    - {date: 31/12/2026, reason: Closed}\n",
        "line 13: calendar.closure_days[1].date: '31/12/2026' is not a date",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUT))
def test_bad_input_is_refused_line_by_line_with_exit_status_2_and_nothing_written(case, cast, tmp_path):
    text, message = BAD_INPUT[case]
    policies = Policy.objects.count()
    with pytest.raises(CommandError) as raised:
        import_file(write(tmp_path, text), cast.partnership.slug)
    assert raised.value.returncode == 2
    with pytest.raises(PolicyFileError) as problems:
        parse(text)
    assert any(message in line for line in problems.value.lines()), problems.value.lines()
    assert Policy.objects.count() == policies


def test_the_command_prints_every_problem_and_exits_2(tmp_path):
    import subprocess
    import sys

    text = GOOD.replace("raiser_tier: practitioner", "raiser_tier: head").replace("amount: 2", "amount: -1")
    result = subprocess.run(
        [sys.executable, "manage.py", "policy", "import", str(write(tmp_path, text)), "--partnership", "nowhere"],
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "DEBUG": "1"},
    )
    # The file is checked before anything is looked up or written.
    assert result.returncode == 2
    assert "line 4: stages[1].raiser_tier: 'head' is not one of" in result.stderr
    assert "line 6: stages[1].timescale.amount: must be 0 or more" in result.stderr
    assert "2 problem(s)" in result.stderr and "nothing was imported" in result.stderr


def test_importing_over_an_unpublished_draft_is_refused(cast, tmp_path):
    start_draft(cast.partnership, cast.partnership.policy)
    with pytest.raises(CommandError, match="already has a draft"):
        import_file(write(tmp_path, GOOD), cast.partnership.slug)


def test_draft_from_file_keeps_what_the_file_leaves_out_of_the_calendar(cast):
    cast.partnership.lado_phone = "0800 000 000"
    cast.partnership.save()
    draft = draft_from_file(cast.partnership, parse(GOOD))
    assert draft.partnership_settings["signposts"]["lado_phone"] == "0800 000 000"
    assert draft.partnership_settings["calendar"]["nation"] == cast.partnership.nation


def test_a_published_calendar_change_moves_open_deadlines(cast):
    escalation = raise_one(cast, at=london(2027, 1, 11, 10, 0))
    assert fresh(escalation).current_occurrence().due_at == london(2027, 1, 13, 17, 0)
    draft = start_draft(cast.partnership, cast.partnership.policy)
    calendar = draft.partnership_settings["calendar"]
    calendar["closure_days"].append({"date": "2027-01-12", "reason": "Training day"})
    draft.save()
    publish_policy(draft, by=cast.business_manager)
    assert fresh(escalation).current_occurrence().due_at == london(2027, 1, 14, 17, 0)
    assert Escalation.objects.get(pk=escalation.pk).current_due_at == london(2027, 1, 14, 17, 0)
    assert cast.partnership.closure_days.filter(reason="Training day").exists()


@pytest.mark.parametrize("slug", sorted(PRESETS))
def test_each_preset_ships_as_a_policy_file_that_says_exactly_what_the_preset_says(slug):
    from pathlib import Path

    from partnerships.services import _stage_fields

    text = (Path(__file__).parents[2] / "partnerships" / "presets" / "files" / f"{slug}.yaml").read_text()
    data = parse(text)
    preset = PRESETS[slug]
    assert data.stages == [_stage_fields(stage) for stage in preset.stages]
    assert data.policy["name"] == preset.name and data.policy["preset"] == slug
    assert data.policy["routes"] == [r.value for r in preset.routes]
    assert data.policy["adopted_on"] == preset.adopted_on and data.policy["review_by"] == preset.review_by
