"""The child's file, at /children/<id>/ under the name cases:child-file: the page lives with the
escalations it reads (cases imports nothing from escalation)."""

from django.urls import path

from escalation.views import child_file

app_name = "cases"
urlpatterns = [path("<uuid:public_id>/", child_file.child_file, name="child-file")]
