"""The stopped-watcher warning in a real browser: a business manager sees it at the top of the
page, it reads as a GOV.UK notification banner, and axe finds nothing wrong with it."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from escalation.models import WatcherHeartbeat
from escalation.watchdog import WATCHER
from tests.e2e.conftest import assert_accessible, sign_in
from tests.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_business_manager_sees_that_deadlines_are_not_being_watched(page, live_server, browser_log, cast):
    WatcherHeartbeat.objects.create(name=WATCHER, last_run_at=timezone.now() - timedelta(minutes=10), runs=5)
    sign_in(page, live_server, cast.business_manager.username, PASSWORD)
    warning = page.get_by_role("region", name="Important")
    expect(warning).to_contain_text("Deadlines are not being watched")
    expect(warning).to_contain_text("nobody is told of them")
    assert_accessible(page)
    assert browser_log.errors() == []
