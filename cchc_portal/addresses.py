"""The address of the person behind a request, for login lockouts and the log.

Behind the documented nginx every request reaches gunicorn from 127.0.0.1; nginx appends the address it saw to
X-Forwarded-For (`$proxy_add_x_forwarded_for`). That header is believed only when the request itself comes from
one of TRUSTED_PROXIES, and then read from the right: the last address a trusted proxy added is the first one
nobody can forge. Whatever a client writes into the header itself stays to the left and is never used.
"""

import ipaddress
from functools import lru_cache

from django.conf import settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(spec: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in spec)


def _parse(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    # An IPv4 client seen by a dual-stack listener (::ffff:203.0.113.5) is the IPv4 client.
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


def _trusted(address, networks: tuple[Network, ...]) -> bool:
    return any(address.version == net.version and address in net for net in networks)


def client_address(request) -> str | None:
    """The client's address: REMOTE_ADDR, or what a trusted proxy says it saw (axes' AXES_CLIENT_IP_CALLABLE)."""
    remote = request.META.get("REMOTE_ADDR") or ""
    networks = _networks(tuple(settings.TRUSTED_PROXIES))
    peer = _parse(remote)
    # gunicorn on a Unix socket gives no address: only a process on this machine (the proxy) can connect.
    from_proxy = bool(networks) and (_trusted(peer, networks) if peer is not None else not remote)
    if not from_proxy:
        return str(peer) if peer is not None else (remote or None)
    client = peer
    hops = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    for hop in reversed(hops):
        address = _parse(hop)
        if address is None:
            break  # not an address: nothing further left of it can be trusted either
        client = address
        if not _trusted(address, networks):
            break  # the first address no trusted proxy is known to hold: the client
    return str(client) if client is not None else None
