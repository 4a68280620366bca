"""A year of demo escalations, up to the day the demo is loaded, in the five demo partnerships.

Made through the services with back-dated `at=`, so every stage occurrence, entry on a child's
file, discussion, resolution record and partnership review is the real thing. Most disagreements
are resolved at stage 1 or 2 within the timescale; some miss a deadline and climb further, a few
reach the partnership stage; some are withdrawn; the latest are still open, most within their
deadline and a few overdue by days (not months): the demo reads as a partnership that works,
whatever day it is loaded.

The child's file, discussions and reviews stamp themselves with the time they are written
(`auto_now_add`), so each service call runs with Django's clock set to the moment of the event:
the chronology then reads as it happened. Missed deadlines are recorded as the watcher would
have recorded them at the time (on the stage and the child's file); the notices of that past
year are marked as delivered, so nobody is e-mailed about them today.

Idempotent: a partnership that already has escalations raised in the year is left alone.
Deterministic: the same seed gives the same history. Needs `load_demo()` first (its people,
agencies and children).
"""

from __future__ import annotations

import random
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from cases.models import Child, ContinuumOfNeed, RecordEntryKind
from escalation import services
from escalation.demo.partnerships import AGENCIES, PARTNERSHIPS, _town
from escalation.holders import People
from escalation.models import EmailStatus, Escalation, Notification, StageOccurrence
from escalation.partnership_stage import APPOINTED_BY_THE_CHAIR, dispute_parties, review_arrange
from escalation.states import Category, DiscussionMethod
from partnerships.choices import PanelRule, StepEvent, Tier, Urgency
from partnerships.models import Agency, Membership, Partnership

LONDON = ZoneInfo("Europe/London")
# The year runs up to an hour before the demo is loaded (so "today" in the demo is today).
LAST_MOMENT = (timezone.now() - timedelta(hours=1)).astimezone(LONDON).replace(second=0, microsecond=0)
FIRST_DAY = LAST_MOMENT.date() - timedelta(days=355)
# Only disagreements raised in the last few weeks are left stuck (open past their deadline);
# older ones were long since settled.
STALLED_WITHIN = timedelta(days=21)
PER_PARTNERSHIP = 120
SEED = 20251201

LADDER_ROLES = {
    Tier.PRACTITIONER: "practitioner",
    Tier.LINE_MANAGER: "line-manager",
    Tier.SAFEGUARDING_LEAD: "safeguarding-lead",
    Tier.SENIOR_MANAGER: "senior-manager",
    Tier.EXECUTIVE: "executive-lead",
}
TIERS = list(LADDER_ROLES)

RAISING = [("school", 45), ("csc", 35), ("police", 10), ("health", 10)]
STAFFED = {"school", "csc", "police", "health"}
RECEIVING = [("csc", 40), ("school", 18), ("police", 16), ("health", 16), ("nursery", 5), ("probation", 5)]
CATEGORIES = [
    (Category.THRESHOLD, 26),
    (Category.INFORMATION_SHARING, 18),
    (Category.ACTION_INACTION, 14),
    (Category.ASSESSMENT_OR_PLAN, 12),
    (Category.COMMUNICATION, 10),
    (Category.ROLES, 8),
    (Category.CHILD_PROTECTION_PROCEDURES, 8),
    (Category.OTHER, 4),
]
URGENCIES = [(Urgency.STANDARD, 76), (Urgency.CHILD_PROTECTION, 18), (Urgency.IMMEDIATE_RISK, 6)]
# How far a disagreement goes before it ends (capped at the policy's last stage).
STAGES_REACHED = [(1, 58), (2, 25), (3, 10), (4, 4), (5, 3)]
METHODS = [
    (DiscussionMethod.PHONE, 40),
    (DiscussionMethod.VIRTUAL_MEETING, 30),
    (DiscussionMethod.FACE_TO_FACE, 24),
    (DiscussionMethod.EMAIL, 6),
]
# Fewer referrals in the summer holiday and over Christmas.
MONTH_WEIGHT = {12: 0.8, 1: 1.0, 2: 1.0, 3: 1.1, 4: 0.9, 5: 1.0, 6: 1.1, 7: 0.9, 8: 0.5, 9: 1.1, 10: 1.1, 11: 1.0}

CONCERNS = {
    Category.THRESHOLD: (
        "The referral about repeated bruising was closed at the front door with no assessment.",
        "The child's disclosure was judged not to meet the threshold for a section 47 enquiry.",
    ),
    Category.INFORMATION_SHARING: (
        "Information about the mother's new partner, who has a conviction, has not been shared with the school.",
        "The outcome of the strategy discussion was not shared with the health visitor.",
    ),
    Category.ACTION_INACTION: (
        "No home visit has taken place since the referral three weeks ago.",
        "The agreed core group meeting has been cancelled twice.",
    ),
    Category.ASSESSMENT_OR_PLAN: (
        "The child in need plan has not been reviewed for four months and attendance keeps falling.",
        "The assessment did not take the school's attendance and neglect concerns into account.",
    ),
    Category.COMMUNICATION: (
        "Calls and e-mails to the allocated worker have gone unanswered for ten days.",
        "The family were told of the decision before the referring school was.",
    ),
    Category.ROLES: (
        "It is unclear which agency leads on the family now that the early help worker has left.",
        "Each agency expects the other to convene the team around the family meeting.",
    ),
    Category.CHILD_PROTECTION_PROCEDURES: (
        "Child protection procedures were not started after the child was found home alone overnight.",
        "A strategy discussion was not held after the domestic abuse incident was reported.",
    ),
    Category.OTHER: ("The transfer-in conference from the previous authority has not been arranged.",),
}
UNSAFE = (
    "The child is left without a protective plan while the risk is rising.",
    "Without the information the school cannot keep the child safe during the day.",
    "Each delay leaves the children exposed to the same harm that prompted the referral.",
)
SOUGHT = (
    "A strategy discussion this week and a section 47 enquiry if the threshold is met.",
    "Share the risk information with the designated safeguarding lead.",
    "Re-open the assessment and agree a lead professional.",
    "Hold a multi-agency meeting and agree who leads the plan.",
)
PARTICIPANTS = (
    "Class teacher, designated safeguarding lead, allocated social worker",
    "Team manager (children's social care), school safeguarding lead",
    "Health visitor, social worker, police public protection officer",
)
AGREED = (
    "Agreed to hold a strategy discussion and share the police information.",
    "Agreed a joint home visit and a review in two weeks.",
    "Agreed the assessment will be re-opened and the school invited to contribute.",
    "Agreed the social worker will lead and convene a meeting of the team around the family.",
)
NOT_AGREED = (
    "No agreement on the threshold; the practitioner will take it to the next stage.",
    "The two agencies still disagree about who should lead the plan.",
)
OUTCOMES = (
    "A strategy discussion was held and a section 47 enquiry started.",
    "The assessment was re-opened with the school's information and a child in need plan agreed.",
    "The information was shared with the school the same day and a safety plan agreed.",
    "Children's social care will lead; the school and health visitor join the core group.",
)
LESSONS = (
    "Share the outcome of a referral with the referrer in writing, the same day.",
    "Invite the school to every strategy discussion about a child on its roll.",
    "Practitioners should escalate sooner: the case waited two weeks at stage 1.",
    "Thresholds are read differently across agencies; a joint briefing on the threshold document is planned.",
    "Record who is the lead professional when an early help worker leaves.",
    "Phone or meet rather than e-mail: the e-mail exchange added a week.",
    "",
    "",
)
ISSUES = (
    "Different readings of the threshold document.",
    "Information held by the police was not passed on.",
    "Unclear lead professional.",
    "",
)
NOT_MET = ("The manager was on leave.", "Waiting for information from the police.", "A backlog after the bank holiday.")
WITHDRAWN = (
    "The family moved out of the area; the new authority has been told.",
    "New information resolved the concern before the discussion.",
    "Raised in error: the assessment was already under way.",
)
DECISIONS = (
    "The threshold for a section 47 enquiry is met: children's social care will start it within 24 hours.",
    "A child in need plan is appropriate; the school's concerns will be reviewed at the core group in 4 weeks.",
)
NAMES = {
    "first": ["Amelia", "Oliver", "Isla", "Jack", "Freya", "Leo", "Ava", "Alfie", "Mia", "Theo", "Poppy", "Arlo"],
    "last": ["Turner", "Bennett", "Carter", "Foster", "Gray", "Hughes", "Mason", "Price", "Shaw", "Wood"],
}


def _weighted(rng: random.Random, pairs):
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


@contextmanager
def clock(moment: datetime):
    """Django's clock at the event, for the rows that stamp themselves (auto_now_add).

    `auto_now_add` and the services read `django.utils.timezone.now()` through the module, so
    swapping the module's function is enough; it is put back however the block ends."""
    real = timezone.now
    timezone.now = lambda: moment
    try:
        yield
    finally:
        timezone.now = real


def already_loaded(partnership) -> bool:
    return Escalation.objects.filter(
        partnership=partnership,
        raised_at__gte=datetime.combine(FIRST_DAY, time.min, tzinfo=LONDON),
        raised_at__lte=LAST_MOMENT,
    ).exists()


def load_demo_history(*, per_partnership: int = PER_PARTNERSHIP, seed: int = SEED, progress=None) -> int:
    """Load the year into every demo partnership that has none yet; returns how many were made.
    `progress(text)` is told as each partnership starts (the first `make run` waits for this)."""
    made = 0
    for index, slug in enumerate(PARTNERSHIPS):
        partnership = Partnership.objects.filter(slug=slug).select_related("policy").first()
        if partnership is None or partnership.policy_id is None or already_loaded(partnership):
            continue
        if progress:
            progress(
                f"Demo history {index + 1} of {len(PARTNERSHIPS)}: {per_partnership} disagreements over the past "
                f"year in {partnership.name}..."
            )
        with transaction.atomic():
            made += _History(partnership, random.Random(seed + index)).load(per_partnership)
    return made


class _History:
    def __init__(self, partnership, rng: random.Random):
        self.p = partnership
        self.rng = rng
        self.slug = partnership.slug
        self.calendar = partnership.working_calendar()
        self.stages = list(partnership.policy.stages.order_by("number"))
        town = _town(self.slug)
        names = {key: pattern.format(town=town) for key, pattern, _ in AGENCIES}
        by_name = {a.name: a for a in Agency.objects.filter(partnership=partnership)}
        self.agencies = {key: by_name[name] for key, name in names.items() if name in by_name}
        users = get_user_model().objects.filter(username__startswith=f"{self.slug}-")
        self.users = {u.username: u for u in users}
        self.by_pk = {u.pk: u for u in users}
        self.memberships = list(
            Membership.objects.active().filter(partnership=partnership).select_related("agency", "user")
        )
        self.families = self._families()
        self.created: list[int] = []

    # --- people ------------------------------------------------------------------------

    def user(self, name: str):
        return self.users.get(f"{self.slug}-{name}")

    def raiser(self, key: str):
        return {"school": self.user("practitioner"), "csc": self.user("csc-practitioner")}.get(key) or self.user(
            f"{key}-senior-manager"
        )

    def holder(self, key: str, tier: str | None, *, besides=None):
        """Someone in the agency at this tier or the nearest above it (not `besides`)."""
        if not tier:
            return None
        if tier == Tier.PARTNERSHIP:
            return self.user("chair")
        start = TIERS.index(Tier(tier))
        for candidate in TIERS[start:]:
            role = LADDER_ROLES[candidate]
            name = role if key == "school" else f"{key}-{role}"
            person = self.user(name)
            if person is not None and person != besides:
                return person
        return None

    def membership(self, user, agency=None):
        return next(m for m in self.memberships if m.user_id == user.pk and (agency is None or m.agency == agency))

    # --- children -------------------------------------------------------------------------

    def _families(self) -> list[list]:
        """The demo children (the Harts are siblings) and a few more families per partnership."""
        children = list(Child.objects.filter(partnership=self.p).order_by("pk"))
        families: dict[str, list] = {}
        for child in children:
            families.setdefault(child.last_name if child.last_name == "Hart" else child.full_name, []).append(child)
        csc, school = self.agencies.get("csc"), self.agencies.get("school")
        rng = random.Random(self.slug)
        for n, surname in enumerate(NAMES["last"]):
            size = (1, 1, 2, 1, 3, 1, 2, 1, 1, 2)[n]
            carer = f"{rng.choice(['Sam', 'Jo', 'Alex', 'Kerry', 'Dani'])} {surname} (parent)"
            family = []
            for k in range(size):
                child, _ = Child.objects.get_or_create(
                    partnership=self.p,
                    first_name=NAMES["first"][(n * 3 + k) % len(NAMES["first"])],
                    last_name=surname,
                    date_of_birth=date(2010 + (n * 2 + k * 3) % 15, 1 + (n + k) % 12, 1 + (n * 7 + k) % 27),
                    defaults={
                        "parents_carers": carer,
                        "continuum_of_need": [c.value for c in ContinuumOfNeed][(n + k) % 4],
                        "lead_agency": csc,
                        "created_by_agency": school,
                        "lead_practitioner": f"{self.slug}-csc-practitioner",
                    },
                )
                family.append(child)
            families[surname] = family
        return list(families.values())

    # --- moments -------------------------------------------------------------------------------

    def working_moment(self, day: date, rng) -> datetime:
        while not self.calendar.is_working_day(day):
            day += timedelta(days=1)
        minutes = rng.randint(8 * 60 + 45, 16 * 60 + 40)
        return datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=LONDON)

    def between(self, start: datetime, end: datetime, rng, low=0.15, high=0.85) -> datetime:
        """A moment some way between two others, moved into working hours if that keeps it before `end`."""
        moment = start + (end - start) * rng.uniform(low, high)
        local = moment.astimezone(LONDON)
        if not self.calendar.is_within_working_hours(local):
            opening = self.calendar.next_opening(local) + timedelta(minutes=rng.randint(10, 90))
            if opening < end:
                return opening
        return max(moment, start + timedelta(minutes=5))

    def late(self, due: datetime, rng) -> datetime:
        """A moment after a missed deadline: a few hours to a couple of weeks late."""
        day = due.astimezone(LONDON).date() + timedelta(days=rng.choice([1, 1, 2, 3, 5, 8, 13]))
        return max(self.working_moment(day, rng), due + timedelta(minutes=30))

    def raised_moment(self, rng) -> datetime:
        span = (LAST_MOMENT.date() - FIRST_DAY).days
        while True:
            day = FIRST_DAY + timedelta(days=rng.randrange(span + 1))
            if rng.random() <= MONTH_WEIGHT[day.month] / 1.1:
                break
        moment = self.working_moment(day, rng)
        if rng.random() < 0.06:  # raised in the evening, after a home visit
            moment = datetime.combine(moment.date(), time(rng.randint(17, 20), rng.randint(0, 59)), tzinfo=LONDON)
        return min(moment, LAST_MOMENT - timedelta(hours=1))

    # --- one escalation ---------------------------------------------------------------------------

    def load(self, count: int) -> int:
        for _ in range(count):
            self.one()
        # The past year's notices went out at the time; the last week's are still unread.
        week_ago = LAST_MOMENT - timedelta(days=7)
        notices = Notification.objects.filter(escalation_id__in=self.created)
        notices.update(email_status=EmailStatus.SENT, email_sent_at=F("created_at"))
        notices.filter(created_at__lt=week_ago).update(read_at=F("created_at"))
        return len(self.created)

    def one(self) -> None:
        rng = self.rng
        raising_key = _weighted(rng, [(k, w) for k, w in RAISING if k in self.agencies])
        # Police and health have no practitioners in the demo: they raise with the two agencies
        # whose whole ladder is there, so someone can acknowledge every stage.
        # The nursery and probation have nobody in the demo, so nobody there could acknowledge.
        receivers = [r for r in RECEIVING if r[0] in STAFFED] if raising_key in ("school", "csc") else RECEIVING[:2]
        receiving_key = _weighted(rng, [(k, w) for k, w in receivers if k != raising_key and k in self.agencies])
        raiser = self.raiser(raising_key)
        category = _weighted(rng, CATEGORIES)
        urgency = _weighted(rng, URGENCIES)
        reach = min(_weighted(rng, STAGES_REACHED), len(self.stages))
        ending = _weighted(rng, [("resolved", 88), ("withdrawn", 8), ("stalled", 4)])
        raised_at = self.raised_moment(rng)
        if ending == "stalled" and raised_at < LAST_MOMENT - STALLED_WITHIN:
            ending = "resolved"
        with clock(raised_at):
            escalation = services.escalation_raise(
                raised_by=raiser,
                raising_agency=self.agencies[raising_key],
                receiving_agency=self.agencies[receiving_key],
                children=rng.choice(self.families),
                category=category,
                concern=rng.choice(CONCERNS[category]),
                why_unsafe=rng.choice(UNSAFE),
                outcome_sought=rng.choice(SOUGHT),
                urgency=urgency,
                receiving_professional=rng.choice(["the allocated social worker", "the duty manager", ""]),
                at=raised_at,
            )
        self.created.append(escalation.pk)
        start = raised_at
        for stage in self.stages[:reach]:
            last = stage.number == reach
            start = self.stage(escalation, stage, start, raising_key, receiving_key, raiser, last, ending)
            if start is None:
                return

    def stage(self, escalation, stage, start, raising_key, receiving_key, raiser, last, ending):
        """Play one stage from `start`; the moment it ended, or None if the escalation stops here."""
        rng = self.rng
        due = escalation.current_due_at
        on_time = rng.random() < (0.8 if stage.number == 1 else 0.72)
        if stage.is_partnership_stage:
            acknowledger = self.user("chair")
        else:
            # Whoever the product says holds the stage: the other side first, else the raiser's side.
            people = People()
            candidates = sorted(people.receiving_side(escalation, stage)) or sorted(
                people.raising_side(escalation, stage) - {raiser.pk}
            )
            acknowledger = next((self.by_pk[pk] for pk in candidates if pk in self.by_pk), None)
        acknowledged_at = (
            self.between(start, due, rng, 0.05, 0.35) if on_time else self.between(start, due, rng, 0.3, 0.9)
        )
        end = self.between(acknowledged_at, due, rng, 0.3, 0.95) if on_time else self.late(due, rng)
        if last and ending == "stalled":
            end = LAST_MOMENT + timedelta(days=30)  # never reached: left open, overdue
        if stage.acknowledgement_required and acknowledger is not None:
            if acknowledged_at > LAST_MOMENT:
                return None
            with clock(acknowledged_at):
                services.escalation_acknowledge(escalation=escalation, acting_user=acknowledger, at=acknowledged_at)
            if stage.is_partnership_stage:
                self.arrange(escalation, stage, raising_key, receiving_key, acknowledged_at)
        held_at = self.between(acknowledged_at, min(end, LAST_MOMENT), rng, 0.2, 0.8)
        # Written up within the hour, and always before the stage moves on.
        written = max(min(held_at + timedelta(hours=1), end - timedelta(minutes=5)), held_at)
        if held_at < LAST_MOMENT - timedelta(hours=1) and rng.random() < 0.75:
            with clock(written):
                services.discussion_record(
                    escalation=escalation,
                    acting_user=acknowledger or raiser,
                    held_at=held_at,
                    method=_weighted(rng, METHODS),
                    participants=rng.choice(PARTICIPANTS),
                    outcome=rng.choice(AGREED if last and ending == "resolved" else NOT_AGREED),
                    areas_of_agreement="Both agencies agree the child needs a multi-agency plan.",
                    areas_of_disagreement="" if last else "Whether the threshold is met.",
                )
        if due < end and due + timedelta(minutes=5) <= LAST_MOMENT:
            self.breach(escalation, due + timedelta(minutes=5))
        if end > LAST_MOMENT:
            return None
        reason = "" if end <= due else rng.choice(NOT_MET)
        if not last:
            with clock(end):
                services.escalation_escalate(
                    escalation=escalation,
                    acting_user=raiser,
                    evidence=f"Discussed by {rng.choice(PARTICIPANTS).lower()}. {rng.choice(NOT_AGREED)}",
                    reason_not_met=reason,
                    at=end,
                )
            return end
        if ending == "withdrawn":
            with clock(end):
                services.escalation_withdraw(
                    escalation=escalation, acting_user=raiser, reason=rng.choice(WITHDRAWN), at=end
                )
            return None
        self.resolve(escalation, stage, acknowledger or raiser, raiser, end, reason)
        return None

    def breach(self, escalation, at: datetime) -> None:
        """As the watcher records a missed deadline (without notices: that was months ago)."""
        occurrence = escalation.occurrences.get(closed_at__isnull=True)
        # The watcher's own claim: only an open, unbreached stage whose timed event has not happened.
        claimed = StageOccurrence.objects.filter(
            pk=occurrence.pk, breached_at__isnull=True, step_met_at__isnull=True
        ).update(breached_at=at)
        if not claimed:
            return
        with clock(at):
            services.record_on_files(
                escalation,
                RecordEntryKind.BREACHED,
                f"The deadline for {escalation.reference} stage {occurrence.number} ({occurrence.policy_stage.name}) "
                f"was missed.",
                author=None,
            )

    def arrange(self, escalation, stage, raising_key, receiving_key, at) -> None:
        """Formal use of the procedure: the panel, mediation or impartial review the policy names."""
        parties = {raising_key, receiving_key}
        seniors = [
            self.membership(self.holder(key, Tier.SENIOR_MANAGER), self.agencies[key])
            for key in ("police", "health", "school", "csc")
            if self.holder(key, Tier.SENIOR_MANAGER) is not None
        ]
        uninvolved = [m for m in seniors if m.agency.name not in {self.agencies[k].name for k in parties}]
        chair = self.membership(self.user("chair"))
        arrangement = stage.panel_rule if stage.panel_rule != PanelRule.NONE else PanelRule.MEDIATION
        members = []
        if arrangement in (PanelRule.UNINVOLVED_CHAIR, PanelRule.IMPARTIAL_MEMBER) and uninvolved:
            chair = uninvolved[0]
        if arrangement == PanelRule.RESOLUTION_PANEL:
            involved = dispute_parties(escalation)
            members = [m for m in seniors if m.user_id not in involved]
            if len({m.agency_id for m in members}) < (stage.panel_min_agencies or 1):
                arrangement, members = PanelRule.DIRECT_LIAISON, []  # the policy's alternative
        organiser = self.user("chair") if arrangement in APPOINTED_BY_THE_CHAIR else self.user("business-manager")
        with clock(at + timedelta(minutes=20)):
            review_arrange(
                escalation=escalation,
                acting_user=organiser,
                arrangement=arrangement,
                chair=chair,
                members=members,
                meeting_at=at + timedelta(days=2),
            )

    def resolve(self, escalation, stage, resolver, raiser, at, reason) -> None:
        rng = self.rng
        if stage.is_partnership_stage:
            with clock(at - timedelta(minutes=30)):
                services.stage_record_decision(
                    escalation=escalation, acting_user=self.user("business-manager"), decision=rng.choice(DECISIONS)
                )
            resolver = self.user("business-manager")
        elif stage.met_by == StepEvent.DECISION:
            # A stage that ends in one person's binding decision (St Helens: the Director of
            # Children's Services): they record it, then resolve.
            with clock(at - timedelta(minutes=30)):
                decision = rng.choice(DECISIONS)
                services.stage_record_decision(escalation=escalation, acting_user=resolver, decision=decision)
        with clock(at):
            services.escalation_resolve(
                escalation=escalation,
                acting_user=resolver,
                outcome=rng.choice(OUTCOMES),
                issues_raised=rng.choice(ISSUES),
                lessons_learnt=rng.choice(LESSONS),
                practitioners_informed="Both practitioners and their line managers.",
                family_informed=rng.random() < 0.85,
                case_review_recommended=rng.random() < (0.3 if stage.number >= 3 else 0.02),
                reason_not_met=reason,
                at=at,
            )
        closed_at = self.working_moment(at.astimezone(LONDON).date() + timedelta(days=rng.randint(1, 10)), rng)
        if rng.random() < 0.85 and closed_at <= LAST_MOMENT:
            with clock(closed_at):
                services.escalation_close(escalation=escalation, acting_user=raiser, at=closed_at)
