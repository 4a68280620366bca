"""The benchmark's in-process steps, run by tests/bench/run.py against one database at a time.

    python tests/bench/inproc.py prepare  --prefix 1000 --sessions 20 --out targets.json
    python tests/bench/inproc.py queries  --prefix 1000 --out queries.json
    python tests/bench/inproc.py watcher  --runs 5 --out watcher.json
    python tests/bench/inproc.py consolidate --slug bench-riverside

DATABASE_URL says which database; DJANGO_SETTINGS_MODULE is tests.bench.settings.

Targets (the escalation, child and people every page is measured with) are chosen among the
first `--prefix` escalations, which bench_data writes identically at every size, so the
1,000 and 100,000 data sets are measured on the very same pages.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import time
from importlib import import_module
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.bench.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402
from django.urls import Resolver404, resolve  # noqa: E402

from escalation.models import Escalation  # noqa: E402
from escalation.selectors import inbox_for  # noqa: E402
from escalation.states import OPEN_STATES  # noqa: E402
from partnerships.choices import Role  # noqa: E402
from partnerships.models import Membership, Partnership  # noqa: E402

# Pages measured with the dashboard's figure cache turned off (tests/bench/run.py does the same
# for their server), so the cost of working the figures out is measured as well as reading them.
UNCACHED = {"dashboard-fresh": {"DASHBOARD_CACHE_SECONDS": 0}}
OTP_INSTALLED = "django_otp" in settings.INSTALLED_APPS
# Tracebacks of failing pages are not wanted here: their status goes into the results.
logging.getLogger("django.request").setLevel(logging.CRITICAL)


# --- targets and sessions ------------------------------------------------------------------


def pick_targets(prefix: int) -> dict:
    candidates = Escalation.objects.filter(pk__lte=prefix, reference__startswith="ESC-").annotate(
        n_occ=Count("occurrences", distinct=True), n_children=Count("children", distinct=True)
    )
    hero = (
        candidates.filter(state__in=OPEN_STATES, n_occ__gte=2, n_children__gte=2).order_by("pk").first()
        or candidates.filter(n_occ__gte=2, n_children__gte=2).order_by("pk").first()
        or candidates.order_by("pk").first()
    )
    if hero is None:
        raise SystemExit("No benchmark escalations: run manage.py bench_data first.")
    # A line manager with something in their inbox already among the first `prefix` escalations
    # (so the inbox has rows at both sizes, not none at the small size), in the hero's partnership
    # and agency if one there has, otherwise in another partnership.
    managers = Membership.objects.filter(role=Role.LINE_MANAGER, agency__isnull=False).select_related("user", "agency")

    manager = next(
        (
            m.user
            for m in sorted(
                managers,
                key=lambda m: (
                    m.partnership_id != hero.partnership_id,
                    m.agency_id != hero.raising_agency_id,
                    m.user.username,
                ),
            )
            if inbox_for(m.user).filter(pk__lte=prefix).exists()
        ),
        managers.filter(agency=hero.raising_agency).first().user,
    )
    business_manager = (
        Membership.objects.filter(partnership=hero.partnership, agency=None, role=Role.BUSINESS_MANAGER)
        .select_related("user")
        .order_by("user__username")
        .first()
        .user
    )
    child = hero.children.order_by("pk").first()
    auditor = get_user_model().objects.get(username="bench-auditor-all")
    people = {
        "practitioner": hero.raised_by,
        "manager": manager,
        "business_manager": business_manager,
        "auditor": auditor,
    }
    pages = [
        ("bare", "Bare floor: the same query, no middleware, no session", None, f"/bench/bare/{hero.pk}/", ""),
        ("floor", "Floor: one primary-key query, no template", "practitioner", f"/bench/floor/{hero.pk}/", ""),
        ("sign-in", "Sign-in page (GET)", None, "/sign-in/", ""),
        ("inbox", "Manager's inbox", "manager", "/escalations/inbox/", ""),
        ("list", "Practitioner's list (open, by deadline)", "practitioner", "/escalations/", ""),
        ("escalation", "Escalation page", "practitioner", f"/escalations/{hero.public_id}/", ""),
        ("child", "Child's file", "practitioner", f"/children/{child.public_id}/", ""),
        ("dashboard", "Partnership dashboard", "business_manager", "/dashboard/", "optional"),
        (
            "dashboard-fresh",
            "The same dashboard with its cache off (figures worked out for every request)",
            "business_manager",
            "/dashboard/",
            "extra",
        ),
        (
            "bm-list",
            "Business manager's list (all, newest first)",
            "business_manager",
            "/escalations/?status=all&sort=raised",
            "extra",
        ),
        (
            "bm-list-deep",
            "The same list, 200 pages in (after row 4,975)",
            "business_manager",
            "/escalations/?status=all&sort=raised&after=" + quote(deep_cursor(business_manager, 4_975)),
            "extra",
        ),
    ]
    return {
        "hero": {
            "reference": hero.reference,
            "pk": hero.pk,
            "state": hero.state,
            "stages": hero.n_occ,
            "children": hero.n_children,
            "partnership": hero.partnership.slug,
            "partnership_name": hero.partnership.name,
        },
        "child": child.full_name,
        "people": {role: user.username for role, user in people.items()},
        "pages": [
            {"key": k, "label": label, "user": user, "path": path, "kind": kind, "settings": UNCACHED.get(k, {})}
            for k, label, user, path, kind in pages
        ],
        "_users": people,
    }


def deep_cursor(user, rows: int) -> str:
    """The list's own link to the page after `rows` rows (newest first), as "Next" would make it
    after 199 clicks; at the small size, the deepest page there is."""
    from escalation import keyset
    from escalation.selectors import escalations_visible_to
    from escalation.views.lists import SORTS

    keys = SORTS["raised"][0]
    ordered = escalations_visible_to(user).order_by(*(key.order(forward=True) for key in keys))
    last_shown = ordered[max(min(rows, ordered.count() - 1), 1) - 1]
    return keyset.cursor_for(last_shown, keys)


def otp_device(user):
    """A confirmed authenticator for people whose sign-in needs a second step (if the project
    has two-factor sign-in), so their benchmark sessions count as verified."""
    if not OTP_INSTALLED:
        return None
    try:
        from partnerships.two_factor import role_requires_two_factor

        required = role_requires_two_factor(user)
    except ImportError:
        required = True
    from django_otp.plugins.otp_totp.models import TOTPDevice

    existing = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if existing is None and not required:
        return None
    return existing or TOTPDevice.objects.create(user=user, name="Benchmark", confirmed=True)


def make_sessions(user, count: int) -> list[str]:
    """Signed-in sessions written straight into the session store: what a successful sign-in
    (and second step) leaves behind, without the password hash or the lockout counter."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    device = otp_device(user)
    keys = []
    for _ in range(count):
        session = store()
        session[SESSION_KEY] = user._meta.pk.value_to_string(user)
        session[BACKEND_SESSION_KEY] = "partnerships.backends.UserWithTwoFactorFactsBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        if device is not None:
            from django_otp import DEVICE_ID_SESSION_KEY

            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.create()
        keys.append(f"{settings.SESSION_COOKIE_NAME}={session.session_key}")
    return keys


def client_for(cookie: str | None) -> Client:
    # A page that fails is recorded as a 500 (and the run goes on), not raised.
    client = Client(raise_request_exception=False, HTTP_HOST="127.0.0.1")
    if cookie:
        name, value = cookie.split("=", 1)
        client.cookies[name] = value
    return client


def available(path: str) -> bool:
    try:
        resolve(path.split("?")[0])
    except Resolver404:
        return False
    return True


def export_form_data(client: Client, slug: str, fmt: str) -> dict | None:
    """The export form's fields for one partnership and format, or None if there is no such form."""
    if not available("/exports/"):
        return None
    response = client.get("/exports/")
    if response.status_code != 200:
        return None
    html = response.content.decode()
    if f'value="{fmt}"' not in html:
        return None
    data = {"format": fmt, "download": "Download export"}
    if 'name="partnership"' in html:
        data["partnership"] = slug
    return data


def watcher_is_running() -> None:
    """Pages are measured as a live system serves them, with its deadline watcher running: a
    heartbeat now (the benchmark's server is told the watcher runs hourly, so it stays current
    through the measurements). Without it, business managers' pages would carry the "watcher has
    stopped" banner and its alert, and differ between a fresh and a reused data set."""
    from escalation.watchdog import record_heartbeat

    record_heartbeat("benchmark")


def cmd_prepare(args) -> dict:
    watcher_is_running()
    targets = pick_targets(args.prefix)
    users = targets.pop("_users")
    targets["cookies"] = {role: make_sessions(user, args.sessions) for role, user in users.items()}
    for page in targets["pages"]:
        if args.no_check:
            page["status"] = "not checked"
            continue
        cookie = targets["cookies"][page["user"]][0] if page["user"] else None
        if not available(page["path"]):
            page["status"] = "not available"
            continue
        response = client_for(cookie).get(page["path"])
        page["status"] = response.status_code
        if response.status_code != 200:
            location = response.get("Location", "")
            page["status"] = f"{response.status_code} {location}".strip()
    return targets


# --- queries per page -------------------------------------------------------------------------


def measure(client: Client, method: str, path: str, data=None) -> tuple[int, list[dict], int]:
    call = client.post if method == "POST" else client.get
    with CaptureQueriesContext(connection) as captured:
        response = call(path, data) if data is not None else call(path)
        size = 0
        if response.streaming:
            for chunk in response.streaming_content:
                size += len(chunk)
        else:
            size = len(response.content)
    return response.status_code, list(captured.captured_queries), size


def cmd_queries(args) -> dict:
    watcher_is_running()
    targets = pick_targets(args.prefix)
    users = targets.pop("_users")
    cookies = {role: make_sessions(user, 1)[0] for role, user in users.items()}
    results = {"hero": targets["hero"], "pages": {}, "escalations": Escalation.objects.count()}
    for page in targets["pages"]:
        if not available(page["path"]):
            results["pages"][page["key"]] = {"status": "not available", "path": page["path"]}
            continue
        client = client_for(cookies[page["user"]] if page["user"] else None)
        with override_settings(**UNCACHED.get(page["key"], {})):
            measure(client, "GET", page["path"])  # warm: first-use caches are not the page's cost
            status, queries, size = measure(client, "GET", page["path"])
        results["pages"][page["key"]] = {
            "path": page["path"],
            "status": status,
            "queries": len(queries),
            "bytes": size,
            "sql_ms": round(sum(float(q["time"]) for q in queries) * 1000, 1),
            "slowest": sorted(
                ({"ms": round(float(q["time"]) * 1000, 2), "sql": q["sql"][:1500]} for q in queries),
                key=lambda q: -q["ms"],
            )[:3],
        }
    client = client_for(cookies["auditor"])
    for fmt in os.environ.get("BENCH_EXPORT_FORMATS", "csv").split(","):
        data = export_form_data(client, targets["hero"]["partnership"], fmt)
        if data is None:
            results["pages"][f"export-{fmt}"] = {"status": "not available"}
            continue
        status, queries, size = measure(client, "POST", "/exports/", data)
        results["pages"][f"export-{fmt}"] = {
            "status": status,
            "queries": len(queries),
            "bytes": size,
            "escalations": Escalation.objects.filter(partnership__slug=targets["hero"]["partnership"]).count(),
        }
    return results


# --- the watcher -------------------------------------------------------------------------------


def cmd_watcher(args) -> dict:
    from django.utils import timezone

    from escalation.deadlines import _open_unbreached, run_watcher
    from escalation.models import Action
    from escalation.states import ActionStatus

    open_unbreached = _open_unbreached().count()
    timings, reports = [], []
    for _ in range(args.runs):
        started = time.perf_counter()
        report = run_watcher()
        timings.append(time.perf_counter() - started)
        reports.append(report.as_dict())
    now = timezone.now()
    plans = {}
    scans = {
        "breaches": _open_unbreached().filter(due_at__lt=now).order_by("due_at", "pk")[:500],
        "actions": Action.objects.filter(
            status=ActionStatus.OPEN, due_on__lt=timezone.localdate(), overdue_notified_at__isnull=True
        ).order_by("due_on", "pk")[:500],
    }
    for label, queryset in scans.items():
        plans[label] = queryset.explain(analyze=True)
    return {
        "open_unbreached": open_unbreached,
        "escalations": Escalation.objects.count(),
        "timings_s": [round(t, 4) for t in timings],
        "median_s": round(statistics.median(timings), 4),
        "max_s": round(max(timings), 4),
        "reports": reports,
        "plans": plans,
    }


def cmd_consolidate(args) -> dict:
    """For the export: every escalation into one partnership (a copy of the data set), so one
    export holds all of them."""
    partnership = Partnership.objects.get(slug=args.slug)
    with connection.cursor() as cursor:
        cursor.execute(
            f'UPDATE "{Escalation._meta.db_table}" SET partnership_id = %s WHERE partnership_id <> %s',
            [partnership.pk, partnership.pk],
        )
        moved = cursor.rowcount
        cursor.execute(f'ANALYZE "{Escalation._meta.db_table}"')
    return {"moved": moved, "escalations": Escalation.objects.filter(partnership=partnership).count()}


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    prepare = sub.add_parser("prepare")
    prepare.add_argument("--prefix", type=int, default=1000)
    prepare.add_argument("--sessions", type=int, default=20)
    prepare.add_argument("--no-check", action="store_true", help="Do not request each page once.")
    queries = sub.add_parser("queries")
    queries.add_argument("--prefix", type=int, default=1000)
    watcher = sub.add_parser("watcher")
    watcher.add_argument("--runs", type=int, default=5)
    consolidate = sub.add_parser("consolidate")
    consolidate.add_argument("--slug", required=True)
    for p in (prepare, queries, watcher, consolidate):
        p.add_argument("--out", required=True)
    args = parser.parse_args()
    result = {
        "prepare": cmd_prepare,
        "queries": cmd_queries,
        "watcher": cmd_watcher,
        "consolidate": cmd_consolidate,
    }[args.command](args)
    Path(args.out).write_text(json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    main()
