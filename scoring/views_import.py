"""Staff pages for Excel: score sheet templates, the two-phase score import, the detailed report.

The import keeps the uploaded file on the server under a random token (only the token goes in the
session), checks it while the page shows how far it has got, previews what would change, and writes
only after the user confirms — re-checking the same stored file first.
"""

import uuid
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from cchc_portal.downloads import xlsx_response
from cchc_portal.lib.xlsx_write import XLSX_CONTENT_TYPE
from reports.detailed import detailed_workbook
from scoring import permissions
from scoring.models import Period
from scoring.score_sheets import check_sheet, kind_or_none, run_check, scores_import
from scoring.score_sheets import score_template as template_workbook
from scoring.uploads import imports_dir

MAX_UPLOAD = 10 * 1024 * 1024
E_FILE = "Hãy chọn tệp Excel .xlsx (tối đa 10 MB)."
E_EXPIRED = "Phiên nhập đã hết hạn hoặc tệp không còn; hãy tải tệp lên lại."
STREAM_MARK = "<!--tien-do-->"


def _period_kind(request, pk, kind_code):
    period = get_object_or_404(Period.objects.select_related("block"), pk=pk)
    kind = kind_or_none(kind_code)
    if kind is None or period.criteria_set_id is None:
        raise Http404("Không có loại bảng điểm này.")
    permissions.require(
        permissions.can_manage_period(request.user)
        or permissions.can_view_dashboard(request.user, period)
        or (kind.field == "self_points" and bool(permissions.member_unit_ids(request.user)))
    )
    return period, kind


@require_safe
@login_required
def score_template(request, pk: int, kind: str):
    period, sheet = _period_kind(request, pk, kind)
    content = template_workbook(period, sheet, request.user)
    return xlsx_response(content, f"mau-{sheet.code}-{period.block.code}-{period.year}.xlsx")


def _stored(token: str) -> Path:
    return imports_dir() / f"{token}.xlsx"


@require_http_methods(["GET", "POST"])
@login_required
def score_import_page(request, pk: int, kind: str):
    period, sheet = _period_kind(request, pk, kind)
    context = {"period": period, "kind": sheet}
    if request.method == "GET":
        return render(request, "scoring/score_import.html", context)
    if request.POST.get("confirm"):
        return _confirm(request, period, sheet, context)
    upload = request.FILES.get("file")
    if upload is None or upload.size > MAX_UPLOAD or not upload.name.lower().endswith(".xlsx"):
        return render(request, "scoring/score_import.html", {**context, "upload_error": E_FILE}, status=400)
    token = uuid.uuid4().hex
    _stored(token).parent.mkdir(parents=True, exist_ok=True)
    with _stored(token).open("wb") as handle:
        for chunk in upload.chunks():
            handle.write(chunk)
    request.session["score_import"] = {"token": token, "name": upload.name, "period": period.pk, "kind": sheet.code}
    return StreamingHttpResponse(_checking(request, period, sheet, context, token, upload.name))


def _checking(request, period, sheet, context, token, name):
    """Stream the page: a progress bar that moves as rows are checked, then the preview or the errors."""
    head, tail = render_to_string("scoring/score_import.html", {**context, "streaming": True}, request).split(
        STREAM_MARK
    )
    yield head
    with _stored(token).open("rb") as handle:
        steps = check_sheet(handle, name, period, sheet, request.user)
        while True:
            try:
                done, total = next(steps)
            except StopIteration as finished:
                check = finished.value
                break
            yield f"<script>cchcProgress({done}, {total});</script>\n"
    yield "<script>cchcDone();</script>\n"
    if check.error_workbook:
        _stored(f"{token}-loi").write_bytes(check.error_workbook)
    yield render_to_string("scoring/_score_check.html", {**context, "check": check, "name": name}, request)
    yield tail


def _confirm(request, period, sheet, context):
    state = request.session.get("score_import") or {}
    if state.get("period") != period.pk or state.get("kind") != sheet.code or not _stored(state["token"]).exists():
        return render(request, "scoring/score_import.html", {**context, "upload_error": E_EXPIRED}, status=400)
    with _stored(state["token"]).open("rb") as handle:
        check = run_check(handle, state["name"], period, sheet, request.user)
    if not check.ok:
        return render(
            request, "scoring/score_import.html", {**context, "check": check, "name": state["name"]}, status=400
        )
    try:
        with transaction.atomic():
            written = scores_import(check=check, period=period, file_name=state["name"], by=request.user)
    except ValidationError as exc:
        return render(
            request, "scoring/score_import.html", {**context, "upload_error": " ".join(exc.messages)}, status=400
        )
    _stored(state["token"]).unlink(missing_ok=True)
    del request.session["score_import"]
    messages.success(request, f"Đã nhập {written} giá trị từ tệp “{state['name']}”.")
    if permissions.can_view_dashboard(request.user, period):
        target = reverse("scoring:dashboard", args=[period.pk])
    else:
        target = reverse("scoring:work_list")
    response = HttpResponse(status=303)
    response["Location"] = target
    return response


@require_safe
@login_required
def score_import_errors(request, pk: int, kind: str):
    period, sheet = _period_kind(request, pk, kind)
    state = request.session.get("score_import") or {}
    if state.get("period") != period.pk or state.get("kind") != sheet.code:
        raise Http404(E_EXPIRED)
    path = _stored(f"{state['token']}-loi")
    if not path.exists():
        raise Http404(E_EXPIRED)
    return FileResponse(
        path.open("rb"), as_attachment=True, filename=f"loi-{state['name']}", content_type=XLSX_CONTENT_TYPE
    )


@require_safe
@login_required
def detailed_report(request, pk: int):
    period = get_object_or_404(Period.objects.select_related("block", "criteria_set"), pk=pk)
    if not permissions.can_view_dashboard(request.user, period):
        raise PermissionDenied
    return xlsx_response(detailed_workbook(period), f"bao-cao-chi-tiet-{period.block.code}-{period.year}.xlsx")
