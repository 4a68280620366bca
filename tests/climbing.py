"""Taking a disagreement up its policy's stages the way people would: someone holding each
stage acknowledges it (nothing reaches the partnership otherwise), then it is escalated."""

from django.contrib.auth import get_user_model

from escalation import services
from escalation.holders import People
from escalation.models import Escalation
from escalation.states import State


def fresh(escalation) -> Escalation:
    return Escalation.objects.get(pk=escalation.pk)


def acknowledge(escalation, at=None):
    """The stage's holder on the other side acknowledges it (or, where that side takes no part,
    a holder on the raiser's side other than the raiser)."""
    escalation = fresh(escalation)
    stage = escalation.policy_stage()
    people = People()
    holders = sorted(people.receiving_side(escalation, stage)) or sorted(
        people.raising_side(escalation, stage) - {escalation.raised_by_id}
    )
    who = get_user_model().objects.get(pk=holders[0])
    services.escalation_acknowledge(escalation=escalation, acting_user=who, at=at)
    return who


def climb(escalation, to_stage, *, by, at=None, evidence="We met twice and could not agree."):
    while fresh(escalation).stage_number < to_stage:
        current = fresh(escalation)
        if current.state == State.RAISED and current.policy_stage().acknowledgement_required:
            acknowledge(current, at=at)
        services.escalation_escalate(escalation=fresh(escalation), acting_user=by, evidence=evidence, at=at)
    return fresh(escalation)
