"""Expected status of the dashboard pages per role, merged into test_access_every_url.

The partnership's business manager, chair and auditor read the dashboard, its lists, the
learning report and the audit samples; everyone else gets 403. The walker passes an
escalation's id where a page wants a sample's, so the sample pages are 404 (no such sample)
for those allowed in, and the audit check page is the business manager's alone.
"""

from tests.functional.test_access_every_url import ROLES

READERS = {"business_manager", "chair", "auditor"}


def readers(status=200):
    return {role: status if role in READERS else 403 for role in ROLES}


EXPECTED = {
    "dashboard:index": readers(),
    "dashboard:list": readers(),
    "dashboard:report": readers(),
    "dashboard:report-csv": readers(),
    "dashboard:report-xlsx": readers(),
    "dashboard:audit": readers(),
    "dashboard:audit-sample": readers(404),
    "dashboard:audit-check": {role: 404 if role == "business_manager" else 403 for role in ROLES},
}
