"""Unit accounts made by Sở Nội vụ in the portal: the account, its role and its unit in one step, a mail with a
link that sets the password, refusals that say which field is wrong, and a page whose query count stays put."""

import logging
import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from scoring.accounts import services
from scoring.accounts.services import unit_account_create, unit_account_invite, unit_account_set_active
from scoring.permissions import APPRAISER, UNIT_STAFF
from tests.conftest import make_units
from tests.scoring.workflow_cast import user
from units.models import UnitMembership

PAGE = "/cham-diem/tai-khoan/"
NEW_PASSWORD = "Cau-Truong-Tien-2026"
TYPED = {"username": "canbo.xaydung", "full_name": "Trần Thị Bình", "email": "binh@soxd.gov.vn"}


def client_for(account) -> Client:
    client = Client()
    client.force_login(account)
    return client


def create(client, unit, **fields):
    return client.post(PAGE, {"unit": unit.pk, **TYPED, **fields})


def link_in(message) -> str:
    return re.search(r"https?://[^/\s]+(/dat-lai-mat-khau/\S+/)", message.body).group(1)


def accounts(username):
    return get_user_model().objects.filter(username=username)


@pytest.mark.django_db(transaction=True)
def test_the_page_creates_the_account_with_its_role_and_unit_and_the_link_lets_the_person_in(
    committed_cast, settings, caplog
):
    cast = committed_cast
    settings.PORTAL_URL = "https://cchc.example.gov.vn/"
    admin = client_for(cast.admin)
    with caplog.at_level(logging.INFO, logger="scoring.accounts"):
        response = create(admin, cast.unit_c)
    assert response.status_code == 302 and response["Location"] == f"{PAGE}?khoi=so#don-vi-{cast.unit_c.code}"
    account = accounts("canbo.xaydung").get()
    assert account.groups.filter(name=UNIT_STAFF).exists()
    assert list(UnitMembership.objects.filter(user=account).values_list("unit_id", flat=True)) == [cast.unit_c.pk]
    assert account.get_full_name() == "Trần Thị Bình" and not account.has_usable_password()
    assert any("canbo.xaydung" in r.getMessage() and "quantri" in r.getMessage() for r in caplog.records)

    (message,) = mail.outbox
    assert message.to == ["binh@soxd.gov.vn"] and "canbo.xaydung" in message.subject
    assert "Sở Xây dựng" in message.body and "trong vòng 3 giờ" in message.body
    assert "https://cchc.example.gov.vn/dat-lai-mat-khau/" in message.body
    assert "https://cchc.example.gov.vn/dang-nhap/" in message.body
    page = admin.get(response["Location"]).content.decode()
    assert "Đã tạo tài khoản “canbo.xaydung” cho Sở Xây dựng." in page
    assert "Đã gửi đường dẫn đặt mật khẩu tới binh@soxd.gov.vn." in page
    assert "chưa đặt mật khẩu" in page

    person = Client()
    form_page = person.get(link_in(message), follow=True)
    assert "Đặt mật khẩu mới" in form_page.content.decode()
    done = person.post(form_page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302
    assert person.post("/dang-nhap/", {"username": "canbo.xaydung", "password": NEW_PASSWORD}).status_code == 302
    sheet = f"/cham-diem/ky/{cast.period.pk}/don-vi/{cast.unit_c.code}/"
    assert sheet in person.get("/cham-diem/").content.decode()
    assert person.get(sheet).status_code == 200
    assert person.get(f"/cham-diem/ky/{cast.period.pk}/don-vi/{cast.unit_a.code}/").status_code == 403
    assert Client().get(link_in(message), follow=True).context["validlink"] is False  # the link works once


@pytest.mark.django_db(transaction=True)
def test_a_mail_that_fails_keeps_the_account_says_so_and_can_be_sent_again(committed_cast, monkeypatch):
    cast = committed_cast
    admin = client_for(cast.admin)

    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("máy chủ thư không chạy")

    monkeypatch.setattr(services, "send_mail", refuse)
    assert create(admin, cast.unit_c).status_code == 302
    page = admin.get(PAGE).content.decode()
    assert "Chưa gửi được thư tới binh@soxd.gov.vn" in page and "Gửi lại thư đặt mật khẩu" in page
    account = accounts("canbo.xaydung").get()
    monkeypatch.undo()
    again = admin.post(f"{PAGE}{account.pk}/gui-lai-thu/", {"khoi": "so"}, follow=True)
    assert "Đã gửi đường dẫn đặt mật khẩu tới binh@soxd.gov.vn." in again.content.decode()
    (message,) = mail.outbox
    assert "/dat-lai-mat-khau/" in message.body


@pytest.mark.django_db
def test_the_service_checks_every_field_before_writing_anything(cast, django_capture_on_commit_callbacks):
    with pytest.raises(ValidationError) as refused, django_capture_on_commit_callbacks(execute=True):
        unit_account_create(unit=cast.unit_c, username="cán bộ", email="binh@", full_name="Bình\u202e", by=cast.admin)
    errors = refused.value.message_dict
    assert errors["username"] == [services.E_USERNAME_INVALID.format(username="cán bộ")]
    assert errors["email"] == [services.E_EMAIL_INVALID.format(email="binh@")]
    assert "ký tự đảo chiều" in errors["full_name"][0]
    assert not accounts("cán bộ").exists() and mail.outbox == []
    with pytest.raises(PermissionDenied):
        unit_account_create(unit=cast.unit_c, username="x", email="x@example.gov.vn", by=cast.appraiser)


@pytest.mark.django_db
def test_the_service_mails_after_the_commit_only(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        account = unit_account_create(unit=cast.unit_c, username="canbo.c", email="c@example.gov.vn", by=cast.admin)
        assert mail.outbox == [] and account.mailed is None
    callbacks[0]()
    assert account.mailed is True and len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_username_or_an_email_already_used_is_refused_on_its_field_and_what_was_typed_stays(cast):
    cast.staff_a.email = "canbo.a@sotuphap.gov.vn"
    cast.staff_a.save()
    admin = client_for(cast.admin)
    response = create(admin, cast.unit_c, username="CanBo.A", email="CANBO.A@sotuphap.gov.vn")
    page = response.content.decode()
    assert response.status_code == 400
    assert "Tên đăng nhập “CanBo.A” trùng với tài khoản đã có “canbo.a”; hãy chọn tên khác." in page
    assert "Địa chỉ thư điện tử “CANBO.A@sotuphap.gov.vn” đã là địa chỉ của tài khoản “canbo.a”" in page
    assert 'value="CanBo.A"' in page and 'value="Trần Thị Bình"' in page
    assert f'<option value="{cast.unit_c.pk}" selected>' in page
    assert not accounts("CanBo.A").exists() and mail.outbox == []


@pytest.mark.django_db
def test_a_bad_email_or_a_missing_one_is_refused_in_vietnamese(cast):
    admin = client_for(cast.admin)
    page = create(admin, cast.unit_c, email="binh@@soxd").content.decode()
    assert "Địa chỉ thư điện tử “binh@@soxd” không hợp lệ" in page
    assert create(admin, cast.unit_c, email="").status_code == 400
    assert not accounts("canbo.xaydung").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["staff_a", "appraiser"])
def test_only_the_administrator_opens_the_page_or_creates_an_account(cast, role):
    client = client_for(getattr(cast, role))
    assert client.get(PAGE).status_code == 403
    assert create(client, cast.unit_c).status_code == 403
    assert client.post(f"{PAGE}{cast.staff_b.pk}/khoa/").status_code == 403
    assert not accounts("canbo.xaydung").exists()
    cast.staff_b.refresh_from_db()
    assert cast.staff_b.is_active


@pytest.mark.django_db
def test_an_anonymous_visitor_is_sent_to_sign_in(cast):
    response = Client().get(PAGE)
    assert response.status_code == 302 and response["Location"].startswith("/dang-nhap/?next=")
    assert create(Client(), cast.unit_c).status_code == 302
    assert not accounts("canbo.xaydung").exists()


@pytest.mark.django_db
def test_the_page_lists_accounts_by_block_and_unit_and_the_units_without_one(cast, huyen):
    (district,) = make_units(huyen, ["UBND huyện Phong Điền"])
    cast.staff_a.email = "canbo.a@sotuphap.gov.vn"
    cast.staff_a.save()
    page = client_for(cast.admin).get(PAGE).content.decode()
    so_section = page[page.index('id="khoi-so"') : page.index('id="khoi-huyen"')]
    assert so_section.index("Sở Tư pháp") < so_section.index("canbo.a@sotuphap.gov.vn")
    assert so_section.index("canbo.a@sotuphap.gov.vn") < so_section.index("Sở Xây dựng") < so_section.index("Sở Y tế")
    assert "3 đơn vị · <strong>1 đơn vị chưa có tài khoản cán bộ</strong>" in so_section
    assert f"?don-vi={cast.unit_c.code}#tao-tai-khoan" in so_section
    chosen = client_for(cast.admin).get(f"{PAGE}?don-vi={district.code}").content.decode()
    assert f'<option value="{district.pk}" selected>' in chosen
    only_huyen = client_for(cast.admin).get(f"{PAGE}?khoi=huyen").content.decode()
    assert 'id="khoi-so"' not in only_huyen and "UBND huyện Phong Điền" in only_huyen


@pytest.mark.django_db
def test_a_unit_account_is_deactivated_and_reactivated_but_not_another_role_or_oneself(cast):
    admin = client_for(cast.admin)
    done = admin.post(f"{PAGE}{cast.staff_a.pk}/khoa/", {"khoi": "so"}, follow=True)
    assert "Đã khóa tài khoản “canbo.a”" in done.content.decode()
    assert done.redirect_chain[-1][0] == f"{PAGE}?khoi=so"
    assert Client().post("/dang-nhap/", {"username": "canbo.a", "password": "mat-khau-dai-123"}).status_code == 200
    admin.post(f"{PAGE}{cast.staff_a.pk}/mo-lai/")
    cast.staff_a.refresh_from_db()
    assert cast.staff_a.is_active
    mixed = user("thamdinh.donvi", APPRAISER, cast.unit_c)
    mixed.groups.add(*cast.staff_a.groups.all())
    refused = admin.post(f"{PAGE}{mixed.pk}/khoa/", follow=True).content.decode()
    assert "không chỉ là tài khoản cán bộ đơn vị" in refused
    with pytest.raises(ValidationError, match="chính mình"):
        unit_account_set_active(user=cast.admin, active=False, by=cast.admin)
    mixed.refresh_from_db()
    assert mixed.is_active


@pytest.mark.django_db
def test_the_link_is_sent_again_only_to_an_account_that_has_not_set_its_password(cast):
    cast.staff_a.email = "canbo.a@sotuphap.gov.vn"
    cast.staff_a.save()
    with pytest.raises(ValidationError, match="đã đặt mật khẩu"):
        unit_account_invite(user=cast.staff_a, by=cast.admin)
    cast.staff_a.set_unusable_password()
    cast.staff_a.save()
    assert unit_account_invite(user=cast.staff_a, by=cast.admin) is True
    (message,) = mail.outbox
    assert "Sở Tư pháp" in message.body and "canbo.a" in message.body


@pytest.mark.django_db
def test_the_page_reads_the_same_number_of_queries_for_3_accounts_or_6(cast, so):
    def count() -> int:
        client = client_for(cast.admin)
        client.get(PAGE)  # sessions, permissions: warm
        with CaptureQueriesContext(connection) as queries:
            assert client.get(PAGE).status_code == 200
        return len(queries)

    user("canbo.c", UNIT_STAFF, cast.unit_c)  # canbo.a, canbo.b and canbo.c
    few = count()
    for n, unit in enumerate(make_units(so, ["Sở Công Thương", "Sở Du lịch", "Sở Nội vụ"])):
        account = user(f"canbo.them{n}", UNIT_STAFF, unit)
        account.set_unusable_password()
        account.save()
    assert count() == few
