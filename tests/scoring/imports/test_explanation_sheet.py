"""The self-assessment template's explanation sheet ("Giải trình"): written with the unit's criteria and what
is stored, read back with the points, every problem named by sheet, row and column, nothing half-written."""

from datetime import timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from scoring.imports.score_sheets import KINDS, run_check, score_template, scores_import
from scoring.models import AuditEntry, Period, Score
from tests.scoring.imports.test_score_sheets import Sheet, as_file

SELF = KINDS["tu-danh-gia"]


@pytest.fixture
def open_score_sheet(so, scheme, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    made = Sheet(so, scheme)
    Period.objects.filter(pk=made.period.pk).update(
        status=Period.Status.OPEN, deadline=timezone.now() + timedelta(days=5)
    )
    made.period.refresh_from_db()
    return made


def template(open_score_sheet):
    return load_workbook(BytesIO(score_template(open_score_sheet.period, SELF, open_score_sheet.staff)))


def explanations():
    return sorted(Score.objects.exclude(explanation="").values_list("unit__code", "criterion__code", "explanation"))


def test_the_template_has_an_explanation_row_per_criterion_of_the_users_own_unit(open_score_sheet):
    Score.objects.create(
        period=open_score_sheet.period,
        unit=open_score_sheet.units[0],
        criterion=open_score_sheet.leaf["1.2"],
        explanation="Kế hoạch số 5/KH",
    )
    wb = template(open_score_sheet)
    assert wb.sheetnames == ["Bảng điểm", "Giải trình"]
    assert "trang tính “Giải trình”" in wb["Bảng điểm"]["A2"].value
    ws = wb["Giải trình"]
    assert [c.value for c in ws[3]] == [
        "Mã đơn vị",
        "Tên đơn vị",
        "Mã tiêu chí",
        "Nội dung tiêu chí",
        "Điểm tối đa",
        "Giải trình",
    ]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=4, max_col=6)]
    assert [(r[0], r[2]) for r in rows] == [("012", "1.1"), ("012", "1.2"), ("012", "3.1"), ("012", "3.10")]
    assert rows[1][5] == "Kế hoạch số 5/KH" and rows[0][3] == "Tiêu chí 1.1"
    assert ws.protection.sheet and ws["F4"].protection.locked is False and ws["C4"].protection.locked is True


def test_points_and_explanations_from_one_workbook_preview_then_write_with_audit(open_score_sheet):
    wb = template(open_score_sheet)
    wb["Bảng điểm"]["C7"] = 12
    wb["Giải trình"]["F4"] = "Quyết định số 12/QĐ-STP\nban hành kế hoạch"
    wb["Giải trình"]["F6"] = "  Báo cáo số 3/BC  "
    result = run_check(as_file(wb), "tu-danh-gia.xlsx", open_score_sheet.period, SELF, open_score_sheet.staff)
    assert result.ok, [str(e) for e in result.errors]
    assert result.counts == {"units": 1, "new": 1, "changed": 0, "explained": 2, "unchanged": 0}
    assert explanations() == []
    assert (
        scores_import(
            check=result, period=open_score_sheet.period, file_name="tu-danh-gia.xlsx", by=open_score_sheet.staff
        )
        == 3
    )
    assert explanations() == [
        ("012", "1.1", "Quyết định số 12/QĐ-STP\nban hành kế hoạch"),
        ("012", "3.1", "Báo cáo số 3/BC"),
    ]
    logged = AuditEntry.objects.filter(action=AuditEntry.Action.EXPLANATION, reason="nhập từ Excel: tu-danh-gia.xlsx")
    assert logged.count() == 2
    again = run_check(as_file(wb), "tu-danh-gia.xlsx", open_score_sheet.period, SELF, open_score_sheet.staff)
    assert again.counts["explained"] == 0 and again.counts["new"] == 0  # the same file again changes nothing


def test_every_bad_explanation_row_is_named_and_nothing_is_written(open_score_sheet):
    wb = template(open_score_sheet)
    wb["Bảng điểm"]["C7"] = 5
    ws = wb["Giải trình"]
    ws["F4"] = "Có ký tự \u202e đảo chiều"
    ws["F5"] = "x" * 2001
    ws.append(["so-y-te", "Sở Y tế", "1.1", None, None, "Đơn vị khác"])
    ws.append(["012", "Sở Tư pháp", "9.9", None, None, "Tiêu chí không có"])
    ws.append(["012", "Sở Tư pháp", "1.2", None, None, "Lần thứ hai"])
    result = run_check(as_file(wb), "sai.xlsx", open_score_sheet.period, SELF, open_score_sheet.staff)
    shown = [str(e) for e in result.errors]
    assert len(shown) == 5, shown
    assert shown[0].startswith("Trang tính “Giải trình”, dòng 4, cột F: Giải trình chứa ký tự đảo chiều")
    assert shown[1].startswith("Trang tính “Giải trình”, dòng 5, cột F: Giải trình dài 2001 ký tự")
    assert "dòng 8, cột A: Bạn không có quyền nhập điểm tự đánh giá cho đơn vị “Sở Y tế”" in shown[2]
    assert "dòng 9, cột C: “9.9” không phải mã tiêu chí tự đánh giá" in shown[3]
    assert "dòng 10, cột C: Giải trình của đơn vị 012, tiêu chí 1.2 đã có ở dòng 5." in shown[4]
    assert result.units == []
    marked = load_workbook(BytesIO(result.error_workbook))
    assert marked.sheetnames == ["Bảng điểm", "Giải trình"]
    assert "đảo chiều" in marked["Giải trình"]["F4"].comment.text
    assert marked["Bảng điểm"]["C7"].value == 5 and marked["Bảng điểm"]["C7"].comment is None
    assert explanations() == [] and not Score.objects.exists()


def test_a_sheet_without_an_explanation_sheet_still_imports_its_points(open_score_sheet):
    wb = template(open_score_sheet)
    del wb["Giải trình"]
    wb["Bảng điểm"]["D7"] = "7,5"
    result = run_check(as_file(wb), "diem.xlsx", open_score_sheet.period, SELF, open_score_sheet.staff)
    assert result.ok and result.counts["new"] == 1 and result.counts["explained"] == 0


def test_the_web_import_of_a_unit_lands_on_its_sheet_with_the_explanations(open_score_sheet):
    wb = template(open_score_sheet)
    wb["Bảng điểm"]["C7"] = 10
    wb["Giải trình"]["F4"] = "Kế hoạch 12/KH-STP"
    client = Client()
    client.force_login(open_score_sheet.staff)
    url = f"/cham-diem/ky/{open_score_sheet.period.pk}/nhap-diem/tu-danh-gia/"
    upload = as_file(wb)
    upload.name = "tu-danh-gia.xlsx"
    page = b"".join(client.post(url, {"file": upload}).streaming_content).decode()
    assert "1</strong> giải trình mới hoặc sửa" in page and "Xác nhận ghi 2 giá trị" in page
    response = client.post(url, {"confirm": "1"})
    assert (
        response.status_code == 303
        and response["Location"] == f"/cham-diem/ky/{open_score_sheet.period.pk}/don-vi/012/"
    )
    landed = client.get(response["Location"]).content.decode()
    assert "Kế hoạch 12/KH-STP" in landed and "Đã nhập 2 giá trị" in landed
    assert Score.objects.get(criterion=open_score_sheet.leaf["1.1"]).self_points == Decimal("10")
