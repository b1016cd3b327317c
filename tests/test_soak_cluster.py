"""`make soak` restarts a PostgreSQL cluster it made itself, never the machine's own (turn-3 review, finding 12):
the private cluster starts on a free port, restarts, and is removed; the server the tests run against keeps running
through it."""

import os
import socket

import psycopg2
import pytest

from benchmarks.cluster import PrivateCluster


def started_at(url: str) -> object:
    with psycopg2.connect(url) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT pg_postmaster_start_time()")
        started = cursor.fetchone()[0]
    conn.close()
    return started


@pytest.mark.skipif(not PrivateCluster.available(), reason="no PostgreSQL server binaries")
def test_the_soak_restarts_its_own_cluster_and_no_other():
    other = os.environ.get("DATABASE_URL", "")  # the server the suite runs on, when it is PostgreSQL
    other_started = started_at(other) if other.startswith("postgres") else None
    with PrivateCluster() as cluster:
        before = started_at(f"{cluster.url}/postgres")
        cluster.restart()
        assert started_at(f"{cluster.url}/postgres") > before
        folder, port = cluster.folder, cluster.port
    assert not folder.exists()
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0  # stopped
    if other_started is not None:
        assert started_at(other) == other_started
