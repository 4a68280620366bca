"""The dashboard's figures against numbers worked out by hand on a small fixed data set.

Riverside (the five-stage policy: stage 1 two working days, stages 2 and 3 five). "Now" is
Wednesday 1 April 2026, noon. Six escalations, built through the services:

  E1  school -> CSC, threshold, standard. Raised Mon 2 Feb, resolved at stage 1 on Tue 3 Feb
      (on time; 1 working day), closed. Lessons learnt recorded.
  E2  school -> CSC, information sharing, child protection. Raised Tue 3 Feb; stage 1 escalated
      late on Mon 16 Feb (missed); stage 2 resolved on time on Wed 18 Feb (11 working days).
      Case review recommended; lessons learnt recorded.
  E3  CSC -> school, threshold, standard. Raised Mon 2 Mar, withdrawn on Tue 3 Mar (on time).
  E4  school -> police, communication, immediate risk. Raised Mon 9 Mar, never acknowledged:
      open at stage 1, overdue since Wed 11 Mar (missed).
  E5  school -> CSC, threshold, standard. Raised Mon 30 Mar, acknowledged: open at stage 1,
      due Wed 1 Apr 17:00 (still running, not overdue).
  E6  school -> CSC, action or inaction, standard. Raised Mon 2 Mar; stages 1 and 2 on time;
      stage 3 not acknowledged, overdue since Wed 11 Mar (missed).

Plus two escalations in Cumberland (another partnership) that must never be counted.
"""

from datetime import date

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from escalation import dashboard, figures, learning_report, services
from escalation.dashboard import build_dashboard
from escalation.figures import Drill, Scope, drill_queryset
from escalation.learning_report import Quarter, build_learning_report
from escalation.models import Escalation
from escalation.partnership_stage import review_arrange
from escalation.states import Category
from partnerships.choices import AgencyType, PanelRule, Role, Urgency
from partnerships.models import Membership
from tests.conftest import london
from tests.factories import AgencyFactory, ChildFactory, person

pytestmark = pytest.mark.django_db

NOW = london(2026, 4, 1, 12, 0)


def fresh(escalation):
    return Escalation.objects.get(pk=escalation.pk)


def raise_(cast, at, *, by=None, raising=None, receiving=None, category=Category.THRESHOLD, urgency="standard"):
    return services.escalation_raise(
        raised_by=by or cast.practitioner,
        raising_agency=raising or cast.school,
        receiving_agency=receiving or cast.csc,
        children=[cast.child],
        category=category,
        concern="The referral was refused.",
        why_unsafe="Bruising was seen twice this term.",
        outcome_sought="A strategy discussion.",
        urgency=urgency,
        at=at,
    )


def build_fixed_set(cast) -> dict:
    e1 = raise_(cast, london(2026, 2, 2, 10, 0))
    services.escalation_acknowledge(escalation=e1, acting_user=cast.other_practitioner, at=london(2026, 2, 2, 14, 0))
    services.escalation_resolve(
        escalation=fresh(e1),
        acting_user=cast.practitioner,
        outcome="A strategy discussion was held.",
        lessons_learnt="Share the referral outcome in writing.",
        issues_raised="Threshold read differently.",
        at=london(2026, 2, 3, 11, 0),
    )
    services.escalation_close(escalation=fresh(e1), acting_user=cast.practitioner, at=london(2026, 2, 4, 9, 0))

    e2 = raise_(cast, london(2026, 2, 3, 10, 0), category=Category.INFORMATION_SHARING, urgency="child-protection")
    services.escalation_acknowledge(escalation=e2, acting_user=cast.other_practitioner, at=london(2026, 2, 3, 15, 0))
    services.escalation_escalate(
        escalation=fresh(e2),
        acting_user=cast.practitioner,
        evidence="Two phone calls.",
        reason_not_met="Waiting for the police.",
        at=london(2026, 2, 16, 10, 0),
    )
    services.escalation_acknowledge(escalation=fresh(e2), acting_user=cast.other_manager, at=london(2026, 2, 16, 14))
    services.escalation_resolve(
        escalation=fresh(e2),
        acting_user=cast.manager,
        outcome="The police information was shared.",
        lessons_learnt="Agree a joint chronology early.",
        case_review_recommended=True,
        at=london(2026, 2, 18, 10, 0),
    )

    e3 = raise_(cast, london(2026, 3, 2, 10, 0), by=cast.other_practitioner, raising=cast.csc, receiving=cast.school)
    services.escalation_acknowledge(escalation=e3, acting_user=cast.practitioner, at=london(2026, 3, 2, 11, 0))
    services.escalation_withdraw(
        escalation=fresh(e3),
        acting_user=cast.other_practitioner,
        reason="Resolved informally.",
        at=london(2026, 3, 3, 10),
    )

    e4 = raise_(
        cast,
        london(2026, 3, 9, 10, 0),
        receiving=cast.police,
        category=Category.COMMUNICATION,
        urgency=Urgency.IMMEDIATE_RISK,
    )

    e5 = raise_(cast, london(2026, 3, 30, 10, 0))
    services.escalation_acknowledge(escalation=e5, acting_user=cast.other_practitioner, at=london(2026, 3, 30, 11))

    e6 = raise_(cast, london(2026, 3, 2, 10, 0), category=Category.ACTION_INACTION)
    services.escalation_acknowledge(escalation=e6, acting_user=cast.other_practitioner, at=london(2026, 3, 2, 12, 0))
    services.escalation_escalate(
        escalation=fresh(e6), acting_user=cast.practitioner, evidence="A phone call.", at=london(2026, 3, 3, 10, 0)
    )
    services.escalation_acknowledge(escalation=fresh(e6), acting_user=cast.other_manager, at=london(2026, 3, 3, 12))
    services.escalation_escalate(
        escalation=fresh(e6), acting_user=cast.manager, evidence="A managers' meeting.", at=london(2026, 3, 4, 10, 0)
    )
    build_other_partnership(cast)
    return {"e1": e1, "e2": e2, "e3": e3, "e4": e4, "e5": e5, "e6": e6}


def build_other_partnership(cast):
    """Cumberland: one withdrawn and one open, overdue escalation. Never in Riverside's figures."""
    other = cast.outsider_partnership
    csc = AgencyFactory(partnership=other, name="Cumberland Children's Social Care", type=AgencyType.OTHER)
    police = cast.outsider.memberships.get().agency
    child = ChildFactory(partnership=other)
    for day in (3, 10):
        e = services.escalation_raise(
            raised_by=cast.outsider,
            raising_agency=police,
            receiving_agency=csc,
            children=[child],
            category=Category.THRESHOLD,
            concern="c",
            why_unsafe="w",
            outcome_sought="o",
            at=london(2026, 2, day, 10, 0),
        )
    services.escalation_withdraw(escalation=fresh(e), acting_user=cast.outsider, reason="r", at=london(2026, 2, 11, 9))


@pytest.fixture
def fixed(cast):
    return cast, build_fixed_set(cast)


def figure(board, key):
    return next(f for f in board.figures if f.key == key)


def values(row):
    return [cell.value for cell in row.cells]


def table(board, key):
    return {row.label: values(row) for row in figure(board, key).rows}


def headline(board):
    return {label: cell.value for label, cell in board.headline}


# --- the figures, by hand ------------------------------------------------------------------


def test_headline_figures(fixed):
    cast, _ = fixed
    board = build_dashboard(Scope(cast.partnership), now=NOW)
    assert headline(board) == {
        "Raised": 6,
        "Open now": 3,
        "Overdue now": 2,
        "Resolved": 2,
        "Withdrawn": 1,
        "Reached the partnership stage": 0,
        "Median working days from raised to resolved": 6.0,  # (1 + 11) / 2
    }


def test_open_escalations_by_stage_and_urgency(fixed):
    cast, _ = fixed
    board = build_dashboard(Scope(cast.partnership), now=NOW)
    open_figure = figure(board, "open")
    assert open_figure.columns == [
        "Standard",
        "Child protection",
        "Immediate risk of significant harm",
        "All open",
        "Overdue now",
    ]
    rows = {row.short: values(row) for row in open_figure.rows}
    assert rows == {
        "Stage 1": [1, 0, 1, 2, 1],
        "Stage 2": [0, 0, 0, 0, 0],
        "Stage 3": [1, 0, 0, 1, 1],
        "Stage 4": [0, 0, 0, 0, 0],
        "Stage 5": [0, 0, 0, 0, 0],
    }
    assert values(open_figure.total) == [2, 0, 1, 3, 2]


def test_timescale_adherence_and_breaches_by_stage(fixed):
    cast, _ = fixed
    board = build_dashboard(Scope(cast.partnership), now=NOW)
    rows = {row.short: values(row) for row in figure(board, "timescales").rows}
    assert rows == {
        "Stage 1": [3, 2, 60.0],  # met E1 E3 E6; missed E2 (late) and E4 (open past its deadline)
        "Stage 2": [2, 0, 100.0],  # E2 E6
        "Stage 3": [0, 1, 0.0],  # E6, open past its deadline
        "Stage 4": [0, 0, None],
        "Stage 5": [0, 0, None],
    }
    assert values(figure(board, "timescales").total) == [None, None, 62.5]  # 5 met, 3 missed


def test_stage_at_which_resolved_with_median_working_days(fixed):
    cast, _ = fixed
    board = build_dashboard(Scope(cast.partnership), now=NOW)
    resolved = figure(board, "resolved")
    rows = {row.short: values(row) for row in resolved.rows}
    assert rows["Stage 1"] == [1, 50.0, 1.0]  # E1: Mon 2 Feb -> Tue 3 Feb
    assert rows["Stage 2"] == [1, 50.0, 11.0]  # E2: Tue 3 Feb -> Wed 18 Feb
    assert rows["Stage 3"] == [0, 0.0, None]
    assert values(resolved.total) == [2, 100.0, 6.0]


def test_breaches_by_agency(fixed):
    cast, _ = fixed
    board = build_dashboard(Scope(cast.partnership), now=NOW)
    assert table(board, "agencies") == {
        # raised by, raised with, escalations involving it with a missed deadline
        "Riverside Primary School": [5, 1, 3],  # E2 E4 E6
        "Riverside Children's Social Care": [1, 4, 2],  # E2 E6
        "Riverside Police": [0, 1, 1],  # E4
    }


def test_main_reasons_and_agency_pairs(fixed):
    cast, _ = fixed
    board = build_dashboard(Scope(cast.partnership), now=NOW)
    reasons = [(row.label, values(row)) for row in figure(board, "reasons").rows]
    assert reasons == [
        (Category.THRESHOLD.label, [3, 50.0]),
        (Category.ACTION_INACTION.label, [1, 16.7]),
        (Category.COMMUNICATION.label, [1, 16.7]),
        (Category.INFORMATION_SHARING.label, [1, 16.7]),
    ]
    assert table(board, "pairs") == {
        "Riverside Children's Social Care and Riverside Primary School": [5],
        "Riverside Police and Riverside Primary School": [1],
    }


def test_trend_by_month_and_quarter(fixed):
    cast, _ = fixed
    board = build_dashboard(Scope(cast.partnership), now=NOW)
    # raised, resolved, withdrawn, still open
    assert table(board, "months") == {"February 2026": [2, 2, 0, 0], "March 2026": [4, 0, 1, 3]}
    assert table(board, "quarters") == {"January to March 2026": [6, 2, 1, 3]}


# --- scoping and filters ----------------------------------------------------------------------


def test_another_partnerships_escalations_are_never_counted(fixed):
    cast, _ = fixed
    assert Escalation.objects.count() == 8
    board = build_dashboard(Scope(cast.partnership), now=NOW)
    assert headline(board)["Raised"] == 6
    assert "Cumberland" not in str([row.label for f in board.figures for row in f.rows])
    cumberland = build_dashboard(Scope(cast.outsider_partnership), now=NOW)
    assert headline(cumberland)["Raised"] == 2
    assert headline(cumberland)["Withdrawn"] == 1
    assert headline(cumberland)["Overdue now"] == 1
    assert headline(cumberland)["Resolved"] == 0


def test_a_partnership_role_elsewhere_gives_no_access_here(fixed):
    cast, _ = fixed
    assert dashboard.oversight_partnerships(cast.business_manager) == [cast.partnership]
    assert dashboard.oversight_partnerships(cast.panel_member) == []
    assert dashboard.oversight_partnerships(cast.outsider) == []
    assert dashboard.oversight_partnerships(cast.practitioner) == []


@pytest.mark.parametrize(
    "filters, raised, open_, overdue",
    [
        ({"agency": "police"}, 1, 1, 1),
        ({"category": Category.THRESHOLD}, 3, 1, 0),
        ({"urgency": Urgency.IMMEDIATE_RISK}, 1, 1, 1),
        ({"stage": 3}, 1, 1, 1),
        ({"stage": 2}, 1, 0, 0),
        ({"raised_from": date(2026, 3, 1), "raised_to": date(2026, 3, 31)}, 4, 3, 2),
        ({"raised_from": date(2026, 3, 2), "raised_to": date(2026, 3, 2)}, 2, 1, 1),  # whole London days
        ({"raised_to": date(2026, 2, 28)}, 2, 0, 0),
    ],
)
def test_filters(fixed, filters, raised, open_, overdue):
    cast, _ = fixed
    if filters.get("agency") == "police":
        filters = {**filters, "agency": cast.police}
    board = build_dashboard(Scope(cast.partnership, **filters), now=NOW)
    figures = headline(board)
    assert (figures["Raised"], figures["Open now"], figures["Overdue now"]) == (raised, open_, overdue)


def test_filtered_by_agency_the_figures_follow(fixed):
    cast, _ = fixed
    board = build_dashboard(Scope(cast.partnership, agency=cast.police), now=NOW)
    assert table(board, "agencies") == {"Riverside Primary School": [1, 0, 1], "Riverside Police": [0, 1, 1]}
    assert {row.short: values(row) for row in figure(board, "timescales").rows}["Stage 1"] == [0, 1, 0.0]


# --- drill-down: the list behind each number has exactly that many escalations ---------------


def test_every_count_on_the_dashboard_matches_the_list_it_links_to(fixed):
    from urllib.parse import parse_qs, urlsplit

    cast, _ = fixed
    scope = Scope(cast.partnership)
    board = build_dashboard(scope, now=NOW)
    agencies = {str(a.public_id): a for a in cast.partnership.agencies.all()}
    cells = [cell for _, cell in board.headline[:-1]]  # the median is not a count
    for f in board.figures:
        for row in f.rows + ([f.total] if f.total else []):
            counts = [
                c for c, column in zip(row.cells, f.columns, strict=True) if c.unit != "%" and "Median" not in column
            ]
            cells += [c for c in counts if not c.blank]
    checked = 0
    for cell in cells:
        if not cell.value:
            assert cell.url == ""
            continue
        query = {k: v[0] for k, v in parse_qs(urlsplit(cell.url).query).items()}
        assert urlsplit(cell.url).path == "/dashboard/list/"
        linked = _scope_and_drill(cast, query, agencies)
        assert drill_queryset(*linked, now=NOW).count() == cell.value, cell.url
        checked += 1
    assert checked > 40


def _scope_and_drill(cast, query, agencies):
    from datetime import datetime

    def day(key):
        return datetime.strptime(query[key], "%d/%m/%Y").date() if key in query else None

    scope = Scope(
        cast.partnership,
        raised_from=day("raised_from"),
        raised_to=day("raised_to"),
        agency=agencies.get(query.get("agency", "")),
        category=query.get("category", ""),
        urgency=query.get("urgency", ""),
        stage=int(query["stage"]) if "stage" in query else None,
    )
    pair = query.get("pair", "").split(",")
    drill = Drill(
        status=query.get("status", ""),
        missed_stage=int(query["missed_stage"]) if "missed_stage" in query else None,
        met_stage=int(query["met_stage"]) if "met_stage" in query else None,
        resolved_stage=int(query["resolved_stage"]) if "resolved_stage" in query else None,
        missed=query.get("missed") == "1",
        party=agencies.get(query.get("party", "")),
        side=query.get("side", ""),
        pair=(agencies[pair[0]], agencies[pair[1]]) if len(pair) == 2 else None,
    )
    return scope, drill


def test_drill_down_lists_hold_the_right_escalations(fixed):
    cast, e = fixed
    scope = Scope(cast.partnership)

    def refs(**drill):
        return set(drill_queryset(scope, Drill(**drill), now=NOW).values_list("pk", flat=True))

    assert refs(status="overdue") == {e["e4"].pk, e["e6"].pk}
    assert refs(missed_stage=1) == {e["e2"].pk, e["e4"].pk}
    assert refs(met_stage=2) == {e["e2"].pk, e["e6"].pk}
    assert refs(resolved_stage=2) == {e["e2"].pk}
    assert refs(missed=True, party=cast.csc) == {e["e2"].pk, e["e6"].pk}
    assert refs(party=cast.csc, side="raising") == {e["e3"].pk}
    assert refs(pair=(cast.police, cast.school)) == {e["e4"].pk}


# --- the query count does not grow with the data ------------------------------------------------------


def _queries(scope) -> int:
    with CaptureQueriesContext(connection) as captured:
        build_dashboard(scope, now=NOW)
    return len(captured)


def test_the_number_of_queries_is_the_same_at_two_data_sizes(fixed, django_assert_num_queries):
    cast, _ = fixed
    scope = Scope(cast.partnership)
    small = _queries(scope)
    # Triple the data: more months, agencies, pairs, categories and stages.
    for month in (4, 5, 6, 7, 8, 9):
        for urgency, receiving in ((Urgency.STANDARD, cast.health), (Urgency.CHILD_PROTECTION, cast.police)):
            e = raise_(cast, london(2026, month, 8, 10, 0), receiving=receiving, urgency=urgency)
            services.escalation_escalate(
                escalation=e, acting_user=cast.practitioner, evidence="e", at=london(2026, month, 9)
            )
    with django_assert_num_queries(small):
        build_dashboard(scope, now=NOW)
    assert small <= 12


# --- working days and medians -------------------------------------------------------------------------------


def test_working_days_from_a_running_total_agree_with_the_calendar(cast):
    calendar = cast.partnership.working_calendar()
    first, last = date(2025, 12, 1), date(2026, 1, 31)
    days = figures.WorkingDays(calendar, first, last)
    for start in (date(2025, 12, 1), date(2025, 12, 24), date(2025, 12, 27)):
        for end in (date(2025, 12, 29), date(2026, 1, 2), date(2026, 1, 31)):
            assert days.between(start, end) == calendar.working_days_between(start, end)


@pytest.mark.parametrize(
    "counts, median", [({}, None), ({3: 1}, 3), ({1: 1, 11: 1}, 6), ({1: 2, 5: 1}, 1), ({0: 1, 2: 2, 9: 1}, 2)]
)
def test_weighted_median(counts, median):
    assert figures.weighted_median(counts) == median


def test_quarters():
    assert Quarter.parse("2026-Q3") == Quarter(2026, 3)
    assert Quarter.parse("2026-q1") == Quarter(2026, 1)
    assert Quarter.parse("2026-Q5") is None
    assert Quarter.parse("nonsense") is None
    assert (Quarter(2026, 3).first, Quarter(2026, 3).last) == (date(2026, 7, 1), date(2026, 9, 30))
    assert Quarter(2026, 4).next() == Quarter(2027, 1)
    assert Quarter.of(date(2026, 12, 31)) == Quarter(2026, 4)
    assert Quarter(2026, 1).label == "January to March 2026"


# --- the learning report -------------------------------------------------------------------------------------


def rows(report, key):
    return report.section(key).rows


def test_learning_report_for_a_quarter(fixed):
    cast, e = fixed
    report = build_learning_report(cast.partnership, Quarter(2026, 1), now=NOW)
    assert dict(rows(report, "summary")) == {
        "Escalations raised": 6,
        "Escalations resolved": 2,
        "Escalations withdrawn": 1,
        "Formal use of the procedure (partnership stage reached)": 0,
        "Stage deadlines met": 5,
        "Stage deadlines missed": 3,  # E5's stage 1 falls due on 1 April, in the next quarter
        "Timescale adherence (%)": 62.5,
        "Median working days from raised to resolved": 6.0,
        "Lessons learnt recorded": 2,
        "Multi-agency case reviews recommended": 1,
    }
    assert rows(report, "themes")[0] == [Category.THRESHOLD.label, 3, 50.0]
    assert [r[0] for r in rows(report, "timescales")] == [
        "Stage 1: direct professional to professional discussion",
        "Stage 2: direct manager to manager discussion",
        "Stage 3: senior manager to senior manager discussion",
    ]
    assert [r[1:] for r in rows(report, "timescales")] == [[3, 2, 60.0], [2, 0, 100.0], [0, 1, 0.0]]
    assert [r[1:] for r in rows(report, "resolved")] == [[1, 50.0, 1.0], [1, 50.0, 11.0]]
    lessons = rows(report, "lessons")
    assert [(r[0], r[6]) for r in lessons] == [
        (e["e1"].reference, "Share the referral outcome in writing."),
        (e["e2"].reference, "Agree a joint chronology early."),
    ]
    assert [r[0] for r in rows(report, "reviews")] == [e["e2"].reference]
    assert rows(report, "formal") == []


def test_learning_report_of_another_quarter_and_partnership(fixed):
    cast, _ = fixed
    empty = build_learning_report(cast.partnership, Quarter(2025, 4), now=NOW)
    assert dict(rows(empty, "summary"))["Escalations raised"] == 0
    assert all(not s.rows for s in empty.sections if s.key != "summary")
    cumberland = build_learning_report(cast.outsider_partnership, Quarter(2026, 1), now=NOW)
    assert dict(rows(cumberland, "summary"))["Escalations raised"] == 2
    assert dict(rows(cumberland, "summary"))["Lessons learnt recorded"] == 0


def test_formal_use_of_the_procedure_is_reported(cast):
    """An escalation taken to the partnership stage (stage 5) is reported with its arrangement."""
    e = raise_(cast, london(2026, 7, 6, 10, 0))
    moves = [
        (cast.other_practitioner, cast.practitioner),
        (cast.other_manager, cast.manager),
        (cast.other_senior_manager, cast.senior_manager),
        (cast.other_director, cast.director),
    ]
    for day, (acknowledger, escalator) in enumerate(moves, start=6):
        services.escalation_acknowledge(escalation=fresh(e), acting_user=acknowledger, at=london(2026, 7, day, 11))
        services.escalation_escalate(
            escalation=fresh(e), acting_user=escalator, evidence="Tried.", at=london(2026, 7, day, 15)
        )
    services.escalation_acknowledge(escalation=fresh(e), acting_user=cast.chair, at=london(2026, 7, 10, 11))
    report = build_learning_report(cast.partnership, Quarter(2026, 3), now=london(2026, 10, 1, 9))
    assert rows(report, "formal")[0][4] == "Not arranged yet"
    review_arrange(
        escalation=fresh(e),
        acting_user=cast.business_manager,
        arrangement=PanelRule.MEDIATION,
        chair=Membership.objects.get(user=cast.police_senior_manager),
    )
    services.stage_record_decision(escalation=fresh(e), acting_user=cast.business_manager, decision="Assess now.")
    report = build_learning_report(cast.partnership, Quarter(2026, 3), now=london(2026, 10, 1, 9))
    formal = rows(report, "formal")
    assert len(formal) == 1
    assert formal[0][0] == e.reference
    assert formal[0][4] == "Mediation"
    assert formal[0][5] == "Assess now."
    board = build_dashboard(Scope(cast.partnership), now=london(2026, 10, 1, 9))
    assert headline(board)["Reached the partnership stage"] == 1


def test_report_quarters_run_from_the_first_escalation_to_today(fixed):
    cast, _ = fixed
    quarters = learning_report.report_quarters(cast.partnership, date(2026, 11, 23))
    assert [q.slug for q in quarters] == ["2026-Q4", "2026-Q3", "2026-Q2", "2026-Q1"]


def test_person_from_another_partnership_with_a_role_here_too_sees_both(fixed):
    cast, _ = fixed
    person_ = person("two-hats", cast.outsider_partnership, Role.BUSINESS_MANAGER)
    from partnerships.models import Membership

    Membership.objects.create(user=person_, partnership=cast.partnership, role=Role.AUDITOR)
    assert {p.slug for p in dashboard.oversight_partnerships(person_)} == {"five-stage", "cumberland"}


def test_a_month_with_no_escalations_shows_as_0_in_the_trend(cast):
    raise_(cast, london(2026, 1, 12, 10, 0))
    raise_(cast, london(2026, 3, 9, 10, 0))
    board = build_dashboard(Scope(cast.partnership), now=NOW)
    assert table(board, "months") == {
        "January 2026": [1, 0, 0, 1],
        "February 2026": [0, 0, 0, 0],
        "March 2026": [1, 0, 0, 1],
    }
    # A filter's dates set the span, so a quiet month at either end shows too.
    board = build_dashboard(
        Scope(cast.partnership, raised_from=date(2025, 12, 1), raised_to=date(2026, 3, 31)), now=NOW
    )
    assert list(table(board, "months")) == ["December 2025", "January 2026", "February 2026", "March 2026"]


def test_the_median_figure_leads_to_the_medians_by_stage_not_the_resolved_list(fixed):
    cast, _ = fixed
    board = build_dashboard(Scope(cast.partnership), now=NOW)
    links = {label: cell.url for label, cell in board.headline}
    assert links["Median working days from raised to resolved"] == "#figure-resolved"
    assert links["Resolved"] != links["Median working days from raised to resolved"]
    assert any("Median" in column for column in figure(board, "resolved").columns)


# --- the stages are counted by their own partnership column ----------------------------------------------


def test_every_stage_names_its_escalations_partnership_and_the_dashboard_reads_it_without_the_escalations(
    fixed,
):
    from escalation.models import StageOccurrence

    cast, _ = fixed
    assert StageOccurrence.objects.exists()
    assert not StageOccurrence.objects.exclude(partnership_id=F("escalation__partnership_id")).exists()
    with CaptureQueriesContext(connection) as captured:
        build_dashboard(Scope(cast.partnership), now=NOW)
    stage_queries = [q["sql"] for q in captured if 'FROM "escalation_stageoccurrence"' in q["sql"]]
    assert stage_queries and all('JOIN "escalation_escalation"' not in sql for sql in stage_queries)
