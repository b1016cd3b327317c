"""The public work that runs as a background job: the year comparison when it is large, and the rendering of a
table's public pages when it is published."""

from django.urls import reverse

from reports.comparison import comparison_workbook
from reports.freshness import prerender
from scoring.models import Period, ResultVersion
from scoring.ops.jobs import JobRefused, Outcome, Progress, kind
from units.models import Block

E_BLOCK_GONE = "Khối này không còn."
E_VERSION_GONE = "Bảng kết quả này không còn."
NOT_CURRENT = "Không dựng sẵn trang nào: bảng này không phải bảng đang công bố."
PRERENDERED = "Đã dựng sẵn {count} trang công khai của bảng {block} năm {year}."


@kind("comparison")
def comparison(params: dict, progress: Progress) -> Outcome:
    block = Block.objects.filter(code=params["block"]).first()
    if block is None:
        raise JobRefused(E_BLOCK_GONE)
    years = params["years"]
    progress(0, 1, "Đang đọc kết quả đã công bố…")
    span = f"{years[0]}-{years[-1]}"
    return Outcome(
        message=f"Bảng so sánh {block.name} {span.replace('-', '–')} đã sẵn sàng.",
        content=comparison_workbook(block, years, progress),
        download_name=f"So sánh kết quả CCHC {block.name} {span}.xlsx",
        next_url=reverse("reports:comparison", args=[block.code]) + f"?tu={years[0]}&den={years[-1]}",
    )


@kind("public_prerender")
def prerender_published(params: dict, progress: Progress) -> Outcome:
    """The public pages of a version just published — its table as page, JSON, xlsx and CSV, the home page and the
    overview — rendered and kept under the new generation (reports/freshness.py), so no visitor waits for them.
    A version no longer current, or a period no longer public, renders nothing."""
    version = ResultVersion.objects.select_related("period__block").filter(pk=params["version"]).first()
    if version is None:
        raise JobRefused(E_VERSION_GONE)
    period = version.period
    public = Period.objects.published().filter(pk=period.pk).exists()
    if not (public and version.is_current and version.sealed):
        return Outcome(message=NOT_CURRENT)
    table = [period.year, period.block.code]
    paths = [
        reverse("reports:ranking", args=table),
        reverse("reports:results_api", args=table),
        reverse("reports:ranking_xlsx", args=table),
        reverse("reports:ranking_csv", args=table),
        reverse("reports:home"),
        reverse("reports:overview"),
    ]
    progress(0, len(paths), "Đang dựng các trang công khai…")
    count = prerender(paths)
    return Outcome(
        message=PRERENDERED.format(count=count, block=period.block.name, year=period.year), next_url=paths[0]
    )
