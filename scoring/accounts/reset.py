"""The page "Quên mật khẩu": answered at once and alike for every address; the mail goes out from the job queue.

The page never looks the address up. It counts the request (per e-mail address typed and per client address, in
the cache), refuses past the limits with the same Vietnamese message whether an account has that address or not,
and hands the address to the queue (RQ, `manage.py rqworker cchc`). The job finds the accounts, counts each one
(per account), and sends Django's reset mail, bounded by EMAIL_TIMEOUT. So the answer takes as long for a
registered address as for an unknown one, and an SMTP server that hangs holds a worker of the queue, never a
web worker. Without Redis the job waits in the database for `manage.py run_jobs`; with JOBS_EAGER (the tests) it
runs at once in the request.
"""

import logging
import time

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm
from django.core.cache import caches
from django.http import HttpResponseRedirect

from cchc_portal.addresses import client_address
from scoring.ops import jobs

log = logging.getLogger("scoring.accounts")

E_TOO_MANY = (
    "Đã có nhiều yêu cầu đặt lại mật khẩu cho địa chỉ này hoặc từ máy này trong {minutes} phút qua. "
    "Nếu đã yêu cầu, hãy xem hộp thư (cả thư mục thư rác); hoặc thử lại sau {minutes} phút."
)


def _window() -> int:
    return settings.PASSWORD_RESET_WINDOW_MINUTES * 60


def _counted(key: str, limit: int) -> bool:
    """Count one more request under `key` in the current window; whether it is still within `limit`.

    In the cache every process of the installation shares (Redis, or without it a folder on this server's disk):
    a count in one worker's memory would let each worker grant the limit again. Windows are fixed (each starts on
    a multiple of the window), and the count's expiry is set to its window's end: a file cache's `incr` would
    otherwise give it the cache's default lifetime."""
    cache = caches["shared"]
    window = _window()
    now = time.time()
    key = f"{key}:{int(now // window)}"
    remaining = max(1, int((now // window + 1) * window - now))
    cache.add(key, 0, remaining)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, remaining)
        count = 1
    cache.touch(key, remaining)
    return count <= limit


def reset_request(*, email: str, address: str, domain: str, use_https: bool) -> str:
    """Take one reset request; an empty string when it is taken, else the message that refuses it.

    The same work for every address: two counters, then the job (which alone reads the accounts).
    """
    email = email.strip().lower()
    by_email = _counted(f"reset:email:{email}", settings.PASSWORD_RESET_PER_EMAIL)
    by_address = _counted(f"reset:ip:{address}", settings.PASSWORD_RESET_PER_ADDRESS)
    if not (by_email and by_address):
        log.warning("password reset refused (too many): address %s, e-mail %s", address, email)
        return E_TOO_MANY.format(minutes=settings.PASSWORD_RESET_WINDOW_MINUTES)
    if settings.JOBS_EAGER:
        send_reset_mail(email, domain, use_https)
    elif settings.JOBS_QUEUE == "database":  # no Redis: `manage.py run_jobs` sends it
        params = {"email": email, "domain": domain, "use_https": use_https}
        jobs.start(RESET_JOB, title="Thư đặt lại mật khẩu", params=params)
    else:
        jobs.redis_queue().enqueue(
            send_reset_mail,
            email,
            domain,
            use_https,
            job_timeout=max(60, 3 * settings.EMAIL_TIMEOUT),
            result_ttl=0,
            failure_ttl=7 * 86400,
        )
    return ""


class _ResetMail(PasswordResetForm):
    def get_users(self, email):
        for user in super().get_users(email):  # active accounts with a usable password, e-mail matched exactly
            if _counted(f"reset:account:{user.pk}", settings.PASSWORD_RESET_PER_ACCOUNT):
                yield user
            else:
                log.warning("password reset mail not sent to account %s: too many this hour", user.get_username())


RESET_JOB = "reset_mail"


@jobs.kind(RESET_JOB)
def _reset_mail_job(params: dict, progress) -> jobs.Outcome:
    send_reset_mail(params["email"], params["domain"], params["use_https"])
    return jobs.Outcome("")


def send_reset_mail(email: str, domain: str, use_https: bool) -> None:
    """The job: Django's reset mail to every active account with this address (none for an unknown one)."""
    form = _ResetMail({"email": email})
    if form.is_valid():
        form.save(domain_override=domain, use_https=use_https)


class PasswordResetView(auth_views.PasswordResetView):
    """Django's page, with the request counted and the mail handed to the queue."""

    def form_valid(self, form):
        refusal = reset_request(
            email=form.cleaned_data["email"],
            address=client_address(self.request) or "",
            domain=self.request.get_host(),
            use_https=self.request.is_secure(),
        )
        if refusal:
            form.add_error(None, refusal)
            response = self.form_invalid(form)
            response.status_code = 429
            return response
        return HttpResponseRedirect(self.get_success_url())
