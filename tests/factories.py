"""factory_boy factories for the people and places the tests talk about."""

import factory
from django.contrib.auth import get_user_model

from cases.models import Child
from partnerships.choices import AgencyType, Role
from partnerships.models import Agency, Membership, Partnership
from partnerships.presets import get_preset
from partnerships.services import policy_load_preset

PASSWORD = "Correct-Horse-Battery-9"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name", locale="en_GB")
    last_name = factory.Faker("last_name", locale="en_GB")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class PartnershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partnership
        django_get_or_create = ("slug",)

    slug = "five-stage"
    name = factory.LazyAttribute(lambda p: f"{p.slug.title()} Safeguarding Children Partnership")
    policy = factory.LazyAttribute(lambda p: policy_load_preset(get_preset(p.slug)))


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency

    partnership = factory.SubFactory(PartnershipFactory)
    name = factory.Sequence(lambda n: f"Agency {n}")
    type = AgencyType.OTHER


class ChildFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Child

    partnership = factory.SubFactory(PartnershipFactory)
    first_name = factory.Faker("first_name", locale="en_GB")
    last_name = factory.Faker("last_name", locale="en_GB")
    date_of_birth = factory.Faker("date_of_birth", maximum_age=17)


def person(username: str, partnership, role: Role, agency=None):
    # Names from the username, never a random one: a notice that names who acted must not
    # trip a test that looks for a child's name (Ellie Hart) in it.
    first, _, rest = username.replace("-", " ").title().partition(" ")
    user = UserFactory(username=username, first_name=first, last_name=rest or "Staff")
    Membership.objects.create(user=user, partnership=partnership, agency=agency, role=role)
    return user
