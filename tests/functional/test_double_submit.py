"""A form that creates something, sent twice, creates it once: over real HTTP (the live
server), one POST after the other and several at the same moment.

A double click, a retry after a slow answer or the browser's "resend" posts the same form
again. The page carries a key made when it was drawn; the second POST is answered with the
first result (a redirect to what was created) and nothing is written twice: no second
escalation, discussion, resolution or child, and no second entry on the child's file.
The concurrent tests need PostgreSQL (row locks decide the race); they skip on SQLite,
except under CI=true, where they fail.
"""

from __future__ import annotations

import os
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from http.cookies import SimpleCookie

import pytest
from django.conf import settings

from cases.models import Child, RecordEntry
from escalation.models import Discussion, Escalation, Resolution, Submission
from escalation.states import Category, State
from tests.functional.test_hostile_input import signed_in
from tests.integration.test_reliability import acknowledged

pytestmark = pytest.mark.django_db(transaction=True)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """A person's browser against the live server: their session and CSRF cookies, no redirects followed."""

    def __init__(self, live_server, user):
        self.base = live_server.url
        self.cookies = {"sessionid": signed_in(user).cookies[settings.SESSION_COOKIE_NAME].value}
        self.opener = urllib.request.build_opener(_NoRedirect)

    def _send(self, path, data=None):
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body)
        request.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        try:
            response = self.opener.open(request, timeout=30)
        except urllib.error.HTTPError as error:  # 3xx and 4xx arrive here when not followed
            response = error
        with response:
            for header in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    self.cookies[name] = morsel.value
            return response.status, response.headers.get("Location", ""), response.read().decode()

    def form(self, path) -> dict:
        """The hidden fields of the page's form, as the browser would send them back."""
        status, _, html = self._send(path)
        assert status == 200, (path, status)
        hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
        assert re.fullmatch(r"[0-9a-f-]{36}", hidden["submission_key"])
        return hidden

    def post(self, path, data):
        return self._send(path, data)


RAISE = {
    "receiving_agency": None,
    "category": Category.THRESHOLD,
    "concern": "The referral was refused.",
    "why_unsafe": "Bruising was seen twice this term.",
    "outcome_sought": "A strategy discussion.",
    "urgency": "standard",
}


def raise_form(cast):
    path = f"/escalations/raise/?child={cast.child.public_id}"
    return path, {**RAISE, "receiving_agency": cast.csc.pk, "children": [str(cast.child.public_id)]}


DISCUSSION = {
    "held_at": "02/11/2026 09:30",
    "method": "phone",
    "participants": "The teacher and the social worker",
    "outcome": "A home visit this week.",
}
RESOLUTION = {
    "agreed_outcome": "A strategy discussion on Friday.",
    "main_reason": Category.THRESHOLD,
    "practitioners_informed": "Both teachers",
    "family_informed": "yes",
    "case_review_recommended": "no",
}


def test_raising_the_same_form_twice_creates_one_disagreement_and_answers_the_second_with_the_first(cast, live_server):
    browser = Browser(live_server, cast.practitioner)
    path, data = raise_form(cast)
    data.update(browser.form(path))

    first = browser.post(path, data)
    second = browser.post(path, data)

    escalation = Escalation.objects.get()
    assert first[:2] == second[:2] == (302, f"/escalations/{escalation.public_id}/")
    assert RecordEntry.objects.filter(escalation=escalation).count() == 1  # one entry on Ellie's file
    # The page the second POST lands on says what happened.
    status, _, html = browser._send(second[1])
    assert status == 200 and "saved once" in html
    # A new page is a new form: raising again from it is a second disagreement, as meant.
    again = {**data, **browser.form(path)}
    assert browser.post(path, again)[0] == 302
    assert Escalation.objects.count() == 2


def test_a_refused_form_keeps_its_key_and_is_saved_once_when_put_right(cast, live_server):
    browser = Browser(live_server, cast.practitioner)
    path, data = raise_form(cast)
    data.update(browser.form(path))
    status, _, html = browser.post(path, {**data, "concern": ""})
    assert status == 200 and "Enter what the concern is" in html
    # The page drawn again carries the same key (nothing was saved under it yet).
    assert f'name="submission_key" value="{data["submission_key"]}"' in html
    assert browser.post(path, data)[0] == browser.post(path, data)[0] == 302
    assert Escalation.objects.count() == 1


def test_adding_a_child_twice_adds_one_child(cast, live_server):
    browser = Browser(live_server, cast.practitioner)
    path = "/escalations/raise/add-child/"
    data = {**browser.form(path), "first_name": "Maya", "last_name": "Stone", "date_of_birth": "01/02/2018"}
    first, second = browser.post(path, data), browser.post(path, data)
    child = Child.objects.get(first_name="Maya")
    assert first[:2] == second[:2] == (302, f"/escalations/raise/?child={child.public_id}")


def test_recording_a_discussion_and_a_resolution_twice_records_each_once(cast, live_server):
    escalation = acknowledged(cast)
    browser = Browser(live_server, cast.other_practitioner)
    page = f"/escalations/{escalation.public_id}/"

    path = f"{page}discussions/new/"
    data = {
        **browser.form(path),
        **DISCUSSION,
        "action_1_description": "Visit the family",
        "action_1_owner": cast.other_practitioner.username,
        "action_1_due_on": "10/11/2026",
    }
    assert browser.post(path, data)[:2] == browser.post(path, data)[:2] == (302, page)
    assert Discussion.objects.count() == 1
    assert escalation.actions.count() == 1

    path = f"{page}resolve/"
    data = {**browser.form(path), **RESOLUTION}
    first, second = browser.post(path, data), browser.post(path, data)
    # The second is not refused as "someone else changed it" (the first POST did): it is the first's result.
    assert first[:2] == second[:2] == (302, page)
    assert Resolution.objects.count() == 1
    assert Escalation.objects.get().state == State.RESOLVED
    status, _, html = browser._send(page)
    assert "saved once" in html and "changed" not in html.split("saved once")[0][-300:]


# --- at the same moment -----------------------------------------------------------------------


def require_postgresql():
    if "postgresql" in settings.DATABASES["default"]["ENGINE"]:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail("CI=true: the concurrent double-submit test must run on PostgreSQL")
    pytest.skip("needs DATABASE_URL=postgres://… (row locks decide the race)")


def all_at_once(count, post):
    barrier, answers = threading.Barrier(count), [None] * count

    def one(i):
        barrier.wait()
        answers[i] = post()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return answers


def test_the_same_raise_form_posted_four_times_at_once_creates_one_disagreement(cast, live_server):
    require_postgresql()
    browser = Browser(live_server, cast.practitioner)
    path, data = raise_form(cast)
    data.update(browser.form(path))

    answers = all_at_once(4, lambda: browser.post(path, data))

    escalation = Escalation.objects.get()
    assert {answer[:2] for answer in answers} == {(302, f"/escalations/{escalation.public_id}/")}
    assert RecordEntry.objects.filter(escalation=escalation).count() == 1
    assert Submission.objects.count() == 1


def test_the_same_discussion_posted_four_times_at_once_is_recorded_once(cast, live_server):
    require_postgresql()
    escalation = acknowledged(cast)
    browser = Browser(live_server, cast.other_practitioner)
    path = f"/escalations/{escalation.public_id}/discussions/new/"
    data = {**browser.form(path), **DISCUSSION}

    answers = all_at_once(4, lambda: browser.post(path, data))

    assert {answer[:2] for answer in answers} == {(302, f"/escalations/{escalation.public_id}/")}
    assert Discussion.objects.count() == 1
