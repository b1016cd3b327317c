"""Settings for the CCHC portal, read from environment variables.

SQLite by default, PostgreSQL when DATABASE_URL is set. With DEBUG off the portal refuses to start
without SECRET_KEY and turns on the HTTPS protections that `manage.py check --deploy` asks for.
"""

from datetime import timedelta
from ipaddress import ip_network
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from cchc_portal.db_timeouts import postgres_options
from cchc_portal.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", default=False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("cần đặt SECRET_KEY khi DEBUG tắt (SECRET_KEY must be set when DEBUG is off)")
    SECRET_KEY = "insecure-development-key-only-for-debug"  # noqa: S105 - DEBUG only, refused otherwise

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tables2",
    "import_export",
    "cchc_portal.apps.LoginAttemptsConfig",  # django-axes, its admin section named in Vietnamese
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
    "cchc_portal.apps.JobQueueConfig",  # django-rq, likewise
    "units",
    "scoring",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # The open-data API under /api/ may be read from other sites' pages (Access-Control-Allow-Origin: *).
    "cchc_portal.middleware.OpenDataCors",
    "csp.middleware.CSPMiddleware",
    # Django's SessionMiddleware, writing a session at most once a minute to keep it alive (idle_sessions.py).
    "cchc_portal.idle_sessions.IdleSessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "cchc_portal.middleware.RefuseNullCharacters",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The second factor: which app code this session has given (django-otp), and the page that asks for one.
    "django_otp.middleware.OTPMiddleware",
    "cchc_portal.second_factor.SecondFactor",
    # After the user is known (read from the primary): anonymous reads of the public pages go to the read replica.
    "cchc_portal.replica_middleware.PublicReadsFromReplica",
    "cchc_portal.middleware.UploadGate",
    "cchc_portal.middleware.SecurityHeaders",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "cchc_portal.middleware.NumbersTooLargeAreNotFound",
    # Last: it turns a refused (locked-out) login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "cchc_portal.urls"
WSGI_APPLICATION = "cchc_portal.wsgi.application"

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
                "cchc_portal.identity.context",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("CONN_MAX_AGE", 60),
    )
}
# A persistent connection is checked before each request reuses it: after a database restart the first
# request reconnects instead of failing.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Bounds on every PostgreSQL connection (cchc_portal/db_timeouts.py), in seconds: a server that does not answer a
# new connection, a query the server runs too long (cancelled by the server: a 503 page in Vietnamese rather than
# a worker held until gunicorn kills it), a host or network gone silent, a server process frozen. Web processes
# (gunicorn, runserver: CCHC_PROCESS=web, set by wsgi.py and manage.py) use DATABASE_STATEMENT_TIMEOUT; commands and
# the job worker, whose imports and backups may run long, COMMAND_STATEMENT_TIMEOUT (0: none).
SERVING_REQUESTS = env_str("CCHC_PROCESS", "") == "web"
DATABASE_CONNECT_TIMEOUT = env_int("DATABASE_CONNECT_TIMEOUT", 5)
DATABASE_TCP_TIMEOUT = env_int("DATABASE_TCP_TIMEOUT", 30)
STATEMENT_TIMEOUT = (
    env_int("DATABASE_STATEMENT_TIMEOUT", 30) if SERVING_REQUESTS else env_int("COMMAND_STATEMENT_TIMEOUT", 0)
)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["OPTIONS"] = postgres_options(
        statement_timeout=STATEMENT_TIMEOUT,
        connect_timeout=DATABASE_CONNECT_TIMEOUT,
        tcp_timeout=DATABASE_TCP_TIMEOUT,
        existing=DATABASES["default"].get("OPTIONS", {}),
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Two staff saving at the same moment: the second waits for the first (a write lock taken at the start
    # of each transaction, up to 20 s) instead of failing with "database is locked"; readers never wait
    # for writers (write-ahead log).
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # Tests may put their database in a file (tests/environment.py does), so threads share it for real.
    if env_str("SQLITE_TEST_NAME"):
        DATABASES["default"]["TEST"] = {"NAME": env_str("SQLITE_TEST_NAME")}
# A PostgreSQL read replica (streaming replication) for the public pages: anonymous reads of published data go to
# it, everything else to the primary; a replica that is down or behind the last publication is skipped
# (cchc_portal/db_router.py, docs/deploy.md).
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL", "")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(DATABASE_REPLICA_URL, conn_max_age=env_int("CONN_MAX_AGE", 60))
    DATABASES["replica"]["CONN_HEALTH_CHECKS"] = True
    # Only web requests read the replica, and only short public queries: bounds tighter than the primary's, so a
    # replica that freezes costs the first request a few seconds and then is skipped (cchc_portal/db_router.py).
    DATABASES["replica"]["OPTIONS"] = postgres_options(
        statement_timeout=env_int("REPLICA_STATEMENT_TIMEOUT", 5),
        connect_timeout=env_int("REPLICA_CONNECT_TIMEOUT", 2),
        tcp_timeout=DATABASE_TCP_TIMEOUT,
        existing=DATABASES["replica"].get("OPTIONS", {}),
    )
    # No TEST settings: the test suite never sets DATABASE_REPLICA_URL. tests/test_replica.py defines this alias
    # from REPLICA_TEST_URL: the replica server and the name of the *test* database, which physical replication
    # copies there with every other database of the cluster (a TEST MIRROR would reuse the primary's settings and
    # test nothing; a test database of its own cannot be created on a read-only server).
# A replica that cannot be reached is left alone for this many seconds (per process) before it is tried again.
REPLICA_RETRY_SECONDS = env_int("REPLICA_RETRY_SECONDS", 5)
DATABASE_ROUTERS = ["cchc_portal.db_router.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # The demonstration password is printed in the README: no real account may use it.
    {"NAME": "cchc_portal.passwords.DemoPasswordValidator"},
]

# Logins: axes checks a lockout before any password is hashed, so a flood of wrong passwords costs one
# database query each once locked. What is locked is the pair account + address: wrong passwords from one place
# lock that account from that place only, so nobody elsewhere can lock out the administrator or anyone else.
# A refused attempt during a lockout is not recorded, so it neither renews the cool-off nor grows a row; a lock
# ends LOGIN_COOLOFF_MINUTES after the failure that set it. Unlocked early by `manage.py unlock_login`, by a
# password reset through the mail link, or by an administrator (admin page "Các lần thử đăng nhập").
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_HANDLER = "cchc_portal.lockouts.LoginAttempts"
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_SENSITIVE_PARAMETERS = ["password"]  # the log names the account and the address, never a password
AXES_LOCKOUT_CALLABLE = "cchc_portal.lockouts.lockout_page"
AXES_HTTP_RESPONSE_CODE = 429
# The client's address behind nginx (cchc_portal/addresses.py): X-Forwarded-For is believed only from these
# addresses (networks allowed), read from the right. Behind the documented nginx on the same machine that is
# 127.0.0.1 and ::1; without a proxy, nobody, and REMOTE_ADDR is the client.
TRUSTED_PROXIES = env_list(
    "TRUSTED_PROXIES", ["127.0.0.1", "::1"] if env_bool("BEHIND_TLS_PROXY", default=False) else []
)
for _proxy in TRUSTED_PROXIES:
    try:
        ip_network(_proxy, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"TRUSTED_PROXIES: {_proxy!r} không phải địa chỉ hay dải địa chỉ IP (not an IP address or network)"
        ) from None
AXES_CLIENT_IP_CALLABLE = "cchc_portal.addresses.client_address"
# A second factor (a six-digit code from an authenticator app) is required of the Department's administrators
# and superusers (not by default on a development machine, DEBUG=1); everyone else may turn it on
# (cchc_portal/second_factor.py).
ADMIN_SECOND_FACTOR = env_bool("ADMIN_SECOND_FACTOR", default=not DEBUG)
# The name the authenticator app shows next to the code.
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "Cổng CCHC")
# Successful logins (axes' access log) kept this many days; `manage.py clear_logins` (daily, docs/deploy.md)
# removes older ones and every attempt whose cool-off is over.
LOGIN_LOG_DAYS = env_int("LOGIN_LOG_DAYS", 90)

# The cache: published pages, the public-data generation, rate limits. Redis when REDIS_URL is set (shared by every
# app server, which also keeps sessions there), this process's memory otherwise (one server; see docs/deploy.md).
# CACHE_REDIS_URL puts the page cache and the rate counters in a Redis of their own, one that may evict (maxmemory,
# allkeys-lru), while sessions, the generation and the job queue stay in REDIS_URL's, which must not
# (docs/deploy.md, "Redis").
REDIS_URL = env_str("REDIS_URL", "")
# How long a web process waits for Redis to connect or answer: a frozen Redis is then the Vietnamese 503 page within
# seconds (cchc_portal/outages.py), never a request held for good. The RQ worker keeps its own, blocking connection.
REDIS_TIMEOUT_SECONDS = env_int("REDIS_TIMEOUT_SECONDS", 3)
_REDIS_BOUNDS = {"socket_connect_timeout": REDIS_TIMEOUT_SECONDS, "socket_timeout": REDIS_TIMEOUT_SECONDS}
if REDIS_URL:
    _prefix = env_str("CACHE_PREFIX", "cchc")
    CACHES = {
        "default": {
            "BACKEND": "cchc_portal.redis_cache.RedisCache",
            "LOCATION": env_str("CACHE_REDIS_URL", "") or REDIS_URL,
            "KEY_PREFIX": _prefix,
            "OPTIONS": _REDIS_BOUNDS,
        },
        "sessions": {
            "BACKEND": "cchc_portal.redis_cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": _prefix,
            "OPTIONS": _REDIS_BOUNDS,
        },
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    SESSION_CACHE_ALIAS = "sessions"
    # Each worker's copy of the public pages it served in the last seconds (reports/freshness.py, "front"): a hot page
    # is not moved out of Redis on every request. Bounded in bytes like the page cache without Redis.
    CACHES["front"] = {
        "BACKEND": "cchc_portal.bounded_cache.BoundedLocMemCache",
        "LOCATION": "cchc-front",
        "TIMEOUT": env_int("PAGE_FRONT_SECONDS", 10),
        "OPTIONS": {"MAX_BYTES": env_int("PAGE_FRONT_MB", 16) * 1024 * 1024, "MAX_ENTRIES": 10_000},
    }
else:
    # Each worker's own memory, bounded in bytes (cchc_portal/bounded_cache.py): a national table's page is 2 MB.
    CACHES = {
        "default": {
            "BACKEND": "cchc_portal.bounded_cache.BoundedLocMemCache",
            "LOCATION": "cchc",
            "OPTIONS": {"MAX_BYTES": env_int("PAGE_CACHE_MB", 64) * 1024 * 1024, "MAX_ENTRIES": 100_000},
        }
    }
# What every process of one installation must see at once — the generation of public data, renewed by a publication,
# a correction or a command — lives in Redis when there is one, else in a folder on this server's disk: a command
# or another worker that publishes makes every worker's cached pages stale at the next request.
CACHES["shared"] = (
    CACHES["sessions"]
    if REDIS_URL
    else {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": env_str("SHARED_CACHE_DIR", str(BASE_DIR / "var" / "shared-cache")),
    }
)
# The public pages of a table just published, rendered by a job at publication (reports/freshness.py, `prerender`)
# so that no visitor waits for them: in the page cache itself when every process shares it (Redis), otherwise in a
# folder on this server's disk, which each worker reads when its own memory has not the page. The job empties the
# folder of what older publications left before it writes (a few pages per publication: bounded without a budget).
CACHES["prerendered"] = (
    CACHES["default"]
    if REDIS_URL
    else {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": env_str("PRERENDERED_DIR", str(BASE_DIR / "var" / "prerendered")),
        "TIMEOUT": None,  # kept under the generation of public data: a newer generation makes them unreachable
        "OPTIONS": {"MAX_ENTRIES": 10_000},
    }
)
# The addresses visitors use (scheme, host and port, as their browsers send them): the pages are prerendered for
# each, since a cached page is kept under its address. By default PORTAL_URL alone.
PRERENDER_ADDRESSES = env_list("PRERENDER_ADDRESSES", [])
# Whether a publication starts that job (the benchmark turns it off to time a publication alone).
PRERENDER_ON_PUBLISH = env_bool("PRERENDER_ON_PUBLISH", default=True)
# Background jobs never run inside a request: with REDIS_URL they wait in Redis for `manage.py rqworker cchc`,
# without it in the database for `manage.py run_jobs` (which `make run` starts beside the development server).
# JOBS_EAGER=1 runs them at once in the request instead (the tests). See scoring/ops/jobs.py.
JOBS_EAGER = env_bool("JOBS_EAGER", default=False)
JOBS_QUEUE = "redis" if REDIS_URL else "database"
# Above these sizes the detailed report (units × criteria), the year comparison (results) and a score-sheet
# import (values written) are done as jobs; below them in the request, which is quicker for the person waiting.
JOBS_ABOVE_CELLS = env_int("JOBS_ABOVE_CELLS", 20_000)
JOBS_ABOVE_ROWS = env_int("JOBS_ABOVE_ROWS", 5_000)
JOBS_ABOVE_VALUES = env_int("JOBS_ABOVE_VALUES", 20_000)
RQ_QUEUES = {"cchc": {"URL": REDIS_URL or "redis://127.0.0.1:6379/0", "DEFAULT_TIMEOUT": env_int("JOB_TIMEOUT", 1800)}}
# How much more memory one job may take in a worker before it is stopped with its reason (scoring.ops.jobs.memory_cap).
JOB_MAX_MEMORY_MB = env_int("JOB_MAX_MEMORY_MB", 1024)
# How long a published page may be served from the cache. Publication, a correction or an edit in the admin
# renews the whole public cache at once (a new generation); the time only bounds a process-local cache, which
# other processes cannot renew, so it is short without Redis.
PUBLIC_CACHE_SECONDS = env_int("PUBLIC_CACHE_SECONDS", 3600 if REDIS_URL else 30)
# Per address and minute (cchc_portal/throttle.py): public pages rendered because they were not in the cache, and
# searches. A page served from the cache is never counted. 0 turns a limit off.
PUBLIC_MISSES_PER_MINUTE = env_int("PUBLIC_MISSES_PER_MINUTE", 120)
SEARCHES_PER_MINUTE = env_int("SEARCHES_PER_MINUTE", 30)

# Sessions end after this much idleness (a request extends them: the session is written again when its last write
# is a minute old, cchc_portal/idle_sessions.py, not on every request), and when the browser closes.
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_MINUTES", 30) * 60
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Password resets and notices: the console in development, SMTP in production (see docs/deploy.md).
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=True)
# Seconds any mail the portal sends may wait on the SMTP server (connect, and each reply) before it gives up: a
# server that hangs costs a job or a command that long, never a worker for good.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
# "Quên mật khẩu" (scoring/accounts/reset.py): requests per e-mail address typed and per client address, and mails
# per account, within a window of this many minutes; the mail itself goes out from the job queue.
PASSWORD_RESET_WINDOW_MINUTES = env_int("PASSWORD_RESET_WINDOW_MINUTES", 60)
PASSWORD_RESET_PER_EMAIL = env_int("PASSWORD_RESET_PER_EMAIL", 3)
PASSWORD_RESET_PER_ACCOUNT = env_int("PASSWORD_RESET_PER_ACCOUNT", 3)
PASSWORD_RESET_PER_ADDRESS = env_int("PASSWORD_RESET_PER_ADDRESS", 20)
# Behind the documented nginx: the client's address is the last one in X-Forwarded-For (counted per address above).
BEHIND_TLS_PROXY = env_bool("BEHIND_TLS_PROXY", default=False)
# Whose portal this is (cchc_portal/identity.py): shown in the header, the footer, every Excel file and JSON.
PORTAL_PLACE = env_str("PORTAL_PLACE", "thành phố Huế")
PORTAL_ISSUER = env_str("PORTAL_ISSUER", "Ủy ban nhân dân thành phố Huế")
PORTAL_DEPARTMENT = env_str("PORTAL_DEPARTMENT", "Sở Nội vụ thành phố Huế")
PORTAL_EMBLEM = env_str("PORTAL_EMBLEM", "")
PORTAL_FORMER_NOTE = env_str("PORTAL_FORMER_NOTE", "trước ngày 1/1/2025 là tỉnh Thừa Thiên Huế")
# The province's names, as a unit's name may end with them in one announcement and not in another ("Thanh tra
# tỉnh" / "Thanh tra Thừa Thiên Huế"): an import matches such spellings to one unit.
PORTAL_PLACE_NAMES = env_list("PORTAL_PLACE_NAMES", ["Thừa Thiên Huế", "thành phố Huế", "Huế"])
# The portal's public address, for links in e-mails sent outside a request (the daily notices).
PORTAL_URL = env_str("PORTAL_URL", "http://127.0.0.1:8000")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Cổng CCHC <khong-tra-loi@localhost>")
PASSWORD_RESET_TIMEOUT = 3 * 3600

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", "Tiếng Việt")]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Hashed, compressed static files in production (after collectstatic); plain files in development and tests.
STATIC_MANIFEST = env_bool("STATIC_MANIFEST", default=not DEBUG)
# In production whitenoise serves the collected files; in development runserver serves them itself.
if STATIC_MANIFEST:
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")
# Uploads waiting for confirmation, evidence files and finished job files: a local folder (MEDIA_ROOT) by
# default; S3-compatible object storage when STORAGE_S3_BUCKET is set, shared by every app server.
STORAGE_S3_BUCKET = env_str("STORAGE_S3_BUCKET", "")
# Seconds to open a connection to the object store and to wait for each answer, and tries per call: a stopped or
# frozen store costs a request at most attempts × (connect + read) seconds, then the Vietnamese 503 page.
STORAGE_S3_CONNECT_TIMEOUT = env_int("STORAGE_S3_CONNECT_TIMEOUT", 3)
STORAGE_S3_READ_TIMEOUT = env_int("STORAGE_S3_READ_TIMEOUT", 10)
STORAGE_S3_ATTEMPTS = env_int("STORAGE_S3_ATTEMPTS", 2)
if STORAGE_S3_BUCKET:
    from cchc_portal.object_storage import s3_client_config

    DEFAULT_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": STORAGE_S3_BUCKET,
            "endpoint_url": env_str("STORAGE_S3_ENDPOINT_URL", "") or None,
            "region_name": env_str("STORAGE_S3_REGION", "") or None,
            "access_key": env_str("STORAGE_S3_ACCESS_KEY", "") or None,
            "secret_key": env_str("STORAGE_S3_SECRET_KEY", "") or None,
            "location": env_str("STORAGE_S3_PREFIX", ""),
            # Evidence is private: no public ACL, and links are never handed out (files go through the portal).
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
            "addressing_style": env_str("STORAGE_S3_ADDRESSING", "path"),
            "client_config": s3_client_config(
                addressing_style=env_str("STORAGE_S3_ADDRESSING", "path"),
                connect_timeout=STORAGE_S3_CONNECT_TIMEOUT,
                read_timeout=STORAGE_S3_READ_TIMEOUT,
                attempts=STORAGE_S3_ATTEMPTS,
            ),
        },
    }
else:
    # A local folder whose files appear whole or not at all (a full disk leaves no partial file).
    DEFAULT_STORAGE = {"BACKEND": "cchc_portal.storage.MediaStorage"}
STORAGES = {
    "default": DEFAULT_STORAGE,
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if STATIC_MANIFEST
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Every uploaded table (a workbook or CSV, from a page or a command) is read within these bounds; the
# defaults fit a national commune block (3,321 units × 200 criteria). See cchc_portal/lib/reading.py.
IMPORT_LIMITS = {
    "file_bytes": env_int("IMPORT_MAX_FILE_MB", 20) * 1024 * 1024,
    "unpacked_bytes": env_int("IMPORT_MAX_UNPACKED_MB", 64) * 1024 * 1024,
    "rows": env_int("IMPORT_MAX_ROWS", 40_000),
    "columns": env_int("IMPORT_MAX_COLUMNS", 300),
    "cells": env_int("IMPORT_MAX_CELLS", 1_000_000),
}

# A request body may hold the largest upload the portal takes (an import, or a 10 MB evidence file) and the
# form around it; anything larger is refused with 413 before it is read (cchc_portal.middleware.UploadGate).
# Bodies without a file (forms) are smaller still.
MAX_UPLOAD_REQUEST_BYTES = max(IMPORT_LIMITS["file_bytes"], 10 * 1024 * 1024) + 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 5 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = env_int("FILE_UPLOAD_MAX_MEMORY_SIZE", 10 * 1024 * 1024)

DJANGO_TABLES2_TEMPLATE = "django_tables2/table.html"

# HTTPS protections; each can be relaxed by an environment variable (e.g. behind a TLS proxy in tests).
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", default=False) else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# Content-Security-Policy: nothing inline. Scripts and styles come from the portal's own static files; the
# score-sheet check's streamed progress calls carry the request's nonce.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "scoring:work_list"
LOGOUT_REDIRECT_URL = "reports:home"

# Evidence files live here and are served only through a permission-checked view, never as /media/.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
    "loggers": {
        # Every failed login and every lockout, with the account and the address.
        "axes": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # Every unit account made, deactivated or reactivated from the portal, and every link mailed to one.
        "scoring.accounts": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
