"""The published ranking table as an xlsx file in the layout of the announcement's annex.

Title block: the issuer, the table's title, its source line (the decision, or the announcement it was
transcribed from); then the table, with the change against the previous published year of the block when
there is one; then a footer with the source again and the publisher. A ranking table has at most a few
thousand rows (3,321 communes nationally), so it is built in openpyxl's normal mode, which can set row heights;
the large detailed reports use write-only mode.
"""

from io import BytesIO

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from cchc_portal.identity import identity
from cchc_portal.lib.numbers import round_score
from cchc_portal.lib.xlsx_write import (
    HEADER_FILL,
    number_format,
    print_setup,
    put,
    sheet_title,
    wrapped_height,
    wrapped_lines,
)
from reports.pages.ranking import RankingPage

HEADERS = ("TT", "Tên đơn vị", "Điểm đánh giá", "Xếp loại", "Vị thứ")
WIDTHS = (6, 50, 15, 13, 9)
CHANGE_HEADERS = ("Vị thứ năm {year}", "Thay đổi vị thứ", "Ghi chú")
CHANGE_WIDTHS = (11, 11, 40)
HEADER_ROW = 5
PARTIAL = "Nguồn công bố chỉ nêu một phần bảng kết quả."


def ranking_workbook(page: RankingPage) -> bytes:
    """Title block, header row, one row per unit, footer; scores as numbers with the published decimals."""
    table, who = page.table, identity()
    workbook = Workbook()
    ws = workbook.active
    ws.title = sheet_title(page.table.block_name, str(table.period.year))
    headers, widths = _columns(page)
    last = get_column_letter(len(headers))
    source = _title_block(ws, table, last)
    for column, header in enumerate(headers, start=1):
        put(ws, HEADER_ROW, column, header, bold=True, align="center", background=HEADER_FILL, wrap=True)
    ws.row_dimensions[HEADER_ROW].height = wrapped_height(zip(headers, widths, strict=True), bold=True)
    score_format = number_format(table.decimals)
    for row_number, (row, result) in enumerate(zip(page.rows, table.rows, strict=True), start=HEADER_ROW + 1):
        values = _row_values(page, row, result, score_format)
        for column, (value, style) in enumerate(values, start=1):
            put(ws, row_number, column, value, **style)
        _fit_height(ws, row_number, values, widths)
    footer = HEADER_ROW + len(table.rows) + 2
    put(ws, footer, 1, f"{who.line}. {('Nguồn: ' + source) if source else ''}".strip(), size=10, border=False)
    ws.merge_cells(f"A{footer}:{last}{footer}")
    _page_setup(ws, widths, last, last_row=footer)
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _columns(page: RankingPage) -> tuple[list[str], list[int]]:
    """The columns the announcement had: the maximum and points where it printed them, the grade where it did, and
    the previous year's rank beside them when there is a previous year."""
    table = page.table
    columns = [("TT", 6), ("Tên đơn vị", 50)]
    columns += [(column.label, 12) for column in table.measure_columns]
    columns += [(table.score_label, 15)] + ([("Xếp loại", 13)] if table.shows_grades else []) + [("Vị thứ", 9)]
    headers, widths = [c[0] for c in columns], [c[1] for c in columns]
    if page.previous:
        headers += [CHANGE_HEADERS[0].format(year=page.previous.period.year), *CHANGE_HEADERS[1:]]
        widths += CHANGE_WIDTHS
    return headers, widths


def _title_block(ws: Worksheet, table, last: str) -> str:
    """The issuer, the title and the source above the table; returns the source line."""
    put(ws, 1, 1, table.period.issued_by.upper(), bold=True, size=11, align="center", border=False)
    put(ws, 2, 1, table.title, bold=True, size=14, align="center", border=False, wrap=True)
    ws.row_dimensions[2].height = 42
    source = table.source_line
    notes = " ".join(text for text in (source and f"Nguồn: {source}", table.period.is_partial and PARTIAL) if text)
    put(ws, 3, 1, notes or None, size=11, align="center", border=False, wrap=True)
    for row in (1, 2, 3):
        ws.merge_cells(f"A{row}:{last}{row}")
    return source


def _row_values(page: RankingPage, row, result, score_format: str) -> list[tuple[object, dict]]:
    table = page.table
    values = [(row.position, {"align": "center"}), (row.unit_name, {"wrap": True})]
    values += [(getattr(result, column.field), {"align": "right"}) for column in table.measure_columns]
    # The score as published (90,450), not the unrounded total behind it: what a reader copies from the cell
    # is what the table printed, as in the CSV and the JSON.
    values.append((round_score(result.total, table.decimals), {"number_format": score_format, "align": "right"}))
    if table.shows_grades:
        values.append((row.grade, {"align": "center"}))
    values.append((row.rank, {"align": "center"}))
    if page.previous:
        values += _change_values(row.change)
    return values


def _change_values(change) -> list[tuple[object, dict]]:
    if change is None:
        return [(None, {"align": "center"}), (None, {"align": "center", "number_format": "+0;-0;0"}),
                (None, {"wrap": True, "size": 10})]  # fmt: skip
    note = change.note or ("không so sánh được" if change.kind == "unlisted" else "")
    return [
        (change.previous_rank, {"align": "center"}),
        (change.rank_change, {"align": "center", "number_format": "+0;-0;0"}),
        (note or None, {"wrap": True, "size": 10}),
    ]


def _fit_height(ws: Worksheet, row_number: int, values, widths) -> None:
    """A long name or a note wraps: the row is made as tall as its tallest wrapped cell."""
    wrapped = [(v, widths[i], style.get("size", 12)) for i, (v, style) in enumerate(values) if "wrap" in style]
    if any(wrapped_lines(text, width, size) > 1 for text, width, size in wrapped):
        ws.row_dimensions[row_number].height = max(wrapped_height([(t, w)], s) for t, w, s in wrapped)


def _page_setup(ws: Worksheet, widths: list[int], last: str, last_row: int) -> None:
    for column, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(column)].width = width
    ws.row_dimensions[3].height = 30
    ws.freeze_panes = f"A{HEADER_ROW + 1}"
    ws.print_area = f"A1:{last}{last_row}"
    print_setup(ws, landscape=len(widths) > len(WIDTHS), title_rows=f"{HEADER_ROW}:{HEADER_ROW}")
    ws.oddFooter.center.text = "Trang &P / &N"
