"""The page cache of a portal without Redis: each worker's own memory, bounded in bytes.

Django's LocMemCache bounds the number of entries (300 by default), not their size: a national table's page is a
2 MB entry, so three hundred of them are some 600 MB per worker. `BoundedLocMemCache` keeps the stored (pickled)
bytes of its entries under OPTIONS["MAX_BYTES"] (PAGE_CACHE_MB in the settings): storing past the budget first drops
the least recently used entries, and a single value larger than the budget is not kept at all. Everything else is
LocMemCache's: its lock, its recency order (a read moves an entry to the front), its expiry.

A deployment with Redis bounds its page cache with Redis' own `maxmemory` (docs/deploy.md, "Redis"; checked by
`manage.py check --deploy`, cchc_portal/checks.py).
"""

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache

DEFAULT_MAX_BYTES = 64 * 1024 * 1024
ENTRY_OVERHEAD = 200  # bytes an entry costs beyond its key and value: dictionary slots, the expiry record

# Like LocMemCache's stores, shared by every instance of one name (Django makes one instance per thread).
_sizes: dict[str, dict[str, int]] = {}
_used: dict[str, list[int]] = {}


def _cost(key: str, pickled: bytes) -> int:
    return len(key) + len(pickled) + ENTRY_OVERHEAD


class BoundedLocMemCache(LocMemCache):
    """LocMemCache whose entries together take at most MAX_BYTES; the least recently used leave first."""

    def __init__(self, name, params):
        super().__init__(name, params)
        self.max_bytes = int(params.get("OPTIONS", {}).get("MAX_BYTES", DEFAULT_MAX_BYTES))
        self._sizes = _sizes.setdefault(name, {})
        self._used = _used.setdefault(name, [0])

    @property
    def used_bytes(self) -> int:
        """What the entries take now, as the budget counts it."""
        return self._used[0]

    # Called with the lock held, like LocMemCache's own.
    def _set(self, key, value, timeout=DEFAULT_TIMEOUT):
        self._delete(key)  # a value replaced gives its bytes back first
        size = _cost(key, value)
        if size > self.max_bytes:
            return
        while self._cache and self._used[0] + size > self.max_bytes:
            oldest, _ = self._cache.popitem()  # the last is the least recently used
            self._forget(oldest)
        super()._set(key, value, timeout)
        self._sizes[key] = size
        self._used[0] += size

    def _forget(self, key) -> None:
        self._expire_info.pop(key, None)
        self._used[0] -= self._sizes.pop(key, 0)

    def _delete(self, key):
        deleted = super()._delete(key)
        if deleted:
            self._used[0] -= self._sizes.pop(key, 0)
        return deleted

    def _cull(self):
        if self._cull_frequency == 0:
            self._clear()
            return
        for _ in range(len(self._cache) // self._cull_frequency):
            oldest, _ = self._cache.popitem()
            self._forget(oldest)

    def _clear(self) -> None:
        self._cache.clear()
        self._expire_info.clear()
        self._sizes.clear()
        self._used[0] = 0

    def incr(self, key, delta=1, version=None):
        value = super().incr(key, delta, version)
        made = self.make_and_validate_key(key, version=version)
        with self._lock:
            if made in self._cache:  # the counter's pickle may have grown by a byte
                size = _cost(made, self._cache[made])
                self._used[0] += size - self._sizes.get(made, 0)
                self._sizes[made] = size
        return value

    def clear(self):
        with self._lock:
            self._clear()
