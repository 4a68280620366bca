"""A policy as a file (YAML or JSON): what `manage.py policy export` writes and `import` reads.

A partnership can share its policy with another, keep it under version control, or start from
a preset's file. Reading checks every field against the same choices the models use and
reports each problem with the line it is on, so a business manager can fix a file by hand.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, time

import yaml

from partnerships.choices import (
    AGENCY_ROLES,
    AgencyType,
    Audience,
    BreachTarget,
    Category,
    ClockStart,
    Event,
    Nation,
    PanelRule,
    Route,
    StepEvent,
    Tier,
    TimescaleUnit,
    Urgency,
)

FORMAT = 1
SIGNPOSTS = ("front_door_phone", "emergency_duty_phone", "lado_phone", "lado_email", "whistleblowing_advice")
TIMESCALES = {"timescale": "timescale", "child_protection": "child_protection", "immediate_risk": "immediate_risk"}


class PolicyFileError(ValueError):
    """Every problem found in a file, each as (line or None, message)."""

    def __init__(self, problems: list[tuple[int | None, str]]):
        self.problems = problems
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        return [f"line {line}: {message}" if line else message for line, message in self.problems]


# ---- writing ---------------------------------------------------------------------------


def _timescale(amount, unit):
    return {"amount": amount, "unit": unit} if unit else None


def stage_document(stage) -> dict:
    return {
        "name": stage.name,
        "guidance": stage.guidance,
        "raiser_tier": stage.raiser_tier,
        "receiver_tier": stage.receiver_tier or None,
        "timescale": _timescale(stage.timescale_amount, stage.timescale_unit),
        "child_protection": _timescale(stage.child_protection_amount, stage.child_protection_unit),
        "immediate_risk": _timescale(stage.immediate_risk_amount, stage.immediate_risk_unit),
        "clock_starts": stage.clock_starts,
        "met_by": stage.met_by,
        "acknowledgement_required": stage.acknowledgement_required,
        "evidence_of_previous_stage_required": stage.evidence_of_previous_stage_required,
        "raiser_roles": list(stage.raiser_roles or []),
        "receiver_roles": list(stage.receiver_roles or []),
        "holder_agency_type": stage.holder_agency_type or None,
        "joined_by_agency_type": stage.joined_by_agency_type or None,
        "joined_when_about": list(stage.joined_when_about or []),
        "joined_at_urgency": list(stage.joined_at_urgency or []),
        "joiner_roles": list(stage.joiner_roles or []),
        "receiving_agency_timescales": {
            kind: {"amount": amount, "unit": unit}
            for kind, (amount, unit) in sorted((stage.receiving_agency_timescales or {}).items())
        },
        "breach_targets": list(stage.breach_targets or []),
        "notify": {event: list(named) for event, named in sorted((stage.notify or {}).items())},
        "is_partnership_stage": stage.is_partnership_stage,
        "panel_rule": stage.panel_rule,
        "panel_min_agencies": stage.panel_min_agencies,
        "panel_alternatives": list(stage.panel_alternatives or []),
    }


def calendar_document(partnership) -> dict:
    return {
        "nation": partnership.nation,
        "opens": partnership.opens.strftime("%H:%M"),
        "closes": partnership.closes.strftime("%H:%M"),
        "hold_out_of_hours_email": partnership.hold_out_of_hours_email,
        "closure_days": [
            {"date": day.date.isoformat(), "reason": day.reason} for day in partnership.closure_days.all()
        ],
    }


def signposts_document(partnership) -> dict:
    return {name: getattr(partnership, name) for name in SIGNPOSTS}


def policy_document(policy, partnership=None) -> dict:
    """The whole policy; with a partnership, its calendar and signposts too (a draft carries
    its own proposed ones, which win)."""
    document = {
        "format": FORMAT,
        "name": policy.name,
        "summary": policy.summary,
        "source_document": policy.source_document,
        "source_title": policy.source_title,
        "preset": policy.preset or None,
        "adopted_on": policy.adopted_on.isoformat() if policy.adopted_on else None,
        "review_by": policy.review_by.isoformat() if policy.review_by else None,
        "default_timescale": {"amount": policy.default_timescale_amount, "unit": policy.default_timescale_unit},
        "warning_working_days": policy.warning_working_days,
        "auto_escalate_on_breach": policy.auto_escalate_on_breach,
        "email_advice": policy.email_advice,
        "routes": list(policy.routes or []),
        "stages": [stage_document(stage) for stage in policy.stages.order_by("number")],
    }
    settings = dict(policy.partnership_settings or {})
    if partnership is not None:
        settings.setdefault("calendar", calendar_document(partnership))
        settings.setdefault("signposts", signposts_document(partnership))
    document.update({key: settings[key] for key in ("calendar", "signposts") if key in settings})
    return document


def dump(document: dict, fmt: str = "yaml") -> str:
    if fmt == "json":
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)


# ---- reading ---------------------------------------------------------------------------


def _lines(node, path=(), found=None) -> dict:
    """{path: 1-based line} for every value in a composed YAML (or JSON) document."""
    found = {} if found is None else found
    found[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            found[(*path, key.value)] = key.start_mark.line + 1
            _lines(value, (*path, key.value), found)
            found[(*path, key.value)] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _lines(item, (*path, index), found)
    return found


def _label(path) -> str:
    """stages[2].timescale.amount: stages counted from 1, as a person reads them."""
    text = ""
    for part in path:
        text += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


@dataclass
class _Reader:
    lines: dict
    problems: list = field(default_factory=list)

    def problem(self, path, message):
        line = None
        for cut in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:cut]))
            if line:
                break
        self.problems.append((line, f"{_label(path)}: {message}" if path else message))

    def mapping(self, value, path, fields, required=()):
        if not isinstance(value, dict):
            self.problem(path, "must be a set of named fields")
            return None
        for name in value:
            if name not in fields:
                self.problem((*path, name), f"unknown field (use {', '.join(fields)})")
        for name in required:
            if value.get(name) in (None, ""):
                self.problem((*path, name) if name in value else path, f"missing field '{name}'")
        return value

    def choice(self, value, path, choices, *, optional=False):
        if value in (None, "") and optional:
            return ""
        valid = [c.value for c in choices]
        if value not in valid:
            self.problem(path, f"'{value}' is not one of: {', '.join(valid)}")
            return ""
        return value

    def choices(self, value, path, choices):
        if value is None:
            return []
        if not isinstance(value, list):
            self.problem(path, "must be a list")
            return []
        return [self.choice(item, (*path, i), choices) for i, item in enumerate(value)]

    def whole(self, value, path, *, optional=False, minimum=0):
        if value is None and optional:
            return None
        if not isinstance(value, int) or isinstance(value, bool):
            self.problem(path, "must be a whole number")
            return None
        if value < minimum:
            self.problem(
                path, f"must be {minimum} or more" + (" (a timescale cannot be negative)" if not minimum else "")
            )
            return None
        return value

    def flag(self, value, path, default):
        if value is None:
            return default
        if not isinstance(value, bool):
            self.problem(path, "must be true or false")
            return default
        return value

    def text(self, value, path):
        if value is None:
            return ""
        if not isinstance(value, str | int | float):
            self.problem(path, "must be text")
            return ""
        return str(value)

    def day(self, value, path, *, optional=True):
        if value in (None, "") and optional:
            return None
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            self.problem(path, f"'{value}' is not a date (use YYYY-MM-DD)")
            return None

    def clock(self, value, path, default):
        if value is None:
            return default
        try:
            return time.fromisoformat(str(value) if not isinstance(value, int) else f"{value // 60:02}:{value % 60:02}")
        except ValueError:
            self.problem(path, f"'{value}' is not a time of day (use HH:MM)")
            return default

    def timescale(self, value, path, *, optional=True):
        """(amount, unit) or (None, "")."""
        if value is None and optional:
            return None, ""
        if self.mapping(value, path, ("amount", "unit"), required=("unit",)) is None:
            return None, ""
        if "amount" not in value:
            self.problem(path, "missing field 'amount'")
            return None, ""
        amount = self.whole(value.get("amount"), (*path, "amount"))
        unit = self.choice(value.get("unit"), (*path, "unit"), TimescaleUnit)
        return (amount, unit) if amount is not None and unit else (None, "")


STAGE_FIELDS = (
    "name",
    "guidance",
    "raiser_tier",
    "receiver_tier",
    "timescale",
    "child_protection",
    "immediate_risk",
    "clock_starts",
    "met_by",
    "acknowledgement_required",
    "evidence_of_previous_stage_required",
    "raiser_roles",
    "receiver_roles",
    "holder_agency_type",
    "joined_by_agency_type",
    "joined_when_about",
    "joined_at_urgency",
    "joiner_roles",
    "receiving_agency_timescales",
    "breach_targets",
    "notify",
    "is_partnership_stage",
    "panel_rule",
    "panel_min_agencies",
    "panel_alternatives",
)
POLICY_FIELDS = (
    "format",
    "name",
    "summary",
    "source_document",
    "source_title",
    "preset",
    "adopted_on",
    "review_by",
    "default_timescale",
    "warning_working_days",
    "auto_escalate_on_breach",
    "email_advice",
    "routes",
    "stages",
    "calendar",
    "signposts",
)
CALENDAR_FIELDS = ("nation", "opens", "closes", "hold_out_of_hours_email", "closure_days")


class _AgencyRole:
    """The agency roles, in the shape `_Reader.choice` reads."""

    def __iter__(self):
        return iter(sorted(AGENCY_ROLES, key=lambda r: r.value))


def _stage_row(reader: _Reader, value, path) -> dict | None:
    if reader.mapping(value, path, STAGE_FIELDS, required=("name", "raiser_tier")) is None:
        return None
    row = {
        "name": reader.text(value.get("name"), (*path, "name")),
        "guidance": reader.text(value.get("guidance"), (*path, "guidance")),
    }
    row["raiser_tier"] = (
        reader.choice(value.get("raiser_tier"), (*path, "raiser_tier"), Tier) if value.get("raiser_tier") else ""
    )
    row["receiver_tier"] = reader.choice(value.get("receiver_tier"), (*path, "receiver_tier"), Tier, optional=True)
    for key in TIMESCALES:
        row[f"{key}_amount"], row[f"{key}_unit"] = reader.timescale(value.get(key), (*path, key))
    row["clock_starts"] = reader.choice(
        value.get("clock_starts", ClockStart.STAGE_START), (*path, "clock_starts"), ClockStart
    )
    row["met_by"] = reader.choice(value.get("met_by", StepEvent.STAGE_END), (*path, "met_by"), StepEvent)
    row["acknowledgement_required"] = reader.flag(
        value.get("acknowledgement_required"), (*path, "acknowledgement_required"), True
    )
    row["evidence_of_previous_stage_required"] = reader.flag(
        value.get("evidence_of_previous_stage_required"), (*path, "evidence_of_previous_stage_required"), False
    )
    row["raiser_roles"] = reader.choices(value.get("raiser_roles"), (*path, "raiser_roles"), _AgencyRole())
    row["receiver_roles"] = reader.choices(value.get("receiver_roles"), (*path, "receiver_roles"), _AgencyRole())
    row["holder_agency_type"] = reader.choice(
        value.get("holder_agency_type"), (*path, "holder_agency_type"), AgencyType, optional=True
    )
    row["joined_by_agency_type"] = reader.choice(
        value.get("joined_by_agency_type"), (*path, "joined_by_agency_type"), AgencyType, optional=True
    )
    row["joined_when_about"] = reader.choices(value.get("joined_when_about"), (*path, "joined_when_about"), Category)
    row["joined_at_urgency"] = reader.choices(value.get("joined_at_urgency"), (*path, "joined_at_urgency"), Urgency)
    row["joiner_roles"] = reader.choices(value.get("joiner_roles"), (*path, "joiner_roles"), _AgencyRole())
    row["receiving_agency_timescales"] = {}
    by_type = value.get("receiving_agency_timescales") or {}
    if isinstance(by_type, dict):
        for kind, timescale in by_type.items():
            where = (*path, "receiving_agency_timescales", kind)
            reader.choice(kind, where, AgencyType)
            amount, unit = reader.timescale(timescale, where, optional=False)
            if unit:
                row["receiving_agency_timescales"][kind] = [amount, unit]
    else:
        reader.problem((*path, "receiving_agency_timescales"), "must be a set of agency types, each with a timescale")
    row["breach_targets"] = reader.choices(value.get("breach_targets"), (*path, "breach_targets"), BreachTarget)
    row["notify"] = {}
    notify = value.get("notify") or {}
    if isinstance(notify, dict):
        for event, named in notify.items():
            reader.choice(event, (*path, "notify", event), Event)
            row["notify"][event] = reader.choices(named, (*path, "notify", event), Audience)
    else:
        reader.problem((*path, "notify"), "must be a set of events, each with a list of who is told")
    row["is_partnership_stage"] = reader.flag(value.get("is_partnership_stage"), (*path, "is_partnership_stage"), False)
    row["panel_rule"] = reader.choice(value.get("panel_rule", PanelRule.NONE), (*path, "panel_rule"), PanelRule)
    row["panel_min_agencies"] = reader.whole(
        value.get("panel_min_agencies"), (*path, "panel_min_agencies"), optional=True, minimum=1
    )
    arrangements = [r for r in PanelRule if r != PanelRule.NONE]
    row["panel_alternatives"] = reader.choices(
        value.get("panel_alternatives"), (*path, "panel_alternatives"), arrangements
    )
    return row


def _settings(reader: _Reader, document: dict) -> dict:
    settings = {}
    calendar = document.get("calendar")
    if calendar is not None and reader.mapping(calendar, ("calendar",), CALENDAR_FIELDS) is not None:
        days = []
        for i, day in enumerate(calendar.get("closure_days") or []):
            where = ("calendar", "closure_days", i)
            if reader.mapping(day, where, ("date", "reason"), required=("date", "reason")) is not None:
                parsed = reader.day(day.get("date"), (*where, "date"), optional=False)
                if parsed:
                    days.append(
                        {"date": parsed.isoformat(), "reason": reader.text(day.get("reason"), (*where, "reason"))}
                    )
        opens = reader.clock(calendar.get("opens"), ("calendar", "opens"), time(9))
        closes = reader.clock(calendar.get("closes"), ("calendar", "closes"), time(17))
        if opens >= closes:
            reader.problem(("calendar", "closes"), "must be after the opening time")
        settings["calendar"] = {
            "nation": reader.choice(calendar.get("nation", Nation.ENGLAND_AND_WALES), ("calendar", "nation"), Nation),
            "opens": opens.strftime("%H:%M"),
            "closes": closes.strftime("%H:%M"),
            "hold_out_of_hours_email": reader.flag(
                calendar.get("hold_out_of_hours_email"), ("calendar", "hold_out_of_hours_email"), True
            ),
            "closure_days": days,
        }
    signposts = document.get("signposts")
    if signposts is not None and reader.mapping(signposts, ("signposts",), SIGNPOSTS) is not None:
        settings["signposts"] = {name: reader.text(signposts.get(name), ("signposts", name)) for name in SIGNPOSTS}
    return settings


@dataclass
class PolicyData:
    """A policy read from a file, checked and in the shape of the model's fields."""

    policy: dict
    stages: list[dict]
    partnership_settings: dict


def structure_problems(stages: list[dict]) -> list[tuple[int, str]]:
    """[(stage index, message)]: the rules about the whole ladder, shared with the editor."""
    problems = []
    if not stages:
        problems.append((None, "a policy needs at least one stage"))
    for i, stage in enumerate(stages):
        if stage.get("is_partnership_stage") and i != len(stages) - 1:
            problems.append((i, "the partnership stage must be the last stage"))
    return problems


def parse(text: str) -> PolicyData:
    """Read and check a policy file (YAML or JSON); PolicyFileError lists every problem."""
    try:
        node = yaml.compose(text)
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise PolicyFileError(
            [
                (
                    mark.line + 1 if mark else None,
                    f"the file is not valid YAML or JSON: {getattr(error, 'problem', error)}",
                )
            ]
        ) from None
    reader = _Reader(lines=_lines(node) if node is not None else {})
    if reader.mapping(document, (), POLICY_FIELDS, required=("name", "stages")) is None:
        raise PolicyFileError(reader.problems)
    if document.get("format", FORMAT) != FORMAT:
        reader.problem(("format",), f"this product reads format {FORMAT}")
    default_amount, default_unit = reader.timescale(
        document.get("default_timescale", {"amount": 5, "unit": TimescaleUnit.WORKING_DAYS}), ("default_timescale",)
    )
    policy = {
        "name": reader.text(document.get("name"), ("name",)),
        "summary": reader.text(document.get("summary"), ("summary",)),
        "source_document": reader.text(document.get("source_document"), ("source_document",)),
        "source_title": reader.text(document.get("source_title"), ("source_title",)),
        "preset": reader.text(document.get("preset"), ("preset",)),
        "adopted_on": reader.day(document.get("adopted_on"), ("adopted_on",)),
        "review_by": reader.day(document.get("review_by"), ("review_by",)),
        "default_timescale_amount": default_amount if default_amount is not None else 5,
        "default_timescale_unit": default_unit or TimescaleUnit.WORKING_DAYS,
        "warning_working_days": reader.whole(document.get("warning_working_days", 1), ("warning_working_days",)) or 0,
        "auto_escalate_on_breach": reader.flag(
            document.get("auto_escalate_on_breach"), ("auto_escalate_on_breach",), False
        ),
        "email_advice": reader.text(document.get("email_advice"), ("email_advice",)),
        "routes": reader.choices(document.get("routes"), ("routes",), Route),
    }
    raw_stages = document.get("stages")
    stages = []
    if isinstance(raw_stages, list):
        stages = [_stage_row(reader, stage, ("stages", i)) for i, stage in enumerate(raw_stages)]
        for i, message in structure_problems([s or {} for s in stages]):
            reader.problem(("stages", i) if i is not None else ("stages",), message)
    elif raw_stages is not None:
        reader.problem(("stages",), "must be a list of stages")
    settings = _settings(reader, document)
    if reader.problems:
        raise PolicyFileError(reader.problems)
    return PolicyData(policy=policy, stages=stages, partnership_settings=settings)
