"""The page "Tài khoản cán bộ đơn vị": Sở Nội vụ sees every unit's staff accounts, creates one in a step,
deactivates or reactivates it, and sends the link to set the password again."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from scoring import permissions
from scoring.accounts.selectors import unit_accounts
from scoring.accounts.services import unit_account_create, unit_account_invite, unit_account_set_active
from scoring.staff.account_forms import UnitAccountForm

M_CREATED = "Đã tạo tài khoản “{username}” cho {unit}."
M_MAILED = "Đã gửi đường dẫn đặt mật khẩu tới {email}."
M_MAIL_LATER = "Đường dẫn đặt mật khẩu sẽ được gửi tới {email}."
M_MAIL_FAILED = (
    "Chưa gửi được thư tới {email} (máy chủ thư không nhận). Tài khoản vẫn được giữ; hãy bấm “Gửi lại thư đặt mật "
    "khẩu” ở dòng của tài khoản khi máy chủ thư hoạt động lại."
)
M_DEACTIVATED = "Đã khóa tài khoản “{username}”: tài khoản không đăng nhập được và không nhận thư nhắc việc."
M_ACTIVATED = "Đã mở lại tài khoản “{username}”."


def _page(block_code: str = "", anchor: str = "") -> str:
    query = f"?{urlencode({'khoi': block_code})}" if block_code else ""
    return reverse("scoring:unit_accounts") + query + (f"#{anchor}" if anchor else "")


@require_http_methods(["GET", "POST"])
@login_required
def unit_accounts_page(request):
    permissions.require(permissions.can_manage_unit_accounts(request.user))
    listing = unit_accounts(year=timezone.localdate().year)
    chosen = listing.unit_by_code(request.GET.get("don-vi", ""))
    form = UnitAccountForm(request.POST or None, units=listing.current_units, initial={"unit": chosen and chosen.pk})
    if request.method == "POST" and form.is_valid():
        try:
            account = unit_account_create(**form.cleaned_data, by=request.user)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            _say_created(request, account)
            unit = account.unit
            return redirect(_page(unit.block.code, f"don-vi-{unit.code}"))
    block_code = request.GET.get("khoi", "")
    context = {
        "listing": listing,
        "blocks": [rows for rows in listing.blocks if rows.block.code == block_code] or listing.blocks,
        "block_code": block_code,
        "form": form,
    }
    return render(request, "scoring/unit_accounts.html", context, status=400 if form.errors else 200)


def _say_created(request, account) -> None:
    user = account.user
    messages.success(request, M_CREATED.format(username=user.get_username(), unit=account.unit.name))
    if account.mailed is False:
        messages.warning(request, M_MAIL_FAILED.format(email=user.email))
    else:
        messages.success(request, (M_MAILED if account.mailed else M_MAIL_LATER).format(email=user.email))


@require_POST
@login_required
def unit_account_deactivate(request, user_id: int):
    user = _account(request, user_id)
    try:
        unit_account_set_active(user=user, active=False, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, M_DEACTIVATED.format(username=user.get_username()))
    return _back(request, user)


@require_POST
@login_required
def unit_account_activate(request, user_id: int):
    user = _account(request, user_id)
    try:
        unit_account_set_active(user=user, active=True, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, M_ACTIVATED.format(username=user.get_username()))
    return _back(request, user)


@require_POST
@login_required
def unit_account_invite_again(request, user_id: int):
    user = _account(request, user_id)
    try:
        mailed = unit_account_invite(user=user, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if mailed:
            messages.success(request, M_MAILED.format(email=user.email))
        else:
            messages.warning(request, M_MAIL_FAILED.format(email=user.email))
    return _back(request, user)


def _account(request, user_id: int):
    permissions.require(permissions.can_manage_unit_accounts(request.user))
    return get_object_or_404(get_user_model(), pk=user_id)


def _back(request, user):
    """To the page as it was (the block shown); the message at its top says what was done."""
    return redirect(_page(request.POST.get("khoi", "")))
