"""`manage.py import_results`: good files land exactly; any bad input writes nothing and says why."""

import csv
import unicodedata
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from scoring.models import Period, Result, ResultVersion
from tests.conftest import correction_options
from units.models import Unit

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures"
PUBLISHED_2022 = FIXTURES / "ket-qua-cong-bo-2022.csv"
PUBLISHED_2020 = FIXTURES / "ket-qua-cong-bo-2020-mot-phan.csv"
HEADER = "year,block,unit,score,grade,rank\n"


def published_rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def write_csv(tmp_path: Path, body: str, name="ket-qua.csv", header=HEADER) -> Path:
    path = tmp_path / name
    path.write_text(header + body, encoding="utf-8")
    return path


def import_file(path, *args):
    call_command("import_results", str(path), *args)


def snapshot():
    return (
        list(Result.objects.values_list("period__year", "unit__name", "total", "rank").order_by("pk")),
        list(Unit.objects.values_list("code", "name").order_by("pk")),
        list(Period.objects.values_list("year", "block__code", "status", "published_decimals").order_by("pk")),
    )


@pytest.mark.django_db
def test_the_published_2022_file_reproduces_every_score_grade_and_rank():
    import_file(PUBLISHED_2022)
    for row in published_rows(PUBLISHED_2022):
        result = Result.objects.get(period__year=2022, unit__name=row["unit"])
        assert result.total == Decimal(row["score"]), row
        assert result.grade == row["grade"], row
        assert result.rank == int(row["rank"]), row
        assert result.period.published_decimals == 3
    assert Result.objects.filter(period__year=2022, period__block__code="so").count() == 21
    assert Result.objects.filter(period__year=2022, period__block__code="huyen").count() == 9


@pytest.mark.django_db
def test_the_partial_2020_file_keeps_two_decimals_and_is_marked_partial():
    import_file(PUBLISHED_2020, "--partial")
    periods = Period.objects.filter(year=2020)
    assert {p.block.code for p in periods} == {"so", "huyen"}
    assert all(p.is_partial and p.published_decimals == 2 for p in periods)
    top = Result.objects.get(period__year=2020, position=1, period__block__code="so")
    assert (top.unit.name, top.total, top.rank) == ("Sở Nội vụ", Decimal("87.87"), 1)


@pytest.mark.django_db
def test_a_year_already_published_is_refused_and_nothing_changes():
    import_file(PUBLISHED_2022)
    first = snapshot()
    with pytest.raises(CommandError) as error:
        import_file(PUBLISHED_2022)
    assert "Năm 2022, khối Sở, ban, ngành cấp tỉnh: kết quả đã công bố, không ghi đè" in str(error.value)
    assert '--correction "<lý do>"' in str(error.value)
    assert snapshot() == first


@pytest.mark.django_db
def test_skip_published_makes_loading_the_same_file_again_harmless(capsys):
    import_file(PUBLISHED_2022)
    first = snapshot()
    import_file(PUBLISHED_2022, "--skip-published")
    assert snapshot() == first
    out = capsys.readouterr().out
    assert "bỏ qua bảng đã công bố: Sở, ban, ngành cấp tỉnh năm 2022; UBND cấp huyện năm 2022" in out


@pytest.mark.django_db
def test_a_correction_publishes_a_new_version_and_keeps_the_old_one(tmp_path):
    import_file(PUBLISHED_2022)
    body = PUBLISHED_2022.read_text(encoding="utf-8").replace("Sở Y tế,88.351", "Sở Y tế,90.351")
    path = tmp_path / "dinh-chinh.csv"
    path.write_text(body, encoding="utf-8")
    import_file(path, "--correction", "Cộng sót điểm tiêu chí 7.2 của Sở Y tế", *correction_options())
    current = Result.objects.published().get(unit__name="Sở Y tế", period__year=2022)
    assert (current.total, current.rank, current.grade, current.version.number) == (Decimal("90.351"), 2, "Xuất sắc", 2)
    assert current.version.reason == "Cộng sót điểm tiêu chí 7.2 của Sở Y tế"
    old = Result.objects.get(unit__name="Sở Y tế", period__year=2022, version__number=1)
    assert (old.total, old.rank, old.version.is_current) == (Decimal("88.351"), 5, False)
    huyen = ResultVersion.objects.get(period__year=2022, period__block__code="huyen", is_current=True)
    assert huyen.number == 2  # every table in the file is published again, even if unchanged


@pytest.mark.django_db
def test_a_correction_of_a_year_never_published_is_refused(tmp_path):
    with pytest.raises(CommandError, match="chưa công bố nên không có gì để đính chính"):
        import_file(PUBLISHED_2022, "--correction", "Sai sót", *correction_options())
    assert Period.objects.count() == 0


@pytest.mark.django_db
def test_a_workbook_with_numeric_cells_is_read_exactly(tmp_path):
    rows = published_rows(PUBLISHED_2022)
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["year", "block", "unit", "score", "grade", "rank", "ghi chú"])
    for row in rows:
        sheet.append(
            [int(row["year"]), row["block"], row["unit"], float(row["score"]), row["grade"], int(row["rank"]), "bỏ qua"]
        )
        sheet.cell(row=sheet.max_row, column=4).number_format = "0.000"
    path = tmp_path / "ket-qua-2022.xlsx"
    workbook.save(path)
    import_file(path)
    labour = Result.objects.get(unit__name="Sở Lao động, Thương binh và Xã hội")
    assert labour.total == Decimal("88.920")
    assert str(labour.total.normalize()) == "88.92"
    assert Period.objects.get(year=2022, block__code="so").published_decimals == 3
    assert Result.objects.filter(period__year=2022).count() == len(rows)


@pytest.mark.django_db
def test_a_vietnamese_decimal_comma_and_block_code_are_accepted(tmp_path):
    path = write_csv(tmp_path, '2023,so,Sở Y tế,"90,450",Xuất sắc,1\n2023,so,Sở Tư pháp,"89,5",Tốt,2\n')
    import_file(path)
    assert Result.objects.get(unit__name="Sở Y tế").total == Decimal("90.450")
    assert Result.objects.get(unit__name="Sở Tư pháp").total == Decimal("89.5")


@pytest.mark.django_db
def test_a_name_typed_in_decomposed_unicode_finds_the_existing_unit(tmp_path, so):
    existing = Unit.objects.create(code="so-y-te", name="Sở Y tế", block=so)
    decomposed = unicodedata.normalize("NFD", "  Sở   Y tế ")
    assert decomposed.strip() != "Sở Y tế"
    import_file(write_csv(tmp_path, f"2023,so,{decomposed},90.1\n"))
    assert Unit.objects.count() == 1
    assert Result.objects.get().unit == existing


@pytest.mark.django_db
def test_a_printed_grade_or_rank_is_kept_as_the_record_and_the_computed_one_is_a_warning(tmp_path, capsys):
    import_file(write_csv(tmp_path, "2023,so,Sở A,91,Tốt,1\n2023,so,Sở B,85,Tốt,3\n"))
    err = capsys.readouterr().err
    assert 'Dòng 2: xếp loại in trong bảng là "Tốt", tính theo thang xếp loại là "Xuất sắc"; giữ như bảng in.' in err
    assert "Dòng 3: vị thứ in trong bảng là 3, tính được là 2; giữ như bảng in." in err
    a, b = Result.objects.get(unit__name="Sở A"), Result.objects.get(unit__name="Sở B")
    assert (a.grade, a.grade_code, a.rank) == ("Tốt", "tot", 1) and (b.grade, b.rank) == ("Tốt", 3)


@pytest.mark.django_db
def test_a_dry_run_checks_the_file_and_writes_nothing(capsys):
    before = snapshot()
    import_file(PUBLISHED_2022, "--dry-run")
    assert snapshot() == before
    assert "chưa ghi gì" in capsys.readouterr().out


BAD_FILES = {
    "non-numeric score": ("2023,so,Sở A,chín mươi\n", "Dòng 2, cột D (“score”): “chín mươi” không phải là số"),
    "score above 100": (
        "2023,so,Sở A,100.5\n",
        "Dòng 2, cột D (“score”): điểm 100,5 vượt quá điểm tối đa 100.",
    ),
    "negative score": ("2023,so,Sở A,-1\n", "Dòng 2, cột D (“score”): điểm -1 là số âm; điểm phải từ 0 đến 100."),
    "empty score": ("2023,so,Sở A,\n", "Dòng 2, cột D (“score”): điểm để trống"),
    "empty unit": ("2023,so,,80\n", "Dòng 2, cột C (“unit”): tên đơn vị để trống"),
    "unknown block": ("2023,tinh,Sở A,80\n", 'Dòng 2, cột B (“block”): không có khối "tinh"'),
    "bad year": ("năm ngoái,so,Sở A,80\n", 'Dòng 2, cột A (“year”): năm "năm ngoái" không hợp lệ'),
    "bad rank": ("2023,so,Sở A,80,Tốt,nhất\n", 'Dòng 2, cột F (“rank”): vị thứ "nhất" không phải số nguyên dương'),
    "same unit twice": (
        "2023,so,Sở A,80\n2023,so,sở a,81\n",
        'Dòng 3, cột C (“unit”): đơn vị "sở a" đã có ở dòng 2 (năm 2023, khối Sở, ban, ngành cấp tỉnh)',
    ),
    "not a number at all": ("2023,so,Sở A,NaN\n", "Dòng 2, cột D (“score”): “NaN” không phải là số"),
    "a score with too many decimals": (
        "2023,so,Sở A,80.1234567\n",
        "Dòng 2, cột D (“score”): điểm 80.1234567 có quá 6",
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("body, message", BAD_FILES.values(), ids=BAD_FILES.keys())
def test_a_bad_row_is_refused_with_its_row_and_column_and_nothing_is_written(tmp_path, body, message):
    import_file(PUBLISHED_2022)
    before = snapshot()
    # A good row first: it must not be written either.
    path = write_csv(tmp_path, "2022,so,Sở Thông tin và Truyền thông,50\n" + body.replace("Dòng 2", "Dòng 3"))
    with pytest.raises(CommandError) as error:
        import_file(path)
    shifted = message.replace("Dòng 3", "Dòng 4").replace("Dòng 2", "Dòng 3").replace("ở dòng 2", "ở dòng 3")
    assert shifted in str(error.value)
    assert "không ghi gì" in str(error.value)
    assert snapshot() == before


@pytest.mark.django_db
def test_every_problem_in_the_file_is_reported_at_once(tmp_path):
    path = write_csv(tmp_path, "2023,so,Sở A,abc\n2023,xyz,Sở B,80\n2023,so,,70\n")
    with pytest.raises(CommandError) as error:
        import_file(path)
    text = str(error.value)
    assert "3 lỗi" in text
    for expected in ("Dòng 2, cột D (“score”)", "Dòng 3, cột B (“block”)", "Dòng 4, cột C (“unit”)"):
        assert expected in text
    assert Result.objects.count() == 0 and Unit.objects.count() == 0


@pytest.mark.django_db
def test_a_missing_column_is_named(tmp_path):
    path = write_csv(tmp_path, "2023,so,Sở A\n", header="year,block,unit\n")
    with pytest.raises(CommandError, match="Dòng 1: cần cột điểm"):
        import_file(path)
    assert Period.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name, content, message",
    [
        ("hong.xlsx", b"this is not a workbook", "Không đọc được tệp “hong.xlsx”"),
        ("latin1.csv", "year,block,unit,score\n2023,so,Hà Nội,80\n".encode("cp1252", "replace"), "UTF-8"),
        ("ket-qua.pdf", b"%PDF-1.4", "Tệp “ket-qua.pdf” không phải bảng tính Excel .xlsx hoặc tệp CSV"),
        ("trong.csv", b"", "không có dòng tiêu đề"),
        ("chi-tieu-de.csv", b"year,block,unit,score\n\n,,,\n", "không có dòng dữ liệu"),
    ],
)
def test_an_unreadable_file_is_refused_with_a_vietnamese_message(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(CommandError, match=message):
        import_file(path)
    assert Result.objects.count() == 0 and Unit.objects.count() == 0 and Period.objects.count() == 0


@pytest.mark.django_db
def test_a_period_being_scored_on_the_portal_is_not_overwritten_by_a_file(tmp_path, criteria_tree, so, scheme):
    from scoring.models import Score

    unit = Unit.objects.create(code="a", name="Sở A", block=so)
    period = Period.objects.create(year=2024, block=so, criteria_set=criteria_tree, grade_scheme=scheme)
    Score.objects.create(period=period, unit=unit, criterion=criteria_tree.criteria.get(code="2"), self_points=30)
    with pytest.raises(CommandError, match="đang được chấm điểm trên cổng"):
        import_file(write_csv(tmp_path, "2024,so,Sở A,80\n"))
    assert Result.objects.count() == 0
    period.refresh_from_db()
    assert period.status == Period.Status.DRAFT
