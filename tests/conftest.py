"""A fixed cast of characters, as the policies speak of them.

Riverside (the five-stage policy): a school practitioner raises disagreements with
children's social care; each side has a full management ladder. Plus the partnership's
business manager, chair, panel member and auditor, and an outsider from Cumberland.
"""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from partnerships.choices import AgencyType, Role
from tests.factories import AgencyFactory, ChildFactory, PartnershipFactory, person

LONDON = ZoneInfo("Europe/London")


def london(*args) -> datetime:
    return datetime(*args, tzinfo=LONDON)


@dataclass
class Cast:
    partnership: object
    school: object
    csc: object
    police: object
    health: object
    practitioner: object
    manager: object
    safeguarding_lead: object
    senior_manager: object
    director: object
    other_practitioner: object
    other_manager: object
    other_senior_manager: object
    other_director: object
    police_senior_manager: object
    health_senior_manager: object
    business_manager: object
    chair: object
    panel_member: object
    auditor: object
    outsider: object
    outsider_partnership: object
    child: object
    sibling: object


def build_cast(slug: str = "five-stage") -> Cast:
    p = PartnershipFactory(slug=slug)
    school = AgencyFactory(partnership=p, name="Riverside Primary School", type=AgencyType.EDUCATION)
    csc = AgencyFactory(partnership=p, name="Riverside Children's Social Care", type=AgencyType.CHILDRENS_SOCIAL_CARE)
    police = AgencyFactory(partnership=p, name="Riverside Police", type=AgencyType.POLICE)
    health = AgencyFactory(partnership=p, name="Riverside NHS Trust", type=AgencyType.HEALTH)
    other = PartnershipFactory(slug="cumberland")
    other_agency = AgencyFactory(partnership=other, name="Cumberland Police", type=AgencyType.POLICE)
    return Cast(
        partnership=p,
        school=school,
        csc=csc,
        police=police,
        health=health,
        practitioner=person("practitioner", p, Role.PRACTITIONER, school),
        manager=person("manager", p, Role.LINE_MANAGER, school),
        safeguarding_lead=person("dsl", p, Role.SAFEGUARDING_LEAD, school),
        senior_manager=person("senior", p, Role.SENIOR_MANAGER, school),
        director=person("director", p, Role.EXECUTIVE_LEAD, school),
        other_practitioner=person("social-worker", p, Role.PRACTITIONER, csc),
        other_manager=person("team-manager", p, Role.LINE_MANAGER, csc),
        other_senior_manager=person("head-of-service", p, Role.SENIOR_MANAGER, csc),
        other_director=person("dcs", p, Role.EXECUTIVE_LEAD, csc),
        police_senior_manager=person("police-senior", p, Role.SENIOR_MANAGER, police),
        health_senior_manager=person("health-senior", p, Role.SENIOR_MANAGER, health),
        business_manager=person("business-manager", p, Role.BUSINESS_MANAGER),
        chair=person("chair", p, Role.CHAIR),
        panel_member=person("panel-member", p, Role.PANEL_MEMBER),
        auditor=person("auditor", p, Role.AUDITOR),
        outsider=person("outsider", other, Role.PRACTITIONER, other_agency),
        outsider_partnership=other,
        child=ChildFactory(
            partnership=p, first_name="Ellie", last_name="Hart", created_by_agency=school, lead_agency=csc
        ),
        sibling=ChildFactory(
            partnership=p, first_name="Noah", last_name="Hart", created_by_agency=school, lead_agency=csc
        ),
    )


@pytest.fixture
def cast(db) -> Cast:
    return build_cast()


@pytest.fixture(autouse=True)
def attachments_storage(tmp_path):
    """Attached files go to a folder of each test's own, never the project's attachments/.
    (override_settings, not the `settings` fixture: that would be set up before `empty_cache`,
    and a test's own cache settings would then be restored only after the cache is cleared.)"""
    from django.conf import settings
    from django.test import override_settings

    root = tmp_path / "attachments"
    storage = {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(root)}}
    with override_settings(STORAGES={**settings.STORAGES, "attachments": storage}):
        yield root


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Argon2 is deliberately slow; the tests create dozens of people.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def verified_device_for(user):
    """The confirmed authenticator app of a user who must use (or has) two-factor sign-in, made if missing."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from partnerships.two_factor import role_requires_two_factor

    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-pk").first()
    if device is not None:
        return device
    if hasattr(user, "_memberships_cache"):
        del user._memberships_cache
    required = role_requires_two_factor(user)
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True) if required else None


@pytest.fixture
def client(client):
    """pytest-django's client, whose force_login also passes the second step of two-factor sign-in.

    For users who must use two-factor sign-in (or have an app) it makes a confirmed app if
    missing and marks the session verified with it, as django_otp.login does.
    """
    from django_otp import DEVICE_ID_SESSION_KEY

    force_login_without_second_step = client.force_login

    def force_login(user, backend=None):
        force_login_without_second_step(user, backend)
        device = verified_device_for(user)
        if device is not None:
            session = client.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()

    client.force_login = force_login
    client.force_login_without_second_step = force_login_without_second_step
    return client


@pytest.fixture(autouse=True)
def empty_cache():
    # The cache keeps dashboard figures by partnership id; ids are reused between tests on SQLite.
    from django.core.cache import cache

    from escalation import figures_cache

    figures_cache.forget_failures()  # a test that broke the cache on purpose leaves no pause behind
    cache.clear()
    yield
    cache.clear()
    figures_cache.forget_failures()
