"""Bounds on every PostgreSQL connection, so a database that stops answering costs a request seconds, not a worker.

One bound for each way a server can fail (settings.py applies them to the primary and to the replica):

- connect_timeout: a server that does not complete a new connection (down, or frozen before it answers);
- statement_timeout (sent as a startup option): a query the server runs too long — a lock held by a migration, a
  plan gone wrong — is cancelled by the server itself, and the connection stays usable;
- TCP keepalives and tcp_user_timeout: a host or a network that vanishes while a connection is kept;
- a client-side deadline (statement timeout + DEADLINE_GRACE seconds) on every round trip, the pooled connection's
  health check included: a server process that is frozen (SIGSTOP, a stalled disk, a paused virtual machine) still
  has its kernel accept and acknowledge bytes, so neither the server's timeout nor TCP's ever fires. One watchdog
  thread per process shuts the socket of a round trip past its deadline; the blocked call then fails at once with
  an OperationalError (Django: django.db.OperationalError), which the replica router takes as "replica down" and
  the error handler turns into the Vietnamese 503 page (cchc_portal/outages.py).

A statement timeout of 0 means none of the statement and deadline bounds (commands and the job worker, whose work
may run long; see settings.COMMAND_STATEMENT_TIMEOUT).
"""

import heapq
import itertools
import os
import socket
import threading
import time
from contextlib import contextmanager

try:
    import psycopg2
    import psycopg2.extensions
except ImportError:  # pragma: no cover - the project pins psycopg2
    psycopg2 = None

DEADLINE_GRACE = 2  # seconds after the server's own statement timeout before the client gives up on the socket


def postgres_options(*, statement_timeout: int, connect_timeout: int, tcp_timeout: int, existing: dict) -> dict:
    """OPTIONS for a PostgreSQL alias: `existing` (from the URL) with the timeouts added; seconds throughout."""
    options = {
        **existing,
        "connect_timeout": connect_timeout,
        "keepalives": 1,
        "keepalives_idle": max(1, tcp_timeout // 2),
        "keepalives_interval": max(1, tcp_timeout // 6),
        "keepalives_count": 3,
        "tcp_user_timeout": tcp_timeout * 1000,
    }
    if statement_timeout > 0:
        flag = f"-c statement_timeout={statement_timeout * 1000}"
        options["options"] = f"{existing.get('options', '')} {flag}".strip()
        if psycopg2 is not None:
            seconds = statement_timeout + DEADLINE_GRACE
            options["connection_factory"] = type(
                f"Connection{seconds}s", (DeadlineConnection,), {"deadline_seconds": seconds}
            )
            options["cursor_factory"] = type(f"Cursor{seconds}s", (DeadlineCursor,), {"deadline_seconds": seconds})
    return options


class QueryDeadlineExceeded(psycopg2.OperationalError if psycopg2 else Exception):
    """The server did not answer one round trip within the deadline; its connection was closed."""


class _Watchdog:
    """One thread per process that shuts the socket of any round trip still waiting at its deadline."""

    def __init__(self):
        self._reset()
        os.register_at_fork(after_in_child=self._reset)  # a forked worker starts with no thread and a free lock

    def _reset(self):
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int]] = []
        self._live: dict[int, int] = {}
        self._fired: set[int] = set()
        self._tokens = itertools.count()
        self._thread = None

    def watch(self, fd: int, seconds: float) -> int:
        with self._cond:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="db-deadline", daemon=True)
                self._thread.start()
            token = next(self._tokens)
            self._live[token] = fd
            heapq.heappush(self._heap, (time.monotonic() + seconds, token))
            self._cond.notify()
            return token

    def release(self, token: int) -> bool:
        """Stop watching; whether the deadline had already fired."""
        with self._cond:
            if token in self._fired:
                self._fired.discard(token)
                return True
            self._live.pop(token, None)
            return False

    def _run(self):
        cond = self._cond
        with cond:
            while True:
                while self._heap and self._heap[0][1] not in self._live:
                    heapq.heappop(self._heap)  # finished in time
                if not self._heap:
                    cond.wait()
                    continue
                deadline, token = self._heap[0]
                remaining = deadline - time.monotonic()
                if remaining > 0:
                    cond.wait(remaining)
                    continue
                heapq.heappop(self._heap)
                self._fired.add(token)
                _shut(self._live.pop(token))


def _shut(fd: int) -> None:
    try:
        sock = socket.socket(fileno=os.dup(fd))
    except OSError:
        return
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    finally:
        sock.close()


_watchdog = _Watchdog()


@contextmanager
def deadline(connection, seconds: float):
    """Bound one round trip of a psycopg2 connection to `seconds`."""
    try:
        fd = connection.fileno()
    except psycopg2.Error:  # closed already: the call below fails at once by itself
        yield
        return
    token = _watchdog.watch(fd, seconds)
    try:
        yield
    except psycopg2.Error as error:
        if _watchdog.release(token):
            raise QueryDeadlineExceeded(
                f"PostgreSQL did not answer within {seconds:g} s; the connection was closed"
            ) from error
        raise
    else:
        if _watchdog.release(token):  # answered just as the socket was shut: the connection is gone all the same
            raise QueryDeadlineExceeded(f"PostgreSQL did not answer within {seconds:g} s; the connection was closed")


if psycopg2 is not None:

    class DeadlineCursor(psycopg2.extensions.cursor):
        """A cursor whose every round trip (a named cursor's fetches too) is bounded by `deadline_seconds`."""

        deadline_seconds = 0.0

        def execute(self, query, vars=None):
            with deadline(self.connection, self.deadline_seconds):
                return super().execute(query, vars)

        def executemany(self, query, vars_list):
            with deadline(self.connection, self.deadline_seconds):
                return super().executemany(query, vars_list)

        def callproc(self, procname, parameters=None):
            with deadline(self.connection, self.deadline_seconds):
                return super().callproc(procname, parameters)

        def copy_expert(self, sql, file, size=8192):
            with deadline(self.connection, self.deadline_seconds):
                return super().copy_expert(sql, file, size)

        def fetchone(self):
            if not self.name:
                return super().fetchone()
            with deadline(self.connection, self.deadline_seconds):
                return super().fetchone()

        def fetchmany(self, size=None):
            if not self.name:
                return super().fetchmany(size) if size is not None else super().fetchmany()
            with deadline(self.connection, self.deadline_seconds):
                return super().fetchmany(size) if size is not None else super().fetchmany()

        def fetchall(self):
            if not self.name:
                return super().fetchall()
            with deadline(self.connection, self.deadline_seconds):
                return super().fetchall()

    class DeadlineConnection(psycopg2.extensions.connection):
        """A connection whose COMMIT and ROLLBACK are bounded like its cursors' queries."""

        deadline_seconds = 0.0

        def commit(self):
            with deadline(self, self.deadline_seconds):
                return super().commit()

        def rollback(self):
            with deadline(self, self.deadline_seconds):
                return super().rollback()
