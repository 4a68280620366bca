"""The project's URLs plus the benchmark's floor page (only while benchmarking)."""

from django.urls import include, path

from escalation.views import floor

urlpatterns = [
    path("bench/floor/<int:pk>/", floor.floor, name="bench-floor"),
    path("", include("config.urls")),
]
