"""Retention: how long an escalation's record is kept, legal holds, and disposal.

The rule (DESIGN: "Security and data protection"; issue 7): a record is kept until the
youngest child it concerns is 25 (date of birth + 25 years, the retention period for child
protection records), then it is *due for review*. Nothing happens automatically: a
partnership business manager reviews what is due and either confirms disposal or places a
legal hold, which stops disposal until it is released. Every decision is a
RetentionDecision row (append-only; PostgreSQL refuses UPDATE and DELETE on it).

Disposal never deletes a row (records are never hard-deleted by users). It:

- sets `Escalation.disposed_at`;
- replaces the free text that can describe a child or family on the rows that allow it —
  the escalation's concern, why it is unsafe, the outcome sought, the withdrawal reason and
  the named professional; each discussion's participants, areas of (dis)agreement and
  outcome; each agreed action's description and owner's name; audit-check notes;
- redacts each child's identifying details (name, local reference, parents or carers, lead
  practitioner) and cuts the date of birth to 1 January of the birth year, but only when
  no other escalation about that child is still kept (not yet disposed) — a sibling's or a
  later escalation still needs the child's details;
- deletes the files attached to it from storage (once the disposal has committed); their rows
  keep dates, sizes and checksums but not their names (escalation.attachments);
- writes one note on each child's file saying the record was disposed of (no reason text).

It cannot remove what the database keeps append-only: the chronology entries on each
child's file (their summaries quote discussion outcomes, decisions, evidence, the agreed
outcome and the withdrawal reason), the closed stage occurrences (evidence, decision,
reason a timescale was missed) and the resolution record. A full purge of those is an
administrator's database operation (docs/backup-and-restore.md, "Full purge"), done with
`retention_purge` from `manage.py shell`: it is on no page.

Escalation.legal_hold and disposed_at are plain fields, not FSM-managed: they are written
with a queryset UPDATE on the primary key, so the protected `state` field is never saved.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime

from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone

from cases.models import Child, RecordEntry, RecordEntryKind
from config import triggers
from escalation.attachments import attachments_dispose
from escalation.models import (
    Action,
    AuditCheck,
    Discussion,
    Escalation,
    Resolution,
    RetentionDecision,
    RetentionDecisionKind,
    StageOccurrence,
)
from escalation.services import EscalationError, NotPermitted, _person, record_on_files
from escalation.states import OPEN_STATES
from partnerships.choices import Role
from partnerships.selectors import memberships_of, partnership_roles

logger = logging.getLogger(__name__)

RETENTION_YEARS = 25
REDACTED = "Redacted on disposal"
REDACTED_NAME = "Redacted"
MAX_REASON = 2000


class RetentionError(EscalationError):
    """A retention rule stopped the change. The message is written for the person who tried."""


# --- the dates ---------------------------------------------------------------------------


def add_years(day: date, years: int) -> date:
    """The same day `years` later; 29 February becomes 1 March in a year without one (the
    day a person born on 29 February reaches an age in England and Wales)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        if day.month == 2 and day.day == 29:
            return date(day.year + years, 3, 1)
        raise


def retain_until(youngest_date_of_birth: date | None) -> date | None:
    """The day the record falls due for review: the youngest child's 25th birthday."""
    if youngest_date_of_birth is None:
        return None
    try:
        return add_years(youngest_date_of_birth, RETENTION_YEARS)
    except ValueError:  # beyond year 9999: never due
        return date.max


def latest_due_date_of_birth(today: date) -> date:
    """The latest youngest-child date of birth whose record is due on `today`:
    retain_until(dob) <= today exactly when dob <= latest_due_date_of_birth(today)."""
    try:
        return today.replace(year=today.year - RETENTION_YEARS)
    except ValueError:  # today is 29 February; 25 years earlier had none
        return date(today.year - RETENTION_YEARS, 2, 28)


def youngest_date_of_birth(escalation: Escalation) -> date | None:
    return escalation.children.aggregate(youngest=Max("date_of_birth"))["youngest"]


# --- who may ---------------------------------------------------------------------------------


def can_manage_retention(user, partnership_id: int) -> bool:
    """Retention decisions belong to the partnership's business manager."""
    return Role.BUSINESS_MANAGER in partnership_roles(user, partnership_id)


def partnerships_managed(user) -> list:
    """The partnerships whose retention this user reviews (business manager of)."""
    found = {}
    for m in memberships_of(user):
        if m.agency_id is None and Role(m.role) == Role.BUSINESS_MANAGER:
            found.setdefault(m.partnership_id, m.partnership)
    return list(found.values())


# --- reads -------------------------------------------------------------------------------------


def retention_due(*, partnership, today: date | None = None) -> QuerySet[Escalation]:
    """The partnership's escalations past their retention date and not yet disposed of,
    youngest child's date of birth first (longest overdue first).

    Held and still-open ones are included (annotated `youngest_dob`), so the reviewer sees
    them; `disposal_problems` says which of them cannot be disposed of and why.
    """
    today = today or timezone.localdate()
    return (
        Escalation.objects.filter(partnership=partnership, disposed_at__isnull=True)
        .annotate(youngest_dob=Max("children__date_of_birth"))
        .filter(youngest_dob__lte=latest_due_date_of_birth(today))
        .select_related("raising_agency", "receiving_agency")
        .order_by("youngest_dob", "raised_at")
    )


def legal_holds(*, partnership) -> QuerySet[Escalation]:
    """Every escalation on legal hold in the partnership, due or not."""
    return (
        Escalation.objects.filter(partnership=partnership, legal_hold=True, disposed_at__isnull=True)
        .annotate(youngest_dob=Max("children__date_of_birth"))
        .select_related("raising_agency", "receiving_agency")
        .order_by("raised_at")
    )


@dataclass(frozen=True)
class RetentionStatus:
    retain_until: date | None
    due: bool
    problems: tuple[str, ...]  # why it cannot be disposed of now (empty: it can)


def disposal_problems(escalation: Escalation, today: date | None = None) -> list[str]:
    today = today or timezone.localdate()
    problems = []
    if escalation.disposed_at is not None:
        problems.append(
            f"{escalation.reference} was disposed of on {timezone.localtime(escalation.disposed_at):%d/%m/%Y}."
        )
        return problems
    if escalation.legal_hold:
        problems.append(f"{escalation.reference} is on legal hold. Release the hold first if it is no longer needed.")
    if escalation.state in OPEN_STATES:
        problems.append(f"{escalation.reference} is still open: only a finished escalation can be disposed of.")
    until = retain_until(youngest_date_of_birth(escalation))
    if until is None:
        problems.append(f"{escalation.reference} names no child, so its retention date is unknown.")
    elif until > today:
        problems.append(f"{escalation.reference} is kept until {until:%d/%m/%Y} (the youngest child's 25th birthday).")
    return problems


def retention_status(escalation: Escalation, today: date | None = None) -> RetentionStatus:
    today = today or timezone.localdate()
    until = retain_until(youngest_date_of_birth(escalation))
    return RetentionStatus(
        retain_until=until,
        due=until is not None and until <= today,
        problems=tuple(disposal_problems(escalation, today)),
    )


# --- writes ----------------------------------------------------------------------------------


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise RetentionError("Enter the reason for this decision.")
    if len(reason) > MAX_REASON:
        raise RetentionError(f"The reason must be {MAX_REASON} characters or fewer.")
    return reason


def _locked(escalation: Escalation, acting_user) -> Escalation:
    """The escalation re-read under a row lock (hold, release and disposal queue behind each other)."""
    if acting_user is None or not can_manage_retention(acting_user, escalation.partnership_id):
        raise NotPermitted("Only the partnership's business manager can make retention decisions.")
    return Escalation.objects.select_for_update().get(pk=escalation.pk)


def _decide(escalation, acting_user, kind: RetentionDecisionKind, reason: str) -> RetentionDecision:
    decision = RetentionDecision.objects.create(
        escalation=escalation, decision=kind, reason=reason, decided_by=acting_user
    )
    logger.info("Retention: %s for %s by user %s (%s)", kind.label, escalation.reference, acting_user.pk, acting_user)
    return decision


@transaction.atomic
def retention_hold(*, escalation: Escalation, acting_user, reason: str) -> RetentionDecision:
    """Place a legal hold: the record cannot be disposed of until it is released."""
    reason = _reason(reason)
    current = _locked(escalation, acting_user)
    if current.disposed_at is not None:
        raise RetentionError(f"{current.reference} has already been disposed of.")
    if current.legal_hold:
        raise RetentionError(f"{current.reference} is already on legal hold.")
    Escalation.objects.filter(pk=current.pk, legal_hold=False).update(legal_hold=True)
    escalation.legal_hold = True
    return _decide(current, acting_user, RetentionDecisionKind.HOLD, reason)


@transaction.atomic
def retention_release(*, escalation: Escalation, acting_user, reason: str) -> RetentionDecision:
    """Release a legal hold. The record is kept or falls due as its dates say."""
    reason = _reason(reason)
    current = _locked(escalation, acting_user)
    if not current.legal_hold:
        raise RetentionError(f"{current.reference} is not on legal hold.")
    Escalation.objects.filter(pk=current.pk, legal_hold=True).update(legal_hold=False)
    escalation.legal_hold = False
    return _decide(current, acting_user, RetentionDecisionKind.RELEASE, reason)


def _redact_child(child: Child) -> None:
    Child.objects.filter(pk=child.pk).update(
        first_name=REDACTED_NAME,
        last_name="",
        local_reference="",
        parents_carers="",
        lead_practitioner="",
        date_of_birth=date(child.date_of_birth.year, 1, 1),
    )


@transaction.atomic
def retention_dispose(
    *, escalation: Escalation, acting_user, reason: str, today: date | None = None, at: datetime | None = None
) -> RetentionDecision:
    """Confirm disposal of a finished escalation past its retention date (irreversible).

    Refused while a legal hold is in place, while it is open, or before its date.
    Redacts rather than deletes: see this module's docstring for what goes and what stays.
    """
    reason = _reason(reason)
    today = today or timezone.localdate()
    at = at or timezone.now()
    current = _locked(escalation, acting_user)
    problems = disposal_problems(current, today)
    if problems:
        raise RetentionError(" ".join(problems))

    updated = Escalation.objects.filter(pk=current.pk, disposed_at__isnull=True, legal_hold=False).update(
        disposed_at=at,
        concern=REDACTED,
        why_unsafe=REDACTED,
        outcome_sought=REDACTED,
        receiving_professional="",
        withdrawn_reason=REDACTED if current.withdrawn_reason else "",
    )
    if updated != 1:  # cannot happen under the row lock; refuse rather than half-dispose
        raise RetentionError(f"{current.reference} changed while you were deciding. Check it and try again.")
    Discussion.objects.filter(occurrence__escalation=current).update(
        participants=REDACTED, areas_of_agreement="", areas_of_disagreement="", outcome=REDACTED
    )
    Action.objects.filter(escalation=current).update(description=REDACTED, owner_name="")
    AuditCheck.objects.filter(escalation=current).exclude(notes="").update(notes=REDACTED)
    attachments_dispose(current, at=at)

    # The note goes on the files before the children lose their names, so each file says why.
    record_on_files(
        current,
        RecordEntryKind.NOTE,
        f"{_person(acting_user)} disposed of {current.reference} at the end of its retention period "
        f"(the youngest child's 25th birthday): its free text was redacted.",
        author=acting_user,
    )
    for child in current.children.all():
        still_kept = child.escalations.filter(disposed_at__isnull=True).exclude(pk=current.pk).exists()
        if not still_kept:
            _redact_child(child)

    escalation.disposed_at = at
    return _decide(current, acting_user, RetentionDecisionKind.DISPOSE, reason)


# --- the administrator's full purge (docs/backup-and-restore.md) ------------------------------

PURGED = "Purged by an administrator"
PROTECTED_TEXT = (
    "cases.RecordEntry:record_entry_append_only",
    "escalation.StageOccurrence:closed_stage_occurrence_frozen",
    "escalation.Resolution:resolution_frozen",
)


@transaction.atomic
def retention_purge(*, escalation: Escalation, acting_user, reason: str, confirm_reference: str) -> RetentionDecision:
    """Overwrite the text disposal could not reach: the entries on the children's files, the
    stage records and the resolution record of an escalation already disposed of.

    For an administrator (superuser), from `manage.py shell`, on the data protection
    officer's written instruction; never on a page. The rows stay (references, dates and
    the retention decisions remain), their words go. On PostgreSQL the append-only triggers
    are lifted for these three tables, in this transaction only. Logged as a second
    disposal decision whose reason starts "Full purge".
    """
    reason = _reason(reason)
    if acting_user is None or not acting_user.is_superuser:
        raise NotPermitted("Only an administrator can purge a record.")
    current = Escalation.objects.select_for_update().get(pk=escalation.pk)
    if confirm_reference != current.reference:
        raise RetentionError(f"Type the reference {current.reference} to confirm the purge.")
    if current.disposed_at is None:
        raise RetentionError(f"{current.reference} has not been disposed of: dispose of it in the app first.")
    if current.legal_hold:
        raise RetentionError(f"{current.reference} is on legal hold.")

    with triggers.lifted(*PROTECTED_TEXT):
        # RecordEntry's own manager refuses every UPDATE; the base manager is plain Django.
        RecordEntry._base_manager.filter(escalation=current).update(summary=PURGED)
        StageOccurrence.objects.filter(escalation=current).update(
            evidence_of_previous_efforts="", decision="", reason_not_met=""
        )
        Resolution.objects.filter(escalation=current).update(
            agreed_outcome=PURGED,
            issues_raised="",
            lessons_learnt="",
            policy_gaps="",
            practitioners_informed="",
            family_not_informed_reason="",
        )
    logger.warning("Retention: full purge of %s by administrator %s", current.reference, acting_user.pk)
    return _decide(current, acting_user, RetentionDecisionKind.DISPOSE, f"Full purge: {reason}")
