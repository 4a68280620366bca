"""Demo data: five partnerships, one per preset policy, with a person in every role.

Idempotent: people, agencies and children are found by natural keys and left alone if
they exist, so `make run` can load it every time without losing what a user entered.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import date

from django.contrib.auth import get_user_model
from django.db import transaction

from cases.models import Child, ContinuumOfNeed
from partnerships.choices import AgencyType, Role
from partnerships.models import Agency, Membership, Partnership
from partnerships.presets import get_preset
from partnerships.services import policy_load_preset

DEMO_PASSWORD = "Safeguarding-Demo-2026"

PARTNERSHIPS = {
    "cumberland": "Cumberland Safeguarding Children Partnership",
    "plymouth": "Plymouth Safeguarding Children Partnership",
    "five-stage": "Riverside Safeguarding Children Partnership",
    "bromley": "Bromley Safeguarding Children Partnership",
    "st-helens": "St Helens Safeguarding Children Partnership",
}

# (key, name pattern, type): the first two carry a full ladder of roles so a demo
# disagreement can climb every stage on both sides.
AGENCIES = [
    ("school", "{town} Primary School", AgencyType.EDUCATION),
    ("csc", "{town} Children's Social Care", AgencyType.CHILDRENS_SOCIAL_CARE),
    ("police", "{town} Police", AgencyType.POLICE),
    ("health", "{town} NHS Trust", AgencyType.HEALTH),
    ("nursery", "{town} Little Steps Nursery", AgencyType.EARLY_YEARS),
    ("probation", "{town} Probation Service", AgencyType.PROBATION),
    ("early-help", "{town} Early Help Service", AgencyType.EARLY_HELP),
    ("safeguarding-unit", "{town} Safeguarding Children Unit", AgencyType.SAFEGUARDING_UNIT),
]
LADDER = [Role.PRACTITIONER, Role.LINE_MANAGER, Role.SAFEGUARDING_LEAD, Role.SENIOR_MANAGER, Role.EXECUTIVE_LEAD]
EARLY_HELP_OFFICER = "Early Help Assessment/TAC Implementation Officer"
UNIT_MANAGER = "Safeguarding Children Unit manager"
PARTNERSHIP_ROLES = [Role.BUSINESS_MANAGER, Role.CHAIR, Role.PANEL_MEMBER, Role.AUDITOR]
FIRST_NAMES = ["Amira", "Ben", "Chloe", "Dev", "Erin", "Femi", "Grace", "Harry", "Isla", "Jon", "Kiran", "Lena"]
LAST_NAMES = ["Shah", "Morgan", "Evans", "Patel", "Walsh", "Okafor", "Hughes", "Reid", "Khan", "Price", "Doyle"]
CHILDREN = [
    ("Ellie", "Hart", date(2015, 3, 14), "Lisa Hart (mother)", ContinuumOfNeed.TARGETED),
    ("Noah", "Hart", date(2018, 7, 2), "Lisa Hart (mother)", ContinuumOfNeed.TARGETED),
    ("Maya", "Collins", date(2012, 11, 30), "Sam and Jo Collins (parents)", ContinuumOfNeed.SPECIALIST),
    ("Leo", "Barnes", date(2020, 1, 9), "Kerry Barnes (grandmother, kinship carer)", ContinuumOfNeed.EARLY_HELP),
]


# Bromley's policy says so in as many words; the others get the template's default sentence.
WHISTLEBLOWING_ADVICE = {
    "bromley": "This policy does not replace whistleblowing procedures. If you are worried about wrongdoing in "
    "an organisation, follow your own organisation's whistleblowing policy.",
}


@dataclass
class DemoUser:
    username: str
    name: str
    role: str
    where: str


def _town(slug: str) -> str:
    return {"five-stage": "Riverside", "st-helens": "St Helens"}.get(slug, slug.title())


def _signposts(slug: str) -> dict[str, str]:
    """Made-up contact details, different per partnership: 01632 960xxx is Ofcom's range kept for drama."""
    base = 960000 + zlib.crc32(slug.encode()) % 300 * 3
    return {
        "front_door_phone": f"01632 {base}",
        "emergency_duty_phone": f"01632 {base + 1}",
        "lado_phone": f"01632 {base + 2}",
        "lado_email": f"lado@{slug}.example.org",
        "whistleblowing_advice": WHISTLEBLOWING_ADVICE.get(slug, ""),
    }


def _fill_signposts(partnership: Partnership) -> None:
    """Fill only the empty fields: an administrator's edit is never overwritten."""
    empty = {f: v for f, v in _signposts(partnership.slug).items() if v and not getattr(partnership, f)}
    for field, value in empty.items():
        setattr(partnership, field, value)
    if empty:
        partnership.save(update_fields=list(empty))


def _role_slug(role: Role) -> str:
    return role.value.replace("_", "-")


def _user(username: str, index: int):
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=username,
        defaults={
            "first_name": FIRST_NAMES[index % len(FIRST_NAMES)],
            "last_name": LAST_NAMES[(index * 7) % len(LAST_NAMES)],
            "email": f"{username}@example.org",
        },
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user


def _member(user, partnership, role, agency=None, job_title=""):
    Membership.objects.get_or_create(
        user=user, partnership=partnership, agency=agency, role=role, defaults={"job_title": job_title}
    )


@transaction.atomic
def load_demo(*, with_history: bool = True, progress=None) -> list[DemoUser]:
    people: list[DemoUser] = []
    index = 0
    for slug, name in PARTNERSHIPS.items():
        policy = policy_load_preset(get_preset(slug))
        partnership, _ = Partnership.objects.get_or_create(slug=slug, defaults={"name": name, "policy": policy})
        _fill_signposts(partnership)
        town = _town(slug)
        agencies = {}
        for key, pattern, kind in AGENCIES:
            agencies[key], _ = Agency.objects.get_or_create(
                partnership=partnership, name=pattern.format(town=town), defaults={"type": kind}
            )
        for key in ("school", "csc"):
            for role in LADDER:
                username = f"{slug}-{_role_slug(role)}" if key == "school" else f"{slug}-{key}-{_role_slug(role)}"
                user = _user(username, index)
                index += 1
                _member(user, partnership, role, agencies[key], role.label)
                people.append(DemoUser(username, user.get_full_name(), role.label, agencies[key].name))
        # Senior representatives of more agencies, so a resolution panel can have three.
        for key in ("police", "health"):
            user = _user(f"{slug}-{key}-senior-manager", index)
            index += 1
            _member(user, partnership, Role.SENIOR_MANAGER, agencies[key], "Head of Service")
            people.append(DemoUser(user.username, user.get_full_name(), Role.SENIOR_MANAGER.label, agencies[key].name))
        # Plymouth Stage Two brings the Early Help officer into a dispute about threshold.
        user = _user(f"{slug}-early-help-practitioner", index)
        index += 1
        _member(user, partnership, Role.PRACTITIONER, agencies["early-help"], EARLY_HELP_OFFICER)
        people.append(DemoUser(user.username, user.get_full_name(), EARLY_HELP_OFFICER, agencies["early-help"].name))
        # St Helens: the Safeguarding Children Unit's managers follow up every immediate-risk case.
        user = _user(f"{slug}-safeguarding-unit-manager", index)
        index += 1
        _member(user, partnership, Role.LINE_MANAGER, agencies["safeguarding-unit"], UNIT_MANAGER)
        people.append(DemoUser(user.username, user.get_full_name(), UNIT_MANAGER, agencies["safeguarding-unit"].name))
        for role in PARTNERSHIP_ROLES:
            user = _user(f"{slug}-{_role_slug(role)}", index)
            index += 1
            _member(user, partnership, role)
            people.append(DemoUser(user.username, user.get_full_name(), role.label, partnership.name))
        for first, last, dob, carers, need in CHILDREN:
            Child.objects.get_or_create(
                partnership=partnership,
                first_name=first,
                last_name=last,
                date_of_birth=dob,
                defaults={
                    "parents_carers": carers,
                    "continuum_of_need": need,
                    "lead_agency": agencies["csc"],
                    "created_by_agency": agencies["school"],
                    "lead_practitioner": f"{slug}-csc-practitioner",
                },
            )
    User = get_user_model()
    if not User.objects.filter(username="admin").exists():
        User.objects.create_superuser("admin", "admin@example.org", DEMO_PASSWORD)
    people.append(DemoUser("admin", "Administrator", "Administrator", "All partnerships"))
    # A year of back-dated escalations, so the dashboard has something to show (idempotent).
    if with_history:
        from escalation.demo.history import load_demo_history  # imports this module: local import

        load_demo_history(progress=progress)
    return people
