"""The ranking table as an Excel file (opened with openpyxl) and as JSON: same rows, same order."""

import json
from decimal import Decimal
from io import BytesIO
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from tests.conftest import publish_table

ROWS = [
    ("Sở Thông tin và Truyền thông", "90.450"),
    ("Sở Lao động, Thương binh và Xã hội", "88.920"),
    ('=HYPERLINK("http://x","bấm")', "75.086"),
]


@pytest.fixture
def table_2022_with_a_formula(so):
    return publish_table(so, 2022, ROWS)


def open_sheet(response):
    return load_workbook(BytesIO(response.content)).active


def test_the_workbook_has_the_announcement_layout(client, table_2022_with_a_formula):
    response = client.get("/xep-hang/2022/so.xlsx")
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    ws = open_sheet(response)
    assert ws["A1"].value == "ỦY BAN NHÂN DÂN THÀNH PHỐ HUẾ"  # the issuer, as the annex of a decision
    assert ws["A2"].value == (
        "Kết quả đánh giá, xếp loại công tác cải cách hành chính của các sở, ban, ngành cấp tỉnh năm 2022"
    )
    assert {"A1:E1", "A2:E2", "A3:E3"} <= {str(r) for r in ws.merged_cells.ranges}
    assert [c.value for c in ws[5]] == ["TT", "Tên đơn vị", "Điểm đánh giá", "Xếp loại", "Vị thứ"]
    body = [[c.value for c in row] for row in ws.iter_rows(min_row=6, max_row=8)]
    assert [r[1] for r in body] == [name for name, _ in ROWS]
    assert [Decimal(str(r[2])) for r in body] == [Decimal(total) for _, total in ROWS]
    assert [r[0] for r in body] == [1, 2, 3] and [r[4] for r in body] == [1, 2, 3]


def test_scores_are_numbers_shown_with_the_published_decimals(client, table_2022_with_a_formula):
    ws = open_sheet(client.get("/xep-hang/2022/so.xlsx"))
    assert ws["C7"].data_type == "n"
    assert ws["C7"].value == 88.92
    assert ws["C7"].number_format == "0.000"


def test_two_decimal_years_use_a_two_decimal_format(client, so):
    publish_table(so, 2020, [("Sở Nội vụ", "87.87")], decimals=2, partial=True)
    ws = open_sheet(client.get("/xep-hang/2020/so.xlsx"))
    assert ws["C6"].number_format == "0.00"
    assert ws["A3"].value == "Nguồn công bố chỉ nêu một phần bảng kết quả."


def test_the_sheet_prints_on_a4_with_the_header_repeated_and_columns_that_fit(client, table_2022_with_a_formula):
    ws = open_sheet(client.get("/xep-hang/2022/so.xlsx"))
    assert str(ws.page_setup.paperSize) == Worksheet.PAPERSIZE_A4  # "9" is A4
    assert ws.page_setup.orientation == "portrait"
    assert ws.page_setup.fitToWidth == 1
    assert ws.print_title_rows == "$5:$5"
    assert ws.freeze_panes == "A6"
    longest = max(len(name) for name, _ in ROWS[:2])
    assert ws.column_dimensions["B"].width >= longest
    assert ws.column_dimensions["C"].width >= len("Điểm đánh giá")


def test_text_that_looks_like_a_formula_is_written_as_text(client, table_2022_with_a_formula):
    ws = open_sheet(client.get("/xep-hang/2022/so.xlsx"))
    assert ws["B8"].data_type == "s"
    assert ws["B8"].value.startswith("=HYPERLINK")


def test_every_table_cell_is_bordered_in_the_table_font_with_its_columns_alignment(client, table_2022_with_a_formula):
    ws = open_sheet(client.get("/xep-hang/2022/so.xlsx"))
    for row in ws.iter_rows(min_row=5, max_row=8):
        assert all(c.font.name == "Times New Roman" and c.font.sz == 12 and c.border.left.style == "thin" for c in row)
    assert all(c.font.b and c.fill.fgColor.rgb == "00D9E2F3" and c.alignment.horizontal == "center" for c in ws[5])
    for row in ws.iter_rows(min_row=6, max_row=8):
        assert [c.alignment.horizontal for c in row] == ["center", "left", "right", "center", "center"]
        assert [bool(c.alignment.wrap_text) for c in row] == [False, True, False, False, False]
        assert not any(c.font.b or c.fill.fill_type for c in row)
    assert ws["A1"].font.b and ws["A1"].border.left.style is None and ws["A2"].font.sz == 14


def test_the_file_downloads_under_a_vietnamese_name(client, table_2022_with_a_formula):
    disposition = client.get("/xep-hang/2022/so.xlsx")["Content-Disposition"]
    assert disposition.startswith('attachment; filename="ket-qua-cchc-so-2022.xlsx"')
    encoded = disposition.split("filename*=UTF-8''", 1)[1]
    assert unquote(encoded) == "Kết quả CCHC Sở, ban, ngành cấp tỉnh năm 2022.xlsx"
    assert encoded.isascii()
    assert open_sheet(client.get("/xep-hang/2022/so.xlsx")).title == "Sở, ban, ngành cấp tỉnh 2022"  # not "so-2022"


def test_the_api_returns_the_table_in_rank_order_with_scores_as_strings(client, table_2022_with_a_formula):
    response = client.get("/api/v1/results/2022/so/")
    assert response["Content-Type"] == "application/json; charset=utf-8"
    data = json.loads(response.content)
    assert (data["year"], data["block"], data["block_name"]) == (2022, "so", "Sở, ban, ngành cấp tỉnh")
    assert [(r["rank"], r["unit"], r["score"]) for r in data["results"]] == [
        (1, "Sở Thông tin và Truyền thông", "90.450"),
        (2, "Sở Lao động, Thương binh và Xã hội", "88.920"),
        (3, ROWS[2][0], "75.086"),
    ]
    assert "Thông tin".encode() in response.content  # UTF-8, not \\u escapes
