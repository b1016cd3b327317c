"""Evidence uploads through the real page (real files, an oversized one, one whose name lies), the
download permission, the dashboard's query count and the audit export opened with openpyxl."""

import io
from io import BytesIO
from urllib.parse import unquote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook, load_workbook

from cchc_portal.lib.filetypes import MAX_EVIDENCE_BYTES
from scoring.models import AuditEntry, Evidence
from tests.browser import submit_page
from tests.conftest import make_units

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def login(cast, role) -> Client:
    client = Client()
    client.force_login(getattr(cast, role))
    return client


def evidence_url(cast, code="2", unit=None):
    return f"/cham-diem/ky/{cast.period.pk}/don-vi/{(unit or cast.unit_a).code}/minh-chung/{cast.leaf[code].pk}/"


def xlsx_bytes() -> bytes:
    buffer = BytesIO()
    Workbook().save(buffer)
    return buffer.getvalue()


def test_a_real_pdf_and_a_real_workbook_are_accepted_and_recorded(cast):
    client = login(cast, "staff_a")
    response = client.post(evidence_url(cast), {"upload": SimpleUploadedFile("bao-cao.pdf", PDF), "title": "Báo cáo"})
    assert response.status_code == 302
    client.post(evidence_url(cast, "1.1"), {"upload": SimpleUploadedFile("so-lieu.xlsx", xlsx_bytes())})
    kinds = sorted(Evidence.objects.values_list("original_name", "kind"))
    assert kinds == [("bao-cao.pdf", "pdf"), ("so-lieu.xlsx", "xlsx")]
    stored = Evidence.objects.get(kind="pdf")
    assert "bao-cao" not in stored.file.name and stored.file.name.endswith(".pdf")  # never the user's name
    entry = AuditEntry.objects.get(action=AuditEntry.Action.EVIDENCE_ADDED, criterion=cast.leaf["2"])
    assert (entry.by, entry.new) == (cast.staff_a, "bao-cao.pdf")
    download = client.get(f"/cham-diem/minh-chung/{stored.pk}/tai-ve/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    assert download["Content-Type"] == "application/pdf"


def refused(client, url, data):
    """A refused upload answers with a redirect to the page (so Back and Reload never send the form again); the
    page it leads to says why, once."""
    response = client.post(url, data)
    assert response.status_code == 302 and response["Location"] == url
    return client.get(url).content.decode()


def test_an_oversized_file_is_refused_with_its_size_and_nothing_is_stored(cast):
    big = SimpleUploadedFile("ho-so.pdf", PDF + b"0" * MAX_EVIDENCE_BYTES)
    page = refused(login(cast, "staff_a"), evidence_url(cast), {"upload": big})
    assert page.count("vượt quá giới hạn 10 MB") == 1
    assert not Evidence.objects.exists()


def test_a_file_whose_name_lies_about_its_type_is_refused(cast):
    fake = SimpleUploadedFile("quyet-dinh.pdf", b"<html><script>alert(1)</script></html>")
    page = refused(login(cast, "staff_a"), evidence_url(cast), {"upload": fake})
    assert "không phải PDF, ảnh (PNG, JPEG, GIF, WebP), Word hoặc Excel" in page
    renamed = SimpleUploadedFile("bang-tinh.xlsx", PDF)
    page = refused(login(cast, "staff_a"), evidence_url(cast), {"upload": renamed})
    assert "có phần mở rộng &quot;.xlsx&quot; nhưng nội dung là PDF" in page
    assert not Evidence.objects.exists()


def test_a_link_is_accepted_as_evidence_and_a_bad_one_is_refused(cast):
    client = login(cast, "staff_a")
    client.post(evidence_url(cast), {"link": "https://vanban.example.gov.vn/qd-12.pdf"})
    page = refused(client, evidence_url(cast), {"link": "javascript:alert(1)", "title": "Quyết định 12"})
    assert 'value="javascript:alert(1)"' in page and 'value="Quyết định 12"' in page  # as typed, to fix
    assert client.get(evidence_url(cast)).content.decode().count("field-error") == 0  # said once, not on reload
    assert list(Evidence.objects.values_list("link", flat=True)) == ["https://vanban.example.gov.vn/qd-12.pdf"]


@pytest.mark.parametrize(
    "role, status", [("staff_b", 403), ("other_appraiser", 403), ("appraiser", 200), ("admin", 200)]
)
def test_only_those_who_may_see_the_unit_download_its_evidence(cast, role, status):
    login(cast, "staff_a").post(evidence_url(cast), {"upload": SimpleUploadedFile("a.pdf", PDF)})
    item = Evidence.objects.get()
    assert login(cast, role).get(f"/cham-diem/minh-chung/{item.pk}/tai-ve/").status_code == status


def test_other_units_staff_cannot_upload_to_unit_a(cast):
    response = login(cast, "staff_b").post(evidence_url(cast), {"upload": SimpleUploadedFile("a.pdf", PDF)})
    assert response.status_code == 403
    assert not Evidence.objects.exists()


def test_the_dashboard_runs_the_same_queries_for_3_or_9_units(cast, so):
    client = login(cast, "admin")
    url = f"/cham-diem/ky/{cast.period.pk}/"

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    few = count()
    make_units(so, [f"Sở bổ sung {i}" for i in range(6)])
    assert count() == few


def test_the_audit_export_lists_every_change_with_who_when_old_and_new(cast):
    client = login(cast, "staff_a")
    leaf = cast.leaf["1.1"]
    url = f"/cham-diem/ky/{cast.period.pk}/don-vi/{cast.unit_a.code}/"
    for typed in ("1,5", "=2", "2"):
        submit_page(client, url, {f"{leaf.pk}-self_points": typed}, button="save")
    assert login(cast, "staff_a").get(f"/cham-diem/ky/{cast.period.pk}/nhat-ky.xlsx").status_code == 403
    response = login(cast, "admin").get(f"/cham-diem/ky/{cast.period.pk}/nhat-ky.xlsx")
    ws = load_workbook(io.BytesIO(response.content)).active
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=3)]
    assert [(r[1], r[2], r[3], r[4], r[5], r[6]) for r in rows] == [
        ("canbo.a", "Sở Tư pháp", "1.1", "Điểm tự đánh giá", None, "1,5"),
        ("canbo.a", "Sở Tư pháp", "1.1", "Điểm tự đánh giá", "1,5", "2"),
    ]
    assert ws["A2"].value == "Thời điểm" and ws.freeze_panes == "A3"
    name = unquote(response["Content-Disposition"].split("filename*=UTF-8''", 1)[1])
    assert name == "Nhật ký chấm điểm Sở, ban, ngành cấp tỉnh năm 2025.xlsx"


def test_the_audit_log_is_looked_up_by_period_through_one_index_that_starts_with_it(db):
    """The period's own index went: audit_period_unit_at (period, unit, -at) serves every lookup by period."""
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, AuditEntry._meta.db_table)
    indexes = {name: c["columns"] for name, c in constraints.items() if c["index"] and not c["primary_key"]}
    assert indexes["audit_period_unit_at"] == ["period_id", "unit_id", "at"]
    assert [name for name, columns in indexes.items() if columns[0] == "period_id"] == ["audit_period_unit_at"]
    single = sorted(columns[0] for columns in indexes.values() if len(columns) == 1)
    assert single == ["at", "by_id", "criterion_id", "unit_id"]
    foreign_keys = {c["columns"][0]: c["foreign_key"] for c in constraints.values() if c["foreign_key"]}
    assert foreign_keys["period_id"] == ("scoring_period", "id")  # the constraint stays
