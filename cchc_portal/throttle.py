"""Per-address limits on what costs the server work: a public page rendered because it was not in the page cache,
and a search. A counter per address and minute in the cache (Redis when REDIS_URL is set, shared by every app
server); over the limit, the answer is 429 with a Vietnamese page and Retry-After. A page served from the cache
costs nothing and is never counted, so a whole office behind one address reading the published tables is not
held back; one address asking for page after page no one has asked for is.
"""

import ipaddress
import math
import time
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers

from cchc_portal.addresses import client_address

WINDOW = 60  # seconds
E_TOO_MANY = "Địa chỉ mạng của bạn đã gửi quá nhiều yêu cầu trong một phút; xin đợi {seconds} giây rồi thử lại."
# What is counted, and the setting that says how many a minute each address may have.
LIMITS = {"render": "PUBLIC_MISSES_PER_MINUTE", "search": "SEARCHES_PER_MINUTE"}


def _holder(address: str) -> str:
    """Who is counted: an IPv4 address, or an IPv6 /64 (one subscriber's network, where every address is theirs
    to use)."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address[:64] or "?"
    if parsed.version == 6:
        if parsed.ipv4_mapped:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def refused(request, scope: str):
    """None while `request`'s address has asked for `scope` (a key of LIMITS) at most its limit this minute, this
    request counted; otherwise the 429 answer to send. A limit of 0 turns the check off."""
    limit = getattr(settings, LIMITS[scope])
    if limit <= 0:
        return None
    now = time.time()
    key = f"rate:{scope}:{_holder(client_address(request) or '')}:{int(now // WINDOW)}"
    cache.add(key, 0, WINDOW + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr: this is the first request of the window
        cache.set(key, 1, WINDOW + 5)
        count = 1
    if count <= limit:
        return None
    wait = max(1, math.ceil(WINDOW - now % WINDOW))
    if request.path.startswith("/api/"):  # the open-data API answers in JSON, this too
        message = E_TOO_MANY.format(seconds=wait)
        response = JsonResponse({"error": message}, status=429, json_dumps_params={"ensure_ascii": False})
    else:
        response = render(request, "429.html", {"seconds": wait, "search": scope == "search"}, status=429)
    response["Retry-After"] = str(wait)
    add_never_cache_headers(response)
    return response


def limited(view):
    """A public view the page cache does not keep (a past version of a table, a workbook of several years): every
    anonymous request is a render, and counts as one."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            over = refused(request, "render")
            if over:
                return over
        return view(request, *args, **kwargs)

    return wrapped
