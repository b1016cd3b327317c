"""A second factor at login: a six-digit code from an authenticator app (TOTP, django-otp).

Required for the Department's administrators (and superusers) when ADMIN_SECOND_FACTOR is on, offered to
everyone else. After the password, a signed-in person who has not yet given a code this session reaches only
the code page (or, for an administrator without an app, the page that sets one up) and the logout button.
"""

import logging
from base64 import b32encode
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_otp import devices_for_user
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from scoring.permissions import is_administrator

log = logging.getLogger("scoring.accounts")

DEVICE_NAME = "Ứng dụng xác thực"


def required(user) -> bool:
    return settings.ADMIN_SECOND_FACTOR and is_administrator(user)


def confirmed_devices(user) -> list[TOTPDevice]:
    return [d for d in devices_for_user(user, confirmed=True) if isinstance(d, TOTPDevice)]


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _with_next(name: str, request) -> str:
    return (
        f"{reverse(name)}?{urlencode({'next': request.get_full_path()})}" if request.method == "GET" else reverse(name)
    )


# What this session owes after the password, decided once at login (no query on later requests):
# "verify" (a code), "setup" (an administrator without an app) or "" (nothing).
DUE = "second_factor_due"


def what_is_due(user) -> str:
    if confirmed_devices(user):
        return "verify"
    return "setup" if required(user) else ""


def remember_what_is_due(sender, request, user, **kwargs):
    """user_logged_in: note in the session whether this login still owes a code (connected in scoring.apps)."""
    if request is not None and hasattr(request, "session"):
        request.session[DUE] = what_is_due(user)


class SecondFactor:
    """After django-otp's OTPMiddleware: send a signed-in person who owes a code to the page that takes it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and not self._exempt(request.path_info):
            due = request.session.get(DUE)
            if due is None:  # a session from before this check existed
                due = request.session[DUE] = what_is_due(user)
            if due and not user.is_verified():
                return redirect(_with_next("second_factor" if due == "verify" else "second_factor_setup", request))
        return self.get_response(request)

    @staticmethod
    def _exempt(path: str) -> bool:
        static = settings.STATIC_URL if settings.STATIC_URL.startswith("/") else "/" + settings.STATIC_URL
        own = (reverse("second_factor"), reverse("second_factor_setup"), reverse("logout"))
        return path in own or path.startswith(static)


def _code(request) -> str:
    return "".join(request.POST.get("code", "").split())


@login_required
def verify(request):
    """The code page: one code from the app, checked against each of the person's confirmed devices."""
    devices = confirmed_devices(request.user)
    if request.user.is_verified() or not devices:
        return redirect(_next(request))
    error = ""
    if request.method == "POST":
        code = _code(request)
        if not (code.isdigit() and len(code) == 6):
            error = "Mã gồm đúng 6 chữ số, lấy từ ứng dụng xác thực trên điện thoại."
        else:
            for device in devices:
                if device.verify_token(code):
                    otp_login(request, device)
                    return redirect(_next(request))
            error = (
                "Mã không đúng hoặc đã dùng. Hãy nhập mã đang hiện trong ứng dụng; sau mỗi lần sai phải đợi lâu hơn "
                "một chút mới thử lại được."
            )
            log.warning("Wrong second-factor code for %s", request.user.get_username())
    return render(
        request,
        "registration/second_factor.html",
        {"error": error, "next": _next(request)},
        status=400 if error else 200,
    )


def _secret(device: TOTPDevice) -> str:
    key = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


@login_required
def setup(request):
    """Set up an authenticator app: a QR code and the key to type, then one code to confirm it."""
    user = request.user
    if confirmed_devices(user):
        if not user.is_verified():
            return redirect(_with_next("second_factor", request))
        return render(request, "registration/second_factor_setup.html", {"enabled": True, "required": required(user)})
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    error = ""
    if request.method == "POST":
        code = _code(request)
        if code.isdigit() and len(code) == 6 and device.verify_token(code):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=user, confirmed=False).delete()
            otp_login(request, device)
            request.session[DUE] = "verify"
            log.info("Second factor set up by %s", user.get_username())
            messages.success(request, "Đã bật xác thực hai bước. Từ lần đăng nhập sau, cổng sẽ hỏi mã từ ứng dụng.")
            return redirect(_next(request))
        error = "Mã không đúng. Hãy nhập 6 chữ số đang hiện trong ứng dụng sau khi quét mã QR."
    context = {
        "enabled": False,
        "required": required(user),
        "qr": segno.make(device.config_url, error="m").svg_data_uri(scale=4),
        "secret": _secret(device),
        "error": error,
        "next": _next(request),
    }
    return render(request, "registration/second_factor_setup.html", context, status=400 if error else 200)


@require_POST
@login_required
def disable(request):
    """Someone for whom the second factor is optional turns it off (after giving a code this session)."""
    user = request.user
    if required(user):
        messages.error(request, "Tài khoản quản trị Sở Nội vụ phải dùng xác thực hai bước; không tắt được.")
    elif user.is_verified():
        TOTPDevice.objects.filter(user=user).delete()
        request.session[DUE] = ""
        log.info("Second factor turned off by %s", user.get_username())
        messages.success(request, "Đã tắt xác thực hai bước.")
    return redirect("second_factor_setup")
