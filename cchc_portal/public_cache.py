"""The generation of public data, shared by every process through Django's cache (Redis when REDIS_URL is set).

Cached public answers are kept under the current generation (reports/freshness.py); anything that changes what
the public reads starts a new one with `public_changed()` — once its transaction has committed, so no request can
cache the old data under the new generation.
"""

import uuid

from django.core.cache import cache
from django.db import transaction

GENERATION_KEY = "public-generation"


def generation() -> str:
    value = cache.get(GENERATION_KEY)
    if value is None:
        cache.add(GENERATION_KEY, uuid.uuid4().hex, None)
        value = cache.get(GENERATION_KEY) or "0"
    return value


def _renew() -> None:
    cache.set(GENERATION_KEY, uuid.uuid4().hex, None)


def public_changed() -> None:
    """Every cached public answer is stale from the moment the current transaction commits."""
    transaction.on_commit(_renew)
