"""What stops a change to an escalation. Each message is written for the person who tried."""

from __future__ import annotations

from django_fsm import ConcurrentTransition

STALE_MESSAGE = (
    "Someone else changed this escalation while you were working on it. Check its current stage and try again."
)


class EscalationError(Exception):
    """A rule stopped the change. The message is written for the person who tried."""


class NotPermitted(EscalationError):
    pass


class StaleEscalation(EscalationError, ConcurrentTransition):
    """Lost a race with another transition; nothing was written."""
