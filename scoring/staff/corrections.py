"""The correction page of a published period (/cham-diem/ky/<id>/dinh-chinh/): open a correction, change what it
changes, preview it, publish it with the decision number typed, or cancel it (scoring/corrections.py).

Every POST answers with a redirect (post/redirect/get): a refusal keeps what was typed in the session and shows it
again on the page, so Back and Reload never send a form twice.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from cchc_portal.lib.problems import Refused
from cchc_portal.middleware import accepts_uploads
from cchc_portal.validators import multi_line, one_line
from scoring import corrections, permissions
from scoring.imports.results import read_result_rows
from scoring.models import LONG_TEXT_LIMIT, Period, Result

SESSION_KEY = "correction_form"
E_FILE = "Hãy chọn tệp kết quả (.csv hoặc .xlsx)."


class OpenForm(forms.Form):
    reason = forms.CharField(
        label="Lý do đính chính",
        max_length=LONG_TEXT_LIMIT,
        validators=[multi_line],
        widget=forms.Textarea({"rows": 3}),
    )
    decision_number = forms.CharField(label="Số quyết định đính chính", max_length=100, validators=[one_line])
    decision_date = forms.DateField(label="Ngày quyết định", widget=forms.DateInput(attrs={"type": "date"}))
    signer = forms.CharField(label="Người ký", max_length=200, required=False, validators=[one_line])


class ConfirmForm(forms.Form):
    confirm = forms.CharField(
        label="Gõ số quyết định đính chính để xác nhận",
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class FileForm(forms.Form):
    file = forms.FileField(label="Tệp kết quả đã sửa (.csv hoặc .xlsx, như tệp tải từ cổng)")


def _period(request, pk: int) -> Period:
    period = get_object_or_404(Period.objects.select_related("block", "criteria_set", "grade_scheme"), pk=pk)
    permissions.require(permissions.can_manage_period(request.user))
    return period


def _may_upload(request, pk: int) -> bool:
    return permissions.can_manage_period(request.user)


@accepts_uploads(_may_upload)
@require_http_methods(["GET", "POST"])
@login_required
def correction(request, pk: int):
    period = _period(request, pk)
    if request.method == "POST":
        return _act(request, period)
    kept = request.session.pop(SESSION_KEY, None) or {}
    data = kept.get("data")
    preview = corrections.correction_preview(period) if period.is_public else None
    context = {
        "period": period,
        "preview": preview,
        "scored": corrections.is_scored(period),
        "open_form": OpenForm(data if kept.get("action") == "open" else None),
        "confirm_form": ConfirmForm(data if kept.get("action") == "publish" else None, auto_id="id_xac_nhan_%s"),
        "file_form": FileForm(),
        "errors": kept.get("errors", []),
        "units": list(
            Result.objects.filter(period=period, version__is_current=True).select_related("unit").order_by("position")
        ),
    }
    return render(request, "scoring/correction.html", context)


ACTIONS = ("open", "cancel", "publish", "file")


def _act(request, period: Period):
    action = request.POST.get("action", "")
    try:
        with transaction.atomic():
            text = _do(request, period, action)
    except (ValidationError, Refused) as error:
        texts = error.errors if isinstance(error, Refused) else error.messages
        request.session[SESSION_KEY] = {
            "action": action,
            "errors": texts,
            "data": {k: v for k, v in request.POST.items() if k != "csrfmiddlewaretoken"},
        }
    else:
        messages.success(request, text)
        if action == "publish":
            return redirect("scoring:dashboard", pk=period.pk)
    return redirect("scoring:correction", pk=period.pk)


def _valid(form: forms.Form) -> dict:
    if not form.is_valid():
        raise ValidationError([f"{form.fields[n].label}: {' '.join(e)}" for n, e in form.errors.items()])
    return form.cleaned_data


def _do(request, period: Period, action: str) -> str:
    by = request.user
    if action == "open":
        data = _valid(OpenForm(request.POST))
        version = corrections.correction_open(period=period, by=by, **data)
        return f"Đã mở đính chính lần {version.correction_number}: sửa điểm, xem trước, rồi công bố khi có quyết định."
    if action == "cancel":
        corrections.correction_cancel(period=period, by=by)
        return "Đã hủy lần đính chính; bảng đã công bố giữ nguyên."
    if action == "publish":
        data = _valid(ConfirmForm(request.POST))
        version = corrections.correction_publish(period=period, confirm=data["confirm"], by=by)
        return f"Đã công bố bản đính chính lần {version.correction_number} ({version.decision_line})."
    if action == "file":
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationError(E_FILE)
        rows = read_result_rows(upload, [period.block], upload.name, year=period.year, block=period.block)
        count = corrections.correction_rows_set(period=period, rows=rows, by=by)
        return f"Đã đọc {count} dòng từ tệp “{upload.name}”: xem bảng đính chính bên dưới trước khi công bố."
    raise ValidationError("Thao tác không hợp lệ.")
