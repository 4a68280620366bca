"""The benchmark's own Django app: its data generators (`manage.py bench_data`,
`bench_watcher`, `bench_dashboard`) are commands of this app, installed only by the
benchmark's settings (tests/bench/settings.py), so the product does not ship them."""

from django.apps import AppConfig


class BenchConfig(AppConfig):
    name = "tests.bench"
    label = "bench"
    verbose_name = "Benchmark"
