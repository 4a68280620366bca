"""The error pages: 400, 403, 404, 500 and a refused form (CSRF), in the GOV.UK style.

Each says what happened and what to do next and, after a form was sent, whether anything
was saved; none shows internal detail (no exception text, no path, no reason from the CSRF
check). They are rendered from a plain context, without the request's context processors:
the 500 page in particular must render when the database, the session or the user is what
failed, so it reads nothing but the request's method.
"""

from django.http import HttpResponse
from django.template import loader


def _page(template: str, status: int, request, **context) -> HttpResponse:
    posted = getattr(request, "method", "GET") == "POST"
    body = loader.get_template(template).render({"posted": posted, **context})
    response = HttpResponse(body, status=status)
    response["Cache-Control"] = "no-store"
    return response


def bad_request(request, exception=None):
    return _page("400.html", 400, request)


def permission_denied(request, exception=None):
    return _page("403.html", 403, request)


def page_not_found(request, exception=None):
    return _page("404.html", 404, request)


def server_error(request):
    return _page("500.html", 500, request)


def csrf_failure(request, reason=""):
    """The form was refused because its security token was missing or out of date: most often
    a page left open past the session's end, or signed out in another tab. Nothing was saved."""
    return _page("403_csrf.html", 403, request)
