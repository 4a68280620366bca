"""The error pages: GOV.UK pages that say what happened, what to do next and, after a form
was sent, whether anything was saved; never internal detail."""

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from config import errors

SERVICE = "Resolve a professional disagreement"


def text(response) -> str:
    return response.content.decode()


@pytest.mark.django_db
def test_a_page_that_does_not_exist(client, cast):
    client.force_login(cast.practitioner)
    response = client.get("/no-such-page-<b>here</b>/")
    assert response.status_code == 404
    page = text(response)
    assert f"<title>Page not found - {SERVICE}</title>" in page
    assert "govuk-heading-l" in page and "check you copied the entire address" in page
    assert "no-such-page" not in page  # the address is not echoed
    assert "Nothing you sent was saved" not in page  # nothing was sent


@pytest.mark.django_db
def test_a_page_the_role_may_not_open_and_a_refused_step(client, cast):
    client.force_login(cast.practitioner)
    response = client.get(reverse("dashboard:index"))
    assert response.status_code == 403
    assert f"<title>You cannot do this - {SERVICE}</title>" in text(response)
    assert "Nothing you sent was saved" not in text(response)
    posted = client.post(reverse("exports:index"), {"format": "csv"})
    assert posted.status_code == 403
    assert "Nothing you sent was saved." in text(posted)


@pytest.mark.django_db
def test_a_refused_form_says_nothing_was_saved_and_what_to_do(cast):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(cast.practitioner)
    response = browser.post(reverse("escalation:notifications-read"))
    assert response.status_code == 403
    page = text(response)
    assert f"<title>Your form could not be sent - {SERVICE}</title>" in page
    assert "Nothing you sent was saved." in page and "reload the page and send it again" in page
    assert "CSRF" not in page and "token" not in page.lower()


@pytest.mark.django_db
def test_a_request_the_service_cannot_understand(client):
    response = client.get("/", HTTP_HOST="not-this-service.example")
    assert response.status_code == 400
    page = text(response)
    assert f"<title>There is a problem with your request - {SERVICE}</title>" in page
    assert "not-this-service" not in page


def test_the_500_page_renders_without_the_database_the_session_or_the_user():
    """No django_db mark: any database access here fails the test."""
    request = RequestFactory().post("/escalations/")
    response = errors.server_error(request)
    assert response.status_code == 500
    page = text(response)
    assert f"<title>Sorry, there is a problem with the service - {SERVICE}</title>" in page
    assert "may or may not have been saved" in page and "check" in page
    assert "immediate risk of significant harm" in page
    assert "may or may not" not in text(errors.server_error(RequestFactory().get("/")))


@pytest.mark.django_db
@pytest.mark.urls("tests.functional.broken_urls")
def test_a_failure_in_a_view_shows_the_500_page_without_internal_detail():
    browser = Client(raise_request_exception=False)
    response = browser.post("/broken/")
    assert response.status_code == 500
    page = text(response)
    assert "Sorry, there is a problem with the service" in page
    assert "internal detail" not in page and "RuntimeError" not in page and "Traceback" not in page
    assert "no-store" in response["Cache-Control"]
