"""Print a one-time link with which a person sets up two-factor sign-in.

    manage.py enrolment_link five-stage-business-manager

For the roles that require two-factor sign-in, a first authenticator app can only be set up
through such a link (partnerships/enrolment.py). Administrators can also issue one from the
admin's list of users. The link is recorded (who for, how, when; its use) and works once.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from partnerships import enrolment
from partnerships.models import EnrolmentLink


class Command(BaseCommand):
    help = "Print a one-time link with which USERNAME sets up two-factor sign-in (it expires, and works once)."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user called {username!r}")
        url = enrolment.issue(user, via=EnrolmentLink.IssuedVia.COMMAND)
        self.stdout.write(url)
        self.stderr.write(
            f"Sign in as {username} with the password, then open the link. "
            f"It works once, within {enrolment.link_hours()} hours."
        )
