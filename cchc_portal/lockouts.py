"""Login lockouts: one account from one address, for a fixed time, with ways back in.

axes does the counting (settings: AXES_*). This module adds what it lacks here: rows that stay small, the time a
lock ends (shown on the lockout page and by `manage.py unlock_login`), unlocking an account, and unlocking it when
its owner proves the mailbox by resetting the password.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.db.models import Q
from django.http import QueryDict
from django.shortcuts import render
from django.utils import timezone

from cchc_portal.addresses import client_address

log = logging.getLogger("axes")


class LoginAttempts(AxesDatabaseHandler):
    """axes' database handler without the form's fields in the row.

    axes appends each failure's GET and POST data to its row (up to 2 KB a time, rewriting the whole value): 3,247
    refused attempts made one 3.36 MB row and 228 MB of WAL. The account, address, browser, time and count keep
    their own columns; nothing else in a login form is worth keeping.
    """

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        if request is None:
            return super().user_login_failed(sender, credentials, request, **kwargs)
        if getattr(request, "axes_locked_out", False):
            username = get_client_username(request, credentials)
            log.info(
                "AXES: Refused login of %s from %s during its lockout (not counted)", username, request.axes_ip_address
            )
        kept = request.GET, request.POST
        request.GET = request.POST = QueryDict()
        try:
            return super().user_login_failed(sender, credentials, request, **kwargs)
        finally:
            request.GET, request.POST = kept


@dataclass(frozen=True)
class Lock:
    username: str
    address: str
    failures: int
    ends: datetime


def current_locks(username: str | None = None, address: str | None = None) -> list[Lock]:
    """Every account + address locked now, with the moment its lock ends (soonest first)."""
    now = timezone.now()
    rows = AccessAttempt.objects.filter(attempt_time__gt=now - settings.AXES_COOLOFF_TIME)
    if username is not None:
        rows = rows.filter(username=username)
    if address is not None:
        rows = rows.filter(ip_address=address)
    pairs: dict[tuple[str, str], list[tuple[datetime, int]]] = {}
    fields = ("username", "ip_address", "attempt_time", "failures_since_start")
    for name, ip, when, failures in rows.order_by("attempt_time").values_list(*fields):
        pairs.setdefault((name or "", ip or ""), []).append((when, failures))
    locks = []
    for (name, ip), attempts in pairs.items():
        total = sum(failures for _, failures in attempts)
        if total < settings.AXES_FAILURE_LIMIT:
            continue
        # Rows expire oldest first; the lock ends when the ones left fall below the limit.
        remaining = total
        for when, failures in attempts:
            remaining -= failures
            if remaining < settings.AXES_FAILURE_LIMIT:
                locks.append(Lock(name, ip, total, when + settings.AXES_COOLOFF_TIME))
                break
    return sorted(locks, key=lambda lock: lock.ends)


def unlock(username: str, address: str | None = None) -> int:
    """Forget the failed logins of an account (from one address, or from all): its locks end now."""
    rows = AccessAttempt.objects.filter(username=username)
    if address:
        rows = rows.filter(ip_address=address)
    _, deleted = rows.delete()
    return deleted.get(AccessAttempt._meta.label, 0)


def clear_expired(log_days: int) -> tuple[int, int]:
    """Attempts whose cool-off is over, and successful-login records older than log_days: (attempts, records)."""
    now = timezone.now()
    _, attempts = AccessAttempt.objects.filter(attempt_time__lte=now - settings.AXES_COOLOFF_TIME).delete()
    old = Q(attempt_time__lt=now - timedelta(days=log_days))
    _, records = AccessLog.objects.filter(old).delete()
    AccessFailureLog.objects.filter(old).delete()
    return attempts.get(AccessAttempt._meta.label, 0), records.get(AccessLog._meta.label, 0)


def lockout_page(request, original_response=None, credentials=None):
    """The page a locked login gets (axes' AXES_LOCKOUT_CALLABLE): why, until when, and how to get in sooner."""
    username = get_client_username(request, credentials) or ""
    locks = current_locks(username=username, address=request.axes_ip_address)
    context = {
        "username": username,
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "cooloff": settings.AXES_COOLOFF_TIME,
        "ends": locks[-1].ends if locks else None,
    }
    return render(request, "registration/locked.html", context, status=settings.AXES_HTTP_RESPONSE_CODE)


class ResetPasswordAndUnlock(auth_views.PasswordResetConfirmView):
    """Setting a new password through the mailed link also ends the account's lockouts: whoever reads the
    account's mail can get back in at once, the administrator included."""

    def form_valid(self, form):
        response = super().form_valid(form)
        username = form.user.get_username()
        if unlock(username):
            address = client_address(self.request)
            log.info("AXES: login lock of %s lifted by a password reset from %s", username, address)
        return response
