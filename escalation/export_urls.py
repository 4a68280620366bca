"""Auditor exports and the record of every export."""

app_name = "exports"
urlpatterns = []
