"""Benchmark data at COPY speed: ten partnerships and 100,000 escalations with their history.

    createdb -h 127.0.0.1 -U postgres bench_escalations
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_escalations DEBUG=1
    .venv/bin/python manage.py migrate
    .venv/bin/python manage.py bench_data --escalations 100000
    .venv/bin/python manage.py bench_data --watcher-occurrences 1000000   # (a separate *bench* database)

`make bench` does all of this (tests/bench/run.py). It writes only to a PostgreSQL database
whose name contains "bench", and only into one that holds no escalations yet.

The data set: the five policy presets twice (ten partnerships, the second five on editable
copies of the presets), six agencies each with three practitioners and one person in every
other tier, the four partnership roles, and escalations spread over the last three years: most
closed, withdrawn or resolved, the recent ones open. Each has one to five stage occurrences
(deadlines from the partnership's own calendar and policy), acknowledgements, discussions with
agreed actions, one to three children (sibling groups; some children appear in more than one
escalation), an entry on every child's file for every event, the resolution record, and the
notifications the watcher and the services would have written. It is the steady state after
the watcher has run: missed deadlines are recorded as breaches, near ones have been warned,
overdue actions have been notified.

Deterministic: escalation i depends only on (--seed, i, --anchor), and primary keys are
assigned in order, so `--escalations 1000` writes exactly the first 1,000 escalations of
`--escalations 100000` (the benchmark compares query counts on the same pages at both sizes).

`--watcher-occurrences N` instead writes N escalations at their first stage, each with one open
stage occurrence due 14 to 120 days ahead (nothing due, nothing to warn): the data for timing
one watcher run.
"""

from __future__ import annotations

import random
import time
import uuid
from datetime import UTC, datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from cases.models import Child, ContinuumOfNeed, RecordEntry, RecordEntryKind
from escalation.models import (
    Action,
    Discussion,
    EmailStatus,
    Escalation,
    Notification,
    NotificationKind,
    Resolution,
    StageOccurrence,
)
from escalation.states import ActionStatus, Category, DiscussionMethod, StageOutcome, State
from partnerships.choices import ROLE_TIER, AgencyType, Role, Urgency, roles_up_to_rank
from partnerships.models import Agency, Membership, Partnership, Policy
from partnerships.presets import PRESETS
from partnerships.selectors import tier_rank
from partnerships.services import policy_copy, policy_load_preset

PASSWORD = "Safeguarding-Demo-2026"
CHUNK = 2000
TOWNS = [
    "Cumberland",
    "Plymouth",
    "Riverside",
    "Bromley",
    "St Helens",
    "Carlisle",
    "Devonport",
    "Millbrook",
    "Orpington",
    "Haydock",
]
AGENCIES = [
    ("school", "{town} Primary School", AgencyType.EDUCATION),
    ("csc", "{town} Children's Social Care", AgencyType.CHILDRENS_SOCIAL_CARE),
    ("police", "{town} Police", AgencyType.POLICE),
    ("health", "{town} NHS Trust", AgencyType.HEALTH),
    ("nursery", "{town} Little Steps Nursery", AgencyType.EARLY_YEARS),
    ("probation", "{town} Probation Service", AgencyType.PROBATION),
]
# Three practitioners and one person in every other agency tier, per agency.
AGENCY_PEOPLE = [
    (Role.PRACTITIONER, 3),
    (Role.LINE_MANAGER, 1),
    (Role.SAFEGUARDING_LEAD, 1),
    (Role.SENIOR_MANAGER, 1),
    (Role.EXECUTIVE_LEAD, 1),
]
PARTNERSHIP_PEOPLE = [Role.BUSINESS_MANAGER, Role.CHAIR, Role.PANEL_MEMBER, Role.AUDITOR]
FIRST = [
    "Amira", "Ben", "Chloe", "Dev", "Erin", "Femi", "Grace", "Harry", "Isla", "Jon", "Kiran", "Lena", "Mo",
    "Nia", "Oscar", "Priya", "Quinn", "Rosa", "Sam", "Tariq", "Uma", "Vik", "Wren", "Yusuf", "Zara",
]  # fmt: skip
LAST = [
    "Shah", "Morgan", "Evans", "Patel", "Walsh", "Okafor", "Hughes", "Reid", "Khan", "Price", "Doyle", "Hart",
    "Collins", "Barnes", "Nowak", "Ahmed", "Kelly", "Murphy", "Jones", "Taylor", "Brown", "Wilson", "Singh",
]  # fmt: skip
CONCERNS = [
    "The referral about repeated bruising was closed at the front door with no assessment.",
    "Information about the mother's new partner, who has a conviction, has not been shared with the school.",
    "No strategy discussion was held after the child disclosed being hit at home.",
    "The child in need plan has not been reviewed for four months and attendance keeps falling.",
    "The health visitor's concerns about neglect were not taken into account at the assessment.",
    "It is unclear which agency leads on the family now that the early help worker has left.",
]
UNSAFE = [
    "The child is left without a protective plan while the risk is rising.",
    "Without the information the school cannot keep the child safe during the day.",
    "Each delay leaves the children exposed to the same harm that prompted the referral.",
]
SOUGHT = [
    "A strategy discussion this week and a section 47 enquiry if the threshold is met.",
    "Share the risk information with the designated safeguarding lead.",
    "Re-open the assessment and agree a lead professional.",
]
PARTICIPANTS = [
    "Class teacher, designated safeguarding lead, allocated social worker",
    "Team manager (children's social care), school safeguarding lead",
    "Health visitor, social worker, police public protection officer",
]
AGREEMENT = ["Both agencies agree the child needs a multi-agency plan.", "Agreed the chronology is accurate.", ""]
DISAGREEMENT = ["Whether the threshold for a section 47 enquiry is met.", "Who should lead the plan.", ""]
DISCUSSION_OUTCOMES = [
    "Agreed to hold a strategy discussion and share the police information.",
    "No agreement reached; the practitioner will escalate to the next stage.",
    "Agreed a joint home visit and a review in two weeks.",
]
ACTION_TEXTS = [
    "Convene a strategy discussion",
    "Share the police information with the school",
    "Complete the single assessment",
    "Arrange a joint home visit",
    "Send the updated chronology to both agencies",
]
REASONS_NOT_MET = ["The manager was on leave.", "Waiting for information from the police.", "Bank holiday backlog."]
URGENCIES = [(Urgency.STANDARD, 80), (Urgency.CHILD_PROTECTION, 15), (Urgency.IMMEDIATE_RISK, 5)]
STAGES_REACHED = [(1, 45), (2, 25), (3, 15), (4, 10), (5, 5)]
METHODS = [
    (DiscussionMethod.PHONE, 40),
    (DiscussionMethod.VIRTUAL_MEETING, 30),
    (DiscussionMethod.FACE_TO_FACE, 22),
    (DiscussionMethod.EMAIL, 8),
]
CATEGORIES = [c.value for c in Category]
NEEDS = [c.value for c in ContinuumOfNeed]


def weighted(rng: random.Random, pairs):
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def reference(prefix: str, i: int) -> str:
    # A bijection of i (odd multiplier mod 2**32): unique without a lookup, not sequential.
    return f"{prefix}-{(i * 2654435761 + 0x5BD1E995) % 2**32:08X}"


def uuid_from(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


class Copier:
    """COPY rows into a model's table. Columns the caller does not give take the field's
    default, so a field added later with a default does not break the generator."""

    def __init__(self, model):
        self.model = model
        self.table = model._meta.db_table
        self.fields = list(model._meta.concrete_fields)
        self.columns = [f.column for f in self.fields]
        self.attnames = [f.attname for f in self.fields]
        self.defaults = {
            f.attname: (None if f.has_default() and callable(f.default) else f.get_default()) for f in self.fields
        }
        self.rows: list[tuple] = []
        self.written = 0

    def add(self, **values):
        defaults = self.defaults
        self.rows.append(tuple(values[a] if a in values else defaults[a] for a in self.attnames))

    def flush(self, cursor):
        if not self.rows:
            return
        columns = ", ".join(f'"{c}"' for c in self.columns)
        with cursor.copy(f'COPY "{self.table}" ({columns}) FROM STDIN') as copy:
            for row in self.rows:
                copy.write_row(row)
        self.written += len(self.rows)
        self.rows = []


class IdSequence:
    def __init__(self, model):
        self.model = model
        self.next = (model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
        self.start = self.next

    def take(self) -> int:
        value = self.next
        self.next += 1
        return value


class World:
    """The partnerships, their agencies, people and policies (created with the ORM; small)."""

    def __init__(self, partnerships: int, stdout):
        self.stdout = stdout
        self.partnerships = []
        User = get_user_model()
        password = make_password(PASSWORD)
        presets = list(PRESETS.values())
        for index in range(partnerships):
            preset = presets[index % len(presets)]
            round_ = index // len(presets)
            town = TOWNS[index % len(TOWNS)] + (f" {round_ + 1}" if index >= len(TOWNS) else "")
            slug = "bench-" + town.lower().replace(" ", "-")
            policy = policy_load_preset(preset)
            if round_:
                copy_slug = f"{preset.slug}-{round_ + 1}"
                policy = Policy.objects.filter(slug=copy_slug).first() or policy_copy(
                    policy, slug=copy_slug, name=f"{policy.name} (copy {round_ + 1})"
                )
            partnership, _ = Partnership.objects.get_or_create(
                slug=slug, defaults={"name": f"{town} Safeguarding Children Partnership", "policy": policy}
            )
            agencies = []
            wanted = []  # (username, first, last, partnership, agency, role)
            for key, pattern, kind in AGENCIES:
                agency, _ = Agency.objects.get_or_create(
                    partnership=partnership, name=pattern.format(town=town), defaults={"type": kind}
                )
                agencies.append((key, agency))
                for role, count in AGENCY_PEOPLE:
                    for n in range(1, count + 1):
                        wanted.append((f"{slug}-{key}-{role.value.replace('_', '-')}-{n}", agency, role))
            for role in PARTNERSHIP_PEOPLE:
                wanted.append((f"{slug}-{role.value.replace('_', '-')}", None, role))
            User.objects.bulk_create(
                [
                    User(
                        username=username,
                        first_name=FIRST[(index * 7 + k) % len(FIRST)],
                        last_name=LAST[(index * 3 + k * 5) % len(LAST)],
                        email=f"{username}@example.org",
                        password=password,
                    )
                    for k, (username, _, _) in enumerate(wanted)
                ],
                ignore_conflicts=True,
            )
            users = {u.username: u for u in User.objects.filter(username__in=[w[0] for w in wanted])}
            Membership.objects.bulk_create(
                [
                    Membership(
                        user=users[username], partnership=partnership, agency=agency, role=role, job_title=role.label
                    )
                    for username, agency, role in wanted
                ],
                ignore_conflicts=True,
            )
            people: dict[int, dict[int, list]] = {}
            by_role: dict[str, list] = {}
            for username, agency, role in wanted:
                user = users[username]
                if agency is None:
                    by_role.setdefault(role, []).append(user)
                else:
                    people.setdefault(agency.pk, {}).setdefault(tier_rank(ROLE_TIER[role]), []).append(user)
            stages = list(policy.stages.order_by("number"))
            self.partnerships.append(
                {
                    "obj": partnership,
                    "town": town,
                    "policy": policy,
                    "stages": stages,
                    "calendar": partnership.working_calendar(),
                    "agencies": agencies,
                    "people": people,
                    "by_role": by_role,
                }
            )
        # One auditor for every partnership: the export of the whole data set.
        auditor, created = User.objects.get_or_create(
            username="bench-auditor-all",
            defaults={"first_name": "Audrey", "last_name": "Allen", "email": "bench-auditor-all@example.org"},
        )
        if created:
            auditor.password = password
            auditor.save(update_fields=["password"])
        Membership.objects.bulk_create(
            [Membership(user=auditor, partnership=p["obj"], role=Role.AUDITOR) for p in self.partnerships],
            ignore_conflicts=True,
        )
        self._deadlines: dict = {}

    def holder(self, rng, p, agency_id: int, rank: int):
        """Someone at this tier in the agency, or the nearest tier above (as the watcher does)."""
        if rank < 0:
            return None
        if rank >= tier_rank("partnership"):
            return rng.choice(p["by_role"][Role.BUSINESS_MANAGER] + p["by_role"][Role.CHAIR])
        ranks = p["people"][agency_id]
        for r in sorted(k for k in ranks if k >= rank):
            return rng.choice(ranks[r])
        return None

    def deadline(self, p, stage, urgency: str, start: datetime):
        key = (stage.pk, urgency)
        if key not in self._deadlines:
            self._deadlines[key] = p["policy"].timescale_for(stage, urgency)
        timescale, uses_default = self._deadlines[key]
        due = p["calendar"].deadline(start, timescale.amount, timescale.unit)
        return due, timescale.describe(), uses_default


def person_name(user) -> str:
    return user.get_full_name() or user.username if user else "The system"


def london(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%-d %B %Y at %-I:%M%p").replace("AM", "am").replace("PM", "pm")


class Command(BaseCommand):
    help = "Write a realistic benchmark data set (or the watcher's) at COPY speed into a *bench* PostgreSQL database."

    def add_arguments(self, parser):
        parser.add_argument("--escalations", type=int, default=100_000)
        parser.add_argument("--partnerships", type=int, default=10)
        parser.add_argument(
            "--watcher-occurrences",
            type=int,
            default=0,
            help="Instead: this many escalations with one open stage each, nothing due (for the watcher).",
        )
        parser.add_argument("--seed", type=int, default=8)
        parser.add_argument("--years", type=float, default=3.0, help="Escalations are raised over this many years.")
        parser.add_argument(
            "--anchor",
            help="'Now' for the data set (ISO 8601). Give the same anchor to compare two sizes; default: now.",
        )

    def handle(self, *args, escalations, partnerships, watcher_occurrences, seed, years, anchor, **options):
        name = str(connection.settings_dict["NAME"])
        if connection.vendor != "postgresql" or "bench" not in name:
            raise CommandError(
                f"Refusing to write benchmark data into {connection.vendor} database {name!r}: "
                'use a PostgreSQL database whose name contains "bench".'
            )
        if Escalation.objects.exists():
            raise CommandError(f"{name} already holds escalations: benchmark data goes into a fresh database.")
        self.anchor = datetime.fromisoformat(anchor).astimezone(UTC) if anchor else timezone.now()
        self.seed = seed
        started = time.perf_counter()
        with transaction.atomic():
            self.world = World(partnerships, self.stdout)
        self.stdout.write(f"{partnerships} partnerships, people and policies in {time.perf_counter() - started:.1f}s")
        started = time.perf_counter()
        if watcher_occurrences:
            written = self.watcher_data(watcher_occurrences)
        else:
            written = self.escalation_data(escalations, years)
        self.stdout.write(f"wrote {written} in {time.perf_counter() - started:.1f}s")
        started = time.perf_counter()
        if getattr(self, "_superuser", False):
            self.check_references()
        self.finish()
        self.stdout.write(f"sequences reset and tables analysed in {time.perf_counter() - started:.1f}s")

    # --- the realistic data set ---------------------------------------------------------------

    def escalation_data(self, count: int, years: float) -> str:
        self.ids = {m: IdSequence(m) for m in (Escalation, StageOccurrence, Discussion, Action, Child, Resolution)}
        self.ids[RecordEntry] = IdSequence(RecordEntry)
        self.ids[Notification] = IdSequence(Notification)
        through = Escalation.children.through
        self.ids[through] = IdSequence(through)
        self.copiers = {
            m: Copier(m)
            for m in (
                Escalation,
                Child,
                through,
                StageOccurrence,
                Discussion,
                Action,
                Resolution,
                RecordEntry,
                Notification,
            )
        }
        self.families: dict[int, list[tuple[int, str]]] = {}  # escalation index -> [(child id, name)]
        self.span = timedelta(days=365 * years)
        connection.ensure_connection()
        raw = connection.connection
        for offset in range(0, count, CHUNK):
            for i in range(offset, min(offset + CHUNK, count)):
                self.one_escalation(i)
            with transaction.atomic(), raw.cursor() as cursor:
                self.fast_load(cursor)
                for copier in self.copiers.values():
                    copier.flush(cursor)
            done = min(offset + CHUNK, count)
            if done % (CHUNK * 10) == 0 or done == count:
                self.stdout.write(f"  {done} escalations")
        return ", ".join(f"{c.written} {c.model._meta.verbose_name_plural}" for c in self.copiers.values())

    def one_escalation(self, i: int) -> None:
        rng = random.Random(self.seed * 10_000_019 + i)
        world, anchor = self.world, self.anchor
        p = world.partnerships[i % len(world.partnerships)]
        stages = p["stages"]
        (raising_key, raising), (receiving_key, receiving) = rng.sample(p["agencies"], 2)
        raiser = rng.choice(p["people"][raising.pk][0])
        urgency = weighted(rng, URGENCIES)
        category = rng.choice(CATEGORIES)
        age = self.span * rng.random()
        raised_at = anchor - age
        days = age.total_seconds() / 86400
        open_chance = 0.75 if days < 21 else 0.12 if days < 90 else 0.005
        is_open = rng.random() < open_chance
        reached = min(weighted(rng, STAGES_REACHED), len(stages))

        # Stage timeline: each stage lasts a fraction or a multiple of its own timescale, so
        # about a third of stages miss their deadline. An open escalation is placed so that the
        # anchor falls inside its last stage; a closed one that would end after it stays open.
        factors = [rng.uniform(0.2, 1.5) for _ in range(reached)]
        timeline = self.plan(p, urgency, raised_at, factors)
        if is_open:
            last_start, last_length = timeline[-1][0], timeline[-1][5] - timeline[-1][0]
            shift = anchor - (last_start + last_length * rng.uniform(0.1, 1.4))
            raised_at = raised_at + shift
            timeline = self.plan(p, urgency, raised_at, factors)
        while len(timeline) > 1 and timeline[-1][0] >= anchor:
            timeline.pop()
        if timeline[-1][5] >= anchor:
            is_open = True
        reached = len(timeline)
        end = timeline[-1][5]
        if is_open:
            final_state = None
        else:
            final_state = weighted(rng, [(State.CLOSED, 72), (State.RESOLVED, 10), (State.WITHDRAWN, 18)])

        esc_id = self.ids[Escalation].take()
        esc_ref = reference("ESC", i)
        children = self.children_for(rng, i, p, raising, raised_at)
        copiers = self.copiers
        for child_id, _ in children:
            copiers[Escalation.children.through].add(
                id=self.ids[Escalation.children.through].take(), escalation_id=esc_id, child_id=child_id
            )

        def on_files(kind, summary, author, at):
            for child_id, _ in children:
                copiers[RecordEntry].add(
                    id=self.ids[RecordEntry].take(),
                    public_id=uuid_from(rng),
                    child_id=child_id,
                    escalation_id=esc_id,
                    kind=kind,
                    summary=summary,
                    author_id=author.pk if author else None,
                    at=at,
                    corrects_id=None,
                )

        def notify(kind, recipients, occurrence_id, message, at):
            for user_id in sorted({u.pk for u in recipients if u is not None}):
                read = at < anchor - timedelta(days=3) or rng.random() < 0.3
                copiers[Notification].add(
                    id=self.ids[Notification].take(),
                    public_id=uuid_from(rng),
                    recipient_id=user_id,
                    escalation_id=esc_id,
                    occurrence_id=occurrence_id,
                    action_id=None,
                    kind=kind,
                    message=message,
                    created_at=at,
                    read_at=(at + timedelta(hours=rng.uniform(1, 48))) if read and at < anchor else None,
                    email_status=EmailStatus.SENT,
                    email_not_before=at,
                    email_attempts=1,
                    email_claimed_at=at,
                    email_sent_at=at + timedelta(seconds=30),
                    email_last_error="",
                )

        on_files(
            RecordEntryKind.RAISED,
            f"{person_name(raiser)} ({raising.name}) raised disagreement {esc_ref} with {receiving.name} "
            f"({Category(category).label.lower()}; {Urgency(urgency).label.lower()}).",
            raiser,
            raised_at,
        )
        raising_rank = receiving_rank = -1
        state = State.RAISED
        current_due = None
        last_holder = raiser
        for number in range(1, reached + 1):
            stage = stages[number - 1]
            last = number == reached
            started, due_at, out_of_hours, description, uses_default, stage_end = timeline[number - 1]
            closed_at = None if (last and is_open) else stage_end
            horizon = closed_at or anchor
            raiser_rank, receiver_rank = tier_rank(stage.raiser_tier), tier_rank(stage.receiver_tier or None)
            raising_rank, receiving_rank = max(raising_rank, raiser_rank), max(receiving_rank, receiver_rank)
            holder_raising = world.holder(rng, p, raising.pk, raiser_rank) or raiser
            holder_receiving = world.holder(rng, p, receiving.pk, receiver_rank)
            occ_id = self.ids[StageOccurrence].take()
            acknowledged = rng.random() < (0.6 if last and is_open else 0.85)
            ack_at = ack_by = None
            if acknowledged and stage.acknowledgement_required:
                ack_at = started + (horizon - started) * rng.uniform(0.02, 0.3)
                ack_by = holder_receiving or holder_raising
            warned_at = breached_at = None
            if due_at - timedelta(days=1) < horizon or (closed_at is None and due_at < anchor + timedelta(days=7)):
                warned_at = min(max(started, due_at - timedelta(days=1)), horizon)
            if due_at < horizon:
                breached_at = min(due_at + timedelta(minutes=rng.uniform(1, 5)), horizon)
            if last and is_open:
                outcome, met = "", None
                state = State.IN_DISCUSSION if (ack_at or not stage.acknowledgement_required) else State.RAISED
                current_due = due_at
            elif not last:
                outcome, met = StageOutcome.ESCALATED, closed_at <= due_at
            else:
                outcome = StageOutcome.WITHDRAWN if final_state == State.WITHDRAWN else StageOutcome.RESOLVED
                met = closed_at <= due_at
            decision = ""
            if stage.is_partnership_stage and outcome == StageOutcome.RESOLVED:
                decision = "The panel decided that a strategy discussion must be held within two working days."
            copiers[StageOccurrence].add(
                id=occ_id,
                public_id=uuid_from(rng),
                escalation_id=esc_id,
                partnership_id=p["obj"].pk,
                policy_stage_id=stage.pk,
                number=number,
                started_at=started,
                clock_started_at=started,
                due_at=due_at,
                arrived_out_of_hours=out_of_hours,
                uses_default_timescale=uses_default,
                timescale_description=description,
                evidence_of_previous_efforts=(
                    "Two phone calls and a meeting; no agreement on the threshold." if number > 1 else ""
                ),
                acknowledged_at=ack_at,
                acknowledged_by_id=ack_by.pk if ack_by else None,
                warned_at=warned_at,
                breached_at=breached_at,
                decision=decision,
                closed_at=closed_at,
                outcome=outcome,
                timescale_met=met,
                reason_not_met=rng.choice(REASONS_NOT_MET) if met is False else "",
            )
            label = f"stage {number} ({stage.name})"
            if ack_at:
                on_files(
                    RecordEntryKind.ACKNOWLEDGED,
                    f"{person_name(ack_by)} acknowledged {esc_ref} at {label}; due by {london(due_at)}.",
                    ack_by,
                    ack_at,
                )
            if warned_at:
                notify(
                    NotificationKind.WARNING,
                    [holder_raising, holder_receiving, raiser],
                    occ_id,
                    f"{esc_ref}: {label} is due by {london(due_at)} (London time).",
                    warned_at,
                )
            if breached_at:
                next_stage = stages[number] if number < len(stages) else None
                next_people = [raiser]
                if next_stage is not None:
                    next_people += [
                        world.holder(rng, p, raising.pk, tier_rank(next_stage.raiser_tier)),
                        world.holder(rng, p, receiving.pk, tier_rank(next_stage.receiver_tier or None)),
                    ]
                else:
                    next_people += p["by_role"][Role.BUSINESS_MANAGER]
                on_files(
                    RecordEntryKind.BREACHED,
                    f"The deadline for {esc_ref} {label}, due by {london(due_at)}, was missed.",
                    None,
                    breached_at,
                )
                notify(
                    NotificationKind.BREACH,
                    next_people,
                    occ_id,
                    f"{esc_ref}: the deadline for {label} passed at {london(due_at)} (London time).",
                    breached_at,
                )
            # Discussions (with agreed actions) once the stage is under way.
            if ack_at or not stage.acknowledgement_required:
                since = ack_at or started
                for _ in range(weighted(rng, [(0, 30), (1, 50), (2, 20)])):
                    held_at = since + (horizon - since) * rng.uniform(0.1, 0.9)
                    by = rng.choice([h for h in (holder_raising, holder_receiving) if h is not None])
                    method = weighted(rng, METHODS)
                    disc_id = self.ids[Discussion].take()
                    outcome_text = rng.choice(DISCUSSION_OUTCOMES)
                    copiers[Discussion].add(
                        id=disc_id,
                        public_id=uuid_from(rng),
                        occurrence_id=occ_id,
                        held_at=held_at,
                        method=method,
                        participants=rng.choice(PARTICIPANTS),
                        areas_of_agreement=rng.choice(AGREEMENT),
                        areas_of_disagreement=rng.choice(DISAGREEMENT),
                        outcome=outcome_text,
                        recorded_by_id=by.pk,
                        recorded_at=held_at + timedelta(hours=rng.uniform(0.2, 6)),
                    )
                    summary = (
                        f"{person_name(by)} recorded a {DiscussionMethod(method).label.lower()} discussion held "
                        f"{london(held_at)} at {label}. Outcome: {outcome_text}"
                    )
                    actions = []
                    for _ in range(weighted(rng, [(0, 40), (1, 40), (2, 20)])):
                        owner = rng.choice([h for h in (holder_raising, holder_receiving) if h is not None])
                        due_on = (held_at + timedelta(days=rng.randint(3, 20))).date()
                        if is_open:
                            status = ActionStatus.OPEN if rng.random() < 0.6 else ActionStatus.DONE
                        else:
                            status = ActionStatus.DONE if rng.random() < 0.85 else ActionStatus.CANCELLED
                        overdue = status == ActionStatus.OPEN and due_on < anchor.date()
                        text = rng.choice(ACTION_TEXTS)
                        actions.append(f"{text} ({person_name(owner)}, by {due_on:%d/%m/%Y})")
                        copiers[Action].add(
                            id=self.ids[Action].take(),
                            public_id=uuid_from(rng),
                            escalation_id=esc_id,
                            discussion_id=disc_id,
                            description=text,
                            owner_id=owner.pk,
                            owner_name=person_name(owner),
                            due_on=due_on,
                            status=status,
                            overdue_notified_at=(
                                datetime.combine(due_on + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
                                if overdue
                                else None
                            ),
                        )
                    if actions:
                        summary += " Agreed actions: " + "; ".join(actions)
                    on_files(RecordEntryKind.DISCUSSION, summary, by, held_at)
            last_holder = holder_raising
            if not last:
                on_files(
                    RecordEntryKind.ESCALATED,
                    f"{person_name(holder_raising)} escalated {esc_ref} from {label} to stage {number + 1} "
                    f"({stages[number].name}).",
                    holder_raising,
                    stage_end,
                )
            if decision:
                on_files(
                    RecordEntryKind.DECISION,
                    f"{person_name(last_holder)} recorded the partnership's decision on {esc_ref}: {decision}",
                    last_holder,
                    stage_end - timedelta(minutes=30),
                )

        resolved_at = closed_esc_at = None
        withdrawn_reason = ""
        if final_state == State.WITHDRAWN:
            state = State.WITHDRAWN
            closed_esc_at = end
            withdrawn_reason = "The family moved out of the area; the new authority has been told."
            on_files(
                RecordEntryKind.WITHDRAWN,
                f"{person_name(raiser)} withdrew {esc_ref} at stage {reached}. Reason: {withdrawn_reason}",
                raiser,
                end,
            )
        elif final_state in (State.RESOLVED, State.CLOSED):
            state = final_state
            resolved_at = end
            copiers[Resolution].add(
                id=self.ids[Resolution].take(),
                escalation_id=esc_id,
                resolved_on=timezone.localtime(end).date(),
                stage_resolved=reached,
                agreed_outcome="A strategy discussion was held and a child protection plan agreed.",
                issues_raised="Thresholds were applied differently by the two agencies.",
                lessons_learnt="Share police information with schools on the same day.",
                main_reason=category,
                practitioners_informed="Both practitioners and their managers.",
                family_informed=rng.random() < 0.8,
                family_not_informed_reason="",
                case_review_recommended=rng.random() < 0.05,
                recorded_by_id=last_holder.pk,
                recorded_at=end,
            )
            on_files(
                RecordEntryKind.RESOLVED,
                f"{person_name(last_holder)} recorded {esc_ref} as resolved at stage {reached}. "
                "Agreed outcome: a strategy discussion was held and a child protection plan agreed.",
                last_holder,
                end,
            )
            notify(NotificationKind.RESOLVED, [raiser], occ_id, f"{esc_ref} was resolved at stage {reached}.", end)
            if final_state == State.CLOSED:
                closed_esc_at = min(end + timedelta(days=rng.uniform(0.5, 10)), anchor - timedelta(minutes=1))
                on_files(RecordEntryKind.CLOSED, f"{person_name(raiser)} closed {esc_ref}.", raiser, closed_esc_at)

        copiers[Escalation].add(
            id=esc_id,
            public_id=uuid_from(rng),
            reference=esc_ref,
            partnership_id=p["obj"].pk,
            policy_id=p["policy"].pk,
            raised_by_id=raiser.pk,
            raising_agency_id=raising.pk,
            receiving_agency_id=receiving.pk,
            receiving_professional=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
            category=category,
            concern=rng.choice(CONCERNS),
            why_unsafe=rng.choice(UNSAFE),
            outcome_sought=rng.choice(SOUGHT),
            urgency=urgency,
            state=state,
            stage_number=reached,
            raising_tier_reached=raising_rank,
            receiving_tier_reached=receiving_rank,
            raising_holder_roles=roles_up_to_rank(raising_rank),
            receiving_holder_roles=roles_up_to_rank(receiving_rank),
            current_due_at=current_due,
            raised_at=raised_at,
            resolved_at=resolved_at,
            closed_at=closed_esc_at,
            withdrawn_reason=withdrawn_reason,
            legal_hold=False,
            disposed_at=None,
        )

    def plan(self, p, urgency, raised_at, factors):
        """(start, due, out of hours, timescale description, uses default, end) per stage."""
        timeline, moment = [], raised_at
        for number, factor in enumerate(factors, start=1):
            due, description, uses_default = self.world.deadline(p, p["stages"][number - 1], urgency, moment)
            due_at = max(due.due, moment)
            length = max((due_at - moment) * factor, timedelta(minutes=20))
            timeline.append((moment, due_at, due.arrived_out_of_hours, description, uses_default, moment + length))
            moment += length
        return timeline

    def children_for(self, rng, i: int, p, raising, raised_at) -> list[tuple[int, str]]:
        """A new sibling group, or (15%) the children of an earlier escalation in the partnership."""
        partnerships = len(self.world.partnerships)
        earlier = i // partnerships
        if earlier and rng.random() < 0.15:
            back = rng.randint(1, min(earlier, 500))
            family = self.families[i - back * partnerships]
            self.families[i] = family
            return family
        size = weighted(rng, [(1, 55), (2, 30), (3, 15)])
        surname = rng.choice(LAST)
        carer = f"{rng.choice(FIRST)} {surname} (mother)"
        csc = dict(p["agencies"])["csc"]
        family = []
        for _ in range(size):
            child_id = self.ids[Child].take()
            first = rng.choice(FIRST)
            born = (self.anchor - timedelta(days=rng.randint(200, 17 * 365))).date()
            self.copiers[Child].add(
                id=child_id,
                public_id=uuid_from(rng),
                partnership_id=p["obj"].pk,
                first_name=first,
                last_name=surname,
                date_of_birth=born,
                local_reference=f"LCS{rng.randint(1_000_000, 9_999_999)}",
                parents_carers=carer,
                lead_practitioner=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                lead_agency_id=csc.pk,
                continuum_of_need=rng.choice(NEEDS),
                created_by_agency_id=raising.pk,
                created=raised_at,
            )
            family.append((child_id, f"{first} {surname}"))
        self.families[i] = family
        return family

    # --- the watcher's data set --------------------------------------------------------------

    def watcher_data(self, count: int) -> str:
        escalations, occurrences = Copier(Escalation), Copier(StageOccurrence)
        esc_ids, occ_ids = IdSequence(Escalation), IdSequence(StageOccurrence)
        connection.ensure_connection()
        raw = connection.connection
        world = self.world
        chunk = 20_000
        for offset in range(0, count, chunk):
            for i in range(offset, min(offset + chunk, count)):
                rng = random.Random(self.seed * 10_000_019 + i)
                p = world.partnerships[i % len(world.partnerships)]
                stage = p["stages"][0]
                (_, raising), (_, receiving) = rng.sample(p["agencies"], 2)
                raiser = rng.choice(p["people"][raising.pk][0])
                started = self.anchor - timedelta(minutes=rng.randint(0, 3 * 1440))
                due_at = self.anchor + timedelta(minutes=rng.randint(14 * 1440, 120 * 1440))
                esc_id = esc_ids.take()
                escalations.add(
                    id=esc_id,
                    public_id=uuid_from(rng),
                    reference=reference("ESW", i),
                    partnership_id=p["obj"].pk,
                    policy_id=p["policy"].pk,
                    raised_by_id=raiser.pk,
                    raising_agency_id=raising.pk,
                    receiving_agency_id=receiving.pk,
                    receiving_professional="",
                    category=rng.choice(CATEGORIES),
                    concern=CONCERNS[i % len(CONCERNS)],
                    why_unsafe=UNSAFE[i % len(UNSAFE)],
                    outcome_sought=SOUGHT[i % len(SOUGHT)],
                    urgency=Urgency.STANDARD,
                    state=State.RAISED,
                    stage_number=1,
                    raising_tier_reached=tier_rank(stage.raiser_tier),
                    receiving_tier_reached=tier_rank(stage.receiver_tier or None),
                    raising_holder_roles=roles_up_to_rank(tier_rank(stage.raiser_tier)),
                    receiving_holder_roles=roles_up_to_rank(tier_rank(stage.receiver_tier or None)),
                    current_due_at=due_at,
                    raised_at=started,
                    legal_hold=False,
                )
                occurrences.add(
                    id=occ_ids.take(),
                    public_id=uuid_from(rng),
                    escalation_id=esc_id,
                    partnership_id=p["obj"].pk,
                    policy_stage_id=stage.pk,
                    number=1,
                    started_at=started,
                    clock_started_at=started,
                    due_at=due_at,
                    arrived_out_of_hours=False,
                    uses_default_timescale=False,
                    timescale_description="benchmark",
                    timescale_met=None,
                )
            with transaction.atomic(), raw.cursor() as cursor:
                self.fast_load(cursor)
                escalations.flush(cursor)
                occurrences.flush(cursor)
            done = min(offset + chunk, count)
            if done % 200_000 == 0 or done == count:
                self.stdout.write(f"  {done} open stage occurrences")
        return f"{escalations.written} escalations, {occurrences.written} open stage occurrences (nothing due)"

    def fast_load(self, cursor) -> None:
        """As a superuser, skip the foreign-key triggers for this transaction (the ids are ours
        and consistent; `finish` checks them). Otherwise every row is checked at commit."""
        if getattr(self, "_superuser", None) is None:
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            self._superuser = bool(cursor.fetchone()[0])
        if self._superuser:
            cursor.execute("SET LOCAL session_replication_role = replica")

    def check_references(self) -> None:
        """What the skipped triggers would have checked, in one pass per foreign key."""
        models = [Escalation, StageOccurrence, Discussion, Action, Child, Resolution, RecordEntry, Notification]
        models.append(Escalation.children.through)
        broken = []
        with connection.cursor() as cursor:
            for model in models:
                for field in model._meta.concrete_fields:
                    if not field.is_relation:
                        continue
                    target = field.related_model._meta
                    cursor.execute(
                        f'SELECT COUNT(*) FROM "{model._meta.db_table}" t LEFT JOIN "{target.db_table}" r '
                        f'ON r."{field.target_field.column}" = t."{field.column}" '
                        f'WHERE t."{field.column}" IS NOT NULL AND r."{field.target_field.column}" IS NULL'
                    )
                    missing = cursor.fetchone()[0]
                    if missing:
                        broken.append(f"{model._meta.db_table}.{field.column}: {missing}")
        if broken:
            raise CommandError("Benchmark data has dangling references: " + "; ".join(broken))

    def finish(self) -> None:
        """Primary-key sequences past the ids we assigned; fresh planner statistics."""
        models = [Escalation, StageOccurrence, Discussion, Action, Child, Resolution, RecordEntry, Notification]
        models.append(Escalation.children.through)
        with connection.cursor() as cursor:
            for model in models:
                table = model._meta.db_table
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                    f'COALESCE((SELECT MAX(id) FROM "{table}"), 0) + 1, false)'
                )
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
