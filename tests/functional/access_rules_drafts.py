"""Expected outcomes of the drafts pages for the URL walker (test_access_every_url.py).

A draft is its author's alone: the walker asks for an id that is nobody's draft, and everyone
gets 404, as anyone but the author does for a real one (tests/functional/test_drafts.py).
With nothing kept from a timed-out form, "restore" sends everyone to their home page.
"""

from tests.functional.test_access_every_url import ROLES

EXPECTED = {
    "escalation:draft": {r: 404 for r in ROLES},
    "escalation:draft-delete": {r: 404 for r in ROLES},
    "escalation:draft-restore": {r: 302 for r in ROLES},
}
