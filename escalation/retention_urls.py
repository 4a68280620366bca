"""Retention review: records due for review, disposal and legal holds."""

app_name = "retention"
urlpatterns = []
