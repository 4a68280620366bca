"""The bare floor's view: the floor page's primary-key lookup, served with no middleware
(tests/bench/wsgi.py routes it past every one)."""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse

from escalation.models import Escalation


@login_not_required  # in-process (the test client runs the middleware) it is counted anonymously
def bare_floor(request, pk: int):
    found = Escalation.objects.filter(pk=pk).exists()
    return HttpResponse("ok" if found else "none", content_type="text/plain; charset=utf-8")
