"""Where each query goes: the primary ("default"), or — for anonymous reads of the public pages — a PostgreSQL
streaming read replica ("replica", configured by DATABASE_REPLICA_URL).

A request may read the replica only if cchc_portal.replica_middleware.PublicReadsFromReplica says so (an anonymous
GET or HEAD of a public page); everything else, and every write, goes to the primary. Whether this request really
reads the replica is decided once, at its first routed read (a page served from the cache makes none and pays
nothing): the replica must be reachable and have replayed the primary's WAL position recorded with the current
generation of public data (cchc_portal/public_cache.py) — otherwise a page rendered from an older copy could be
cached as current. A replica that cannot be reached is taken as down, in this process, for REPLICA_RETRY_SECONDS,
so a dead replica does not cost every request its connect timeout.

Without DATABASE_REPLICA_URL every query goes to the primary.
"""

import logging
import time
from contextlib import contextmanager, suppress
from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

REPLICA = "replica"
ALIASES = frozenset({DEFAULT_DB_ALIAS, REPLICA})

logger = logging.getLogger(__name__)
# Whether the replica is a standby, and whether it has replayed the given WAL position.
READINESS_QUERY = "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn() >= %s::pg_lsn"


class _Reads:
    """One request's reads: whether they may go to the replica and, once decided, which alias serves them."""

    __slots__ = ("alias", "replica_allowed")

    def __init__(self):
        self.replica_allowed = False
        self.alias = None


_reads: ContextVar[_Reads | None] = ContextVar("cchc_reads", default=None)

# time.monotonic() before which this process takes the replica as down, and when it last warned of a lagging one.
_down_until = 0.0
_behind_warned_at = -float("inf")


def replica_configured() -> bool:
    return REPLICA in connections.settings


@contextmanager
def request_reads():
    """The scope of one request: reads go to the primary unless `allow_replica()` is called within it."""
    reads = _Reads()
    token = _reads.set(reads)
    try:
        yield reads
    finally:
        _reads.reset(token)


def allow_replica() -> None:
    """This request's reads may go to the replica (if one is configured, reachable and up to date)."""
    reads = _reads.get()
    if reads is not None and replica_configured():
        reads.replica_allowed = True


def reset() -> None:
    """Forget that the replica was down or lagging (tests; a replica just repaired)."""
    global _down_until, _behind_warned_at
    _down_until = 0.0
    _behind_warned_at = -float("inf")


def failed_midway(reads: _Reads, status_code: int) -> bool:
    """Whether this request read the replica and the replica failed it: an error answer after a database error on
    the replica's connection (it froze or went away after the request chose it; its deadline closed the socket).
    The replica is then taken as down and the caller answers the request again from the primary."""
    global _down_until
    if reads.alias != REPLICA or status_code < 500 or not connections[REPLICA].errors_occurred:
        return False
    _down_until = time.monotonic() + settings.REPLICA_RETRY_SECONDS
    logger.warning(
        "Read replica failed during a request, public pages read the primary for the next %s s",
        settings.REPLICA_RETRY_SECONDS,
    )
    with suppress(DatabaseError):
        connections[REPLICA].close()
    return True


def _replica_ready() -> bool:
    """Whether the replica is reachable and has replayed every change of the current public generation."""
    global _down_until, _behind_warned_at
    now = time.monotonic()
    if now < _down_until:
        return False
    from cchc_portal.public_cache import position  # public_cache imports this module

    required = position()
    if required is None:
        return False  # the primary is not PostgreSQL, or its position could not be read: nothing to compare
    try:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute(READINESS_QUERY, [required])
            standby, replayed = cursor.fetchone()
    except DatabaseError as error:
        _down_until = time.monotonic() + settings.REPLICA_RETRY_SECONDS
        logger.warning(
            "Read replica unreachable, public pages read the primary for the next %s s: %s",
            settings.REPLICA_RETRY_SECONDS,
            str(error).strip(),
        )
        return False
    if not standby:
        _down_until = time.monotonic() + settings.REPLICA_RETRY_SECONDS
        logger.warning("Read replica is not a standby (promoted?), public pages read the primary")
        return False
    if not replayed:
        if now - _behind_warned_at >= settings.REPLICA_RETRY_SECONDS:  # one line per interval while it catches up
            _behind_warned_at = now
            logger.warning(
                "Read replica has not replayed WAL position %s yet, this request reads the primary", required
            )
        return False
    return True


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        reads = _reads.get()
        if reads is None or not reads.replica_allowed:
            return None
        if reads.alias is None:
            reads.alias = REPLICA if _replica_ready() else DEFAULT_DB_ALIAS
        return reads.alias

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # The replica is a copy of the primary: an object read from one may point at an object read from the other.
        if obj1._state.db in ALIASES and obj2._state.db in ALIASES:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS
