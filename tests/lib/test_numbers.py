"""Vietnamese number formatting (no database)."""

from decimal import Decimal

import pytest

from cchc_portal.lib.numbers import plain_number, vn_number


@pytest.mark.parametrize(
    "value, decimals, expected",
    [
        ("90.45", 3, "90,450"),
        ("87.87", 2, "87,87"),
        ("89.9995", 3, "90,000"),
        ("0.0005", 3, "0,001"),
        ("1072", 0, "1.072"),
        ("1234567.891", 2, "1.234.567,89"),
        ("100", 3, "100,000"),
        ("-1.5", 1, "-1,5"),
    ],
)
def test_numbers_use_a_decimal_comma_and_dots_between_thousands(value, decimals, expected):
    assert vn_number(Decimal(value), decimals) == expected


def test_machine_readable_numbers_keep_a_dot_and_the_published_decimals():
    assert plain_number(Decimal("88.92"), 3) == "88.920"
    assert plain_number(Decimal("81.3333333"), 2) == "81.33"
