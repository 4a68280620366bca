"""The partnership's policy: everyone in the partnership reads it; only its own business
manager edits it (draft, stages, calendar, signposts, preview, publish, discard); another
partnership's people do not even find it."""

from tests.functional.test_access_every_url import ROLES


def _reads(status=200):
    return {r: 404 if r == "outsider" else status for r in ROLES}


def _edits(status=200):
    return {r: status if r == "business_manager" else 404 if r == "outsider" else 403 for r in ROLES}


EXPECTED = {
    "policy:home": {r: 302 for r in ROLES},  # to the person's own partnership's policy
    "policy:show": _reads(),
    "policy:version": _reads(),
    "policy:start": _edits(302),  # a draft exists: straight to it
    "policy:draft": _edits(),
    "policy:settings": _edits(),
    "policy:stage": _edits(),
    "policy:remove-stage": _edits(),  # GET asks to confirm
    "policy:calendar": _edits(),
    "policy:signposts": _edits(),
    "policy:preview": _edits(),
    "policy:publish": _edits(),  # GET asks to confirm
    "policy:discard": _edits(),  # GET asks to confirm
    "policy:add-stage": {r: 405 for r in ROLES},  # POST only
}
