"""Login lockouts that stop an attacker without locking out the people who use the portal.

The attack they answer (shared/reviews/attack-2026-12.md, finding 1): behind nginx every request came from
127.0.0.1, so five wrong logins with made-up names locked every account; each refused attempt renewed the
cool-off; every refused attempt appended a kilobyte to one row. tests/test_lockouts_nginx.py runs the same
attack through a real nginx with the documented configuration.
"""

import logging
from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessLog
from django.contrib.auth.tokens import default_token_generator
from django.core.management import CommandError, call_command
from django.test import Client, RequestFactory
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from cchc_portal.addresses import client_address
from scoring.permissions import ADMINISTRATOR, UNIT_STAFF
from tests.scoring.workflow_cast import user
from tests.test_settings import manage

PASSWORD = "mat-khau-dai-123"
LOGIN = "/dang-nhap/"


def seen(remote: str, forwarded: str | None = None, **meta) -> str | None:
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_address(RequestFactory().get("/", REMOTE_ADDR=remote, **meta))


def test_without_a_trusted_proxy_the_address_is_the_connection_and_the_header_is_ignored(settings):
    settings.TRUSTED_PROXIES = []
    assert seen("203.0.113.7") == "203.0.113.7"
    assert seen("127.0.0.1", "198.51.100.1") == "127.0.0.1"  # anyone can write the header
    assert seen("", "198.51.100.1") is None


def test_behind_the_proxy_the_address_nginx_saw_is_used_and_a_forged_header_is_not(settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1", "::1"]
    # nginx appends the address it saw ($proxy_add_x_forwarded_for): the client's own text stays on the left.
    assert seen("127.0.0.1", "203.0.113.7") == "203.0.113.7"
    assert seen("127.0.0.1", "10.9.9.9, 1.2.3.4, 203.0.113.7") == "203.0.113.7"
    assert seen("::1", "2001:db8::5") == "2001:db8::5"
    assert seen("127.0.0.1", "::ffff:203.0.113.7") == "203.0.113.7"
    # A forged header from anywhere but the proxy is ignored.
    assert seen("203.0.113.8", "10.9.9.9") == "203.0.113.8"
    # No header, or garbage where nginx's entry should be: the proxy itself, never the garbage.
    assert seen("127.0.0.1") == "127.0.0.1"
    assert seen("127.0.0.1", "203.0.113.7, không-phải-địa-chỉ") == "127.0.0.1"
    # gunicorn on a Unix socket: no peer address, and only a local process (the proxy) can connect.
    assert seen("", "203.0.113.7") == "203.0.113.7"


def test_a_chain_of_trusted_proxies_is_walked_back_to_the_first_untrusted_address(settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1", "10.1.0.0/16"]
    assert seen("127.0.0.1", "6.6.6.6, 203.0.113.7, 10.1.2.3") == "203.0.113.7"


def test_a_bad_trusted_proxy_setting_stops_start_up_with_a_message():
    result = manage("check", DEBUG="1", TRUSTED_PROXIES="127.0.0.1,nginx")
    assert result.returncode != 0
    assert "TRUSTED_PROXIES" in result.stderr and "'nginx'" in result.stderr


def test_production_behind_the_proxy_trusts_only_the_local_nginx():
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.TRUSTED_PROXIES)",
        DEBUG="1",
        BEHIND_TLS_PROXY="1",
    )
    assert result.stdout.splitlines()[-1] == "['127.0.0.1', '::1']", result.stdout + result.stderr


def login(username, password, *, via="127.0.0.1", client_ip=None, client=None):
    """A login POST; with client_ip, it arrives as through nginx: from `via`, with the header nginx adds."""
    extra = {"REMOTE_ADDR": via}
    if client_ip:
        extra["HTTP_X_FORWARDED_FOR"] = client_ip
    return (client or Client()).post(LOGIN, {"username": username, "password": password}, **extra)


@pytest.fixture
def behind_nginx(settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]


@pytest.fixture
def administrator_and_unit_staff(db):
    return user("quantri", ADMINISTRATOR), user("canbo.noivu", UNIT_STAFF)


def test_made_up_names_from_one_address_behind_the_proxy_lock_nobody_else(
    administrator_and_unit_staff, behind_nginx, settings
):
    """The attack as measured: 5 made-up names, each with a forged X-Forwarded-For, from 127.0.0.2."""
    for n in range(settings.AXES_FAILURE_LIMIT):
        response = login(f"khong-co-{n}", "sai", client_ip=f"10.9.9.{n}, 127.0.0.2")
        assert response.status_code == 200  # before: [200, 200, 200, 200, 429]
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"127.0.0.2"}
    # before: 429 and 429 for both, from everywhere
    assert login("canbo.noivu", PASSWORD, client_ip="127.0.0.1").status_code == 302
    assert login("quantri", PASSWORD, client_ip="198.51.100.20").status_code == 302
    assert login("quantri", PASSWORD, client_ip="127.0.0.2").status_code == 302  # even from the attacker's address


def test_an_attacker_locks_the_administrator_only_from_the_attacker_s_own_address(
    administrator_and_unit_staff, behind_nginx, settings
):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login("quantri", "doan-mo", client_ip="203.0.113.66")
    assert login("quantri", PASSWORD, client_ip="203.0.113.66").status_code == 429
    assert login("quantri", PASSWORD, client_ip="198.51.100.20").status_code == 302
    # Forging the header from outside the proxy does not move the lock onto someone else.
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login("canbo.noivu", "doan-mo", via="203.0.113.67", client_ip="198.51.100.21")
    assert AccessAttempt.objects.filter(username="canbo.noivu").get().ip_address == "203.0.113.67"
    assert login("canbo.noivu", PASSWORD, client_ip="198.51.100.21").status_code == 302


def test_attempts_during_a_lockout_neither_renew_it_nor_grow_the_row(administrator_and_unit_staff, settings, caplog):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login("quantri", "doan-mo", client=client)
    locked_at = timezone.now() - timedelta(minutes=14)
    AccessAttempt.objects.update(attempt_time=locked_at)
    with caplog.at_level(logging.INFO, logger="axes"):
        for _ in range(50):
            assert login("quantri", "doan-mo", client=client).status_code == 429
    refused = [r.getMessage() for r in caplog.records if "during its lockout" in r.getMessage()]
    assert len(refused) == 50 and "quantri from 127.0.0.1" in refused[0]  # each one still in the log
    assert login("quantri", PASSWORD, client=client).status_code == 429
    row = AccessAttempt.objects.get()
    # before: the attempt time moved to each refused attempt, and the row grew by each one's POST data.
    assert row.attempt_time == locked_at and row.failures_since_start == settings.AXES_FAILURE_LIMIT
    assert len(row.post_data) + len(row.get_data) < 100 and "doan-mo" not in row.post_data
    # The lock ends cool-off after the failure that set it, whatever was tried since.
    AccessAttempt.objects.update(attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1))
    assert login("quantri", PASSWORD, client=client).status_code == 302


def test_a_flood_of_wrong_passwords_keeps_each_row_small(administrator_and_unit_staff, behind_nginx, settings):
    """3,247 refused attempts made a 3.36 MB row; now no row holds more than its few failures."""
    for n in range(60):
        login("quantri", f"doan-{n}-" + "x" * 900, client_ip=f"203.0.113.{n % 3}")
    rows = AccessAttempt.objects.all()
    assert rows.count() == 3
    assert all(row.failures_since_start == settings.AXES_FAILURE_LIMIT for row in rows)
    assert max(len(row.post_data) + len(row.get_data) for row in rows) < 100


def test_the_lockout_page_says_in_vietnamese_when_it_ends_and_how_to_get_in_sooner(
    administrator_and_unit_staff, settings
):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        page = login("quantri", "doan-mo")
    assert page.status_code == 429
    locked_at = AccessAttempt.objects.get().attempt_time
    ends = timezone.localtime(locked_at + settings.AXES_COOLOFF_TIME)
    text = page.content.decode()
    assert "Tạm khóa đăng nhập" in text
    assert f"Khóa tự mở lúc <strong>{ends:%H:%M} ngày {ends:%d/%m/%Y}</strong>" in text
    assert "không làm khóa kéo dài thêm" in text and "các tài khoản khác không bị ảnh hưởng" in text
    assert 'href="/quen-mat-khau/"' in text and "manage.py unlock_login quantri" in text
    assert timezone.localtime(locked_at).utcoffset() == timedelta(hours=7)  # the time is Việt Nam's


def test_a_locked_administrator_gets_back_in_with_the_unlock_command(administrator_and_unit_staff, settings, capsys):
    for address in ("10.0.0.1", "10.0.0.2"):
        for _ in range(settings.AXES_FAILURE_LIMIT):
            login("quantri", "doan-mo", via=address)
    call_command("unlock_login")
    listing = capsys.readouterr().out
    assert listing.count("quantri từ 10.0.0.") == 2 and "5 lần sai, tự mở lúc" in listing
    call_command("unlock_login", "ｑｕａｎｔｒｉ ", address="10.0.0.1")  # fullwidth, as the login form reads it
    assert "Đã mở khóa đăng nhập của quantri từ địa chỉ 10.0.0.1" in capsys.readouterr().out
    assert login("quantri", PASSWORD, via="10.0.0.1").status_code == 302
    assert login("quantri", PASSWORD, via="10.0.0.2").status_code == 429
    call_command("unlock_login", "quantri")
    assert "(đang bị khóa từ: 10.0.0.2)" in capsys.readouterr().out
    assert login("quantri", PASSWORD, via="10.0.0.2").status_code == 302
    call_command("unlock_login", "quantri")
    assert capsys.readouterr().out.strip() == "quantri không bị khóa đăng nhập."
    with pytest.raises(CommandError, match="Không có tài khoản 'quantri2'"):
        call_command("unlock_login", "quantri2")


def test_a_password_reset_through_the_mailed_link_lifts_the_lock(administrator_and_unit_staff, settings):
    admin = administrator_and_unit_staff[0]
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login("quantri", "doan-mo")
    link = (
        f"/dat-lai-mat-khau/{urlsafe_base64_encode(force_bytes(admin.pk))}/{default_token_generator.make_token(admin)}/"
    )
    client = Client()
    form_page = client.get(link, follow=True)
    new = "Song-Huong-Nui-Ngu-2026"
    done = client.post(form_page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert done.status_code == 302
    assert not AccessAttempt.objects.filter(username="quantri").exists()
    assert login("quantri", new).status_code == 302


def test_expired_attempts_and_old_login_records_are_cleared(administrator_and_unit_staff, settings, capsys):
    for _ in range(2):
        login("canbo.noivu", "doan-mo", via="10.0.0.1")
        login("canbo.noivu", "doan-mo", via="10.0.0.2")
    assert login("quantri", PASSWORD).status_code == 302
    AccessAttempt.objects.filter(ip_address="10.0.0.1").update(attempt_time=timezone.now() - timedelta(minutes=16))
    old = AccessLog.objects.create(username="quantri", ip_address="10.0.0.3", user_agent="", path_info=LOGIN)
    old.attempt_time = timezone.now() - timedelta(days=settings.LOGIN_LOG_DAYS + 1)
    old.save()
    call_command("clear_logins")
    out = capsys.readouterr().out
    assert (
        "Đã xóa 1 bản ghi đăng nhập sai" in out
        and f"Đã xóa 1 dòng nhật ký đăng nhập cũ hơn {settings.LOGIN_LOG_DAYS}" in out
    )
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["10.0.0.2"]
    assert AccessLog.objects.count() == 1  # today's login stays
    with pytest.raises(CommandError, match="--days"):
        call_command("clear_logins", days=0)


def test_the_settings_lock_the_pair_and_never_renew():
    from django.conf import settings

    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert settings.AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT is False
