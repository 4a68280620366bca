"""The benchmark's floor: the cheapest page this stack can serve.

It goes through every middleware like any other page (session, sign-in, two-factor, CSRF,
security headers, the content security policy) and does exactly one primary-key query, with
no template. Every page's latency in the benchmark is quoted as a multiple of this one's.
It answers "ok" or "none" and shows nothing of the row, so it cannot leak what a user may
not see.
"""

from django.http import HttpResponse

from escalation.models import Escalation


def floor(request, pk: int):
    found = Escalation.objects.filter(pk=pk).exists()
    return HttpResponse("ok" if found else "none", content_type="text/plain; charset=utf-8")
