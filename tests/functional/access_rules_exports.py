"""Expected status of the export pages per role, merged into test_access_every_url.

Business managers, chairs and auditors of the partnership export; everyone else, panel
members included, is refused (403) whether or not they can see some escalations.
"""

from tests.functional.test_access_every_url import ROLES

EXPORTERS = {"business_manager", "chair", "auditor"}

EXPECTED = {
    "exports:index": {role: 200 if role in EXPORTERS else 403 for role in ROLES},
}
