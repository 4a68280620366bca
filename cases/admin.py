from django.contrib import admin

from cases.audit import log_children_seen
from cases.models import AccessLog, Child, RecordEntry
from partnerships.admin import ReadOnlyAdmin


@admin.register(Child)
class ChildAdmin(admin.ModelAdmin):
    """Administrators see children's details here too, so each view is in the access log."""

    list_display = ["full_name", "date_of_birth", "local_reference", "partnership"]
    list_filter = ["partnership"]
    search_fields = ["first_name", "last_name", "local_reference"]

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        if changelist is not None:
            log_children_seen(request, changelist.result_list, "the admin's list of children")
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        child = (getattr(response, "context_data", None) or {}).get("original")
        if child is not None:
            log_children_seen(request, [child], "the admin's page for the child")
        return response


@admin.register(RecordEntry)
class RecordEntryAdmin(ReadOnlyAdmin):
    """Read-only: the child's file is append-only, for administrators too."""

    list_display = ["at", "child", "kind", "escalation", "author"]
    list_filter = ["kind"]


@admin.register(AccessLog)
class AccessLogAdmin(RecordEntryAdmin):
    list_display = ["at", "user", "action", "object_type", "object_id", "ip_address"]
    list_filter = ["action", "object_type"]
    search_fields = ["user__username", "object_id", "detail"]
