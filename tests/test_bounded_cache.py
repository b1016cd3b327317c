"""The page cache is bounded in bytes: each worker's memory without Redis (cchc_portal/bounded_cache.py), Redis'
maxmemory with it (checked by `manage.py check --deploy`, cchc_portal/checks.py)."""

import contextlib

import pytest
import redis
from django.conf import settings
from django.core.cache import caches

from cchc_portal import checks
from cchc_portal.bounded_cache import ENTRY_OVERHEAD, BoundedLocMemCache

MIB = 1024 * 1024
PAGE = b"x" * MIB  # about a national table's gzip-less page, halved


@pytest.fixture
def small():
    store = BoundedLocMemCache("bounded-test", {"OPTIONS": {"MAX_BYTES": 3 * MIB + 3 * 1000, "MAX_ENTRIES": 1000}})
    store.clear()
    yield store
    store.clear()


def test_the_portal_s_cache_without_redis_has_a_byte_budget():
    assert isinstance(caches["default"], BoundedLocMemCache)
    assert caches["default"].max_bytes == settings.CACHES["default"]["OPTIONS"]["MAX_BYTES"] == 64 * MIB


def test_storing_past_the_budget_drops_the_least_recently_used_pages(small):
    for n in range(3):
        small.set(f"page-{n}", PAGE)
    assert small.get("page-0") == PAGE  # read: now the most recently used
    small.set("page-3", PAGE)
    assert small.get("page-1") is None  # the least recently used left
    assert [small.get(f"page-{n}") is not None for n in (0, 2, 3)] == [True, True, True]
    assert small.used_bytes <= small.max_bytes
    for n in range(4, 40):
        small.set(f"page-{n}", PAGE)
        assert small.used_bytes <= small.max_bytes
    assert sum(small.get(f"page-{n}") is not None for n in range(40)) == 3


def test_a_value_larger_than_the_budget_is_not_kept_and_the_old_one_goes(small):
    small.set("page", b"old")
    small.set("page", b"x" * (4 * MIB))
    assert small.get("page") is None
    assert small.used_bytes == 0


def test_replacing_deleting_and_counting_keep_the_account_exact(small):
    small.set("page", PAGE)
    small.set("page", PAGE)  # replaced, not counted twice
    one = small.used_bytes
    assert MIB + ENTRY_OVERHEAD < one < MIB + 2 * ENTRY_OVERHEAD
    small.add("hits", 1)
    small.incr("hits", 10**12)  # a counter whose pickle grows
    with_counter = small.used_bytes
    assert with_counter > one
    small.delete("hits")
    assert small.used_bytes == one
    small.clear()
    assert small.used_bytes == 0


def test_expired_pages_give_their_bytes_back(small):
    small.set("page", PAGE, timeout=-1)
    assert small.get("page") is None
    assert small.used_bytes == 0


@pytest.mark.parametrize(
    ("config", "found"),
    [
        ({"maxmemory": "0", "maxmemory-policy": "noeviction"}, ["cchc.W101"]),
        ({"maxmemory": "1073741824", "maxmemory-policy": "noeviction"}, ["cchc.W102"]),
        ({"maxmemory": "1073741824", "maxmemory-policy": "allkeys-lru"}, []),
        ({"maxmemory": "536870912", "maxmemory-policy": "volatile-lru"}, []),
    ],
)
def test_the_deploy_check_names_a_redis_without_a_bound_or_eviction(config, found):
    assert [w.id for w in checks.memory_problems(config, "127.0.0.1:6380/0")] == found


def test_the_deploy_check_reads_the_page_cache_redis_itself(settings):
    url = "redis://127.0.0.1:6379/7"
    try:
        config = redis.Redis.from_url(url, socket_connect_timeout=1, decode_responses=True).config_get("maxmemory*")
    except redis.RedisError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    settings.CACHES = {**settings.CACHES, "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                                      "LOCATION": url}}  # fmt: skip
    found = [w.id for w in checks.page_cache_bounded()]
    assert found == [w.id for w in checks.memory_problems(config, url)]  # what the server says, asked of it
    settings.CACHES = {**settings.CACHES, "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                                      "LOCATION": "redis://127.0.0.1:1/0"}}  # fmt: skip
    assert [w.id for w in checks.page_cache_bounded()] == ["cchc.W103"]


def test_the_redis_cache_keeps_one_client_instead_of_making_one_per_operation(settings):
    from cchc_portal.redis_cache import RedisCache

    store = RedisCache("redis://127.0.0.1:6379/7", {"KEY_PREFIX": "cchc-client-test"})
    assert store._cache.get_client() is store._cache.get_client(write=True)
    try:
        store.set("page", b"x", 5)
        assert store.get_many(["page", "none"]) == {"page": b"x"}
    except redis.RedisError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    finally:
        with contextlib.suppress(redis.RedisError):
            store.delete("page")
