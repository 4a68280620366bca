"""Benchmark: peak memory and time of streamed exports of many escalations.

Not part of `make test` (a benchmark, not a test): run it by hand when
EXPORT_BENCH_DATABASE_URL names a scratch PostgreSQL database whose name
contains "bench", filled by the watcher benchmark:

    createdb -h 127.0.0.1 -U postgres bench_exports
    export URL=postgres://postgres@127.0.0.1:5432/bench_exports
    DEBUG=1 DATABASE_URL=$URL .venv/bin/python manage.py migrate
    DJANGO_SETTINGS_MODULE=tests.bench.settings DEBUG=1 DATABASE_URL=$URL \
        .venv/bin/python manage.py bench_watcher --count 100000 --runs 1
    EXPORT_BENCH_DATABASE_URL=$URL DEBUG=1 .venv/bin/python -m pytest -q -s tests/bench/exports_memory.py
    dropdb -h 127.0.0.1 -U postgres bench_exports

Each measurement runs in its own process (this file run as a script), with DEBUG off so
Django does not keep a log of every query: first timed with the peak resident set size
(ru_maxrss), then again under tracemalloc for the peak of Python allocations. The bench
escalations name no children, so the first run gives each one a child and two entries on
the child's file, so that the JSON carries a realistic record.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCH_URL = os.environ.get("EXPORT_BENCH_DATABASE_URL", "")
ROOT = Path(__file__).resolve().parents[2]
# A streamed export must not grow with the number of escalations: far below what loading them would take.
PEAK_LIMIT_MB = 64

pytestmark = pytest.mark.skipif(
    "bench" not in BENCH_URL.rsplit("/", 1)[-1],
    reason="set EXPORT_BENCH_DATABASE_URL to a *bench* PostgreSQL database filled by bench_watcher",
)


def run(mode: str, fmt: str = "") -> dict:
    env = {**os.environ, "DATABASE_URL": BENCH_URL, "DEBUG": "0", "SECRET_KEY": "bench-" + "x" * 50}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    done = subprocess.run(
        [sys.executable, __file__, mode, fmt], cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("fmt", ["csv", "json", "xlsx"])
def test_a_streamed_export_of_every_bench_escalation_keeps_memory_flat(fmt):
    run("enrich")
    timed = run("time", fmt)
    traced = run("trace", fmt)
    print(f"\n{fmt}: {json.dumps({**timed, **traced})}")
    assert traced["traced_peak_mb"] < PEAK_LIMIT_MB


def test_for_comparison_loading_every_escalation_at_once():
    print(f"\nall at once: {json.dumps(run('naive'))}")


# --- the measuring process -------------------------------------------------------------


def _setup():
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def _maxrss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _reset_peak_rss() -> None:
    """Start the process's high-water mark (VmHWM) afresh: what setting Django up took is not the export's."""
    Path("/proc/self/clear_refs").write_text("5")


def _auditor_and_filter():
    from django.contrib.auth import get_user_model

    from escalation import exports
    from partnerships.choices import Role
    from partnerships.models import Membership, Partnership

    partnership = Partnership.objects.get(slug="bench")
    user, _ = get_user_model().objects.get_or_create(username="bench-auditor")
    Membership.objects.get_or_create(user=user, partnership=partnership, agency=None, role=Role.AUDITOR)
    return user, exports.ExportFilter(partnership=partnership)


def _enrich():
    """One child and two entries on its file per escalation that has none (idempotent)."""
    from datetime import date

    from django.db import transaction

    from cases.models import Child, RecordEntry
    from escalation.models import Escalation

    _, export_filter = _auditor_and_filter()
    bare = Escalation.objects.filter(partnership=export_filter.partnership, children__isnull=True)
    through = Escalation.children.through
    added = 0
    while True:
        batch = list(bare.order_by("pk").values_list("pk", "reference")[:5000])
        if not batch:
            break
        with transaction.atomic():
            children = Child.objects.bulk_create(
                Child(
                    partnership=export_filter.partnership,
                    first_name="Bench",
                    last_name=reference,
                    date_of_birth=date(2015, 3, 14),
                    local_reference=reference[-8:],
                )
                for _, reference in batch
            )
            through.objects.bulk_create(
                through(escalation_id=pk, child_id=child.pk) for (pk, _), child in zip(batch, children, strict=True)
            )
            RecordEntry.objects.bulk_create(
                RecordEntry(child=child, escalation_id=pk, kind=kind, summary=f"Benchmark {kind} entry.")
                for (pk, _), child in zip(batch, children, strict=True)
                for kind in ("raised", "acknowledged")
            )
        added += len(batch)
    return {"children_added": added}


def _export(fmt: str) -> dict:
    import time

    from escalation import exports

    user, export_filter = _auditor_and_filter()
    queryset = exports.export_queryset(user, export_filter)
    count = queryset.count()
    header = {"schema": exports.SCHEMA_ID, "exported_at": "2026-11-23T00:00:00+00:00", "filter": {}}
    started = time.perf_counter()
    response = exports.FORMATTERS[fmt](queryset, filename=f"bench.{fmt}", header=header)
    first_byte, size = None, 0
    for chunk in response.streaming_content:
        if first_byte is None:
            first_byte = time.perf_counter() - started
        size += len(chunk)
    response.close()
    return {"escalations": count, "bytes": size, "seconds": time.perf_counter() - started, "first_byte": first_byte}


def main(mode: str, fmt: str) -> dict:
    _setup()
    if mode == "enrich":
        return _enrich()
    if mode == "time":
        from escalation import exports  # noqa: F401  (imported before the baseline)

        _auditor_and_filter()
        _reset_peak_rss()
        before = _status_mb("VmRSS")
        result = _export(fmt)
        return {
            "escalations": result["escalations"],
            "megabytes_out": round(result["bytes"] / 2**20, 1),
            "seconds": round(result["seconds"], 1),
            "seconds_to_first_byte": round(result["first_byte"], 2),
            "rss_before_mb": round(before, 1),
            "peak_rss_mb": round(_status_mb("VmHWM"), 1),
            "maxrss_mb": round(_maxrss_mb(), 1),
        }
    import tracemalloc

    if mode == "trace":
        tracemalloc.start()
        _export(fmt)
        return {"traced_peak_mb": round(tracemalloc.get_traced_memory()[1] / 2**20, 1)}
    if mode == "naive":
        from escalation import exports

        user, export_filter = _auditor_and_filter()
        queryset = exports.export_queryset(user, export_filter)
        _reset_peak_rss()
        before = _status_mb("VmRSS")
        tracemalloc.start()
        loaded = list(queryset.select_related("partnership", "raising_agency", "receiving_agency"))
        peak = tracemalloc.get_traced_memory()[1]
        return {
            "escalations": len(loaded),
            "traced_peak_mb": round(peak / 2**20, 1),
            "rss_before_mb": round(before, 1),
            "peak_rss_mb": round(_status_mb("VmHWM"), 1),
        }
    raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "")))
