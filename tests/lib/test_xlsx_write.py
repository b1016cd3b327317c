"""Sheet names people read, within Excel's 31 characters and without the characters it forbids; rows tall enough
for their wrapped text."""

from cchc_portal.lib.xlsx_write import sheet_title, wrapped_height, wrapped_lines


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
