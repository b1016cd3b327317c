"""The lockout attack through a real nginx running the server block of docs/deploy.md, in front of the portal.

Clients connect from different loopback addresses (127.0.0.2, 127.0.0.3…), so nginx sees each one's own
address while the portal sees every request come from nginx's 127.0.0.1, as in production. Where nginx is
missing the test is skipped locally; CI installs it (nginx-light) and sets CI=true, so there it always runs.
"""

import http.client
import os
import re
import shutil
import socket
from pathlib import Path
from urllib.parse import urlencode, urlparse

import pytest
from axes.models import AccessAttempt, AccessLog

from benchmarks.nginx import nginx as run_nginx
from tests.scoring.workflow_cast import user

ROOT = Path(__file__).resolve().parents[1]
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
PASSWORD = "mat-khau-dai-123"

pytestmark = pytest.mark.django_db(transaction=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def nginx(live_server, tmp_path, settings):
    if not NGINX:
        if os.environ.get("CI"):
            pytest.fail("nginx is not installed; .ci/run installs Debian's nginx-light package.")
        pytest.skip("nginx is not installed (apt-get install nginx-light).")
    # As BEHIND_TLS_PROXY=1 sets it in production.
    settings.TRUSTED_PROXIES = ["127.0.0.1", "::1"]
    upstream = urlparse(live_server.url)
    port = free_port()
    # The documented blocks (the page cache's http-level file and the server block), as an operator copies them,
    # run as the benchmark runs them.
    try:
        with run_nginx(tmp_path, port, f"{upstream.hostname}:{upstream.port}"):
            yield port
    except RuntimeError as exc:  # nginx did not start: its output and error log say why
        pytest.fail(str(exc))


class Browser:
    """One person at one address: keeps cookies, sends the login form with its CSRF token."""

    def __init__(self, port: int, source: str):
        self.port, self.source, self.cookies = port, source, {}

    def request(self, method: str, path: str, body: dict | None = None, headers: dict | None = None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30, source_address=(self.source, 0))
        sent = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()), **(headers or {})}
        payload = None
        if body is not None:
            payload = urlencode(body)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, payload, sent)
        response = connection.getresponse()
        text = response.read().decode()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        connection.close()
        return response.status, text

    def login(self, username: str, password: str, forged: str | None = None) -> int:
        status, page = self.request("GET", "/dang-nhap/")
        assert status == 200, page
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        headers = {"X-Forwarded-For": forged} if forged else {}
        form = {"csrfmiddlewaretoken": token, "username": username, "password": password, "next": ""}
        status, _ = self.request("POST", "/dang-nhap/", form, headers)
        return status


def test_through_nginx_made_up_names_from_one_address_lock_nobody_else(nginx, settings):
    user("quantri")
    user("canbo.noivu")
    attacker = Browser(nginx, "127.0.0.2")
    # The measured attack: five made-up names, each with a different forged X-Forwarded-For.
    answers = [attacker.login(f"khong-co-{n}", "sai", forged=f"10.9.9.{n}") for n in range(settings.AXES_FAILURE_LIMIT)]
    assert answers == [200] * settings.AXES_FAILURE_LIMIT  # before: [200, 200, 200, 200, 429]
    # Each made-up name from the attacker's real address; neither nginx's nor a forged one.
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"127.0.0.2"}
    # before: 429 and 429
    assert Browser(nginx, "127.0.0.1").login("canbo.noivu", PASSWORD) == 302
    assert Browser(nginx, "127.0.0.3").login("quantri", PASSWORD) == 302

    # Now at the administrator: five wrong passwords lock quantri from 127.0.0.2 only, and the lock is not
    # renewed by trying again.
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attacker.login("quantri", "doan-mo", forged="127.0.0.3")
    locked_at = AccessAttempt.objects.get(username="quantri").attempt_time
    assert attacker.login("quantri", "doan-mo-nua") == 429
    assert attacker.login("quantri", PASSWORD) == 429
    assert AccessAttempt.objects.get(username="quantri").attempt_time == locked_at
    assert Browser(nginx, "127.0.0.3").login("quantri", PASSWORD) == 302
    assert set(AccessLog.objects.values_list("ip_address", flat=True)) == {"127.0.0.1", "127.0.0.3"}


def test_nginx_does_not_announce_its_version(nginx):
    """The documented server block says `server_tokens off`: `Server: nginx`, never `nginx/1.22.1`, on a page and
    on nginx's own error page."""
    for path in ("/", "/%"):  # a page of the portal, and a request nginx itself refuses (400)
        connection = http.client.HTTPConnection("127.0.0.1", nginx, timeout=30)
        connection.request("GET", path)
        response = connection.getresponse()
        body = response.read().decode(errors="replace")
        connection.close()
        assert response.getheader("Server") == "nginx", (path, response.getheader("Server"))
        assert not re.search(r"nginx/\d", body), path


def test_nginx_keeps_public_pages_for_readers_and_never_a_signed_in_persons(nginx):
    """The documented page cache: a second anonymous reader gets the page from nginx without reaching the portal;
    a signed-in person always reaches the portal and sees their own page, which no reader is ever given."""
    from django.core.signals import request_started

    reached = []
    counter = lambda **kwargs: reached.append(kwargs.get("environ", {}).get("PATH_INFO"))  # noqa: E731
    request_started.connect(counter)
    try:
        user("canbo.noivu")
        first, again = Browser(nginx, "127.0.0.2"), Browser(nginx, "127.0.0.3")
        status, anonymous = first.request("GET", "/")
        assert status == 200 and "Đăng xuất" not in anonymous
        assert again.request("GET", "/") == (200, anonymous)
        assert reached.count("/") == 1  # the second reader was answered by nginx

        staff = Browser(nginx, "127.0.0.4")
        assert staff.login("canbo.noivu", PASSWORD) == 302
        status, signed_in = staff.request("GET", "/")
        assert status == 200 and "Đăng xuất (canbo.noivu)" in signed_in
        assert reached.count("/") == 2  # passed through, not the kept anonymous page
        for reader in (first, again, Browser(nginx, "127.0.0.5")):
            status, page = reader.request("GET", "/")
            assert status == 200 and "canbo.noivu" not in page
    finally:
        request_started.disconnect(counter)
