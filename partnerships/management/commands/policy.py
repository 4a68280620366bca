"""`manage.py policy export SLUG` and `manage.py policy import FILE --partnership SLUG`.

Export writes a policy (its stages, timed steps, holders, notifications, and the partnership's
calendar and signposts) as YAML or JSON to standard output. Import reads such a file as a new
draft version of a partnership's policy, for its business manager to check and publish; bad
input is reported line by line and exits with status 2, and nothing is written.
"""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from partnerships.models import Partnership, Policy
from partnerships.policy_file import PolicyFileError, dump, parse, policy_document
from partnerships.versions import DraftExists, discard_draft, draft_from_file, draft_of


class Command(BaseCommand):
    help = "Export a policy as YAML or JSON, or import one as a new draft version of a partnership's policy."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        export = actions.add_parser("export", help="Write a policy to standard output.")
        export.add_argument("slug", help="A partnership's slug (its policy in use) or a policy's slug.")
        export.add_argument("--format", choices=["yaml", "json"], default="yaml")
        load = actions.add_parser("import", help="Load a policy file as a new draft version.")
        load.add_argument("file", help="A YAML or JSON policy file ('-' for standard input).")
        load.add_argument("--partnership", required=True, help="The partnership's slug.")
        load.add_argument("--replace-draft", action="store_true", help="Discard the partnership's unpublished draft.")

    def handle(self, *args, **options):
        if options["action"] == "export":
            return self.export(options)
        return self.load(options)

    def export(self, options):
        slug = options["slug"]
        partnership = Partnership.objects.filter(slug=slug).select_related("policy").first()
        if partnership is not None:
            if partnership.policy is None:
                raise CommandError(f"{partnership.name} has no escalation policy yet.", returncode=2)
            policy = partnership.policy
        else:
            policy = Policy.objects.filter(slug=slug).first()
            if policy is None:
                raise CommandError(f"No partnership or policy has the slug '{slug}'.", returncode=2)
            partnership = policy.partnership
        self.stdout.write(dump(policy_document(policy, partnership), options["format"]), ending="")

    def load(self, options):
        try:
            if options["file"] == "-":
                text = sys.stdin.read()
            else:
                text = Path(options["file"]).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"Cannot read {options['file']}: {error}", returncode=2) from None
        try:
            data = parse(text)
        except PolicyFileError as error:
            for line in error.lines():
                self.stderr.write(f"{options['file']}: {line}")
            raise CommandError(
                f"{len(error.problems)} problem(s) in {options['file']}; nothing was imported.", returncode=2
            ) from None
        partnership = Partnership.objects.filter(slug=options["partnership"]).first()
        if partnership is None:
            raise CommandError(f"No partnership has the slug '{options['partnership']}'.", returncode=2)
        existing = draft_of(partnership)
        if existing is not None and options["replace_draft"]:
            discard_draft(existing)
        try:
            draft = draft_from_file(partnership, data)
        except DraftExists as error:
            raise CommandError(f"{error} (or import with --replace-draft).", returncode=2) from None
        self.stdout.write(
            f"Imported {draft.name} as draft version {draft.version} of {partnership.name}'s policy "
            f"({draft.stages.count()} stages). Its business manager can check and publish it."
        )
