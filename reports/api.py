"""The open-data API under /api/v1/: published periods, a period's results, a unit with its lineage and history,
a published period's scores per criterion — and its OpenAPI 3.1 description, with a page that explains it.

Published data only; numbers are exact decimal strings with the published number of decimals ("90.450"),
units are named by stable codes, every answer carries the publisher and each table its source line.
"""

from decimal import Decimal

from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from cchc_portal.identity import identity
from cchc_portal.lib.numbers import plain_number
from reports import freshness
from reports.freshness import published_site, published_table, table_etag, table_modified
from reports.http import NOT_FOUND, json_answer, published_or_404, read_only
from reports.openapi import SCHEMA
from reports.pages.ranking import ranking_page, source_line
from reports.pages.unit import unit_page
from scoring.models import Criterion, Period, Result, Score

NOT_PUBLISHED = "Không tìm thấy kết quả đã công bố của năm {year}, khối {block}."


@read_only
def missing(request, rest: str = ""):
    """Any other address under /api/v1/: a JSON 404 naming what exists."""
    return json_answer({"error": NOT_FOUND.format(what=f"/api/v1/{rest}"), "index": reverse("reports:api_index")}, 404)


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
    return json_answer({"name": "API dữ liệu mở kết quả CCHC", "publisher": identity().as_json(), "endpoints": paths})


@read_only
def schema(request):
    return json_answer(SCHEMA)


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
    return json_answer({"publisher": identity().as_json(), "periods": rows})


@read_only
@published_site
@published_or_404(api=NOT_FOUND.format(what="đơn vị “{code}”"))
def unit(request, code: str):
    page = unit_page(code)
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
    return json_answer(
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
@published_table
@published_or_404(api=NOT_PUBLISHED)
def results_api(request, year: int, block: str):
    page = ranking_page(year, block)
    table = page.table
    data = {
        "year": year,
        "block": table.block.code,
        "block_name": table.block_name,
        "title": table.title,
        "partial": table.period.is_partial,
        "decimals": table.decimals,
        "version": table.version.number,
        "source": source_of(table.period, table.version),
        "publisher": identity().as_json(),
        "issued_by": table.period.issued_by,
        "previous_year": page.previous.period.year if page.previous else None,
        "results": [
            {
                "position": row.position,
                "rank": row.rank,
                "unit": row.unit_name,
                "unit_code": row.unit_code,
                "score": plain_number(result.total, table.decimals),
                "max_points": None if result.max_points is None else format(result.max_points.normalize(), "f"),
                "points": None if result.points is None else format(result.points.normalize(), "f"),
                "appraised_points": _plain(result.appraised_points),
                "survey_points": _plain(result.survey_points),
                "grade": row.grade,
                "grade_code": row.grade_code,
                "change": _change(row.change, table.decimals),
            }
            for row, result in zip(page.rows, table.rows, strict=True)
        ],
    }
    return json_answer(data)


def _plain(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")


def _change(change, decimals: int) -> dict | None:
    if change is None:
        return None
    return {
        "kind": change.kind,
        "previous_year": change.previous_year,
        "previous_rank": change.previous_rank,
        "rank_change": change.rank_change,
        "score_change": plain_number(change.score_change, decimals) if change.score_change is not None else None,
        "compared_with": change.compared_with or None,
        "also": change.also,
    }


@read_only
@freshness.public(scored_etag, table_modified)
def criterion_scores(request, year: int, block: str):
    """Every unit's appraised points on every criterion of a published period scored in the portal."""
    period = Period.objects.published().filter(year=year, block__code=block, criteria_set__isnull=False).first()
    if period is None:
        return json_answer({"error": NOT_FOUND.format(what=f"điểm từng tiêu chí năm {year}, khối {block}")}, status=404)
    nodes = list(Criterion.objects.filter(criteria_set_id=period.criteria_set_id).select_related("parent"))
    names = dict(Result.objects.published().filter(period=period).values_list("unit_id", "unit__code"))
    scores = (
        Score.objects.filter(period=period, unit_id__in=list(names))
        .values_list("unit_id", "criterion__code", "appraised_points", "not_applicable")
        .order_by("unit__code", "criterion__position")
    )
    return json_answer(
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
