from django.core.management.base import BaseCommand

from escalation.demo.partnerships import DEMO_PASSWORD, load_demo


class Command(BaseCommand):
    help = "Load five demo partnerships (one per preset policy) with a demo user in every role. Idempotent."

    def handle(self, *args, **options):
        def progress(text: str) -> None:
            self.stdout.write(text)
            self.stdout.flush()

        progress("Loading the demo partnerships, their people and children...")
        people = load_demo(progress=progress)
        self.stdout.write(f"Demo users (password for all: {DEMO_PASSWORD}):")
        for person in people:
            self.stdout.write(f"  {person.username:<40} {person.role:<40} {person.where}")
        self.stdout.write(
            "Partnership roles (business manager, chair, panel member, auditor) and admin must set up "
            "two-factor sign-in with a one-time link, which this prints: "
            "DEBUG=1 .venv/bin/python manage.py enrolment_link USERNAME"
        )
