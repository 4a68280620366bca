"""Expected status of /health/ per role, merged into test_access_every_url.

The health check is for an uptime monitor: no sign-in, and the same answer whoever asks
(signed in or not, any role), with statuses only. In this world the deadline watcher has
never run, so the answer is 503 for everyone.
"""

from tests.functional.test_access_every_url import ROLES

EXPECTED = {"health": {role: 503 for role in ROLES}}
# Open without signing in: what an anonymous visitor gets instead of being sent to sign in.
WITHOUT_SIGN_IN = {"health": 503}
