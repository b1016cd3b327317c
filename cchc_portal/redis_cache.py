"""Django's Redis cache, without the cost of a new client per operation.

Django's RedisCacheClient makes a new `redis.Redis` for every get or set (`get_client`), and each one builds its table
of about eighty response callbacks: some 0.9 ms of a worker's CPU per cache operation, several per cached page — more
than serving the page itself takes. This client makes one per connection pool and keeps it: a `redis.Redis` is only a
front to its pool, which hands out connections (Django makes a cache object per thread, so each thread keeps its own).
"""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient


class RedisCacheClient(DjangoRedisCacheClient):
    """One `redis.Redis` per connection pool, made on first use."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    """django.core.cache.backends.redis.RedisCache with the client above."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
