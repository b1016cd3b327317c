"""Names as the imports compare them: one unit under the spellings announcements give it."""

import pytest

from cchc_portal.lib.text import unit_key

PLACES = ("Thừa Thiên Huế", "thành phố Huế", "Huế")


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Sở Lao động - Thương binh và Xã hội", "Sở Lao động, Thương binh và Xã hội"),
        ("Ban Quản lý Khu kinh tế, công nghiệp tỉnh", "Ban Quản lý Khu kinh tế, công nghiệp Thừa Thiên Huế"),
        ("Thanh tra tỉnh", "Thanh tra Thừa Thiên Huế"),
        ("Thanh tra tỉnh", "Thanh tra tỉnh Thừa Thiên Huế"),
        ("Sở  Nội vụ", "SỞ NỘI VỤ"),
        ("Văn phòng UBND tỉnh", "Văn phòng UBND thành phố Huế"),
    ],
)
def test_one_unit_under_the_spellings_of_two_announcements_has_one_key(one, other):
    assert unit_key(one, PLACES) == unit_key(other, PLACES)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Sở Y tế", "Sở Tư pháp"),
        ("UBND huyện Phú Vang", "UBND huyện Phú Lộc"),
        ("Sở Kế hoạch và Đầu tư", "Sở Tài chính"),
    ],
)
def test_different_units_keep_different_keys(one, other):
    assert unit_key(one, PLACES) != unit_key(other, PLACES)


def test_a_name_that_is_only_the_province_is_not_emptied():
    assert unit_key("Huế", PLACES) == "huế" and unit_key("tỉnh", PLACES) == "tỉnh"
