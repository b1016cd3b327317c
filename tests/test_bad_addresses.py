"""Addresses and forms anyone can type: a number too large for the database, a form sent after the session
changed. Each gets a Vietnamese page with the right status, never a server error."""

import pytest
from django.test import Client

from scoring.models import AppraiserAssignment

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999999"


@pytest.mark.parametrize(
    "path",
    [
        f"/xep-hang/2022/so/lan-{HUGE}/",
        f"/xep-hang/{HUGE}/so/",
        f"/api/v1/results/{HUGE}/so/",
        f"/cham-diem/ky/{HUGE}/",
        f"/cham-diem/ky/{HUGE}/don-vi/so-1/minh-chung/{HUGE}/",
        f"/cham-diem/minh-chung/{HUGE}/tai-ve/",
        f"/cham-diem/ky/{HUGE}/bao-cao-chi-tiet.xlsx",
    ],
)
def test_a_number_too_large_in_an_address_is_a_page_not_found(cast, client, path):
    client.force_login(cast.admin)
    answer = client.get(path)
    assert answer.status_code == 404
    assert "Không tìm thấy" in answer.content.decode()


def test_a_number_too_large_in_the_admin_is_not_a_server_error(cast, client):
    cast.admin.is_staff = cast.admin.is_superuser = True
    cast.admin.save()
    client.force_login(cast.admin)
    answer = client.get(f"/quan-tri/scoring/period/{HUGE}/change/")
    assert answer.status_code in (302, 404)


def test_a_number_too_large_in_a_form_is_an_error_of_that_field(cast, client):
    client.force_login(cast.admin)
    page = client.post(
        f"/cham-diem/ky/{cast.period.pk}/phan-cong/", {"appraiser": cast.appraiser.pk, "units": [HUGE]}, follow=True
    ).content.decode()
    assert "Đơn vị (để trống: mọi đơn vị của kỳ)" in page and HUGE in page
    assert AppraiserAssignment.objects.count() == 1  # the cast's own
    page = client.post(f"/cham-diem/ky/{cast.period.pk}/phan-cong/", {"appraiser": HUGE}, follow=True).content.decode()
    assert "Thẩm định viên" in page and AppraiserAssignment.objects.count() == 1


def test_a_form_sent_after_the_session_changed_gets_a_vietnamese_explanation(cast):
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.staff_a)
    answer = client.post(
        f"/cham-diem/ky/{cast.period.pk}/don-vi/{cast.unit_a.code}/",
        {f"{cast.leaf['1.1'].pk}-self_points": "1", "action": "save"},
    )
    assert answer.status_code == 403
    text = answer.content.decode()
    assert "Biểu mẫu đã hết hiệu lực, chưa gửi được" in text and "chưa lưu gì" in text
    assert not cast.period.scores.filter(unit=cast.unit_a).exists()
