"""Published data never changes in place: a correction is a new version. So every public answer can say when it
last changed (Last-Modified, ETag), answer a conditional request with 304, be cached by anyone a while — and be
served from the portal's own cache without touching the database.

A table's stamp is its current version (its id, number and publication time); a page drawing on every table
(home, overview, search, a unit's history) uses the site's stamp: the latest publication and the number of
current tables, plus the national indices' last change. Both cost one small query, kept on the request.

The page cache (Django's cache framework: Redis when REDIS_URL is set) keeps each anonymous public answer —
its headers, its body and its gzip-compressed body, each under its own key (a hit reads the one body it sends)
— under the current *generation* of public data. Anything that can change
what the public reads (a publication, a correction, an imported table, an edit of a unit, a block or an index)
calls `public_changed()`, which starts a new generation: every cached page is then stale at once, and the next
request renders afresh, and answers compressed already. A hit costs two cache reads (the generation; the headers
with the body it sends) and no query.

No visitor pays for a publication: the publication starts a job (`prerender`, reports/jobs.py) that renders the new
table's pages, JSON, xlsx and CSV, and the home and overview pages, as an anonymous visitor at the portal's address
would get them, and keeps them under the new generation — in the page cache itself when every process shares it
(Redis), else in the "prerendered" folder on disk, which a worker reads when its own memory has not the page. Only
what the public views serve is rendered, so nothing unpublished can be.

A page is kept under its scheme, host and path and the query parameters its view declares (`reading("q")`):
any other parameter shares the entry, so junk query strings cannot fill the cache or force renders. A render
counts against the address's per-minute limit (cchc_portal/throttle.py); a hit is never counted.
"""

import gzip
import hashlib
from functools import wraps

from django.conf import settings
from django.core.cache import cache, caches
from django.db.models import Count, Max
from django.http import HttpResponse, HttpResponseNotModified
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.views.decorators.http import condition

from cchc_portal import throttle
from cchc_portal.public_cache import generation
from scoring.models import NationalIndex, Period, ResultVersion

MAX_AGE = 300  # seconds a browser or proxy may reuse a public answer without asking


def _table(request, year: int, block: str):
    key = ("cchc_table_stamp", year, block)
    if key not in request.__dict__:
        request.__dict__[key] = (
            ResultVersion.objects.filter(
                period__year=year,
                period__block__code=block,
                period__in=Period.objects.published(),
                is_current=True,
            )
            .values("pk", "number", "published_at")
            .first()
        )
    return request.__dict__[key]


def table_etag(request, year: int, block: str, **kwargs) -> str | None:
    """The table's version and the generation of public data: a page also prints the previous year and the
    units' lineage, which change without a new version of this table."""
    version = _table(request, year, block)
    return f'"bang-{version["pk"]}-{version["number"]}-{generation()[:12]}"' if version else None


def table_modified(request, year: int, block: str, **kwargs):
    version = _table(request, year, block)
    return version["published_at"] if version else None


def _site(request):
    if "cchc_site_stamp" not in request.__dict__:
        tables = ResultVersion.objects.filter(period__in=Period.objects.published(), is_current=True).aggregate(
            latest=Max("published_at"), count=Count("pk"), top=Max("pk")
        )
        indices = NationalIndex.objects.aggregate(latest=Max("updated_at"), count=Count("pk"))
        request.__dict__["cchc_site_stamp"] = (tables, indices)
    return request.__dict__["cchc_site_stamp"]


def site_etag(request, *args, **kwargs) -> str:
    tables, indices = _site(request)
    changed = indices["latest"].timestamp() if indices["latest"] else 0
    stamp = f"{tables['count']}-{tables['top'] or 0}-{indices['count']}-{changed:.0f}-{generation()[:12]}"
    return f'"trang-{stamp}"'


def site_modified(request, *args, **kwargs):
    tables, indices = _site(request)
    stamps = [stamp for stamp in (tables["latest"], indices["latest"]) if stamp]
    return max(stamps) if stamps else None


KEPT_HEADERS = ("Content-Type", "Content-Disposition", "ETag", "Last-Modified", "Content-Language")
COMPRESS_TYPES = ("text/", "application/json", "text/csv")
MIN_COMPRESS = 512
LARGE_BODY = 256 * 1024  # bytes; see _level()


def _key(request, params: tuple[str, ...]) -> str:
    """The address as the page reads it: scheme, host, path and only the query parameters the view declared,
    each as `request.GET.get(name, "")` gives it (its last value). Any other parameter (?utm_source=…, ?x=1)
    changes nothing the view renders, so it shares the entry: distinct junk query strings cannot fill the
    cache or force a render each. The host counts: a page may print absolute links (the API's)."""
    address = f"{request.scheme}://{request.get_host()}{request.path}"
    used = [(name, request.GET.get(name, "")) for name in params]
    digest = hashlib.sha256(repr((address, used)).encode()).hexdigest()[:32]
    return f"page:{generation()}:{digest}"


def _level(size: int) -> int:
    """Compression level: the usual 6, but 1 for a national table (about 2 MB of HTML), where level 6 costs more
    than the rest of the page's render and saves only some 15% of the bytes."""
    return 1 if size > LARGE_BODY else 6


def _accepts_gzip(request) -> bool:
    return "gzip" in request.META.get("HTTP_ACCEPT_ENCODING", "")


def _body_key(key: str, compressed: bool) -> str:
    """Where one body of a page is kept, apart from the page's headers: a hit reads the one body it sends (a national
    table's HTML is 2 MB, its gzip 200 KB), never both."""
    return f"body{key}:{'gz' if compressed else 'raw'}"


def _from_cache(request, stored, body: bytes | None = None, store=None) -> HttpResponse | None:
    """The answer from a kept page (its headers in `stored`; the body read here, from `store`, unless given), or None
    when the body is no longer there (the cache may evict one part before the other)."""
    etag = stored["headers"].get("ETag")
    if etag and etag in [t.strip() for t in request.META.get("HTTP_IF_NONE_MATCH", "").split(",")]:
        response = HttpResponseNotModified()
    else:
        compressed = stored["gzip"] and _accepts_gzip(request)
        body = body if body is not None else (store or cache).get(_body_key(stored["key"], compressed))
        if body is None:
            return None
        response = HttpResponse(body, status=stored["status"])
        if compressed:
            response["Content-Encoding"] = "gzip"
    for name, value in stored["headers"].items():
        if response.status_code == 304 and name in ("Content-Type", "Content-Disposition"):
            continue
        response[name] = value
    if stored["gzip"]:
        patch_vary_headers(response, ["Accept-Encoding"])
    return response


def _store(request, response, key: str, store=None) -> HttpResponse:
    """Keep the page (headers, body, and its gzip where it is worth it) in `store` (the page cache unless given) and
    answer with it: compressed already for a client that accepts it, so a miss sends 200 KB, not 2 MB."""
    if response.status_code != 200 or response.streaming or response.cookies:
        return response
    body = response.content
    compress = len(body) >= MIN_COMPRESS and response.get("Content-Type", "").startswith(COMPRESS_TYPES)
    packed = gzip.compress(body, compresslevel=_level(len(body)), mtime=0) if compress else None
    stored = {
        "key": key,
        "status": 200,
        "gzip": compress,
        "headers": {name: response[name] for name in KEPT_HEADERS if response.has_header(name)},
    }
    parts = {_body_key(key, False): body, key: stored}
    if compress:
        parts[_body_key(key, True)] = packed
    if store is not None and _apart():
        store.set_many(parts)  # the folder of prerendered pages: kept for their generation (no time of its own)
    else:
        (store or cache).set_many(parts, settings.PUBLIC_CACHE_SECONDS)
    if compress and _accepts_gzip(request):
        return _compressed(request, response, stored, packed)
    return response


def _compressed(request, response, stored, packed: bytes) -> HttpResponse:
    """The answer to a miss for a client that accepts gzip: the kept compressed body, with what the view set
    beyond the kept headers (Vary, Cache-Control…)."""
    answer = _from_cache(request, stored, packed)
    for name, value in response.items():
        if name not in answer and name.lower() not in ("content-length", "content-encoding"):
            answer[name] = value
    return answer


PRERENDERING = "cchc_prerendering"  # the attribute `prerender` sets on its requests (no client can set one)


def prerendered():
    """Where `prerender` keeps pages: the page cache itself when every process shares it (Redis), else a folder."""
    return caches["prerendered"]


def _apart() -> bool:
    return settings.CACHES["prerendered"] is not settings.CACHES["default"]


# With Redis, each worker keeps the pages it just served a few seconds in its own memory, bounded in bytes (the
# "front" cache, settings.py): a national table read a hundred times a second is then not moved out of Redis — 200 KB
# and a round trip — a hundred times. A page is kept under the generation of public data it was rendered for, so
# the front never answers with a page older than the last publication; its seconds bound only how long an evicted
# or expired Redis entry is still served.
FRONT = "front"


def _kept(request, key: str) -> HttpResponse | None:
    """The page as kept: in this worker's front (with Redis), in this process' (or the shared) page cache, else as
    prerendered at publication. Its headers and the body this client takes are asked for together (one round trip
    to Redis, not two); a page kept uncompressed is then read plain."""
    wanted = _body_key(key, _accepts_gzip(request))
    front = caches[FRONT] if FRONT in settings.CACHES else None
    found = front.get_many([key, wanted]) if front is not None else {}
    if key not in found:
        found = cache.get_many([key, wanted])
        if front is not None and key in found:
            front.set_many(found)  # for the front's few seconds (its TIMEOUT)
    stored = found.get(key)
    if stored is not None:
        body = found.get(wanted) if wanted == _body_key(key, stored["gzip"] and _accepts_gzip(request)) else None
        if (response := _from_cache(request, stored, body)) is not None:
            return response
    if _apart():
        store = prerendered()
        stored = store.get(key)
        if stored is not None:
            return _from_cache(request, stored, store=store)
    return None


def prerender(paths: list[str]) -> int:
    """Render `paths` as an anonymous visitor at each of the portal's addresses (PRERENDER_ADDRESSES, else
    PORTAL_URL) would get them, and keep them under the current generation; the number of pages kept. Without Redis
    the folder is emptied first of what earlier publications left (pages of an older generation, never read)."""
    from urllib.parse import urlsplit

    from django.core.handlers.base import BaseHandler
    from django.test import RequestFactory

    if _apart():
        prerendered().clear()
    handler = BaseHandler()
    handler.load_middleware()
    kept = 0
    for address in settings.PRERENDER_ADDRESSES or [settings.PORTAL_URL]:
        parts = urlsplit(address)
        secure = parts.scheme == "https"
        headers = {"host": parts.netloc, "accept-encoding": "gzip"}
        proxy = settings.SECURE_PROXY_SSL_HEADER
        if secure and proxy:  # behind a TLS proxy the portal learns the scheme from its header
            headers[proxy[0].removeprefix("HTTP_").replace("_", "-").lower()] = proxy[1]
        for path in paths:
            request = RequestFactory().get(path, secure=secure, headers=headers)
            setattr(request, PRERENDERING, True)
            response = handler.get_response(request)
            kept += response.status_code == 200
    return kept


def public(etag_func, modified_func, params: tuple[str, ...] = (), limit: str | None = None):
    """A public page or file: served from the page cache to anyone not signed in (no query on a hit), compressed
    when the client accepts it; conditional requests answered with 304; cacheable by anyone for MAX_AGE (a
    signed-in person's pages carry their name, are rendered each time, and are marked private: SecurityHeaders).

    `params` are the query parameters the view reads (with `request.GET.get(name, "")`); the page is cached
    under them alone. `published_site.reading("q")` is the same decorator for a view that reads `q`.

    A render for want of a cached copy counts against the address's limit (cchc_portal/throttle.py), and against
    the view's own as well when it names one (`limit="search"`), before anything is read from the database."""

    def decorate(view):
        conditional = condition(etag_func=etag_func, last_modified_func=modified_func)(view)

        @wraps(view)
        def wrapped(request, *args, **kwargs):
            anonymous = not request.user.is_authenticated
            key = _key(request, params) if anonymous else None
            if getattr(request, PRERENDERING, False) and anonymous and request.method == "GET":
                return _store(request, conditional(request, *args, **kwargs), key, prerendered())
            if anonymous and request.method in ("GET", "HEAD"):
                response = _kept(request, key)
                if response is not None:
                    patch_cache_control(response, public=True, max_age=MAX_AGE)
                    return response
                # Not in the cache: this request costs a render, and counts against its address's limit.
                over = throttle.refused(request, "render") or (limit and throttle.refused(request, limit))
                if over:
                    return over
            response = conditional(request, *args, **kwargs)
            if anonymous and response.status_code in (200, 304):
                if request.method == "GET":
                    response = _store(request, response, key)
                patch_cache_control(response, public=True, max_age=MAX_AGE)
            return response

        return wrapped

    decorate.reading = lambda *names, limit=None: public(etag_func, modified_func, params + names, limit)
    return decorate


published_table = public(table_etag, table_modified)
published_site = public(site_etag, site_modified)
