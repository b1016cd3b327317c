"""Sheet names people read: a block's name, within Excel's 31 characters and without the characters it forbids."""

from cchc_portal.lib.xlsx_write import sheet_title


def test_a_short_name_is_kept_whole():
    assert sheet_title("So sánh UBND cấp huyện") == "So sánh UBND cấp huyện"


def test_a_long_name_is_cut_at_a_word_and_keeps_its_year():
    title = sheet_title("UBND các xã, phường, thị trấn thuộc tỉnh", "2024")
    assert len(title) <= 31 and title.endswith(" 2024") and title.startswith("UBND các xã, phường")
    assert sheet_title("So sánh UBND các xã, phường, thị trấn") == "So sánh UBND các xã, phường"


def test_characters_excel_forbids_are_left_out():
    assert sheet_title("Khối [mới]: A/B?*\\") == "Khối mới A B"
