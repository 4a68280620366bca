"""Bad input never yields a 500 (issue 7, "Headers and hardening").

A Hypothesis property test posts random and hostile values to every form and action of
the project — raise, add a child, find a child, discussion, acknowledge, escalate, resolve,
withdraw, close, urgency, decision, arrange, action status, notifications read, the
deadline calculator, sign-in, and the retention hold, release and dispose pages — as the
person the page is for and as people it is not for (another agency, another partnership,
an auditor, nobody signed in). Values: overlong text (100,000 characters), HTML and
script, SQL fragments, NUL and control characters, unicode, numbers negative and huge,
malformed dates, lists where one value is expected, other partnerships' ids, random and
invalid uuids, in the path as well as in the form, sent multipart or urlencoded.

For every request:
- the status is one of 200, 302, 400, 403, 404, 405, 429, and an exception in a view fails
  the test (the test client's default: it re-raises, so a 500 cannot hide);
- when the request is refused (4xx, a form shown again with errors, a redirect carrying an
  error message, a redirect to sign-in, or any GET), nothing was written: the rows of
  Escalation, StageOccurrence, RecordEntry, Discussion, Action, Resolution, Child,
  Notification, PartnershipReview, PanelMember, RetentionDecision — and the fields the
  actions change — are exactly as before;
- no page echoes hostile markup unescaped: neither the response nor, after an accepted
  request, the escalation's page, each child's file and the retention review;
- sign-in never redirects off the site.

Each example runs in a savepoint that is rolled back, so every example starts from the
same world. The number of examples per page is printed at the end of the run.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser
from urllib.parse import urlencode

import pytest
from django.contrib import messages
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st

from cases.models import Child, RecordEntry
from escalation import services
from escalation.models import (
    Action,
    Discussion,
    Escalation,
    Notification,
    PanelMember,
    PartnershipReview,
    Resolution,
    RetentionDecision,
    StageOccurrence,
)
from escalation.states import ActionStatus, Category, DiscussionMethod
from partnerships.choices import Nation, PanelRule, Role, TimescaleUnit, Urgency
from partnerships.models import Membership
from tests import climbing
from tests.conftest import build_cast, london
from tests.factories import PASSWORD, AgencyFactory, ChildFactory

pytestmark = pytest.mark.django_db

ALLOWED = {200, 302, 400, 403, 404, 405, 429}
# /health/ answers 503 when a part is failing (here: the watcher has never run), on purpose.
ALLOWED_BY_NAME = {"health": ALLOWED | {503}}
EXAMPLES_PER_PAGE = 35

TRIED: Counter = Counter()
STATUSES: Counter = Counter()
ACCEPTED: Counter = Counter()

# --- hostile values ---------------------------------------------------------------------------

# Markup whose raw form must never come back in a page (each is changed by HTML escaping).
MARKUP = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg/onload=alert('xss')>",
    "</textarea><script>alert(document.cookie)</script>",
    '<a href="javascript:alert(1)">click</a>',
    "<iframe srcdoc='<script>alert(1)</script>'></iframe>",
]
SQL = [
    "' OR 1=1 --",
    "'; DROP TABLE escalation_escalation; --",
    '" OR ""="',
    "1; SELECT pg_sleep(10)",
    "%' UNION SELECT username, password FROM auth_user --",
    "\\'; --",
]
CONTROL = ["\x00", "Ellie\x00Hart", "\r\n\r\nSet-Cookie: a=b", "\t\x0b\x0c", "\x1b[31m", "\u202eevil", "\ufeff", "\x7f"]
UNICODE = ["Zoë Ōkafor-Nguyễn", "😀👶🏽👨‍👩‍👧", "\u0301" * 40, "𝕳𝖆𝖗𝖙", "İıßẞ", "مرحبا", "中文名字", "\uffff"]
TEMPLATE = ["{{ 7*7 }}", "{% debug %}", "${7*7}", "%s%s%s%n", "{0.__class__}", "../../../../etc/passwd"]
NUMBERS = [
    "-1",
    "0",
    "1",
    "-99999999999999999999",
    "99999999999999999999999999999",
    "9223372036854775808",
    "1e309",
    "NaN",
    "-0",
    "3.14",
    "0x1F",
    "",
    " ",
]
DATES = [
    "31/02/2026",
    "00/00/0000",
    "29/02/2027",
    "01/01/0001",
    "31/12/9999",
    "9999-12-31",
    "0001-01-01",
    "2026-13-45",
    "32/01/2026",
    "23/12/2026 25:61",
    "31/12/9999 23:59",
    "01/01/0001 00:00",
    "2026-12-23T10:00",
    "yesterday",
    "1/1/1 1:1",
    "23/12/2026 14:30",
    "14/03/2015",
]
BAD_UUIDS = [
    "not-a-uuid",
    "00000000-0000-0000-0000-000000000000",
    "{12345678-1234-5678-1234-567812345678}",
    "12345678123456781234567812345678",
    "1",
    "' OR 1=1 --",
]
OVERLONG = [
    "A" * 100_000,
    "A" * 99_970 + MARKUP[0],
    "ü" * 100_000,
    ("<b>" * 10_000),
]
ABSENT = object()  # the field is left out
# A failing example is printed as drawn (each draw is labelled), not shrunk: shrinking a
# request-level failure can take minutes, and each finding gets a deterministic test below.
NO_SHRINKING = (Phase.explicit, Phase.reuse, Phase.generate)


def wrapped_markup():
    return st.builds(lambda a, m, b: a + m + b, st.text(max_size=20), st.sampled_from(MARKUP), st.text(max_size=20))


def hostile(ids: list[str]):
    """Any one hostile value (or a list of them where one value is expected)."""
    scalar = st.one_of(
        st.sampled_from(MARKUP + SQL + CONTROL + UNICODE + TEMPLATE),
        wrapped_markup(),
        st.sampled_from(NUMBERS),
        st.integers().map(str),
        st.sampled_from(DATES),
        st.sampled_from(ids + BAD_UUIDS),
        st.uuids().map(str),
        st.text(max_size=300),
        st.sampled_from(OVERLONG),
    )
    return st.one_of(scalar, scalar, scalar, st.lists(scalar, min_size=2, max_size=4))


def text_value():
    """Free text a form accepts: plausible, hostile-but-valid, or random."""
    return st.one_of(
        st.sampled_from(["The referral was refused.", "Two phone calls; no reply.", "Agreed: a strategy meeting."]),
        wrapped_markup(),
        st.sampled_from(MARKUP + SQL + UNICODE + TEMPLATE),
        st.text(min_size=1, max_size=200),
    )


def choice(values):
    return st.sampled_from([str(v) for v in values])


# --- the world ---------------------------------------------------------------------------------


@dataclass
class World:
    cast: object
    escalations: dict  # name -> Escalation
    action: Action
    other: dict  # another partnership's escalation, child, action, agency, membership
    ids: list[str] = field(default_factory=list)  # other partnerships' ids and pks, as strings


def raise_for(cast, children, urgency=Urgency.STANDARD):
    return services.escalation_raise(
        raised_by=cast.practitioner,
        raising_agency=cast.school,
        receiving_agency=cast.csc,
        children=children,
        category=Category.THRESHOLD,
        concern="The referral was refused.",
        why_unsafe="Bruising was seen twice this term.",
        outcome_sought="A strategy discussion.",
        urgency=urgency,
        at=london(2026, 11, 2, 10, 0),
    )


def fresh(escalation):
    return Escalation.objects.get(pk=escalation.pk)


def build_world() -> World:
    cast = build_cast()
    both = [cast.child, cast.sibling]
    e_open = raise_for(cast, both)
    e_ack = raise_for(cast, both)
    services.escalation_acknowledge(escalation=e_ack, acting_user=cast.other_practitioner)
    action = Action.objects.create(
        escalation=e_ack, description="Visit at home", owner=cast.manager, owner_name="TM", due_on=date(2026, 12, 1)
    )
    e_resolved = raise_for(cast, [cast.child])
    services.escalation_acknowledge(escalation=e_resolved, acting_user=cast.other_practitioner)
    services.escalation_resolve(
        escalation=fresh(e_resolved), acting_user=cast.other_practitioner, outcome="A strategy meeting."
    )
    e_final = raise_for(cast, [cast.sibling])
    climbing.climb(e_final, 5, by=cast.practitioner, evidence="We talked.")
    grown_up = ChildFactory(
        partnership=cast.partnership, first_name="Old", last_name="Record", date_of_birth=date(1990, 5, 5)
    )
    e_due = raise_for(cast, [grown_up])
    services.escalation_withdraw(escalation=e_due, acting_user=cast.practitioner, reason="Resolved informally.")

    # Another partnership's escalation, child and action: their ids must find nothing here.
    elsewhere = cast.outsider_partnership
    their_agency = AgencyFactory(partnership=elsewhere, name="Cumberland Children's Services")
    their_child = ChildFactory(partnership=elsewhere, first_name="Other", last_name="Child")
    their_escalation = services.escalation_raise(
        raised_by=cast.outsider,
        raising_agency=Membership.objects.get(user=cast.outsider).agency,
        receiving_agency=their_agency,
        children=[their_child],
        category=Category.OTHER,
        concern="Elsewhere.",
        why_unsafe="Elsewhere.",
        outcome_sought="Elsewhere.",
        at=london(2026, 11, 2, 10, 0),
    )
    their_action = Action.objects.create(escalation=their_escalation, description="x", due_on=date(2026, 12, 1))
    their_membership = Membership.objects.get(user=cast.outsider)
    other = {
        "escalation": their_escalation,
        "child": their_child,
        "action": their_action,
        "agency": their_agency,
        "membership": their_membership,
    }
    ids = [
        str(their_escalation.public_id),
        str(their_child.public_id),
        str(their_action.public_id),
        str(their_agency.pk),
        str(their_membership.pk),
        str(their_escalation.pk),
        str(their_child.pk),
    ]
    escalations = {"open": e_open, "ack": e_ack, "resolved": fresh(e_resolved), "final": fresh(e_final), "due": e_due}
    return World(cast=cast, escalations=escalations, action=action, other=other, ids=ids)


@pytest.fixture
def world(db):
    return build_world()


def signed_in(user) -> Client:
    """A client signed in as `user`, past the second step of two-factor sign-in where the
    project has one (the same as the `client` fixture's force_login in tests/conftest.py)."""
    client = Client()
    client.force_login(user)
    try:
        from django_otp import DEVICE_ID_SESSION_KEY

        from tests.conftest import verified_device_for
    except ImportError:
        return client
    device = verified_device_for(user)
    if device is not None:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


# --- the pages ---------------------------------------------------------------------------------

EVERYONE_WRONG = ["outsider", "auditor", "police_senior_manager", "panel_member", "manager", "anonymous"]


@dataclass
class Page:
    url_name: str
    method: str = "POST"
    target: str | None = None  # which escalation is in the URL
    right: tuple = ()  # who the page is for
    fields: callable = None  # world -> {name: strategy of valid values}
    seen: bool = False  # the form carries the state and stage the person saw
    query: callable = None  # world -> {name: strategy} for the query string


def seen_fields(escalation):
    return {
        "seen_state": st.just(escalation.state),
        "seen_stage": st.just(str(escalation.stage_number)),
    }


def raise_fields(w):
    c = w.cast
    return {
        "children": st.sampled_from([[str(c.child.public_id)], [str(c.child.public_id), str(c.sibling.public_id)]]),
        "receiving_agency": choice([c.csc.pk, c.police.pk]),
        "receiving_professional": text_value(),
        "category": choice(Category.values),
        "concern": text_value(),
        "why_unsafe": text_value(),
        "outcome_sought": text_value(),
        "urgency": choice(Urgency.values),
    }


def child_fields(w):
    return {
        "first_name": text_value(),
        "last_name": text_value(),
        "date_of_birth": st.sampled_from(["14/03/2015", "2016-01-31", "01/01/0001"]),
        "local_reference": st.sampled_from(["NHS 943 476 5919", "LCS-1"]),
        "parents_carers": text_value(),
        "lead_practitioner": text_value(),
        "continuum_of_need": choice(["", "1", "2", "3", "4"]),
    }


def discussion_fields(w):
    fields = {
        "held_at": st.sampled_from(["23/12/2026 14:30", "2026-11-03T09:00", "01/01/0001 00:00", "31/12/9999 23:59"]),
        "method": choice(DiscussionMethod.values),
        "participants": text_value(),
        "areas_of_agreement": text_value(),
        "areas_of_disagreement": text_value(),
        "outcome": text_value(),
    }
    for i in range(1, 4):
        fields[f"action_{i}_description"] = text_value()
        fields[f"action_{i}_owner"] = text_value()
        fields[f"action_{i}_due_on"] = st.sampled_from(["08/01/2027", "2027-01-08", "01/01/0001", "31/12/9999"])
    return fields


def resolve_fields(w):
    return {
        "agreed_outcome": text_value(),
        "issues_raised": text_value(),
        "lessons_learnt": text_value(),
        "main_reason": choice(Category.values),
        "practitioners_informed": text_value(),
        "family_informed": choice(["yes", "no"]),
        "family_not_informed_reason": text_value(),
        "case_review_recommended": choice(["yes", "no"]),
        "reason_not_met": text_value(),
    }


def arrange_fields(w):
    c = w.cast
    people = Membership.objects.filter(partnership=c.partnership)
    pks = [str(pk) for pk in people.values_list("pk", flat=True)]
    return {
        "arrangement": choice([PanelRule.MEDIATION, PanelRule.RESOLUTION_PANEL, PanelRule.IMPARTIAL_MEMBER]),
        "chair": st.sampled_from(pks),
        "members": st.lists(st.sampled_from(pks), max_size=4, unique=True),
        "meeting_at": st.sampled_from(["12/01/2027 10:00", "", "31/12/9999 23:59"]),
    }


def calculator_fields(w):
    return {
        "start": st.sampled_from(["23/12/2026 10:00", "2026-12-23T10:00", "31/12/9999 23:00", "01/01/0001 00:00"]),
        "stage": choice(["", "1", "2", "3", "4", "5"]),
        "urgency": choice(Urgency.values),
        "amount": st.one_of(st.integers(0, 365).map(str), st.just("")),
        "unit": choice([""] + TimescaleUnit.values),
        "nation": choice(Nation.values),
    }


def login_fields(w):
    return {
        "username": st.sampled_from(["practitioner", "business-manager", "nobody"]),
        "password": st.sampled_from([PASSWORD, "wrong-password"]),
        "next": st.sampled_from(["/escalations/", "https://evil.example/", "//evil.example/", "javascript:alert(1)"]),
    }


def reason_fields(w):
    return {"reason": text_value()}


PAGES = [
    Page(
        "escalation:raise",
        right=("practitioner", "manager"),
        fields=raise_fields,
        query=lambda w: {"child": st.just(str(w.cast.child.public_id))},
    ),
    Page("escalation:add-child", right=("practitioner", "other_practitioner"), fields=child_fields),
    Page(
        "escalation:find-child",
        method="GET",
        right=("practitioner", "other_practitioner"),
        fields=lambda w: {
            "q": st.sampled_from(["Ellie", "Hart", "14/03/2015", "2015-03-14"]),
            "child": st.just(str(w.cast.child.public_id)),
        },
    ),
    Page(
        "escalation:discussion", target="open", right=("practitioner", "other_practitioner"), fields=discussion_fields
    ),
    Page("escalation:acknowledge", target="open", right=("other_practitioner",), fields=lambda w: {}, seen=True),
    Page(
        "escalation:escalate",
        target="open",
        right=("practitioner", "other_practitioner"),
        fields=lambda w: {"evidence": text_value(), "reason_not_met": text_value()},
        seen=True,
    ),
    Page(
        "escalation:resolve",
        target="ack",
        right=("practitioner", "other_practitioner"),
        fields=resolve_fields,
        seen=True,
    ),
    Page(
        "escalation:withdraw",
        target="open",
        right=("practitioner", "business_manager"),
        fields=reason_fields,
        seen=True,
    ),
    Page(
        "escalation:close",
        target="resolved",
        right=("practitioner", "business_manager", "chair"),
        fields=lambda w: {},
        seen=True,
    ),
    Page(
        "escalation:urgency",
        target="open",
        right=("practitioner", "other_practitioner"),
        fields=lambda w: {"urgency": choice(Urgency.values), "reason": text_value()},
        seen=True,
    ),
    Page(
        "escalation:decision",
        target="final",
        right=("business_manager", "chair", "panel_member"),
        fields=lambda w: {"decision": text_value()},
    ),
    Page("escalation:arrange", target="final", right=("business_manager", "chair"), fields=arrange_fields),
    Page(
        "escalation:action-status",
        target="ack",
        right=("practitioner", "other_practitioner", "manager"),
        fields=lambda w: {"status": choice(ActionStatus.values)},
    ),
    Page(
        "escalation:notifications-read",
        right=("practitioner", "business_manager"),
        fields=lambda w: {"public_ids": st.just(str(w.other["escalation"].public_id))},
    ),
    Page(
        "partnerships:deadline-calculator", method="GET", right=("business_manager", "chair"), fields=calculator_fields
    ),
    Page("login", right=("anonymous",), fields=login_fields),
    Page("admin:login", right=("anonymous",), fields=login_fields),
    Page("retention:hold", target="due", right=("business_manager",), fields=reason_fields),
    Page("retention:release", target="due", right=("business_manager",), fields=reason_fields),
    Page(
        "retention:dispose",
        target="due",
        right=("business_manager",),
        fields=lambda w: {"reason": text_value(), "confirm": st.sampled_from(["on", "yes", "true"])},
    ),
    Page(
        "retention:due",
        method="GET",
        right=("business_manager",),
        fields=lambda w: {"page": st.sampled_from(["1", "2"])},
    ),
]
PAGE_NAMES = [p.url_name for p in PAGES]
SIGN_IN_PAGES = {"login", "admin:login"}


# --- what is checked ----------------------------------------------------------------------------


COUNTED = [
    Escalation,
    StageOccurrence,
    RecordEntry,
    Discussion,
    Action,
    Resolution,
    Child,
    Notification,
    PartnershipReview,
    PanelMember,
    RetentionDecision,
]
COUNT_SQL = "SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {m._meta.db_table})" for m in COUNTED)


def fingerprint() -> tuple:
    """Everything a form or action on these pages can write: row counts of every table they
    write to (one query) and the fields the actions change."""
    with connection.cursor() as cursor:
        cursor.execute(COUNT_SQL)
        counts = tuple(cursor.fetchone())
    return (
        counts,
        tuple(
            Escalation.objects.order_by("pk").values_list(
                "state", "stage_number", "urgency", "withdrawn_reason", "legal_hold", "disposed_at", "concern"
            )
        ),
        tuple(
            StageOccurrence.objects.order_by("pk").values_list(
                "acknowledged_at", "decision", "closed_at", "due_at", "evidence_of_previous_efforts"
            )
        ),
        tuple(Action.objects.order_by("pk").values_list("status", "description")),
        tuple(Child.objects.order_by("pk").values_list("first_name", "last_name", "date_of_birth", "parents_carers")),
        tuple(Notification.objects.order_by("pk").values_list("read_at", "email_status")),
    )


def error_messages(response) -> list[str]:
    storage = getattr(response.wsgi_request, "_messages", None)
    queued = getattr(storage, "_queued_messages", [])
    return [m.message for m in queued if m.level >= messages.ERROR]


def refused(page: Page, response) -> bool:
    status = response.status_code
    if status >= 400 or page.method == "GET":
        return True
    if status == 200:  # the form again, with its errors (or a page explaining why not)
        return True
    if status == 302 and response["Location"].startswith(reverse("login")) and page.url_name not in SIGN_IN_PAGES:
        return True
    return bool(error_messages(response))


RAW = re.compile("|".join(re.escape(m) for m in MARKUP + ["<img src=x", "<svg/onload", "<script>alert"]))


def assert_escaped(html: str, where: str) -> None:
    found = RAW.search(html)
    assert found is None, f"unescaped markup {found.group(0)!r} in {where}"


def pages_showing_what_was_written(page: Page, target) -> list[str]:
    if page.url_name == "escalation:raise":
        target = Escalation.objects.order_by("-pk").first()
    if page.url_name == "escalation:add-child":
        return [reverse("cases:child-file", args=[Child.objects.order_by("-pk").first().public_id])]
    if target is None:
        return []
    urls = [reverse("escalation:detail", args=[target.public_id])]
    urls += [reverse("cases:child-file", args=[c.public_id]) for c in fresh(target).children.all()[:1]]
    if page.url_name.startswith("retention:"):
        urls.append(reverse("retention:due"))
    return urls


def check_pages_after(page: Page, reader: Client, target) -> None:
    """After an accepted request: the pages that show what was written escape it, read by
    the person who wrote it (who may see them: another partnership's practitioner adding a
    child adds it to their own partnership)."""
    for url in pages_showing_what_was_written(page, target):
        response = reader.get(url)
        assert response.status_code == 200, url
        assert_escaped(response.content.decode(), url)


# --- the property --------------------------------------------------------------------------------


def draw_url(data, world: World, page: Page):
    if page.target is None:
        return reverse(page.url_name), None
    target = world.escalations[page.target]
    choices = ["right"] * 6 + ["other-partnership", "random-uuid", "sibling-escalation", "not-a-uuid"]
    how = data.draw(st.sampled_from(choices), label="url")
    event(f"url: {how}")
    if how == "not-a-uuid":
        base = reverse(
            page.url_name,
            args=[
                "00000000-0000-0000-0000-000000000000",
                *(["00000000-0000-0000-0000-000000000000"] if page.url_name == "escalation:action-status" else []),
            ],
        )
        bad = data.draw(st.sampled_from(["1", "' OR 1=1 --", "%00", "..%2F..", "<script>", "9" * 40]))
        return base.replace("00000000-0000-0000-0000-000000000000", bad, 1), None
    # The escalation the URL really names (None when it names nothing).
    if how == "right":
        escalation = target
    elif how == "other-partnership":
        escalation = world.other["escalation"]
    elif how == "sibling-escalation":
        escalation = data.draw(st.sampled_from(list(world.escalations.values())), label="sibling")
    else:
        escalation = None
    public_id = escalation.public_id if escalation is not None else data.draw(st.uuids(), label="random uuid")
    args = [public_id]
    if page.url_name == "escalation:action-status":
        action_id = data.draw(
            st.one_of(st.sampled_from([world.action.public_id] * 3 + [world.other["action"].public_id]), st.uuids()),
            label="action id",
        )
        args.append(action_id)
    return reverse(page.url_name, args=args), escalation


def draw_payload(data, world: World, page: Page, target) -> dict:
    valid = dict(page.fields(world))
    if page.seen and target is not None:
        valid.update(seen_fields(fresh(target)))
    payload = {}
    for name, strategy in valid.items():
        kind = data.draw(st.sampled_from(["valid"] * 3 + ["hostile", "absent"]), label=f"{name} kind")
        if kind == "absent":
            continue
        value = data.draw(strategy if kind == "valid" else hostile(world.ids), label=name)
        payload[name] = value
    # Sometimes a field nobody asked for, or the form's own fields under hostile names.
    if data.draw(st.booleans(), label="extra field"):
        payload[data.draw(st.sampled_from(["id", "pk", "state", "partnership", "csrfmiddlewaretoken", "x" * 300]))] = (
            data.draw(hostile(world.ids), label="extra")
        )
    return payload


def send(client, page: Page, url: str, payload: dict, encoding: str):
    if page.method == "GET":
        return client.get(url, payload)
    if encoding == "urlencoded":
        return client.post(url, urlencode(payload, doseq=True), content_type="application/x-www-form-urlencoded")
    return client.post(url, payload)


@pytest.fixture(scope="module", autouse=True)
def report_the_count(request):
    yield
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    total = sum(TRIED.values())
    if reporter is None or capture is None or not total:
        return
    with capture.global_and_fixture_disabled():  # printed, not captured
        reporter.write_line("")
        reporter.write_line(
            f"hostile input: {total} requests over {len(TRIED)} pages and raw bodies; "
            f"statuses {dict(sorted(STATUSES.items()))}; accepted (something written) {sum(ACCEPTED.values())}"
        )


@pytest.mark.parametrize("page", PAGES, ids=PAGE_NAMES)
def test_hostile_input_never_yields_a_500_nor_writes_on_refusal_nor_echoes_markup(world, page):
    clients = {}

    def client_for(role):
        if role not in clients:
            clients[role] = Client() if role == "anonymous" else signed_in(getattr(world.cast, role))
        return clients[role]

    for role in set(page.right) | set(EVERYONE_WRONG) | {"business_manager"}:
        client_for(role)  # sessions exist before the examples' savepoints

    actors = list(page.right) * 3 + EVERYONE_WRONG

    @settings(
        max_examples=EXAMPLES_PER_PAGE,
        deadline=None,
        phases=NO_SHRINKING,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=st.data())
    def property_(data):
        with transaction.atomic():
            actor = data.draw(st.sampled_from(actors), label="actor")
            url, target = draw_url(data, world, page)
            payload = draw_payload(data, world, page, target)
            encoding = data.draw(st.sampled_from(["multipart", "urlencoded"]), label="encoding")
            before = fingerprint()
            client = Client() if actor == "anonymous" else client_for(actor)
            response = send(client, page, url, payload, encoding)

            TRIED[page.url_name] += 1
            STATUSES[response.status_code] += 1
            event(f"status {response.status_code}")
            assert response.status_code in ALLOWED, (actor, url, payload)
            body = response.content.decode(errors="replace")
            assert_escaped(body, f"the response to {url}")
            if page.url_name in {"login", "admin:login"} and response.status_code == 302:
                location = response["Location"]
                assert url_has_allowed_host_and_scheme(location, allowed_hosts={"testserver"}), location
            if refused(page, response):
                assert fingerprint() == before, ("written on refusal", actor, url, response.status_code)
            else:
                ACCEPTED[page.url_name] += 1
                event("accepted")
                check_pages_after(page, client, target)
            transaction.set_rollback(True)

    # One example database entry per page, so a failure found once replays on the next run.
    property_._hypothesis_internal_add_digest = page.url_name.encode()
    property_()
    assert TRIED[page.url_name] >= EXAMPLES_PER_PAGE * 0.9


# --- every page of the project, from the URL resolver ---------------------------------------------


class FormFields(HTMLParser):
    """The names (and offered values) of every field in a page's forms."""

    def __init__(self):
        super().__init__()
        self.fields: dict[str, set[str]] = {}
        self._select = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag in ("input", "textarea", "select", "button") and name and name != "csrfmiddlewaretoken":
            values = self.fields.setdefault(name, set())
            if attrs.get("value") is not None:
                values.add(attrs["value"])
            if tag == "select":
                self._select = name
        elif tag == "option" and self._select and attrs.get("value") is not None:
            self.fields[self._select].add(attrs["value"])

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def harvest_fields(world: World, url: str) -> dict[str, list[str]]:
    """The fields the page offers to the people most likely to see its form."""
    found: dict[str, set[str]] = {}
    for role in ("practitioner", "business_manager", "auditor"):
        with transaction.atomic():
            response = signed_in(getattr(world.cast, role)).get(url)
            transaction.set_rollback(True)
        if response.status_code == 200 and response.get("Content-Type", "").startswith("text/html"):
            parser = FormFields()
            parser.feed(response.content.decode())
            for name, values in parser.fields.items():
                found.setdefault(name, set()).update(values)
    return {name: sorted(values) for name, values in found.items()}


def body_of(response) -> str:
    if not response.get("Content-Type", "").startswith("text/html"):
        return ""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode(errors="replace")


EVERY_PAGE_EXAMPLES = 8
EVERY_PAGE_ROLES = [
    "practitioner",
    "other_practitioner",
    "business_manager",
    "chair",
    "auditor",
    "outsider",
    "anonymous",
]


def every_page_property(world: World, name: str, urls: list[str], fields: dict[str, list[str]]):
    @settings(
        max_examples=EVERY_PAGE_EXAMPLES,
        deadline=None,
        phases=NO_SHRINKING,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=st.data())
    def property_(data):
        with transaction.atomic():
            role = data.draw(st.sampled_from(EVERY_PAGE_ROLES), label="actor")
            method = data.draw(st.sampled_from(["POST", "POST", "GET", "PUT"]), label="method")
            target = data.draw(st.sampled_from(urls), label="url")
            payload = {}
            for field_name, offered in fields.items():
                options = [st.sampled_from(offered)] if offered else []
                value = data.draw(
                    st.one_of(*options, text_value(), hostile(world.ids), st.just(ABSENT)), label=field_name
                )
                if value is not ABSENT:
                    payload[field_name] = value
            if data.draw(st.booleans(), label="extra field"):
                payload[data.draw(st.sampled_from(["id", "format", "q", "next", "page"]))] = data.draw(
                    hostile(world.ids), label="extra"
                )
            client = Client() if role == "anonymous" else signed_in(getattr(world.cast, role))
            before = fingerprint()
            if method == "GET":
                response = client.get(target, payload)
            elif method == "PUT":
                response = client.put(target, urlencode(payload, doseq=True), "application/x-www-form-urlencoded")
            else:
                response = client.post(target, payload)
            TRIED["every page"] += 1
            STATUSES[response.status_code] += 1
            assert response.status_code in ALLOWED_BY_NAME.get(name, ALLOWED), (name, role, method, payload)
            assert_escaped(body_of(response), f"{method} {target}")
            if response.status_code >= 400:
                assert fingerprint() == before, ("written on refusal", name, role, method)
            transaction.set_rollback(True)

    return property_


def test_every_page_of_the_project_survives_hostile_input(world):
    """Every URL pattern the resolver knows (so a new page cannot escape), GET, POST and PUT,
    with hostile values in the fields its own forms offer (read from the page) plus some it
    does not: never a 500, never unescaped markup, nothing written when refused with a 4xx."""
    from tests.functional.test_access_every_url import project_url_names, url_for

    args = {
        "escalation": [world.escalations["open"].public_id],
        "child": [world.cast.child.public_id],
        "action": [world.escalations["ack"].public_id, world.action.public_id],
    }
    names = sorted(set(project_url_names()))
    for name in names:
        url = url_for(name, args)
        other = url.replace(str(world.escalations["open"].public_id), str(world.other["escalation"].public_id))
        before = TRIED["every page"]
        every_page_property(world, name, [url, url, url, other], harvest_fields(world, url))()
        assert TRIED["every page"] - before >= EVERY_PAGE_EXAMPLES * 0.8, name
    assert len(names) >= 40


def test_raw_bodies_that_are_not_forms_are_refused_quietly(world):
    """Invalid UTF-8, JSON, an empty body and a file where text is expected, to every POST page."""
    cast = world.cast
    bodies = [
        (b"concern=%FF%FE%00&reason=%C0%AF&children=%ZZ", "application/x-www-form-urlencoded"),
        (b'{"reason": "<script>alert(1)</script>", "children": [1, 2]}', "application/json"),
        (b"", "application/x-www-form-urlencoded"),
        (b"\xff\xfe\x00\x00garbage", "multipart/form-data; boundary=nothing"),
        (
            b'--b\r\nContent-Disposition: form-data; name="reason"; filename="a.exe"\r\n\r\nMZ\x00\r\n--b--\r\n',
            "multipart/form-data; boundary=b",
        ),
    ]
    client = signed_in(cast.business_manager)
    practitioner = signed_in(cast.practitioner)
    tried = 0
    for page in PAGES:
        if page.method != "POST" or page.url_name in SIGN_IN_PAGES:
            continue
        args = []
        if page.target:
            args = [world.escalations[page.target].public_id]
            if page.url_name == "escalation:action-status":
                args.append(world.action.public_id)
        url = reverse(page.url_name, args=args)
        for who in (client, practitioner):
            for body, content_type in bodies:
                before = fingerprint()
                response = who.generic("POST", url, body, content_type=content_type)
                tried += 1
                assert response.status_code in ALLOWED, (url, body)
                assert_escaped(response.content.decode(errors="replace"), url)
                if response.status_code != 302 or error_messages(response):
                    assert fingerprint() == before, (url, body)
    TRIED["raw bodies"] += tried
    assert tried >= 80


def test_the_hostile_markup_is_stored_as_typed_and_shown_escaped(world, client):
    """The positive half: accepted hostile text is kept verbatim and rendered as text."""
    cast = world.cast
    client.force_login(cast.practitioner)
    escalation = world.escalations["open"]
    text = MARKUP[1] + " " + SQL[0]
    response = client.post(
        reverse("escalation:discussion", args=[escalation.public_id]),
        {"held_at": "03/11/2026 09:00", "method": "phone", "participants": MARKUP[0], "outcome": text},
    )
    assert response.status_code == 302
    assert Discussion.objects.get(occurrence__escalation=escalation).outcome == text
    page = client.get(reverse("escalation:detail", args=[escalation.public_id])).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in page
    assert_escaped(page, "the escalation page")


def test_roles_are_what_the_cast_says():
    """Guards the actors the property uses (a renamed role would quietly test nobody)."""
    names = {
        "practitioner",
        "manager",
        "other_practitioner",
        "business_manager",
        "chair",
        "panel_member",
        "auditor",
        "outsider",
        "police_senior_manager",
    }
    from tests.conftest import Cast

    assert names <= set(Cast.__dataclass_fields__)
    assert Role.BUSINESS_MANAGER == "business_manager"


def test_the_number_of_hostile_inputs_tried():
    """Last in the module: every page had its examples (skipped when only part of the module ran)."""
    if not all(TRIED[name] for name in PAGE_NAMES):
        pytest.skip("counts only when the whole module runs")
    total = sum(TRIED.values())
    assert total >= 0.9 * EXAMPLES_PER_PAGE * len(PAGES) + 80, TRIED


@pytest.mark.parametrize(
    "query",
    [
        {"start": "31/12/9999 23:00", "unit": "working_days", "amount": "2"},
        {"start": "31/12/9999 23:00", "unit": "calendar_hours", "amount": "24"},
        {"start": "31/12/9999 23:00", "stage": "1", "urgency": "standard"},
        {"start": "31/12/9999 16:00", "unit": "working_hours", "amount": "8"},
    ],
    ids=["working-days", "calendar-hours", "policy-stage", "working-hours"],
)
def test_the_deadline_calculator_refuses_a_start_at_the_end_of_the_calendar(world, query):
    """Found by the property above: a start on 31/12/9999 overflowed Python's dates (a 500)."""
    client = signed_in(world.cast.business_manager)
    response = client.get(reverse("partnerships:deadline-calculator"), {"urgency": "standard", **query})
    assert response.status_code in {200, 400}
    if response.status_code == 200:
        assert "There is a problem" in response.content.decode()


@pytest.mark.parametrize("member", ["99999999999999999999", "-99999999999999999999", "9223372036854775808"])
def test_arranging_the_partnership_stage_refuses_a_panel_member_id_beyond_64_bits(world, member):
    """Found by the property above: on SQLite a members value beyond a 64-bit integer raised
    OverflowError in ModelMultipleChoiceField (Django's `__in` lookup has no overflow guard)."""
    client = signed_in(world.cast.business_manager)
    escalation = world.escalations["final"]
    chair = Membership.objects.get(user=world.cast.chair)
    before = fingerprint()
    response = client.post(
        reverse("escalation:arrange", args=[escalation.public_id]),
        {"arrangement": PanelRule.MEDIATION, "chair": chair.pk, "members": [member]},
    )
    assert response.status_code == 200 and "There is a problem" in response.content.decode()
    assert fingerprint() == before


@pytest.mark.parametrize("next_value", ["-1", "home-page", "x"])
def test_the_second_step_pages_ignore_a_next_that_is_not_a_path(world, next_value):
    """Found by the every-page property: a `next` without "/" or "." (e.g. "-1") passed the
    same-site check and went to django.shortcuts.redirect(), which took it for a view name:
    NoReverseMatch, a 500. Reproduction: signed in, POST /two-factor/recovery/ with next=-1."""
    url = reverse("two_factor:recovery")
    client = signed_in(world.cast.practitioner)
    for response in (client.post(url, {"next": next_value}), client.get(url, {"next": next_value})):
        assert response.status_code in {200, 302, 400, 403}
        if response.status_code == 302:
            assert response["Location"].startswith("/")


@pytest.mark.parametrize("member", ["panel_member", "auditor", "business_manager"])
def test_arranging_the_partnership_stage_with_a_partnership_role_as_a_panel_member_is_refused_not_a_500(world, member):
    """Found by the property above: the form offers every membership of the partnership,
    but PanelMember.agency is NOT NULL, so choosing someone who holds a partnership role (no
    agency) failed with IntegrityError. Reproduction: as the business manager, arrange a
    mediation chaired by the chair with the panel member as a member."""
    client = signed_in(world.cast.business_manager)
    escalation = world.escalations["final"]
    chair = Membership.objects.get(user=world.cast.chair)
    seat = Membership.objects.get(user=getattr(world.cast, member))
    before = fingerprint()
    response = client.post(
        reverse("escalation:arrange", args=[escalation.public_id]),
        {"arrangement": PanelRule.MEDIATION, "chair": chair.pk, "members": [seat.pk]},
    )
    assert response.status_code in {200, 302}
    if response.status_code == 200 or error_messages(response):
        assert fingerprint() == before


# --- the ends of the calendar in every date filter ---------------------------------------------

CALENDAR_EXTREMES = ["31/12/9999", "9999-12-31", "01/01/0001", "0001-01-01", "31/12/1899", "01/01/2101"]
DATE_FILTERS = ["raised_from", "raised_to"]


def date_filter_response(world, where: str, field: str, value: str):
    client = signed_in(world.cast.business_manager)
    if where == "dashboard":
        return client.get(reverse("dashboard:index"), {field: value})
    if where == "dashboard list":
        return client.get(reverse("dashboard:list"), {field: value})
    data = {"partnership": world.cast.partnership.slug, "format": "csv", field: value}
    return client.post(reverse("exports:index"), data)


@pytest.mark.parametrize("value", CALENDAR_EXTREMES)
@pytest.mark.parametrize("field", DATE_FILTERS)
@pytest.mark.parametrize("where", ["dashboard", "dashboard list", "export"])
def test_every_date_filter_refuses_the_ends_of_the_calendar_with_a_clear_message(world, where, field, value):
    """Found by an outside probe: 31/12/9999 in "raised to" overflowed Python's dates (a 500)."""
    response = date_filter_response(world, where, field, value)
    page = response.content.decode()
    assert response.status_code in {200, 400}, response.status_code
    assert "There is a problem" in page and "govuk-error-summary" in page
    assert "date between 01/01/1900 and 31/12/2100" in page
    assert "attachment" not in response.get("Content-Disposition", "")


@pytest.mark.parametrize("where", ["dashboard", "dashboard list", "export"])
def test_the_widest_allowed_dates_still_filter(world, where):
    client = signed_in(world.cast.business_manager)
    query = {"raised_from": "01/01/1900", "raised_to": "31/12/2100"}
    if where == "export":
        data = {"partnership": world.cast.partnership.slug, "format": "csv", **query}
        response = client.post(reverse("exports:index"), data)
        assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
        return
    name = "dashboard:index" if where == "dashboard" else "dashboard:list"
    response = client.get(reverse(name), query)
    assert response.status_code == 200 and "There is a problem" not in response.content.decode()


@pytest.mark.parametrize("url_name", sorted(SIGN_IN_PAGES))
def test_an_overlong_username_at_either_sign_in_is_a_clear_message_and_records_nothing(world, url_name):
    """Found by an outside probe: 300 characters at /admin/login/ reached django-axes, whose
    record of the failed attempt holds 255 (a 500 on PostgreSQL)."""
    from axes.models import AccessAttempt, AccessFailureLog

    response = Client().post(reverse(url_name), {"username": "a" * 300, "password": "wrong-password"})
    assert response.status_code == 200
    assert "Enter a username of 150 characters or fewer" in response.content.decode()
    assert not AccessAttempt.objects.exists() and not AccessFailureLog.objects.exists()
