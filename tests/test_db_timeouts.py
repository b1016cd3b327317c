"""Every PostgreSQL connection is bounded: a query the server runs too long is cancelled and the visitor gets the
Vietnamese 503 page; a server process that freezes (its kernel still takes the bytes, so nothing in TCP fires) costs
a round trip its deadline, not a worker; a frozen replica is skipped for the primary, whether it froze between
requests or in the middle of one.

A frozen server is played by a relay in front of the real PostgreSQL that stops relaying: connections stay open and
bytes are taken, nothing answers — what the attack saw with SIGSTOP on every replica process.
"""

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import dj_database_url
import psycopg2
import pytest
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, OperationalError, connection, connections
from django.db.utils import ConnectionHandler
from django.test import Client

from cchc_portal import db_router
from cchc_portal.db_router import REPLICA
from cchc_portal.db_timeouts import DEADLINE_GRACE, postgres_options

ROOT = Path(__file__).resolve().parents[1]
# A round trip to a frozen server ends at its deadline (statement timeout 1 s + grace); the rest of a request that
# then reads the primary is quick, but the shared test machine is often busy.
SLOWEST = 1 + DEADLINE_GRACE + 3
ON_POSTGRESQL = settings.DATABASES[DEFAULT_DB_ALIAS]["ENGINE"] == "django.db.backends.postgresql"

pytestmark = pytest.mark.skipif(
    not ON_POSTGRESQL, reason="the database is not PostgreSQL (DATABASE_URL): the bounds are PostgreSQL's"
)


class FreezableRelay:
    """A TCP relay to the test's PostgreSQL server that can stop relaying, as a frozen server process does."""

    def __init__(self, host: str, port: int):
        self.upstream = (host, port)
        self.frozen = threading.Event()
        self.closed = threading.Event()
        self.sockets: list[socket.socket] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.05)
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.closed.is_set():
            try:
                client, _ = self.listener.accept()
            except (TimeoutError, OSError):
                continue
            self.sockets.append(client)
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client):
        while self.frozen.is_set() and not self.closed.is_set():
            time.sleep(0.05)  # a new connection to a frozen server: accepted by the kernel, never answered
        upstream = socket.create_connection(self.upstream)
        self.sockets.append(upstream)
        for source, target in ((client, upstream), (upstream, client)):
            threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    def _pump(self, source, target):
        source.settimeout(0.05)
        while not self.closed.is_set():
            if self.frozen.is_set():
                time.sleep(0.05)
                continue
            try:
                data = source.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                break
            if not data:
                break
            while self.frozen.is_set() and not self.closed.is_set():
                time.sleep(0.05)  # taken just as the server froze: held, as a frozen process would
            try:
                target.sendall(data)
            except OSError:
                break
        for sock in (source, target):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def close(self):
        self.closed.set()
        self.frozen.clear()
        for sock in [self.listener, *self.sockets]:
            sock.close()


def within(seconds: float, work, release):
    """Run `work` and time it. Should it still be waiting after `seconds`, `release` ends the outage so that it
    returns (late, and the test fails on the time) instead of hanging the suite. Run in this thread: the test's
    database connections are this thread's."""
    guard = threading.Timer(seconds, release)
    guard.start()
    outcome = {}
    started = time.monotonic()
    try:
        outcome["value"] = work()
    except Exception as error:  # noqa: BLE001 - handed back to the test
        outcome["error"] = error
    finally:
        guard.cancel()
    outcome["seconds"] = time.monotonic() - started
    return outcome


@pytest.fixture
def relay():
    primary = connection.settings_dict
    proxy = FreezableRelay(primary["HOST"] or "127.0.0.1", int(primary["PORT"] or 5432))
    yield proxy
    proxy.close()


def bounded_settings(relay: FreezableRelay, statement_timeout: int = 1) -> dict:
    """The test database through `relay`, with the bounds settings.py gives a connection."""
    config = dj_database_url.parse(f"postgres://{connection.settings_dict['USER']}@127.0.0.1:{relay.port}/")
    config["NAME"] = connection.settings_dict["NAME"]
    config["CONN_MAX_AGE"] = 60
    config["CONN_HEALTH_CHECKS"] = True
    config["OPTIONS"] = postgres_options(
        statement_timeout=statement_timeout, connect_timeout=1, tcp_timeout=30, existing={}
    )
    return ConnectionHandler({DEFAULT_DB_ALIAS: config}).settings[DEFAULT_DB_ALIAS]


@pytest.fixture
def bounded(relay):
    """A connection of its own (not one of settings.DATABASES) to the test database through the relay."""
    from django.db.backends.postgresql.base import DatabaseWrapper

    wrapper = DatabaseWrapper(bounded_settings(relay), alias="bounded")
    yield wrapper
    relay.frozen.clear()
    with contextlib.suppress(Exception):  # a connection whose socket was shut
        wrapper.close()


def settings_in(environment: dict) -> dict:
    """settings.DATABASES as a process started with `environment` sees it, and its primary's statement_timeout."""
    script = (
        "import json, django; django.setup()\n"
        "from django.conf import settings; from django.db import connection\n"
        "with connection.cursor() as c:\n"
        "    c.execute('SHOW statement_timeout'); shown = c.fetchone()[0]\n"
        "print(json.dumps({'shown': shown, 'options': {alias: {k: v for k, v in db['OPTIONS'].items()"
        " if not k.endswith('_factory')} for alias, db in settings.DATABASES.items()}}))\n"
    )
    primary = connection.settings_dict
    url = f"postgres://{primary['USER']}@{primary['HOST'] or '127.0.0.1'}:{primary['PORT'] or 5432}/{primary['NAME']}"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "cchc_portal.settings", "DEBUG": "1", "DATABASE_URL": url}
    env.pop("CCHC_PROCESS", None)
    env.update(environment)
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.django_db
def test_web_processes_get_a_statement_timeout_commands_none_and_every_connection_tcp_bounds():
    web = settings_in({"CCHC_PROCESS": "web", "DATABASE_REPLICA_URL": "postgres://cchc_read@10.0.0.12:5432/cchc"})
    assert web["shown"] == "30s"
    primary, replica = web["options"]["default"], web["options"]["replica"]
    assert primary["options"] == "-c statement_timeout=30000" and primary["connect_timeout"] == 5
    assert replica["options"] == "-c statement_timeout=5000" and replica["connect_timeout"] == 2
    for options in (primary, replica):
        assert options["keepalives"] == 1 and options["tcp_user_timeout"] == 30_000
    assert settings_in({"CCHC_PROCESS": "command"})["shown"] == "0"  # imports and backups may run long
    assert settings_in({"CCHC_PROCESS": "command", "COMMAND_STATEMENT_TIMEOUT": "600"})["shown"] == "10min"
    changed = settings_in({"CCHC_PROCESS": "web", "DATABASE_STATEMENT_TIMEOUT": "7", "DATABASE_CONNECT_TIMEOUT": "3"})
    assert changed["shown"] == "7s" and changed["options"]["default"]["connect_timeout"] == 3


@pytest.mark.django_db
def test_a_query_past_the_statement_timeout_is_cancelled_by_the_server(relay, bounded):
    outcome = within(10, lambda: bounded.cursor().execute("SELECT pg_sleep(5)"), relay.close)
    assert isinstance(outcome.get("error"), OperationalError)
    assert "statement timeout" in str(outcome["error"]) and outcome["seconds"] < 2.5
    with bounded.cursor() as cursor:  # cancelled by the server: the connection is still good
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


@pytest.mark.django_db
def test_a_frozen_server_costs_a_query_its_deadline_not_a_worker(relay, bounded):
    with bounded.cursor() as cursor:
        cursor.execute("SELECT 1")
    relay.frozen.set()
    outcome = within(15, lambda: bounded.cursor().execute("SELECT 1"), relay.frozen.clear)
    assert isinstance(outcome.get("error"), OperationalError)
    assert "did not answer within 3 s" in str(outcome["error"])
    assert 1 + DEADLINE_GRACE - 0.5 < outcome["seconds"] < SLOWEST


@pytest.mark.django_db
def test_a_kept_connection_to_a_frozen_server_fails_its_health_check_within_the_deadline(relay, bounded):
    bounded.ensure_connection()
    relay.frozen.set()
    bounded.health_check_done = False  # a new request reusing the kept connection checks it first
    outcome = within(15, bounded.close_if_health_check_failed, relay.frozen.clear)
    assert "error" not in outcome and bounded.connection is None  # found unusable, closed
    assert outcome["seconds"] < SLOWEST


@pytest.mark.django_db
def test_a_page_whose_query_waits_past_the_statement_timeout_is_the_vietnamese_503_page(settings):
    settings.DEBUG = False
    primary = connection.settings_dict
    locker = psycopg2.connect(
        dbname=primary["NAME"], user=primary["USER"], host=primary["HOST"] or "127.0.0.1", port=primary["PORT"] or 5432
    )
    try:
        # Someone holds the table the page reads (a migration, a long write) for longer than a visitor may wait.
        with locker.cursor() as cursor:
            cursor.execute("LOCK TABLE scoring_period IN ACCESS EXCLUSIVE MODE")
        with connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = '1s'")  # what settings give a web process, shortened
        outcome = within(10, lambda: Client(raise_request_exception=False).get("/"), locker.rollback)
    finally:
        locker.rollback()
        locker.close()
    response, elapsed = outcome["value"], outcome["seconds"]
    assert primary["ENGINE"].endswith("postgresql")
    assert response.status_code == 503 and elapsed < 5
    page = response.content.decode()
    assert "Tạm thời chưa phục vụ được" in page and "Cơ sở dữ liệu đang quá tải hoặc không trả lời kịp" in page
    assert response["Retry-After"] == "30" and "no-store" in response["Cache-Control"]
    assert "Đã có lỗi xảy ra" not in page  # not the bare 500 page


@pytest.fixture(scope="module")
def replica_relay(django_db_setup):
    """The replica alias through a relay to the test database, defined before the test cases that read it start.
    Marked a mirror only so that no test case flushes it; its connection settings are its own."""
    primary = connection.settings_dict
    relay = FreezableRelay(primary["HOST"] or "127.0.0.1", int(primary["PORT"] or 5432))
    config = bounded_settings(relay)
    config["TEST"] = {**config.get("TEST", {}), "MIRROR": DEFAULT_DB_ALIAS}
    connections.settings[REPLICA] = config
    yield relay
    with contextlib.suppress(Exception):  # a connection whose socket was shut
        connections[REPLICA].close()
    del connections[REPLICA]
    del connections.settings[REPLICA]
    relay.close()


@pytest.fixture
def frozen_replica(replica_relay, monkeypatch):
    """The test database plays the standby: the readiness query answers as one that has replayed everything."""
    monkeypatch.setattr(db_router, "READINESS_QUERY", "SELECT true, %s::pg_lsn IS NOT NULL")
    db_router.reset()
    replica_relay.frozen.clear()
    yield replica_relay
    replica_relay.frozen.clear()
    db_router.reset()


def replica_queries(client, url):
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connections[REPLICA]) as copy:
        response = client.get(url)
    return response, len(copy)


@pytest.mark.django_db(databases=[DEFAULT_DB_ALIAS, REPLICA])
def test_a_replica_that_freezes_between_requests_is_skipped_after_one_deadline(frozen_replica, caplog):
    client = Client(raise_request_exception=False)
    response, read = replica_queries(client, "/phuong-phap/")
    assert response.status_code == 200 and read >= 1  # the replica served it
    frozen_replica.frozen.set()
    outcome = within(20, lambda: client.get("/tong-quan/"), frozen_replica.frozen.clear)
    assert outcome["value"].status_code == 200 and outcome["seconds"] < SLOWEST
    assert "Read replica unreachable" in caplog.text
    # The next ones read the primary at once.
    outcome = within(5, lambda: client.get("/chi-so-quoc-gia/"), frozen_replica.frozen.clear)
    assert outcome["value"].status_code == 200 and outcome["seconds"] < 2


@pytest.mark.django_db(databases=[DEFAULT_DB_ALIAS, REPLICA])
def test_a_replica_that_freezes_in_the_middle_of_a_request_is_answered_from_the_primary(frozen_replica, caplog):
    calls = []

    def freeze_after_the_readiness_check(execute, sql, params, many, context):
        calls.append(sql)
        if len(calls) == 2:
            frozen_replica.frozen.set()
        return execute(sql, params, many, context)

    client = Client(raise_request_exception=False)
    with connections[REPLICA].execute_wrapper(freeze_after_the_readiness_check):
        outcome = within(20, lambda: client.get("/tong-quan/"), frozen_replica.frozen.clear)
    response = outcome["value"]
    assert len(calls) == 2  # the check, then the page's first read, which froze
    assert response.status_code == 200 and "Tổng quan" in response.content.decode()
    assert outcome["seconds"] < SLOWEST
    assert "Read replica failed during a request" in caplog.text
    outcome = within(5, lambda: client.get("/phuong-phap/"), frozen_replica.frozen.clear)
    assert outcome["value"].status_code == 200 and outcome["seconds"] < 2
