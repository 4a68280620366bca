from django.db import migrations

# The labels the routes around the raiser's own agency have written at the head of each passed
# stage's evidence since they were first offered ("<label>: <reason>").
AROUND_OWN_AGENCY = (
    "Straight to the partnership when it is unsafe to raise within your own agency: ",
    "Straight to the other agency's managers when it is unsafe to raise within your own agency: ",
)


def keep_from_own_agency(apps, schema_editor):
    """Cases taken around the raiser's own agency before the flag existed get it: the stages such
    a route passed were held by nobody, and the people who hold them in the raiser's agency are
    not told of the case later (who has held a stage now counts the stages the urgent route
    passed, which their holders were told of)."""
    Escalation = apps.get_model("escalation", "Escalation")
    StageOccurrence = apps.get_model("escalation", "StageOccurrence")
    routed = set()
    for label in AROUND_OWN_AGENCY:
        routed |= set(
            StageOccurrence.objects.filter(evidence_of_previous_efforts__startswith=label).values_list(
                "escalation_id", flat=True
            )
        )
    Escalation.objects.filter(pk__in=routed, kept_from_own_agency=False).update(kept_from_own_agency=True)


class Migration(migrations.Migration):
    dependencies = [
        ("escalation", "0019_notice_of_a_new_urgency"),
    ]

    operations = [
        migrations.RunPython(keep_from_own_agency, migrations.RunPython.noop),
    ]
