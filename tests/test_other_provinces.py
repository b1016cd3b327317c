"""Any province, any year: its own blocks, grade scales and tie rule, its published history as printed, one unit under
the spellings of several announcements — on real announcements (fixtures/cong-bo-khac/, each with its source line),
in a database that holds no other province's data."""

import csv
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

from scoring.models import GradeBand, GradeScheme, Period, Result
from units.models import Block, Unit

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
THANH_HOA = FIXTURES / "cong-bo-khac" / "thanh-hoa-2024-so-ban-nganh.csv"
MINISTRIES = FIXTURES / "cong-bo-khac" / "quoc-gia-2023-bo-nganh.csv"


def rows_of(client, url) -> list[list[str]]:
    from tests.browser import table_with

    return table_with(client.get(url).content.decode(), "Kết quả đánh giá").body()


def test_a_province_that_ranks_on_the_unrounded_percentage_keeps_its_printed_ranks(settings, db, capsys):
    """Thanh Hóa 2024 (Quyết định 482/QĐ-UBND): percentages, two units printed 85,02 % ranked 13 and 14, trailing
    zeros dropped ("89,3%"), no grades printed, "Sở Lao động, Thương binh và Xã hội" with a comma."""
    settings.PORTAL_PLACE_NAMES = ["Thanh Hóa"]
    call_command(
        "import_results", str(THANH_HOA), "--year", "2024", "--block", "so", "--tie-rule", "exact", "--basis", "percent"
    )
    out, err = capsys.readouterr()
    assert "Đã nhập: 20 kết quả" in out
    assert "vị thứ in trong bảng là 14, tính được là 13; giữ như bảng in." in err  # the check, not a rewrite
    period = Period.objects.get(year=2024)
    assert (period.tie_rule, period.basis, period.published_decimals) == ("exact", "percent", 2)
    printed = {r.unit_name: (r.total, r.rank, r.grade) for r in Result.objects.filter(period=period)}
    assert printed["Sở Khoa học và Công nghệ"] == (Decimal("85.02"), 13, "")
    assert printed["Sở Y tế"] == (Decimal("85.02"), 14, "")
    assert printed["Văn phòng UBND tỉnh"][1] == 3 and printed["Sở Nội vụ"][1] == 2  # printed without a number
    assert printed["Sở Tư pháp"][0] == Decimal("89.3")  # "89,3%", read at the table's two decimals
    client = Client()
    rows = rows_of(client, "/xep-hang/2024/so/")
    assert rows[3][1:4] == ["Sở Tư pháp", "89,30", "4"]  # no grade column: the announcement printed none
    assert [r[1:] for r in rows[12:14]] == [["Sở Khoa học và Công nghệ", "85,02", "13"], ["Sở Y tế", "85,02", "14"]]
    page = client.get("/xep-hang/2024/so/").content.decode()
    assert "Tỷ lệ đạt (%)" in page and "Xếp loại</th>" not in page
    assert "xếp theo điểm chưa làm tròn" in client.get("/phuong-phap/").content.decode()
    answer = json.loads(client.get("/api/v1/results/2024/so/").content)
    assert [r["rank"] for r in answer["results"][12:14]] == [13, 14]


def test_a_national_table_of_ministries_in_a_block_of_its_own(db, capsys):
    """PAR INDEX 2023 of the ministries (partial: 10 of 17), in a block added as data, on the national scale."""
    Block.objects.create(
        code="bo", name="Bộ, cơ quan ngang bộ", title_phrase="các bộ, cơ quan ngang bộ", sort_order=10
    )
    scheme = GradeScheme.objects.create(name="PAR INDEX: Nhóm A, B, C")
    for code, label, bound in (("nhom-a", "Nhóm A", 90), ("nhom-b", "Nhóm B", 80), ("nhom-c", "Nhóm C", None)):
        GradeBand.objects.create(scheme=scheme, code=code, label=label, lower_bound=bound)
    call_command(
        "import_results", str(MINISTRIES), "--year", "2023", "--block", "Bộ, cơ quan ngang bộ", "--partial",
        "--tie-rule", "exact", "--scheme", scheme.name,
    )  # fmt: skip
    assert "Đã nhập: 10 kết quả" in capsys.readouterr().out
    client = Client()
    rows = rows_of(client, "/xep-hang/2023/bo/")
    # The table printed its two components and no group: shown so.
    assert rows[0][1:6] == ["Bộ Tư pháp", "61,86", "28,10", "89,95", "1"]
    assert rows[9][1] == "Bộ Lao động - Thương binh và Xã hội" and len(rows) == 10
    assert "Nhóm A" in client.get("/phuong-phap/").content.decode()  # the scale of the year, on the methodology page
    home = client.get("/").content.decode()
    assert "Bộ, cơ quan ngang bộ" in home and "/xep-hang/2023/bo/" in home
    schema = json.loads(client.get("/api/v1/schema/").content)
    assert "enum" not in schema["components"]["schemas"]["Results"]["properties"]["block"]  # blocks are data


def test_one_unit_under_two_spellings_is_one_unit_and_its_history_follows(db, capsys):
    """Thừa Thiên Huế printed "Sở Lao động - Thương binh và Xã hội" in 2021 and "Sở Lao động, Thương binh và Xã
    hội" in 2022; "Ban Quản lý Khu Kinh tế, công nghiệp tỉnh" and "… Thừa Thiên Huế"."""
    call_command("import_results", str(FIXTURES / "ket-qua-cong-bo-2022.csv"))
    call_command("import_results", str(FIXTURES / "ket-qua-cong-bo-2021.csv"))
    out = capsys.readouterr().out
    assert '"Sở Lao động - Thương binh và Xã hội" khớp với đơn vị "Sở Lao động, Thương binh và Xã hội"' in out
    assert "0 đơn vị mới" in out
    labour = Unit.objects.get(name="Sở Lao động, Thương binh và Xã hội")
    assert list(labour.results.order_by("period__year").values_list("unit_name", flat=True)) == [
        "Sở Lao động - Thương binh và Xã hội",  # each table keeps the name it printed
        "Sở Lao động, Thương binh và Xã hội",
    ]
    client = Client()
    row = next(r for r in rows_of(client, "/xep-hang/2022/so/") if r[1].startswith("Sở Lao động, Thương binh"))
    assert "(tên cũ)" in row[1] and "mới" not in row[5] and "17 → 4" in row[5]  # 17th in 2021, 4th in 2022
    unit_page = client.get(f"/don-vi/{labour.code}/").content.decode()
    assert "79,077" in unit_page and "88,920" in unit_page
    period = Period.objects.get(year=2021)
    assert "Quyết định số 24/QĐ-UBND ngày 05/01/2022" in client.get("/xep-hang/2021/so/").content.decode()
    assert period.decision_number == "24/QĐ-UBND"


def test_the_admin_joins_two_units_that_are_one(db, superuser_client, so):
    from tests.conftest import publish_table

    publish_table(so, 2021, [("Thanh tra Thừa Thiên Huế", "80")])
    publish_table(so, 2022, [("Thanh tra tỉnh", "81")])
    old, new = Unit.objects.get(name="Thanh tra Thừa Thiên Huế"), Unit.objects.get(name="Thanh tra tỉnh")
    answer = superuser_client.post(
        "/quan-tri/units/unit/", {"action": "join_units", "_selected_action": [old.pk, new.pk]}, follow=True
    )
    assert "là tên cũ của “Thanh tra tỉnh” (từ năm 2022)" in answer.content.decode()
    assert list(old.successors.all()) == [new]
    row = next(r for r in rows_of(Client(), "/xep-hang/2022/so/") if r[1].startswith("Thanh tra tỉnh"))
    assert "so với Thanh tra Thừa Thiên Huế năm 2021" in row[1] and "1 → 1" in row[5]


def test_the_portals_csv_names_the_measures_of_a_percentage_table(db, tmp_path):
    """A table printing maximum, points and percentage: the percentage is checked against points ÷ maximum."""
    path = tmp_path / "ty-le.csv"
    path.write_text(
        "năm,khối,Tên đơn vị,Điểm tối đa,Điểm đạt,Tỷ lệ đạt (%),Vị thứ\n"
        '2024,so,Sở A,"71,5","61,00","85,31",1\n'
        '2024,so,Sở B,100,"84,75","84,75",2\n',
        encoding="utf-8",
    )
    call_command("import_results", str(path))
    client = Client()
    rows = rows_of(client, "/xep-hang/2024/so/")
    assert rows[0][1:5] == ["Sở A", "71,5", "61", "85,31"]
    text = client.get("/xep-hang/2024/so.csv").content.decode("utf-8-sig")
    first = next(csv.DictReader(io.StringIO(text)))
    assert (first["diem_toi_da"], first["diem_dat"], first["diem"]) == ("71.500", "61.000", "85.31")
    bad = tmp_path / "sai.csv"
    bad.write_text('năm,khối,Tên đơn vị,Điểm tối đa,Điểm đạt,Tỷ lệ đạt (%)\n2025,so,Sở A,"71,5","61","86,31"\n')
    with pytest.raises(Exception, match="khác điểm đạt ÷ điểm tối đa × 100 = 85,31"):
        call_command("import_results", str(bad))
    assert not Period.objects.filter(year=2025).exists()
