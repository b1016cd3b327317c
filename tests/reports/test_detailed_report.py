"""Sở Nội vụ's detailed report of one period, and the export_report command that writes it."""

from decimal import Decimal
from io import BytesIO, StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from scoring.exports import detailed
from scoring.exports.detailed import detailed_workbook
from scoring.imports.score_sheets import kind_or_none, run_check
from scoring.models import CriteriaSet, Criterion, Method, Period, Score
from scoring.permissions import ADMINISTRATOR
from tests.scoring.workflow_cast import user
from units.models import Unit

# code, parent, max, method: a ragged tree summing to 100 with a survey area and a code "3.10".
TREE = [
    ("1", None, "20", Method.SELF),
    ("1.1", "1", "12", Method.SELF),
    ("1.1.1", "1.1", "5", Method.SELF),
    ("1.1.2", "1.1", "7", Method.SELF),
    ("1.2", "1", "8", Method.SELF),
    ("2", None, "50", Method.SELF),
    ("3", None, "30", Method.SURVEY),
    ("3.1", "3", "20", Method.SURVEY),
    ("3.10", "3", "10", Method.SURVEY),
]
LEAVES = ["1.1.1", "1.1.2", "1.2", "2", "3.1", "3.10"]
FORMULA_NAME = '=HYPERLINK("http://x","bấm")'

# unit: leaf -> (self points, appraised points); "KAD" marks a leaf that does not apply.
SCORES = {
    # 4.5 + 7 + 6.25 + 18 + 9.5 = 45.25 of an applicable 50 (area 2 does not apply) -> 90.5, Xuất sắc.
    "Sở Tư pháp": {"1.1.1": ("5", "4.5"), "1.1.2": ("7", "7"), "1.2": ("6", "6.25"), "2": "KAD",
                   "3.1": (None, "18"), "3.10": (None, "9.5")},
    # 5 + 6 + 8 + 45 + 15 + 8 = 87 -> Tốt.
    "Sở Y tế": {"1.1.1": ("5", "5"), "1.1.2": ("7", "6"), "1.2": ("8", "8"), "2": ("48", "45"),
                "3.1": (None, "15"), "3.10": (None, "8")},
    # Not appraised on 1.2 yet: no total, grade or rank.
    FORMULA_NAME: {"1.1.1": ("5", "3"), "1.1.2": ("7", "7"), "1.2": ("8", None), "2": ("40", "40"),
                   "3.1": (None, "10"), "3.10": (None, "5")},
}  # fmt: skip
CODES = {"Sở Tư pháp": "012", "Sở Y tế": "so-y-te", FORMULA_NAME: "so-cong-thuc"}

HEADER = [
    "Mã đơn vị", "Tên đơn vị",
    "1.1.1", "1.1.2", "1.2", "Cộng 1",
    "2", "Cộng 2",
    "3.1", "3.10", "Cộng 3",
    "Tổng điểm", "Xếp loại", "Vị thứ",
]  # fmt: skip


def build_period(block, scheme, units: dict[str, dict], *, status=Period.Status.APPRAISAL, is_demo=False) -> Period:
    criteria = CriteriaSet.objects.create(year=2024, block=block, name="Bộ tiêu chí báo cáo chi tiết")
    nodes = {}
    for position, (code, parent, maximum, method) in enumerate(TREE, start=1):
        nodes[code] = Criterion.objects.create(
            criteria_set=criteria,
            parent=nodes.get(parent),
            code=code,
            title=f"Nội dung tiêu chí {code}",
            max_points=Decimal(maximum),
            method=method,
            position=position,
        )
    period = Period.objects.create(
        year=2024, block=block, criteria_set=criteria, grade_scheme=scheme, status=status, is_demo=is_demo
    )
    for name, leaves in units.items():
        unit = Unit.objects.create(code=CODES.get(name) or f"so-{len(name)}-{name[-2:]}", name=name, block=block)
        Score.objects.bulk_create(
            Score(period=period, unit=unit, criterion=nodes[code], not_applicable=True)
            if value == "KAD"
            else Score(
                period=period,
                unit=unit,
                criterion=nodes[code],
                self_points=Decimal(value[0]) if value[0] else None,
                appraised_points=Decimal(value[1]) if value[1] else None,
            )
            for code, value in leaves.items()
        )
    return Period.objects.get(pk=period.pk)


@pytest.fixture
def scored_period(so, scheme):
    # A unit that closed before 2024 is not part of the report.
    Unit.objects.create(code="so-cu", name="Sở Đã Giải Thể", block=so, last_year=2020)
    return build_period(so, scheme, SCORES)


@pytest.fixture
def workbook(scored_period):
    return load_workbook(BytesIO(detailed_workbook(scored_period)))


def values(ws, row: int) -> list:
    return [c.value for c in ws[row]][: ws.max_column]


def body(ws) -> list[list]:
    return [[c.value for c in row] for row in ws.iter_rows(min_row=6)]


def test_the_workbook_opens_with_the_summary_then_the_detail_sheets(workbook):
    assert workbook.sheetnames == ["Tóm tắt", "Kết quả chi tiết", "Tự đánh giá - Thẩm định", "Bộ tiêu chí"]


def test_the_summary_gives_areas_total_grade_and_rank_per_unit_on_one_page(workbook):
    ws = workbook["Tóm tắt"]
    assert ws["A1"].value.startswith("Tóm tắt — Kết quả chấm điểm chi tiết")
    assert values(ws, 3) == [
        "TT",
        "Tên đơn vị",
        "1. Nội dung tiêu chí 1",
        "2. Nội dung tiêu chí 2",
        "3. Nội dung tiêu chí 3",
        "Tổng điểm",
        "Xếp loại",
        "Vị thứ",
    ]
    assert [Decimal(str(v)) for v in values(ws, 4)[2:6]] == [Decimal(20), Decimal(50), Decimal(30), Decimal(100)]
    assert values(ws, 5) == [1, "Sở Tư pháp", 17.75, "KAD", 27.5, 90.5, "Xuất sắc", 1]
    assert values(ws, 6) == [2, "Sở Y tế", 19, 45, 23, 87, "Tốt", 2]
    assert values(ws, 7)[2:] == [None, 40, 15, None, None, None]  # no total while a point is missing
    assert ws["A9"].value == "Số đơn vị theo xếp loại: Xuất sắc 1; Tốt 1."
    assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 1
    assert ws.sheet_properties.pageSetUpPr.fitToPage


def test_the_header_row_has_unit_columns_then_leaf_codes_with_area_subtotals_then_total_grade_rank(workbook):
    ws = workbook["Kết quả chi tiết"]
    assert ws["A1"].value == (
        "Kết quả chấm điểm chi tiết công tác cải cách hành chính của các sở, ban, ngành cấp tỉnh năm 2024"
    )
    assert "Thẩm định vòng 1" in ws["A2"].value
    assert values(ws, 4) == HEADER
    assert all(c.data_type == "s" for c in ws[4] if c.value is not None)  # "3.10" is not the number 3.1


def test_area_titles_sit_over_their_columns_and_only_header_rows_are_merged(workbook):
    ws = workbook["Kết quả chi tiết"]
    assert ws["A3"].value is None  # the score import finds the header by "Mã đơn vị" in column A
    assert (ws["C3"].value, ws["G3"].value, ws["I3"].value) == (
        "1. Nội dung tiêu chí 1",
        "2. Nội dung tiêu chí 2",
        "3. Nội dung tiêu chí 3",
    )
    assert {str(r) for r in ws.merged_cells.ranges} == {"C3:F3", "G3:H3", "I3:K3"}


def test_the_maximum_row_gives_each_leaf_area_and_the_total_its_maximum(workbook):
    ws = workbook["Kết quả chi tiết"]
    row = values(ws, 5)
    assert row[0] == "Điểm tối đa"
    maxima = ["5", "7", "8", "20", "50", "50", "20", "10", "30", "100"]  # C..L: leaves and subtotals, then the total
    assert [Decimal(str(v)) for v in row[2:12]] == [Decimal(v) for v in maxima]
    assert row[12:] == [None, None]


def test_each_unit_row_shows_appraised_points_subtotals_total_grade_and_rank(workbook):
    rows = body(workbook["Kết quả chi tiết"])
    assert [r[1] for r in rows] == ["Sở Tư pháp", "Sở Y tế", FORMULA_NAME]
    first, second, _ = rows
    assert first[2:] == [4.5, 7, 6.25, 17.75, "KAD", "KAD", 18, 9.5, 27.5, 90.5, "Xuất sắc", 1]
    assert second[2:] == [5, 6, 8, 19, 45, 45, 15, 8, 23, 87, "Tốt", 2]


def test_a_unit_with_a_missing_appraised_point_has_no_total_grade_or_rank(workbook):
    last = body(workbook["Kết quả chi tiết"])[2]
    assert last[2:5] == [3, 7, None]  # 1.2 is blank, so is the subtotal of area 1
    assert last[5] is None
    assert last[6:11] == [40, 40, 10, 5, 15]
    assert last[11:] == [None, None, None]


def test_unit_codes_are_text_and_a_leading_zero_survives(workbook):
    ws = workbook["Kết quả chi tiết"]
    assert ws["A6"].value == "012"
    assert ws["A6"].data_type == "s"
    assert ws["A6"].number_format == "@"


def test_a_formula_looking_unit_name_stays_text(workbook):
    ws = workbook["Kết quả chi tiết"]
    assert ws["B8"].value == FORMULA_NAME
    assert ws["B8"].data_type == "s"
    assert workbook["Tự đánh giá - Thẩm định"]["B15"].data_type == "s"


def test_points_use_a_three_decimal_number_format(workbook):
    ws = workbook["Kết quả chi tiết"]
    assert ws["C6"].data_type == "n"
    assert {ws[f"{col}6"].number_format for col in "CDEFIJKL"} == {"0.000"}
    assert ws["C5"].number_format == "0.000"


def test_the_total_uses_the_published_decimals_of_the_period(so, scheme):
    period = build_period(so, scheme, {"Sở Y tế": SCORES["Sở Y tế"]})
    Period.objects.filter(pk=period.pk).update(published_decimals=2)
    period.refresh_from_db()
    ws = load_workbook(BytesIO(detailed_workbook(period)))["Kết quả chi tiết"]
    assert (ws["L6"].value, ws["L6"].number_format) == (87, "0.00")


def test_header_rows_are_frozen_and_the_sheet_prints_a4_landscape(workbook):
    ws = workbook["Kết quả chi tiết"]
    assert ws.freeze_panes == "C6"
    assert str(ws.page_setup.paperSize) == Worksheet.PAPERSIZE_A4
    assert ws.page_setup.orientation == "landscape"
    # 77 criterion columns are not squeezed onto one page: printed across pages at 80 %, A:B on each.
    assert not ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.scale == 80
    assert ws.print_title_rows == "$3:$5" and ws.print_title_cols == "$A:$B"
    assert ws.column_dimensions["B"].width >= 40
    assert ws.column_dimensions["C"].width >= len("1.1.1")
    for name in ("Tự đánh giá - Thẩm định", "Bộ tiêu chí"):
        assert workbook[name].page_setup.orientation == "landscape"
        assert workbook[name].freeze_panes is not None


def test_a_demonstration_period_says_so(so, scheme):
    period = build_period(so, scheme, {"Sở Y tế": SCORES["Sở Y tế"]}, status=Period.Status.OPEN, is_demo=True)
    ws = load_workbook(BytesIO(detailed_workbook(period)))["Kết quả chi tiết"]
    assert "Dữ liệu minh họa" in ws["A2"].value
    assert "Đang tự đánh giá" in ws["A2"].value


def test_the_second_sheet_compares_self_assessed_and_appraised_points_per_leaf(workbook):
    ws = workbook["Tự đánh giá - Thẩm định"]
    assert values(ws, 2) == [
        "Mã đơn vị",
        "Tên đơn vị",
        "Mã tiêu chí",
        "Nội dung tiêu chí",
        "Điểm tối đa",
        "Điểm tự đánh giá",
        "Điểm thẩm định",
        "Chênh lệch (thẩm định − tự đánh giá)",
        "Không áp dụng",
    ]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=3)]
    assert len(rows) == 3 * len(LEAVES)
    by_key = {(r[0], r[2]): r for r in rows}
    assert by_key[("012", "1.1.1")] == ["012", "Sở Tư pháp", "1.1.1", "Nội dung tiêu chí 1.1.1", 5, 5, 4.5, -0.5, None]
    assert by_key[("012", "2")][5:] == [None, None, None, "có"]
    assert by_key[("012", "3.1")][5:] == [None, 18, None, None]  # a survey leaf is never self-assessed
    assert by_key[("so-cong-thuc", "1.2")][5:] == [8, None, None, None]
    assert ws["H3"].number_format == "0.000"


def test_the_third_sheet_lists_the_criteria_tree_with_method_and_level(workbook):
    ws = workbook["Bộ tiêu chí"]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=3)]
    assert [r[0] for r in rows] == [code for code, *_ in TREE]
    assert [r[4] for r in rows] == [1, 2, 3, 3, 2, 1, 1, 2, 2]
    assert rows[7] == ["3.1", "Nội dung tiêu chí 3.1", 20, "Điều tra xã hội học", 2]
    assert rows[0][3] == "Tự đánh giá, thẩm định"


def test_importing_the_exported_sheet_back_changes_nothing(scored_period):
    admin = user("quantri.baocao", ADMINISTRATOR)
    content = detailed_workbook(scored_period)
    for kind in ("tham-dinh", "dieu-tra"):
        check = run_check(BytesIO(content), "bao-cao.xlsx", scored_period, kind_or_none(kind), admin)
        assert check.errors == []
        assert check.counts["units"] == 3
        assert (check.counts["new"], check.counts["changed"]) == (0, 0)
        assert check.counts["unchanged"] > 0


def test_the_report_reads_a_fixed_number_of_queries_whatever_the_number_of_units(so, huyen, scheme):
    small = build_period(so, scheme, SCORES)
    many = {f"UBND huyện {i}": SCORES["Sở Y tế"] for i in range(9)}
    large = build_period(huyen, scheme, many)
    counts = []
    for period in (small, large):
        with CaptureQueriesContext(connection) as queries:
            detailed_workbook(period)
        counts.append(len(queries))
    # criteria, units, scores streamed for the totals, grade bands, scores again for the rows (UNITS_PER_READ a read)
    assert counts == [5, 5]
    rows = body(load_workbook(BytesIO(detailed_workbook(large)))["Kết quả chi tiết"])
    assert len(rows) == 9 and {r[-1] for r in rows} == {1}  # nine equal totals share rank 1


def test_units_read_a_few_at_a_time_come_out_whole_and_in_rank_order(monkeypatch, scored_period):
    whole = load_workbook(BytesIO(detailed_workbook(scored_period)))
    monkeypatch.setattr(detailed, "UNITS_PER_READ", 2)  # three units: two reads
    with CaptureQueriesContext(connection) as queries:
        content = detailed_workbook(scored_period)
    assert len(queries) == 6
    chunked = load_workbook(BytesIO(content))
    for sheet in (detailed.RESULTS_SHEET, detailed.SCORES_SHEET):
        rows = [list(row) for row in chunked[sheet].iter_rows(values_only=True)]
        assert rows == [list(row) for row in whole[sheet].iter_rows(values_only=True)]
    names = [row[1] for row in body(chunked[detailed.RESULTS_SHEET])]
    assert names == ["Sở Tư pháp", "Sở Y tế", FORMULA_NAME]  # 90.5, then 87, then no total yet


def test_the_workbook_is_written_in_write_only_mode(monkeypatch, scored_period):
    calls = []
    real = detailed.Workbook

    def spy(*args, **kwargs):
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(detailed, "Workbook", spy)
    detailed_workbook(scored_period)
    assert calls == [{"write_only": True}]


def test_export_report_writes_a_workbook_openpyxl_opens(scored_period, tmp_path):
    target = tmp_path / "bao-cao.xlsx"
    out = StringIO()
    call_command("export_report", "--year", "2024", "--block", "so", "-o", str(target), stdout=out)
    assert load_workbook(target).sheetnames[:2] == ["Tóm tắt", "Kết quả chi tiết"]
    assert out.getvalue().startswith("Đã ghi báo cáo chi tiết")
    assert out.getvalue().count("\n") == 1


def test_export_report_fails_in_vietnamese_for_a_missing_period(db, tmp_path):
    with pytest.raises(CommandError, match="Không có kỳ đánh giá năm 2019 của khối “so”"):
        call_command("export_report", "--year", "2019", "--block", "so", "-o", str(tmp_path / "x.xlsx"))
    assert not (tmp_path / "x.xlsx").exists()


def test_export_report_fails_in_vietnamese_when_the_file_cannot_be_written(scored_period, tmp_path):
    with pytest.raises(CommandError, match="Không ghi được tệp"):
        call_command("export_report", "--year", "2024", "--block", "so", "-o", str(tmp_path / "khong-co" / "x.xlsx"))
