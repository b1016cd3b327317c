"""Public pages: the published years, each ranking table (HTML, Excel, JSON) and each unit's history.

Nothing here shows a result that is not published: every read goes through `published()`.
"""

import csv
from decimal import Decimal
from itertools import groupby

from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from cchc_portal import throttle
from cchc_portal.downloads import xlsx_response
from cchc_portal.identity import identity
from cchc_portal.lib.numbers import plain_number
from reports import public
from reports.api import _json as api_json
from reports.api import read_only, source_of
from reports.excel import ranking_workbook
from reports.freshness import published_site, published_table
from reports.html import table_body
from reports.queries import (
    changes_between,
    display_rows,
    ranking_page,
    version_or_404,
    versions_of,
)
from reports.views_reports import _year_range
from scoring.models import Period

NOT_PUBLISHED = "Không tìm thấy kết quả đã công bố của năm {year}, khối {block}."


@require_safe
@published_site
def home(request):
    periods = list(Period.objects.for_home())
    years = [(year, list(group)) for year, group in groupby(periods, key=lambda p: p.year)]
    return render(request, "reports/home.html", {"years": years, "blocks": public.published_blocks()})


@require_safe
@published_table
def ranking(request, year: int, block: str):
    page = ranking_page(year, block)
    context = {
        "page": page,
        "table": page.table,
        "period": page.table.period,
        "rows": page.rows,
        "body": table_body(
            page.rows,
            with_change=page.previous is not None,
            with_grades=page.table.shows_grades,
        ),
        "versions": versions_of(page.table.period),
        # The page's own address without its query string: the page is cached for any query string.
        "address": request.build_absolute_uri(request.path),
    }
    return render(request, "reports/ranking.html", context)


@require_safe
@throttle.limited
def ranking_version(request, year: int, block: str, number: int):
    table, previous = version_or_404(year, block, number)
    context = {
        "table": table,
        "period": table.period,
        "body": table_body(
            display_rows(table), with_change=False, with_grades=table.shows_grades
        ),
        "versions": versions_of(table.period),
        "previous": previous,
        "changes": changes_between(previous, table) if previous else [],
    }
    return render(request, "reports/ranking_version.html", context)


@require_safe
@published_table
def ranking_xlsx(request, year: int, block: str):
    page = ranking_page(year, block)
    filename = f"Kết quả CCHC {page.table.block_name} năm {year}.xlsx"
    return xlsx_response(ranking_workbook(page), f"ket-qua-cchc-{block}-{year}.xlsx", filename)


CSV_HEADER = (
    "nam",
    "khoi",
    "tt",
    "ma_don_vi",
    "ten_don_vi",
    "diem",
    "xep_loai",
    "vi_thu",
    "vi_thu_nam_truoc",
    "so_sanh_voi",
    "tiep_nhan_ca",
    "nguon",
    "diem_toi_da",
    "diem_dat",
    "diem_tham_dinh",
    "diem_dieu_tra_xhh",
)


@require_safe
@published_table
def ranking_csv(request, year: int, block: str):
    """The table as CSV (UTF-8 with BOM, so Excel reads the diacritics): exact decimal strings, stable codes."""
    page = ranking_page(year, block)
    table = page.table
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="ket-qua-cchc-{block}-{year}.csv"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(CSV_HEADER)
    for row, result in zip(page.rows, table.rows, strict=True):
        change = row.change
        writer.writerow(
            [
                year,
                table.block.code,
                row.position,
                row.unit_code,
                row.unit_name,
                plain_number(result.total, table.decimals),
                row.grade,
                row.rank,
                change.previous_rank if change and change.previous_rank else "",
                change.compared_with if change else "",
                "; ".join(change.also) if change else "",
                table.source_line,
                "" if result.max_points is None else plain_number(result.max_points, 3),
                "" if result.points is None else plain_number(result.points, 3),
                "" if result.appraised_points is None else plain_number(result.appraised_points, 3),
                "" if result.survey_points is None else plain_number(result.survey_points, 3),
            ]
        )
    return response


@read_only
@published_table
def results_api(request, year: int, block: str):
    try:
        page = ranking_page(year, block)
    except Http404:
        return _json({"error": NOT_PUBLISHED.format(year=year, block=block)}, status=404)
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
    return _json(data)


def _plain(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")


def _json(data, status: int = 200) -> JsonResponse:
    return api_json(data, status)


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


@require_safe
@published_site
def unit_history(request, code: str):
    page = public.unit_page(code)
    return render(request, "reports/unit_history.html", {"page": page, "unit": page.unit})


@require_safe
@published_site
def criterion(request, year: int, block: str, code: str):
    page = public.criterion_page(year, block, code)
    return render(request, "reports/criterion.html", {"page": page, "period": page.period})


@require_safe
@published_site.reading("tu", "den")
def comparison(request, block: str):
    try:
        first, last = _year_range(request.GET)
    except ValueError as exc:
        return render(request, "400.html", {"message": str(exc)}, status=400)
    page = public.comparison_page(block, first, last)
    return render(request, "reports/comparison.html", {"page": page})


@require_safe
@published_site
def overview(request):
    blocks, grades = public.overview_page()
    return render(request, "reports/overview.html", {"blocks": blocks, "grades": grades})


@require_safe
@published_site
def methodology(request):
    return render(request, "reports/methodology.html", {"years": public.methodology_page()})


@require_safe
@published_site
def indices(request):
    return render(request, "reports/indices.html", {"series": public.indices_page()})


@require_safe
@published_site.reading("q", limit="search")
def search(request):
    text = request.GET.get("q", "")[:100]
    return render(request, "reports/search.html", {"q": text, "found": public.search(text) if text.strip() else []})
