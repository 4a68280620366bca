from django.contrib import admin

from cases.models import AccessLog, Child, RecordEntry


@admin.register(Child)
class ChildAdmin(admin.ModelAdmin):
    list_display = ["full_name", "date_of_birth", "local_reference", "partnership"]
    list_filter = ["partnership"]
    search_fields = ["first_name", "last_name", "local_reference"]


@admin.register(RecordEntry)
class RecordEntryAdmin(admin.ModelAdmin):
    """Read-only: the child's file is append-only, for administrators too."""

    list_display = ["at", "child", "kind", "escalation", "author"]
    list_filter = ["kind"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AccessLog)
class AccessLogAdmin(RecordEntryAdmin):
    list_display = ["at", "user", "action", "object_type", "object_id", "ip_address"]
    list_filter = ["action", "object_type"]
    search_fields = ["user__username", "object_id", "detail"]
