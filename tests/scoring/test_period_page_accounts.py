"""The period page names the units no working staff account belongs to: nobody there can fill in the
self-assessment and no reminder reaches them."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from scoring.models import Period
from scoring.permissions import UNIT_STAFF
from tests.conftest import make_units
from tests.scoring.workflow_cast import user

pytestmark = pytest.mark.django_db

NOTICE = "đơn vị chưa có tài khoản cán bộ (không nhận được nhắc việc):"


def page_for(account, cast) -> str:
    client = Client()
    client.force_login(account)
    response = client.get(f"/cham-diem/ky/{cast.period.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def notice_of(page: str) -> str:
    start = page.index('id="chua-co-tai-khoan"')
    return " ".join(page[start : page.index("</p>", start)].split())


def test_the_administrator_sees_the_units_without_an_account_and_a_link_to_make_one(cast):
    text = notice_of(page_for(cast.admin, cast))
    assert f"1 {NOTICE}</strong> Sở Xây dựng." in text
    assert 'href="/cham-diem/tai-khoan/?khoi=so"' in text


def test_a_deactivated_account_or_one_without_the_role_does_not_count(cast):
    cast.staff_b.is_active = False
    cast.staff_b.save()
    user("canbo.thieu", unit=cast.unit_c)  # tied to the unit, but not in the group
    text = notice_of(page_for(cast.admin, cast))
    assert f"2 {NOTICE}</strong> Sở Xây dựng; Sở Y tế." in text


def test_the_appraiser_sees_the_list_without_the_link(cast):
    page = page_for(cast.appraiser, cast)
    assert f"1 {NOTICE}" in page and "/cham-diem/tai-khoan/" not in page


def test_nothing_is_said_once_every_unit_has_an_account_or_the_period_is_published(cast):
    user("canbo.c", UNIT_STAFF, cast.unit_c)
    assert NOTICE not in page_for(cast.admin, cast)
    cast.unit_c.memberships.all().delete()
    cast.set_status(Period.Status.PUBLISHED)
    assert NOTICE not in page_for(cast.admin, cast)


def test_a_long_list_names_ten_and_counts_the_rest_in_a_fixed_number_of_queries(cast, so):
    def count() -> int:
        client = Client()
        client.force_login(cast.admin)
        client.get(f"/cham-diem/ky/{cast.period.pk}/")  # sessions, permissions: warm
        with CaptureQueriesContext(connection) as queries:
            client.get(f"/cham-diem/ky/{cast.period.pk}/")
        return len(queries)

    few = count()
    make_units(so, [f"Phòng thử nghiệm {n:02}" for n in range(1, 13)])
    assert count() == few
    text = notice_of(page_for(cast.admin, cast))
    assert f"13 {NOTICE}</strong> Phòng thử nghiệm 01; Phòng thử nghiệm 02;" in text
    # As the move checklists say it (a name may hold a comma: semicolons between names).
    assert "Phòng thử nghiệm 10; và 3 đơn vị nữa." in text and "Sở Xây dựng" not in text
