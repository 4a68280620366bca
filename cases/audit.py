"""Logging who saw a child's record: one call from every view that shows one."""

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
