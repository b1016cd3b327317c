"""Public pages: the published years, each ranking table (HTML, Excel, JSON) and each unit's history.

Nothing here shows a result that is not published: every read goes through `published()`.
"""

from itertools import groupby

from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from cchc_portal.downloads import xlsx_response
from cchc_portal.lib.numbers import plain_number
from reports.excel import ranking_workbook
from reports.queries import changes_between, display_rows, published_table_or_404, version_or_404, versions_of
from scoring.models import Period, Result
from units.models import Unit

NOT_PUBLISHED = "Không tìm thấy kết quả đã công bố của năm {year}, khối {block}."


@require_safe
def home(request):
    periods = list(Period.objects.for_home())
    years = [(year, list(group)) for year, group in groupby(periods, key=lambda p: p.year)]
    return render(request, "reports/home.html", {"years": years})


@require_safe
def ranking(request, year: int, block: str):
    table = published_table_or_404(year, block)
    context = {
        "table": table,
        "period": table.period,
        "rows": display_rows(table),
        "versions": versions_of(table.period),
    }
    return render(request, "reports/ranking.html", context)


@require_safe
def ranking_version(request, year: int, block: str, number: int):
    table, previous = version_or_404(year, block, number)
    context = {
        "table": table,
        "period": table.period,
        "rows": display_rows(table),
        "versions": versions_of(table.period),
        "previous": previous,
        "changes": changes_between(previous, table) if previous else [],
    }
    return render(request, "reports/ranking_version.html", context)


@require_safe
def ranking_xlsx(request, year: int, block: str):
    table = published_table_or_404(year, block)
    filename = f"Kết quả CCHC {table.block_name} năm {year}.xlsx"
    return xlsx_response(ranking_workbook(table), f"ket-qua-cchc-{block}-{year}.xlsx", filename)


@require_safe
def results_api(request, year: int, block: str):
    try:
        table = published_table_or_404(year, block)
    except Http404:
        return JsonResponse(
            {"error": NOT_PUBLISHED.format(year=year, block=block)},
            status=404,
            json_dumps_params={"ensure_ascii": False},
        )
    data = {
        "year": year,
        "block": table.block.code,
        "block_name": table.block_name,
        "title": table.title,
        "partial": table.period.is_partial,
        "decimals": table.decimals,
        "results": [
            {
                "rank": r.rank,
                "unit": r.unit_name,
                "unit_code": r.unit.code,
                "score": plain_number(r.total, table.decimals),
                "grade": r.grade,
            }
            for r in table.rows
        ],
    }
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False})


@require_safe
def unit_history(request, code: str):
    unit = get_object_or_404(Unit.objects.with_lineage(), code=code)
    results = list(Result.objects.published().for_unit(unit))
    context = {
        "unit": unit,
        "results": results,
        "has_partial": any(r.period.is_partial for r in results),
        # The names the unit's tables printed, when not its name today (a rename keeps its history).
        "published_names": sorted({r.unit_name for r in results} - {unit.name}),
    }
    return render(request, "reports/unit_history.html", context)
