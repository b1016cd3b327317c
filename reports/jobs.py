"""The public report that runs as a background job when it is large: the year comparison."""

from django.urls import reverse

from reports.comparison import comparison_workbook
from scoring.ops.jobs import JobRefused, Outcome, Progress, kind
from units.models import Block

E_BLOCK_GONE = "Khối này không còn."


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
