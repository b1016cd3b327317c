"""Sở Nội vụ's detailed report of a period in any status: at once when small, as a background job when large."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_safe

from cchc_portal.downloads import xlsx_response
from scoring import permissions
from scoring.exports import detailed
from scoring.models import Period
from scoring.ops import jobs


@require_safe
@login_required
def detailed_report(request, pk: int):
    period = get_object_or_404(Period.objects.select_related("block", "criteria_set"), pk=pk)
    permissions.require(permissions.can_view_dashboard(request.user, period))
    if detailed.cells(period) > settings.JOBS_ABOVE_CELLS:
        job = jobs.start(
            "detailed_report",
            title=f"Báo cáo chi tiết {period.block.name} năm {period.year}",
            params={"period": period.pk},
            owner=request.user,
            key=f"detailed:{period.pk}:{request.user.pk}",
        )
        return redirect("job", job.pk)
    content = detailed.detailed_workbook(period)
    return xlsx_response(
        content,
        f"bao-cao-chi-tiet-{period.block.code}-{period.year}.xlsx",
        f"Báo cáo chi tiết CCHC {period.block.name} năm {period.year}.xlsx",
    )
