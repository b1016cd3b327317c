"""Public pages: the published years, each ranking table (HTML, Excel, CSV), a unit, a criterion, the comparison.

Nothing here shows a result that is not published: every page reads through its selector in reports/pages/
"""

import csv
from itertools import groupby

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_safe

from cchc_portal import throttle
from cchc_portal.downloads import xlsx_response
from cchc_portal.lib.numbers import plain_number
from cchc_portal.public_cache import generation
from reports.comparison import comparison_size, comparison_workbook, published_years
from reports.excel import ranking_workbook
from reports.freshness import published_site, published_table
from reports.html import table_body
from reports.http import published_or_404, year_range
from reports.pages import comparison as comparison_pages
from reports.pages import criterion as criterion_pages
from reports.pages import overview as overview_pages
from reports.pages import search as search_pages
from reports.pages import unit as unit_pages
from reports.pages.ranking import changes_between, ranking_page, version_tables, versions_of
from scoring.models import Period
from scoring.ops import jobs
from units.models import Block

E_NOTHING_PUBLISHED = "Chưa có năm nào được công bố kết quả cho khối này trong khoảng năm đã chọn."


@require_safe
@published_site
def home(request):
    periods = list(Period.objects.for_home())
    years = [(year, list(group)) for year, group in groupby(periods, key=lambda p: p.year)]
    return render(request, "reports/home.html", {"years": years, "blocks": overview_pages.published_blocks()})


@require_safe
@published_table
@published_or_404
def ranking(request, year: int, block: str):
    page = ranking_page(year, block)
    context = {
        "page": page,
        "table": page.table,
        "period": page.table.period,
        "body": table_body(page.table, page.changes if page.previous else None),
        "versions": versions_of(page.table.period),
        # The page's own address without its query string: the page is cached for any query string.
        "address": request.build_absolute_uri(request.path),
    }
    return render(request, "reports/ranking.html", context)


@require_safe
@throttle.limited
@published_or_404
def ranking_version(request, year: int, block: str, number: int):
    table, previous = version_tables(year, block, number)
    context = {
        "table": table,
        "period": table.period,
        "body": table_body(table),
        "versions": versions_of(table.period),
        "previous": previous,
        "changes": changes_between(previous, table) if previous else [],
    }
    return render(request, "reports/ranking_version.html", context)


@require_safe
@published_table
@published_or_404
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
@published_or_404
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


@require_safe
@published_site
@published_or_404
def unit_history(request, code: str):
    page = unit_pages.unit_page(code)
    return render(request, "reports/unit_history.html", {"page": page, "unit": page.unit})


@require_safe
@published_site
@published_or_404
def criterion(request, year: int, block: str, code: str):
    page = criterion_pages.criterion_page(year, block, code)
    return render(request, "reports/criterion.html", {"page": page, "period": page.period})


@require_safe
@published_site.reading("tu", "den")
@published_or_404
def comparison(request, block: str):
    try:
        first, last = year_range(request.GET)
    except ValueError as exc:
        return render(request, "400.html", {"message": str(exc)}, status=400)
    page = comparison_pages.comparison_page(block, first, last)
    return render(request, "reports/comparison.html", {"page": page})


@require_safe
@published_site
def overview(request):
    blocks, grades = overview_pages.overview_page()
    return render(request, "reports/overview.html", {"blocks": blocks, "grades": grades})


@require_safe
@published_site
def methodology(request):
    return render(request, "reports/methodology.html", {"years": overview_pages.methodology_page()})


@require_safe
@published_site
def indices(request):
    return render(request, "reports/indices.html", {"series": overview_pages.indices_page()})


@require_safe
@published_site.reading("q", limit="search")
def search(request):
    text = request.GET.get("q", "")[:100]
    found = search_pages.search(text) if text.strip() else []
    return render(request, "reports/search.html", {"q": text, "found": found})


@require_safe
@throttle.limited
def comparison_xlsx(request, block: str):
    block = get_object_or_404(Block, code=block)
    try:
        first, last = year_range(request.GET)
    except ValueError as exc:
        return HttpResponseBadRequest(str(exc), content_type="text/plain; charset=utf-8")
    years = published_years(block, first, last)
    if not years:
        raise Http404(E_NOTHING_PUBLISHED)
    span = f"{years[0]}-{years[-1]}"
    if comparison_size(block, years) > settings.JOBS_ABOVE_ROWS:
        # Published data: one job per table and generation serves every visitor, its file kept for the next.
        job = jobs.start(
            "comparison",
            title=f"So sánh kết quả CCHC {block.name} {span.replace('-', '–')}",
            params={"block": block.code, "years": years},
            key=f"comparison:{block.code}:{span}:{generation()}",
            reuse_done=True,
        )
        return redirect("job_download" if job.status == job.Status.DONE and job.file else "job", job.pk)
    return xlsx_response(
        comparison_workbook(block, years),
        f"so-sanh-cchc-{block.code}-{span}.xlsx",
        f"So sánh kết quả CCHC {block.name} {span}.xlsx",
    )
