"""The home page: the person's work first (escalation.worklist builds it), then their account."""

from django.shortcuts import render

from escalation import drafts
from escalation.worklist import home_context


def home(request):
    context = {**home_context(request.user), **drafts.home_context(request.user)}
    return render(request, "partnerships/home.html", context)
