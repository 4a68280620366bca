"""Access rules for the two-factor sign-in pages (merged into test_access_every_url.EXPECTED).

In the URL walk every person's session has passed the second step (the `client` fixture
verifies everyone whose role requires it (partnership roles) with an authenticator app; the others have none).
"""

ROLES = [
    "practitioner",
    "manager",
    "other_practitioner",
    "other_manager",
    "police_senior_manager",
    "business_manager",
    "chair",
    "panel_member",
    "auditor",
    "outsider",
]
MUST_USE_TWO_FACTOR = {"business_manager", "chair", "panel_member", "auditor"}

EXPECTED = {
    # Everyone can see and change their own two-factor sign-in.
    "two_factor:manage": {r: 200 for r in ROLES},
    "two_factor:set-up": {r: 200 for r in ROLES},
    # A set-up link that is not valid (the walker passes a made-up one): a page that says so.
    "two_factor:enrol": {r: 200 for r in ROLES},
    # The second step is already done (or not needed): on to the next page.
    "two_factor:verify": {r: 302 for r in ROLES},
    "two_factor:recovery": {r: 302 for r in ROLES},
    # Codes are shown once, straight after they are made; otherwise back to the manage page.
    "two_factor:recovery-codes": {r: 302 for r in ROLES},
    "two_factor:new-recovery-codes": {r: 405 for r in ROLES},  # POST only
    # Turning it off: refused to those whose role requires it; nothing to turn off for the rest.
    "two_factor:turn-off": {r: 403 if r in MUST_USE_TWO_FACTOR else 302 for r in ROLES},
}
# Anonymous visitors are sent to sign in from every two-factor page.
PUBLIC = set()

# The time-out warning's "Stay signed in": POST only (it renews the session, nothing else).
EXPECTED["stay-signed-in"] = {r: 405 for r in ROLES}
