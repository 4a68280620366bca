"""Logging who saw a child's record: one call from every view that shows one.

Every page that shows a child's name, date of birth or local reference writes a row per
child shown (log_children_seen), so "who has seen this child?" has one answer: the access
log filtered by the child's public id.
"""

from cases.models import AccessAction, AccessLog


def client_ip(request) -> str | None:
    # REMOTE_ADDR only: X-Forwarded-For is whatever the client says unless a trusted proxy sets it.
    return request.META.get("REMOTE_ADDR") or None


def log_access(request, action: AccessAction, obj, detail: str = "") -> None:
    AccessLog.objects.create(
        user=request.user,
        action=action,
        object_type=obj._meta.model_name,
        object_id=str(getattr(obj, "public_id", obj.pk)),
        detail=detail[:500],
        ip_address=client_ip(request),
    )


def log_children_seen(request, children, where: str) -> None:
    """One SAW_CHILD row for each child a page shows (a list page shows at most a few dozen)."""
    ip_address = client_ip(request)
    AccessLog.objects.bulk_create(
        AccessLog(
            user=request.user,
            action=AccessAction.SAW_CHILD,
            object_type="child",
            object_id=str(child.public_id),
            detail=where[:500],
            ip_address=ip_address,
        )
        for child in children
    )
