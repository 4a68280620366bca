"""Retention review: records due for review, disposal and legal holds."""

from django.urls import path

from escalation.views import retention

app_name = "retention"
urlpatterns = [
    path("", retention.due, name="due"),
    path("<uuid:public_id>/hold/", retention.hold, name="hold"),
    path("<uuid:public_id>/release/", retention.release, name="release"),
    path("<uuid:public_id>/dispose/", retention.dispose, name="dispose"),
]
