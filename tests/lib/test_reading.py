"""The bounded reader on real files built here: what it returns, and each limit refusing before any cost."""

import io
from decimal import Decimal

import pytest
from openpyxl import Workbook

from cchc_portal.lib.numbers import parse_number
from cchc_portal.lib.problems import Refused
from cchc_portal.lib.reading import CSV_KIND, XLSX_KIND, Limits, open_table
from tests import hostile_files

LIMITS = Limits(rows=50, columns=10, cells=200, unpacked_bytes=1024 * 1024, file_bytes=2 * 1024 * 1024)


def xlsx(rows, merge=None, dimension_cells=None) -> io.BytesIO:
    wb = Workbook()
    ws = wb.active
    ws.title = "Bảng"
    for row in rows:
        ws.append(row)
    if merge:
        ws.merge_cells(merge)
    buffer = io.BytesIO()
    wb.save(buffer)
    buffer.seek(0)
    return buffer


def read(source, name="bang.xlsx", limits=LIMITS, accept=(XLSX_KIND, CSV_KIND)):
    table = open_table(source, name, limits=limits, accept=accept)
    return table, list(table.rows())


def refusal(source, name="bang.xlsx", limits=LIMITS, accept=(XLSX_KIND, CSV_KIND)) -> str:
    with pytest.raises(Refused) as refused:
        read(source, name, limits, accept)
    assert len(refused.value.errors) == 1
    return refused.value.errors[0]


def test_rows_come_dense_from_column_a_with_kinds_formats_and_merges():
    source = xlsx([["Mã", "Điểm"], ["012", 14.5], [None, None, "=1+2"], [], ["x"]], merge="A7:B7")
    table, rows = read(source)
    assert table.kind == XLSX_KIND and table.sheet == "Bảng" and table.declared_rows == 7
    assert [n for n, _ in rows] == [1, 2, 3, 5, 7] or [n for n, _ in rows] == [1, 2, 3, 5]
    first = dict(rows)
    assert [(c.value, c.kind) for c in first[2]] == [("012", "text"), (14.5, "number")]
    assert [c.kind for c in first[3]] == ["empty", "empty", "formula"] and first[3][2].value == "=1+2"
    assert parse_number(first[2][1].value) == Decimal("14.5")
    assert [m.ref for m in table.merges] == ["A7:B7"]


def test_control_characters_excel_escapes_come_back_as_themselves():
    source = xlsx([["Sở_x001B_Y tế"]])
    _, rows = read(source)
    assert rows[0][1][0].value == "Sở\x1bY tế"


def test_csv_is_read_with_the_delimiter_of_its_header_and_a_bom():
    table, rows = read(io.BytesIO("\ufeffnăm;điểm\n2022;90,450\n".encode()), "ket-qua.csv")
    assert table.kind == CSV_KIND and table.sheet is None
    assert [[c.value for c in cells] for _, cells in rows] == [["năm", "điểm"], ["2022", "90,450"]]


@pytest.mark.parametrize(
    ("content", "name", "accept", "words"),
    [
        (b"%PDF-1.4", "bang.pdf", (XLSX_KIND, CSV_KIND), "không phải bảng tính Excel .xlsx hoặc tệp CSV"),
        (b"a,b\n1,2\n", "bang.csv", (XLSX_KIND,), "không phải bảng tính Excel .xlsx"),
        (b"a,b\n1,2\n", "bang.xlsx", (XLSX_KIND, CSV_KIND), "tệp hỏng hoặc sai định dạng"),
        ("năm\n2022\n".encode("cp1258"), "bang.csv", (CSV_KIND,), "UTF-8"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "bang.xls", (XLSX_KIND,), "Excel 97–2003"),
    ],
)
def test_the_type_is_judged_by_content_and_the_name_must_agree(content, name, accept, words):
    assert words in refusal(io.BytesIO(content), name, accept=accept)


def test_each_limit_is_named_when_it_refuses():
    assert "vượt giới hạn 2 MB" in refusal(io.BytesIO(b"x" * (2 * 1024 * 1024 + 1)), "to.csv")
    assert "khai báo vùng dữ liệu A1:A60" in refusal(xlsx([[n] for n in range(60)]), limits=Limits(rows=50))
    assert "khai báo vùng dữ liệu A1:K1" in refusal(xlsx([list(range(11))]))
    many = xlsx([list(range(10)) for _ in range(25)])
    assert "hơn 200 ô dữ liệu" in refusal(many)
    csv_rows = io.BytesIO(("a\n" * 60).encode())
    assert "dòng 51, vượt giới hạn 50 dòng" in refusal(csv_rows, "a.csv")


def test_a_sheet_of_too_many_rows_is_counted_before_it_is_parsed(tmp_path):
    path = hostile_files.cell_bomb(tmp_path / "nhieu-dong.xlsx", unpacked=600 * 1024, cells_per_row=1)
    message = refusal(path, "nhieu-dong.xlsx", limits=LIMITS)
    assert "vượt giới hạn" in message and ("dòng" in message or "ô dữ liệu" in message)


def test_the_declared_dimension_refuses_a_sparse_sheet_before_its_cell_is_read(tmp_path):
    path = hostile_files.sparse_workbook(tmp_path / "thua.xlsx")
    assert "khai báo vùng dữ liệu A1:XFD1048576" in refusal(path, "thua.xlsx", limits=Limits())


def test_a_sheet_that_lies_about_its_dimension_is_refused_at_the_cell(tmp_path):
    path = hostile_files.far_column_workbook(tmp_path / "xa.xlsx")
    assert "có dữ liệu ở cột XFD" in refusal(path, "xa.xlsx", limits=Limits())


def test_the_unpacked_budget_is_charged_while_inflating_not_only_from_declared_sizes(tmp_path):
    path = hostile_files.lying_size_workbook(tmp_path / "noi-doi.xlsx")
    assert "tệp hỏng hoặc sai định dạng" in refusal(path, "noi-doi.xlsx", limits=Limits())


def test_a_sheet_declaring_a_document_type_is_refused_before_it_is_parsed(tmp_path):
    """The sheet is parsed by the C parser for speed, so no entity may ever be declared in it."""
    import zipfile

    source = xlsx([["a"]])
    patched = io.BytesIO()
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(patched, "w") as target:
        for item in original.infolist():
            data = original.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                entity = b'<!DOCTYPE w [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
                data = data.replace(b"?>", b"?>" + entity, 1).replace(b">a<", b">&b;<")
            target.writestr(item, data)
    patched.seek(0)
    assert "tệp hỏng hoặc sai định dạng" in refusal(patched)


def three_sheets() -> io.BytesIO:
    wb = Workbook()
    wb.active.title = "Tóm tắt"
    wb.active.append(["tóm tắt"])
    wb.create_sheet("Bảng điểm").append(["điểm"])
    wb.create_sheet("Giải trình").append(["giải trình"])
    buffer = io.BytesIO()
    wb.save(buffer)
    buffer.seek(0)
    return buffer


def test_a_sheet_is_chosen_by_name_by_preference_or_first():
    first = open_table(three_sheets(), "bang.xlsx", limits=LIMITS)
    assert (first.sheet, first.sheets) == ("Tóm tắt", ["Tóm tắt", "Bảng điểm", "Giải trình"])
    assert [cells[0].value for _, cells in first.rows()] == ["tóm tắt"]
    preferred = open_table(three_sheets(), "bang.xlsx", limits=LIMITS, prefer=("Không có", "bảng  ĐIỂM"))
    assert preferred.sheet == "Bảng điểm" and [c[0].value for _, c in preferred.rows()] == ["điểm"]
    named = open_table(three_sheets(), "bang.xlsx", limits=LIMITS, sheet="Giải trình")
    assert [c[0].value for _, c in named.rows()] == ["giải trình"]
    with pytest.raises(Refused) as refused:
        open_table(three_sheets(), "bang.xlsx", limits=LIMITS, sheet="Phụ lục")
    assert refused.value.errors == ["Tệp “bang.xlsx” không có trang tính “Phụ lục”."]
