"""The open-data API under /api/v1/: published periods, a period's results, a unit with its lineage and history,
a published period's scores per criterion — and its OpenAPI 3.1 description, with a page that explains it.

Published data only; numbers are exact decimal strings with the published number of decimals ("90.450"),
units are named by stable codes, every answer carries the publisher and each table its source line.
"""

from functools import wraps

from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from cchc_portal.identity import identity
from cchc_portal.lib.numbers import plain_number
from reports import freshness, public
from reports.freshness import published_site, table_etag, table_modified
from reports.openapi import SCHEMA
from reports.queries import source_line
from scoring.models import Criterion, Period, Result, Score

NOT_FOUND = "Không tìm thấy: {what}."
NOT_ALLOWED = "API chỉ đọc: dùng GET (hoặc HEAD), không dùng {method}."
CONTENT_TYPE = "application/json; charset=utf-8"


def _json(data, status: int = 200) -> JsonResponse:
    return JsonResponse(data, status=status, content_type=CONTENT_TYPE, json_dumps_params={"ensure_ascii": False})


def read_only(view):
    """An API answer: GET and HEAD only, refused in JSON with 405 otherwise (no form, so no CSRF token: the API
    changes nothing)."""

    @csrf_exempt
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            response = _json({"error": NOT_ALLOWED.format(method=request.method)}, status=405)
            response["Allow"] = "GET, HEAD"
            return response
        return view(request, *args, **kwargs)

    return wrapped


@read_only
def missing(request, rest: str = ""):
    """Any other address under /api/v1/: a JSON 404 naming what exists."""
    return _json({"error": NOT_FOUND.format(what=f"/api/v1/{rest}"), "index": reverse("reports:api_index")}, 404)


def _scored(request, year: int, block: str, **kwargs):
    return Period.objects.published().filter(year=year, block__code=block, criteria_set__isnull=False).exists()


def scored_etag(request, year: int, block: str, **kwargs):
    return table_etag(request, year, block) if _scored(request, year, block) else None


def _absolute(request, path: str) -> str:
    return request.build_absolute_uri(path)


def source_of(period: Period, version=None) -> dict:
    """The table's source for the JSON answers; with its version, the correction that made it current, if any."""
    corrected = version is not None and version.is_correction
    return {
        "text": source_line(period, version) if version is not None else period.source_line,
        "correction": {
            "number": version.number - 1,
            "decision_number": version.decision_number or None,
            "decision_date": version.decision_date.isoformat() if version.decision_date else None,
            "signer": version.signer or None,
            "reason": version.reason,
        }
        if corrected
        else None,
        "decision_number": period.decision_number or None,
        "decision_date": period.decision_date.isoformat() if period.decision_date else None,
        "signer": period.signer or None,
        "title": period.source_title or None,
        "publisher": period.source_publisher or None,
        "date": period.source_date.isoformat() if period.source_date else None,
        "url": period.source_url or None,
    }


@read_only
@published_site
def index(request):
    paths = {
        "periods": reverse("reports:api_periods"),
        "results": "/api/v1/results/{year}/{block}/",
        "unit": "/api/v1/units/{code}/",
        "criteria": "/api/v1/criteria/{year}/{block}/",
        "schema": reverse("reports:api_schema"),
        "guide": reverse("reports:open_data"),
    }
    return _json({"name": "API dữ liệu mở kết quả CCHC", "publisher": identity().as_json(), "endpoints": paths})


@read_only
def schema(request):
    return _json(SCHEMA)


@read_only
@published_site
def periods(request):
    rows = []
    for period in Period.objects.for_home():
        year, block = period.year, period.block.code
        rows.append(
            {
                "year": year,
                "block": block,
                "block_name": period.block.name,
                "units": period.unit_count,
                "partial": period.is_partial,
                "decimals": period.published_decimals,
                "scored_in_portal": period.criteria_set_id is not None,
                "source": source_of(period),
                "page": _absolute(request, period.get_absolute_url()),
                "results": _absolute(request, reverse("reports:results_api", args=[year, block])),
                "csv": _absolute(request, reverse("reports:ranking_csv", args=[year, block])),
                "xlsx": _absolute(request, reverse("reports:ranking_xlsx", args=[year, block])),
            }
        )
    return _json({"publisher": identity().as_json(), "periods": rows})


@read_only
@published_site
def unit(request, code: str):
    try:
        page = public.unit_page(code)
    except Http404:
        return _json({"error": NOT_FOUND.format(what=f"đơn vị “{code}”")}, status=404)
    unit = page.unit
    history = []
    for line in page.history:
        result, change = line.result, line.change
        decimals = result.period.published_decimals
        history.append(
            {
                "year": result.period.year,
                "block": result.period.block.code,
                "name": result.unit_name,
                "score": plain_number(result.total, decimals),
                "grade": result.grade,
                "rank": result.rank,
                "out_of": line.table_size,
                "partial": result.period.is_partial,
                "change": None
                if change is None
                else {
                    "kind": change.kind,
                    "previous_year": change.previous_year,
                    "previous_rank": change.previous_rank,
                    "rank_change": change.rank_change,
                    "compared_with": change.compared_with or None,
                },
            }
        )
    return _json(
        {
            "code": unit.code,
            "name": unit.name,
            "block": unit.block.code,
            "first_year": unit.first_year,
            "last_year": unit.last_year,
            "predecessors": [{"code": u.code, "name": u.name} for u in unit.predecessors.all()],
            "successors": [{"code": u.code, "name": u.name} for u in unit.successors.all()],
            "published_names": page.published_names,
            "history": history,
        }
    )


@read_only
@freshness.public(scored_etag, table_modified)
def criterion_scores(request, year: int, block: str):
    """Every unit's appraised points on every criterion of a published period scored in the portal."""
    period = Period.objects.published().filter(year=year, block__code=block, criteria_set__isnull=False).first()
    if period is None:
        return _json({"error": NOT_FOUND.format(what=f"điểm từng tiêu chí năm {year}, khối {block}")}, status=404)
    nodes = list(Criterion.objects.filter(criteria_set_id=period.criteria_set_id).select_related("parent"))
    names = dict(Result.objects.published().filter(period=period).values_list("unit_id", "unit__code"))
    scores = (
        Score.objects.filter(period=period, unit_id__in=list(names))
        .values_list("unit_id", "criterion__code", "appraised_points", "not_applicable")
        .order_by("unit__code", "criterion__position")
    )
    return _json(
        {
            "year": year,
            "block": block,
            "source": source_of(period),
            "criteria": [
                {
                    "code": n.code,
                    "title": n.title,
                    "max_points": plain_number(n.max_points, 3),
                    "method": n.method,
                    "parent": n.parent.code if n.parent else None,
                }
                for n in sorted(nodes, key=lambda n: n.position)
            ],
            "scores": [
                {
                    "unit_code": names[unit_id],
                    "criterion": code,
                    "points": None if points is None or na else plain_number(points, 3),
                    "not_applicable": na,
                }
                for unit_id, code, points, na in scores
            ],
        }
    )


@require_safe
@published_site
def guide(request):
    """The human page of the open data: what there is, the formats, the API with an example of each answer."""
    latest = Period.objects.for_home().first()
    return render(request, "reports/open_data.html", {"latest": latest, "schema": SCHEMA})
