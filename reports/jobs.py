"""The reports that run as background jobs when they are large: the detailed report and the year comparison."""

from django.urls import reverse

from reports.comparison import comparison_workbook
from reports.detailed import detailed_workbook
from scoring.jobs import JobRefused, Outcome, Progress, kind
from scoring.models import Period
from units.models import Block

E_PERIOD_GONE = "Kỳ đánh giá này không còn."
E_BLOCK_GONE = "Khối này không còn."


@kind("detailed_report")
def detailed(params: dict, progress: Progress) -> Outcome:
    period = Period.objects.select_related("block", "criteria_set").filter(pk=params["period"]).first()
    if period is None:
        raise JobRefused(E_PERIOD_GONE)
    progress(0, 1, "Đang đọc điểm của các đơn vị…")
    content = detailed_workbook(period, progress)
    return Outcome(
        message=f"Báo cáo chi tiết {period.block.name} năm {period.year} đã sẵn sàng.",
        content=content,
        download_name=f"Báo cáo chi tiết CCHC {period.block.name} năm {period.year}.xlsx",
        next_url=reverse("scoring:dashboard", args=[period.pk]),
    )


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
