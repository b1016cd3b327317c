"""Staff pages for files coming in: score sheets (template, check with progress, preview, confirm) and
criteria sets (check, preview, confirm).

An upload is kept in the pending store under a random token (only the token goes in the session), checked
while the page shows how far it has got, previewed, and written only after the user confirms — re-checking
the same stored file first.
"""

from decimal import Decimal

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from cchc_portal.downloads import xlsx_response
from cchc_portal.lib.filetypes import megabytes
from cchc_portal.lib.problems import Refused
from cchc_portal.lib.xlsx_write import XLSX_CONTENT_TYPE
from cchc_portal.middleware import accepts_uploads
from cchc_portal.validators import one_line
from scoring import entry_fields, permissions
from scoring.imports import pending_uploads, upload_limits
from scoring.imports.criteria import (
    DEFAULT_TOTAL,
    MAX_NAME_LENGTH,
    MAX_YEAR,
    MIN_YEAR,
    criteria_import_pending,
    criteria_preview,
    method_words,
    summary_text,
    upload_discard,
    upload_store,
)
from scoring.imports.criteria_template import FILE_NAME as CRITERIA_TEMPLATE_FILE
from scoring.imports.criteria_template import criteria_template, example_counts
from scoring.imports.jobs import sheet_size, start_score_import
from scoring.imports.score_sheets import check_sheet, kind_or_none, run_check, scores_import
from scoring.imports.score_sheets import score_template as template_workbook
from scoring.models import Period
from scoring.staff.forms import IdChoice
from units.models import Block

E_FILE = "Hãy chọn tệp Excel .xlsx."
E_CLOSED = "Kỳ đánh giá đã công bố hoặc đã khóa: không nhập điểm được nữa."
E_EXPIRED = "Phiên nhập đã hết hạn hoặc tệp không còn; hãy tải tệp lên lại."
STREAM_MARK = "<!--tien-do-->"
SCORE_SESSION_KEY = "score_import"
IMPORTED_SESSION_KEY = "score_imported"
CRITERIA_SESSION_KEY = "criteria_import"
CRITERIA_TEMPLATE = "scoring/criteria_import.html"


# --- Score sheets ------------------------------------------------------------------------------------


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
    return xlsx_response(
        content,
        f"mau-{sheet.code}-{period.block.code}-{period.year}.xlsx",
        f"Bảng nhập {sheet.label} {period.block.name} năm {period.year}.xlsx",
    )


def _may_upload_sheet(request, pk: int, kind: str) -> bool:
    period = Period.objects.filter(pk=pk).first()
    sheet = kind_or_none(kind)
    if period is None or sheet is None:
        return True  # the view answers 404
    user = request.user
    if sheet.field == "self_points" and not permissions.is_administrator(user):
        return bool(permissions.member_unit_ids(user))
    return permissions.can_manage_period(user) or permissions.can_view_dashboard(user, period)


@accepts_uploads(_may_upload_sheet)
@require_http_methods(["GET", "POST"])
@login_required
def score_import_page(request, pk: int, kind: str):
    period, sheet = _period_kind(request, pk, kind)
    context = {"period": period, "kind": sheet, "max_mb": megabytes(upload_limits().file_bytes)}
    correcting = sheet.role == entry_fields.CORRECTION and permissions.can_correct(request.user, period)
    if period.is_public and not correcting:  # one message, not one refusal per row
        if request.method == "POST":
            _score_forget(request)
            messages.error(request, E_CLOSED)
            return redirect("scoring:score_import", pk=period.pk, kind=sheet.code)
        return render(request, "scoring/score_import.html", {**context, "closed": True})
    if request.method == "GET":
        return render(request, "scoring/score_import.html", context)
    if request.POST.get("confirm"):
        return _score_confirm(request, period, sheet, context)
    upload = request.FILES.get("file")
    if upload is None:
        return render(request, "scoring/score_import.html", {**context, "upload_error": E_FILE}, status=400)
    _score_forget(request)
    token = pending_uploads().store(upload)
    name = upload.name
    request.session[SCORE_SESSION_KEY] = {"token": token, "name": name, "period": period.pk, "kind": sheet.code}
    # Read the nonce now: the policy header goes out before the streamed body that uses it.
    nonce = str(request.csp_nonce)
    return StreamingHttpResponse(_checking(request, context, token, name, nonce))


def _checking(request, context, token, name, nonce):
    """Stream the page: a progress bar that moves as rows are checked, then the preview or the errors."""
    period, sheet = context["period"], context["kind"]
    head, tail = render_to_string("scoring/score_import.html", {**context, "streaming": True}, request).split(
        STREAM_MARK
    )
    yield head
    with pending_uploads().open(token) as handle:
        steps = check_sheet(handle, name, period, sheet, request.user)
        while True:
            try:
                done, total = next(steps)
            except StopIteration as finished:
                check = finished.value
                break
            yield f'<script nonce="{nonce}">cchcProgress({done}, {total});</script>\n'
    yield f'<script nonce="{nonce}">cchcDone();</script>\n'
    if check.error_workbook:
        pending_uploads().keep(token, ".loi", ContentFile(check.error_workbook))
    if not check.ok:  # a refused file is never confirmed: only its marked copy is kept, for download
        pending_uploads().discard(token, suffixes=("",))
    yield render_to_string("scoring/_score_check.html", {**context, "check": check, "name": name}, request)
    yield tail


def _score_state(request, period, sheet) -> dict | None:
    state = request.session.get(SCORE_SESSION_KEY) or {}
    if state.get("period") != period.pk or state.get("kind") != sheet.code:
        return None
    return state


def _score_forget(request) -> None:
    state = request.session.pop(SCORE_SESSION_KEY, None) or {}
    pending_uploads().discard(state.get("token"))


def _score_confirm(request, period, sheet, context):
    state = _score_state(request, period, sheet)
    stored = pending_uploads().open(state["token"]) if state else None
    if stored is None:
        return render(request, "scoring/score_import.html", {**context, "upload_error": E_EXPIRED}, status=400)
    if sheet_size(period, sheet) > settings.JOBS_ABOVE_VALUES:
        # A national sheet takes longer to check again and write than a request may last: a job does it.
        stored.close()
        request.session.pop(SCORE_SESSION_KEY, None)  # the job discards the upload when it is done
        job = start_score_import(period, sheet, state["token"], state["name"], request.user)
        response = HttpResponse(status=303)
        response["Location"] = reverse("job", args=[job.pk])
        return response
    with stored:
        check = run_check(stored, state["name"], period, sheet, request.user)
    if not check.ok:
        context = {**context, "check": check, "name": state["name"]}
        return render(request, "scoring/score_import.html", context, status=400)
    try:
        with transaction.atomic():
            written = scores_import(check=check, period=period, file_name=state["name"], by=request.user)
    except ValidationError as exc:
        context = {**context, "upload_error": " ".join(exc.messages)}
        return render(request, "scoring/score_import.html", context, status=400)
    _score_forget(request)
    imported = [plan.unit for plan in check.units if plan.changes]
    messages.success(request, f"Đã nhập {written} giá trị từ tệp “{state['name']}” cho {len(imported)} đơn vị.")
    if period.is_public:  # a correction: back to its preview
        target = reverse("scoring:correction", args=[period.pk])
    elif permissions.can_view_dashboard(request.user, period):
        # The period page lists what was just imported, each unit linked to its sheet.
        request.session[IMPORTED_SESSION_KEY] = {"period": period.pk, "units": [u.pk for u in imported]}
        target = reverse("scoring:dashboard", args=[period.pk])
    elif len(imported) == 1:
        target = reverse("scoring:entry", args=[period.pk, imported[0].code])
    else:
        target = reverse("scoring:work_list")
    response = HttpResponse(status=303)
    response["Location"] = target
    return response


@require_safe
@login_required
def score_import_errors(request, pk: int, kind: str):
    period, sheet = _period_kind(request, pk, kind)
    state = _score_state(request, period, sheet)
    stored = pending_uploads().open(state["token"], ".loi") if state else None
    if stored is None:
        raise Http404(E_EXPIRED)
    return FileResponse(stored, as_attachment=True, filename=f"loi-{state['name']}", content_type=XLSX_CONTENT_TYPE)


# --- Criteria sets -----------------------------------------------------------------------------------


class CriteriaUploadForm(forms.Form):
    file = forms.FileField(label="Tệp bộ tiêu chí (.xlsx hoặc .csv UTF-8)")
    year = forms.IntegerField(label="Năm đánh giá", min_value=MIN_YEAR, max_value=MAX_YEAR)
    block = IdChoice(label="Khối", queryset=Block.objects.all(), empty_label=None)
    total = forms.DecimalField(
        label="Tổng điểm khai báo", max_digits=7, decimal_places=3, min_value=Decimal("0.001"), initial=DEFAULT_TOTAL
    )
    name = forms.CharField(
        label="Tên bộ tiêu chí (để trống: theo khối và năm)",
        max_length=MAX_NAME_LENGTH,
        required=False,
        validators=[one_line],
    )


@accepts_uploads(lambda request: permissions.can_manage_period(request.user))
@require_http_methods(["GET", "POST"])
@login_required
def criteria_import_page(request):
    permissions.require(permissions.can_manage_period(request.user))
    if request.method == "GET":
        return _criteria_page(request, CriteriaUploadForm(initial={"year": timezone.localdate().year}))
    if request.POST.get("confirm"):
        return _criteria_confirm(request)
    return _criteria_preview(request)


def _criteria_preview(request):
    form = CriteriaUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _criteria_page(request, form, status=400)
    # A new upload replaces the one waiting for confirmation, if any.
    upload_discard(request.session.pop(CRITERIA_SESSION_KEY, None))
    data = form.cleaned_data
    pending = upload_store(data["file"], year=data["year"], block=data["block"], total=data["total"], name=data["name"])
    preview = criteria_preview(pending, by=request.user)
    if preview.errors:
        upload_discard(pending)
    else:
        request.session[CRITERIA_SESSION_KEY] = pending
    context = {"preview": preview, "pending": pending, "chosen_block": data["block"]}
    return _criteria_page(request, form, status=400 if preview.errors else 200, **context)


def _criteria_confirm(request):
    pending = request.session.pop(CRITERIA_SESSION_KEY, None)
    try:
        summary = criteria_import_pending(pending, by=request.user)
    except Refused as exc:
        context = {"errors": exc.errors, "error_count": len(exc.problems), "pending": pending}
        return _criteria_page(request, CriteriaUploadForm(), status=400, **context)
    except ValidationError as exc:
        return _criteria_page(request, CriteriaUploadForm(), status=400, errors=exc.messages, pending=pending)
    messages.success(request, summary_text(summary))
    # The new draft period's dashboard: every administrator can open it (the admin site needs is_staff).
    return redirect(reverse("scoring:dashboard", args=[summary.period.pk]))


@require_safe
@login_required
def criteria_template_download(request):
    permissions.require(permissions.can_manage_period(request.user))
    return xlsx_response(criteria_template(), CRITERIA_TEMPLATE_FILE)


def _criteria_page(request, form, *, status=200, **context):
    preview = context.get("preview")
    errors = context.pop("errors", None) or (preview.errors if preview else [])
    # Cells to mend, not lines: a mistake repeated on several rows is one line naming them.
    count = context.pop("error_count", None) or (preview.error_count if preview else 0) or len(errors)
    context = {
        "form": form,
        "errors": errors,
        "error_count": count,
        "method_words": method_words(),  # the importer's own list: the page cannot offer a word it refuses
        "template_counts": example_counts().sentence(),
        **context,
    }
    return render(request, CRITERIA_TEMPLATE, context, status=status)
