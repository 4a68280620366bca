from django.db import migrations


def external_managers_from_presets(apps, schema_editor):
    """Policies copied from a preset that gives the route straight to the other agency's
    managers (Bromley: "they may escalate directly to external managers, or request escalation
    via BSCP") take it, where they still give its companion route straight to the partnership:
    a policy whose partnership took that one out is left alone."""
    from partnerships.presets import PRESETS

    Policy = apps.get_model("partnerships", "Policy")
    for policy in Policy.objects.exclude(preset=""):
        preset = PRESETS.get(policy.preset)
        routes = list(policy.routes or [])
        wanted = {route.value for route in preset.routes} if preset else set()
        if "external_managers" in wanted and "unsafe_within_agency" in routes and "external_managers" not in routes:
            policy.routes = routes + ["external_managers"]
            policy.save(update_fields=["routes"])


class Migration(migrations.Migration):

    dependencies = [
        ("partnerships", "0012_stage_joined_for_some_disagreements"),
    ]

    operations = [
        migrations.RunPython(external_managers_from_presets, migrations.RunPython.noop),
    ]
