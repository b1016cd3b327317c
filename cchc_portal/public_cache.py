"""The generation of public data, shared by every process through Django's cache (Redis when REDIS_URL is set).

Cached public answers are kept under the current generation (reports/freshness.py); anything that changes what
the public reads starts a new one with `public_changed()` — once its transaction has committed, so no request can
cache the old data under the new generation.

Two more things keep that promise:
- within a request the generation read first holds to the end (`request_generation()`, entered by
  cchc_portal.replica_middleware): a page is stored under the generation it was looked up with, so a page rendered
  from data read before a change is never stored under the generation that change started;
- with a read replica, a new generation comes with the primary's WAL position at its start (`position()`): a replica
  that has not replayed it holds older data, and the request reads the primary instead (cchc_portal/db_router.py).
"""

import logging
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar

from django.core.cache import caches
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction

from cchc_portal.db_router import replica_configured

GENERATION_KEY = "public-generation"
POSITION_KEY = "public-position:{generation}"
POSITION_SECONDS = 24 * 3600  # afterwards the position is read again from the primary, a later and still safe one

logger = logging.getLogger(__name__)

_request_generation: ContextVar[list[str] | None] = ContextVar("cchc_public_generation", default=None)


def _shared():
    """Where the generation is kept: seen by every process of the installation (Redis, or a folder on disk)."""
    return caches["shared"]


def _current() -> str:
    cache = _shared()
    value = cache.get(GENERATION_KEY)
    if value is None:
        cache.add(GENERATION_KEY, uuid.uuid4().hex, None)
        value = cache.get(GENERATION_KEY) or "0"
    return value


def generation() -> str:
    """The current generation; within a request, the one the request first saw."""
    seen = _request_generation.get()
    if seen is None:
        return _current()
    if not seen:
        seen.append(_current())
    return seen[0]


@contextmanager
def request_generation():
    """One request: `generation()` answers what it answered the first time."""
    token = _request_generation.set([])
    try:
        yield
    finally:
        _request_generation.reset(token)


def _primary_position() -> str | None:
    """The primary's current WAL position: every transaction committed so far lies before it (PostgreSQL only)."""
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "postgresql":
        return None
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_lsn()")
            return cursor.fetchone()[0]
    except DatabaseError as error:
        logger.warning("Could not read the primary's WAL position: %s", str(error).strip())
        return None


def position() -> str | None:
    """The WAL position a replica must have replayed to serve the current generation (of this request). Recorded
    when the generation starts; if it is gone (a flushed cache, a generation started without a change), the
    primary's position now, later than anything the generation holds. None if the primary is not PostgreSQL."""
    key = POSITION_KEY.format(generation=generation())
    cache = _shared()
    value = cache.get(key)
    if value is None:
        value = _primary_position()
        if value is not None:
            cache.add(key, value, POSITION_SECONDS)
    return value


def _renew() -> None:
    renewed = uuid.uuid4().hex
    # The position first: whoever sees the new generation finds its position (or none, and reads a later one).
    if replica_configured():
        current = _primary_position()
        if current is not None:
            _shared().set(POSITION_KEY.format(generation=renewed), current, POSITION_SECONDS)
    _shared().set(GENERATION_KEY, renewed, None)


_derived: list[Callable] = []


def derive_from_names(refresh: Callable) -> None:
    """Register `refresh(units)`, which brings something derived from the units' published names (the search
    index) in step with them; `public_changed(names_of=…)` calls it."""
    if refresh not in _derived:
        _derived.append(refresh)


def public_changed(names_of=None, *, added=None) -> None:
    """Every cached public answer is stale from the moment the current transaction commits. `names_of`: the units
    (a queryset) whose published names may have changed; what is derived from them is brought in step now, in
    the same transaction, so it commits (and reaches a replica) with the change itself. `added`: when the change
    only publishes names — a period's first table — the (unit id, name) pairs it prints, so that nothing
    published before is read again to find what is no longer public."""
    if names_of is not None:
        for refresh in _derived:
            refresh(names_of, added=added)
    transaction.on_commit(_renew)
