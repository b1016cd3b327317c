"""Staff accounts: logins throttled per account and address, passwords changed and reset by every role,
sessions that end when idle, the demonstration password refused."""

import logging
import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from cchc_portal.passwords import DEMO_PASSWORD
from scoring.permissions import APPRAISER, UNIT_STAFF
from tests.scoring.workflow_cast import user

PASSWORD = "mat-khau-dai-123"
LOGIN = "/dang-nhap/"


def attempt(client: Client, username: str, password: str, address: str = "10.0.0.1"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


@pytest.fixture
def staff(db):
    return user("canbo.a", UNIT_STAFF)


def test_five_wrong_passwords_lock_the_account_from_that_address_even_for_the_right_one(staff, settings, caplog):
    client = Client()
    with caplog.at_level(logging.INFO, logger="axes"):
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            assert attempt(client, "canbo.a", "sai-mat-khau").status_code == 200
        locked = attempt(client, "canbo.a", "sai-mat-khau")
        again = attempt(client, "canbo.a", PASSWORD)  # the right one, from the same address, is refused too
    assert locked.status_code == 429 and again.status_code == 429
    page = again.content.decode()
    assert "Tạm khóa đăng nhập" in page and "15 phút" in page and "quản trị Sở Nội vụ" in page
    assert "_auth_user_id" not in client.session
    logged = [r.getMessage() for r in caplog.records]
    assert any("canbo.a" in m and "10.0.0.1" in m and "Locking out" in m for m in logged), logged
    assert AccessAttempt.objects.get(username="canbo.a").failures_since_start == settings.AXES_FAILURE_LIMIT
    # The owner, elsewhere, is not locked out by whoever typed those passwords.
    assert attempt(Client(), "canbo.a", PASSWORD, address="10.0.0.2").status_code == 302


def test_wrong_passwords_for_many_accounts_from_one_address_lock_none_of_the_real_ones(staff):
    client = Client()
    for n in range(10):
        assert attempt(client, f"khong-co-{n}", "sai", address="10.0.0.9").status_code == 200
    assert attempt(client, "canbo.a", PASSWORD, address="10.0.0.9").status_code == 302
    assert attempt(Client(), "canbo.a", PASSWORD, address="10.0.0.10").status_code == 302


def test_a_locked_attempt_hashes_no_password(staff, monkeypatch):
    """Once locked, a flood costs no hashing: public pages keep the workers' time."""
    client = Client()
    for _ in range(5):
        attempt(client, "canbo.a", "sai")
    from django.contrib.auth import hashers

    calls = []
    real = hashers.check_password
    monkeypatch.setattr(hashers, "check_password", lambda *a, **k: calls.append(1) or real(*a, **k))
    for _ in range(20):
        assert attempt(client, "canbo.a", "sai").status_code == 429
    assert calls == []


def test_the_lock_lifts_after_the_cool_off_or_when_an_administrator_unlocks(staff):
    client = Client()
    for _ in range(5):
        attempt(client, "canbo.a", "sai")
    assert attempt(client, "canbo.a", PASSWORD).status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert attempt(client, "canbo.a", PASSWORD).status_code == 302
    Client().post("/dang-xuat/")
    for _ in range(5):
        attempt(Client(), "canbo.a", "sai", address="10.0.0.2")
    assert attempt(Client(), "canbo.a", PASSWORD, address="10.0.0.2").status_code == 429
    call_command("axes_reset_username", "canbo.a")
    assert attempt(Client(), "canbo.a", PASSWORD, address="10.0.0.2").status_code == 302


@pytest.mark.parametrize("role", [UNIT_STAFF, APPRAISER])
def test_every_role_changes_its_own_password_and_weak_or_demo_ones_are_refused(db, role):
    account = user("nguoi-dung", role)
    client = Client()
    client.force_login(account)
    form = {"old_password": PASSWORD}
    weak_ones = (("12345678901", "hoàn toàn là số"), ("ngan", "quá ngắn"), (DEMO_PASSWORD, "mật khẩu dùng thử"))
    for weak, reason in weak_ones:
        response = client.post("/doi-mat-khau/", {**form, "new_password1": weak, "new_password2": weak})
        assert response.status_code == 200 and reason in response.content.decode(), weak
    strong = "Cay-lua-Quang-Dien-2026"
    response = client.post("/doi-mat-khau/", {**form, "new_password1": strong, "new_password2": strong})
    assert response.status_code == 302 and response["Location"] == "/doi-mat-khau/xong/"
    account.refresh_from_db()
    assert account.check_password(strong)


def test_a_forgotten_password_is_reset_by_email_in_vietnamese(db):
    account = user("canbo.quen", UNIT_STAFF)
    account.email = "canbo.quen@sonoivu.example.gov.vn"
    account.save()
    response = Client().post("/quen-mat-khau/", {"email": account.email})
    assert response.status_code == 302 and response["Location"] == "/quen-mat-khau/da-gui/"
    (message,) = mail.outbox
    assert message.to == [account.email] and "Đặt lại mật khẩu tài khoản canbo.quen" in message.subject
    link = re.search(r"https?://[^/]+(/dat-lai-mat-khau/\S+/)", message.body).group(1)
    client = Client()
    form_page = client.get(link, follow=True)
    assert "Đặt mật khẩu mới" in form_page.content.decode()
    new = "Song-Huong-Nui-Ngu-2026"
    done = client.post(form_page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert done.status_code == 302
    account.refresh_from_db()
    assert account.check_password(new)
    assert Client().post("/quen-mat-khau/", {"email": "khong-co@example.gov.vn"}).status_code == 302
    assert len(mail.outbox) == 1  # an unknown address gets no mail, and the page says the same


def test_a_session_ends_after_half_an_hour_idle_and_each_request_extends_it(staff, settings):
    assert settings.SESSION_COOKIE_AGE == 30 * 60 and not settings.SESSION_SAVE_EVERY_REQUEST
    client = Client()
    assert attempt(client, "canbo.a", PASSWORD).status_code == 302
    session = Session.objects.get()
    left = session.expire_date - timezone.now()
    assert timedelta(minutes=29) < left <= timedelta(minutes=30)
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get("/cham-diem/")
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    # The login page the person lands on says why they are there.
    page = client.get(response["Location"]).content.decode()
    assert "Phiên làm việc đã hết hạn" in page and 'name="next" value="/cham-diem/"' in page
    assert "Phiên làm việc đã hết hạn" not in client.get(LOGIN).content.decode()  # said once


def test_the_login_page_says_a_session_ended_only_when_one_did(staff):
    assert "Phiên làm việc đã hết hạn" not in Client().get(LOGIN).content.decode()  # never signed in
    client = Client()
    assert attempt(client, "canbo.a", PASSWORD).status_code == 302
    assert client.post("/dang-xuat/").status_code == 302  # signing out deletes the cookie
    assert "Phiên làm việc đã hết hạn" not in client.get(LOGIN).content.decode()
    client = Client()
    assert attempt(client, "canbo.a", PASSWORD).status_code == 302
    Session.objects.all().delete()  # the store forgot it (expired and cleared)
    assert "Phiên làm việc đã hết hạn" in client.get(LOGIN).content.decode()
    # A wrong password on that page shows the error, not the notice.
    wrong = attempt(client, "canbo.a", "sai-mat-khau").content.decode()
    assert "Phiên làm việc đã hết hạn" not in wrong


class Clock:
    """The time as the session store and cchc_portal.idle_sessions read it, moved on by hand."""

    def __init__(self, monkeypatch):
        import time

        from cchc_portal import idle_sessions

        self.offset, real_now, real_time = 0.0, timezone.now, time.time
        monkeypatch.setattr(timezone, "now", lambda: real_now() + timedelta(seconds=self.offset))
        fake = type("FakeTime", (), {"time": staticmethod(lambda: real_time() + self.offset)})
        monkeypatch.setattr(idle_sessions, "time", fake)

    def wait(self, seconds: float) -> None:
        self.offset += seconds


def session_writes(client: Client, path: str = "/cham-diem/") -> list[str]:
    """The statements a signed-in GET of `path` sent that write the session row."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return [q["sql"] for q in captured.captured_queries if "django_session" in q["sql"] and "SELECT" not in q["sql"]]


def test_a_request_within_a_minute_of_the_last_write_leaves_the_session_row_alone(staff, monkeypatch):
    clock = Clock(monkeypatch)
    client = Client()
    assert attempt(client, "canbo.a", PASSWORD).status_code == 302
    written = Session.objects.get()
    for _ in range(3):
        clock.wait(19)
        assert session_writes(client) == []
    assert Session.objects.get() == written and Session.objects.get().expire_date == written.expire_date
    assert Session.objects.get().session_data == written.session_data
    clock.wait(4)  # 61 seconds after the login's write: this request moves the expiry, in one statement
    assert len(session_writes(client)) == 1
    moved = Session.objects.get().expire_date - written.expire_date
    assert timedelta(seconds=60) < moved < timedelta(seconds=62)
    clock.wait(30)
    assert session_writes(client) == []


def test_a_session_idle_longer_than_the_limit_is_signed_out_though_it_was_used_after_its_last_write(
    staff, settings, monkeypatch
):
    clock = Clock(monkeypatch)
    client = Client()
    assert attempt(client, "canbo.a", PASSWORD).status_code == 302
    clock.wait(50)
    assert session_writes(client) == []  # used, not written
    clock.wait(settings.SESSION_COOKIE_AGE + 1)  # then idle for longer than the limit
    response = client.get("/cham-diem/")
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert not Session.objects.filter(expire_date__gt=timezone.now()).exists()


def test_a_session_used_every_few_minutes_lives_on_past_the_limit(staff, settings, monkeypatch):
    clock = Clock(monkeypatch)
    client = Client()
    assert attempt(client, "canbo.a", PASSWORD).status_code == 302
    for _ in range(4):  # two hours in all, never idle for half an hour
        clock.wait(settings.SESSION_COOKIE_AGE - 60)
        assert client.get("/cham-diem/").status_code == 200
    assert Session.objects.count() == 1


@pytest.mark.parametrize("minutes", [1, 2])
def test_a_short_idle_limit_still_keeps_a_session_in_use_alive(staff, settings, monkeypatch, minutes):
    """SESSION_IDLE_MINUTES=1: written only once a minute, a session used every 20 seconds ended at its first
    minute, as if it had been idle; a limit of 2 minutes ended one used every 50 seconds after 70 idle seconds."""
    settings.SESSION_COOKIE_AGE = minutes * 60
    clock = Clock(monkeypatch)
    client = Client()
    assert attempt(client, "canbo.a", PASSWORD).status_code == 302
    step = 20 if minutes == 1 else 50
    for _ in range(11):
        clock.wait(step)
        assert client.get("/cham-diem/").status_code == 200
    clock.wait(settings.SESSION_COOKIE_AGE * 0.85)  # idle for less than the limit, by more than a tenth of it
    assert client.get("/cham-diem/").status_code == 200
    clock.wait(settings.SESSION_COOKIE_AGE + 1)
    assert client.get("/cham-diem/").status_code == 302


def test_the_time_left_the_entry_page_counts_down_from_is_from_the_last_write(staff):
    from cchc_portal import idle_sessions

    client = Client()
    assert attempt(client, "canbo.a", PASSWORD).status_code == 302
    session = client.session
    written = session[idle_sessions.SEEN]
    assert idle_sessions.seconds_left(session, written) == 30 * 60
    assert idle_sessions.seconds_left(session, written + 45) == 30 * 60 - 45  # this request will not write it
    assert idle_sessions.seconds_left(session, written + 60) == 30 * 60  # this one will


def test_the_demo_password_is_refused_for_a_new_account_from_the_command_line(db):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="mật khẩu dùng thử"):
        validate_password(DEMO_PASSWORD, get_user_model()(username="moi"))


def test_the_call_that_keeps_a_session_alive_tells_the_page_how_long_it_now_has(staff, settings, monkeypatch):
    """The entry page counts down from what it was told when drawn; after it keeps the session alive it must count
    from what the session has then: the whole limit when this call wrote it, less when a call a moment before did."""
    clock = Clock(monkeypatch)
    client = Client()
    assert attempt(client, "canbo.a", PASSWORD).status_code == 302
    clock.wait(200)
    assert client.get("/cham-diem/con-phien/").json()["seconds"] == settings.SESSION_COOKIE_AGE  # written now
    clock.wait(45)
    left = client.get("/cham-diem/con-phien/").json()["seconds"]  # not written: counted from its whole second
    assert settings.SESSION_COOKIE_AGE - 46 <= left <= settings.SESSION_COOKIE_AGE - 45
