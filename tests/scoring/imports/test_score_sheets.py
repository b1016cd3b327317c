"""Score sheets in Excel: the template, a good import with preview and confirmation, one workbook with
one of each mistake, codes that survive Excel, the web flow with its progress, and the commands."""

import re
from datetime import timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from scoring.imports.score_sheets import KINDS, run_check, score_template, scores_import
from scoring.models import AuditEntry, CriteriaSet, Criterion, Method, Period, Score
from scoring.permissions import ADMINISTRATOR, APPRAISER, UNIT_STAFF
from tests.scoring.workflow_cast import user
from units.models import Unit

APPRAISED = KINDS["tham-dinh"]
SURVEY = KINDS["dieu-tra"]


class Sheet:
    """A period whose codes Excel likes to mangle: unit "012", criteria "3.1" and "3.10"."""

    def __init__(self, so, scheme):
        self.set = CriteriaSet.objects.create(year=2026, block=so, name="Bộ tiêu chí 2026")
        nodes = {}
        tree = [
            ("1", None, "40"),
            ("1.1", "1", "15"),
            ("1.2", "1", "25"),
            ("3", None, "30"),
            ("3.1", "3", "10"),
            ("3.10", "3", "20"),
            ("4", None, "30"),
        ]
        for position, (code, parent, maximum) in enumerate(tree, start=1):
            nodes[code] = Criterion.objects.create(
                criteria_set=self.set,
                parent=nodes.get(parent),
                code=code,
                title=f"Tiêu chí {code}",
                max_points=Decimal(maximum),
                position=position,
                method=Method.SURVEY if code == "4" else Method.SELF,
            )
        self.leaf = nodes
        self.units = [
            Unit.objects.create(code=code, name=name, block=so)
            for code, name in (("012", "Sở Tư pháp"), ("so-y-te", "Sở Y tế"), ("so-xay-dung", "Sở Xây dựng"))
        ]
        self.period = Period.objects.create(
            year=2026,
            block=so,
            criteria_set=self.set,
            grade_scheme=scheme,
            status=Period.Status.APPRAISAL,
            deadline=timezone.now() + timedelta(days=3),
        )
        self.admin = user("quantri", ADMINISTRATOR)
        self.staff = user("canbo", UNIT_STAFF, self.units[0])
        self.appraiser = user("thamdinh", APPRAISER)


@pytest.fixture
def score_sheet(so, scheme, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return Sheet(so, scheme)


def workbook(rows, header=("Mã đơn vị", "Tên đơn vị", "1.1", "1.2", "3.1", "3.10")) -> Workbook:
    wb = Workbook()
    ws = wb.active
    ws.title = "Bảng điểm"
    ws.append(["Bảng điểm thẩm định"])
    ws.append(list(header))
    ws.append(["Điểm tối đa", None, 15, 25, 10, 20])
    for row in rows:
        ws.append(list(row))
    for cell in ws["A"]:
        cell.number_format = "@"
    for cell in ws[2]:
        cell.number_format = "@"
    return wb


def as_file(wb) -> BytesIO:
    buffer = BytesIO()
    wb.save(buffer)
    buffer.seek(0)
    return buffer


def check(score_sheet, wb, kind=APPRAISED, who=None):
    return run_check(as_file(wb), "bang-diem.xlsx", score_sheet.period, kind, who or score_sheet.admin)


def points():
    return sorted(Score.objects.values_list("unit__code", "criterion__code", "appraised_points"))


def test_the_template_has_titles_codes_maxima_rules_and_a_locked_header(score_sheet):
    ws = load_workbook(BytesIO(score_template(score_sheet.period, APPRAISED, score_sheet.admin))).active
    assert ws.title == "Bảng điểm"
    assert [ws.cell(row=3, column=c).value for c in (3, 5)] == ["1. Tiêu chí 1", "3. Tiêu chí 3"]
    assert {str(r) for r in ws.merged_cells.ranges} >= {"C3:D3", "E3:F3"}  # an area over its criteria
    assert [c.value for c in ws[4]][2:] == ["Tiêu chí 1.1", "Tiêu chí 1.2", "Tiêu chí 3.1", "Tiêu chí 3.10"]
    assert [c.value for c in ws[5]] == ["Mã đơn vị", "Tên đơn vị", "1.1", "1.2", "3.1", "3.10"]
    assert [ws.cell(row=6, column=c).value for c in range(3, 7)] == [15, 25, 10, 20]
    assert [ws.cell(row=r, column=1).value for r in range(7, 10)] == ["012", "so-xay-dung", "so-y-te"]
    assert ws["A7"].data_type == "s"
    rules = {str(dv.sqref): (dv.type, dv.formula1, dv.formula2) for dv in ws.data_validations.dataValidation}
    assert rules["F7:F9"] == ("decimal", "0", "20.000")
    assert ws.protection.sheet
    assert ws["C7"].protection.locked is False and ws["C5"].protection.locked is True
    assert ws.freeze_panes == "C7"
    assert ws.print_title_rows == "$3:$6" and ws.print_title_cols == "$A:$B"
    assert not ws.sheet_properties.pageSetUpPr.fitToPage  # printed across pages at a readable size
    assert len(load_workbook(BytesIO(score_template(score_sheet.period, APPRAISED, score_sheet.admin))).worksheets) == 1


def test_exporting_the_template_and_importing_it_back_changes_nothing(score_sheet):
    Score.objects.create(
        period=score_sheet.period,
        unit=score_sheet.units[1],
        criterion=score_sheet.leaf["3.10"],
        appraised_points=Decimal("12.25"),
    )
    before = points()
    wb = load_workbook(BytesIO(score_template(score_sheet.period, APPRAISED, score_sheet.admin)))
    result = run_check(as_file(wb), "mau.xlsx", score_sheet.period, APPRAISED, score_sheet.admin)
    assert result.ok and result.counts == {"units": 3, "new": 0, "changed": 0, "explained": 0, "unchanged": 1}
    assert scores_import(check=result, period=score_sheet.period, file_name="mau.xlsx", by=score_sheet.admin) == 0
    assert points() == before


def test_a_good_sheet_previews_then_writes_with_an_audit_entry_per_value(score_sheet):
    Score.objects.create(
        period=score_sheet.period,
        unit=score_sheet.units[0],
        criterion=score_sheet.leaf["1.1"],
        appraised_points=Decimal("10"),
    )
    result = check(score_sheet, workbook([("012", "Sở Tư pháp", 12.5, None, 9.75, 20), ("so-y-te", "Sở Y tế", 10)]))
    assert result.ok, [str(e) for e in result.errors]
    assert result.counts == {"units": 2, "new": 3, "changed": 1, "explained": 0, "unchanged": 0}
    assert points() == [("012", "1.1", Decimal("10.000"))]  # a check writes nothing
    assert scores_import(check=result, period=score_sheet.period, file_name="bang-diem.xlsx", by=score_sheet.admin) == 4
    assert ("012", "3.10", Decimal("20.000")) in points() and ("012", "1.1", Decimal("12.500")) in points()
    entries = AuditEntry.objects.filter(reason="nhập từ Excel: bang-diem.xlsx")
    assert entries.count() == 4
    assert entries.filter(criterion__code="1.1", unit__code="012", old="10", new="12,5").exists()


def test_a_re_import_writes_audit_entries_for_the_changed_values_only_with_old_and_new(score_sheet):
    first = check(score_sheet, workbook([("012", "Sở Tư pháp", 12.5, 20, 9.75, 20)]))
    assert scores_import(check=first, period=score_sheet.period, file_name="lan-1.xlsx", by=score_sheet.admin) == 4
    again = check(score_sheet, workbook([("012", "Sở Tư pháp", 12.5, 21, 9.75, 19.5)]))
    assert again.counts == {"units": 1, "new": 0, "changed": 2, "explained": 0, "unchanged": 2}
    assert scores_import(check=again, period=score_sheet.period, file_name="lan-2.xlsx", by=score_sheet.admin) == 2
    entries = AuditEntry.objects.filter(reason="nhập từ Excel: lan-2.xlsx")
    assert sorted(entries.values_list("criterion__code", "old", "new", "by", "action")) == [
        ("1.2", "20", "21", score_sheet.admin.pk, AuditEntry.Action.APPRAISED_POINTS),
        ("3.10", "20", "19,5", score_sheet.admin.pk, AuditEntry.Action.APPRAISED_POINTS),
    ]
    assert ("012", "3.10", Decimal("19.500")) in points()


def test_points_checked_against_a_maximum_since_lowered_are_read_again_by_the_save(score_sheet):
    result = check(score_sheet, workbook([("012", "Sở Tư pháp", 14)]))
    assert result.ok
    Criterion.objects.filter(pk=score_sheet.leaf["1.1"].pk).update(max_points=Decimal("12"))
    with pytest.raises(ValidationError) as refused:
        scores_import(check=result, period=score_sheet.period, file_name="bang-diem.xlsx", by=score_sheet.admin)
    assert refused.value.message_dict == {
        f"{score_sheet.leaf['1.1'].pk}-appraised_points": ["Tiêu chí 1.1: điểm 14 vượt quá điểm tối đa 12."]
    }
    assert points() == [] and not AuditEntry.objects.exists()


EXPECTED_ERRORS = [
    (4, "D", "“mười” không phải là số (viết như 12,5 hoặc 12.5, không dùng dấu phân cách hàng nghìn)."),
    (5, "C", "Điểm 16 vượt quá điểm tối đa 15."),
    (5, "D", "Điểm -1 là số âm; điểm phải từ 0 đến 25."),
    (6, "A", "Không có đơn vị mã “so-khong-co” trong khối Sở, ban, ngành cấp tỉnh năm 2026."),
    (7, "A", "Đơn vị “so-y-te” đã có ở dòng 5."),
    (8, "C", "Các ô C8:D8 đang được gộp; hãy bỏ gộp ô trong vùng dữ liệu."),
    (8, "E", "Ô chứa công thức “=1+2”; hãy dán giá trị (Paste Values) thay cho công thức."),
    (2, "G", "“9.9” không phải mã tiêu chí của bộ tiêu chí năm 2026."),
]


def bad_workbook() -> Workbook:
    wb = workbook(
        [
            ("012", "Sở Tư pháp", 10, "mười", None, "12,5"),  # row 4: text; row 4 F: text "12,5" is fine
            ("so-y-te", "Sở Y tế", 16, -1),  # row 5: above the maximum, negative
            ("so-khong-co", "Sở lạ", 1),  # row 6: unknown unit
            ("so-y-te", "Sở Y tế lần hai", 1),  # row 7: duplicated unit row
            ("so-xay-dung", "Sở Xây dựng", None, None, "=1+2"),  # row 8: merged cells, a formula
            (None,),
            (None, None, None),
            ("",),  # empty rows at the end: not errors
        ],
        header=("Mã đơn vị", "Tên đơn vị", "1.1", "1.2", "3.1", "3.10", "9.9"),
    )
    wb.active.merge_cells("C8:D8")
    return wb


def test_one_of_each_mistake_yields_exactly_those_errors_and_writes_nothing(score_sheet):
    before = points()
    result = check(score_sheet, bad_workbook())
    found = sorted((e.row, chr(64 + e.column), e.message) for e in result.errors)
    assert found == sorted(EXPECTED_ERRORS)
    assert all(str(e).startswith("Trang tính “Bảng điểm”, dòng ") for e in result.errors)
    assert "Ô F4 lưu dạng văn bản “12,5”, đã đọc là 12,5." in result.notes
    assert result.units == [] and points() == before
    marked = load_workbook(BytesIO(result.error_workbook)).active
    for row, column, message in EXPECTED_ERRORS:
        cell = marked[f"{column}{row}"]
        assert cell.fill.fgColor.rgb.endswith("FFC7CE"), cell.coordinate
        assert message in cell.comment.text
    assert marked["C4"].comment is None


def test_the_upload_is_read_once_and_the_marked_copy_is_built_from_what_was_read(score_sheet, monkeypatch):
    from scoring.imports import score_sheets

    opened = []
    real = score_sheets.open_table
    monkeypatch.setattr(score_sheets, "open_table", lambda *a, **k: opened.append(k.get("sheet")) or real(*a, **k))
    result = check(score_sheet, bad_workbook())
    assert opened == [None] and result.error_workbook  # one reading: the check's, none for the marked copy
    marked = load_workbook(BytesIO(result.error_workbook)).active
    assert [c.value for c in marked[4]][:6] == [c.value for c in bad_workbook().active[4]][:6]


def test_a_sheet_without_a_header_is_marked_whole_from_the_same_reading(score_sheet, monkeypatch):
    from scoring.imports import score_sheets

    opened = []
    real = score_sheets.open_table
    monkeypatch.setattr(score_sheets, "open_table", lambda *a, **k: opened.append(1) or real(*a, **k))
    wb = Workbook()
    for number in range(1, 41):  # past the rows searched for the header
        wb.active.append([f"dòng {number}", number])
    result = check(score_sheet, wb)
    marked = load_workbook(BytesIO(result.error_workbook)).active
    assert len(opened) == 1 and marked.max_row == 40 and marked["B40"].value == 40
    assert marked["A1"].comment is not None


def test_a_sheet_without_the_header_row_is_refused(score_sheet):
    wb = Workbook()
    wb.active.append(["Đơn vị", "1.1"])
    wb.active.append(["012", 5])
    result = check(score_sheet, wb)
    assert [str(e) for e in result.errors] == [
        "Trang tính “Sheet”, dòng 1, cột A: Không tìm thấy dòng tiêu đề: cột A phải có ô “Mã đơn vị” trong 15 dòng đầu."
    ]


def test_codes_that_excel_would_mangle_read_back_as_written(score_sheet):
    wb = workbook([("012", "Sở Tư pháp", None, None, 1, 2)])
    result = check(score_sheet, wb)
    assert result.ok
    scores_import(check=result, period=score_sheet.period, file_name="a.xlsx", by=score_sheet.admin)
    assert points() == [("012", "3.1", Decimal("1.000")), ("012", "3.10", Decimal("2.000"))]
    numeric = workbook([(12, "Sở Tư pháp", 1)], header=("Mã đơn vị", "Tên đơn vị", 3.1))
    messages = [e.message for e in check(score_sheet, numeric).errors]
    assert any("đang là số" in m for m in messages) and any("định dạng cột mã đơn vị là văn bản" in m for m in messages)


def test_the_same_permissions_as_the_entry_page_apply(score_sheet):
    result = check(score_sheet, workbook([("012", "", 1)]), who=score_sheet.appraiser)  # assigned to nothing
    assert [e.message for e in result.errors] == [
        "Bạn không có quyền nhập điểm thẩm định cho đơn vị “Sở Tư pháp” ở bước này của kỳ đánh giá."
    ]
    survey = workbook([("012", "", 25)], header=("Mã đơn vị", "Tên đơn vị", "4"))
    assert not check(score_sheet, survey, kind=SURVEY, who=score_sheet.staff).ok
    assert check(score_sheet, survey, kind=SURVEY).ok


def test_a_published_period_refuses_an_import(score_sheet):
    Period.objects.filter(pk=score_sheet.period.pk).update(status=Period.Status.LOCKED)
    score_sheet.period.refresh_from_db()
    result = check(score_sheet, workbook([("012", "", 1)]))
    assert not result.ok and points() == []


def test_the_web_import_shows_progress_then_a_preview_and_writes_only_on_confirmation(score_sheet):
    client = Client()
    client.force_login(score_sheet.admin)
    url = f"/cham-diem/ky/{score_sheet.period.pk}/nhap-diem/tham-dinh/"
    assert client.get(url).status_code == 200
    upload = as_file(workbook([("012", "Sở Tư pháp", 12.5), ("so-y-te", "Sở Y tế", 3)]))
    upload.name = "bang-diem-tham-dinh.xlsx"
    response = client.post(url, {"file": upload})
    page = b"".join(response.streaming_content).decode()
    assert re.search(r"cchcProgress\((\d+), \1\)", page) and "<progress" in page
    assert "2</strong> điểm mới" in page and "Xác nhận ghi 2 giá trị" in page
    assert points() == []
    response = client.post(url, {"confirm": "1"})
    assert response.status_code == 303
    assert points() == [("012", "1.1", Decimal("12.500")), ("so-y-te", "1.1", Decimal("3.000"))]
    # It lands on the period page, which lists the units just imported, each linked to its sheet (once).
    assert response["Location"] == f"/cham-diem/ky/{score_sheet.period.pk}/"
    landed = client.get(response["Location"]).content.decode()
    assert "Vừa nhập từ Excel: 2 đơn vị" in landed and "Đã nhập 2 giá trị" in landed
    assert f"/cham-diem/ky/{score_sheet.period.pk}/don-vi/012/" in landed
    assert "Vừa nhập từ Excel" not in client.get(response["Location"]).content.decode()
    assert client.post(url, {"confirm": "1"}).status_code == 400  # the stored file is used once


def test_the_web_import_lists_errors_and_offers_the_marked_up_workbook(score_sheet):
    client = Client()
    client.force_login(score_sheet.admin)
    url = f"/cham-diem/ky/{score_sheet.period.pk}/nhap-diem/tham-dinh/"
    upload = as_file(bad_workbook())
    upload.name = "sai.xlsx"
    page = b"".join(client.post(url, {"file": upload}).streaming_content).decode()
    assert f"có {len(EXPECTED_ERRORS)} lỗi; chưa ghi gì" in page
    assert "Trang tính “Bảng điểm”, dòng 5, cột C: Điểm 16 vượt quá điểm tối đa 15." in page
    marked = client.get(url + "loi.xlsx")
    assert marked.status_code == 200
    assert load_workbook(BytesIO(b"".join(marked.streaming_content))).active["C5"].comment is not None
    assert client.post(url, {"confirm": "1"}).status_code == 400 and points() == []


def test_one_formula_copied_down_a_column_is_one_line_on_the_page_and_a_comment_on_each_cell(score_sheet):
    client = Client()
    client.force_login(score_sheet.admin)
    url = f"/cham-diem/ky/{score_sheet.period.pk}/nhap-diem/tham-dinh/"
    rows = [(unit.code, unit.name, None, None, "=1+2") for unit in score_sheet.units]  # rows 4 to 6
    upload = as_file(workbook(rows))
    upload.name = "cong-thuc.xlsx"

    page = b"".join(client.post(url, {"file": upload}).streaming_content).decode()

    assert "có 3 lỗi; chưa ghi gì" in page
    line = "Trang tính “Bảng điểm”, các dòng 4–6, cột E: Ô chứa công thức “=1+2”"
    assert line in page and page.count("Ô chứa công thức") == 1
    marked = load_workbook(BytesIO(b"".join(client.get(url + "loi.xlsx").streaming_content))).active
    assert all("Ô chứa công thức" in marked[f"E{row}"].comment.text for row in (4, 5, 6))


@pytest.mark.parametrize("name, content", [("diem.csv", b"a,b"), ("diem.xlsx", b"not a workbook")])
def test_a_file_that_is_not_a_workbook_gets_a_vietnamese_message(score_sheet, name, content):
    client = Client()
    client.force_login(score_sheet.admin)
    url = f"/cham-diem/ky/{score_sheet.period.pk}/nhap-diem/tham-dinh/"
    upload = BytesIO(content)
    upload.name = name
    response = client.post(url, {"file": upload})
    body = b"".join(response.streaming_content).decode() if response.streaming else response.content.decode()
    assert "không phải bảng tính Excel .xlsx" in body or "Không đọc được tệp" in body


def test_unit_staff_cannot_open_the_survey_import(score_sheet):
    client = Client()
    client.force_login(score_sheet.staff)
    assert client.get(f"/cham-diem/ky/{score_sheet.period.pk}/nhap-diem/dieu-tra/").status_code == 403


def test_the_commands_export_a_template_and_import_it_with_every_error_listed(score_sheet, tmp_path):
    template = tmp_path / "mau.xlsx"
    call_command("export_score_template", "--year", "2026", "--block", "so", "--kind", "appraised", "-o", str(template))
    assert load_workbook(template).active["C5"].value == "1.1"
    bad = tmp_path / "sai.xlsx"
    bad_workbook().save(bad)
    with pytest.raises(CommandError) as error:
        call_command(
            "import_scores", str(bad), "--year", "2026", "--block", "so", "--kind", "appraised", "--user", "quantri"
        )
    assert f"{len(EXPECTED_ERRORS)} lỗi, không ghi gì" in str(error.value)
    assert "dòng 8, cột E: Ô chứa công thức" in str(error.value)
    good = tmp_path / "dung.xlsx"
    workbook([("012", "Sở Tư pháp", 7)]).save(good)
    call_command(
        "import_scores",
        str(good),
        "--year",
        "2026",
        "--block",
        "so",
        "--kind",
        "appraised",
        "--user",
        "quantri",
        "--dry-run",
    )
    assert points() == []
    call_command(
        "import_scores", str(good), "--year", "2026", "--block", "so", "--kind", "appraised", "--user", "quantri"
    )
    assert points() == [("012", "1.1", Decimal("7.000"))]
