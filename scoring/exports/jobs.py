"""The staff report that runs as a background job when it is large: the detailed report of a period."""

import tempfile

from django.urls import reverse

from scoring.exports.detailed import write_detailed_workbook
from scoring.models import Period
from scoring.ops.jobs import JobRefused, Outcome, Progress, kind

E_PERIOD_GONE = "Kỳ đánh giá này không còn."


@kind("detailed_report")
def detailed(params: dict, progress: Progress) -> Outcome:
    period = Period.objects.select_related("block", "criteria_set").filter(pk=params["period"]).first()
    if period is None:
        raise JobRefused(E_PERIOD_GONE)
    progress(0, 1, "Đang đọc điểm của các đơn vị…")
    # Written to a temporary file and stored from it: a national report (tens of MB) is never held in memory.
    file = tempfile.TemporaryFile()  # noqa: SIM115 - closed by scoring.ops.jobs.run once stored
    try:
        write_detailed_workbook(period, file, progress)
        file.seek(0)
    except BaseException:
        file.close()
        raise
    return Outcome(
        message=f"Báo cáo chi tiết {period.block.name} năm {period.year} đã sẵn sàng.",
        file=file,
        download_name=f"Báo cáo chi tiết CCHC {period.block.name} năm {period.year}.xlsx",
        next_url=reverse("scoring:dashboard", args=[period.pk]),
    )
