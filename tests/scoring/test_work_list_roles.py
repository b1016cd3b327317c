"""The work list of a signed-in person whose account is incomplete says why it is empty and whom to ask."""

import pytest
from django.test import Client

from scoring.permissions import APPRAISER, UNIT_STAFF
from tests.scoring.workflow_cast import user

pytestmark = pytest.mark.django_db

EMPTY = "Hiện chưa có kỳ đánh giá nào cần bạn thực hiện."


def work_list_of(account) -> str:
    client = Client()
    client.force_login(account)
    response = client.get("/cham-diem/")
    assert response.status_code == 200
    return response.content.decode()


def test_an_account_with_no_role_is_told_it_has_none_and_to_ask_the_department(cast):
    page = work_list_of(user("moi.tao"))
    assert "Tài khoản của bạn chưa được giao vai trò nào trên cổng" in page
    assert "Xin liên hệ quản trị Sở Nội vụ để được giao vai trò." in page
    assert EMPTY not in page


def test_unit_staff_without_a_unit_are_told_their_account_is_tied_to_none(cast):
    page = work_list_of(user("canbo.lac", UNIT_STAFF))
    assert "có vai trò Cán bộ đơn vị nhưng chưa gắn với đơn vị nào" in page
    assert "gắn tài khoản với đơn vị của bạn" in page


def test_a_unit_member_without_the_group_is_told_which_role_is_missing(cast):
    page = work_list_of(user("canbo.thieu", unit=cast.unit_c))
    assert "Tài khoản của bạn đã gắn với Sở Xây dựng nhưng chưa được giao vai trò Cán bộ đơn vị" in page
    assert "thêm vào nhóm Cán bộ đơn vị" in page


@pytest.mark.parametrize("role", ["staff_a", "appraiser", "admin"])
def test_a_whole_account_gets_no_such_notice(cast, role):
    page = work_list_of(getattr(cast, role))
    assert "Tài khoản của bạn" not in page
    assert f"/cham-diem/ky/{cast.period.pk}/" in page


def test_an_appraiser_not_yet_assigned_sees_the_usual_empty_list(cast):
    page = work_list_of(user("thamdinh.moi", APPRAISER))
    assert EMPTY in page and "Tài khoản của bạn" not in page
