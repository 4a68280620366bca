"""Each stage occurrence names its escalation's partnership (StageOccurrence.partnership), so the
dashboard counts one partnership's stages without scanning every partnership's.

The backfill copies it from the escalation. A closed stage is frozen by a PostgreSQL trigger
(closed_stage_occurrence_frozen); the backfill sets only this new column, so it lifts that
trigger for its own statement alone (config.triggers.lifted, for this connection and this
transaction), and the trigger guards every other change as before.
"""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery

from config import triggers

FROZEN = "escalation.StageOccurrence:closed_stage_occurrence_frozen"


def copy_partnership(apps, schema_editor):
    StageOccurrence = apps.get_model("escalation", "StageOccurrence")
    Escalation = apps.get_model("escalation", "Escalation")
    with triggers.lifted(FROZEN, using=schema_editor.connection.alias):
        StageOccurrence.objects.filter(partnership__isnull=True).update(
            partnership_id=Subquery(Escalation.objects.filter(pk=OuterRef("escalation_id")).values("partnership_id"))
        )
    if schema_editor.connection.vendor == "postgresql":
        # Check the new foreign keys now, so the column can be made NOT NULL in this transaction.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):
    dependencies = [
        ("escalation", "0013_attachments"),
        ("partnerships", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="stageoccurrence",
            name="partnership",
            field=models.ForeignKey(
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="partnerships.partnership",
            ),
        ),
        migrations.RunPython(copy_partnership, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="stageoccurrence",
            name="partnership",
            field=models.ForeignKey(
                editable=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="partnerships.partnership",
            ),
        ),
    ]
