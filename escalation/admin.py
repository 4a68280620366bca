from django.contrib import admin

from cases.admin import ShowsChildrenAdmin
from escalation.models import Action, Discussion, EmailDigest, Escalation, Notification, StageOccurrence
from partnerships.admin import ReadOnlyAdmin

# Escalations change only through the services (state machine and child's file together).


class StageOccurrenceInline(admin.TabularInline):
    model = StageOccurrence
    extra = 0
    fields = ["number", "started_at", "due_at", "acknowledged_at", "breached_at", "closed_at", "outcome"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Escalation)
class EscalationAdmin(ShowsChildrenAdmin, ReadOnlyAdmin):
    list_display = ["reference", "partnership", "raising_agency", "receiving_agency", "state", "stage_number"]
    list_shows_children = False  # the list names no child; an escalation's page does
    what, what_plural = "escalation", "escalations"
    list_filter = ["partnership", "state", "urgency"]
    search_fields = ["reference"]
    inlines = [StageOccurrenceInline]

    def children_of(self, obj):
        return obj.children.all()


admin.site.register(Discussion, ReadOnlyAdmin)
admin.site.register(Action, ReadOnlyAdmin)


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    """Undelivered e-mail is visible here: failed rows show their attempts and last error."""

    list_display = [
        "escalation",
        "kind",
        "recipient",
        "email_status",
        "email_attempts",
        "email_not_before",
        "email_last_error",
    ]
    list_filter = ["email_status", "kind"]
    search_fields = ["escalation__reference", "recipient__username"]


@admin.register(EmailDigest)
class EmailDigestAdmin(ReadOnlyAdmin):
    """Daily digests, like notifications: an unsent one shows its attempts and last error."""

    list_display = ["recipient", "day", "email_status", "email_attempts", "email_not_before", "email_last_error"]
    list_filter = ["email_status"]
    search_fields = ["recipient__username"]
