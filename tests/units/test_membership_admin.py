"""Unit accounts in the staff admin: a membership needs the group "Cán bộ đơn vị" (or adds it when asked to), and
the user page says when an account has one without the other."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from scoring.permissions import ADMINISTRATOR, UNIT_STAFF
from tests.scoring.workflow_cast import user
from units.models import UnitMembership

ADD = "/quan-tri/units/unitmembership/add/"


def admin_client_for(account) -> Client:
    account.is_staff = True
    account.save()
    client = Client()
    client.force_login(account)
    return client


@pytest.fixture
def department(cast) -> Client:
    """Sở Nội vụ's administrator, as the role gives it (not a superuser)."""
    return admin_client_for(cast.admin)


def test_a_membership_for_an_account_without_the_group_is_refused_saying_what_is_missing(cast, department):
    account = user("canbo.moi")  # made in the admin: a name and a password, no group
    response = department.post(ADD, {"user": account.pk, "unit": cast.unit_c.pk})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Tài khoản “canbo.moi” chưa thuộc nhóm “Cán bộ đơn vị”" in page
    assert "không mở được hồ sơ của đơn vị" in page
    assert "Đánh dấu ô “Thêm tài khoản vào nhóm Cán bộ đơn vị” bên dưới rồi lưu lại" in page
    assert not UnitMembership.objects.filter(user=account).exists()


def test_ticking_the_box_adds_the_group_with_the_membership_and_the_sheet_opens(cast, department):
    account = user("canbo.moi")
    response = department.post(ADD, {"user": account.pk, "unit": cast.unit_c.pk, "add_to_group": "on"})
    assert response.status_code == 302
    assert UnitMembership.objects.filter(user=account, unit=cast.unit_c).exists()
    assert account.groups.filter(name=UNIT_STAFF).exists()
    staff = Client()
    staff.force_login(account)
    assert staff.get(f"/cham-diem/ky/{cast.period.pk}/don-vi/{cast.unit_c.code}/").status_code == 200


def test_an_account_already_in_the_group_is_tied_to_a_unit_without_the_box(cast, department):
    account = user("canbo.moi", UNIT_STAFF)
    assert department.post(ADD, {"user": account.pk, "unit": cast.unit_c.pk}).status_code == 302
    assert UnitMembership.objects.filter(user=account, unit=cast.unit_c).exists()


def test_staff_who_may_not_change_accounts_get_no_box_and_a_forged_one_adds_no_group(cast):
    clerk = user("vanthu")
    clerk.user_permissions.set(Permission.objects.filter(codename__in=["add_unitmembership", "view_unitmembership"]))
    client = admin_client_for(clerk)
    assert 'name="add_to_group"' not in client.get(ADD).content.decode()
    account = user("canbo.moi")
    response = client.post(ADD, {"user": account.pk, "unit": cast.unit_c.pk, "add_to_group": "on"})
    assert response.status_code == 200
    assert "Cần thêm nhóm “Cán bộ đơn vị” ở trang của tài khoản" in response.content.decode()
    assert not account.groups.exists() and not UnitMembership.objects.filter(user=account).exists()


def test_the_user_page_warns_of_the_group_without_a_unit(cast, department):
    account = user("canbo.lac", UNIT_STAFF)
    page = department.get(f"/quan-tri/auth/user/{account.pk}/change/").content.decode()
    assert "Tài khoản “canbo.lac” thuộc nhóm “Cán bộ đơn vị” nhưng chưa gắn với đơn vị nào" in page
    assert f'href="{ADD}?user={account.pk}"' in page


def test_the_user_page_warns_of_a_unit_without_the_group_and_is_quiet_when_both_are_there(cast, department):
    account = user("canbo.thieu", unit=cast.unit_c)
    page = department.get(f"/quan-tri/auth/user/{account.pk}/change/").content.decode()
    assert "được gắn với Sở Xây dựng nhưng không thuộc nhóm “Cán bộ đơn vị”" in page
    page = department.get(f"/quan-tri/auth/user/{cast.staff_a.pk}/change/").content.decode()
    assert "Cán bộ đơn vị”: người dùng" not in page and "chưa gắn với đơn vị nào" not in page


def test_the_membership_list_says_who_lacks_the_group_in_a_fixed_number_of_queries(cast, department):
    def count() -> tuple[int, str]:
        with CaptureQueriesContext(connection) as queries:
            response = department.get("/quan-tri/units/unitmembership/")
        assert response.status_code == 200
        return len(queries), response.content.decode()

    department.get("/quan-tri/units/unitmembership/")  # sessions, permissions: warm
    user("canbo.thieu", unit=cast.unit_c)
    few, page = count()
    assert page.count('alt="False"') == 1 and page.count('alt="True"') == 2
    group = Group.objects.get(name=UNIT_STAFF)
    for n in range(3):
        user(f"canbo.them{n}", unit=cast.unit_c).groups.add(group)
    assert count()[0] == few


def test_the_administrator_role_may_use_the_box(db):
    # The box needs the right to change accounts; the administrator's group has it (units/migrations/0004_roles).
    assert Group.objects.get(name=ADMINISTRATOR).permissions.filter(codename="change_user").exists()


def test_saving_a_user_into_the_group_without_a_unit_warns_on_the_list_it_returns_to(cast, department):
    account = user("canbo.lac")
    form = {
        "username": "canbo.lac",
        "is_active": "on",
        "groups": [Group.objects.get(name=UNIT_STAFF).pk],
        "date_joined_0": "01/01/2025",
        "date_joined_1": "08:00:00",
    }
    response = department.post(f"/quan-tri/auth/user/{account.pk}/change/", form, follow=True)
    assert response.redirect_chain and response.redirect_chain[-1][0].endswith("/quan-tri/auth/user/")
    assert account.groups.filter(name=UNIT_STAFF).exists()
    assert "thuộc nhóm “Cán bộ đơn vị” nhưng chưa gắn với đơn vị nào" in response.content.decode()
