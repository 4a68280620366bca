from django.core.management.base import BaseCommand

from partnerships.services import load_all_presets


class Command(BaseCommand):
    help = "Load (or refresh) the five escalation policy presets. Safe to run again."

    def handle(self, *args, **options):
        for policy in load_all_presets():
            self.stdout.write(f"{policy.slug}: {policy.name} ({policy.stages.count()} stages)")
