"""The bounded reader on real files built here: what it returns, and each limit refusing before any cost."""

import io
import re
import zipfile
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


def rewritten(source: io.BytesIO, part: str, rewrite) -> io.BytesIO:
    """The workbook with one part's bytes rewritten."""
    patched = io.BytesIO()
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(patched, "w", zipfile.ZIP_DEFLATED) as target:
        for item in original.infolist():
            data = original.read(item.filename)
            target.writestr(item.filename, rewrite(data) if item.filename == part else data)
    patched.seek(0)
    return patched


def without_dimension(source: io.BytesIO) -> io.BytesIO:
    return rewritten(source, hostile_files.SHEET, lambda xml: re.sub(rb"<dimension[^>]*/>", b"", xml))


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


# --- Parts the row and cell limits do not count (each built at the attack's size unless said otherwise) ---


def test_a_styles_part_of_millions_of_formats_is_refused_before_it_is_parsed(tmp_path):
    path = hostile_files.styles_bomb(tmp_path / "dinh-dang.xlsx")  # 12 M <xf/>, ~95 KB
    message = refusal(path, "dinh-dang.xlsx", limits=Limits())
    assert "phần định dạng ô (xl/styles.xml) có hơn 300.000 phần tử XML" in message


def test_a_workbook_part_of_millions_of_elements_is_refused_before_it_is_parsed(tmp_path):
    path = hostile_files.workbook_bomb(tmp_path / "so-tay.xlsx")
    message = refusal(path, "so-tay.xlsx", limits=Limits())
    assert "phần danh sách trang tính (xl/workbook.xml) có hơn 300.000 phần tử XML" in message


@pytest.mark.parametrize("build", [hostile_files.junk_in_sheet_data, hostile_files.junk_in_row])
def test_elements_that_are_neither_rows_nor_cells_are_counted_with_them(tmp_path, build):
    path = build(tmp_path / "rac.xlsx")
    message = refusal(path, "rac.xlsx", limits=Limits())
    assert "phần trang tính “Sheet1” (xl/worksheets/sheet1.xml) có hơn" in message and "phần tử XML" in message


def test_junk_within_the_limits_is_read_past_and_not_kept(tmp_path):
    """Fewer junk elements than the sheet's allowance: read, and the junk is neither a row nor a cell."""
    path = hostile_files.junk_in_row(tmp_path / "it-rac.xlsx", unpacked=200 * 1024)
    table, rows = read(path, "it-rac.xlsx", limits=Limits())
    assert [[c.value for c in cells] for _, cells in rows] == [["Mã đơn vị", "Điểm"], ["DV01", 1], ["DV02"]]


def test_a_shared_string_table_of_a_million_strings_is_refused_by_its_count(tmp_path):
    path = hostile_files.many_strings(tmp_path / "chu.xlsx")
    message = refusal(path, "chu.xlsx", limits=Limits())
    assert "có hơn 200.000 đoạn chữ khác nhau" in message and "xl/sharedStrings.xml" in message


def test_rows_padded_to_the_last_column_are_refused_as_more_cells_than_the_limit(tmp_path):
    declared = hostile_files.padded_rows(tmp_path / "dem.xlsx")  # 40,000 rows × KN, the range declared
    assert "có dữ liệu trải trên hơn 1.000.000 ô" in refusal(declared, "dem.xlsx", limits=Limits())
    undeclared = hostile_files.padded_rows(tmp_path / "dem-an.xlsx", rows=40, column="J", dimension=False)
    message = refusal(undeclared, "dem-an.xlsx", limits=LIMITS)  # 40 rows × 10 columns from A: 400 > 200 cells
    assert "có dữ liệu trải trên hơn 200 ô (tính từ cột A" in message


def test_empty_cells_after_a_rows_last_value_are_dropped():
    source = xlsx([["a", None, "c"], ["b"]])
    styled = rewritten(
        source,
        hostile_files.SHEET,
        lambda xml: xml.replace(b"</row>", b'<c r="J1" s="0"/></row>', 1).replace(
            b"</sheetData>", b'<row r="3"><c r="A3" s="0"/><c r="H3" s="0"/></row></sheetData>'
        ),
    )
    _table, rows = read(without_dimension(styled))
    assert [(n, [c.value for c in cells]) for n, cells in rows] == [(1, ["a", None, "c"]), (2, ["b"]), (3, [None])]


def test_shared_strings_join_their_runs_and_leave_out_phonetic_guides(tmp_path):
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    strings = (
        f'<sst xmlns="{main}" count="1" uniqueCount="1"><si><r><t xml:space="preserve">Sở </t></r>'
        '<r><rPr><b/></rPr><t>Nội vụ</t></r><rPh sb="0" eb="1"><t>x</t></rPh></si><si><t/></si></sst>'
    ).encode()
    sheet = (
        f'<worksheet xmlns="{main}"><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c>'
        '<c r="B1" t="s"><v>1</v></c></row></sheetData></worksheet>'
    ).encode()
    members = hostile_files._workbook_members([(sheet, 1)], shared_strings=[(strings, 1)])
    path = hostile_files._write_zip(tmp_path / "chu.xlsx", members)
    _table, rows = read(path, "chu.xlsx")
    assert [c.value for c in rows[0][1]] == ["Sở Nội vụ", ""]


def test_nesting_deeper_than_the_limit_is_refused_in_any_part():
    deep = b"<extLst>" * 30 + b"</extLst>" * 30
    source = rewritten(xlsx([["a"]]), "xl/workbook.xml", lambda xml: xml.replace(b"</workbook>", deep + b"</workbook>"))
    assert "phần danh sách trang tính (xl/workbook.xml) lồng nhau sâu hơn 24 cấp" in refusal(source)
    sheet = rewritten(
        xlsx([["a"]]), hostile_files.SHEET, lambda xml: xml.replace(b"</worksheet>", deep + b"</worksheet>")
    )
    assert "lồng nhau sâu hơn 24 cấp" in refusal(sheet)


def test_a_cell_of_too_many_elements_is_refused_at_that_cell():
    runs = b"<r><t>a</t></r>" * 600  # 1,200 elements inside one inline text
    cell = b'<c r="B1" t="inlineStr"><is>' + runs + b"</is></c></row>"
    source = rewritten(xlsx([["a"]]), hostile_files.SHEET, lambda xml: xml.replace(b"</row>", cell, 1))
    assert "ô B1 gồm hơn 1.000 phần tử XML" in refusal(without_dimension(source))


def test_dates_and_number_formats_come_from_the_streamed_styles():
    from datetime import datetime

    wb = Workbook()
    wb.active.append([datetime(2026, 5, 4), 0.25, 3])
    wb.active["B1"].number_format = "0.00%"
    wb.active["C1"].number_format = '#,##0" điểm"'
    buffer = io.BytesIO()
    wb.save(buffer)
    buffer.seek(0)
    _table, rows = read(buffer)
    date, percent, custom = rows[0][1]
    assert (date.kind, date.value) == ("date", datetime(2026, 5, 4))
    assert (percent.number_format, custom.number_format) == ("0.00%", '#,##0" điểm"')


def test_a_zip_of_too_many_parts_is_refused_from_its_end_record(tmp_path):
    path = hostile_files.many_parts(tmp_path / "nhieu-phan.xlsx")
    assert "gồm hơn 5.000 phần nén" in refusal(path, "nhieu-phan.xlsx", limits=Limits())


def test_padding_is_counted_from_the_cells_references_before_the_sheet_is_parsed(tmp_path, monkeypatch):
    from cchc_portal.lib import reading

    path = hostile_files.padded_rows(tmp_path / "dem.xlsx", rows=40, column="J", dimension=False)
    monkeypatch.setattr(reading._SheetReader, "cell", lambda *a: pytest.fail("a cell was read"))
    assert "có dữ liệu trải trên hơn 200 ô" in refusal(path, "dem.xlsx", limits=LIMITS)
    # Attributes in another order, and the reference last, count the same.
    moved = rewritten(
        io.BytesIO(path.read_bytes()),
        hostile_files.SHEET,
        lambda xml: re.sub(rb'<c r="(J[0-9]+)">', rb'<c s="0" t="n" r="\1">', xml),
    )
    assert "có dữ liệu trải trên hơn 200 ô" in refusal(moved, "dem.xlsx", limits=LIMITS)


def test_empty_formatted_cells_far_right_do_not_count_as_spread():
    """40 rows of one value in A and a formatted empty cell in J: 40 cells given, not 400."""
    source = xlsx([["a"] for _ in range(40)])
    styled = rewritten(
        source, hostile_files.SHEET, lambda xml: re.sub(rb'(<row r="([0-9]+)"[^>]*>)', rb'\1<c r="J\2" s="0"/>', xml)
    )
    _table, rows = read(without_dimension(styled), limits=LIMITS)
    assert len(rows) == 40 and all(len(cells) == 1 for _, cells in rows)


@pytest.mark.parametrize("part, label", [("workbook", "danh sách trang tính"), ("sheet", "trang tính “Sheet1”")])
def test_an_element_of_too_many_attributes_is_refused_before_the_parser_builds_them(tmp_path, part, label):
    path = hostile_files.attributes_bomb(tmp_path / "thuoc-tinh.xlsx", attributes=100_000, part=part)
    message = refusal(path, "thuoc-tinh.xlsx", limits=Limits())
    assert f"phần {label}" in message and "có phần tử XML mang hơn 10.000 thuộc tính" in message


def test_quotes_in_text_are_not_taken_for_attributes():
    """Two cells of 7,200 quoted words each: enough quotes for the search to run, too few in any one element."""
    text = "'a' \"b\" " * 3_600
    _table, rows = read(xlsx([[text, text]]), limits=Limits())
    assert [c.value for c in rows[0][1]] == [text, text]
