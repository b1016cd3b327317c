"""Published data never changes in place: a correction is a new version. So every public answer can say when it
last changed (Last-Modified, ETag) and answer a conditional request with 304, and anyone may cache it a while.

A table's stamp is its current version (its id, number and publication time); a page drawing on every table
(home, overview, search, a unit's history) uses the site's stamp: the latest publication and the number of
current tables, plus the national indices' last change. Both cost one small query, kept on the request.
"""

from functools import wraps

from django.db.models import Count, Max
from django.utils.cache import patch_cache_control
from django.views.decorators.http import condition

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
    version = _table(request, year, block)
    return f'"bang-{version["pk"]}-{version["number"]}"' if version else None


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
    return f'"trang-{tables["count"]}-{tables["top"] or 0}-{indices["count"]}-{changed:.0f}"'


def site_modified(request, *args, **kwargs):
    tables, indices = _site(request)
    stamps = [stamp for stamp in (tables["latest"], indices["latest"]) if stamp]
    return max(stamps) if stamps else None


def public(etag_func, modified_func):
    """A public page or file: conditional requests answered with 304, cacheable by anyone for MAX_AGE (a
    signed-in person's pages are marked private and never stored: see SecurityHeaders)."""

    def decorate(view):
        conditional = condition(etag_func=etag_func, last_modified_func=modified_func)(view)

        @wraps(view)
        def wrapped(request, *args, **kwargs):
            response = conditional(request, *args, **kwargs)
            if response.status_code in (200, 304) and not request.user.is_authenticated:
                patch_cache_control(response, public=True, max_age=MAX_AGE)
            return response

        return wrapped

    return decorate


published_table = public(table_etag, table_modified)
published_site = public(site_etag, site_modified)
