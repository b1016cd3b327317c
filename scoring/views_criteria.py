"""Staff page: import a criteria set from a workbook (validate, preview, confirm).

The upload is kept on the server under a random token between the two steps; the session holds only
that token and the form's values, never a path. Confirming re-reads and re-checks the stored file.
"""

from decimal import Decimal
from pathlib import Path

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from scoring import permissions
from scoring.criteria_import import (
    DEFAULT_TOTAL,
    MAX_NAME_LENGTH,
    MAX_UPLOAD_BYTES,
    MAX_YEAR,
    MIN_YEAR,
    UPLOAD_EXTENSIONS,
    CriteriaImportFailed,
    criteria_import_pending,
    criteria_preview,
    summary_text,
    upload_discard,
    upload_store,
)
from units.models import Block

SESSION_KEY = "criteria_import"
TEMPLATE = "scoring/criteria_import.html"
E_UPLOAD = "Chỉ nhận tệp .xlsx hoặc .csv, dung lượng tối đa 5 MB."


class CriteriaUploadForm(forms.Form):
    file = forms.FileField(label="Tệp bộ tiêu chí (.xlsx hoặc .csv, tối đa 5 MB)")
    year = forms.IntegerField(label="Năm đánh giá", min_value=MIN_YEAR, max_value=MAX_YEAR)
    block = forms.ModelChoiceField(label="Khối", queryset=Block.objects.all(), empty_label=None)
    total = forms.DecimalField(
        label="Tổng điểm khai báo", max_digits=7, decimal_places=3, min_value=Decimal("0.001"), initial=DEFAULT_TOTAL
    )
    name = forms.CharField(
        label="Tên bộ tiêu chí (để trống: theo khối và năm)", max_length=MAX_NAME_LENGTH, required=False
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES or Path(upload.name).suffix.lower() not in UPLOAD_EXTENSIONS:
            raise ValidationError(E_UPLOAD)
        return upload


@require_http_methods(["GET", "POST"])
@login_required
def criteria_import_page(request):
    permissions.require(permissions.can_manage_period(request.user))
    if request.method == "GET":
        return _page(request, CriteriaUploadForm(initial={"year": timezone.localdate().year}))
    if request.POST.get("confirm"):
        return _confirm(request)
    return _preview(request)


def _preview(request):
    form = CriteriaUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, form, status=400)
    # A new upload replaces the one waiting for confirmation, if any.
    upload_discard(request.session.pop(SESSION_KEY, None))
    data = form.cleaned_data
    pending = upload_store(data["file"], year=data["year"], block=data["block"], total=data["total"], name=data["name"])
    preview = criteria_preview(pending, by=request.user)
    if preview.errors:
        upload_discard(pending)
    else:
        request.session[SESSION_KEY] = pending
    context = {"preview": preview, "pending": pending, "chosen_block": data["block"]}
    return _page(request, form, status=400 if preview.errors else 200, **context)


def _confirm(request):
    pending = request.session.pop(SESSION_KEY, None)
    try:
        summary = criteria_import_pending(pending, by=request.user)
    except CriteriaImportFailed as exc:
        return _page(request, CriteriaUploadForm(), status=400, errors=exc.errors, pending=pending)
    except ValidationError as exc:
        return _page(request, CriteriaUploadForm(), status=400, errors=exc.messages, pending=pending)
    messages.success(request, summary_text(summary))
    # The new draft period's dashboard: every administrator can open it (the admin site needs is_staff).
    return redirect(reverse("scoring:dashboard", args=[summary.period.pk]))


def _page(request, form, *, status=200, **context):
    preview = context.get("preview")
    errors = context.pop("errors", None) or (preview.errors if preview else [])
    return render(request, TEMPLATE, {"form": form, "errors": errors, **context}, status=status)
