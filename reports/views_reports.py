"""The public year comparison as a workbook (published results only)."""

import re

from django.conf import settings
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_safe

from cchc_portal import throttle
from cchc_portal.downloads import xlsx_response
from cchc_portal.public_cache import generation
from reports.comparison import comparison_size, comparison_workbook, published_years
from scoring.ops import jobs
from units.models import Block

E_BAD_YEAR = "Năm không hợp lệ: “{value}” (tham số “{name}” cần là năm gồm 4 chữ số, ví dụ 2022)."
E_BAD_RANGE = "Khoảng năm không hợp lệ: năm bắt đầu ({first}) lớn hơn năm kết thúc ({last})."
E_NOTHING_PUBLISHED = "Chưa có năm nào được công bố kết quả cho khối này trong khoảng năm đã chọn."
_YEAR = re.compile(r"\d{4}", re.ASCII)


@require_safe
@throttle.limited
def comparison_xlsx(request, block: str):
    block = get_object_or_404(Block, code=block)
    try:
        first, last = _year_range(request.GET)
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


def _year_range(params) -> tuple[int | None, int | None]:
    """?tu=2020&den=2022, either or both optional; ValueError with a Vietnamese message otherwise."""
    bounds = []
    for name in ("tu", "den"):
        value = params.get(name, "").strip()
        if value and not _YEAR.fullmatch(value):
            raise ValueError(E_BAD_YEAR.format(value=value[:20], name=name))
        bounds.append(int(value) if value else None)
    first, last = bounds
    if first is not None and last is not None and first > last:
        raise ValueError(E_BAD_RANGE.format(first=first, last=last))
    return first, last
