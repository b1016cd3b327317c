"""Importing a criteria set from a workbook: good files land exactly, any bad input writes nothing and says why."""

import csv
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook
from openpyxl.styles import PatternFill

from cchc_portal.lib.problems import Refused
from cchc_portal.lib.text import search_key
from scoring.imports.criteria import METHODS, criteria_import, read_criteria_rows
from scoring.models import AppraiserAssignment, CriteriaSet, Criterion, Method, Period
from scoring.permissions import APPRAISER, UNIT_STAFF
from tests.conftest import make_units
from tests.scoring.workflow_cast import user
from units.models import Unit

SHEET = "Bộ tiêu chí"
HEADER = ["Mã", "Nội dung", "Điểm tối đa", "Cách chấm", "Ghi chú"]
URL = "/cham-diem/bo-tieu-chi/nhap/"

# code, title, maximum, method — as typed into the workbook: whole-number codes in number cells,
# every other code typed as text, maxima as numbers (one as the text "0,25").
GOOD = [
    (1, "Công tác chỉ đạo, điều hành cải cách hành chính", 10, None),
    ("1.1", "Kế hoạch cải cách hành chính", 3, None),
    ("1.1.1", "Ban hành kế hoạch đúng hạn", 1, None),
    ("1.1.2", "Mức độ hoàn thành kế hoạch", 2, None),
    ("1.2", "Báo cáo cải cách hành chính định kỳ", 2, "tự đánh giá"),
    ("1.3", "Kiểm tra cải cách hành chính", 5, ""),
    ("1.3.1", "Tỷ lệ cơ quan, đơn vị được kiểm tra", 2.5, None),
    ("1.3.2", "Xử lý vấn đề phát hiện qua kiểm tra", 2.5, None),
    (2, "Xây dựng và tổ chức thực hiện văn bản quy phạm pháp luật", 8, None),
    ("2.1", "Rà soát, hệ thống hóa văn bản", 4, None),
    ("2.2", "Kiểm tra, xử lý văn bản", 4, None),
    (3, "Cải cách thủ tục hành chính", 14.5, "self"),
    ("3.1", "Công bố, công khai thủ tục hành chính", "0,25", None),
    ("3.2", "Rà soát, đơn giản hóa thủ tục hành chính", 1.75, None),
    ("3.3", "Thực hiện cơ chế một cửa", 1, None),
    ("3.4", "Giải quyết hồ sơ đúng hạn", 1, None),
    ("3.5", "Xin lỗi khi trễ hạn", 1, None),
    ("3.6", "Tiếp nhận phản ánh, kiến nghị", 1, None),
    ("3.7", "Số hóa hồ sơ, kết quả giải quyết", 1, None),
    ("3.8", "Thanh toán trực tuyến", 1, None),
    ("3.9", "Dịch vụ bưu chính công ích", 1, None),
    ("3.10", "Tiếp nhận hồ sơ trực tuyến toàn trình", 5.5, None),
    (4, "Cải cách tổ chức bộ máy hành chính nhà nước", 11, None),
    ("4.1", "Sắp xếp tổ chức bộ máy", 5.5, None),
    ("4.2", "Quản lý biên chế", 5.5, None),
    (5, "Cải cách chế độ công vụ", 16, None),
    ("5.1", "Vị trí việc làm", 8, None),
    ("5.2", "Kỷ luật, kỷ cương hành chính", 8, None),
    (6, "Cải cách tài chính công", 7, None),
    ("6.1", "Thực hiện cơ chế tự chủ tài chính", 7, None),
    (7, "Xây dựng và phát triển chính quyền điện tử, chính quyền số", 8.5, None),
    ("7.1", "Hệ thống quản lý văn bản điện tử", 4.25, None),
    ("7.2", "Dịch vụ công trực tuyến", 4.25, None),
    (8, "Chỉ số hài lòng của người dân, tổ chức", 25, "điều tra"),
    ("8.1", "Hài lòng về tiếp cận dịch vụ", 12.5, "survey"),
    ("8.2", "Hài lòng về kết quả giải quyết", 12.5, "Điều tra xã hội học"),
    ("T", "Điểm thưởng: sáng kiến cải cách hành chính", 2, "điểm thưởng"),
]
# What every page says of the good workbook: the bonus leaf "T" is neither an area nor a scored leaf.
GOOD_COUNTS = "8 lĩnh vực (100 điểm), 24 tiêu chí, 26 tiêu chí chấm điểm; ngoài 100 điểm: 1 tiêu chí điểm thưởng"
METHOD_OF = {None: Method.SELF, "": Method.SELF, "tự đánh giá": Method.SELF, "self": Method.SELF}
METHOD_OF |= {"điều tra": Method.SURVEY, "survey": Method.SURVEY, "Điều tra xã hội học": Method.SURVEY}
METHOD_OF |= {"điểm thưởng": Method.BONUS}

# A provincial set's shape: five scored areas, then a bonus group and a deduction group whose own rows say
# nothing of bonus or deduction (their leaves do).
PROVINCIAL = [
    ("1", "Công tác chỉ đạo, điều hành", 20, ""),
    ("1.1", "Kế hoạch cải cách hành chính", 10, ""),
    ("1.2", "Báo cáo định kỳ", 10, ""),
    ("2", "Cải cách thủ tục hành chính", 20, ""),
    ("2.1", "Giải quyết hồ sơ đúng hạn", 20, ""),
    ("3", "Cải cách tài chính công", 15, ""),
    ("4", "Cải cách chế độ công vụ", 15, ""),
    ("4.1", "Vị trí việc làm", 7.5, ""),
    ("4.2", "Kỷ luật, kỷ cương", 7.5, ""),
    ("5", "Chỉ số hài lòng", 30, ""),
    ("5.1", "Hài lòng của người dân", 30, "điều tra xã hội học"),
    ("6", "Điểm thưởng", 2, ""),
    ("6.1", "Sáng kiến được công nhận", 1.5, "điểm thưởng"),
    ("6.2", "Được khen thưởng", 0.5, "điểm thưởng"),
    ("7", "Điểm trừ", 3, ""),
    ("7.1", "Chậm nộp báo cáo", 2, "điểm trừ"),
    ("7.2", "Để xảy ra sai phạm", 1, "điểm trừ"),
]
PROVINCIAL_COUNTS = (
    "5 lĩnh vực (100 điểm), 6 tiêu chí, 7 tiêu chí chấm điểm; ngoài 100 điểm: 2 tiêu chí điểm thưởng, "
    "2 tiêu chí điểm trừ"
)

pytestmark = pytest.mark.usefixtures("media_root")


def expected_tree() -> list[tuple]:
    """(position, code, parent code, maximum, method) of every node the good workbook describes."""
    rows = []
    for position, (code, _, maximum, method) in enumerate(GOOD, start=1):
        code = str(code)
        parent = code.rpartition(".")[0] or None
        rows.append((position, code, parent, Decimal(str(maximum).replace(",", ".")), METHOD_OF[method]))
    return rows


def stored_tree(criteria_set: CriteriaSet) -> list[tuple]:
    return [
        (c.position, c.code, c.parent.code if c.parent else None, c.max_points, c.method)
        for c in Criterion.objects.filter(criteria_set=criteria_set).select_related("parent").order_by("position")
    ]


def write_xlsx(path: Path, rows, *, header=HEADER, merges=(), blank_rows_after=0, blank_rows_before=0) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET
    for _ in range(blank_rows_before):
        sheet.append([])
    sheet.append(header)
    for row in rows:
        sheet.append(list(row))
    for merge in merges:
        sheet.merge_cells(merge)
    end = sheet.max_row
    # Rows Excel keeps after the data: a cell holding a space, a formatted empty cell.
    for offset in range(1, blank_rows_after + 1):
        sheet.cell(row=end + offset, column=1, value=" ")
        sheet.cell(row=end + offset, column=3).fill = PatternFill("solid", fgColor="FFFF00")
    workbook.save(path)
    return path


def write_csv(path: Path, *, delimiter=",", decimal="."):
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(["code", "title", "max_points", "method", "note"])
        for code, title, maximum, method in GOOD:
            writer.writerow([code, title, str(maximum).replace(",", ".").replace(".", decimal), method or "", ""])
    return path


def snapshot():
    return (
        list(CriteriaSet.objects.values_list("year", "block__code", "name").order_by("pk")),
        list(Criterion.objects.values_list("criteria_set_id", "code", "max_points").order_by("pk")),
        list(Period.objects.values_list("year", "block__code", "status", "criteria_set_id").order_by("pk")),
    )


@pytest.fixture
def units_so(so):
    units = make_units(so, ["Sở Nội vụ", "Sở Tư pháp", "Sở Y tế"])
    Unit.objects.filter(pk=units[2].pk).update(last_year=2024)  # no longer exists in 2026
    return units


@pytest.fixture
def good_xlsx(tmp_path) -> Path:
    # A formula in a column the import does not read is no concern of the import.
    rows = [(*row, "=1+1" if index == 0 else "") for index, row in enumerate(GOOD)]
    return write_xlsx(tmp_path / "bo-tieu-chi-2026.xlsx", rows, blank_rows_after=3)


# --- The command and the service ------------------------------------------------------------------


@pytest.mark.django_db
def test_a_good_workbook_creates_exactly_the_tree_and_a_draft_period(good_xlsx, so, scheme, units_so, capsys):
    call_command("import_criteria", str(good_xlsx), "--year", "2026", "--block", "so", "--name", "Bộ tiêu chí 2026")

    criteria_set = CriteriaSet.objects.get(year=2026, block=so)
    assert (criteria_set.name, criteria_set.total_points) == ("Bộ tiêu chí 2026", Decimal(100))
    assert stored_tree(criteria_set) == expected_tree()
    codes = {c.code: c for c in criteria_set.criteria.all()}
    assert (codes["3.10"].max_points, codes["3.1"].max_points) == (Decimal("5.5"), Decimal("0.25"))
    assert not codes["1.2"].children.exists()  # a criterion scored directly, without sub-criteria
    period = Period.objects.get(year=2026, block=so)
    assert (period.status, period.criteria_set, period.grade_scheme) == (Period.Status.DRAFT, criteria_set, scheme)
    assert capsys.readouterr().out.strip() == (
        f"Đã nhập bộ tiêu chí năm 2026, khối Sở, ban, ngành cấp tỉnh: {GOOD_COUNTS}. "
        "Đã tạo kỳ đánh giá dự thảo cho 2 đơn vị."
    )


@pytest.mark.django_db
def test_a_new_period_starts_with_the_appraisers_of_last_years_period(good_xlsx, so, scheme, units_so):
    last_year = Period.objects.create(year=2025, block=so, grade_scheme=scheme, status=Period.Status.LOCKED)
    everyone, one, gone = user("thamdinh.a", APPRAISER), user("thamdinh.b", APPRAISER), user("thamdinh.c", APPRAISER)
    AppraiserAssignment.objects.bulk_create(
        [
            AppraiserAssignment(period=last_year, appraiser=everyone, unit=None),
            AppraiserAssignment(period=last_year, appraiser=one, unit=units_so[1]),
            AppraiserAssignment(period=last_year, appraiser=gone, unit=units_so[2]),  # unit closed in 2024
        ]
    )
    call_command("import_criteria", str(good_xlsx), "--year", "2026", "--block", "so")
    period = Period.objects.get(year=2026, block=so)
    copied = set(period.assignments.values_list("appraiser__username", "unit__name"))
    assert copied == {("thamdinh.a", None), ("thamdinh.b", "Sở Tư pháp")}


@pytest.mark.django_db
@pytest.mark.parametrize(("delimiter", "decimal"), [(",", "."), (";", ",")])
def test_the_same_tree_from_a_csv_file(tmp_path, so, scheme, delimiter, decimal):
    path = write_csv(tmp_path / "bo-tieu-chi.csv", delimiter=delimiter, decimal=decimal)

    call_command("import_criteria", str(path), "--year", "2026", "--block", "so")

    criteria_set = CriteriaSet.objects.get(year=2026, block=so)
    assert criteria_set.name == "Bộ tiêu chí Sở, ban, ngành cấp tỉnh năm 2026"
    assert stored_tree(criteria_set) == expected_tree()
    assert Period.objects.get(year=2026, block=so).criteria_set == criteria_set


@pytest.mark.django_db
def test_a_dry_run_reports_the_summary_and_writes_nothing(good_xlsx, so, units_so, capsys):
    before = snapshot()

    call_command("import_criteria", str(good_xlsx), "--year", "2026", "--block", "so", "--dry-run")

    assert snapshot() == before
    assert capsys.readouterr().out.strip() == (
        f"Kiểm tra xong, chưa ghi gì: bộ tiêu chí năm 2026, khối Sở, ban, ngành cấp tỉnh có {GOOD_COUNTS}. "
        "Khi nhập sẽ tạo kỳ đánh giá dự thảo cho 2 đơn vị."
    )


@pytest.mark.django_db
def test_bonus_and_deduction_groups_are_counted_apart_from_the_scored_areas(tmp_path, so, scheme, units_so, capsys):
    path = write_xlsx(tmp_path / "tinh.xlsx", PROVINCIAL)

    call_command("import_criteria", str(path), "--year", "2026", "--block", "so", "--dry-run")

    assert capsys.readouterr().out.strip() == (
        f"Kiểm tra xong, chưa ghi gì: bộ tiêu chí năm 2026, khối Sở, ban, ngành cấp tỉnh có {PROVINCIAL_COUNTS}. "
        "Khi nhập sẽ tạo kỳ đánh giá dự thảo cho 2 đơn vị."
    )


@pytest.mark.django_db
def test_a_group_row_is_stored_with_what_its_leaves_make_it(tmp_path, so, scheme):
    rows = [list(row) for row in PROVINCIAL]
    rows[0][3] = "điểm thưởng"  # area 1 marked bonus by mistake: its leaves are self-assessed
    path = write_xlsx(tmp_path / "tinh.xlsx", rows)

    call_command("import_criteria", str(path), "--year", "2026", "--block", "so")

    methods = dict(Criterion.objects.filter(parent__isnull=True).values_list("code", "method"))
    assert methods == {
        "1": Method.SELF,
        "2": Method.SELF,
        "3": Method.SELF,
        "4": Method.SELF,
        "5": Method.SURVEY,
        "6": Method.BONUS,
        "7": Method.DEDUCTION,
    }


# Method words as people write them: another case, without diacritics, shortened.
WORDS = [
    ("1.1", "tự chấm"),
    ("1.2", "TỰ ĐÁNH GIÁ"),
    ("2.1", "tu cham diem"),
    ("3", "Tự đánh giá, thẩm định"),
    ("5.1", "Điều tra XHH"),
    ("6.1", "thưởng"),
    ("6.2", "Diem Thuong"),
    ("7.1", "trừ"),
    ("7.2", "DIEM TRU"),
]


@pytest.mark.django_db
def test_method_words_are_read_whatever_their_case_and_with_or_without_diacritics(tmp_path, so, scheme):
    words = dict(WORDS)
    rows = [(code, title, maximum, words.get(code, method)) for code, title, maximum, method in PROVINCIAL]
    path = write_xlsx(tmp_path / "tu-ngu.xlsx", rows)

    rows = read_criteria_rows(path, path.name)

    methods = {row.code: row.method for row in rows if row.code in words}
    assert methods == {
        "1.1": Method.SELF,
        "1.2": Method.SELF,
        "2.1": Method.SELF,
        "3": Method.SELF,
        "5.1": Method.SURVEY,
        "6.1": Method.BONUS,
        "6.2": Method.BONUS,
        "7.1": Method.DEDUCTION,
        "7.2": Method.DEDUCTION,
    }


@pytest.mark.parametrize(
    "word",
    [
        "thuong",  # thưởng, thường or thương: a lone syllable needs its marks
        "tru",
        "điem thuong",  # some marks, not all: a typing slip, not a choice
        "khảo sát",
    ],
)
@pytest.mark.django_db
def test_a_word_that_could_mean_something_else_is_refused_with_the_accepted_words(tmp_path, so, word):
    rows = [(code, title, maximum, word if code == "6.1" else method) for code, title, maximum, method in PROVINCIAL]
    path = write_xlsx(tmp_path / "tu-ngu.xlsx", rows)

    with pytest.raises(Refused) as failure:
        read_criteria_rows(path, path.name)

    (error,) = failure.value.errors
    assert error.startswith(f'Trang tính “{SHEET}”, dòng 14, cột D (“Cách chấm”): cách chấm "{word}" không hợp lệ.')
    for accepted in METHODS:
        assert f"“{accepted}”" in error
    assert "Điểm thưởng: “điểm thưởng”, “thưởng”, “bonus”" in error


def test_no_two_methods_share_a_spelling_without_diacritics():
    methods_of_plain = {}
    for word, method in METHODS.items():
        methods_of_plain.setdefault(search_key(word), set()).add(method)
    assert all(len(methods) == 1 for methods in methods_of_plain.values())


def error_rows() -> tuple[list, dict[str, int]]:
    """The good tree with one of each mistake; returns the rows and each code's row number in the sheet."""
    rows = [list(row) for row in GOOD]
    at = {str(row[0]): index for index, row in enumerate(rows)}
    rows[at["3.1"]][0] = 3.1  # a number cell: Excel would also show 3.10 as 3.1
    rows[at["1.3.2"]][2] = 2  # 2.5 + 2 ≠ 5
    rows[at["4.1"]][2] = -5.5
    rows[at["5"]][2] = 15  # the areas now add up to 99
    rows[at["5.1"]][2] = 7
    rows[at["6.1"]][2] = "=3.5*2"
    rows[at["7.1"]][2] = "bốn phẩy hai lăm"
    rows[at["8.2"]][3] = "khảo sát"
    rows.insert(at["2.2"] + 1, ["2.2", "Mã trùng", 1, None])
    rows.insert(at["5.2"] + 2, ["5.3.1", "Tiêu chí thiếu tiêu chí cha", 1, None])
    line = {}
    for number, row in enumerate(rows, start=2):
        line.setdefault(str(row[0]), number)
    return rows, line


@pytest.mark.django_db
def test_one_workbook_with_every_kind_of_mistake_gets_every_message_and_writes_nothing(tmp_path, so, scheme):
    rows, line = error_rows()
    merged = f"B{line['1.1.1']}:B{line['1.1.2']}"
    path = write_xlsx(tmp_path / "loi.xlsx", rows, merges=[merged], blank_rows_after=4)
    before = snapshot()

    with pytest.raises(CommandError) as failure:
        call_command("import_criteria", str(path), "--year", "2026", "--block", "so")

    text = str(failure.value)
    assert text.startswith(f'Không nhập tệp "{path}": 10 lỗi, không ghi gì vào cơ sở dữ liệu.')
    errors = [item.removeprefix("- ") for item in text.splitlines()[1:]]
    duplicate_line = line["2.2"] + 1
    expected = [
        (line["1.1.1"], "Nội dung", f"ô gộp {merged} nằm trong vùng dữ liệu; hãy bỏ gộp ô"),
        (line["1.3"], "Điểm tối đa", 'tiêu chí "1.3" có điểm tối đa 5, nhưng điểm tối đa của các tiêu chí con '),
        (duplicate_line, "Mã", f'mã "2.2" trùng với mã ở dòng {line["2.2"]}.'),
        (line["3.1"], "Mã", "mã nằm trong ô kiểu số hoặc ngày tháng. Excel có thể đã đổi 3.10 thành 3.1"),
        (line["4.1"], "Điểm tối đa", "điểm tối đa -5,5 là số âm"),
        (line["5.3.1"], "Mã", 'mã "5.3.1" cần tiêu chí cha "5.3", nhưng tệp không có mã "5.3".'),
        (line["6.1"], "Điểm tối đa", 'ô chứa công thức "=3.5*2"'),
        (line["7.1"], "Điểm tối đa", "“bốn phẩy hai lăm” không phải là số"),
        (line["8.2"], "Cách chấm", 'cách chấm "khảo sát" không hợp lệ'),
    ]
    letter = {"Mã": "A", "Nội dung": "B", "Điểm tối đa": "C", "Cách chấm": "D"}
    assert len(errors) == len(expected) + 1
    for error, (row, column, words) in zip(errors, expected, strict=False):
        assert error.startswith(f"Trang tính “{SHEET}”, dòng {row}, cột {letter[column]} (“{column}”): {words}"), error
    assert errors[1].endswith("cộng lại là 4,5.")
    assert errors[-1] == (
        f"Trang tính “{SHEET}”, cột C (“Điểm tối đa”): tổng điểm tối đa của các lĩnh vực là 99, "
        "khác tổng điểm khai báo 100 (không tính điểm thưởng, điểm trừ)."
    )
    assert snapshot() == before


def numbers_for_codes(tmp_path) -> Path:
    """The provincial set with every code that has a dot typed as a number, as Excel keeps it by default."""
    rows = [(float(code) if code.count(".") == 1 else code, *rest) for code, *rest in PROVINCIAL]
    return write_xlsx(tmp_path / "ma-so.xlsx", rows)


NUMBER_CODES = (
    f"Trang tính “{SHEET}”, các dòng 3, 4, 6, 9, 10, 12, 14, 15, 17 và 18, cột A (“Mã”): mã nằm trong ô kiểu số "
    "hoặc ngày tháng. Excel có thể đã đổi 3.10 thành 3.1"
)


@pytest.mark.django_db
def test_codes_typed_as_numbers_are_one_message_naming_every_row(tmp_path, so):
    path = numbers_for_codes(tmp_path)

    with pytest.raises(CommandError) as failure:
        call_command("import_criteria", str(path), "--year", "2026", "--block", "so")

    first, *lines = str(failure.value).splitlines()
    assert first == f'Không nhập tệp "{path}": 10 lỗi, không ghi gì vào cơ sở dữ liệu.'
    assert len(lines) == 1 and lines[0].startswith(f"- {NUMBER_CODES}")


@pytest.mark.django_db
def test_a_missing_column_is_named_with_the_header_row(tmp_path, so):
    header = ["Mã", "Nội dung", "Cách chấm"]
    path = write_xlsx(tmp_path / "thieu-cot.xlsx", [("1", "Lĩnh vực", "")], header=header, blank_rows_before=1)

    with pytest.raises(Refused) as failure:
        read_criteria_rows(path, path.name)

    assert failure.value.errors == [
        f'Trang tính “{SHEET}”, dòng 2: thiếu cột "điểm tối đa" (max_points). Dòng tiêu đề là dòng không trống '
        "đầu tiên và cần các cột mã, nội dung, điểm tối đa, cách chấm (hoặc code, title, max_points, method)."
    ]


@pytest.mark.django_db
def test_a_year_and_block_that_already_have_a_set_are_refused_and_nothing_changes(good_xlsx, so, scheme):
    CriteriaSet.objects.create(year=2026, block=so, name="Bộ tiêu chí đã có")
    before = snapshot()

    with pytest.raises(CommandError) as failure:
        call_command("import_criteria", str(good_xlsx), "--year", "2026", "--block", "so")

    message = 'Năm 2026, khối Sở, ban, ngành cấp tỉnh: đã có bộ tiêu chí "Bộ tiêu chí đã có", không ghi đè.'
    assert message in str(failure.value)
    assert "không ghi gì" in str(failure.value)
    assert snapshot() == before


@pytest.mark.django_db
def test_a_period_already_open_is_refused(good_xlsx, so, scheme):
    Period.objects.create(year=2026, block=so, grade_scheme=scheme, status=Period.Status.OPEN)
    rows = read_criteria_rows(good_xlsx, good_xlsx.name)
    before = snapshot()

    with pytest.raises(ValidationError, match='kỳ đánh giá đang ở trạng thái "Đang tự đánh giá"'):
        criteria_import(rows=rows, year=2026, block=so)

    assert snapshot() == before


@pytest.mark.django_db
def test_a_draft_period_without_a_set_gets_the_new_set(good_xlsx, so, scheme):
    period = Period.objects.create(year=2026, block=so, grade_scheme=scheme)
    rows = read_criteria_rows(good_xlsx, good_xlsx.name)

    summary = criteria_import(rows=rows, year=2026, block=so)

    period.refresh_from_db()
    assert period.criteria_set == summary.criteria_set
    assert not summary.period_created
    assert Period.objects.filter(year=2026, block=so).count() == 1


@pytest.mark.django_db
def test_the_service_refuses_anyone_but_an_administrator(good_xlsx, so, scheme):
    rows = read_criteria_rows(good_xlsx, good_xlsx.name)
    appraiser = user("thamdinh", APPRAISER)

    with pytest.raises(PermissionDenied, match="không có quyền"):
        criteria_import(rows=rows, year=2026, block=so, by=appraiser)

    assert not CriteriaSet.objects.exists()


# --- The web page ---------------------------------------------------------------------------------


def upload(client: Client, path: Path, block, **fields):
    data = {"year": 2026, "block": block.pk, "total": "100", "name": "", **fields}
    data["file"] = SimpleUploadedFile(path.name, path.read_bytes())
    return client.post(URL, data)


def stored_uploads(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "imports").glob("*")) if (tmp_path / "imports").exists() else []


@pytest.mark.django_db
def test_an_administrator_previews_the_tree_then_confirms_and_the_set_is_written(
    administrator_client, good_xlsx, so, scheme, units_so, tmp_path
):
    assert administrator_client.get(URL).status_code == 200

    preview = upload(administrator_client, good_xlsx, so)

    assert preview.status_code == 200
    page = preview.content.decode()
    assert "Xác nhận nhập" in page
    assert "Xem trước: Sở, ban, ngành cấp tỉnh năm 2026" in page
    assert "Tiếp nhận hồ sơ trực tuyến toàn trình" in page and ">3.10<" in page
    assert f"{GOOD_COUNTS} (37 dòng). Khi xác nhận sẽ tạo kỳ đánh giá dự thảo cho 2 đơn vị." in page
    assert "Điều tra xã hội học" in page and "Điểm thưởng" in page
    assert not CriteriaSet.objects.exists() and not Period.objects.exists()
    pending = administrator_client.session["criteria_import"]
    assert [p.name for p in stored_uploads(tmp_path)] == [pending["token"]]
    assert pending["name"] == good_xlsx.name and str(tmp_path) not in str(pending)

    confirmed = administrator_client.post(URL, {"confirm": "1"})

    criteria_set = CriteriaSet.objects.get(year=2026, block=so)
    assert confirmed.status_code == 302
    assert confirmed["Location"] == reverse("scoring:dashboard", args=[criteria_set.periods.get().pk])
    assert stored_tree(criteria_set) == expected_tree()
    assert Period.objects.get(year=2026, block=so).status == Period.Status.DRAFT
    assert [m.message for m in get_messages(confirmed.wsgi_request)] == [
        f"Đã nhập bộ tiêu chí năm 2026, khối Sở, ban, ngành cấp tỉnh: {GOOD_COUNTS}. "
        "Đã tạo kỳ đánh giá dự thảo cho 2 đơn vị."
    ]
    assert stored_uploads(tmp_path) == []
    assert "criteria_import" not in administrator_client.session
    # Confirming twice does not import twice.
    assert administrator_client.post(URL, {"confirm": "1"}).status_code == 400
    assert CriteriaSet.objects.count() == 1


def preview_methods(page: str) -> dict[str, str]:
    """Each previewed row's code and "cách chấm" cell."""
    found = re.findall(r'<tr class="depth-\d+">\s*<td>([^<]+)</td>.*?<td>([^<]+)</td>\s*</tr>', page, re.S)
    return dict(found)


@pytest.mark.django_db
def test_the_preview_counts_and_shows_each_group_as_it_will_be_stored(
    administrator_client, tmp_path, so, scheme, units_so
):
    path = write_xlsx(tmp_path / "tinh.xlsx", PROVINCIAL)

    page = upload(administrator_client, path, so).content.decode()

    assert f"{PROVINCIAL_COUNTS} (17 dòng)." in page
    methods = preview_methods(page)
    assert (methods["5"], methods["6"], methods["7"]) == ("Điều tra xã hội học", "Điểm thưởng", "Điểm trừ")
    assert (methods["1"], methods["6.1"], methods["7.2"]) == ("Tự đánh giá, thẩm định", "Điểm thưởng", "Điểm trừ")


@pytest.mark.django_db
@pytest.mark.parametrize("role", [UNIT_STAFF, APPRAISER])
def test_unit_staff_and_appraisers_are_refused(role, so, good_xlsx, tmp_path):
    unit = make_units(so, ["Sở Tư pháp"])[0] if role == UNIT_STAFF else None
    client = Client()
    client.force_login(user("nguoi-dung", role, unit))

    assert client.get(URL).status_code == 403
    assert upload(client, good_xlsx, so).status_code == 403
    assert client.post(URL, {"confirm": "1"}).status_code == 403
    assert not CriteriaSet.objects.exists()
    assert stored_uploads(tmp_path) == []


@pytest.mark.django_db
def test_an_anonymous_visitor_is_sent_to_the_login_page(client):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_a_bad_file_shows_every_error_and_writes_nothing(administrator_client, so, scheme, tmp_path):
    rows, line = error_rows()
    path = write_xlsx(tmp_path / "loi.xlsx", rows, merges=[f"B{line['1.1.1']}:B{line['1.1.2']}"])

    response = upload(administrator_client, path, so)

    page = response.content.decode()
    assert response.status_code == 400
    assert "10 lỗi" in page
    assert f"dòng {line['3.1']}, cột A (“Mã”): mã nằm trong ô kiểu số hoặc ngày tháng" in page
    assert "khác tổng điểm khai báo 100" in page
    assert "Xác nhận nhập" not in page
    assert "criteria_import" not in administrator_client.session
    assert stored_uploads(tmp_path) == []
    assert not CriteriaSet.objects.exists() and not Period.objects.exists()


@pytest.mark.django_db
def test_the_page_says_a_mistake_repeated_on_many_rows_once(administrator_client, so, tmp_path):
    response = upload(administrator_client, numbers_for_codes(tmp_path), so)

    page = response.content.decode()
    assert response.status_code == 400
    assert "10 lỗi" in page
    assert NUMBER_CODES in page and page.count("mã nằm trong ô kiểu số") == 1


WRONG_TYPE = "không phải bảng tính Excel .xlsx hoặc tệp CSV (UTF-8)"
TOO_LARGE = "vượt giới hạn 20 MB"
NOT_A_WORKBOOK = "Không đọc được tệp “doi-duoi.xlsx”: tệp hỏng hoặc sai định dạng."


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bo-tieu-chi.pdf", b"%PDF-1.4 code,title\n", WRONG_TYPE),
        ("qua-lon.csv", b"x" * (20 * 1024 * 1024 + 1), TOO_LARGE),
        ("doi-duoi.xlsx", b"code,title,max_points,method\n", NOT_A_WORKBOOK),
    ],
)
def test_only_workbooks_and_csv_files_within_the_size_limit_are_read(
    administrator_client, so, tmp_path, name, content, message
):
    path = tmp_path / name
    path.write_bytes(content)

    response = upload(administrator_client, path, so)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not CriteriaSet.objects.exists()
    assert stored_uploads(tmp_path) == []


@pytest.mark.django_db
def test_the_confirmation_reads_only_the_file_its_session_token_names(
    administrator_client, good_xlsx, so, scheme, tmp_path
):
    assert upload(administrator_client, good_xlsx, so).status_code == 200
    # A path sent with the confirmation is ignored: only the session's token counts.
    other = write_csv(tmp_path / "khac.csv")
    session = administrator_client.session
    pending = session["criteria_import"]
    session["criteria_import"] = {**pending, "token": "../khac", "extension": ".csv"}
    session.save()

    response = administrator_client.post(URL, {"confirm": "1", "token": "../khac", "path": str(other)})

    assert response.status_code == 400
    assert "Phiên nhập đã hết hạn hoặc tệp không còn; hãy tải tệp lên lại." in response.content.decode()
    assert not CriteriaSet.objects.exists() and not Period.objects.exists()
    assert other.exists()


@pytest.mark.django_db
def test_a_confirmation_without_a_preview_writes_nothing(administrator_client, so):
    response = administrator_client.post(URL, {"confirm": "1"})

    assert response.status_code == 400
    assert "Phiên nhập đã hết hạn" in response.content.decode()
    assert not CriteriaSet.objects.exists()
