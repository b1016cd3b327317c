"""Settings read from the environment: loud on bad values, safe for production."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from cchc_portal.env import env_bool, env_int

ROOT = Path(__file__).resolve().parents[1]


def manage(*args, **env):
    clean = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "SECRET_KEY",
            "DEBUG",
            "SECURE_SSL_REDIRECT",
            "STATIC_MANIFEST",
            "ALLOWED_HOSTS",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
            "ADMIN_SECOND_FACTOR",
        }
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_portal_refuses_to_start_without_a_secret_key_when_debug_is_off():
    result = manage("check", DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr
    # One line that says what to do, not a traceback.
    assert result.stderr.strip().count("\n") == 0 and "đặt DEBUG=1" in result.stderr


def test_production_settings_pass_the_deployment_checklist():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="cchc.example.gov.vn",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_a_bad_boolean_stops_start_up(monkeypatch):
    monkeypatch.setenv("DEBUG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="DEBUG must be one of"):
        env_bool("DEBUG")


def test_a_bad_number_stops_start_up(monkeypatch):
    monkeypatch.setenv("CONN_MAX_AGE", "sixty")
    with pytest.raises(ImproperlyConfigured, match="CONN_MAX_AGE must be a whole number"):
        env_int("CONN_MAX_AGE", 60)


def test_language_and_time_zone_are_vietnamese(settings):
    assert (settings.LANGUAGE_CODE, settings.TIME_ZONE) == ("vi", "Asia/Ho_Chi_Minh")


def test_the_development_server_serves_the_stylesheet(tmp_path):
    """`make run` serves styled pages: runserver with DEBUG on must deliver the static files."""
    import socket
    import time
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "STATIC_MANIFEST", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(DEBUG="1", DATABASE_URL=f"sqlite:///{tmp_path / 'dev.sqlite3'}")
    server = subprocess.Popen(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        body = b""
        for _ in range(240):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/css/portal.css", timeout=2) as r:  # noqa: S310
                    body = r.read()
                break
            except OSError:
                time.sleep(0.25)
        assert b".grade--xuat-sac" in body
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_the_page_cache_can_have_a_redis_of_its_own_apart_from_sessions_and_the_generation():
    show = (
        "from django.conf import settings as s; "
        "print(s.CACHES['default']['LOCATION'], s.CACHES['sessions']['LOCATION'], s.CACHES['shared']['LOCATION'], "
        "s.SESSION_CACHE_ALIAS)"
    )
    apart = manage("shell", "-c", show, DEBUG="1", REDIS_URL="redis://r1:6379/0", CACHE_REDIS_URL="redis://r2:6379/0")
    assert apart.returncode == 0, apart.stderr
    cache, sessions = "redis://r2:6379/0", "redis://r1:6379/0"
    assert apart.stdout.splitlines()[-1].split() == [cache, sessions, sessions, "sessions"]
    together = manage("shell", "-c", show, DEBUG="1", REDIS_URL="redis://r1:6379/0", CACHE_REDIS_URL="")
    assert together.stdout.splitlines()[-1].split() == ["redis://r1:6379/0"] * 3 + ["sessions"]
