"""A national deployment on the same engine: the PAR INDEX of provinces as a block of its own, an appraised part and
a sociological survey (điều tra xã hội học), percentages of the applicable maximum, Nhóm A/B/C, ranks on the
unrounded value — scored in the portal; and the ministries' partial 2023 table as printed, with its two components."""

import csv
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from openpyxl import load_workbook

from scoring.models import CriteriaSet, Criterion, GradeBand, GradeScheme, Method, Period, Result, Score
from scoring.permissions import ADMINISTRATOR
from scoring.services import period_publish
from tests.browser import table_with
from tests.conftest import make_units
from tests.scoring.workflow_cast import user
from units.models import Block

MINISTRIES = Path(__file__).resolve().parents[1] / "fixtures" / "cong-bo-khac" / "quoc-gia-2023-bo-nganh.csv"

# The criteria: an appraised part of 62,5 points and a survey of 37,5, as the provinces' PAR INDEX weighs them.
CRITERIA = [
    ("1", None, "62.5", Method.SELF),
    ("1.1", "1", "30", Method.SELF),
    ("1.2", "1", "32.5", Method.SELF),
    ("2", None, "37.5", Method.SURVEY),
    ("2.1", "2", "20", Method.SURVEY),
    ("2.2", "2", "17.5", Method.SURVEY),
]
NA = None  # 1.2 does not apply to the unit
# Appraised and survey points per province: 1.1, 1.2, 2.1, 2.2.
POINTS = {
    "Tỉnh An Giang": ("28", NA, "18.5", "16"),  # 62,5 of 67,5 = 92,592…%: second, below 93 of 100
    "Tỉnh Bắc Ninh": ("29", "31", "19", "14"),  # 93 of 100 = 93,00 %
    "Tỉnh Cà Mau": ("27", "28", "16", "14.5"),  # 85,50 %
    "Tỉnh Đắk Lắk": ("25", NA, "17", "15"),  # 57 of 67,5 = 84,444…% — printed 84,44
    "Tỉnh Gia Lai": ("26", "28.5", "15", "14.94"),  # 84,44 of 100 = 84,44 % exactly: one place below Đắk Lắk
    "Tỉnh Hà Giang": ("20", "25", "15", "15"),  # 75,00 %
}


@pytest.fixture
def provinces(db):
    block = Block.objects.create(
        code="tinh", name="Tỉnh, thành phố trực thuộc trung ương", title_phrase="các tỉnh, thành phố", sort_order=20
    )
    scheme = GradeScheme.objects.create(name="PAR INDEX: Nhóm A, B, C")
    for code, label, bound in (("nhom-a", "Nhóm A", 90), ("nhom-b", "Nhóm B", 80), ("nhom-c", "Nhóm C", None)):
        GradeBand.objects.create(scheme=scheme, code=code, label=label, lower_bound=bound)
    criteria = CriteriaSet.objects.create(year=2025, block=block, name="Chỉ số CCHC cấp tỉnh 2025")
    nodes = {}
    for position, (code, parent, maximum, method) in enumerate(CRITERIA, start=1):
        nodes[code] = Criterion.objects.create(
            criteria_set=criteria, parent=nodes.get(parent), code=code, title=f"Tiêu chí {code}",
            max_points=Decimal(maximum), method=method, position=position,
        )  # fmt: skip
    units = {u.name: u for u in make_units(block, list(POINTS))}
    period = Period.objects.create(
        year=2025, block=block, criteria_set=criteria, grade_scheme=scheme, status=Period.Status.APPROVED,
        tie_rule=Period.TieRule.EXACT, basis=Period.Basis.PERCENT, published_decimals=2,
    )  # fmt: skip
    for name, values in POINTS.items():
        for code, value in zip(("1.1", "1.2", "2.1", "2.2"), values, strict=True):
            Score.objects.create(
                period=period, unit=units[name], criterion=nodes[code],
                appraised_points=None if value is NA else Decimal(value), not_applicable=value is NA,
            )  # fmt: skip
    return period, units


def test_the_provinces_index_is_scored_graded_and_ranked_by_the_same_engine(provinces):
    period, units = provinces
    period_publish(period=period, decision_number="12/QĐ-BNV", decision_date=None, by=user("quantri", ADMINISTRATOR))
    client = Client()
    page = client.get("/xep-hang/2025/tinh/").content.decode()
    rows = [r[1:] for r in table_with(page, "Kết quả đánh giá").body()]
    # Name, maximum, points, percentage, group, rank: the percentage of the applicable maximum ranks, unrounded.
    assert rows == [
        ["Tỉnh Bắc Ninh", "100", "93", "93,00", "Nhóm A", "1"],
        ["Tỉnh An Giang", "67,5", "62,5", "92,59", "Nhóm A", "2"],
        ["Tỉnh Cà Mau", "100", "85,5", "85,50", "Nhóm B", "3"],
        ["Tỉnh Đắk Lắk", "67,5", "57", "84,44", "Nhóm B", "4"],
        ["Tỉnh Gia Lai", "100", "84,44", "84,44", "Nhóm B", "5"],  # printed alike, ranked apart
        ["Tỉnh Hà Giang", "100", "75", "75,00", "Nhóm C", "6"],
    ], rows
    assert "Tỷ lệ đạt (%)" in page
    answer = json.loads(client.get("/api/v1/results/2025/tinh/").content)
    first = answer["results"][1]
    assert (first["unit"], first["score"], first["grade"], first["rank"]) == ("Tỉnh An Giang", "92.59", "Nhóm A", 2)
    assert (Decimal(first["max_points"]), Decimal(first["points"])) == (Decimal("67.5"), Decimal("62.5"))
    reader = csv.DictReader(io.StringIO(client.get("/xep-hang/2025/tinh.csv").content.decode("utf-8-sig")))
    by_name = {r["ten_don_vi"]: r for r in reader}
    assert (by_name["Tỉnh Đắk Lắk"]["diem"], by_name["Tỉnh Đắk Lắk"]["vi_thu"]) == ("84.44", "4")
    assert (by_name["Tỉnh Gia Lai"]["diem"], by_name["Tỉnh Gia Lai"]["vi_thu"]) == ("84.44", "5")
    sheet = load_workbook(io.BytesIO(client.get("/xep-hang/2025/tinh.xlsx").content)).active
    printed = [row for row in sheet.iter_rows(values_only=True) if row and row[1] == "Tỉnh Gia Lai"]
    assert printed and "Nhóm B" in printed[0] and 5 in printed[0]
    # The survey is a part of its own on the province's page: 34,5 of 37,5 for An Giang.
    unit_page = client.get(f"/don-vi/{units['Tỉnh An Giang'].code}/").content.decode()
    areas = {row[0]: row for row in table_with(unit_page, "theo lĩnh vực").body()}
    survey = next(row for label, row in areas.items() if label.startswith("2."))
    assert (survey[1], survey[2]) == ("37,5", "34,500"), survey
    assert "Nhóm A" in client.get("/phuong-phap/").content.decode()


def test_the_ministries_table_keeps_its_two_components_as_printed(db, capsys, tmp_path):
    Block.objects.create(code="bo", name="Bộ, cơ quan ngang bộ", title_phrase="các bộ, cơ quan ngang bộ", sort_order=10)
    options = ["--year", "2023", "--block", "bo", "--partial", "--tie-rule", "exact"]
    call_command("import_results", str(MINISTRIES), *options)
    justice = Result.objects.get(unit_name="Bộ Tư pháp")
    assert (justice.appraised_points, justice.survey_points, justice.total) == (
        Decimal("61.86"), Decimal("28.10"), Decimal("89.95"),
    )  # fmt: skip
    # 62,67 + 27,21 = 89,88 where the table prints 89,89: the rounding of printed parts, accepted.
    bank = Result.objects.get(unit_name="Ngân hàng Nhà nước Việt Nam")
    assert bank.appraised_points + bank.survey_points == Decimal("89.88") and bank.total == Decimal("89.89")
    # A part mistyped by more than the rounding is refused, named by row and column; nothing is written.
    text = MINISTRIES.read_text(encoding="utf-8").replace('"61,86","28,10"', '"61,86","28,30"')
    wrong = tmp_path / "sai.csv"
    wrong.write_text(text.replace("2023", "2022"), encoding="utf-8")
    with pytest.raises(Exception) as refused:
        call_command("import_results", str(wrong), "--year", "2022", "--block", "bo", "--partial")
    message = str(refused.value)
    assert "Dòng 4" in message, message
    assert "điểm thẩm định 61,86 cộng điểm điều tra xã hội học 28,3 là 90,16" in message, message
    assert not Period.objects.filter(year=2022).exists()
    # The public table prints the two components as the announcement did, in every format.
    client = Client()
    page = client.get("/xep-hang/2023/bo/").content.decode()
    table = table_with(page, "Kết quả đánh giá")
    assert table.rows[0][2:5] == ["Điểm thẩm định", "Điểm điều tra XHH", "Điểm đánh giá"], table.rows[0]
    assert table.body()[0][1:5] == ["Bộ Tư pháp", "61,86", "28,10", "89,95"], table.body()[0]
    answer = json.loads(client.get("/api/v1/results/2023/bo/").content)["results"][1]
    assert (answer["appraised_points"], answer["survey_points"], answer["score"]) == ("62.67", "27.21", "89.89")
    reader = csv.DictReader(io.StringIO(client.get("/xep-hang/2023/bo.csv").content.decode("utf-8-sig")))
    first = next(reader)
    assert (first["diem_tham_dinh"], first["diem_dieu_tra_xhh"], first["diem"]) == ("61.860", "28.100", "89.95")
    sheet = load_workbook(io.BytesIO(client.get("/xep-hang/2023/bo.xlsx").content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[4][2:4] == ("Điểm thẩm định", "Điểm điều tra XHH") and rows[5][1:4] == ("Bộ Tư pháp", 61.86, 28.1)
