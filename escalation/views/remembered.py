"""Lists remember each person's last filter and sort, in their session: coming back to a list
with nothing chosen shows it as they left it; "Clear filters" (?clear=1) forgets it."""

from __future__ import annotations

from django.http import HttpResponseRedirect, QueryDict

CLEAR = "clear"


def remembered(request, key: str, names) -> HttpResponseRedirect | None:
    """Remember the filter and sort `names` chosen on this list, or send the person back to the
    ones they chose last. Returns a redirect to follow, or None to show the page as asked.

    Only a bare visit is redirected: a link that carries a page position (after, before, page)
    or anything else is shown as it is asked."""
    session_key = f"list:{key}"
    if CLEAR in request.GET:
        request.session.pop(session_key, None)
        rest = request.GET.copy()
        rest.pop(CLEAR)
        return HttpResponseRedirect(f"{request.path}?{rest.urlencode()}" if rest else request.path)
    chosen = QueryDict(mutable=True)
    for name in names:
        if name in request.GET:
            chosen.setlist(name, request.GET.getlist(name))
    if chosen:
        if request.session.get(session_key) != chosen.urlencode():
            request.session[session_key] = chosen.urlencode()  # a session write only when it changes
        return None
    stored = request.session.get(session_key)
    if stored and not request.GET:
        return HttpResponseRedirect(f"{request.path}?{stored}")
    return None


def is_remembered(request, key: str) -> bool:
    """For the page: whether to offer "Clear filters"."""
    return bool(request.session.get(f"list:{key}"))
