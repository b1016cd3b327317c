"""A second factor at login: required of the Department's administrators, offered to everyone else.

The codes are computed here from the device's key as an authenticator app would (RFC 6238), at the current time
step or the next one: a code once accepted is never accepted again.
"""

import time
from urllib.parse import quote

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from scoring.permissions import UNIT_STAFF
from tests.scoring.workflow_cast import user
from tests.test_settings import manage

PASSWORD = "mat-khau-dai-123"
SETUP = "/xac-thuc-hai-buoc/thiet-lap/"
VERIFY = "/xac-thuc-hai-buoc/"


def code(device: TOTPDevice, steps_ahead: int = 0) -> str:
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():06d}"


def signed_in(username: str) -> Client:
    client = Client()
    assert client.post("/dang-nhap/", {"username": username, "password": PASSWORD}).status_code == 302
    return client


@pytest.fixture
def required(settings):
    settings.ADMIN_SECOND_FACTOR = True


def test_an_administrator_without_an_app_is_sent_to_set_one_up_and_nowhere_else(administrator, required, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    client = signed_in("quantri")
    for page in ("/cham-diem/", "/quan-tri/", "/viec/00000000-0000-0000-0000-000000000000/"):
        response = client.get(page)
        assert response.status_code == 302 and response["Location"] == f"{SETUP}?next={quote(page, safe='')}"
    assert client.post("/cham-diem/").status_code == 302
    page = client.get(f"{SETUP}?next=/cham-diem/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "phải bật xác thực hai bước trước khi làm việc" in text
    assert 'src="data:image/svg+xml' in text  # the QR code, allowed by the page's CSP (img-src data:)
    assert "Tắt xác thực hai bước" not in text
    device = TOTPDevice.objects.get(user=administrator, confirmed=False)
    assert "otpauth://totp/C%E1%BB%95ng%20CCHC%3Aquantri" in device.config_url  # "Cổng CCHC:quantri" in the app
    wrong = client.post(SETUP, {"code": "000000" if code(device) != "000000" else "111111", "next": "/cham-diem/"})
    assert wrong.status_code == 400 and "Mã không đúng" in wrong.content.decode()
    done = client.post(SETUP, {"code": code(device, 1), "next": "/cham-diem/"})
    assert done.status_code == 302 and done["Location"] == "/cham-diem/"
    assert TOTPDevice.objects.get(user=administrator).confirmed
    assert client.get("/cham-diem/").status_code == 200
    assert client.get(SETUP).content.decode().count("luôn phải dùng xác thực hai bước") == 1


def test_an_administrator_with_an_app_gives_a_code_after_the_password(administrator, required, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # the wrong tries below would otherwise make the right one wait
    device = TOTPDevice.objects.create(user=administrator, name="điện thoại", confirmed=True)
    client = signed_in("quantri")
    response = client.get("/cham-diem/")
    assert response.status_code == 302 and response["Location"].startswith(VERIFY)
    assert client.get(SETUP).status_code == 302  # no second app added before the first one's code
    assert TOTPDevice.objects.filter(user=administrator).count() == 1
    assert "mã 6 chữ số" in client.get(response["Location"]).content.decode()
    bad = client.post(VERIFY, {"code": "12ab56", "next": "/cham-diem/"})
    assert bad.status_code == 400 and "đúng 6 chữ số" in bad.content.decode()
    right = code(device)
    wrong = client.post(VERIFY, {"code": "000000" if right != "000000" else "111111", "next": "/cham-diem/"})
    assert wrong.status_code == 400 and "Mã không đúng" in wrong.content.decode()
    # A next that leaves the portal is not followed.
    done = client.post(VERIFY, {"code": f"{right[:3]} {right[3:]}", "next": "https://ke-gian.example/"})
    assert done.status_code == 302 and done["Location"] == "/cham-diem/"
    assert client.get("/cham-diem/").status_code == 200
    # The same code again, in a new session: refused (one use only).
    again = signed_in("quantri")
    assert again.post(VERIFY, {"code": right}).status_code == 400


def test_wrong_codes_make_the_next_try_wait(administrator, required):
    device = TOTPDevice.objects.create(user=administrator, name="điện thoại", confirmed=True)
    client = signed_in("quantri")
    right = code(device)
    client.post(VERIFY, {"code": "000000" if right != "000000" else "111111"})
    assert client.post(VERIFY, {"code": right}).status_code == 400  # throttled: even the right code waits
    assert client.get("/cham-diem/").status_code == 302


def test_others_may_turn_it_on_and_then_must_give_codes(db, required, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    user("canbo.a", UNIT_STAFF)
    client = signed_in("canbo.a")
    assert client.get("/cham-diem/").status_code == 200  # not required
    page = client.get("/cham-diem/").content.decode()
    assert f'href="{SETUP}"' in page and "Xác thực hai bước" in page
    assert "Không bắt buộc, nhưng nên bật" in client.get(SETUP).content.decode()
    device = TOTPDevice.objects.get(user__username="canbo.a")
    assert client.post(SETUP, {"code": code(device)}).status_code == 302
    client.post("/dang-xuat/")
    later = signed_in("canbo.a")
    assert later.get("/cham-diem/")["Location"].startswith(VERIFY)
    later.post(VERIFY, {"code": code(device, 1)})
    assert later.get("/cham-diem/").status_code == 200
    assert later.post("/xac-thuc-hai-buoc/tat/").status_code == 302
    assert not TOTPDevice.objects.filter(user__username="canbo.a").exists()


def test_an_administrator_cannot_turn_it_off(administrator, required):
    device = TOTPDevice.objects.create(user=administrator, name="điện thoại", confirmed=True)
    client = signed_in("quantri")
    client.post(VERIFY, {"code": code(device)})
    response = client.post("/xac-thuc-hai-buoc/tat/", follow=True)
    assert "không tắt được" in response.content.decode()
    assert TOTPDevice.objects.filter(user=administrator).exists()


def test_a_lost_phone_is_removed_from_the_server_and_the_next_login_sets_up_a_new_one(administrator, required, capsys):
    TOTPDevice.objects.create(user=administrator, name="điện thoại", confirmed=True)
    call_command("remove_second_factor", "quantri")
    assert "Đã gỡ ứng dụng xác thực của quantri" in capsys.readouterr().out
    assert signed_in("quantri").get("/cham-diem/")["Location"].startswith(SETUP)
    with pytest.raises(CommandError, match="Không có tài khoản"):
        call_command("remove_second_factor", "khong-co")


def test_production_requires_it_and_a_development_machine_does_not():
    show = "from django.conf import settings; print(settings.ADMIN_SECOND_FACTOR)"
    production = manage("shell", "-c", show, DEBUG="0", SECRET_KEY="x" * 50, ALLOWED_HOSTS="cchc.example.gov.vn")
    assert production.stdout.splitlines()[-1] == "True", production.stderr
    development = manage("shell", "-c", show, DEBUG="1")
    assert development.stdout.splitlines()[-1] == "False", development.stderr
