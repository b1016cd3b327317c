"""The pure steps of the public pages, on plain values: no database."""

import json
from decimal import Decimal as D

import pytest
from django.http import Http404

from reports.http import published_or_404
from reports.pages import NotPublished
from reports.pages.comparison import chosen_years
from reports.pages.unit import area_line, weakest_leaves
from scoring.figures import Points, unit_figures
from tests.scoring.test_tree import tree_of

SHAPE = [
    ("1", "10", "self"),
    ("1.1", "4", "self"),
    ("1.2", "6", "self"),
    ("2", "60", "self"),
    ("2.1", "30", "self"),
    ("2.2", "30", "survey"),
    ("3", "20", "self"),
    ("3.1", "10", "self"),
    ("3.2", "10", "self"),
    ("6", "2", "self"),
    ("6.1", "2", "bonus"),
    ("7", "1", "deduction"),
]


@pytest.fixture
def tree():
    return tree_of(SHAPE)


def leaf(tree, code):
    return tree.find(code)


def test_the_weakest_leaves_are_the_furthest_below_the_average_as_a_share_of_their_maximum(tree):
    pk = {code: leaf(tree, code).pk for code, _, _ in SHAPE}
    points = {
        pk["1.1"]: Points(appraised=D("2")),  # 2 below an average of 4: −50 %
        pk["1.2"]: Points(appraised=D("5")),  # 1 below 6: −16,7 %
        pk["2.1"]: Points(appraised=D("20")),  # 10 below 30: −33,3 %
        pk["2.2"]: Points(appraised=D("30")),  # at the average: not weak
        pk["3.1"]: Points(appraised=None, not_applicable=True),  # not applicable: never compared
        pk["3.2"]: Points(appraised=D("5")),  # 5 below 10: −50 %, after 1.1 in the set's order
        pk["6.1"]: Points(appraised=D("0")),  # a bonus not earned is no shortfall
        pk["7"]: Points(appraised=D("1")),  # nor is a deduction
    }
    averages = {pk[c]: D(a) for c, a in (("1.1", "4"), ("1.2", "6"), ("2.1", "30"), ("2.2", "30"), ("3.1", "10"),
                                          ("3.2", "10"), ("6.1", "2"), ("7", "0"))}  # fmt: skip
    weak = weakest_leaves(tree, points, averages, {"1.1": D("3")})
    assert [(w.code, w.points, w.block_average, w.previous) for w in weak] == [
        ("1.1", D("2"), D("4"), D("3")),
        ("3.2", D("5"), D("10"), None),
        ("2.1", D("20"), D("30"), None),
        ("1.2", D("5"), D("6"), None),
    ]


def test_no_average_no_comparison_and_at_most_five(tree):
    pk = {code: leaf(tree, code).pk for code, _, _ in SHAPE}
    points = {pk[c]: Points(appraised=D("0")) for c in ("1.1", "1.2", "2.1", "2.2", "3.1", "3.2")}
    averages = {pk[c]: D("1") for c in ("1.1", "1.2", "2.1", "2.2", "3.1", "3.2")}
    assert len(weakest_leaves(tree, points, averages, {})) == 5
    assert weakest_leaves(tree, points, {}, {}) == []


def test_an_area_line_sets_the_units_points_beside_the_block_average_signed_as_they_count(tree):
    pk = {code: leaf(tree, code).pk for code, _, _ in SHAPE}
    points = {pk[c]: Points(appraised=D(v)) for c, v in (("1.1", "3"), ("1.2", "6"), ("7", "0.5"))}
    figures = unit_figures(tree, points)
    lines = {a.node.code: area_line(tree, a, {pk["1.1"]: D("3.5"), pk["1.2"]: D("5"), pk["7"]: D("0.25")})
             for a in figures.areas}  # fmt: skip
    assert (lines["1"].points, lines["1"].block_average, lines["1"].difference) == (D("9"), D("8.5"), D("0.5"))
    assert (lines["7"].points, lines["7"].block_average) == (D("-0.5"), D("-0.25"))  # a deduction subtracts
    assert lines["2"].block_average is None and lines["2"].difference is None


@pytest.mark.parametrize(
    ("asked", "shown", "says"),
    [
        ((None, None), (2022, 2023), ""),
        ((2021, 2023), (2021, 2023), ""),
        ((2019, 2023), (2022, 2023), "Năm 2019 chưa có bảng công bố của khối này; đang hiện năm 2023 so với năm 2022."),
        ((2023, 2023), (2022, 2023), "Cần hai năm khác nhau; đang hiện năm 2023 so với năm 2022."),
        ((None, 2030), (2022, 2023), "Năm 2030 chưa có bảng công bố của khối này"),
        ((2022, 2021), (2020, 2021), "Cần hai năm khác nhau"),
    ],
)
def test_the_years_compared_are_the_years_asked_when_published_else_the_latest_two_with_the_reason(asked, shown, says):
    first, last, replaced = chosen_years([2020, 2021, 2022, 2023], *asked)
    assert (first, last) == shown
    assert replaced.startswith(says)
    if says:
        assert replaced.endswith("Các năm đã công bố: 2020, 2021, 2022, 2023.")


def test_a_single_published_year_is_shown_alone():
    assert chosen_years([2022], 2021, None) == (None, 2022, "Năm 2021 chưa có bảng công bố của khối này; đang hiện "
                                                             "năm 2022. Các năm đã công bố: 2022.")  # fmt: skip


def test_not_published_is_a_404_page_with_its_message_or_a_json_404_for_the_api(rf):
    @published_or_404
    def page(request, code):
        raise NotPublished("Không có đơn vị này.")

    @published_or_404(api="Không tìm thấy: đơn vị “{code}”.")
    def api(request, code):
        raise NotPublished("Không có đơn vị này.")

    with pytest.raises(Http404, match="Không có đơn vị này."):
        page(rf.get("/don-vi/x/"), code="x")
    answer = api(rf.get("/api/v1/units/x/"), code="x")
    assert answer.status_code == 404 and json.loads(answer.content) == {"error": "Không tìm thấy: đơn vị “x”."}
