"""Public pages read from a PostgreSQL streaming read replica: anonymous reads go there, everything else to the
primary; a replica behind the last change of public data, or down, is skipped without caching anything stale.

The replica tests need a real replica of the test cluster (.ci/run starts one on port 5433) named by
REPLICA_TEST_URL; the test database is the primary's, copied there by replication.
"""

import os
import re
import time
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import dj_database_url
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.utils import ConnectionHandler
from django.test.utils import CaptureQueriesContext

from cchc_portal import db_router
from cchc_portal.db_router import REPLICA
from scoring.models import Result
from scoring.permissions import ADMINISTRATOR
from tests.conftest import clear_locked_data, correction_options, restore_reference_data
from tests.scoring.workflow_cast import user

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
REPLICA_URL = os.environ.get("REPLICA_TEST_URL", "")
ON_POSTGRESQL = settings.DATABASES[DEFAULT_DB_ALIAS]["ENGINE"] == "django.db.backends.postgresql"

pytestmark = [
    pytest.mark.skipif(not REPLICA_URL, reason="REPLICA_TEST_URL is not set: no streaming replica to read"),
    pytest.mark.skipif(
        not ON_POSTGRESQL, reason="the database is not PostgreSQL (DATABASE_URL): a read replica needs PostgreSQL"
    ),
    # Committed data only reaches the replica; the test case may connect to it (and never flushes it: see below).
    pytest.mark.django_db(transaction=True, databases=[DEFAULT_DB_ALIAS, REPLICA]),
]


def _configured(config: dict) -> dict:
    """An alias's settings with Django's defaults filled in, as if read from settings.DATABASES."""
    return ConnectionHandler({DEFAULT_DB_ALIAS: config}).settings[DEFAULT_DB_ALIAS]


def _point_replica_at(url: str) -> None:
    """(Re)define the replica alias: the server in `url`, the test database's name, a short connect timeout."""
    _forget_replica()
    config = dj_database_url.parse(url, conn_max_age=0)
    config["NAME"] = connections[DEFAULT_DB_ALIAS].settings_dict["NAME"]  # the test database, replicated
    config["OPTIONS"] = {"connect_timeout": 2}
    # Marked a mirror only so that the test case never flushes it (a standby is read-only): the connection
    # settings above are the replica's own.
    config["TEST"] = {"MIRROR": DEFAULT_DB_ALIAS}
    connections.settings[REPLICA] = _configured(config)


def _forget_replica() -> None:
    if REPLICA in connections.settings:
        connections[REPLICA].close()
        del connections[REPLICA]
        del connections.settings[REPLICA]


def _primary_position() -> str:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()")
        return cursor.fetchone()[0]


def _on_replica(sql: str, params=()):
    with connections[REPLICA].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def _wait_until(condition, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"the replica did not {what} within {timeout} s")
        time.sleep(0.02)


def wait_for_replay() -> None:
    """Until the replica has replayed everything the primary has committed so far."""
    position = _primary_position()
    _wait_until(lambda: _on_replica("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [position]), "catch up")


@pytest.fixture(scope="module", autouse=True)
def replica_alias(django_db_setup):
    # Defined before each test case starts (it checks that the aliases a test may use exist), after the test
    # databases are set up (there is none to create on the replica).
    _point_replica_at(REPLICA_URL)
    yield
    _forget_replica()


@pytest.fixture
def table_2022_on_the_replica():
    """The 2022 tables imported on the primary (committed, the generation renewed as the portal does) and
    replayed by the replica."""
    _point_replica_at(REPLICA_URL)
    db_router.reset()
    restore_reference_data()
    call_command("import_results", str(FIXTURES / "ket-qua-cong-bo-2022.csv"))
    wait_for_replay()
    yield
    clear_locked_data()
    db_router.reset()


def queries(url: str, client, method: str = "get", **data):
    with (
        CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as primary,
        CaptureQueriesContext(connections[REPLICA]) as copy,
    ):
        response = getattr(client, method)(url, data) if data else getattr(client, method)(url)
    return response, [q["sql"] for q in primary], [q["sql"] for q in copy]


def score_of(html: str, unit: str) -> str:
    return re.search(rf">{unit}</a></td>\s*<td class=\"num\"[^>]*>([\d,]+)</td>", html).group(1)


def unit_code(name: str) -> str:
    from units.models import Unit

    return Unit.objects.get(name=name).code


PUBLIC_URLS = [
    "/",
    "/xep-hang/2022/so/",
    "/xep-hang/2022/so/lan-1/",
    "/xep-hang/2022/so.csv",
    "/xep-hang/2022/so.xlsx",
    "/xep-hang/so-sanh/so/",
    "/xep-hang/so-sanh/so.xlsx",
    "/don-vi/{yte}/",
    "/tong-quan/",
    "/phuong-phap/",
    "/chi-so-quoc-gia/",
    "/tim-kiem/?q=y+te",
    "/du-lieu-mo/",
    "/api/v1/",
    "/api/v1/periods/",
    "/api/v1/results/2022/so/",
    "/api/v1/units/{yte}/",
]


def test_anonymous_public_pages_read_only_the_replica(client, table_2022_on_the_replica):
    yte = unit_code("Sở Y tế")
    for url in (url.format(yte=yte) for url in PUBLIC_URLS):
        response, primary, copy = queries(url, client)
        assert response.status_code == 200, url
        assert primary == [], (url, primary)
        # The check that the replica is up to date, then the page's own reads.
        assert "pg_last_wal_replay_lsn" in copy[0] and len(copy) >= 2, (url, copy)
    response, primary, copy = queries("/xep-hang/2022/huyen/", client, "head")
    assert response.status_code == 200 and primary == [] and len(copy) >= 2
    response, primary, copy = queries("/xep-hang/2022/so/", client)  # from the cache now: no query anywhere
    assert score_of(response.content.decode(), "Sở Y tế") == "88,351" and primary == copy == []


def test_staff_pages_signed_in_readers_and_posts_use_the_primary(client, table_2022_on_the_replica):
    response, primary, copy = queries("/dang-nhap/", client, "post", username="khong-co", password="sai-mat-khau-1")
    assert response.status_code == 200 and primary and copy == []
    client.force_login(user("quan.tri", ADMINISTRATOR))
    for url in ("/cham-diem/", "/xep-hang/2022/so/", "/don-vi/{yte}/".format(yte=unit_code("Sở Y tế"))):
        response, primary, copy = queries(url, client)
        assert response.status_code == 200 and primary and copy == [], (url, copy)


def test_a_lagging_replica_is_skipped_and_nothing_stale_is_cached(client, table_2022_on_the_replica, tmp_path, caplog):
    source = FIXTURES / "ket-qua-cong-bo-2022.csv"
    correction = tmp_path / "dinh-chinh.csv"
    correction.write_text(
        source.read_text(encoding="utf-8").replace("Sở Y tế,88.351", "Sở Y tế,90.351"), encoding="utf-8"
    )
    _on_replica("SELECT pg_wal_replay_pause()")
    try:
        _wait_until(lambda: _on_replica("SELECT pg_get_wal_replay_pause_state()") == "paused", "pause")
        # Committed on the primary; its on_commit starts a new generation with the primary's WAL position.
        call_command("import_results", str(correction), "--correction", "Cộng sót điểm", *correction_options())
        current = Result.objects.using(REPLICA).get(unit_name="Sở Y tế", version__is_current=True)
        assert current.total == Decimal("88.351")  # the replica really is behind: it still has the old table

        response, primary, copy = queries("/xep-hang/2022/so/", client)
        html = response.content.decode()
        assert score_of(html, "Sở Y tế") == "90,351" and "Đã đính chính" in html
        assert len(copy) == 1 and "pg_last_wal_replay_lsn" in copy[0]  # asked, found behind, not read
        assert primary
        assert "has not replayed WAL position" in caplog.text

        again, primary, copy = queries("/xep-hang/2022/so/", client)  # the cached page is the new one
        assert primary == copy == [] and again.content == response.content
    finally:
        _on_replica("SELECT pg_wal_replay_resume()")
    wait_for_replay()
    response, primary, copy = queries("/api/v1/results/2022/so/", client)  # caught up: the replica again
    scores = {row["unit"]: row["score"] for row in response.json()["results"]}
    assert scores["Sở Y tế"] == "90.351" and primary == [] and len(copy) >= 2


def test_a_replica_that_is_down_is_skipped_and_not_tried_again_at_once(
    client, table_2022_on_the_replica, caplog, monkeypatch
):
    _point_replica_at("postgres://postgres@127.0.0.1:1/")  # nothing listens there: connection refused
    attempts = []
    replica_connection = connections[REPLICA]
    connect = replica_connection.get_new_connection

    def counted(params):
        attempts.append(params)
        return connect(params)

    monkeypatch.setattr(replica_connection, "get_new_connection", counted)
    clock = SimpleNamespace(now=1000.0)
    monkeypatch.setattr(db_router, "time", SimpleNamespace(monotonic=lambda: clock.now))

    response = client.get("/xep-hang/2022/so/")
    assert response.status_code == 200 and score_of(response.content.decode(), "Sở Y tế") == "88,351"
    assert len(attempts) == 1 and "Read replica unreachable" in caplog.text

    clock.now += settings.REPLICA_RETRY_SECONDS - 1  # within the window: the primary, without trying
    url = "/don-vi/{yte}/".format(yte=unit_code("Sở Y tế"))
    with CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as primary:
        response = client.get(url)
    assert response.status_code == 200 and "Sở Y tế" in response.content.decode() and len(primary) > 0
    assert len(attempts) == 1

    clock.now += 2  # the window is over: tried again (and still down)
    assert client.get("/tong-quan/").status_code == 200
    assert len(attempts) == 2
