"""Sheet names people read, within Excel's 31 characters and without the characters it forbids; rows tall enough
for their wrapped text; a streamed sheet's rows written through one styled cell per column."""

from decimal import Decimal
from io import BytesIO

from openpyxl import Workbook, load_workbook

from cchc_portal.lib.xlsx_write import ColumnCells, StreamedSheet, sheet_title, wrapped_height, wrapped_lines


def test_a_short_name_is_kept_whole():
    assert sheet_title("So sánh UBND cấp huyện") == "So sánh UBND cấp huyện"


def test_a_long_name_is_cut_at_a_word_and_keeps_its_year():
    title = sheet_title("UBND các xã, phường, thị trấn thuộc tỉnh", "2024")
    assert len(title) <= 31 and title.endswith(" 2024") and title.startswith("UBND các xã, phường")
    assert sheet_title("So sánh UBND các xã, phường, thị trấn") == "So sánh UBND các xã, phường"


def test_characters_excel_forbids_are_left_out():
    assert sheet_title("Khối [mới]: A/B?*\\") == "Khối mới A B"


def test_a_row_of_wrapped_text_is_given_the_height_of_its_longest_cell():
    assert wrapped_lines("Vị thứ năm 2020", 11, bold=True) == 2
    assert wrapped_lines("Sở Tư pháp", 50) == 1
    assert wrapped_lines("một\nhai\nba", 40) == 3
    one, two = wrapped_height([("TT", 6)]), wrapped_height([("TT", 6), ("Thay đổi vị thứ", 11)], bold=True)
    assert two >= 2 * one - 5 and one >= 15


def test_column_cells_serve_row_after_row_each_row_keeping_its_own_values_types_and_the_columns_style():
    workbook = Workbook(write_only=True)
    ws = StreamedSheet(workbook, "Bảng", dimension="A1:B4")
    columns = ColumnCells(ws, [{"align": "center"}, {"number_format": "0.00", "align": "right", "bold": True}])
    for values in (("=1+1", Decimal("90.45")), ("Sở Tư pháp", 7), (None, None), (5, "-thấp\x00")):
        ws.append(columns.row(values))
    buffer = BytesIO()
    workbook.save(buffer)

    sheet = load_workbook(BytesIO(buffer.getvalue())).active
    assert sheet.dimensions == "A1:B4"
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [
        ["=1+1", 90.45], ["Sở Tư pháp", 7], [None, None], [5, "-thấp\ufffd"]
    ]  # fmt: skip
    assert [c.data_type for c in sheet["A"]] == ["s", "s", "n", "n"]  # a formula's text stays text, once only
    assert sheet["B4"].data_type == "s"
    assert all(c.number_format == "0.00" and c.font.b and c.border.left.style == "thin" for c in sheet["B"])
    assert all(c.alignment.horizontal == "center" and not c.font.b for c in sheet["A"])
