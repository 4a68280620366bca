"""Auditor exports and the record of every export."""

from django.urls import path

from escalation.views import exports

app_name = "exports"
urlpatterns = [
    path("", exports.export_page, name="index"),
]
