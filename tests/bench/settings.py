"""Settings for the benchmark's own server and in-process runs: production settings (DEBUG
off, WhiteNoise manifest storage, every middleware) plus the floor page and a static root
of its own. Select with DJANGO_SETTINGS_MODULE=tests.bench.settings."""

import os

from config.settings import *  # noqa: F403
from config.settings import BASE_DIR

# config.urls plus the floor page (tests/bench/urls.py).
ROOT_URLCONF = "tests.bench.urls"
# collectstatic writes here, not into the project's staticfiles/.
STATIC_ROOT = os.environ.get("BENCH_STATIC_ROOT", str(BASE_DIR / "build" / "bench-static"))
# The benchmark measures exports back to back; the hourly limit would turn them into 429s.
EXPORTS_PER_HOUR = 1_000_000

# The benchmark's data generators (manage.py bench_data, bench_watcher, bench_dashboard).
INSTALLED_APPS = [*INSTALLED_APPS, "tests.bench"]  # noqa: F405
