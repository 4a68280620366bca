"""The benchmark's WSGI application: the project as deployed, plus the bare floor.

Requests under BARE_PREFIX go to a Django handler with no middleware at all: no session, no
sign-in, no CSRF, no security headers; the view does the same primary-key lookup as the floor
page (escalation/views/floor.py). Served by the same gunicorn workers in the same run, it is
the least this stack (gunicorn, Django's URL resolving, one PostgreSQL query) can cost, and the
floor's own overhead is the difference. Everything else goes to the project's application.
"""

import os

from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.bench.settings")

BARE_PREFIX = "/bench/bare/"


class BareHandler(WSGIHandler):
    """Django's WSGI handler with an empty middleware chain: the URL resolver and the view only."""

    def load_middleware(self, is_async=False):
        self._view_middleware = []
        self._template_response_middleware = []
        self._exception_middleware = []
        self._middleware_chain = convert_exception_to_response(self._get_response)


project = get_wsgi_application()
bare = BareHandler()


def application(environ, start_response):
    if environ.get("PATH_INFO", "").startswith(BARE_PREFIX):
        return bare(environ, start_response)
    return project(environ, start_response)
