"""Expected outcomes of the retention pages for the URL walker (test_access_every_url.py).

Retention review is the business manager's: everyone else gets 403 on every page, whatever
the escalation (so the answer says nothing about whether it exists). The walker's
escalation is open at stage 1: the business manager sees the hold page with its form, and
the release and dispose pages explaining why nothing can be done yet (200 all the same).
"""

from tests.functional.test_access_every_url import ROLES

ONLY_THE_BUSINESS_MANAGER = {role: 200 if role == "business_manager" else 403 for role in ROLES}

EXPECTED = {
    "retention:due": ONLY_THE_BUSINESS_MANAGER,
    "retention:hold": ONLY_THE_BUSINESS_MANAGER,
    "retention:release": ONLY_THE_BUSINESS_MANAGER,
    "retention:dispose": ONLY_THE_BUSINESS_MANAGER,
}
