from django.contrib import admin

from cases.audit import log_children_seen
from cases.models import AccessLog, Child, RecordEntry
from partnerships.admin import ReadOnlyAdmin


class ShowsChildrenAdmin(admin.ModelAdmin):
    """An admin whose pages show children's details: each child shown is in the access log, as
    on the service's own pages. `children_of(obj)` names the children a record's page shows;
    `list_shows_children` says whether the list shows them too."""

    list_shows_children = True
    what, what_plural = "record", "records"

    def children_of(self, obj):
        raise NotImplementedError

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        if changelist is not None and self.list_shows_children:
            shown = [child for obj in changelist.result_list for child in self.children_of(obj)]
            log_children_seen(request, shown, f"the admin's list of {self.what_plural}")
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        obj = (getattr(response, "context_data", None) or {}).get("original")
        if obj is not None:
            log_children_seen(request, self.children_of(obj), f"the admin's page for the {self.what}")
        return response


@admin.register(Child)
class ChildAdmin(ShowsChildrenAdmin):
    list_display = ["full_name", "date_of_birth", "local_reference", "partnership"]
    list_filter = ["partnership"]
    search_fields = ["first_name", "last_name", "local_reference"]
    what, what_plural = "child", "children"

    def children_of(self, obj):
        return [obj]


@admin.register(RecordEntry)
class RecordEntryAdmin(ShowsChildrenAdmin, ReadOnlyAdmin):
    """Read-only: the child's file is append-only, for administrators too."""

    list_display = ["at", "child", "kind", "escalation", "author"]
    list_filter = ["kind"]
    list_select_related = ["child", "escalation", "author"]
    what, what_plural = "child's file entry", "child's file entries"

    def children_of(self, obj):
        return [obj.child]


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyAdmin):
    list_display = ["at", "user", "action", "object_type", "object_id", "ip_address"]
    list_filter = ["action", "object_type"]
    search_fields = ["user__username", "object_id", "detail"]
