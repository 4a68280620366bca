"""The project's URLs plus the benchmark's floor page and bare floor (only while benchmarking;
the bare floor is reached without middleware only through tests/bench/wsgi.py)."""

from django.urls import include, path

from escalation.views import floor
from tests.bench.views import bare_floor

urlpatterns = [
    path("bench/floor/<int:pk>/", floor.floor, name="bench-floor"),
    path("bench/bare/<int:pk>/", bare_floor, name="bench-bare-floor"),
    path("", include("config.urls")),
]
