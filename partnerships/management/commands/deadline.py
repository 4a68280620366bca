"""`manage.py deadline`: the deadline calculator on the command line.

Prints exactly one line (the deadline in ISO 8601, Europe/London offset) or a one-line
error on stderr with exit status 2.
"""

import sys
from datetime import datetime
from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand, CommandParser
from django.db import DatabaseError

from partnerships.calendar import WorkingCalendar
from partnerships.choices import AgencyType, Nation, StepEvent, TimescaleUnit, Urgency
from partnerships.presets import UnknownPreset

LONDON = ZoneInfo("Europe/London")


class BadInput(Exception):
    pass


def parse_start(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise BadInput(f"--from {text!r} is not a date and time like 2026-12-23T10:00") from exc
    if not 2000 <= moment.year <= 2100:
        raise BadInput(f"--from {text!r} must be between the years 2000 and 2100")
    return moment if moment.tzinfo else moment.replace(tzinfo=LONDON)


class Command(BaseCommand):
    help = "Work out a deadline from a start time and a timescale, a preset policy stage or a partnership's policy."

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)

        def one_line_error(message):
            # argparse would print the whole usage first; the contract is one line.
            sys.stderr.write(f"error: {message}\n")
            sys.exit(2)

        parser.error = one_line_error
        return parser

    def add_arguments(self, parser: CommandParser):
        parser.add_argument("--from", dest="start", required=True, help="Start, e.g. 2026-12-23T10:00 (London time)")
        parser.add_argument("--nation", choices=[n.value for n in Nation], default=Nation.ENGLAND_AND_WALES.value)
        unit = parser.add_mutually_exclusive_group()
        unit.add_argument("--working-days", type=int)
        unit.add_argument("--working-hours", type=int)
        unit.add_argument("--calendar-hours", type=int)
        unit.add_argument("--same-working-day", action="store_true")
        unit.add_argument("--policy", help="A preset's slug, e.g. five-stage")
        unit.add_argument("--partnership", help="A partnership's slug: its own policy and calendar")
        parser.add_argument("--stage", type=int, help="Stage number, 1 for the first stage")
        parser.add_argument("--urgency", choices=[u.value for u in Urgency], default=Urgency.STANDARD.value)
        parser.add_argument(
            "--step",
            choices=[e.value for e in StepEvent],
            help="The stage's timed step, by the event that meets it (checked against the policy)",
        )
        parser.add_argument(
            "--other-agency",
            choices=[a.value for a in AgencyType],
            help="The type of the agency disagreed with, where the policy sets it a tighter timescale",
        )

    def handle(self, *args, **options):
        try:
            deadline = self.calculate(options)
        except BadInput as exc:
            self.stderr.write(f"error: {exc}")
            sys.exit(2)
        self.stdout.write(deadline.due.astimezone(LONDON).isoformat())

    def calculate(self, options):
        start = parse_start(options["start"])
        amounts = {
            TimescaleUnit.WORKING_DAYS: options["working_days"],
            TimescaleUnit.WORKING_HOURS: options["working_hours"],
            TimescaleUnit.CALENDAR_HOURS: options["calendar_hours"],
        }
        for unit, amount in amounts.items():
            if amount is not None:
                if amount < 0:
                    raise BadInput(f"--{unit.value.replace('_', '-')} must be 0 or more")
                return WorkingCalendar(nation=options["nation"]).deadline(start, amount, unit)
        if options["same_working_day"]:
            return WorkingCalendar(nation=options["nation"]).deadline(start, 0, TimescaleUnit.SAME_WORKING_DAY)
        if options["policy"] or options["partnership"]:
            return self.stage_deadline(options, start)
        raise BadInput(
            "give a timescale: --working-days N, --working-hours N, --calendar-hours N, --same-working-day, "
            "or --policy SLUG / --partnership SLUG with --stage N"
        )

    def stage_deadline(self, options, start):
        from partnerships.models import Partnership
        from partnerships.presets import get_preset
        from partnerships.services import partnership_deadline, preset_deadline

        if options["stage"] is None:
            raise BadInput("--stage N is needed with --policy or --partnership")
        other = options["other_agency"]
        try:
            if options["policy"]:
                self.check_step(options, get_preset(options["policy"]).stage(options["stage"]))
                return preset_deadline(options["policy"], options["stage"], start, options["urgency"], other)
            try:
                partnership = Partnership.objects.filter(slug=options["partnership"]).first()
            except DatabaseError as exc:
                raise BadInput("the database is not ready: run `manage.py migrate` first") from exc
            if partnership is None:
                raise BadInput(f"no partnership with the slug {options['partnership']!r}")
            deadline = partnership_deadline(partnership, options["stage"], start, options["urgency"], other)
            self.check_step(options, partnership.policy.stage(options["stage"]).as_preset())
            return deadline
        except (UnknownPreset, IndexError, LookupError) as exc:
            raise BadInput(str(exc).strip("'\"")) from exc

    @staticmethod
    def check_step(options, stage):
        """Each stage times one step, met by the event its policy names; --step names it."""
        if options["step"] and options["step"] != stage.met_by:
            raise BadInput(
                f"stage {options['stage']} times one step, met when {stage.met_by.label}: --step {stage.met_by.value}"
            )
