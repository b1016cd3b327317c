"""The year comparison report: published tables side by side, following unit successions."""

from decimal import Decimal
from io import BytesIO, StringIO
from pathlib import Path
from urllib.parse import unquote

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from reports.comparison import comparison_workbook
from scoring.models import Period
from tests.conftest import publish_table
from units.models import Unit

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
HEADER_ROW = 4
MERGED = "Sở Nông nghiệp và Môi trường"


@pytest.fixture
def tables_2020_and_2022(so, huyen):
    """The real 2020 (top five only) and 2022 (all 21 departments) tables, imported as published."""
    out = StringIO()
    call_command("import_results", str(FIXTURES / "ket-qua-cong-bo-2020-mot-phan.csv"), "--partial", stdout=out)
    call_command("import_results", str(FIXTURES / "ket-qua-cong-bo-2022.csv"), stdout=out)
    return so


@pytest.fixture
def merged_2024(tables_2020_and_2022):
    """2024: agriculture and environment merged into one department; Sở Du lịch only renamed."""
    merged = Unit.objects.create(code="so-nn-mt", name=MERGED, block=tables_2020_and_2022, first_year=2024)
    Unit.objects.get(name="Sở Nông nghiệp và Phát triển nông thôn").successors.add(merged)
    Unit.objects.get(name="Sở Tài nguyên và Môi trường").successors.add(merged)
    renamed = Unit.objects.create(code="so-du-lich-moi", name="Sở Du lịch và Văn hóa", block=tables_2020_and_2022)
    Unit.objects.get(name="Sở Du lịch").successors.add(renamed)
    return publish_table(
        tables_2020_and_2022,
        2024,
        [("Sở Nội vụ", "91.5"), (MERGED, "89.25"), ("Sở Du lịch và Văn hóa", "85"), ("Sở Tư pháp", "80.125")],
    )


def sheet(content: bytes):
    return load_workbook(BytesIO(content)).active


def header(ws) -> list:
    return [c.value for c in ws[HEADER_ROW]]


def rows_by_name(ws) -> dict[str, dict]:
    names = header(ws)
    rows = {}
    for row in ws.iter_rows(min_row=HEADER_ROW + 1):
        cells = dict(zip(names, row, strict=False))
        rows[cells["Tên đơn vị"].value] = cells
    return rows


def test_each_year_has_score_grade_and_rank_and_later_years_a_rank_change(tables_2020_and_2022):
    ws = sheet(comparison_workbook(tables_2020_and_2022))
    assert ws["A1"].value == (
        "So sánh kết quả đánh giá, xếp loại công tác cải cách hành chính của các sở, ban, ngành cấp tỉnh "
        "các năm 2020–2022"
    )
    assert header(ws) == [
        "TT",
        "Tên đơn vị",
        "Điểm 2020",
        "Xếp loại 2020",
        "Vị thứ 2020",
        "Điểm 2022",
        "Xếp loại 2022",
        "Vị thứ 2022",
        "Thay đổi vị thứ",
        "Ghi chú",
    ]
    assert (ws["C3"].value, ws["F3"].value) == ("Năm 2020", "Năm 2022")
    assert {"C3:E3", "F3:I3"} <= {str(r) for r in ws.merged_cells.ranges}
    assert "Năm 2020: nguồn công bố chỉ nêu một phần bảng kết quả." in ws["A2"].value


def test_rows_follow_the_latest_table_in_rank_order(tables_2020_and_2022):
    ws = sheet(comparison_workbook(tables_2020_and_2022))
    names = [row[1].value for row in ws.iter_rows(min_row=HEADER_ROW + 1)]
    assert len(names) == 21
    assert names[:3] == ["Sở Thông tin và Truyền thông", "Sở Tài nguyên và Môi trường", "Văn phòng UBND tỉnh"]
    assert names[9] == "Sở Nội vụ"
    assert [row[0].value for row in ws.iter_rows(min_row=HEADER_ROW + 1)] == list(range(1, 22))


def test_the_rank_change_is_the_previous_rank_minus_the_current_one(tables_2020_and_2022):
    rows = rows_by_name(sheet(comparison_workbook(tables_2020_and_2022)))
    noi_vu = rows["Sở Nội vụ"]
    assert (noi_vu["Vị thứ 2020"].value, noi_vu["Vị thứ 2022"].value) == (1, 10)
    assert noi_vu["Thay đổi vị thứ"].value == -9
    assert noi_vu["Thay đổi vị thứ"].number_format == "+0;-0;0"
    assert rows["Sở Tư pháp"]["Thay đổi vị thứ"].value == 5 - 13
    # Not in the partial 2020 list: blank 2020 columns and no change.
    assert rows["Sở Y tế"]["Điểm 2020"].value is None
    assert rows["Sở Y tế"]["Thay đổi vị thứ"].value is None


def test_scores_are_numbers_with_each_years_published_decimals(tables_2020_and_2022):
    rows = rows_by_name(sheet(comparison_workbook(tables_2020_and_2022)))
    noi_vu = rows["Sở Nội vụ"]
    assert (noi_vu["Điểm 2020"].value, noi_vu["Điểm 2020"].number_format) == (87.87, "0.00")
    assert (noi_vu["Điểm 2022"].value, noi_vu["Điểm 2022"].number_format) == (87.405, "0.000")
    assert noi_vu["Điểm 2022"].data_type == "n"
    assert (noi_vu["Xếp loại 2020"].value, noi_vu["Xếp loại 2022"].value) == ("Tốt", "Tốt")


def test_a_merged_unit_shows_its_best_ranked_predecessors_earlier_result_with_a_note(merged_2024):
    rows = rows_by_name(sheet(comparison_workbook(merged_2024.block)))
    merged = rows[MERGED]
    # Tài nguyên và Môi trường ranked 2nd in 2022, Nông nghiệp và PTNT 12th: the better one is shown.
    assert (merged["Điểm 2022"].value, merged["Vị thứ 2022"].value) == (90.156, 2)
    assert merged["Vị thứ 2024"].value == 2
    assert merged["Thay đổi vị thứ"].value == 0  # the last change column: 2022 (borrowed) to 2024
    assert merged["Ghi chú"].value == "2022: số liệu của Sở Tài nguyên và Môi trường (đơn vị tiền thân)"
    assert merged["Điểm 2020"].value is None  # neither predecessor is in the partial 2020 list


def test_a_renamed_unit_carries_its_old_names_results_in_every_earlier_year(merged_2024):
    rows = rows_by_name(sheet(comparison_workbook(merged_2024.block, [2022, 2024])))
    renamed = rows["Sở Du lịch và Văn hóa"]
    assert (renamed["Vị thứ 2022"].value, renamed["Vị thứ 2024"].value) == (18, 3)
    assert renamed["Thay đổi vị thứ"].value == 15
    assert renamed["Ghi chú"].value == "2022: số liệu của Sở Du lịch (đơn vị tiền thân)"


def test_units_gone_from_the_latest_table_follow_at_the_bottom_with_blanks(merged_2024):
    ws = sheet(comparison_workbook(merged_2024.block))
    names = [row[1].value for row in ws.iter_rows(min_row=HEADER_ROW + 1)]
    assert names[:4] == ["Sở Nội vụ", MERGED, "Sở Du lịch và Văn hóa", "Sở Tư pháp"]
    assert len(names) == 4 + 19  # the other 2022 departments, each listed once
    assert names[4] == "Sở Thông tin và Truyền thông"  # best 2022 rank first
    rows = rows_by_name(ws)
    gone = rows["Sở Nông nghiệp và Phát triển nông thôn"]
    assert gone["Vị thứ 2022"].value == 12
    assert gone["Điểm 2024"].value is None and gone["Vị thứ 2024"].value is None
    assert gone["Ghi chú"].value == f"Đơn vị kế thừa: {MERGED}"


def test_a_table_that_is_not_published_never_appears(tables_2020_and_2022):
    publish_table(tables_2020_and_2022, 2023, [("Sở Nội vụ", "99.999")], status=Period.Status.APPROVED)
    ws = sheet(comparison_workbook(tables_2020_and_2022))
    assert not any("2023" in str(value) for value in header(ws))
    assert "99.999" not in str([[c.value for c in row] for row in ws.iter_rows()])
    ws = sheet(comparison_workbook(tables_2020_and_2022, [2023]))
    assert ws.max_row <= HEADER_ROW


def test_the_sheet_has_frozen_headers_and_prints_a4_landscape(tables_2020_and_2022):
    ws = sheet(comparison_workbook(tables_2020_and_2022))
    assert ws.freeze_panes == "C5"
    assert str(ws.page_setup.paperSize) == Worksheet.PAPERSIZE_A4
    assert ws.page_setup.orientation == "landscape"
    assert ws.print_title_rows == "$3:$4"
    assert ws.column_dimensions["B"].width >= 40


def test_a_formula_looking_unit_name_stays_text(so):
    publish_table(so, 2022, [("=1+2", "90"), ("Sở Y tế", "80")])
    ws = sheet(comparison_workbook(so))
    assert (ws["B5"].value, ws["B5"].data_type) == ("=1+2", "s")


def test_the_comparison_reads_a_fixed_number_of_queries(so, huyen):
    publish_table(so, 2021, [(f"Sở {i}", f"{90 - i}") for i in range(3)])
    publish_table(so, 2022, [(f"Sở {i}", f"{80 + i}") for i in range(3)])
    publish_table(huyen, 2021, [(f"Huyện {i}", f"{90 - i}") for i in range(9)])
    publish_table(huyen, 2022, [(f"Huyện {i}", f"{80 + i}") for i in range(9)])
    counts = []
    for block in (so, huyen):
        with CaptureQueriesContext(connection) as queries:
            comparison_workbook(block)
        counts.append(len(queries))
    assert counts == [2, 2]  # the published results, the succession links


def test_the_public_url_downloads_the_comparison_under_a_vietnamese_name(client, tables_2020_and_2022):
    response = client.get("/xep-hang/so-sanh/so.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="so-sanh-cchc-so-2020-2022.xlsx"')
    encoded = disposition.split("filename*=UTF-8''", 1)[1]
    assert encoded.isascii()
    assert unquote(encoded) == "So sánh kết quả CCHC Sở, ban, ngành cấp tỉnh 2020-2022.xlsx"
    assert header(sheet(response.content))[2] == "Điểm 2020"
    assert load_workbook(BytesIO(response.content)).sheetnames == ["So sánh Sở, ban, ngành cấp tỉnh"]


def test_a_year_range_limits_the_columns(client, tables_2020_and_2022):
    ws = sheet(client.get("/xep-hang/so-sanh/so.xlsx?tu=2021&den=2022").content)
    assert header(ws) == ["TT", "Tên đơn vị", "Điểm 2022", "Xếp loại 2022", "Vị thứ 2022", "Ghi chú"]
    ws = sheet(client.get("/xep-hang/so-sanh/so.xlsx?den=2020").content)
    assert header(ws)[2:5] == ["Điểm 2020", "Xếp loại 2020", "Vị thứ 2020"]
    assert Decimal(str(rows_by_name(ws)["Sở Nội vụ"]["Điểm 2020"].value)) == Decimal("87.87")


@pytest.mark.parametrize(
    "query",
    ["tu=abc", "den=20222", "tu=-2020", "tu=2022&den=2020", "tu=２０２２", "tu=1e3", "den=99999999999999999999999"],
)
def test_bad_years_are_refused_with_a_vietnamese_message(client, tables_2020_and_2022, query):
    response = client.get(f"/xep-hang/so-sanh/so.xlsx?{query}")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    assert "không hợp lệ" in response.content.decode()


def test_an_unknown_block_or_one_with_nothing_published_is_not_found(client, tables_2020_and_2022):
    assert client.get("/xep-hang/so-sanh/khong-co.xlsx").status_code == 404
    assert client.get("/xep-hang/so-sanh/xa.xlsx").status_code == 404
    assert client.get("/xep-hang/so-sanh/so.xlsx?tu=2023&den=2030").status_code == 404


def test_only_safe_methods_are_allowed(client, tables_2020_and_2022):
    assert client.post("/xep-hang/so-sanh/so.xlsx").status_code == 405
