"""One settings module for every environment; the environment decides (12-factor).

With nothing set the app runs on a SQLite file with the deadline watcher in-process, so
`make run` works on a fresh machine. DATABASE_URL / REDIS_URL switch to PostgreSQL and a
real Celery worker and beat.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_SECRET_KEY = "insecure-development-key-change-me"


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY", DEFAULT_SECRET_KEY)
if not DEBUG and SECRET_KEY in ("", DEFAULT_SECRET_KEY):
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a long random value when DEBUG is off. "
        "For local development set DEBUG=1 (make run does this)."
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SERVICE_NAME = "Resolve a professional disagreement"
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_forms_gds",
    "django_fsm",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "pgtrigger",
    "partnerships",
    "cases",
    "escalation",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Django's, except that a session that cannot be saved after a committed change does not
    # turn the change's answer into "400 Bad Request" (config/resilience.py).
    "config.resilience.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Tells us whether this session has passed the second step (request.user.is_verified()):
    # django-otp's, knowing the usual device from the user's own query (partnerships/middleware.py).
    "partnerships.middleware.OTPMiddleware",
    # A disagreement or discussion posted after the session timed out is kept as a draft.
    "escalation.drafts.KeepTypedWorkMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.middleware.ContentSecurityPolicyMiddleware",
    # Two-factor sign-in: sends unverified sessions that need it to the second step.
    "partnerships.middleware.TwoFactorMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
    # Calls the view itself, to run it again after a lost connection when nothing was saved; it
    # wraps no response, so django-axes still sees every one (config/resilience.py).
    "config.resilience.RetryBeforeCommitMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, loading the user with their two-factor facts in one query.
    "partnerships.backends.UserWithTwoFactorFactsBackend",
]
# Sign-in lockout: 5 failures for one username from one address locks it for 30 minutes;
# 20 failures from one address, whatever the usernames, lock the address (password spraying;
# partnerships/lockout.py).
AXES_HANDLER = "partnerships.lockout.UsernameAndAddressHandler"
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
LOGIN_ADDRESS_FAILURE_LIMIT = env_int("LOGIN_ADDRESS_FAILURE_LIMIT", 20)
AXES_COOLOFF_TIME = env_int("LOGIN_LOCKOUT_MINUTES", 30) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

# Two-factor sign-in (django-otp): authenticator apps (TOTP) and one-time recovery codes.
# Who must use it is in partnerships/two_factor.py. Wrong codes back off exponentially per
# device (1, 2, 4, 8… seconds) and also count toward the django-axes lockout above.
OTP_TOTP_ISSUER = SERVICE_NAME
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1
# The admin may reset someone's two-factor sign-in (delete a device) but never read secrets.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# A first app for a role that requires one is set up through a one-time link an administrator
# issues (partnerships/enrolment.py); it works once, within this many hours.
ENROLMENT_LINK_HOURS = env_int("ENROLMENT_LINK_HOURS", 24)

ROOT_URLCONF = "config.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "partnerships.context_processors.service",
                # The stopped-watcher banner for administrators and business managers.
                "escalation.context_processors.watcher",
                "escalation.context_processors.notifications",
                "partnerships.session_timeout.timeout_settings",
            ],
        },
    },
]
WSGI_APPLICATION = "config.wsgi.application"

# Connections are kept for a minute and checked before reuse in each request: after the
# database closes them (a restart, a failover, a network blip) the next request opens a new
# one instead of failing with a 500 (tests/integration/test_dropped_connections.py).
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=60,
        conn_health_checks=env_bool("DB_CONN_HEALTH_CHECKS", default=True),
    )
}
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    DATABASES["default"]["OPTIONS"] = {}
    if not env_bool("DB_JIT"):
        # PostgreSQL compiles a query to machine code once its estimated cost passes a threshold;
        # for the short queries a page makes, compiling took longer than running (44 ms against
        # under 1 ms for a child's file at 100,000 escalations). DB_JIT=1 leaves it on.
        DATABASES["default"]["OPTIONS"]["options"] = "-c jit=off"
    if env_bool("DB_PREPARED_STATEMENTS", default=True):
        # Every page asks the same few queries with new values. Planning them took longer than
        # running them (the signed-in user's query: 0.4 ms to plan, 0.07 ms to run), so a query
        # a connection has run DB_PREPARE_THRESHOLD times is prepared once and then only executed.
        # Turn off (DB_PREPARED_STATEMENTS=0) behind a pooler that cannot keep prepared
        # statements (PgBouncer in transaction mode before 1.21).
        DATABASES["default"]["OPTIONS"] |= {
            "server_side_binding": True,
            "prepare_threshold": env_int("DB_PREPARE_THRESHOLD", 5),
        }
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Concurrent web + in-process watcher writes: wait for the lock rather than fail.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# govuk-frontend comes from npm at set-up time (node_modules is never committed).
STATICFILES_DIRS = [
    BASE_DIR / "static",
    BASE_DIR / "build" / "static",
    ("govuk", BASE_DIR / "node_modules" / "govuk-frontend" / "dist" / "govuk"),
    ("chartjs", BASE_DIR / "node_modules" / "chart.js" / "dist"),
]
# Files attached as evidence (escalation/attachments.py): a folder outside the web root by
# default (nothing serves it; a view checks who may see the case), or an S3-compatible bucket
# through django-storages when ATTACHMENTS_S3_BUCKET is set. Private either way.
ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_BYTES", 20 * 1024 * 1024)
ATTACHMENTS_ROOT = env("ATTACHMENTS_ROOT", str(BASE_DIR / "attachments"))
ATTACHMENTS_S3_BUCKET = env("ATTACHMENTS_S3_BUCKET")
ATTACHMENTS_STORAGE = (
    {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": ATTACHMENTS_S3_BUCKET,
            "endpoint_url": env("ATTACHMENTS_S3_ENDPOINT_URL") or None,
            "region_name": env("ATTACHMENTS_S3_REGION") or None,
            "access_key": env("ATTACHMENTS_S3_ACCESS_KEY_ID") or None,
            "secret_key": env("ATTACHMENTS_S3_SECRET_ACCESS_KEY") or None,
            "location": env("ATTACHMENTS_S3_PREFIX", "attachments"),
            "default_acl": "private",
            "file_overwrite": False,
            "querystring_auth": True,
        },
    }
    if ATTACHMENTS_S3_BUCKET
    else {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": ATTACHMENTS_ROOT, "file_permissions_mode": 0o600, "directory_permissions_mode": 0o700},
    }
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "attachments": ATTACHMENTS_STORAGE,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = ["gds"]
CRISPY_TEMPLATE_PACK = "gds"

# Sessions: short idle expiry, gone when the browser closes.
SESSION_ENGINE = "partnerships.sessions"  # database sessions, the read compiled once
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_MINUTES", 30) * 60
# The "you are about to be signed out" dialog opens this long before the idle time-out (WCAG 2.2.1).
SESSION_WARNING_SECONDS = env_int("SESSION_WARNING_SECONDS", 120)
# Every request renews the idle time, but the session row is written at most once a minute
# (partnerships/session_timeout.py): a session ends between 29 and 30 minutes after the last
# request, never later, and the warning dialog counts down to the real end.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
# A refused form says nothing was saved and what to do next (config/errors.py).
CSRF_FAILURE_VIEW = "config.errors.csrf_failure"

# Security headers. HTTPS-only settings follow DEBUG; SECURE_SSL_REDIRECT can be
# switched off behind a TLS-terminating proxy that already redirects.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = 0 if DEBUG else env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
if env_bool("BEHIND_PROXY"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# E-mail: console in development, SMTP when EMAIL_HOST is set.
EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if env("EMAIL_HOST")
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
# A notice claimed by a delivery worker that died is taken over (and sent) after this long.
EMAIL_RECLAIM_SECONDS = env_int("EMAIL_RECLAIM_SECONDS", 120)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "escalations@localhost")

# Celery: Redis when REDIS_URL is set (a worker and one beat run the watcher); otherwise
# `manage.py run_watcher_loop` runs it in-process, as `make run` does.
REDIS_URL = env("REDIS_URL")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None

# The cache holds only the dashboard's figures (escalation/figures_cache.py). With Redis it is
# shared by every process, on a Redis database of its own (CACHE_URL, or REDIS_URL's server,
# database 1) so clearing it never touches the task queue; otherwise each process has its own.
# A hung Redis must not slow a write: each call gives up after CACHE_SOCKET_TIMEOUT seconds,
# with no retry, and after a failure the cache is left alone for CACHE_RETRY_SECONDS.
CACHE_URL = env("CACHE_URL") or (urlunsplit(urlsplit(REDIS_URL)._replace(path="/1")) if REDIS_URL else "")
CACHE_SOCKET_TIMEOUT = float(env("CACHE_SOCKET_TIMEOUT", "0.25"))
CACHE_RETRY_SECONDS = env_int("CACHE_RETRY_SECONDS", 30)


def redis_cache(location: str, timeout: float) -> dict:
    return {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": location,
        "KEY_PREFIX": "escalations",
        "OPTIONS": {"socket_connect_timeout": timeout, "socket_timeout": timeout, "retry_on_timeout": False},
    }


CACHES = {
    "default": (
        redis_cache(CACHE_URL, CACHE_SOCKET_TIMEOUT)
        if CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "escalations"}
    )
}
# How long the dashboard's figures may be reused; any change to an escalation renews them at once.
DASHBOARD_CACHE_SECONDS = env_int("DASHBOARD_CACHE_SECONDS", 300)
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
WATCHER_INTERVAL_SECONDS = env_int("WATCHER_INTERVAL_SECONDS", 60)
# Beat runs the watcher itself when it cannot reach the broker (escalation/beat.py).
CELERY_BEAT_SCHEDULER = "escalation.beat:WatcherScheduler"
# A broker that is down is found out in seconds, so beat falls back at once.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BEAT_SCHEDULE = {
    "deadline-watcher": {
        "task": "escalation.tasks.watch_deadlines",
        "schedule": WATCHER_INTERVAL_SECONDS,
    },
    # Non-urgent notices for people who chose one e-mail a day (each watcher tick also catches up).
    "daily-digest": {
        "task": "escalation.tasks.send_daily_digests",
        "schedule": crontab(hour=8, minute=30, day_of_week="mon-fri"),
    },
    "delete-old-drafts": {"task": "escalation.tasks.delete_old_drafts", "schedule": 3600},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
}
