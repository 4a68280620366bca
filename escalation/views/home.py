"""The home page: the person's work first (escalation.worklist builds it), then their account."""

from django.shortcuts import render

from escalation.worklist import home_context


def home(request):
    return render(request, "partnerships/home.html", home_context(request.user))
