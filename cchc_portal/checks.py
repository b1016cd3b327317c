"""`manage.py check --deploy`: the page cache must be bounded in bytes.

Without Redis each worker's cache is (cchc_portal/bounded_cache.py, PAGE_CACHE_MB). With Redis the bound is Redis'
own: the Redis of the page cache (CACHE_REDIS_URL, else REDIS_URL) needs a `maxmemory` and a policy that evicts
(docs/deploy.md, "Redis"). Debian's Redis has neither by default, and a full Redis fails every write.
"""

from django.conf import settings
from django.core.checks import Warning as CheckWarning
from django.core.checks import register

EVICTING = {"allkeys-lru", "allkeys-lfu", "volatile-lru", "volatile-lfu", "allkeys-random", "volatile-random",
            "volatile-ttl"}  # fmt: skip
W_UNBOUNDED = "Redis của bộ nhớ đệm trang ({url}) không có trần bộ nhớ (maxmemory 0): đầy RAM thì máy hết bộ nhớ."
W_NO_EVICTION = (
    "Redis của bộ nhớ đệm trang ({url}) có trần nhưng chính sách “{policy}” không xóa khóa nào: khi đầy, mọi lệnh "
    "ghi đều lỗi."
)
W_UNREACHABLE = "Không hỏi được cấu hình của Redis bộ nhớ đệm trang ({url}): {error}"
HINT = (
    "Đặt maxmemory và maxmemory-policy allkeys-lru (hay volatile-lru khi chỉ có một Redis): docs/deploy.md, mục Redis."
)


def page_cache_redis_url() -> str:
    """The Redis the page cache lives in ('' without Redis)."""
    location = settings.CACHES["default"].get("LOCATION", "")
    return location if settings.CACHES["default"]["BACKEND"].endswith("RedisCache") else ""


def memory_problems(config: dict, url: str) -> list[CheckWarning]:
    """What is wrong with a Redis' memory settings, from its `CONFIG GET maxmemory*` answer."""
    if int(config.get("maxmemory", 0) or 0) == 0:
        return [CheckWarning(W_UNBOUNDED.format(url=url), hint=HINT, id="cchc.W101")]
    policy = config.get("maxmemory-policy", "noeviction")
    if policy not in EVICTING:
        return [CheckWarning(W_NO_EVICTION.format(url=url, policy=policy), hint=HINT, id="cchc.W102")]
    return []


@register(deploy=True)
def page_cache_bounded(app_configs=None, **kwargs) -> list[CheckWarning]:
    url = page_cache_redis_url()
    if not url:
        return []
    from redis import Redis
    from redis.exceptions import RedisError

    shown = url.split("@")[-1]  # never a password in the output
    try:
        client = Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3, decode_responses=True)
        config = client.config_get("maxmemory*")
    except RedisError as error:
        return [CheckWarning(W_UNREACHABLE.format(url=shown, error=error), hint=HINT, id="cchc.W103")]
    return memory_problems(config, shown)
