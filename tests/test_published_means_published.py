"""A published table never changes in place: not by renaming a unit or a block, not by editing the grade
bands it was graded with, not by flipping which version is current, not by TRUNCATE."""

from io import BytesIO

import pytest
from django.contrib.auth import get_user_model
from django.db import DatabaseError, connection, transaction
from django.test import Client
from openpyxl import load_workbook

from scoring import locks
from scoring.models import AuditEntry, GradeBand, Period, Result, ResultVersion
from tests.conftest import publish_table
from units.models import Block, Unit

ROWS = [("Sở Kế hoạch và Đầu tư", "91.5"), ("Sở Tư pháp", "88.25")]


def everything_public(client: Client) -> list:
    """What a reader gets of the 2024 table: the page, the JSON, the workbook's rows, the version page."""
    page = client.get("/xep-hang/2024/so/").content.decode()
    api = client.get("/api/v1/results/2024/so/").json()
    sheet = load_workbook(BytesIO(client.get("/xep-hang/2024/so.xlsx").content)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=1)]
    version = client.get("/xep-hang/2024/so/lan-1/").content.decode()
    return [page.split("<table", 1)[1].split("</table>")[0], api, rows, version.split("<table", 1)[1][:2000]]


@pytest.fixture
def table_2024(so):
    return publish_table(so, 2024, ROWS)


def test_renaming_a_unit_or_the_block_changes_no_published_table(table_2024, so):
    client = Client()
    before = everything_public(client)
    unit = Unit.objects.get(name="Sở Kế hoạch và Đầu tư")
    admin = get_user_model().objects.create_superuser("quantri", "q@example.gov.vn", "mat-khau-dai-123")
    staff = Client()
    staff.force_login(admin)
    data = {"code": unit.code, "name": "Sở Tài chính", "short_name": "", "block": so.pk}
    assert staff.post(f"/quan-tri/units/unit/{unit.pk}/change/", data).status_code == 302
    Block.objects.filter(pk=so.pk).update(name="Các sở", title_phrase="của các sở")
    assert Unit.objects.get(pk=unit.pk).name == "Sở Tài chính"
    assert everything_public(client) == before
    history = client.get(unit.get_absolute_url()).content.decode()
    assert "<h1>Sở Tài chính</h1>" in history
    assert "Tên trong các bảng đã công bố: Sở Kế hoạch và Đầu tư." in history


def test_the_grade_bands_of_a_scheme_used_by_a_published_period_cannot_change(table_2024, scheme):
    band = GradeBand.objects.filter(scheme=scheme).first()
    for write in (
        lambda: GradeBand.objects.filter(pk=band.pk).update(lower_bound=85),
        lambda: GradeBand.objects.filter(pk=band.pk).delete(),
        lambda: GradeBand.objects.create(scheme=scheme, code="moi", label="Mới", lower_bound=95),
    ):
        with pytest.raises(DatabaseError, match="thang xếp loại"), transaction.atomic():
            write()
    assert GradeBand.objects.get(pk=band.pk).lower_bound == band.lower_bound


def test_an_unused_scheme_can_still_be_edited(db):
    from scoring.models import GradeScheme

    scheme = GradeScheme.objects.create(name="Thang riêng")
    band = GradeBand.objects.create(scheme=scheme, code="tot", label="Tốt", lower_bound=80)
    GradeBand.objects.filter(pk=band.pk).update(lower_bound=75)
    assert GradeBand.objects.get(pk=band.pk).lower_bound == 75


def test_unsetting_the_current_version_is_refused_so_the_table_cannot_vanish(table_2024):
    version = ResultVersion.objects.get(period=table_2024)
    with pytest.raises(DatabaseError, match="mới hơn"), transaction.atomic():
        ResultVersion.objects.filter(pk=version.pk).update(is_current=False)
    assert Client().get("/xep-hang/2024/so/").status_code == 200


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE exists on PostgreSQL only")
@pytest.mark.parametrize("table", locks.PG_TRUNCATE_TABLES)
def test_truncate_is_refused_while_anything_is_published(table_2024, table):
    counts = (Result.objects.count(), AuditEntry.objects.count(), Period.objects.count())
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no foreign-key check left pending by the fixture
        with pytest.raises(DatabaseError, match="không được xóa sạch"), transaction.atomic():
            cursor.execute(f"TRUNCATE {table} CASCADE")
    assert (Result.objects.count(), AuditEntry.objects.count(), Period.objects.count()) == counts
