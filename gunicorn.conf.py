"""gunicorn settings for the portal: `gunicorn -c gunicorn.conf.py cchc_portal.wsgi` (see docs/deploy.md).

Each value can be changed by an environment variable of the same name in capitals (GUNICORN_WORKERS, …).
"""

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Two per core and one more: requests wait on PostgreSQL about as long as they compute. Sync workers: public pages
# do not wait for one behind the staff's saves, because nginx answers them from its own cache (docs/deploy.md,
# "Người đọc không chờ người ghi", with the figures of `make bench`); threads would not help, the saves are CPU.
workers = _int("GUNICORN_WORKERS", 2 * multiprocessing.cpu_count() + 1)
# The largest request the portal serves synchronously is an import of a national score sheet (3,321 units ×
# 200 criteria: about 15 s to read and check, more to write); 120 s leaves room on a busy machine.
timeout = _int("GUNICORN_TIMEOUT", 120)
graceful_timeout = 30
keepalive = 5
# A worker is replaced after this many requests (with jitter), so no slow leak can grow without bound. Not fewer:
# on results day a worker answers over a thousand requests a second, and each replacement costs a second of
# start-up and (without Redis) the worker's page cache.
max_requests = _int("GUNICORN_MAX_REQUESTS", 50_000)
max_requests_jitter = 5_000
# Request line and headers stay small; bodies are bounded by the portal itself (413 before reading).
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190
# Behind nginx on the same machine: trust its X-Forwarded-* headers only.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
