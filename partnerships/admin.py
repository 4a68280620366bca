from django.contrib import admin, messages

from partnerships.models import Agency, ClosureDay, Membership, Partnership, Policy, PolicyStage
from partnerships.services import policy_copy


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
