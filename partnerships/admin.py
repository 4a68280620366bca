from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from partnerships import enrolment
from partnerships.models import Agency, ClosureDay, EnrolmentLink, Membership, Partnership, Policy, PolicyStage
from partnerships.services import policy_copy


class ReadOnlyAdmin(admin.ModelAdmin):
    """For records nobody edits in the admin (they change only through the services, or never)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ClosureDayInline(admin.TabularInline):
    model = ClosureDay
    extra = 0


@admin.register(Partnership)
class PartnershipAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "nation", "policy"]
    inlines = [ClosureDayInline]
    prepopulated_fields = {"slug": ["name"]}

    def save_related(self, request, form, formsets, change):
        """A changed calendar (nation, hours, closure days) moves open deadlines, and says so."""
        super().save_related(request, form, formsets, change)
        calendar_changed = any(f in form.changed_data for f in ("nation", "opens", "closes")) or any(
            formset.has_changed() for formset in formsets
        )
        if change and calendar_changed:
            from escalation.services import recompute_open_deadlines

            moved = recompute_open_deadlines(
                partnership=form.instance,
                reason=f"the partnership's calendar was changed by {request.user.get_username()}",
                acting_user=request.user,
            )
            self.message_user(request, f"Deadlines of {moved} open stage(s) were worked out again.", messages.INFO)


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["name", "type", "partnership"]
    list_filter = ["partnership", "type"]
    search_fields = ["name"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "agency", "partnership", "ended"]
    list_filter = ["partnership", "role"]
    search_fields = ["user__username", "user__last_name"]
    autocomplete_fields = ["agency"]


class PolicyStageInline(admin.StackedInline):
    model = PolicyStage
    extra = 0


@admin.register(Policy)
class PolicyAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "partnership", "version", "status", "preset", "stage_count"]
    list_filter = ["status", "partnership"]
    inlines = [PolicyStageInline]
    actions = ["copy_policy"]

    @admin.action(description="Make an editable copy of the selected policies")
    def copy_policy(self, request, queryset):
        for policy in queryset:
            slug = f"{policy.slug}-copy"
            n = 2
            while Policy.objects.filter(slug=slug).exists():
                slug, n = f"{policy.slug}-copy-{n}", n + 1
            copy = policy_copy(policy, slug=slug, name=f"{policy.name} (copy)")
            self.message_user(request, f"Copied {policy} to {copy.slug}.", messages.SUCCESS)


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class PersonAdmin(UserAdmin):
    """Django's user admin, with the action that issues two-factor set-up links."""

    actions = ["issue_enrolment_link"]

    @admin.action(description="Issue a two-factor set-up link (works once, expires)")
    def issue_enrolment_link(self, request, queryset):
        for user in queryset.filter(is_active=True):
            url = enrolment.issue(user, issued_by=request.user, via=EnrolmentLink.IssuedVia.ADMIN)
            self.message_user(
                request,
                f"Set-up link for {user.get_username()} (send it to them only; it works once, "
                f"within {enrolment.link_hours()} hours): {url}",
                messages.SUCCESS,
            )


@admin.register(EnrolmentLink)
class EnrolmentLinkAdmin(ReadOnlyAdmin):
    """The record of set-up links (only a hash of each link is kept)."""

    list_display = ["user", "issued_by", "issued_via", "issued_at", "expires_at", "used_at"]
    list_filter = ["issued_via"]
    search_fields = ["user__username", "issued_by__username"]
    exclude = ["token_hash"]
