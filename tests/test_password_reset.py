"""The page "Quên mật khẩu" keeps no web worker waiting on the mail server: the mail goes out from the job queue
and every mail the portal sends gives up after EMAIL_TIMEOUT; requests are limited per e-mail address, per client
address and per account, with the same answer and the same work whether an account has the address or not."""

import re
import socket
import threading
import time
from types import SimpleNamespace

import pytest
from django.core import mail
from django.core.mail import send_mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from scoring.accounts import reset
from scoring.permissions import UNIT_STAFF
from tests.conftest import work
from tests.scoring.workflow_cast import user

URL = "/quen-mat-khau/"
KNOWN = "canbo.quen@sonoivu.example.gov.vn"
UNKNOWN = "khong-co-ai@sonoivu.example.gov.vn"


@pytest.fixture
def account(db):
    person = user("canbo.quen", UNIT_STAFF)
    person.email = KNOWN
    person.save()
    return person


@pytest.fixture
def silent_smtp():
    """An SMTP server that accepts the connection and never says a word (the attack's hanging server)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join()
    for sock in held:
        sock.close()
    listener.close()


@pytest.fixture
def smtp_to(settings):
    def use(port: int) -> None:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", port, False

    return use


def ask(email: str, address: str = "10.0.0.1", client: Client | None = None):
    return (client or Client()).post(URL, {"email": email}, REMOTE_ADDR=address)


def test_every_mail_gives_up_on_a_server_that_never_answers_after_email_timeout(settings, silent_smtp, smtp_to):
    assert settings.EMAIL_TIMEOUT == 10  # the default: no mail waits without limit
    smtp_to(silent_smtp)
    settings.EMAIL_TIMEOUT = 1
    started = time.monotonic()
    with pytest.raises(OSError, match="timed out"):  # the greeting never comes
        send_mail("Thử", "Nội dung", None, ["ai-do@example.gov.vn"])
    assert time.monotonic() - started < 3


def test_a_reset_answers_at_once_with_a_hanging_mail_server_and_the_queued_mail_gives_up(
    account,
    settings,
    silent_smtp,
    smtp_to,
    queue,
    caplog,
):
    smtp_to(silent_smtp)
    settings.EMAIL_TIMEOUT = 4  # long enough that a busy test machine answers a page well within it
    timings = []
    for n in range(1, 3):
        started = time.monotonic()
        response = ask(KNOWN, address=f"10.0.0.{n}")
        timings.append(time.monotonic() - started)
        assert response.status_code == 302
    # A mail sent in the request would hold each answer at least EMAIL_TIMEOUT (before: 70 s and more each).
    assert max(timings) < settings.EMAIL_TIMEOUT
    assert queue.count == 2
    started = time.monotonic()
    work(queue)  # the worker meets the silent server: each mail is given up after EMAIL_TIMEOUT, and logged
    assert time.monotonic() - started < 2 * settings.EMAIL_TIMEOUT + 6
    assert queue.count == 0
    assert caplog.text.count("Failed to send password reset email") == 2


def test_without_redis_a_hanging_mail_server_holds_neither_the_page_nor_the_worker_for_long(
    account, settings, silent_smtp, smtp_to, caplog
):
    from django.core.management import call_command

    settings.JOBS_EAGER, settings.JOBS_QUEUE = False, "database"  # no Redis: one small server, `run_jobs`
    smtp_to(silent_smtp)
    settings.EMAIL_TIMEOUT = 4
    for email, address in ((KNOWN, "10.0.4.1"), (UNKNOWN, "10.0.4.2")):
        started = time.monotonic()
        assert ask(email, address=address).status_code == 302
        assert time.monotonic() - started < settings.EMAIL_TIMEOUT  # not waiting on the silent server
    started = time.monotonic()
    call_command("run_jobs", "--once", verbosity=0)  # the worker meets the silent server and gives up
    assert time.monotonic() - started < 2 * settings.EMAIL_TIMEOUT + 6
    assert caplog.text.count("Failed to send password reset email") == 1  # the registered one, given up


def test_without_redis_a_known_and_an_unknown_address_cost_the_page_the_same_queries(account, settings):
    from django.core.management import call_command

    settings.JOBS_EAGER, settings.JOBS_QUEUE = False, "database"
    client = Client()
    client.get(URL)
    seen = {}
    for email in (KNOWN, UNKNOWN):
        with CaptureQueriesContext(connection) as queries:
            assert ask(email, client=client).status_code == 302
        # The statements, their values aside (the job's id and time differ by nature).
        seen[email] = [re.sub(r"'[^']*'", "?", q["sql"]) for q in queries]
    assert seen[KNOWN] == seen[UNKNOWN]
    assert not any("auth_user" in sql for sql in seen[KNOWN])  # the accounts are read by the job alone
    call_command("run_jobs", "--once", verbosity=0)
    assert [m.to for m in mail.outbox] == [[KNOWN]]


def test_the_queued_job_sends_the_mail_with_the_link_to_the_host_that_was_asked(account, queue, settings):
    settings.ALLOWED_HOSTS = ["cchc.example.gov.vn"]
    response = Client().post(URL, {"email": KNOWN.upper()}, HTTP_HOST="cchc.example.gov.vn", secure=True)
    assert response.status_code == 302 and response["Location"] == "/quen-mat-khau/da-gui/"
    assert mail.outbox == [] and queue.count == 1  # nothing sent in the request
    work(queue)
    (message,) = mail.outbox
    assert message.to == [KNOWN] and "https://cchc.example.gov.vn/dat-lai-mat-khau/" in message.body


def test_a_known_and_an_unknown_address_cost_the_page_the_same_queries_and_one_queued_job_each(
    account,
    queue,
):
    client = Client()
    client.get(URL)  # the session and the CSRF machinery warmed up alike for both
    seen = {}
    for email in (KNOWN, UNKNOWN):
        with CaptureQueriesContext(connection) as queries:
            response = ask(email, client=client)
        assert response.status_code == 302 and response["Location"] == "/quen-mat-khau/da-gui/"
        seen[email] = [q["sql"] for q in queries]
    assert seen[KNOWN] == seen[UNKNOWN]
    assert not any("auth_user" in sql for sql in seen[KNOWN])  # the accounts are read by the job alone
    assert queue.count == 2 and mail.outbox == []
    work(queue)
    assert [m.to for m in mail.outbox] == [[KNOWN]]


@pytest.mark.parametrize("email", [KNOWN, UNKNOWN])
def test_the_fourth_request_for_an_address_within_the_hour_is_refused_alike_for_known_and_unknown(account, email):
    for n in range(3):
        assert ask(email, address=f"10.0.1.{n}").status_code == 302
    refused = ask(email, address="10.0.1.99")
    assert refused.status_code == 429
    page = refused.content.decode()
    assert "Đã có nhiều yêu cầu đặt lại mật khẩu cho địa chỉ này hoặc từ máy này trong 60 phút qua" in page
    assert ask(email.upper(), address="10.0.1.98").status_code == 429  # the same address in capitals
    assert len(mail.outbox) == (3 if email == KNOWN else 0)


def test_the_counts_are_kept_where_every_worker_sees_them_for_the_whole_window(account, monkeypatch):
    from django.core.cache import caches

    clock = SimpleNamespace(now=1_800_000_000 // 3600 * 3600 + 1.0)  # just after a window starts
    monkeypatch.setattr(time, "time", lambda: clock.now)  # the portal's clock and the file cache's
    for n in range(3):
        assert ask(KNOWN, address=f"10.0.5.{n}").status_code == 302
    caches["default"].clear()  # a worker's own memory: not where the counts are
    assert ask(KNOWN, address="10.0.5.9").status_code == 429
    clock.now += 50 * 60  # past the cache's default lifetime (300 s), within the hour
    assert ask(KNOWN, address="10.0.5.10").status_code == 429
    clock.now += 10 * 60  # the next window
    assert ask(KNOWN, address="10.0.5.11").status_code == 302


def test_one_client_address_may_ask_for_twenty_addresses_within_the_hour_then_is_refused(account, settings):
    assert settings.PASSWORD_RESET_PER_ADDRESS == 20
    for n in range(20):
        assert ask(f"ai-{n}@example.gov.vn", address="10.0.2.1").status_code == 302
    assert ask(KNOWN, address="10.0.2.1").status_code == 429
    assert ask(KNOWN, address="10.0.2.2").status_code == 302  # another address is not held back by it
    assert len(mail.outbox) == 1


def test_behind_the_proxy_the_address_counted_is_the_one_nginx_appended(account, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]  # behind the documented nginx
    for n in range(20):
        # A client that makes up its own X-Forwarded-For still arrives with the address nginx saw appended.
        forged = f"192.0.2.{n}, 10.0.3.1"
        response = Client().post(
            URL, {"email": f"ai-{n}@example.gov.vn"}, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=forged
        )
        assert response.status_code == 302
    refused = Client().post(URL, {"email": KNOWN}, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="10.0.3.1")
    assert refused.status_code == 429
    other = Client().post(URL, {"email": KNOWN}, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="10.0.3.2")
    assert other.status_code == 302


def test_an_account_gets_at_most_three_mails_within_the_hour_however_the_job_is_reached(account):
    for _ in range(5):
        reset.send_reset_mail(KNOWN, "cchc.example.gov.vn", True)
    assert len(mail.outbox) == 3


def test_without_redis_the_mail_waits_in_the_database_for_run_jobs(account, settings):
    from django.core.management import call_command

    from scoring.models import Job

    settings.JOBS_EAGER, settings.JOBS_QUEUE = False, "database"
    response = Client().post(URL, {"email": KNOWN})
    assert response.status_code == 302 and not mail.outbox  # nothing sent inside the request
    assert Job.objects.get().status == Job.Status.QUEUED
    call_command("run_jobs", "--once", verbosity=0)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [KNOWN]
