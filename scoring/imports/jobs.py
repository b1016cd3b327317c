"""A large score sheet, once checked and confirmed, is written by a background job (scoring.ops.jobs)."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from scoring import permissions
from scoring.imports import pending_uploads
from scoring.imports.score_sheets import check_sheet, kind_or_none, scores_import, sheet_leaves
from scoring.models import Period
from scoring.ops import jobs
from scoring.ops.jobs import JobRefused, Outcome, Progress, kind

E_GONE = "Kỳ đánh giá hoặc người nhập không còn."
E_CLOSED = "Kỳ đánh giá đã công bố hoặc đã khóa: không nhập điểm được nữa."
E_EXPIRED = "Tệp đã tải lên không còn; hãy tải tệp lên lại."
E_CHANGED = (
    "Kiểm tra lại trước khi ghi thấy {count} lỗi (điểm có thể đã được sửa trong lúc chờ, hoặc kỳ đánh giá đã "
    "chuyển bước). Chưa ghi gì; hãy tải tệp lên lại để xem từng lỗi. Lỗi đầu tiên: {first}"
)


def sheet_size(period: Period, sheet) -> int:
    """How many values a sheet of `period` can hold: its units × its criteria (what writing it grows with)."""
    units = period.block.units.active_in(period.year).count()
    return units * len(sheet_leaves(period, sheet))


def start_score_import(period: Period, sheet, token: str, name: str, user):
    """The job writing a checked and confirmed sheet (`token`: its pending upload)."""
    return jobs.start(
        "score_import",
        title=f"Nhập {sheet.label} từ tệp “{name}” — {period}",
        params={"period": period.pk, "kind": sheet.code, "token": token, "name": name, "user": user.pk},
        owner=user,
    )


@kind("score_import")
def score_import(params: dict, progress: Progress) -> Outcome:
    period = Period.objects.select_related("block", "criteria_set").filter(pk=params["period"]).first()
    user = get_user_model().objects.filter(pk=params["user"], is_active=True).first()
    sheet = kind_or_none(params["kind"])
    if period is None or user is None or sheet is None:
        raise JobRefused(E_GONE)
    if period.is_public:
        raise JobRefused(E_CLOSED)
    uploads = pending_uploads()
    stored = uploads.open(params["token"])
    if stored is None:
        raise JobRefused(E_EXPIRED)
    with stored:
        steps = check_sheet(stored, params["name"], period, sheet, user)
        while True:
            try:
                done, total = next(steps)
            except StopIteration as finished:
                check = finished.value
                break
            progress(done, total)
    if not check.ok:
        uploads.discard(params["token"])
        first = _where(check.errors[0]) if check.errors else ""
        raise JobRefused(E_CHANGED.format(count=len(check.errors), first=first))
    progress(0, 1, "Đã kiểm tra xong; đang ghi điểm…")
    try:
        with transaction.atomic():
            written = scores_import(check=check, period=period, file_name=params["name"], by=user)
    except ValidationError as exc:
        raise JobRefused(" ".join(exc.messages)) from exc
    uploads.discard(params["token"])
    imported = [plan.unit for plan in check.units if plan.changes]
    return Outcome(
        message=f"Đã nhập {written} giá trị từ tệp “{params['name']}” cho {len(imported)} đơn vị.",
        next_url=(
            reverse("scoring:dashboard", args=[period.pk])
            if permissions.can_view_dashboard(user, period)
            else reverse("scoring:work_list")
        ),
    )


def _where(problem) -> str:
    if problem.row is None:
        return problem.message
    column = f", cột {problem.label or problem.letter}" if problem.column or problem.label else ""
    return f"dòng {problem.row}{column}: {problem.message}"
