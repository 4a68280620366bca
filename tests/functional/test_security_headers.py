"""Headers every response carries: no caching of signed-in pages, no browser features we do not use."""

import pytest
from django.urls import reverse

from tests.functional.test_access_every_url import EXPECTED, url_args_for, url_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(cast):
    return cast, url_args_for(cast)


DENIED_FEATURES = ("camera", "microphone", "geolocation", "payment", "usb", "serial", "hid")


def denies_features(response) -> bool:
    policy = {part.strip() for part in response["Permissions-Policy"].split(",")}
    return all(f"{feature}=()" in policy for feature in DENIED_FEATURES)


@pytest.mark.parametrize("role", ["practitioner", "business_manager"])
def test_every_signed_in_page_forbids_caching_whatever_its_outcome(world, client, role):
    cast, args = world
    client.force_login(getattr(cast, role))
    for name in EXPECTED:
        response = client.get(url_for(name, args))
        assert "no-store" in response["Cache-Control"], name
        assert denies_features(response), name
    for path in ("/", "/no-such-page/", reverse("admin:index")):
        response = client.get(path)
        assert "no-store" in response["Cache-Control"], path


def test_the_child_file_cannot_be_kept_by_the_browser(world, client):
    cast, args = world
    client.force_login(cast.auditor)
    response = client.get(reverse("cases:child-file", args=args["child"]))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_signed_out_pages_deny_browser_features_too(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert denies_features(response)
