"""The signed-in user's id as a column of Django's session table (partnerships/session_model.py).

Sessions written before this migration have no id in the column; they are read as before (the
session, then the user) until they are next saved."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

ADD = [
    "ALTER TABLE django_session ADD COLUMN user_id integer NULL REFERENCES auth_user (id) DEFERRABLE INITIALLY DEFERRED",
    "CREATE INDEX django_session_user_id ON django_session (user_id)",
]
REMOVE = [
    "DROP INDEX django_session_user_id",
    "ALTER TABLE django_session DROP COLUMN user_id",
]


class Migration(migrations.Migration):
    dependencies = [
        ("partnerships", "0008_two_factor_enrolment_links"),
        ("sessions", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunSQL(ADD, reverse_sql=REMOVE),
        migrations.CreateModel(
            name="SignedInSession",
            fields=[
                ("session_key", models.CharField(max_length=40, primary_key=True, serialize=False, verbose_name="session key")),
                ("session_data", models.TextField(verbose_name="session data")),
                ("expire_date", models.DateTimeField(db_index=True, verbose_name="expire date")),
                (
                    "user",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="sessions",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={"verbose_name": "session", "db_table": "django_session", "managed": False},
        ),
    ]
