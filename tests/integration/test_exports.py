"""Auditor exports against a small fixed data set, each figure worked out by hand.

Riverside (the five-stage policy: stage 1 is 2 working days, stage 2 is 5):
  closed     raised Mon 5 Oct 2026 10:00, acknowledged, a phone discussion with an agreed action,
             resolved at stage 1 on Tue 6 Oct 15:00 (due Wed 7 Oct 17:00: met), closed Wed 7 Oct 09:00.
  escalated  child protection, raised Mon 12 Oct 10:00 (stage 1 due Wed 14 Oct 17:00), acknowledged,
             breached by the watcher on Thu 15 Oct 09:00, escalated 10:00 that day: stage 2 due Thu 22 Oct 17:00.
  police     raised by Riverside Police Mon 2 Nov 09:00 (information sharing, immediate risk), open
             at stage 1, due Wed 4 Nov 17:00.
  withdrawn  raised Mon 9 Nov 10:00 about Ellie only, withdrawn 12:00 the same day.
Cumberland: one escalation that must never appear in a Riverside export.
"""

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import jsonschema
import openpyxl
import pytest

from cases.models import AccessAction, AccessLog
from escalation import exports, services
from escalation.deadlines import run_watcher
from escalation.models import Escalation
from escalation.partnership_stage import review_arrange
from escalation.states import Category, State
from partnerships.choices import AgencyType, PanelRule, Role, Urgency
from partnerships.models import Membership
from tests.conftest import london
from tests.factories import AgencyFactory, ChildFactory, person
from tests.integration.test_escalation_lifecycle import climb_to_partnership_stage, fresh, raise_one

pytestmark = pytest.mark.django_db

RIVERSIDE = "Five-Stage Safeguarding Children Partnership"
SCHOOL, CSC, POLICE = "Riverside Primary School", "Riverside Children's Social Care", "Riverside Police"


@dataclass
class Records:
    cast: object
    closed: Escalation
    escalated: Escalation
    police: Escalation
    withdrawn: Escalation
    cumberland: Escalation


def build_records(cast) -> Records:
    closed = raise_one(cast, at=london(2026, 10, 5, 10, 0))
    services.escalation_acknowledge(escalation=closed, acting_user=cast.other_practitioner, at=london(2026, 10, 5, 14))
    services.discussion_record(
        escalation=fresh(closed),
        acting_user=cast.practitioner,
        held_at=london(2026, 10, 6, 11, 0),
        method="phone",
        participants="Class teacher; social worker",
        outcome="The referral will be looked at again.",
        areas_of_agreement="Bruising needs explaining.",
        actions=[{"description": "Strategy discussion", "owner_name": "Team manager", "due_on": date(2026, 10, 9)}],
    )
    services.escalation_resolve(
        escalation=fresh(closed),
        acting_user=cast.practitioner,
        outcome="A strategy discussion is booked.",
        main_reason=Category.THRESHOLD,
        lessons_learnt="Talk early.",
        practitioners_informed="Both practitioners",
        family_informed=True,
        at=london(2026, 10, 6, 15, 0),
    )
    services.escalation_close(escalation=fresh(closed), acting_user=cast.practitioner, at=london(2026, 10, 7, 9, 0))

    escalated = raise_one(cast, at=london(2026, 10, 12, 10, 0), urgency=Urgency.CHILD_PROTECTION)
    services.escalation_acknowledge(
        escalation=escalated, acting_user=cast.other_practitioner, at=london(2026, 10, 12, 11)
    )
    run_watcher(now=london(2026, 10, 15, 9, 0))
    services.escalation_escalate(
        escalation=fresh(escalated),
        acting_user=cast.practitioner,
        evidence="Three calls to the social worker.",
        reason_not_met="The social worker was on leave.",
        at=london(2026, 10, 15, 10, 0),
    )

    police = services.escalation_raise(
        raised_by=cast.police_senior_manager,
        raising_agency=cast.police,
        receiving_agency=cast.csc,
        children=[cast.child],
        category=Category.INFORMATION_SHARING,
        concern="Police were not told of the strategy meeting.",
        why_unsafe="Risk information is missing.",
        outcome_sought="An invitation.",
        urgency=Urgency.IMMEDIATE_RISK,
        at=london(2026, 11, 2, 9, 0),
    )

    withdrawn = raise_one(cast, at=london(2026, 11, 9, 10, 0), children=[cast.child])
    services.escalation_withdraw(
        escalation=withdrawn, acting_user=cast.practitioner, reason="Referral accepted.", at=london(2026, 11, 9, 12)
    )

    other = cast.outsider_partnership
    cumberland = services.escalation_raise(
        raised_by=cast.outsider,
        raising_agency=cast.outsider.memberships.get().agency,
        receiving_agency=AgencyFactory(partnership=other, name="Cumberland Social Care", type=AgencyType.OTHER),
        children=[ChildFactory(partnership=other, first_name="Sam", last_name="Reed")],
        category=Category.THRESHOLD,
        concern="x",
        why_unsafe="y",
        outcome_sought="z",
        at=london(2026, 10, 20, 10, 0),
    )
    return Records(cast, fresh(closed), fresh(escalated), fresh(police), fresh(withdrawn), cumberland)


@pytest.fixture
def records(cast) -> Records:
    return build_records(cast)


def everything(cast, **filters):
    return exports.ExportFilter(partnership=cast.partnership, **filters)


def references(user, export_filter) -> list[str]:
    return list(exports.export_queryset(user, export_filter).values_list("reference", flat=True))


def csv_rows(queryset) -> list[dict]:
    columns = exports.row_columns(exports.stage_columns(queryset))
    text = "".join(exports.csv_chunks(exports.escalation_rows(queryset), columns))
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


# --- the rows: CSV and XLSX ------------------------------------------------------------


def test_csv_rows_hold_the_hand_worked_figures(records):
    cast = records.cast
    rows = csv_rows(exports.export_queryset(cast.auditor, everything(cast)))
    assert [r["Reference"] for r in rows] == [
        records.closed.reference,
        records.escalated.reference,
        records.police.reference,
        records.withdrawn.reference,
    ]
    closed, escalated, police, withdrawn = rows
    assert closed == {
        "Reference": records.closed.reference,
        "Partnership": RIVERSIDE,
        "Raised at": "2026-10-05 10:00",
        "Raising agency": SCHOOL,
        "Receiving agency": CSC,
        "Category": "Threshold (whether a referral meets the criteria for a service)",
        "Urgency": "Standard",
        "State": "Closed",
        "Stage reached": "1",
        "Stage resolved": "1",
        "Current deadline": "",
        "Resolved at": "2026-10-06 15:00",
        "Closed at": "2026-10-07 09:00",
        "Deadlines missed": "0",
        "Stage 1 timescale": "Met",
        "Stage 2 timescale": "",
        "Stage 3 timescale": "",
        "Stage 4 timescale": "",
        "Stage 5 timescale": "",
    }
    assert (escalated["Urgency"], escalated["State"], escalated["Stage reached"]) == (
        "Child protection",
        "Awaiting acknowledgement",
        "2",
    )
    assert escalated["Current deadline"] == "2026-10-22 17:00"
    assert escalated["Deadlines missed"] == "1"
    assert (escalated["Stage 1 timescale"], escalated["Stage 2 timescale"]) == ("Not met", "Open")
    assert escalated["Stage resolved"] == ""
    assert (police["Raising agency"], police["Category"], police["Urgency"]) == (
        POLICE,
        "Information sharing",
        "Immediate risk of significant harm",
    )
    assert (police["Current deadline"], police["Stage 1 timescale"]) == ("2026-11-04 17:00", "Open")
    assert (withdrawn["State"], withdrawn["Closed at"], withdrawn["Current deadline"]) == (
        "Withdrawn",
        "2026-11-09 12:00",
        "",
    )


def test_xlsx_has_the_same_rows_with_real_dates(records, tmp_path):
    cast = records.cast
    queryset = exports.export_queryset(cast.auditor, everything(cast))
    columns = exports.row_columns(exports.stage_columns(queryset))
    target = tmp_path / "export.xlsx"
    with target.open("wb") as handle:
        exports.write_xlsx(exports.escalation_rows(queryset), columns, handle)
    sheet = openpyxl.load_workbook(target)["Escalations"]
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0][:4] == ["Reference", "Partnership", "Raised at", "Raising agency"]
    assert values[0][-1] == "Stage 5 timescale"
    assert len(values) == 5
    first = dict(zip(values[0], values[1], strict=True))
    assert first["Reference"] == records.closed.reference
    assert first["Raised at"] == datetime(2026, 10, 5, 10, 0)
    assert first["Stage resolved"] == 1
    assert first["Current deadline"] is None
    assert first["Stage 1 timescale"] == "Met"


def test_spreadsheet_formulas_in_names_are_written_as_plain_text(cast, tmp_path):
    cast.csc.name = '=HYPERLINK("http://example.invalid","click")'
    cast.csc.save()
    raise_one(cast, at=london(2026, 10, 5, 10, 0))
    queryset = exports.export_queryset(cast.auditor, everything(cast))
    assert csv_rows(queryset)[0]["Receiving agency"] == "'" + cast.csc.name
    columns = exports.row_columns(exports.stage_columns(queryset))
    target = tmp_path / "export.xlsx"
    with target.open("wb") as handle:
        exports.write_xlsx(exports.escalation_rows(queryset), columns, handle)
    cell = openpyxl.load_workbook(target)["Escalations"]["E2"]
    assert (cell.value, cell.data_type) == (cast.csc.name, "s")


# --- the full record: JSON ------------------------------------------------------------


def schema() -> dict:
    return json.loads(exports.SCHEMA_PATH.read_text())


def validate(document):
    jsonschema.Draft202012Validator(schema(), format_checker=jsonschema.FormatChecker()).validate(document)


def json_document(queryset) -> dict:
    header = {"schema": exports.SCHEMA_ID, "exported_at": "2026-11-23T10:00:00+00:00", "filter": {"partnership": "x"}}
    return json.loads("".join(exports.json_chunks(exports.escalation_records(queryset), header)))


def test_the_schema_is_valid_draft_2020_12_and_names_its_version():
    document = schema()
    jsonschema.Draft202012Validator.check_schema(document)
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert document["$id"] == exports.SCHEMA_ID and exports.SCHEMA_ID.endswith("export-v1")
    assert exports.SCHEMA_PATH.name == "export-v1.json"


def test_the_schema_lists_every_code_the_models_know():
    from cases.models import RecordEntryKind
    from escalation.states import ActionStatus, DiscussionMethod, StageOutcome

    defs = schema()["$defs"]
    escalation = defs["escalation"]["properties"]
    assert escalation["state"]["enum"] == State.values
    assert escalation["category"]["enum"] == Category.values
    assert escalation["urgency"]["enum"] == Urgency.values
    assert defs["stage"]["properties"]["outcome"]["enum"] == StageOutcome.values + [None]
    assert defs["discussion"]["properties"]["method"]["enum"] == DiscussionMethod.values
    assert defs["action"]["properties"]["status"]["enum"] == ActionStatus.values
    assert defs["record_entry"]["properties"]["kind"]["enum"] == RecordEntryKind.values
    assert defs["partnership_review"]["properties"]["arrangement"]["enum"] == PanelRule.values


def test_the_json_export_validates_and_holds_the_full_record(records):
    cast = records.cast
    document = json_document(exports.export_queryset(cast.auditor, everything(cast)))
    validate(document)
    assert [e["reference"] for e in document["escalations"]] == [
        records.closed.reference,
        records.escalated.reference,
        records.police.reference,
        records.withdrawn.reference,
    ]
    closed = document["escalations"][0]
    assert (closed["state"], closed["stage_reached"], closed["category"]) == ("closed", 1, "threshold")
    assert closed["raised_at"] == "2026-10-05T10:00:00+01:00"  # British Summer Time
    assert [(c["first_name"], c["date_of_birth"]) for c in closed["children"]] == [
        ("Ellie", cast.child.date_of_birth.isoformat()),
        ("Noah", cast.sibling.date_of_birth.isoformat()),
    ]
    assert closed["parties"]["raising_agency"]["name"] == SCHOOL
    assert closed["parties"]["receiving_agency"]["name"] == CSC
    assert closed["parties"]["raised_by"]["username"] == "practitioner"
    (stage,) = closed["stages"]
    assert stage["due_at"] == "2026-10-07T17:00:00+01:00"
    assert stage["acknowledged_at"] == "2026-10-05T14:00:00+01:00"
    assert stage["acknowledged_by"]["username"] == "social-worker"
    assert (stage["outcome"], stage["timescale_met"], stage["breached_at"]) == ("resolved", True, None)
    (discussion,) = stage["discussions"]
    assert (discussion["method"], discussion["participants"]) == ("phone", "Class teacher; social worker")
    (action,) = closed["actions"]
    assert (action["description"], action["due_on"], action["discussion"]) == (
        "Strategy discussion",
        "2026-10-09",
        discussion["public_id"],
    )
    resolution = closed["resolution"]
    assert (resolution["stage_resolved"], resolution["main_reason"], resolution["family_informed"]) == (
        1,
        "threshold",
        True,
    )
    # raised, acknowledged, discussion, resolved, closed: on each of the two children's files.
    kinds = [(entry["kind"], entry["child"]) for entry in closed["record_entries"]]
    assert len(kinds) == 10
    assert {child for _, child in kinds} == {str(cast.child.public_id), str(cast.sibling.public_id)}
    assert [kind for kind, child in kinds if child == str(cast.child.public_id)] == [
        "raised",
        "acknowledged",
        "discussion",
        "resolved",
        "closed",
    ]

    escalated = document["escalations"][1]
    first, second = escalated["stages"]
    assert first["breached_at"] == "2026-10-15T09:00:00+01:00"
    assert (first["timescale_met"], first["reason_not_met"]) == (False, "The social worker was on leave.")
    assert second["evidence_of_previous_efforts"] == "Three calls to the social worker."
    assert (second["due_at"], second["closed_at"], second["outcome"]) == ("2026-10-22T17:00:00+01:00", None, None)
    assert escalated["breaches"] == 1
    assert "breached" in [entry["kind"] for entry in escalated["record_entries"]]
    assert document["escalations"][3]["withdrawn_reason"] == "Referral accepted."


def test_the_json_export_holds_the_partnership_review_and_decision(cast):
    from partnerships.models import Membership

    escalation = climb_to_partnership_stage(cast, raise_one(cast))
    chair = Membership.objects.get(user=cast.chair)
    review_arrange(
        escalation=escalation, acting_user=cast.business_manager, arrangement=PanelRule.MEDIATION, chair=chair
    )
    services.stage_record_decision(
        escalation=fresh(escalation), acting_user=cast.business_manager, decision="A strategy discussion."
    )
    services.escalation_resolve(escalation=fresh(escalation), acting_user=cast.business_manager, outcome="Agreed.")
    document = json_document(exports.export_queryset(cast.business_manager, everything(cast)))
    validate(document)
    (record,) = document["escalations"]
    assert [s["number"] for s in record["stages"]] == [1, 2, 3, 4, 5]
    final = record["stages"][-1]
    assert final["decision"] == "A strategy discussion."
    assert final["partnership_review"]["arrangement"] == "mediation"
    assert final["partnership_review"]["chair"]["username"] == "chair"
    assert all(s["partnership_review"] is None for s in record["stages"][:-1])
    assert record["resolution"]["stage_resolved"] == 5


# --- scoping and filters ----------------------------------------------------------------


def test_no_other_partnerships_escalation_is_ever_exported(records):
    cast = records.cast
    for user in (cast.auditor, cast.business_manager, cast.chair):
        refs = references(user, everything(cast))
        assert len(refs) == 4 and records.cumberland.reference not in refs
    # Asking for another partnership by name gets nothing either.
    assert references(cast.auditor, exports.ExportFilter(partnership=cast.outsider_partnership)) == []


def test_an_auditor_who_is_also_a_practitioner_elsewhere_exports_only_what_they_oversee(records):
    cast = records.cast
    dual = person("dual", cast.partnership, Role.AUDITOR)
    # A practitioner in the agency that received the Cumberland disagreement: they hold its stage 1.
    Membership.objects.create(
        user=dual,
        partnership=cast.outsider_partnership,
        agency=records.cumberland.receiving_agency,
        role=Role.PRACTITIONER,
    )
    from escalation.selectors import escalations_visible_to

    assert escalations_visible_to(dual).filter(pk=records.cumberland.pk).exists()
    assert [p.slug for p in exports.export_partnerships(dual)] == ["five-stage"]
    assert records.cumberland.reference not in references(dual, everything(cast))
    assert references(dual, exports.ExportFilter(partnership=cast.outsider_partnership)) == []


def test_people_without_an_oversight_role_export_nothing(records):
    cast = records.cast
    for user in (cast.practitioner, cast.other_manager, cast.panel_member, cast.outsider):
        assert exports.export_partnerships(user) == []
        assert references(user, everything(cast)) == []


@pytest.mark.parametrize(
    "filters, expected",
    [
        ({"raised_from": date(2026, 10, 1), "raised_to": date(2026, 10, 12)}, ["closed", "escalated"]),
        ({"raised_from": date(2026, 10, 13)}, ["police", "withdrawn"]),
        ({"raised_to": date(2026, 10, 4)}, []),
        ({"agency": "police"}, ["police"]),
        ({"agency": "csc"}, ["closed", "escalated", "police", "withdrawn"]),
        ({"category": Category.INFORMATION_SHARING}, ["police"]),
        ({"urgency": Urgency.CHILD_PROTECTION}, ["escalated"]),
        ({"state": State.RAISED}, ["escalated", "police"]),
        ({"state": State.WITHDRAWN}, ["withdrawn"]),
        ({"stage": 2}, ["escalated"]),
        ({"stage": 1, "agency": "school", "state": State.CLOSED}, ["closed"]),
    ],
)
def test_filters(records, filters, expected):
    cast = records.cast
    if "agency" in filters:
        filters["agency"] = getattr(cast, filters["agency"])
    want = [getattr(records, name).reference for name in expected]
    assert references(cast.auditor, everything(cast, **filters)) == want


# --- the export record and the limit ---------------------------------------------------


def test_each_export_is_recorded_with_its_filter_and_count(records):
    cast = records.cast
    export_filter = everything(cast, state=State.RAISED, raised_from=date(2026, 10, 1))
    queryset = exports.export_queryset(cast.auditor, export_filter)
    log = exports.export_record(
        user=cast.auditor, ip_address="10.0.0.1", fmt="json", export_filter=export_filter, queryset=queryset
    )
    assert (log.action, log.object_type, log.object_id, log.ip_address) == (
        AccessAction.EXPORT,
        "export",
        "json",
        "10.0.0.1",
    )
    assert json.loads(log.detail) == {
        "partnership": "five-stage",
        "filter": {"raised_from": "2026-10-01", "state": "raised"},
        "count": 2,
    }
    (past,) = [exports.PastExport.from_log(entry) for entry in exports.export_history([cast.partnership])]
    assert (past.format, past.count) == ("JSON", 2)
    assert past.filter_summary() == ["Raised 01/10/2026 to today", "State: Awaiting acknowledgement"]


def test_the_export_history_of_one_partnership_leaves_out_anothers(records):
    cast = records.cast
    other_auditor = person("cumberland-auditor", cast.outsider_partnership, Role.AUDITOR)
    other = exports.ExportFilter(partnership=cast.outsider_partnership)
    exports.export_record(
        user=other_auditor,
        ip_address=None,
        fmt="csv",
        export_filter=other,
        queryset=exports.export_queryset(other_auditor, other),
    )
    assert not exports.export_history([cast.partnership]).exists()
    assert json.loads(exports.export_history([cast.outsider_partnership]).get().detail)["count"] == 1


def test_the_hourly_limit_counts_this_users_exports_in_the_last_hour(records, settings, time_machine):
    cast = records.cast
    settings.EXPORTS_PER_HOUR = 2
    time_machine.move_to(london(2026, 11, 23, 10, 0), tick=False)
    export_filter = everything(cast)

    def export(user):
        queryset = exports.export_queryset(user, export_filter)
        return exports.export_record(
            user=user, ip_address=None, fmt="csv", export_filter=export_filter, queryset=queryset
        )

    export(cast.auditor)
    time_machine.move_to(london(2026, 11, 23, 10, 30), tick=False)
    export(cast.auditor)
    with pytest.raises(exports.ExportLimitReached) as refused:
        export(cast.auditor)
    assert refused.value.retry_at == london(2026, 11, 23, 11, 0)
    assert AccessLog.objects.filter(action=AccessAction.EXPORT).count() == 2
    export(cast.business_manager)  # the limit is per person
    time_machine.move_to(london(2026, 11, 23, 11, 0, 1), tick=False)
    export(cast.auditor)


# --- streaming: a fixed number of queries per chunk ------------------------------------


@pytest.fixture
def sixty(cast):
    for day in range(60):
        raise_one(cast, at=london(2026, 9, 1, 10, 0) + timedelta(days=day % 30))
    return exports.export_queryset(cast.auditor, everything(cast))


def test_the_row_generator_reads_in_chunks_with_two_queries_each(sixty, django_assert_max_num_queries):
    # 60 escalations, chunks of 25: 3 chunks of (escalations + their stage occurrences).
    with django_assert_max_num_queries(2 * 3):
        rows = list(exports.escalation_rows(sixty, chunk_size=25))
    assert len(rows) == 60


def test_the_record_generator_reads_in_chunks_with_eight_queries_each(sixty, django_assert_max_num_queries):
    assert exports.RECORD_QUERIES_PER_CHUNK == 8
    with django_assert_max_num_queries(8 * 3) as captured:
        records = list(exports.escalation_records(sixty, chunk_size=25))
    assert len(records) == 60 and all(len(r["children"]) == 2 and r["record_entries"] for r in records)
    # Fewer, larger chunks: fewer queries. The count follows the chunks, not the escalations.
    with django_assert_max_num_queries(8):
        assert len(list(exports.escalation_records(sixty, chunk_size=60))) == 60
    assert len(captured.captured_queries) > 8


def test_generators_are_lazy_and_the_first_row_costs_one_chunk(sixty, django_assert_max_num_queries):
    with django_assert_max_num_queries(0):
        rows = exports.escalation_rows(sixty, chunk_size=25)
        records = exports.escalation_records(sixty, chunk_size=25)
    with django_assert_max_num_queries(2):
        next(rows)
    with django_assert_max_num_queries(8):
        next(records)
