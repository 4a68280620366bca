"""The benchmark's data generators are not product code: the product's commands do not
include them, and the benchmark's settings do."""

import subprocess
import sys

from django.core.management import get_commands

BENCH_COMMANDS = {"bench_data", "bench_watcher", "bench_dashboard"}


def test_the_product_has_no_benchmark_commands():
    assert not BENCH_COMMANDS & set(get_commands())


def test_the_benchmarks_settings_install_its_commands():
    code = (
        "import django; django.setup(); from django.core.management import get_commands; "
        "print(sorted(c for c in get_commands() if c.startswith('bench_')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**__import__("os").environ, "DJANGO_SETTINGS_MODULE": "tests.bench.settings", "DEBUG": "1"},
    ).stdout
    assert out.strip() == str(sorted(BENCH_COMMANDS))
