"""Excel import and export of units and blocks: codes stay text, and a file with one bad row writes nothing."""

import unicodedata
from io import BytesIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook, load_workbook

from units.models import Block, Unit
from units.resources import BlockResource, SafeXLSX, UnitResource, import_errors

HEADERS = ["Mã đơn vị", "Tên đơn vị", "Tên viết tắt", "Khối", "Năm bắt đầu", "Năm kết thúc", "Đơn vị kế thừa"]
IMPORT_URL = "/quan-tri/units/unit/import/"
PROCESS_URL = "/quan-tri/units/unit/process_import/"
EXPORT_URL = "/quan-tri/units/unit/export/"


def xlsx(rows, headers=HEADERS) -> bytes:
    """A workbook as a user would send it, the code column formatted as text."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    for (cell,) in sheet.iter_rows(min_row=2, max_col=1):
        cell.number_format = "@"
    stream = BytesIO()
    workbook.save(stream)
    return stream.getvalue()


def write(tmp_path: Path, rows, name="don-vi.xlsx") -> Path:
    path = tmp_path / name
    path.write_bytes(xlsx(rows))
    return path


def import_units(content: bytes, *, dry_run=False):
    dataset = SafeXLSX().create_dataset(content)
    return UnitResource().import_data(dataset, dry_run=dry_run, raise_errors=False, rollback_on_validation_errors=True)


def snapshot():
    return (
        sorted(Unit.objects.values_list("code", "name", "short_name", "block__code", "first_year", "last_year")),
        sorted(Unit.successors.through.objects.values_list("from_unit__code", "to_unit__code")),
    )


def rows_of(content: bytes) -> list[list]:
    return [list(row) for row in load_workbook(BytesIO(content)).active.iter_rows(values_only=True)]


@pytest.fixture
def units_with_history(so, huyen):
    """Two departments (one coded with a leading zero), and a district that merged into another."""
    noi_vu = Unit.objects.create(code="012", name="Sở Nội vụ", short_name="SNV", block=so, first_year=2010)
    tu_phap = Unit.objects.create(code="so-tu-phap", name="Sở Tư pháp", block=so)
    moi = Unit.objects.create(code="tp-moi", name="Thành phố Mới", block=huyen, first_year=2020)
    cu = Unit.objects.create(code="huyen-cu", name="Huyện Cũ", block=huyen, first_year=2005, last_year=2019)
    cu.successors.add(moi)
    return {"noi_vu": noi_vu, "tu_phap": tu_phap, "moi": moi, "cu": cu}


def export_through_admin(client):
    fields = {f"unitresource_{name}": "on" for name in UnitResource.Meta.fields}
    return client.post(EXPORT_URL, {"format": "0", "resource": "0", **fields})


# Export


def test_the_admin_export_has_vietnamese_headers_text_codes_and_numeric_years(superuser_client, units_with_history):
    response = export_through_admin(superuser_client)
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.xlsx"')
    sheet = load_workbook(BytesIO(response.content)).active
    assert [cell.value for cell in sheet[1]] == HEADERS
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    assert set(rows) == {"012", "so-tu-phap", "tp-moi", "huyen-cu"}
    code, name, short_name, block, first_year, last_year, successors = rows["012"]
    assert code.data_type == "s" and code.value == "012"
    assert (name.value, short_name.value, block.value, first_year.value) == ("Sở Nội vụ", "SNV", "so", 2010)
    assert [cell.value for cell in rows["huyen-cu"]][4:] == [2005, 2019, "tp-moi"]


def test_the_resource_export_keeps_the_leading_zero(units_with_history):
    dataset = UnitResource().export()
    assert dataset.headers == HEADERS
    assert ["012", "Sở Nội vụ", "SNV", "so", "2010", "", ""] in [list(row) for row in dataset]
    sheet = load_workbook(BytesIO(dataset.xlsx)).active
    assert "012" in [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]


def test_a_name_beginning_with_equals_is_exported_as_text_never_as_a_formula(superuser_client, so):
    Unit.objects.create(code="bay", name='=HYPERLINK("http://example.com","Bấm")', block=so)
    sheet = load_workbook(BytesIO(export_through_admin(superuser_client).content)).active
    cell = sheet["B2"]
    assert cell.data_type == "s" and cell.value == '=HYPERLINK("http://example.com","Bấm")'


def test_the_export_runs_a_fixed_number_of_queries(superuser_client, so, huyen):
    counts = []
    for n in (3, 7):
        for i in range(n):
            unit = Unit.objects.create(code=f"u{n}-{i}", name=f"Đơn vị {n}-{i}", block=huyen if i % 2 else so)
            unit.successors.set(Unit.objects.exclude(pk=unit.pk)[:2])
        with CaptureQueriesContext(connection) as queries:
            response = export_through_admin(superuser_client)
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


# Import through the resource


def test_a_good_file_creates_and_updates_units_and_links_a_successor_further_down(units_with_history, huyen):
    composed_apart = unicodedata.normalize("NFD", "Sở  Nội vụ   tỉnh ")
    content = xlsx(
        [
            ["012", composed_apart, "SNV", "so", 2010, None, None],
            ["xa-a", "Xã A", None, "xa", 2000, 2024, "xa-ab"],  # its successor is the next row
            ["xa-ab", "Xã A B", "", "xa", 2025, None, ""],
        ]
    )
    result = import_units(content)
    assert not result.has_errors() and not result.has_validation_errors(), import_errors(result)
    assert (result.totals["new"], result.totals["update"]) == (2, 1)
    noi_vu = Unit.objects.get(code="012")
    assert noi_vu.name == "Sở Nội vụ tỉnh"
    assert list(Unit.objects.get(code="xa-a").successors.values_list("code", flat=True)) == ["xa-ab"]
    assert Unit.objects.get(code="xa-ab").block.code == "xa"
    assert Unit.objects.count() == 6  # the units the file leaves out are left alone


def test_an_exported_file_imports_back_unchanged_and_every_row_is_skipped(superuser_client, units_with_history):
    before = snapshot()
    result = import_units(export_through_admin(superuser_client).content)
    assert not result.has_errors() and not result.has_validation_errors(), import_errors(result)
    assert result.totals["skip"] == 4 and result.totals["new"] == result.totals["update"] == 0
    assert snapshot() == before


def test_blank_rows_under_the_table_are_skipped(units_with_history):
    result = import_units(xlsx([["xa-b", "Xã B", None, "xa", None, None, None], [None] * 7, [""] * 7]))
    assert not result.has_errors() and not result.has_validation_errors(), import_errors(result)
    assert (result.totals["new"], result.totals["skip"]) == (1, 2)


GOOD_ROW = ["xa-moi", "Xã Mới", None, "xa", 2020, None, None]


@pytest.mark.parametrize(
    ("bad_row", "column", "message"),
    [
        (["xa-sai", "Xã Sai", None, "tinh", None, None, None], "Khối", "Không có khối “tinh”"),
        (["so-trung", "Sở Tư pháp", None, "so", None, None, None], "Tên đơn vị", "“Sở, ban, ngành cấp tỉnh” đã có"),
        (["xa-trung", "Xã Mới", None, "xa", None, None, None], "Tên đơn vị", "Khối “UBND cấp xã” đã có đơn vị tên"),
        (["xa-nam", "Xã Năm", None, "xa", 2020, 2019, None], "Năm kết thúc", "Năm kết thúc (2019) không được trước"),
        (["xa-ke", "Xã Kế", None, "xa", None, None, "khong-co"], "Đơn vị kế thừa", "mang mã “khong-co”"),
        (["xa-tu", "Xã Tự", None, "xa", None, None, "xa-tu"], "Đơn vị kế thừa", "không thể tự kế thừa"),
        (["xa-moi", "Xã Khác", None, "xa", None, None, None], "Mã đơn vị", "Mã “xa-moi” đã có ở dòng 1"),
        (["xã-có-dấu", "Xã Dấu", None, "xa", None, None, None], "Mã đơn vị", "chỉ được gồm chữ cái không dấu"),
        (["xa-chu", "Xã Chữ", None, "xa", "năm ngoái", None, None], "Năm bắt đầu", "“năm ngoái” không phải là một số"),
        ([12, "Xã Số", None, "xa", None, None, None], "Mã đơn vị", "Mã “12” đang là ô số"),
    ],
    ids=[
        "unknown-block",
        "name-taken-in-block",
        "name-twice-in-file",
        "years-reversed",
        "unknown-successor",
        "own-successor",
        "code-twice-in-file",
        "code-not-a-slug",
        "year-not-a-number",
        "numeric-code",
    ],
)
def test_one_bad_row_writes_nothing_and_names_its_row_column_and_value(units_with_history, bad_row, column, message):
    before = snapshot()
    result = import_units(xlsx([GOOD_ROW, bad_row]))
    assert result.has_validation_errors() and not result.has_errors()
    assert result.base_errors == [] and result.row_errors() == []
    [invalid] = result.invalid_rows
    assert invalid.number == 2
    assert any(message in text for text in invalid.error_dict[column]), invalid.error_dict
    # The second data row is the spreadsheet's row 3 (row 1 is the header).
    assert any(line.startswith(f"Dòng 3 — {column}: ") and message in line for line in import_errors(result))
    assert snapshot() == before
    assert not Unit.objects.filter(code="xa-moi").exists()


@pytest.mark.parametrize("number", [12, 12.0])
def test_an_integral_number_cell_for_a_code_is_refused_and_never_read_as_12_0(units_with_history, number):
    result = import_units(xlsx([[number, "Sở Số", None, "so", None, None, None]]))
    [invalid] = result.invalid_rows
    [text] = invalid.error_dict["Mã đơn vị"]
    assert "“12”" in text and "12.0" not in text
    assert not Unit.objects.filter(code__in=["12", "12.0"]).exists()


def test_a_successor_code_typed_as_a_number_is_refused(units_with_history):
    result = import_units(xlsx([["xa-c", "Xã C", None, "xa", None, None, 12.0]]))
    [invalid] = result.invalid_rows
    assert "Mã “12” đang là ô số" in invalid.error_dict["Đơn vị kế thừa"][0]
    assert not Unit.objects.filter(code="xa-c").exists()


def test_a_missing_code_column_is_a_file_error_and_writes_nothing(units_with_history):
    before = snapshot()
    result = import_units(xlsx([["Xã D", "xa"]], headers=["Tên đơn vị", "Khối"]))
    assert result.has_errors()
    assert "Mã đơn vị" in str(result.base_errors[0].error)
    assert snapshot() == before


def test_a_dry_run_reports_but_writes_nothing(units_with_history):
    before = snapshot()
    result = import_units(xlsx([GOOD_ROW]), dry_run=True)
    assert result.totals["new"] == 1 and not result.has_validation_errors()
    assert snapshot() == before


# Blocks


def test_blocks_are_data_a_new_block_is_added_and_a_code_that_is_no_slug_is_refused(so):
    headers = ["Mã khối", "Tên khối", "Cụm từ trong tiêu đề", "Thứ tự"]
    rows = [["so", "Sở, ban, ngành tỉnh", "các sở, ban,  ngành", 1], ["phuong", "UBND phường", "các phường", 4]]
    bad = ["xã đặc khu", "UBND xã, đặc khu", "các xã, đặc khu", 5]  # a code must be a slug: it is in public URLs
    dataset = SafeXLSX().create_dataset(xlsx([*rows, bad], headers))
    result = BlockResource().import_data(dataset, raise_errors=False, rollback_on_validation_errors=True)
    [invalid] = result.invalid_rows
    assert invalid.number == 3 and "Mã khối" in invalid.error_dict
    assert Block.objects.get(code="so").name == "Sở, ban, ngành cấp tỉnh"  # rolled back with the bad row
    assert not Block.objects.filter(code="phuong").exists()

    result = BlockResource().import_data(dataset.subset(rows=[0, 1]), raise_errors=False)
    assert not result.has_errors() and not result.has_validation_errors(), import_errors(result)
    so.refresh_from_db()
    assert (so.name, so.title_phrase) == ("Sở, ban, ngành tỉnh", "các sở, ban, ngành")
    assert Block.objects.get(code="phuong").name == "UBND phường"


# The admin


def test_the_import_pages_open_for_a_superuser(superuser_client):
    assert superuser_client.get(IMPORT_URL).status_code == 200
    assert superuser_client.get("/quan-tri/units/block/import/").status_code == 200


def test_the_admin_import_previews_then_writes_on_confirm(superuser_client, units_with_history, tmp_path):
    path = write(tmp_path, [GOOD_ROW, ["huyen-cu", "Huyện Cũ", None, "huyen", 2005, 2019, "tp-moi;xa-moi"]])
    with path.open("rb") as handle:
        preview = superuser_client.post(IMPORT_URL, {"format": "0", "import_file": handle})
    assert preview.status_code == 200
    assert not preview.context["result"].has_validation_errors()
    confirm = preview.context["confirm_form"]
    assert confirm.initial["original_file_name"] == "don-vi.xlsx"
    assert not Unit.objects.filter(code="xa-moi").exists()  # the preview was rolled back

    response = superuser_client.post(PROCESS_URL, {**confirm.initial, "resource": "0"})
    assert response.status_code == 302 and response["Location"] == "/quan-tri/units/unit/"
    assert Unit.objects.get(code="xa-moi").name == "Xã Mới"
    assert set(units_with_history["cu"].successors.values_list("code", flat=True)) == {"tp-moi", "xa-moi"}


def test_with_a_bad_row_the_admin_offers_no_confirm_and_writes_nothing(superuser_client, units_with_history, tmp_path):
    before = snapshot()
    path = write(tmp_path, [GOOD_ROW, ["xa-sai", "Xã Sai", None, "tinh", None, None, None]])
    with path.open("rb") as handle:
        response = superuser_client.post(IMPORT_URL, {"format": "0", "import_file": handle})
    assert response.status_code == 200
    assert "confirm_form" not in response.context
    assert "Không có khối “tinh”" in response.content.decode()
    assert snapshot() == before


def test_the_confirm_step_writes_nothing_if_a_row_went_bad_after_the_preview(
    superuser_client, units_with_history, tmp_path
):
    path = write(tmp_path, [GOOD_ROW, ["xa-hai", "Xã Hai", None, "xa", None, None, None]])
    with path.open("rb") as handle:
        preview = superuser_client.post(IMPORT_URL, {"format": "0", "import_file": handle})
    confirm = preview.context["confirm_form"]
    Unit.objects.create(code="xa-khac", name="Xã Hai", block=Block.objects.get(code="xa"))  # meanwhile
    before = snapshot()

    response = superuser_client.post(PROCESS_URL, {**confirm.initial, "resource": "0"}, follow=True)
    assert response.redirect_chain[-1][0] == IMPORT_URL
    assert "Khối “UBND cấp xã” đã có đơn vị tên “Xã Hai”" in response.content.decode()
    assert snapshot() == before


def test_a_staff_account_that_may_only_view_units_cannot_import_them(client, units_with_history):
    user = get_user_model().objects.create_user("xem", password="mat-khau-dai-123", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_unit"))
    client.force_login(user)
    assert client.get(IMPORT_URL).status_code == 403
    confirm = {"import_file_name": "x", "original_file_name": "x", "format": "0"}
    assert client.post(PROCESS_URL, confirm).status_code == 403
    assert export_through_admin(client).status_code == 200


def test_one_wide_row_does_not_widen_every_row_past_the_cell_limit(settings):
    """The dataset pads every row to the longest one: 61 rows, one of them 20 columns wide, are 1,220 cells."""
    from cchc_portal.lib.problems import Refused

    settings.IMPORT_LIMITS = {"cells": 1000}
    workbook = Workbook()
    workbook.active.append([f"cột {n}" for n in range(20)])
    for number in range(60):
        workbook.active.append([f"dv-{number}"])
    buffer = BytesIO()
    workbook.save(buffer)
    with pytest.raises(Refused) as refused:
        SafeXLSX().create_dataset(buffer.getvalue())
    assert refused.value.errors == [
        "Tệp tải lên có 61 dòng và dòng dài nhất tới 20 cột: đọc thành bảng là 1.220 ô, vượt giới hạn 1.000 ô của một "
        "bảng tính nhập vào cổng; hãy xóa các cột thừa ở dòng dài nhất rồi lưu lại."
    ]
    settings.IMPORT_LIMITS = {"cells": 1220}
    assert SafeXLSX().create_dataset(buffer.getvalue()).height == 60
